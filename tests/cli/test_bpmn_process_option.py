"""``--process ID`` on ``baton validate``, ``baton graph`` and ``baton run``
picks one process of a BPMN model that has several."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import baton_cli

pytestmark = pytest.mark.asyncio(loop_scope="session")


def process(ident: str, route: str) -> str:
    return (
        f'<process id="{ident}" isExecutable="true"><startEvent id="{ident}_s"/>'
        f'<sequenceFlow id="{ident}_a" sourceRef="{ident}_s" targetRef="{ident}_t"/>'
        f'<scriptTask id="{ident}_t" scriptFormat="jq"><script>.route = "{route}"</script>'
        f'</scriptTask><sequenceFlow id="{ident}_b" sourceRef="{ident}_t" targetRef="{ident}_e"/>'
        f'<endEvent id="{ident}_e"/></process>'
    )


TWO = (
    '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
    f"{process('orders', 'orders')}{process('returns', 'returns')}</definitions>"
)


async def test_process_picks_one_of_a_models_processes(baton, tmp_path: Path):
    path = tmp_path / "two.bpmn"
    path.write_text(TWO)
    code, out, err = await baton_cli(baton.settings, "validate", str(path))
    assert code == 2
    assert (
        "the model has 2 processes (orders, returns) and 2 marked executable; "
        "say which one (--process ID)"
    ) in err
    code, out, err = await baton_cli(baton.settings, "validate", str(path), "--process", "returns")
    assert code == 0, err
    assert "valid" in out
    code, out, err = await baton_cli(baton.settings, "graph", str(path), "--process", "returns")
    assert code == 0, err
    assert "returns_t" in out and "orders_t" not in out
    code, out, err = await baton_cli(
        baton.settings, "run", str(path), "--process", "returns", "--json", "--input", "{}"
    )
    assert code == 0, err
    assert json.loads(out)["output"] == {"route": "returns"}
    code, out, err = await baton_cli(baton.settings, "validate", str(path), "--process", "nope")
    assert code == 2 and "no process 'nope'; the model has orders, returns" in err


async def test_process_is_refused_for_a_definition_that_is_no_bpmn_model(server_env):
    saga = Path(__file__).resolve().parents[2] / "examples" / "user_onboarding_saga.yaml"
    code, out, err = await baton_cli(server_env.settings, "validate", str(saga), "--process", "x")
    assert code == 2
    assert f"{saga}: --process: picks a process of a BPMN model; this is no BPMN model" in err
