"""What will not work as written, though a definition is valid: warnings
shown by ``baton validate``/``baton run`` and returned by MCP starts."""

from __future__ import annotations

from ..config import Settings
from ..plan.approval import ApprovalSpec
from ..plan.model import Plan


def definition_warnings(compiled: Plan | ApprovalSpec, settings: Settings) -> list[str]:
    """Checked against this machine's settings: workers usually share them
    (always with the embedded server), but the worker's own are what count."""
    found = []
    if isinstance(compiled, ApprovalSpec):
        callback_urls = [compiled.callback_url]
    else:
        callback_urls = [
            step.action.get("spec", {}).get("callback_url")
            for step in compiled.steps
            if step.action.get("type") == "approval"
        ]
    if any(callback_urls) and not settings.callback_secret:
        found.append(
            "callback_url is set but BATON_CALLBACK_SECRET is not: workers sign callbacks with "
            "it, so a worker without it fails the callback when the approval ends"
        )
    return found
