"""Typed specs of the project-internal actions (written by the project
compiler, executed by ``baton.actions.workspace``). A plan keeps actions as
JSON dicts — the versioned wire format — and only these classes touch their
keys. Plain data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, TypeVar

S = TypeVar("S", bound="_Spec")


@dataclass(frozen=True)
class _Spec:
    TYPE: ClassVar[str]

    def to_action(self) -> dict[str, Any]:
        return {"type": self.TYPE, **asdict(self)}

    @classmethod
    def from_action(cls: type[S], action: dict[str, Any]) -> S:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in action.items() if k in known})


@dataclass(frozen=True)
class WorkspacePrepare(_Spec):
    """Create the project branch (from ``base_branch``, or the current one)
    and its worktree."""

    TYPE: ClassVar[str] = "workspace_prepare"
    repository: str
    project_branch: str
    project_worktree: str
    base_branch: str | None = None


@dataclass(frozen=True)
class AgentPhase(_Spec):
    """An agent works on one phase in its own workspace (a worktree on its own
    branch, with a repository; a plain directory without)."""

    TYPE: ClassVar[str] = "agent_phase"
    title: str
    phase_kind: str
    prompt: str
    workspace: str
    digest: str = ""
    repository: str | None = None
    branch: str | None = None
    project_branch: str | None = None


@dataclass(frozen=True)
class WorkspaceMerge(_Spec):
    """Merge a phase's branch into the project branch (trailers name the phase)."""

    TYPE: ClassVar[str] = "workspace_merge"
    repository: str
    branch: str
    project_branch: str
    project_worktree: str
    workspace: str
    title: str
    phase_id: str = ""
    digest: str = ""


@dataclass(frozen=True)
class WorkspaceDiscard(_Spec):
    """Undo a phase: remove its worktree and branch (or its directory)."""

    TYPE: ClassVar[str] = "workspace_discard"
    workspace: str
    repository: str | None = None
    branch: str | None = None


@dataclass(frozen=True)
class WorkspaceCleanup(_Spec):
    """At the end of a project: remove its own worktree."""

    TYPE: ClassVar[str] = "workspace_cleanup"
    repository: str
    project_worktree: str


@dataclass(frozen=True)
class WorkspaceLand(_Spec):
    """Merge the project branch into the base branch, in the repository."""

    TYPE: ClassVar[str] = "workspace_land"
    repository: str
    project_branch: str
    base: str
