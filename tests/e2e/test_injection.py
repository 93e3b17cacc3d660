"""Hostile values from an upstream step never become code: in every
placeholder position of a script they stay data, in a URL they stay one
encoded segment, and a header value with a line break is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.sagas import api, saga, script, step

pytestmark = pytest.mark.asyncio(loop_scope="session")


def hostile(marker: Path) -> dict[str, str]:
    return {
        "cmd": f"$(touch {marker})",
        "tick": f"`touch {marker}`",
        "quote": f"'; touch {marker}; echo '",
        "dquote": f'"; touch {marker}; echo "',
        "path": "../admin?x=1#frag",
    }


async def test_script_placeholders_are_data_in_every_position(baton, tmp_path):
    marker = tmp_path / "pwned"
    values = hostile(marker)
    upstream = script("cat <<'JSON'\n" + json.dumps(values) + "\nJSON")
    uses = [
        'echo "bare: "{cmd}',
        'echo "double: {cmd} {tick} {dquote}"',
        "echo 'single: {quote}'",
        "echo plain {quote} {dquote} {tick}",
        "printf '%s\\n' {cmd}  # don't {cmd}",
    ]
    definition = saga(
        step("upstream", upstream),
        *[step(f"use{i}", script(text), dependencies=["upstream"]) for i, text in enumerate(uses)],
    )
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPLETED", result.get("failure")
    assert not marker.exists()
    out = {s["step_id"]: s["output"]["stdout"] for s in result["steps"][1:]}
    assert out["use0"] == f"bare: $(touch {marker})\n"
    assert out["use1"] == f'double: $(touch {marker}) `touch {marker}` "; touch {marker}; echo "\n'
    assert out["use2"] == f"single: '; touch {marker}; echo '\n"
    assert out["use3"] == (
        f"plain '; touch {marker}; echo ' \"; touch {marker}; echo \" `touch {marker}`\n"
    )
    assert out["use4"] == f"$(touch {marker})\n"


async def test_url_placeholders_are_encoded_and_headers_checked(baton, services, tmp_path):
    values = hostile(tmp_path / "x")
    upstream = script(
        "cat <<'JSON'\n" + json.dumps({**values, "nl": "a\r\nX-Injected: 1"}) + "\nJSON"
    )
    definition = saga(
        step("upstream", upstream),
        step("hook", api(f"{services.url}/hooks/{{path}}"), dependencies=["upstream"]),
    )
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPLETED", result.get("failure")
    (call,) = [c for c in services.state.calls if c.path.startswith("/hooks/")]
    assert call.path == "/hooks/..%2Fadmin%3Fx%3D1%23frag"

    definition = saga(
        step("upstream", upstream),
        step(
            "header",
            {**api(f"{services.url}/hooks/h"), "headers": {"X-User": "{nl}"}},
            dependencies=["upstream"],
        ),
    )
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPENSATED"
    assert "header 'X-User' holds a line break" in result["steps"][1]["error"]
