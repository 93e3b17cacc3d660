"""Accepting a credential as a sign-in: the MCP server's bearer tokens and
the dashboard's sessions. Genuine (the identity key derives its secret),
unexpired, unrevoked, carrying the scope the entry point needs, and held by
someone listed under ``identities:``."""

from __future__ import annotations

import time

from ..config import IdentityConfig, Settings
from .credentials import Credential, CredentialError, verify_credential
from .keys import RevocationWatcher, load_key, revocations_path


class CredentialVerifier:
    def __init__(
        self,
        key: bytes,
        revocations: RevocationWatcher,
        identity: IdentityConfig,
        scope: str = "mcp",
    ) -> None:
        self.key, self.revocations, self.identity = key, revocations, identity
        self.scope = scope

    def __call__(self, token: str) -> Credential:
        credential = Credential.parse(token)
        claims = verify_credential(self.key, credential)
        if time.time() >= claims.exp:
            raise CredentialError(f"credential {claims.jti} expired")
        reason = self.revocations.refresh().reason(claims)
        if reason:
            raise CredentialError(reason)
        if self.scope not in claims.scopes:
            raise CredentialError(f"credential {claims.jti} lacks the {self.scope!r} scope")
        if self.identity.identities and claims.sub not in self.identity.identities:
            raise CredentialError(f"{claims.sub} is not listed under 'identities:'")
        return credential


def credential_verifier(settings: Settings, scope: str = "mcp") -> CredentialVerifier | None:
    """A verifier when this machine has the identity key, else None."""
    identity = settings.load_file().identity
    key = load_key(settings, identity)
    if key is None:
        return None
    return CredentialVerifier(
        key, RevocationWatcher(revocations_path(settings, identity)), identity, scope
    )
