"""Process analytics from runs' status documents (docs/operations.md,
"Analytics"): per definition and per step — success rate, duration p50/p95,
throughput, retries, error types, where time goes (working vs waiting, the
slowest steps) — and the discovered process map (a directly-follows graph
with frequencies and durations). Pure functions over documents; reading them
from the server is :func:`load_runs`."""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import BatonError
from .health import parse_time, seconds_between

if TYPE_CHECKING:
    from ..runtime.client import TemporalWorkflowClient

SUCCESS = ("COMPLETED", "APPROVED")
# what a person or an event is waited for, rather than worked on
WAITING_ACTION_TYPES = ("approval", "human_approval", "gate")
WAITING_KINDS = ("wait",)
START, END = "▶", "■"


async def load_runs(
    client: TemporalWorkflowClient,
    *,
    name: str | None = None,
    since: datetime | None = None,
    limit: int = 1000,
    skipped: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The status documents of ended runs (of the definition ``name``, ended
    after ``since``), newest first; the ids of runs that could not be read
    (gone, or encrypted with a key this client lacks) go to ``skipped``."""
    query = "ExecutionStatus != 'Running'"
    if name is not None:
        query += " AND BatonName = '" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if since is not None:
        query += f" AND CloseTime > '{since.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}'"
    rows = await client.list_runs(limit=limit, query=query)
    documents = []
    for row in rows:
        try:
            documents.append(await client.status(row["workflow_id"]))
        except BatonError:
            if skipped is not None:
                skipped.append(row["workflow_id"])
    return documents


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return round(ordered[index], 3)


def _summary(values: list[float]) -> dict[str, float | None]:
    return {
        "p50": _percentile(values, 0.5),
        "p95": _percentile(values, 0.95),
        "mean": round(statistics.fmean(values), 3) if values else None,
    }


def error_type(detail: str) -> str:
    """An error message reduced to its kind, so like errors count together:
    the text before the first ':' with numbers, ids and URLs' paths blurred."""
    head = re.sub(r"[a-z][a-z+.-]*://[^\s]+", "<url>", detail)
    head = head.split(":", 1)[0]
    head = re.sub(r"\b\d+(\.\d+)?\b", "<n>", head)
    head = re.sub(r"'[^']*'", "'…'", head)
    return head.strip()[:120] or "error"


def _step_name(step: dict[str, Any]) -> str:
    return str(step.get("node_id") or step["step_id"])


@dataclass
class _StepStats:
    durations: list[float]
    attempts: list[int]
    outcomes: Counter[str]
    waiting: bool


def analyze(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """Statistics per definition name, each with its steps'."""
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for doc in documents:
        by_name[str(doc.get("name") or doc.get("stage") or "?")].append(doc)
    return {
        "definitions": {name: _definition(runs) for name, runs in sorted(by_name.items())},
        "runs": len(documents),
    }


def _definition(runs: list[dict[str, Any]]) -> dict[str, Any]:
    statuses = Counter(str(r.get("status")) for r in runs)
    durations = [
        d
        for r in runs
        if (d := seconds_between(r.get("started_at") or r.get("requested_at"), r.get("closed_at")))
        is not None
    ]
    starts = [t for r in runs if (t := parse_time(r.get("started_at"))) is not None]
    span_hours = (max(starts) - min(starts)).total_seconds() / 3600 if len(starts) > 1 else 0.0
    steps: dict[str, _StepStats] = {}
    errors: Counter[str] = Counter()
    working = waiting = 0.0
    for run in runs:
        for entry in run.get("audit") or []:
            if entry.get("event") in ("forward_attempt_failed", "compensation_attempt_failed"):
                errors[error_type(str(entry.get("detail") or ""))] += 1
        for step in run.get("steps") or []:
            stats = steps.setdefault(
                _step_name(step),
                _StepStats(
                    [],
                    [],
                    Counter(),
                    step.get("action_type") in WAITING_ACTION_TYPES
                    or step.get("kind") in WAITING_KINDS,
                ),
            )
            stats.outcomes[str(step.get("status"))] += 1
            if step.get("attempts"):
                stats.attempts.append(int(step["attempts"]))
            took = seconds_between(step.get("started_at"), step.get("completed_at"))
            if took is not None and step.get("status") == "COMPLETED":
                stats.durations.append(took)
            if took is not None:
                if stats.waiting:
                    waiting += took
                else:
                    working += took
    step_rows: dict[str, dict[str, Any]] = {
        name: {
            "runs": sum(s.outcomes.values()),
            "success_rate": round(
                s.outcomes.get("COMPLETED", 0) / max(1, sum(s.outcomes.values())), 4
            ),
            "outcomes": dict(s.outcomes),
            "duration_seconds": _summary(s.durations),
            "retries": sum(a - 1 for a in s.attempts),
            "waiting": s.waiting,
        }
        for name, s in steps.items()
    }
    medians = {name: _summary(s.durations)["p50"] for name, s in steps.items()}
    slowest = sorted(
        ((name, p50) for name, p50 in medians.items() if p50 is not None),
        key=lambda item: -item[1],
    )[:5]
    return {
        "runs": len(runs),
        "success_rate": round(sum(statuses[s] for s in SUCCESS) / max(1, len(runs)), 4),
        "by_status": dict(statuses),
        "duration_seconds": _summary(durations),
        "throughput_per_hour": round(len(runs) / span_hours, 3) if span_hours else None,
        "retries": sum(row["retries"] for row in step_rows.values()),
        "errors": dict(errors.most_common(10)),
        "time": {
            "working_seconds": round(working, 3),
            "waiting_seconds": round(waiting, 3),
            "waiting_share": round(waiting / (working + waiting), 4) if working + waiting else None,
        },
        "slowest_steps": [{"step": name, "p50_seconds": p50} for name, p50 in slowest],
        "steps": step_rows,
    }


def process_map(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """The directly-follows graph: nodes are steps (with how often they ran),
    edges how often one step was directly followed by another in a run
    (ordered by start time) and the mean seconds between the first's end and
    the second's start; ``▶`` and ``■`` are the runs' start and end."""
    nodes: Counter[str] = Counter()
    edges: dict[tuple[str, str], list[float]] = defaultdict(list)
    for doc in documents:
        trace = sorted(
            (s for s in doc.get("steps") or [] if parse_time(s.get("started_at")) is not None),
            key=lambda s: (s["started_at"], s.get("completed_at") or ""),
        )
        previous_name, previous_end = START, parse_time(doc.get("started_at"))
        for step in trace:
            name = _step_name(step)
            nodes[name] += 1
            started = parse_time(step["started_at"])
            gap = (
                (started - previous_end).total_seconds()
                if started is not None and previous_end is not None
                else 0.0
            )
            edges[(previous_name, name)].append(max(0.0, gap))
            previous_name = name
            previous_end = parse_time(step.get("completed_at")) or started
        ended = parse_time(doc.get("closed_at"))
        if trace and ended is not None:
            gap = (ended - previous_end).total_seconds() if previous_end is not None else 0.0
            edges[(previous_name, END)].append(max(0.0, gap))
    return {
        "nodes": [{"step": name, "count": count} for name, count in nodes.most_common()],
        "edges": [
            {
                "from": a,
                "to": b,
                "count": len(gaps),
                "mean_gap_seconds": round(statistics.fmean(gaps), 3),
            }
            for (a, b), gaps in sorted(edges.items(), key=lambda item: -len(item[1]))
        ],
    }
