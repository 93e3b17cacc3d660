"""``baton decide``: a DMN decision evaluated from the command line, in
process and as a user runs it (a subprocess). No server is involved."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from baton.cli.main import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dmn" / "loan_approval.dmn"
APPLICANT = {"Applicant Age": 35, "Credit Score": 710, "Loan Amount": 25000}


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["decide", *args])
    return result.exit_code, result.stdout, result.stderr


def test_prints_the_result_as_json() -> None:
    code, out, _ = invoke(str(EXAMPLE), "--input", json.dumps(APPLICANT))
    assert code == 0
    assert json.loads(out) == {"Status": "approved", "Limit": 50000}


def test_json_gives_every_decision_and_the_matched_rules() -> None:
    code, out, _ = invoke(
        str(EXAMPLE), "--input", json.dumps({**APPLICANT, "Credit Score": 650}), "--json"
    )
    assert code == 0
    document = json.loads(out)
    assert document["decision"] == "Loan Approval"
    assert document["result"] == {"Status": "referred", "Limit": None}
    assert document["decisions"]["Risk Category"] == "medium"
    assert [
        (m["decision"], m["hit_policy"], [r["id"] for r in m["rules"]]) for m in document["matched"]
    ] == [
        ("Risk Category", "UNIQUE", ["risk_medium"]),
        ("Loan Approval", "PRIORITY", ["refer_large"]),
    ]
    assert document["matched"][0]["rules"][0]["annotations"] == [
        "fair score, established applicant"
    ]


def test_a_decision_by_name_and_inputs_from_a_file(tmp_path: Path) -> None:
    inputs = tmp_path / "applicant.json"
    inputs.write_text(json.dumps(APPLICANT))
    code, out, _ = invoke(str(EXAMPLE), "--input", f"@{inputs}", "--decision", "Risk Category")
    assert code == 0 and json.loads(out) == "low"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["--input", '{"Applicant Age": 10, "Credit Score": 650}'],
            1,
            "decision failed: decision 'Risk Category' (line 7): the input 'Applicant Age' is 10, "
            "which is not one of its input values ([18..120])",
        ),
        (
            ["--input", '{"Credit Score": "high"}'],
            1,
            "input 'Credit Score' is a string, not a number",
        ),
        (
            ["--input", json.dumps(APPLICANT), "--decision", "Nope"],
            1,
            "the model has no decision 'Nope' (decisions: Risk Category, Loan Approval)",
        ),
        (["--input", "{bad"], 2, "is not valid JSON"),
        (["--input", "[1, 2]"], 2, "must be a JSON object"),
    ],
)
def test_failures_are_messages_with_exit_codes(args: list[str], code: int, message: str) -> None:
    exit_code, out, err = invoke(str(EXAMPLE), *args)
    assert exit_code == code
    assert message in " ".join((out + err).split())
    assert "Traceback" not in out + err


def test_a_bad_model_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.dmn"
    bad.write_text("<definitions>\n<decision>\n</definitions>\n")
    code, _, err = invoke(str(bad))
    assert code == 2
    assert f"{bad}: line 3, column" in err and "not well-formed XML" in err
    code, _, err = invoke(str(tmp_path / "missing.dmn"))
    assert code == 2 and "cannot read the file" in err


def test_as_a_subprocess() -> None:
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "baton.cli.main",
            "decide",
            str(EXAMPLE),
            "--input",
            json.dumps(APPLICANT),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"Status": "approved", "Limit": 50000}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "baton.cli.main",
            "decide",
            str(EXAMPLE),
            "--input",
            '{"Credit Score": true}',
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1
    assert "input 'Credit Score' is a boolean, not a number" in done.stderr
    assert "Traceback" not in done.stderr
