"""Baton's exception tree.

Every error Baton raises on purpose derives from :class:`BatonError`, so callers
(the CLI, the MCP server) can show its message instead of a traceback::

    BatonError
    ├── DefinitionError      a definition file or dict is invalid (lists every issue)
    ├── ConfigError          baton.yaml or an environment variable is invalid
    ├── ServerError          the Temporal server cannot be started or reached
    ├── WorkflowNotFound     no workflow with that id
    └── UnsupportedError     a valid request for something Baton does not do (yet)

Third-party errors are translated at the boundary with ``raise ... from exc``.
"""

from __future__ import annotations

from dataclasses import dataclass

# A definition with thousands of problems is reported by its first ones.
MAX_REPORTED_ISSUES = 50


class BatonError(Exception):
    """Base class of every error Baton raises on purpose."""


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


class ServerError(BatonError):
    """The Temporal server cannot be started, reached or used."""


class WorkflowNotFound(BatonError):
    """No workflow with the given id exists in the namespace."""

    def __init__(self, workflow_id: str) -> None:
        self.workflow_id = workflow_id
        super().__init__(f"no workflow with id {workflow_id!r}; `baton list` shows the ids")


class UnsupportedError(BatonError):
    """A well-formed request for something Baton does not support."""
