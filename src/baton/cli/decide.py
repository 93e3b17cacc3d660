"""``baton decide table.dmn --input JSON``: evaluate a DMN decision here,
without a server — the same evaluator a workflow runs.

Prints the decision's result as JSON; ``--json`` prints the whole
evaluation (result, every decision evaluated, the rules that matched per
decision table, warnings). Exit codes: 0 evaluated, 1 the decision failed
(a hit policy violated, an input of the wrong type), 2 the model or the
input is invalid.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from .common import json_argument, run_command


def decide(
    file: Path = typer.Argument(..., help="a DMN 1.1–1.5 model (.dmn)"),
    input_data: str = typer.Option(
        None, "--input", help="the inputs: a JSON object, or @file (JSON or YAML)"
    ),
    decision: str = typer.Option(
        None, "--decision", help="the decision's id or name; default: the one no other requires"
    ),
    as_json: bool = typer.Option(
        False, "--json", help="print the result, every decision and the matched rules as JSON"
    ),
) -> None:
    """Evaluate a decision of a DMN model with the given inputs."""
    inputs = json_argument(input_data, "--input")
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, dict):
        raise typer.BadParameter(
            "must be a JSON object of input names and values", param_hint="--input"
        )

    async def main() -> int:
        from ..decisions import evaluate_decision
        from ..definitions.dmn import read_dmn_file

        model = read_dmn_file(file)
        result = evaluate_decision(model, decision, inputs)
        document = result.to_dict() if as_json else result.value
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        for warning in result.warnings:
            sys.stderr.write(f"warning: {warning}\n")
        return 0

    raise typer.Exit(run_command(main()))
