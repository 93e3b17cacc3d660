"""The one agent launcher: resolve an agent, check its program, build its
command line and run it with its task. Used by ``task`` steps, project phases
and (synchronously, before a project compiles) the planner."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..agents import missing_program_message, resolve_agent
from ..config import AgentConfig, BatonFile
from ._support import OutputLog, ProcessResult, base_env, non_retryable, run_process_group
from .types import ActionRequest


def agent_argv(agent: AgentConfig, prompt: str) -> list[str]:
    """The agent's command with ``{prompt}`` filled in (an argv: no shell)."""
    return [part.replace("{prompt}", prompt) for part in agent.command]


def runnable_agent(name: str, baton_file: BatonFile) -> AgentConfig:
    """The agent called ``name``, whose program is on this machine, or a
    non-retryable failure saying how to configure it."""
    agent = resolve_agent(name, baton_file)
    if agent is None:
        where = str(baton_file.path) if baton_file.path else "baton.yaml"
        raise non_retryable(
            f"agent {name!r} is not configured on this worker; add it to {where}:\n"
            f'agents:\n  {name}:\n    command: ["your-agent-cli", "--print", "{{prompt}}"]',
            "AgentNotConfigured",
        )
    missing = missing_program_message(agent, baton_file)
    if missing:
        raise non_retryable(missing, "AgentNotInstalled")
    return agent


async def launch_agent(
    agent: AgentConfig,
    request: ActionRequest,
    *,
    prompt: str,
    task: dict[str, Any],
    cwd: str | None,
    extra_env: dict[str, str] | None = None,
    output_log: OutputLog | None = None,
    on_start: Callable[[int], None] | None = None,
) -> ProcessResult:
    """Run the agent in its own process group: the task as JSON on stdin and
    in ``BATON_TASK``, Baton's step variables and the agent's own ``env``."""
    task_json = json.dumps(task)
    return await run_process_group(
        agent_argv(agent, prompt),
        stdin=task_json,
        env={**base_env(request), **agent.env, "BATON_TASK": task_json, **(extra_env or {})},
        cwd=cwd,
        timeout_seconds=request.timeout_seconds,
        on_start=on_start,
        output_log=output_log,
    )
