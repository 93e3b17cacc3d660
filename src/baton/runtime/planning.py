"""Running the planner agent before a project is compiled (a subprocess on
the machine that starts the run). The prompt and the checks on the answer are
pure, in ``baton.plan.planner``; the compiler gets the phases through its
CompileContext."""

from __future__ import annotations

import json
import os
import subprocess

from ..actions._agents import agent_argv
from ..agents import missing_program_message, resolve_agent
from ..config import BatonFile
from ..definitions.project import ProjectSpec
from ..plan.planner import PlannedPhase, json_in, planner_prompt, validate_plan_output

PLANNER_TIMEOUT_SECONDS = 600


def run_planner(
    spec: ProjectSpec, planner: str, baton_file: BatonFile, timeout: float = PLANNER_TIMEOUT_SECONDS
) -> tuple[list[PlannedPhase] | None, str]:
    """(phases, note). ``phases`` is None when the deterministic planner must
    be used instead; the note says why, or which planner produced the plan."""
    agent = resolve_agent(planner, baton_file)
    if agent is None:
        return None, f"planner agent {planner!r} is not configured; used the deterministic planner"
    missing = missing_program_message(agent, baton_file)
    if missing:
        return None, f"planner not run ({missing}); used the deterministic planner"
    prompt = planner_prompt(spec)
    argv = agent_argv(agent, prompt)
    try:
        done = subprocess.run(
            argv,
            input=json.dumps({"prompt": prompt, "spec": spec.model_dump()}),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=None if not agent.env else {**os.environ, **agent.env},
        )
    except subprocess.TimeoutExpired:
        return (
            None,
            f"planner {planner} gave no plan within {timeout:g}s; used the deterministic planner",
        )
    if done.returncode != 0:
        return None, (
            f"planner {planner} exited with {done.returncode}: {done.stderr.strip()[-300:]}; "
            "used the deterministic planner"
        )
    try:
        phases = validate_plan_output(json_in(done.stdout), spec, baton_file)
    except ValueError as exc:
        return None, f"planner {planner} output was invalid ({exc}); used the deterministic planner"
    return phases, f"phases planned by {planner}"
