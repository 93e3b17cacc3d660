"""Issuing and revoking credentials (``baton identity ...``): the operations
of whoever holds the identity key."""

from __future__ import annotations

import time
from typing import Any

from ..config import BatonFile, Settings
from ..errors import ConfigError
from .credentials import SCOPES, Credential, CredentialError, issue
from .keys import Revocations, issued, record_issued, require_key, revocations_path

DAY = 86400


def issue_credential(
    settings: Settings,
    baton_file: BatonFile,
    principal: str,
    *,
    ttl_days: float | None = None,
    scopes: tuple[str, ...] = ("decide",),
) -> Credential:
    principal = principal.strip()
    identity = baton_file.identity
    if not principal:
        raise ConfigError("name the principal to issue a credential for (an approver id)")
    if identity.identities and principal not in identity.identities:
        known = ", ".join(sorted(identity.identities))
        raise ConfigError(
            f"{principal} is not listed under 'identities:' in baton.yaml (listed: {known}); "
            "add them first"
        )
    ttl = ttl_days if ttl_days is not None else identity.credential_ttl_days
    if ttl <= 0 or ttl > 3650:
        raise ConfigError("--ttl-days must be more than 0 and at most 3650")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ConfigError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}")
    key = require_key(settings, identity)
    try:
        credential = issue(
            key, principal, now=int(time.time()), ttl_seconds=int(ttl * DAY), scopes=scopes
        )
    except CredentialError as exc:
        raise ConfigError(str(exc)) from None
    record_issued(settings, credential.claims)
    return credential


def revoke(
    settings: Settings,
    baton_file: BatonFile,
    *,
    credential_id: str | None = None,
    principal: str | None = None,
) -> str:
    """Revoke one credential, or every credential of a principal issued up to
    now. Workers re-read the list within a second. Returns what was done."""
    if (credential_id is None) == (principal is None):
        raise ConfigError("revoke either a credential id or --user PRINCIPAL")
    path = revocations_path(settings, baton_file.identity)
    revocations = Revocations.load(path)
    now = int(time.time())
    if credential_id is not None:
        known = {row.get("jti") for row in issued(settings)}
        if credential_id not in known:
            raise ConfigError(
                f"no credential {credential_id!r} was issued here; `baton identity list` shows them"
            )
        revocations.credentials[credential_id] = now
        done = f"revoked credential {credential_id}"
    else:
        assert principal is not None
        revocations.principals[principal] = now
        done = f"revoked every credential of {principal} issued until now"
    revocations.save(path)
    return f"{done} ({path}; workers that read another copy of this file need it too)"


def credential_rows(settings: Settings, baton_file: BatonFile) -> list[dict[str, Any]]:
    revocations = Revocations.load(revocations_path(settings, baton_file.identity))
    now = time.time()
    rows = []
    for row in issued(settings):
        state = "active"
        if row["jti"] in revocations.credentials or row["iat"] <= revocations.principals.get(
            row["sub"], -1
        ):
            state = "revoked"
        elif row["exp"] <= now:
            state = "expired"
        rows.append({**row, "state": state})
    return rows
