"""The outbox (integrations.outbox): an event is kept once, each sink reads
from where it stopped, and what every sink took goes after a while."""

from __future__ import annotations

import time

from baton.integrations.lifecycle import cloud_event, event_type
from baton.integrations.outbox import Outbox


def event(n: int) -> dict:
    made = cloud_event(
        workflow_id="w",
        run_id="r",
        seq=n,
        kind="saga",
        name="s",
        audit_event="step_completed",
        at="2026-12-07T00:00:00+00:00",
        step_id="a",
    )
    assert made is not None
    return made


def test_each_sink_reads_on_from_where_it_stopped_and_a_repeat_is_kept_once(tmp_path):
    outbox = Outbox(tmp_path / "o.db")
    for n in (1, 2, 2, 3):
        outbox.append(event(n))
    first = outbox.after("a", limit=2)
    assert [e["id"] for _, e in first] == ["w/r/1", "w/r/2"]
    outbox.sent("a", first[-1][0])
    assert [e["id"] for _, e in outbox.after("a")] == ["w/r/3"]
    assert [e["id"] for _, e in outbox.after("b")] == ["w/r/1", "w/r/2", "w/r/3"]
    assert (outbox.pending("a"), outbox.pending("b")) == (1, 3)
    outbox.begin("new")  # a sink seen for the first time: from now on
    outbox.begin("a")  # (one already reading keeps its place)
    assert outbox.after("new") == [] and len(outbox.after("a")) == 1
    outbox.sent("b", outbox.after("b")[-1][0])
    outbox.prune(["a", "b"], keep_seconds=0)  # "a" has not taken w/r/3: it stays
    time.sleep(0.01)
    assert [e["id"] for _, e in outbox.after("a")] == ["w/r/3"]
    outbox.close()


def test_only_lifecycle_records_are_events():
    assert event_type("run_finished", "COMPENSATED") == "dev.baton.run.compensated"
    assert event_type("run_finished", "COMPLETED (all done)") == "dev.baton.run.completed"
    assert event_type("alert_sent", None) is None
    assert event_type("forward_attempt_started", None) == "dev.baton.step.started"
