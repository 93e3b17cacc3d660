"""Agents are command-line programs. Built-in templates run Claude Code,
Aider and Codex in their documented non-interactive modes; ``agents:`` in
baton.yaml overrides them or adds others. ``{prompt}`` in an argument is
replaced by the task's prompt; the task is also on stdin as JSON."""

from __future__ import annotations

import shutil

from .config import AgentConfig, BatonFile

BUILTIN_AGENTS: dict[str, list[str]] = {
    # claude -p: print mode, runs once and exits; acceptEdits lets it write files
    "CLAUDE": ["claude", "-p", "{prompt}", "--permission-mode", "acceptEdits"],
    # aider --message: one instruction, then exit; Baton commits, not aider
    "AIDER": ["aider", "--yes-always", "--no-auto-commits", "--message", "{prompt}"],
    # codex exec: non-interactive; full-auto allows edits in the workspace
    "CODEX": ["codex", "exec", "--full-auto", "{prompt}"],
}


def resolve_agent(name: str, baton_file: BatonFile) -> AgentConfig | None:
    """baton.yaml first, then the built-in template; None if neither knows it."""
    if name in baton_file.agents:
        return baton_file.agents[name]
    if name.upper() in BUILTIN_AGENTS:
        return AgentConfig(name=name.upper(), command=list(BUILTIN_AGENTS[name.upper()]))
    return None


def known_agent(name: str, baton_file: BatonFile) -> bool:
    return resolve_agent(name, baton_file) is not None


def missing_program_message(agent: AgentConfig, baton_file: BatonFile) -> str | None:
    """Why this agent cannot run on this machine, or None if its program is there."""
    program = agent.command[0]
    if shutil.which(program):
        return None
    where = str(baton_file.path) if baton_file.path else "baton.yaml"
    return (
        f"agent {agent.name}: program {program!r} is not installed on this machine; install it, "
        f'or set agents.{agent.name}.command in {where} (for example command: ["my-agent", "{{prompt}}"])'
    )
