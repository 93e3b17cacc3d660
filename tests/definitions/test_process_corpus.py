"""Every Serverless Workflow file of the corpus (the specification's examples
and invalid fixtures, the Java reference implementation's test workflows)
through Baton's reader and compiler: each is accepted or refused with a
definition error — never another exception — and the counts per reason are
the table in docs/processes.md. Files the official JSON Schema refuses,
Baton refuses too (the schema is read from the corpus: it is not shipped)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from baton.definitions.catalog import DirectoryCatalog
from baton.definitions.loader import read_document
from baton.errors import DefinitionError
from baton.plan.frontends import CompileContext, compile_document

ROOT = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "serverless-workflow"
DOC = Path(__file__).resolve().parents[2] / "docs" / "processes.md"

# the first issue's message -> the reason shown in docs/processes.md
REASONS = [
    (
        r"authentication '.*' is not supported",
        "refused: authentication other than basic and bearer",
    ),
    (r"uses run: container", "refused: run: container"),
    (r"runs .*, which is not in", "refused: runs a process that is not there"),
    (r"uses call: (grpc|asyncapi|a2a)", "refused: call: grpc, asyncapi or a2a (not yet)"),
    (r"uses call: ", "refused: call of a custom or catalog function"),
    (r"schedule is not supported", "refused: schedule"),
    (r"schema from an external resource", "refused: a schema from an external resource (not yet)"),
    (r"uses now, which reads the clock", "refused: an expression that reads the clock (now)"),
    (
        r"external source|arguments as a map",
        "refused: a script from a source, or arguments as a map (not yet)",
    ),
]
INVALID = "refused: not a valid workflow (shape)"


def corpus() -> list[Path]:
    files = sorted((ROOT / "examples").glob("*.yaml")) + sorted((ROOT / "invalid").glob("*.yaml"))
    samples = ROOT / "sdk-java-tests" / "workflows-samples"
    files += sorted(p for p in samples.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
    return files


def reason(path: Path) -> str:
    try:
        ctx = CompileContext(source=str(path), processes=DirectoryCatalog.for_source(str(path)))
        compile_document(read_document(path), ctx)
    except DefinitionError as exc:
        message = exc.issues[0].message
        return next((label for pattern, label in REASONS if re.search(pattern, message)), INVALID)
    return "accepted (runs)"


def documented() -> dict[str, int]:
    text = DOC.read_text()
    table = text.split("<!-- corpus-counts -->")[1].split("<!-- /corpus-counts -->")[0]
    rows = [
        line.strip().strip("|").split("|") for line in table.splitlines() if line.startswith("| ")
    ]
    return {label.strip(): int(count) for label, count in rows[1:]}


pytestmark = pytest.mark.skipif(not ROOT.is_dir(), reason=f"the corpus is not at {ROOT}")


def test_every_file_is_accepted_or_refused_as_docs_processes_md_counts() -> None:
    counts = Counter(reason(path) for path in corpus())
    assert dict(counts) == documented()


def test_the_invalid_fixtures_are_refused_naming_the_place() -> None:
    for path in sorted((ROOT / "invalid").glob("*.yaml")):
        assert reason(path) == INVALID, path


def test_what_the_official_schema_refuses_baton_refuses() -> None:
    import jsonschema

    schema = yaml.safe_load((ROOT / "schema" / "workflow.yaml").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    both_refuse = 0
    for path in corpus():
        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError:
            data = None
        if data is not None and validator.is_valid(data):
            continue
        assert reason(path) != "accepted (runs)", f"{path}: the schema refuses it, Baton accepts it"
        both_refuse += 1
    assert both_refuse >= 3
