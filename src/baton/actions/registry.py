"""Every action type, once: its name, its activity and what the rest of Baton
must know about it. Plain data (imported by workflow code).

A new action type is one executor module in ``baton.actions`` (and its
definition model in ``baton.definitions.actions`` when definitions may write
it) plus one line in ``ACTION_KINDS``. Derived from here: the activity names
the interpreter schedules, the action types definitions accept, which types
run code (the execution policy), which hand their run's context to an agent,
and how placeholders are filled in. ``tests/actions/test_registry.py`` checks
that the definition models and the worker's executors match it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActionKind:
    name: str  # the action's ``type`` in definitions and plans
    activity: str | None  # the activity that executes it; None: the engine does (a gate)
    # the definition supplies code the worker runs (execution policy)
    runs_code: bool = False
    # an agent program executes it: it gets the run's context, and its program
    # must be installed where the run starts
    agent: bool = False
    # placeholders are values everywhere; in this field they reach a shell as
    # environment variables (never as code)
    shell_field: str | None = None
    # in this field they are percent-encoded (a URL)
    url_field: str | None = None
    # written by compilers only, never in a definition (project workspaces)
    internal: bool = False
    # an approval gate: a child approval workflow, not an activity
    gate: bool = False
    # may run as a local activity when its step is short (plan/dispatch.py):
    # it needs no heartbeats to be seen alive and starts nothing that outlives it
    local: bool = False
    # a command to a service (choreography): its activity publishes the
    # command event, and the engine waits for the service's reply event
    command: bool = False


ACTION_KINDS: dict[str, ActionKind] = {
    kind.name: kind
    for kind in (
        ActionKind("api_call", "baton.api_call", url_field="url", local=True),
        ActionKind("script", "baton.script", runs_code=True, shell_field="script", local=True),
        ActionKind("python", "baton.python", runs_code=True, local=True),
        ActionKind("task", "baton.task", agent=True),
        ActionKind("approval", None, gate=True),
        ActionKind("command", "baton.command", command=True),
        # leases of a named resource pool shared by runs and workers (engine/pools.py)
        ActionKind("acquire", "baton.acquire"),
        ActionKind("release", "baton.release"),
        # the process language's calls (their fields computed by the compiler's templates)
        ActionKind("http", "baton.http", internal=True, local=True),
        ActionKind("openapi", "baton.openapi", internal=True, local=True),
        ActionKind("emit", "baton.emit", internal=True, local=True),
        ActionKind("mcp", "baton.mcp", internal=True, local=True),
        # an MCP server started on the worker: code the definition names
        ActionKind("mcp_stdio", "baton.mcp_stdio", runs_code=True, internal=True),
        # project plans
        ActionKind("workspace_prepare", "baton.workspace_prepare", internal=True),
        ActionKind("agent_phase", "baton.agent_phase", agent=True, internal=True),
        ActionKind("workspace_merge", "baton.workspace_merge", internal=True),
        ActionKind("workspace_discard", "baton.workspace_discard", internal=True),
        ActionKind("workspace_cleanup", "baton.workspace_cleanup", internal=True),
        ActionKind("workspace_land", "baton.workspace_land", internal=True),
    )
}

# derived
ACTIVITY_NAMES: dict[str, str] = {
    k.name: k.activity for k in ACTION_KINDS.values() if k.activity is not None
}
DEFINITION_TYPES = tuple(k.name for k in ACTION_KINDS.values() if not k.internal)
CODE_ACTIONS = tuple(k.name for k in ACTION_KINDS.values() if k.runs_code)
AGENT_ACTIONS = tuple(k.name for k in ACTION_KINDS.values() if k.agent)
GATE_ACTIONS = tuple(k.name for k in ACTION_KINDS.values() if k.gate)
COMMAND_ACTIONS = tuple(k.name for k in ACTION_KINDS.values() if k.command)
LOCAL_ACTIONS = tuple(k.name for k in ACTION_KINDS.values() if k.local)


def kind_of(action: dict[str, object]) -> ActionKind:
    """The registered kind of a plan action (a KeyError for an unknown type,
    which validation makes impossible)."""
    return ACTION_KINDS[str(action.get("type", ""))]
