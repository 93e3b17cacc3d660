"""Secret references: ``{{secrets.NAME}}`` in a definition is resolved here,
inside the activity, just before use — from ``BATON_SECRET_NAME`` in the
worker's environment, else from the file ``NAME`` in the worker's secrets
directory (``secrets_dir`` in baton.yaml, default ``$BATON_HOME/secrets``). The
workflow only ever holds the reference, so the value never enters history;
the values a step used are masked in its output and errors."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ._support import non_retryable

SECRET_REF = re.compile(r"\{\{secrets\.([A-Za-z_][A-Za-z0-9_]*)\}\}")
ENV_PREFIX = "BATON_SECRET_"


class SecretStore:
    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def value(self, name: str) -> str:
        found = os.environ.get(ENV_PREFIX + name)
        if found is not None:
            return found
        if self.directory is not None:
            path = self.directory / name
            try:
                return path.read_text().rstrip("\n")
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise non_retryable(
                    f"cannot read secret {name} from {path}: {exc.strerror}", "SecretMissing"
                ) from None
        where = f" or the file {self.directory / name}" if self.directory else ""
        raise non_retryable(
            f"secret {name!r} is not set on the worker: set {ENV_PREFIX}{name}{where}",
            "SecretMissing",
        )

    def resolve(self, value: Any, used: list[str]) -> Any:
        """``value`` with every ``{{secrets.NAME}}`` replaced; the values
        used are appended to ``used`` (to be masked afterwards)."""
        if isinstance(value, str):

            def substitute(match: re.Match[str]) -> str:
                secret = self.value(match.group(1))
                used.append(secret)
                return secret

            return SECRET_REF.sub(substitute, value)
        if isinstance(value, list):
            return [self.resolve(item, used) for item in value]
        if isinstance(value, dict):
            return {key: self.resolve(item, used) for key, item in value.items()}
        return value
