"""The deciding side of identity: who decides, and the proof they attach.

Shared by the Python client (:class:`~baton.runtime.approvals.ApprovalInbox`)
and the CLI's path through ``baton up``'s local API (``baton.cli.local``), which
signs here, in the caller's process, so the credential never leaves it."""

from __future__ import annotations

import time
from typing import Any

from ..errors import BatonError
from .credentials import Credential, DecisionSubject, sign_decision


def decider(approver_id: str | None, credential: Credential | None) -> str:
    """The approver named, else the credential's principal."""
    if approver_id:
        return approver_id
    if credential is None:
        raise BatonError(
            "who decides? pass the approver (--as), or sign in with a credential "
            "(`baton identity login`, or BATON_CREDENTIAL)"
        )
    return credential.principal


def proof(
    credential: Credential | None, subject: DecisionSubject, via: str
) -> dict[str, Any] | None:
    """The signed proof for ``subject`` (None without a credential)."""
    if credential is None:
        return None
    return sign_decision(credential, subject, now=int(time.time()), via=via)
