"""Who decides: personal credentials, signed decisions and one-click decision
links (docs/approvals.md, "Identity"). Workers verify; clients sign."""

from .credentials import (
    Claims,
    Credential,
    CredentialError,
    Verified,
    issue,
    mint_link,
    sign_decision,
    verify_credential,
    verify_link,
    verify_proof,
)
from .keys import Revocations, load_credential, load_key, require_key

__all__ = [
    "Claims",
    "Credential",
    "CredentialError",
    "Revocations",
    "Verified",
    "issue",
    "load_credential",
    "load_key",
    "mint_link",
    "require_key",
    "sign_decision",
    "verify_credential",
    "verify_link",
    "verify_proof",
]
