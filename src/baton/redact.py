"""Keeping secrets out of what people and logs see: URL passwords, secret
query parameters, bearer tokens, and the values of secrets a step used are
replaced by ``***`` in errors, audit details and outputs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

MASK = "***"
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][\w+.-]*://[^:/@\s]*):(?P<secret>[^@/\s]+)@")
_SECRET_QUERY = re.compile(
    r"(?i)(?P<head>[?&;](?:api[_-]?key|apikey|key|token|access[_-]?token|auth|secret|"
    r"client[_-]?secret|password|passwd|pwd|sig|signature)=)(?P<secret>[^&#\s\"']+)"
)
_BEARER = re.compile(r"(?i)(?P<head>\b(?:bearer|token|basic)\s+)(?P<secret>[A-Za-z0-9._~+/=-]{8,})")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with credentials in URLs, secret query values, bearer tokens
    and each of ``secrets`` masked."""
    for value in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(value, MASK)
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}:{MASK}@", text)
    text = _SECRET_QUERY.sub(lambda m: f"{m['head']}{MASK}", text)
    return _BEARER.sub(lambda m: f"{m['head']}{MASK}", text)


def redact_value(value: Any, secrets: Iterable[str]) -> Any:
    """A JSON-like value with every occurrence of ``secrets`` masked."""
    wanted = [s for s in secrets if s and len(s) >= 4]
    if not wanted:
        return value
    text = json.dumps(value, default=str)
    if not any(s in text for s in wanted):
        return value
    masked = redact(text, wanted)
    try:
        return json.loads(masked)
    except ValueError:
        return masked


# headers an action's input may show as written (everything else is masked)
_PLAIN_HEADERS = {"accept", "content-type", "user-agent", "idempotency-key"}


def redact_action(value: Any) -> Any:
    """An action as people may see it (the dashboard's step inputs): request
    ``headers`` (but a few plain ones) and ``env`` values masked, and in every
    text credentials in URLs, secret query values and bearer tokens."""
    if isinstance(value, dict):
        shown: dict[str, Any] = {}
        for key, item in value.items():
            if key in ("headers", "env") and isinstance(item, dict):
                shown[key] = {
                    k: (redact_action(v) if str(k).lower() in _PLAIN_HEADERS else MASK)
                    for k, v in item.items()
                }
            else:
                shown[key] = redact_action(item)
        return shown
    if isinstance(value, list):
        return [redact_action(item) for item in value]
    if isinstance(value, str):
        return redact(value)
    return value
