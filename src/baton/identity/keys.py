"""Where identity material lives: the identity key, the revocation list, the
register of issued credentials and a user's own credential. All files are
created with mode 0600 under ``BATON_HOME`` unless baton.yaml names others."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import IdentityConfig, Settings
from ..errors import ConfigError
from .credentials import Claims, Credential, CredentialError, b64d, b64e

KEY_BYTES = 32


def key_path(settings: Settings, config: IdentityConfig) -> Path:
    return config.key_file or settings.home / "identity.key"


def revocations_path(settings: Settings, config: IdentityConfig) -> Path:
    return config.revocations_file or settings.home / "identity-revocations.json"


def register_path(settings: Settings) -> Path:
    return settings.home / "identity-issued.jsonl"


def credential_path(settings: Settings) -> Path:
    return settings.home / "credential"


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def load_key(settings: Settings, config: IdentityConfig) -> bytes | None:
    """The identity key from ``BATON_IDENTITY_KEY`` or the key file; None if
    neither exists."""
    text = settings.identity_key
    where = "BATON_IDENTITY_KEY"
    if text is None:
        path = key_path(settings, config)
        where = str(path)
        try:
            text = path.read_text().strip()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigError(f"cannot read the identity key {path}: {exc.strerror}") from None
    try:
        key = b64d(text.strip())
    except CredentialError:
        key = b""
    if len(key) < 16:
        raise ConfigError(
            f"{where}: not an identity key (expected base64url of at least 16 bytes; "
            "`baton identity init` makes one)"
        )
    return key


def require_key(settings: Settings, config: IdentityConfig) -> bytes:
    key = load_key(settings, config)
    if key is None:
        raise ConfigError(
            f"no identity key: run `baton identity init` (writes {key_path(settings, config)}) "
            "or set BATON_IDENTITY_KEY; workers and the issuing command need the same key"
        )
    return key


def create_key(settings: Settings, config: IdentityConfig) -> tuple[Path, bool]:
    """Write a new key unless one exists; returns its path and whether it was made."""
    path = key_path(settings, config)
    if path.exists():
        return path, False
    _write_private(path, b64e(secrets.token_bytes(KEY_BYTES)) + "\n")
    return path, True


@dataclass
class Revocations:
    """Revoked credential ids, and per principal a time before which every
    credential issued is revoked (``baton identity revoke --user``)."""

    credentials: dict[str, int] = field(default_factory=dict)
    principals: dict[str, int] = field(default_factory=dict)

    def reason(self, claims: Claims) -> str | None:
        if claims.jti in self.credentials:
            return f"credential {claims.jti} of {claims.sub} was revoked"
        not_before = self.principals.get(claims.sub)
        if not_before is not None and claims.iat <= not_before:
            return f"every credential of {claims.sub} issued before its revocation was revoked"
        return None

    @classmethod
    def load(cls, path: Path) -> Revocations:
        try:
            data: Any = json.loads(path.read_text())
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the revocation list {path}: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a JSON object")
        return cls(
            credentials={str(k): int(v) for k, v in (data.get("credentials") or {}).items()},
            principals={str(k): int(v) for k, v in (data.get("principals") or {}).items()},
        )

    def save(self, path: Path) -> None:
        _write_private(
            path,
            json.dumps({"credentials": self.credentials, "principals": self.principals}, indent=1),
        )


class RevocationWatcher:
    """The revocation list as a worker sees it: re-read whenever the file
    changes (one stat per check), so a revocation takes effect at once,
    without a restart."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: int | None = None
        self.current = Revocations()
        self.refresh()

    def refresh(self) -> Revocations:
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            self.current, self._stamp = Revocations(), None
            return self.current
        if stamp != self._stamp:
            self.current = Revocations.load(self.path)
            self._stamp = stamp
        return self.current


def record_issued(settings: Settings, claims: Claims) -> None:
    path = register_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as handle:
        handle.write(
            json.dumps(
                {
                    "jti": claims.jti,
                    "sub": claims.sub,
                    "iat": claims.iat,
                    "exp": claims.exp,
                    "scopes": list(claims.scopes),
                }
            )
            + "\n"
        )


def issued(settings: Settings) -> list[dict[str, Any]]:
    rows = []
    with contextlib.suppress(FileNotFoundError):
        for line in register_path(settings).read_text().splitlines():
            with contextlib.suppress(ValueError):
                rows.append(json.loads(line))
    return rows


def load_credential(settings: Settings) -> Credential | None:
    """This user's credential: ``BATON_CREDENTIAL`` (a token or a file path),
    else ``$BATON_HOME/credential``; None when there is none."""
    value = settings.credential
    source = "BATON_CREDENTIAL"
    if value is None or not value.startswith("baton-cred."):
        path = Path(value).expanduser() if value else credential_path(settings)
        source = str(path)
        try:
            value = path.read_text().strip()
        except FileNotFoundError:
            if settings.credential:
                raise ConfigError(f"BATON_CREDENTIAL: no such file {path}") from None
            return None
        except OSError as exc:
            raise ConfigError(f"cannot read the credential {path}: {exc.strerror}") from None
    try:
        return Credential.parse(value)
    except CredentialError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def save_credential(settings: Settings, credential: Credential) -> Path:
    path = credential_path(settings)
    _write_private(path, credential.token() + "\n")
    return path
