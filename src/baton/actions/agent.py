"""``task``: hand the step's task to its agent, a command-line program
configured under ``agents:`` in baton.yaml."""

from __future__ import annotations

import json
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from ..agents import missing_program_message, resolve_agent
from ..config import BatonFile
from ._support import (
    base_env,
    error_tail,
    heartbeating,
    non_retryable,
    process_output,
    run_process_group,
)
from .types import ActionRequest


def task_prompt(request: ActionRequest) -> str:
    action = dict(request.action)
    action.pop("type", None)
    description = action.pop("description", None) or f"Task for step {request.step_id}"
    lines = [description]
    if action:
        lines.append("")
        lines.append("Parameters:")
        lines.extend(f"- {key}: {json.dumps(value)}" for key, value in action.items())
    return "\n".join(lines)


class AgentTaskAction:
    def __init__(self, baton_file: BatonFile) -> None:
        self._baton_file = baton_file
        self._source = str(baton_file.path) if baton_file.path else "baton.yaml"

    @activity.defn(name="baton.task")
    async def run_task(self, request: ActionRequest) -> Any:
        agent_name = request.agent_type or ""
        agent = resolve_agent(agent_name, self._baton_file)
        if agent is None:
            raise non_retryable(
                f"agent {agent_name!r} is not configured on this worker; add it to {self._source}:\n"
                f'agents:\n  {agent_name}:\n    command: ["your-agent-cli", "--print", "{{prompt}}"]',
                "AgentNotConfigured",
            )
        missing = missing_program_message(agent, self._baton_file)
        if missing:
            raise non_retryable(missing, "AgentNotInstalled")
        prompt = request.action.get("prompt") or task_prompt(request)
        task = {
            "workflow_id": request.workflow_id,
            "step_id": request.step_id,
            "phase": request.phase,
            "prompt": prompt,
            "action": request.action,
            "context": request.context,
        }
        argv = [part.replace("{prompt}", prompt) for part in agent.command]
        task_json = json.dumps(task)
        async with heartbeating():
            result = await run_process_group(
                argv,
                stdin=task_json,
                env={**base_env(request), **agent.env, "BATON_TASK": task_json},
                cwd=request.action.get("cwd"),
                timeout_seconds=request.timeout_seconds,
            )
        if result.exit_code != 0:
            raise ApplicationError(
                f"agent {agent_name} exited with {result.exit_code}: {error_tail(result.stderr or result.stdout)}",
                type="AgentFailed",
            )
        return process_output(result)
