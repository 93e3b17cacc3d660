"""Builders for saga definitions used across tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def api(url: str, method: str = "POST", payload: Any = None) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "api_call", "url": url, "method": method}
    if payload is not None:
        action["payload"] = payload
    return action


def script(text: str) -> dict[str, Any]:
    return {"type": "script", "script": text}


def step(
    step_id: str, forward: dict[str, Any], compensation: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {"step_id": step_id, "name": step_id, "forward_action": forward}
    if compensation is not None:
        data["compensation_action"] = compensation
    data.update(extra)
    return data


def saga(*steps: dict[str, Any], saga_id: str = "test-saga", **extra: Any) -> dict[str, Any]:
    return {"saga_id": saga_id, "name": saga_id, "steps": list(steps), **extra}


def seed_onboarding(services_url: str) -> dict[str, Any]:
    """The seed's onboarding saga, unchanged but for the hosts."""
    text = (EXAMPLES / "user_onboarding_saga.json").read_text()
    text = text.replace("https://auth.company.com", services_url)
    text = text.replace("https://billing.company.com", services_url)
    result: dict[str, Any] = json.loads(text)
    return result


def two_step_saga(url: str, saga_id: str) -> dict[str, Any]:
    """create_user (undone by a DELETE), then create_account (not undone)."""
    return saga(
        step(
            "create_user",
            api(f"{url}/users"),
            api(f"{url}/users/{{create_user.user_id}}", "DELETE"),
        ),
        step("create_account", api(f"{url}/accounts")),
        saga_id=saga_id,
    )
