"""Plans drawn as Mermaid and dot (`baton graph`)."""

from __future__ import annotations

from pathlib import Path

from baton.plan import compile_file
from baton.plan.graph import render
from tests.support.cli import baton_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_a_choice_is_drawn_with_its_conditions_and_the_end() -> None:
    text = render(compile_file(EXAMPLES / "patterns" / "wcp04-exclusive-choice.yaml"))
    assert text.startswith("flowchart TD\n")
    assert '{"choose (noop)"}' in text
    assert '-- ".amount < 100 / otherwise" -->' in text and '-- ".amount >= 100" -->' in text
    assert text.count("((end))") == 1


def test_scopes_are_subgraphs_and_sagas_draw_their_dependencies() -> None:
    dot = render(compile_file(EXAMPLES / "patterns" / "wcp19-cancel-task.yaml"), "dot")
    assert dot.startswith("digraph plan {") and dot.count("subgraph cluster_") == 3
    saga = render(compile_file(EXAMPLES / "microservice_deployment_saga.yaml"))
    assert saga.count(" --> ") == 5


async def test_baton_graph_prints_the_plan(server_env) -> None:
    code, out, err = await baton_cli(
        server_env.settings, "graph", str(EXAMPLES / "process_colors.yaml"), "--format", "dot"
    )
    assert code == 0, err
    assert '"/do/0/pick" -> "/do/1/setWarm"' in out
    code, out, err = await baton_cli(
        server_env.settings, "graph", str(EXAMPLES / "process_colors.yaml"), "--format", "png"
    )
    assert code == 2 and "must be one of mermaid, dot" in err
