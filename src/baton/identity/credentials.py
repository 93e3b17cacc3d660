"""Personal credentials, decision proofs and decision links: formats, minting
and verification. Pure functions over bytes; no I/O (keys and revocations are
loaded by :mod:`baton.identity.keys`).

A **credential** is issued to one principal by ``baton identity issue``::

    baton-cred.<b64url(payload JSON)>.<b64url(secret)>

``payload`` = ``{"v": 1, "sub", "jti", "iat", "exp", "scopes"}`` and
``secret = HMAC-SHA256(key, "baton-credential\\0" + payload bytes)``, where
``key`` is the identity key only workers and the issuing command hold. The
secret never leaves the holder: a decision carries a **proof** instead — the
payload plus ``HMAC-SHA256(secret, canonical decision)`` — which a worker checks
by deriving the secret again from the key. A proof binds the approval id, the
action, who decides, the decision, the feedback, a nonce, the time and the
entry point (``via``), so it cannot be altered or used for anything else.

A **decision link** (one-click, in a notification) is a token signed with the
key itself, bound to one approval, stage, approver and decision, expiring, with
a nonce the approval workflow accepts once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

CREDENTIAL_PREFIX = "baton-cred"
LINK_PREFIX = "baton-link"
FORMAT_VERSION = 1
# How far a proof's signing time may be from the worker's clock.
PROOF_WINDOW_SECONDS = 300
# Scopes a credential can carry. "decide": decide approvals from the CLI or the
# Python API; "mcp": use the credential as an MCP bearer token; "mcp:decide":
# decide through MCP (an AI agent deciding as this principal).
SCOPES = ("decide", "mcp", "mcp:decide")
VIAS = ("cli", "api", "mcp", "link", "dashboard")


class CredentialError(ValueError):
    """A credential, proof or link that does not verify; the message says why."""


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64d(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise CredentialError("not valid base64") from exc


def _mac(key: bytes, *parts: bytes) -> bytes:
    return hmac.new(key, b"\0".join(parts), hashlib.sha256).digest()


def canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


@dataclass(frozen=True)
class Claims:
    """What a credential says about its holder."""

    sub: str
    jti: str
    iat: int
    exp: int
    scopes: tuple[str, ...] = field(default_factory=tuple)

    def to_payload(self) -> bytes:
        return canonical(
            {
                "v": FORMAT_VERSION,
                "sub": self.sub,
                "jti": self.jti,
                "iat": self.iat,
                "exp": self.exp,
                "scopes": list(self.scopes),
            }
        )

    @classmethod
    def from_payload(cls, raw: bytes) -> Claims:
        try:
            data = json.loads(raw)
            if data.get("v") != FORMAT_VERSION:
                raise CredentialError(f"unsupported credential version {data.get('v')!r}")
            return cls(
                sub=str(data["sub"]),
                jti=str(data["jti"]),
                iat=int(data["iat"]),
                exp=int(data["exp"]),
                scopes=tuple(str(s) for s in data.get("scopes") or ()),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            if isinstance(exc, CredentialError):
                raise
            raise CredentialError("malformed credential payload") from exc


@dataclass(frozen=True)
class Credential:
    """A credential as its holder keeps it: the claims and the secret."""

    claims: Claims
    payload: bytes
    secret: bytes

    @property
    def principal(self) -> str:
        return self.claims.sub

    def token(self) -> str:
        return f"{CREDENTIAL_PREFIX}.{b64e(self.payload)}.{b64e(self.secret)}"

    @classmethod
    def parse(cls, token: str) -> Credential:
        parts = token.strip().split(".")
        if len(parts) != 3 or parts[0] != CREDENTIAL_PREFIX:
            raise CredentialError(
                f"not a Baton credential (expected {CREDENTIAL_PREFIX}.<payload>.<secret>)"
            )
        payload = b64d(parts[1])
        return cls(claims=Claims.from_payload(payload), payload=payload, secret=b64d(parts[2]))


def credential_secret(key: bytes, payload: bytes) -> bytes:
    return _mac(key, b"baton-credential", payload)


def issue(
    key: bytes, sub: str, *, now: int, ttl_seconds: int, scopes: tuple[str, ...]
) -> Credential:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise CredentialError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}")
    claims = Claims(
        sub=sub,
        jti=f"c-{secrets.token_hex(8)}",
        iat=now,
        exp=now + ttl_seconds,
        scopes=tuple(dict.fromkeys(scopes)),
    )
    payload = claims.to_payload()
    return Credential(claims=claims, payload=payload, secret=credential_secret(key, payload))


def verify_credential(key: bytes, credential: Credential) -> Claims:
    """The holder's credential is genuine (used by the MCP server to accept a
    credential as a bearer token)."""
    if not hmac.compare_digest(credential_secret(key, credential.payload), credential.secret):
        raise CredentialError("credential signature does not verify (forged, or another key)")
    return credential.claims


# ---- decision proofs --------------------------------------------------------


@dataclass(frozen=True)
class DecisionSubject:
    """What a proof is about: one decision or delegation on one approval."""

    approval_id: str
    action: str  # "decide" or "delegate"
    approver_id: str
    decision: str | None = None
    feedback: str | None = None  # a delegation's note
    to: str | None = None  # a delegation's delegate
    data: dict[str, Any] | None = None  # a decision's form values

    def message(self, nonce: str, ts: int, via: str) -> bytes:
        signed: dict[str, Any] = {
            "approval_id": self.approval_id,
            "action": self.action,
            "approver_id": self.approver_id,
            "decision": self.decision,
            "feedback": self.feedback,
            "to": self.to,
            "nonce": nonce,
            "ts": ts,
            "via": via,
        }
        if self.data is not None:  # (proofs made without values sign what they always did)
            signed["data"] = self.data
        return canonical(signed)


def sign_decision(
    credential: Credential, subject: DecisionSubject, *, now: int, via: str
) -> dict[str, Any]:
    """The proof a client attaches to a decision or delegation (no secret in it)."""
    nonce = secrets.token_hex(12)
    signature = hmac.new(credential.secret, subject.message(nonce, now, via), hashlib.sha256)
    return {
        "kind": "credential",
        "cred": b64e(credential.payload),
        "nonce": nonce,
        "ts": now,
        "via": via,
        "sig": b64e(signature.digest()),
    }


@dataclass(frozen=True)
class Verified:
    """Who a verified proof speaks for, and through which entry point."""

    principal: str
    via: str
    credential_id: str
    nonce: str


def verify_proof(
    key: bytes, proof: dict[str, Any], subject: DecisionSubject, *, now: float
) -> Verified:
    """Check a credential proof; raise :class:`CredentialError` saying why not.
    Revocation is checked by the caller (it needs the revocation list)."""
    try:
        payload = b64d(str(proof["cred"]))
        nonce, ts, via = str(proof["nonce"]), int(proof["ts"]), str(proof["via"])
        sig = b64d(str(proof["sig"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise CredentialError("malformed decision proof") from exc
    claims = Claims.from_payload(payload)
    expected = hmac.new(
        credential_secret(key, payload), subject.message(nonce, ts, via), hashlib.sha256
    ).digest()
    if not hmac.compare_digest(expected, sig):
        raise CredentialError(
            "the decision's signature does not verify (a forged credential, another key, "
            "or a proof made for a different decision)"
        )
    approver_id = subject.approver_id
    if claims.sub != approver_id:
        raise CredentialError(
            f"the credential belongs to {claims.sub}, who cannot decide as {approver_id}"
        )
    if now >= claims.exp:
        raise CredentialError(
            f"credential {claims.jti} of {claims.sub} expired; ask for a new one "
            "(baton identity issue)"
        )
    if abs(now - ts) > PROOF_WINDOW_SECONDS:
        raise CredentialError(
            f"the decision was signed {abs(now - ts):.0f}s away from the worker's clock "
            f"(more than {PROOF_WINDOW_SECONDS}s): a replayed decision, or a clock that is off"
        )
    needed = "mcp:decide" if via == "mcp" else "decide"
    if needed not in claims.scopes:
        raise CredentialError(
            f"credential {claims.jti} of {claims.sub} may not decide"
            + (" through MCP" if via == "mcp" else "")
            + f" (it lacks the {needed!r} scope)"
        )
    return Verified(principal=claims.sub, via=via, credential_id=claims.jti, nonce=nonce)


# ---- decision links ---------------------------------------------------------


def mint_link(
    key: bytes,
    *,
    approval_id: str,
    stage: str,
    approver: str,
    decision: str,
    now: int,
    ttl_seconds: int,
) -> str:
    payload = canonical(
        {
            "v": FORMAT_VERSION,
            "approval_id": approval_id,
            "stage": stage,
            "approver": approver,
            "decision": decision,
            "exp": now + ttl_seconds,
            "nonce": f"l-{secrets.token_hex(10)}",
        }
    )
    return f"{LINK_PREFIX}.{b64e(payload)}.{b64e(_mac(key, b'baton-link', payload))}"


def read_link(token: str) -> dict[str, Any]:
    """A link's claims, unverified (for showing the confirmation page)."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != LINK_PREFIX:
        raise CredentialError("not a Baton decision link")
    try:
        data: dict[str, Any] = json.loads(b64d(parts[1]))
    except ValueError as exc:
        raise CredentialError("malformed decision link") from exc
    return data


def verify_link(
    key: bytes, token: str, *, approval_id: str, approver_id: str, decision: str | None, now: float
) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != LINK_PREFIX:
        raise CredentialError("not a Baton decision link")
    payload = b64d(parts[1])
    if not hmac.compare_digest(_mac(key, b"baton-link", payload), b64d(parts[2])):
        raise CredentialError("the decision link's signature does not verify (forged or altered)")
    claims = read_link(token)
    if claims.get("approval_id") != approval_id:
        raise CredentialError("the decision link was made for another approval")
    if claims.get("approver") != approver_id or claims.get("decision") != decision:
        raise CredentialError(
            f"the decision link is for {claims.get('approver')} to {claims.get('decision')}"
        )
    if now >= float(claims.get("exp", 0)):
        raise CredentialError("the decision link expired; decide with `baton approve` instead")
    return claims
