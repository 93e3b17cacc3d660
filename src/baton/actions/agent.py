"""``task``: hand the step's task to its agent, a command-line program
configured under ``agents:`` in baton.yaml."""

from __future__ import annotations

import json
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from ..config import BatonFile
from ._agents import launch_agent, runnable_agent
from ._support import error_tail, heartbeating, process_output
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
        agent = runnable_agent(request.agent_type or "", self._baton_file)
        prompt = request.action.get("prompt") or task_prompt(request)
        task = {
            "workflow_id": request.workflow_id,
            "step_id": request.step_id,
            "phase": request.phase,
            "prompt": prompt,
            "action": request.action,
            "context": request.context,
        }
        async with heartbeating():
            result = await launch_agent(
                agent, request, prompt=prompt, task=task, cwd=request.action.get("cwd")
            )
        if result.exit_code != 0:
            raise ApplicationError(
                f"agent {agent.name} exited with {result.exit_code}: "
                f"{error_tail(result.stderr or result.stdout)}",
                type="AgentFailed",
            )
        return process_output(result)
