"""The DMN TCK (``../shared/corpora/dmn-tck``, read in place): every result
node of every test case of the 28 level-2 folders and the 19 selected
level-3 folders, evaluated and compared with its expected value.

Outcomes per result node: **pass** (the expected value; or, where the TCK
expects an error, an error or null — counted apart as well); **fail** (a
wrong value); **refused**
(Baton said clearly why not: a model or expression it does not support, an
error where a value was expected). A crash — any exception that is not one
of Baton's — fails this test. The pass table in docs/dmn.md is exactly what
this run produces (``BATON_UPDATE_DOCS=1`` rewrites it).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from baton.decisions import DecisionError, evaluate_decision_values
from baton.definitions.dmn import read_dmn_file
from baton.errors import DefinitionError

from .tck import CORPUS, read_tests, same

DOC = Path(__file__).resolve().parents[2] / "docs" / "dmn.md"
BEGIN, END = "<!-- tck-table:begin -->", "<!-- tck-table:end -->"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no DMN TCK at {CORPUS}")


def run_folder(folder: Path) -> tuple[Counter[str], list[str]]:
    """Counts of pass/fail/refused for one folder, and what did not pass."""
    counts: Counter[str] = Counter()
    notes: list[str] = []
    tests = read_tests(next(folder.glob("*-test-01.xml")))
    nodes = sum(len(case.results) for case in tests)
    try:
        model = read_dmn_file(next(folder.glob("*.dmn")))
    except DefinitionError as exc:
        counts["refused"] += nodes
        notes.append(f"model refused: {str(exc).splitlines()[0]}")
        return counts, notes
    for case in tests:
        for node in case.results:
            outcome, detail = _evaluate(model, case.inputs, node)
            counts[outcome] += 1
            if outcome == "pass (error)":
                counts["pass"] += 1
            elif outcome != "pass":
                notes.append(f"{case.id} {node.name}: {outcome}: {detail}")
    return counts, notes


def _evaluate(model: dict[str, Any], inputs: dict[str, Any], node: Any) -> tuple[str, str]:
    try:
        value, _ = evaluate_decision_values(model, node.name, inputs)
    except DecisionError as exc:
        if node.error_result:
            return "pass (error)", ""
        return "refused", str(exc)[:300]
    if node.error_result:
        if value is None:
            return "pass (error)", ""
        return "fail", f"expected an error, got {value!r}"
    if same(value, node.expected):
        return "pass", ""
    return "fail", f"expected {node.expected!r}, got {value!r}"[:300]


def folders(level: str) -> list[Path]:
    return sorted(p for p in (CORPUS / level).iterdir() if p.is_dir())


def _cells(counts: Counter[str]) -> str:
    nodes = counts["pass"] + counts["fail"] + counts["refused"]
    parts = (nodes, counts["pass"], counts["pass (error)"], counts["fail"], counts["refused"])
    return " | ".join(str(p) for p in parts)


def render(results: dict[str, dict[str, Counter[str]]]) -> str:
    lines = []
    for level, title in (
        ("compliance-level-2", "Level 2"),
        ("compliance-level-3", "Level 3 (19 selected folders)"),
    ):
        rows = results[level]
        total: Counter[str] = Counter()
        lines += [
            f"**{title}**",
            "",
            "| folder | result nodes | pass | of which expected errors | fail | refused |",
            "|---|---|---|---|---|---|",
        ]
        for name, counts in rows.items():
            total.update(counts)
            lines.append(f"| `{name}` | {_cells(counts)} |")
        lines.append(
            "| **total** | " + " | ".join(f"**{c}**" for c in _cells(total).split(" | ")) + " |"
        )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


@pytest.fixture(scope="module")
def tck() -> dict[str, Any]:
    results: dict[str, dict[str, Counter[str]]] = {}
    notes: dict[str, list[str]] = {}
    for level in ("compliance-level-2", "compliance-level-3"):
        results[level] = {}
        for folder in folders(level):
            counts, folder_notes = run_folder(folder)
            results[level][folder.name] = counts
            notes[folder.name] = folder_notes
    return {"results": results, "notes": notes}


def test_every_level_2_result_passes(tck: dict[str, Any]) -> None:
    failing = {
        name: tck["notes"][name]
        for name, counts in tck["results"]["compliance-level-2"].items()
        if counts["pass"] != sum(counts.values())
    }
    assert failing == {}


def test_level_3_selection_runs_without_a_crash(tck: dict[str, Any]) -> None:
    rows = tck["results"]["compliance-level-3"]
    assert len(rows) == 19
    assert sum(c["pass"] for c in rows.values()) > 0


def test_the_pass_table_in_the_docs_is_this_run(tck: dict[str, Any]) -> None:
    table = render(tck["results"])
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    if os.environ.get("BATON_UPDATE_DOCS") == "1":
        DOC.write_text(text[:start] + "\n" + table + text[end:], encoding="utf-8")
        text = DOC.read_text(encoding="utf-8")
        start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    assert text[start:end] == "\n" + table
