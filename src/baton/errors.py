"""Baton's exception tree.

Every error Baton raises on purpose derives from :class:`BatonError`, so callers
(the CLI, the MCP server) can show its message instead of a traceback. Each
class carries how the CLI reports it (``label``, ``exit_code``) and how MCP
prefixes it, so each adapter maps errors in one lookup::

    BatonError                   exit 1
    ├── DefinitionError          exit 2  a definition is invalid (lists every issue)
    ├── ConfigError              exit 2  baton.yaml or an environment variable is invalid
    ├── ServerError              exit 3  the Temporal server cannot be started, reached or used
    │   └── NotConnectedError    exit 3  the client was used before connect()
    ├── WorkflowNotFoundError    exit 1  no workflow with that id (alias WorkflowNotFound)
    ├── RunAlreadyExistsError    exit 1  a run with that id is already running
    ├── RunNotRunningError       exit 1  the run is not running (nothing to cancel)
    ├── NotAnApprovalError       exit 1  the id names a run that is not an approval
    ├── EventNotDeliveredError   exit 1  no run waits for an event sent without a run id
    ├── EventRefusedError        exit 1  the run (or Baton) refused the event (not a CloudEvent, run ended)
    ├── ScheduleNotFoundError    exit 1  no schedule with that name
    ├── ScheduleExistsError      exit 1  a schedule with that name exists already
    ├── PoolNotFoundError        exit 1  no run has used a resource pool of that name
    ├── InvalidRequestError      exit 2  a request that cannot be answered as asked (a bad cron, time zone, query)
    ├── UnsupportedError         exit 2  a valid request for something Baton does not do (yet)
    └── CheckpointError          exit 1  a checkpoint cannot be saved, read or stored where asked

Third-party errors are translated at the boundary with ``raise ... from exc``.
"""

from __future__ import annotations

from dataclasses import dataclass

# A definition with thousands of problems is reported by its first ones.
MAX_REPORTED_ISSUES = 50


class BatonError(Exception):
    """Base class of every error Baton raises on purpose."""

    exit_code = 1  # the `baton` command's exit code
    label = "error:"  # how the CLI introduces the message
    mcp_prefix = ""  # how an MCP tool error introduces it


@dataclass(frozen=True)
class Issue:
    """One problem in a definition: where (a field path such as
    ``steps[1].forward_action.url``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class DefinitionError(BatonError):
    """A definition is invalid. ``issues`` lists every problem found, each with
    its field path; ``source`` names the file (or ``<dict>``)."""

    exit_code = 2
    label = "invalid definition\n"
    mcp_prefix = "invalid definition:\n"

    def __init__(self, source: str, issues: list[Issue]) -> None:
        self.source = source
        self.issues = list(issues)
        lines = [f"{source}: {issue}" for issue in self.issues[:MAX_REPORTED_ISSUES]]
        if len(self.issues) > MAX_REPORTED_ISSUES:
            lines.append(
                f"{source}: ... and {len(self.issues) - MAX_REPORTED_ISSUES} more problems "
                "(fix these first)"
            )
        super().__init__("\n".join(lines))


class ConfigError(BatonError):
    """Configuration (baton.yaml, environment variables) is invalid."""

    exit_code = 2
    label = "invalid configuration:"


class ServerError(BatonError):
    """The Temporal server cannot be started, reached or used."""

    exit_code = 3
    label = "server:"


class NotConnectedError(ServerError):
    """The client was used before ``await client.connect()``."""


class WorkflowNotFoundError(BatonError):
    """No workflow with the given id exists in the namespace."""

    def __init__(self, workflow_id: str) -> None:
        self.workflow_id = workflow_id
        super().__init__(f"no workflow with id {workflow_id!r}; `baton list` shows the ids")


WorkflowNotFound = WorkflowNotFoundError  # the name before 0.2


class RunAlreadyExistsError(BatonError):
    """A run (or approval) with that id is already running."""


class RunNotRunningError(BatonError):
    """The run has ended; there is nothing to cancel."""


class NotAnApprovalError(BatonError):
    """The id names a run that is not an approval."""


class EventNotDeliveredError(BatonError):
    """An event sent without a run id found no run waiting for its type."""


class EventRefusedError(BatonError):
    """An event was refused: not a CloudEvent, or the run takes no more."""


class UnsupportedError(BatonError):
    """A well-formed request for something Baton does not support."""

    exit_code = 2


class InvalidRequestError(BatonError):
    """A request that cannot be answered as asked (a list's query or page
    token the server refuses, a filter out of range); the message says why."""

    exit_code = 2


class ScheduleNotFoundError(BatonError):
    """No schedule with the given name exists in the namespace."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no schedule named {name!r}; `baton schedule list` shows the names")


class PoolNotFoundError(BatonError):
    """No run has acquired from a resource pool of that name (docs/pools.md)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"no pool {name!r} in use: pools start when a run first acquires from them; "
            "`baton pools` lists those in use"
        )


class ScheduleExistsError(BatonError):
    """A schedule with that name exists already."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"a schedule named {name!r} exists already; choose another name, or "
            f"`baton schedule update {name} FILE` to change it (`baton schedule delete {name}` "
            "removes it)"
        )


class CheckpointError(BatonError):
    """A checkpoint cannot be saved (a value that cannot be stored without
    pickle), read (a damaged or foreign file) or kept where asked (a store
    the worker's policy does not allow, an unreachable store). ``retryable``:
    whether trying again may help (a store that could not be reached)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
