"""Every word of the engine's vocabulary has a rendering: a status added to
the engine without a style, or an event kind without a text, fails here."""

from __future__ import annotations

import pytest

from baton.cli.render import EVENT_TEXT, STATUS_STYLE
from baton.engine.vocabulary import (
    ApprovalStatus,
    CompensationStatus,
    EventKind,
    RunStatus,
    SlaStatus,
    StepStatus,
    Word,
)


@pytest.mark.parametrize(
    "vocabulary", [RunStatus, StepStatus, CompensationStatus, ApprovalStatus, SlaStatus]
)
def test_every_status_has_a_style(vocabulary: type[Word]) -> None:
    assert [w for w in vocabulary if w not in STATUS_STYLE] == []


def test_every_event_kind_has_a_text() -> None:
    assert [e for e in EventKind if e not in EVENT_TEXT] == []


def test_words_are_their_values() -> None:
    import json

    assert f"{RunStatus.COMPLETED}" == "COMPLETED" == str(RunStatus.COMPLETED)
    assert json.dumps({"status": RunStatus.COMPLETED}) == '{"status": "COMPLETED"}'
    assert RunStatus.COMPLETED == "COMPLETED" and StepStatus.RUNNING == RunStatus.RUNNING


def test_every_word_is_documented() -> None:
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "status.md").read_text()
    words = [*RunStatus, *StepStatus, *CompensationStatus, *ApprovalStatus, *SlaStatus]
    assert [w for w in words if f"`{w.value}`" not in page] == []
    assert [e for e in EventKind if f"| `{e.value}` |" not in page] == []


def test_every_status_field_is_documented() -> None:
    """docs/status.md names every field of the status document."""
    from dataclasses import fields
    from pathlib import Path

    from baton.engine.state import AuditEvent, CompensationState, RunState, StepState

    page = (Path(__file__).resolve().parents[2] / "docs" / "status.md").read_text()
    names = {
        f.name for cls in (RunState, StepState, CompensationState, AuditEvent) for f in fields(cls)
    }
    assert (
        sorted(n for n in names | {"progress"} if f'"{n}"' not in page and f"`{n}`" not in page)
        == []
    )


def test_a_repeated_detail_is_named_never_cut_out():
    """The live view and `baton history` do not repeat a long error the run
    already printed, and never cut a short one (an id) out of a longer one."""
    from baton.cli.render import audit_line

    shown: list[str] = []
    error = "POST http://x/health returned 503: {'error': 'unhealthy'}"
    lines = [
        audit_line({"event": "step_failed", "step_id": "check", "detail": error}, shown),
        audit_line({"event": "step_failed", "step_id": "check", "detail": error}, shown),
        audit_line(
            {
                "event": "run_failed",
                "detail": f"critical step 'check' failed: {error} (gave up after 3 attempts)",
            },
            shown,
        ),
        audit_line({"event": "subprocess_started", "step_id": "a", "detail": "p.a"}, shown),
        audit_line({"event": "subprocess_started", "step_id": "a", "detail": "p.a.undo"}, shown),
    ]
    assert error in lines[0] and error not in lines[1]
    assert "critical step 'check' failed: (as above) (gave up after 3 attempts)" in lines[2]
    assert lines[4].endswith("p.a.undo[/]")
