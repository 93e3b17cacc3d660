"""Who is using the dashboard, and what they may do (docs/dashboard.md,
"Sign-in and security").

- **trusted** identity mode (no ``identities:`` in baton.yaml): the dashboard
  serves only on a loopback address; anyone who reaches it may look, and
  decides in the name they give — the same trust as ``baton approve --as``.
- **signed** mode: every page needs a sign-in with a Baton credential
  (``baton identity issue``, scope ``decide``), checked with the identity key
  (the dashboard will not serve signed mode without it) when signing in and
  again before every change; decisions are signed with it here and verified
  again by the worker, as from the CLI. The credential stays in this
  process's memory, never in the page.

A session is an HttpOnly, SameSite=Strict cookie; every state-changing
request must also carry the session's CSRF token in ``X-CSRF-Token``. A
visitor who has not signed in holds no state here: their cookie is a random
id and their CSRF token its HMAC under this process's own key, so anonymous
requests cannot crowd signed-in sessions out.
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
MAX_SESSIONS = 10_000  # signed in; the oldest go first past it
ANONYMOUS = "a."
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
        if identity.signed and verifier is None:
            raise ValueError("signed identity mode needs a verifier (the identity key)")
        self.identity = identity
        self.verifier = verifier
        self._sessions: dict[str, Session] = {}
        self._key = secrets.token_bytes(32)  # this process's, for anonymous CSRF tokens

    @property
    def mode(self) -> str:
        return "signed" if self.identity.signed else "trusted"

    def find(self, session_id: str | None) -> Session | None:
        if session_id and session_id.startswith(ANONYMOUS) and len(session_id) < 100:
            return self._anonymous(session_id)
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
        """A visitor's session, not signed in (nothing is kept for it)."""
        return self._anonymous(ANONYMOUS + secrets.token_urlsafe(24))

    def _anonymous(self, session_id: str) -> Session:
        csrf = hmac.new(self._key, session_id.encode(), "sha256").hexdigest()
        return Session(id=session_id, csrf=csrf, expires=time.time() + SESSION_SECONDS)

    def still_valid(self, session: Session) -> None:
        """Before a change: the session's credential is still genuine and not
        revoked (a revocation takes effect at once, not at sign-out)."""
        if session.credential is not None and self.verifier is not None:
            try:
                self.verifier(session.credential.token())
            except CredentialError as exc:
                self.sign_out(session)
                raise SignInRefused(f"signed out: {exc}") from None

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
        if len(self._sessions) >= MAX_SESSIONS:
            now = time.time()
            for key in [k for k, v in self._sessions.items() if v.expires <= now]:
                del self._sessions[key]
            for key in list(self._sessions)[: max(0, len(self._sessions) - MAX_SESSIONS + 1)]:
                del self._sessions[key]
        signed_in = Session(
            id=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(32),
            expires=time.time() + SESSION_SECONDS,
            principal=principal,
            credential=credential,
        )
        self._sessions[signed_in.id] = signed_in
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
        assert self.verifier is not None  # signed mode has one
        try:
            credential = self.verifier(token.strip())
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
