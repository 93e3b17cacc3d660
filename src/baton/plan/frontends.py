"""Front ends: each definition kind is one pure compiler, registered here.

A front end recognises its documents and compiles a (validated) document into
what a run starts from — a :class:`Plan`, or an :class:`ApprovalSpec`. It does
no I/O: whatever needs the machine (running a planner agent, checking that a
repository exists, that agent programs are installed) is done by
``baton.runtime.documents`` before or after, and handed in through the
:class:`CompileContext`. A new kind (a process language, BPMN) is a new module
plus one line in ``FRONTENDS`` below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..config import BatonFile
from ..definitions.bpmn.bindings import Sidecar
from ..errors import DefinitionError, Issue
from .model import ApprovalSpec, Plan


class ProcessCatalog(Protocol):
    """Where ``run: workflow`` finds the processes it names (the runtime's
    :class:`~baton.definitions.catalog.DirectoryCatalog`)."""

    def find(self, namespace: str, name: str, version: str) -> tuple[dict[str, Any], str] | None:
        """The document at that reference (``latest``: the highest version)
        and where it came from."""
        ...

    def known(self) -> list[str]:
        """``namespace/name:version`` of every process there is."""
        ...

    def describe(self) -> str:
        """Where it looked, for messages."""
        ...

    def find_bpmn(self, process_id: str) -> tuple[Any, str] | None:
        """The BPMN model with a process of this id, and its file."""
        ...


@dataclass(frozen=True)
class CompileContext:
    """What a compiler may know besides the document."""

    source: str = "<dict>"  # the file (or argument) the document came from, for errors
    baton_file: BatonFile = field(default_factory=BatonFile)
    workspace_root: Path = Path("workspaces")  # projects: where phase worktrees go
    config: dict[str, Any] | None = None  # the seed's `config` argument, over the document's
    coordination_mode: str | None = None  # sagas: the seed's argument
    # projects: phases a planner agent proposed (run by the runtime), and why
    # they were (or were not) used
    planned_phases: list[Any] | None = None
    planning_note: str | None = None
    # processes: where `run: workflow` finds the processes it names (None: nowhere)
    processes: ProcessCatalog | None = None
    # where a definition finds the files it names (DMN models) after its own
    # directory: BATON_PROCESS_PATH
    search_path: tuple[Path, ...] = ()
    # BPMN: the bindings file beside the model (order.bpmn -> order.baton.yaml), as read
    bpmn_sidecar: Sidecar | None = None
    # sagas' run steps: the files of the definitions being compiled, the
    # outermost first (a child that runs one of them again is a cycle)
    definitions: tuple[str, ...] = ()


class Frontend(Protocol):
    kind: str

    def recognises(self, data: dict[str, Any]) -> bool:
        """Whether a document without ``kind:`` is one of these."""
        ...

    def compile(self, data: dict[str, Any], ctx: CompileContext) -> Plan | ApprovalSpec:
        """Validate and compile; raise :class:`DefinitionError` naming every problem."""
        ...


def _registry() -> dict[str, Frontend]:
    from .approval import APPROVAL
    from .bpmn import BPMN
    from .process import PROCESS
    from .project import PROJECT
    from .saga import SAGA

    frontends: tuple[Frontend, ...] = (SAGA, APPROVAL, PROJECT, PROCESS, BPMN)
    return {frontend.kind: frontend for frontend in frontends}


FRONTENDS: dict[str, Frontend] = _registry()
KINDS = tuple(FRONTENDS)


def detect_kind(data: dict[str, Any], source: str) -> str:
    """The document's kind: its ``kind`` key, else the front end that recognises it."""
    kind = data.get("kind")
    if kind is None:
        kind = next((k for k, f in FRONTENDS.items() if f.recognises(data)), None)
    if kind is None:
        raise DefinitionError(
            source,
            [
                Issue(
                    "kind",
                    f"cannot tell what kind of definition this is; add 'kind:' ({', '.join(KINDS)})",
                )
            ],
        )
    if kind == "sweep":
        # a sweep is its own workflow, not a plan (docs/sweeps.md)
        raise DefinitionError(
            source,
            [Issue("kind", "a sweep starts with `baton sweep FILE` (client.start_sweep)")],
        )
    if kind not in FRONTENDS:
        raise DefinitionError(
            source, [Issue("kind", f"unknown kind {kind!r}; supported: {', '.join(KINDS)}")]
        )
    return str(kind)


def compile_document(
    data: dict[str, Any], ctx: CompileContext, *, kind: str | None = None
) -> Plan | ApprovalSpec:
    """Compile a document of any registered kind (``kind``: only that one)."""
    if kind is None:
        kind = detect_kind(data, ctx.source)
    elif kind not in FRONTENDS:
        raise DefinitionError(
            ctx.source, [Issue("kind", f"unknown kind {kind!r}; supported: {', '.join(KINDS)}")]
        )
    elif data.get("kind") not in (None, kind):
        raise DefinitionError(
            ctx.source, [Issue("kind", f"expected a {kind} definition here, got {data['kind']!r}")]
        )
    return FRONTENDS[kind].compile(data, ctx)
