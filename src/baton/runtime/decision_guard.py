"""The worker's check of who decides: a workflow interceptor in front of the
approval workflow's ``decide`` and ``delegate`` update validators.

In ``signed`` identity mode every decision must carry a proof made with a
credential issued by ``baton identity issue`` (or a one-click link the worker
minted); the proof is verified here, on the worker, with the identity key —
which never enters workflow history — against the revocation list, before the
workflow's own rules run. Every refusal, the guard's and the workflow's
validator's, is written to the approval's refusal log. Nothing here runs on
replay: validators are skipped for updates already in history.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from ..config import IdentityConfig
from ..engine.approval import APPROVAL_WORKFLOW_NAME, REFUSED_ERROR_TYPE
from ..engine.refusals import RefusalRecord
from ..identity.credentials import (
    Claims,
    CredentialError,
    DecisionSubject,
    b64d,
    verify_link,
    verify_proof,
)
from ..identity.keys import RevocationWatcher
from .refusal_recorder import RefusalRecorder

GUARDED_UPDATES = {"decide": "decision_refused", "delegate": "delegation_refused"}


class DecisionGuard(Interceptor):
    """Build one per worker: ``Worker(..., interceptors=[DecisionGuard(...)])``."""

    def __init__(
        self,
        identity: IdentityConfig,
        key: bytes | None,
        revocations: RevocationWatcher | None,
        recorder: RefusalRecorder | None,
    ) -> None:
        if identity.signed and key is None:
            raise ValueError("signed identity mode needs the identity key")
        self.identity = identity
        self.key = key
        self.revocations = revocations
        self.recorder = recorder
        guard = self

        class _Inbound(WorkflowInboundInterceptor):
            def handle_update_validator(self, input: HandleUpdateInput) -> None:
                if (
                    input.update not in GUARDED_UPDATES
                    or workflow.info().workflow_type != APPROVAL_WORKFLOW_NAME
                ):
                    super().handle_update_validator(input)
                    return
                request = input.args[0] if input.args else None
                try:
                    guard.check(input.update, request)
                    super().handle_update_validator(input)
                except ApplicationError as exc:
                    if exc.type == REFUSED_ERROR_TYPE:
                        guard.audit(input, request, exc.message)
                    raise

        self._inbound = _Inbound

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return self._inbound

    # ---- the checks ----------------------------------------------------------

    def check(self, update: str, request: Any) -> None:
        """Raise a refusal unless ``request`` may be applied in this identity mode."""
        if not self.identity.signed:
            return
        proof = getattr(request, "proof", None)
        who = getattr(request, "approver_id", "")
        if not proof:
            raise _refused(
                "this Baton runs in signed identity mode: a decision needs the decider's "
                "credential (get one with `baton identity issue`, then `baton identity login`)"
            )
        assert self.key is not None
        approval_id = workflow.info().workflow_id
        now = workflow.now().timestamp()
        try:
            if proof.get("kind") == "link":
                if update != "decide":
                    raise CredentialError("a decision link cannot delegate")
                if getattr(request, "data", None) is not None:
                    raise CredentialError("a decision link decides without form values")
                verify_link(
                    self.key,
                    str(proof.get("token", "")),
                    approval_id=approval_id,
                    approver_id=who,
                    decision=getattr(request, "decision", None),
                    now=now,
                )
                return self._check_known(who)
            subject = DecisionSubject(
                approval_id=approval_id,
                action=update,
                approver_id=who,
                decision=getattr(request, "decision", None),
                feedback=getattr(request, "feedback" if update == "decide" else "note", None),
                to=getattr(request, "to", None),
                data=getattr(request, "data", None),
            )
            verified = verify_proof(self.key, proof, subject, now=now)
            if self.revocations is not None:
                claims = Claims.from_payload(b64d(str(proof.get("cred", ""))))
                reason = self.revocations.refresh().reason(claims)
                if reason:
                    raise CredentialError(reason)
            self._check_known(verified.principal)
        except CredentialError as exc:
            raise _refused(str(exc)) from None

    def _check_known(self, principal: str) -> None:
        if self.identity.identities and principal not in self.identity.identities:
            raise CredentialError(
                f"{principal} is not listed under 'identities:' in the worker's baton.yaml"
            )

    def audit(self, input: HandleUpdateInput, request: Any, message: str) -> None:
        if self.recorder is None:
            return
        proof = getattr(request, "proof", None) or {}
        self.recorder.record(
            RefusalRecord(
                at=workflow.now().isoformat(),
                approval_id=workflow.info().workflow_id,
                event=GUARDED_UPDATES[input.update],
                actor=getattr(request, "approver_id", None),
                detail=message,
                source="worker",
                via=str(proof.get("via") or ("link" if proof.get("kind") == "link" else ""))
                or None,
            ),
            update_id=input.id,
        )


def _refused(message: str) -> ApplicationError:
    return ApplicationError(message, type=REFUSED_ERROR_TYPE, non_retryable=True)
