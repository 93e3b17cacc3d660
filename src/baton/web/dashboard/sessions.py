"""Who is using the dashboard, and what they may do (docs/dashboard.md,
"Sign-in and security").

- **trusted** identity mode (no ``identities:`` in baton.yaml): the dashboard
  serves only on a loopback address; anyone who reaches it may look, and
  decides in the name they give — the same trust as ``baton approve --as``.
- **signed** mode: every page needs a sign-in with a Baton credential
  (``baton identity issue``, scope ``decide``). This server checks it when it
  has the identity key (it must, to serve beyond loopback); decisions are
  signed with it here and verified again by the worker, as from the CLI. The
  credential stays in this process's memory, never in the page.

A session is an HttpOnly, SameSite=Strict cookie; every state-changing
request must also carry the session's CSRF token in ``X-CSRF-Token``.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from ...config import IdentityConfig
from ...identity.credentials import Credential, CredentialError
from ...identity.verifying import CredentialVerifier

COOKIE = "baton_dashboard"
CSRF_HEADER = "X-CSRF-Token"
SESSION_SECONDS = 12 * 3600
MAX_SESSIONS = 10_000
TRUSTED_NOTICE = (
    "trusted mode: a decision is taken in the name you give, and anyone who can reach "
    "this page can decide as anyone (list identities in baton.yaml for signed mode)"
)


class SignInRefused(ValueError):
    """A sign-in that is not accepted; the message says why."""


@dataclass
class Session:
    id: str
    csrf: str
    expires: float
    principal: str | None = None
    credential: Credential | None = None

    def csrf_ok(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token, self.csrf)


class Sessions:
    def __init__(self, identity: IdentityConfig, verifier: CredentialVerifier | None) -> None:
        self.identity = identity
        self.verifier = verifier
        self._sessions: dict[str, Session] = {}

    @property
    def mode(self) -> str:
        return "signed" if self.identity.signed else "trusted"

    def find(self, session_id: str | None) -> Session | None:
        session = self._sessions.get(session_id or "")
        if session is None:
            return None
        if time.time() >= session.expires or (
            session.credential is not None and time.time() >= session.credential.claims.exp
        ):
            self._sessions.pop(session.id, None)
            return None
        return session

    def new(self) -> Session:
        if len(self._sessions) >= MAX_SESSIONS:
            now = time.time()
            for key in [k for k, s in self._sessions.items() if s.expires <= now]:
                del self._sessions[key]
            if len(self._sessions) >= MAX_SESSIONS:  # the oldest go first
                for key in list(self._sessions)[: MAX_SESSIONS // 10]:
                    del self._sessions[key]
        session = Session(
            id=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(32),
            expires=time.time() + SESSION_SECONDS,
        )
        self._sessions[session.id] = session
        return session

    def sign_in(self, session: Session, body: dict[str, Any]) -> Session:
        """Sign ``session`` in (a new session id, so a planted cookie gains
        nothing): signed mode takes ``credential``, trusted mode ``name``."""
        if self.identity.signed:
            principal, credential = self._check_credential(body.get("credential"))
        else:
            name = body.get("name")
            if not isinstance(name, str) or not name.strip():
                raise SignInRefused("give the name you decide as (trusted mode takes it as said)")
            principal, credential = name.strip(), None
        self._sessions.pop(session.id, None)
        signed_in = self.new()
        signed_in.principal, signed_in.credential = principal, credential
        if credential is not None:
            signed_in.expires = min(signed_in.expires, float(credential.claims.exp))
        return signed_in

    def sign_out(self, session: Session) -> None:
        self._sessions.pop(session.id, None)

    def _check_credential(self, token: Any) -> tuple[str, Credential]:
        if not isinstance(token, str) or not token.strip():
            raise SignInRefused(
                "paste your Baton credential (baton-cred.…; `baton identity issue YOU` makes one)"
            )
        try:
            if self.verifier is not None:
                credential = self.verifier(token.strip())
            else:
                # no identity key here (loopback only): the worker verifies
                # every decision; this checks what it can without the key
                credential = Credential.parse(token)
                if time.time() >= credential.claims.exp:
                    raise CredentialError(f"credential {credential.claims.jti} expired")
                if "decide" not in credential.claims.scopes:
                    raise CredentialError(
                        f"credential {credential.claims.jti} lacks the 'decide' scope"
                    )
                if credential.principal not in self.identity.identities:
                    raise CredentialError(
                        f"{credential.principal} is not listed under 'identities:'"
                    )
        except CredentialError as exc:
            raise SignInRefused(f"sign-in refused: {exc}") from None
        return credential.principal, credential

    def describe(self, session: Session | None) -> dict[str, Any]:
        signed = self.identity.signed
        principal = session.principal if session else None
        return {
            "mode": self.mode,
            "principal": principal,
            "csrf": session.csrf if session else None,
            "sign_in_required": signed and principal is None,
            "can_decide": principal is not None,
            "notice": None if signed else TRUSTED_NOTICE,
        }
