"""Checking workflow code against recorded runs before it is deployed
(docs/upgrades.md): Temporal's ``Replayer`` runs each recorded history on the
code at hand; a history the code would not reproduce command for command is a
run in flight the new code would break.

What is replayed is what a Baton worker runs: Baton's own workflows plus the
user's classes named as ``module:Class`` (``extra_workflows``). A history of a
workflow type outside that set is *skipped*, and said so; replaying nothing is
not a pass.
"""

from __future__ import annotations

import gc
import importlib
import json
import re
import sys
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError

if TYPE_CHECKING:
    from temporalio.client import WorkflowHistory
    from temporalio.converter import DataConverter

OK = "ok"
FAILED = "failed"  # the code does not reproduce the history (or fails on it)
SKIPPED = "skipped"  # no replayed workflow has the history's type
UNREADABLE = "unreadable"  # the file is not a Temporal history
# the SDK's failure is a Rust debug dump; its message is the part to show
_CORE_MESSAGE = re.compile(r'message: "((?:[^"\\]|\\.)*)"')
_NONDETERMINISM = re.compile(r"^\[(TMPRL\d+)\] Nondeterminism error: ")


@dataclass(frozen=True)
class ReplayOutcome:
    """What replaying one history file gave."""

    source: str  # the history file
    result: str  # ok | failed | skipped | unreadable
    workflow_id: str | None = None
    workflow_type: str | None = None
    detail: str = ""  # why it failed, was skipped or could not be read

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def passed(outcomes: Sequence[ReplayOutcome]) -> bool:
    """Whether a check passed: something replayed, and nothing failed or
    was unreadable (skipped histories do not fail it)."""
    return any(o.result == OK for o in outcomes) and not any(
        o.result in (FAILED, UNREADABLE) for o in outcomes
    )


def load_workflow_classes(specs: Iterable[str], search_path: Sequence[Path] = ()) -> list[type]:
    """The ``@workflow.defn`` classes named ``module:Class``, imported with
    ``search_path`` (the CLI gives the current directory) first on
    ``sys.path``. A name that is not one is a ConfigError saying which and
    why."""
    for directory in reversed(search_path):
        if str(directory) not in sys.path:
            sys.path.insert(0, str(directory))
    return [_workflow_class(spec) for spec in specs]


def _workflow_class(spec: str) -> type:
    from temporalio import workflow

    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ConfigError(
            f"--workflows {spec!r}: expected module:Class, such as app.orders:OrderWorkflow"
        )
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise ConfigError(
                f"--workflows {spec!r}: no module {module_name!r} on the Python path "
                "(the current directory, then installed packages); run from the directory "
                "your imports start from, or install your package"
            ) from None
        raise ConfigError(
            f"--workflows {spec!r}: importing {module_name!r} failed: {exc}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - any error of the user's module is reported
        raise ConfigError(
            f"--workflows {spec!r}: importing {module_name!r} failed: {type(exc).__name__}: {exc}"
        ) from None
    found: Any = module
    for part in attribute.split("."):
        if not hasattr(found, part):
            raise ConfigError(f"--workflows {spec!r}: module {module_name!r} has no {attribute!r}")
        found = getattr(found, part)
    # the SDK's own reading of @workflow.defn (what a Worker checks)
    if not isinstance(found, type) or workflow._Definition.from_class(found) is None:
        raise ConfigError(f"--workflows {spec!r}: {attribute} is not a @workflow.defn class")
    return found


def workflow_names(workflows: Iterable[type]) -> dict[str, type]:
    """The classes by their workflow type; two classes of one type is a
    ConfigError (a worker could not register both)."""
    from temporalio import workflow

    named: dict[str, type] = {}
    for cls in workflows:
        defn = workflow._Definition.from_class(cls)
        name = defn.name if defn is not None else None
        if name is None:
            continue  # a dynamic workflow takes any type: not offered to `baton replay`
        other = named.get(name)
        if other is not None and other is not cls:
            raise ConfigError(
                f"{_qualname(other)} and {_qualname(cls)} are both workflow type {name!r}: "
                "replay one version at a time"
            )
        named[name] = cls
    return named


def _qualname(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def history_files(directories: Iterable[Path] = (), files: Iterable[Path] = ()) -> list[Path]:
    """The ``*.json`` files of each directory (sorted) and the files given. A
    directory that is missing or holds none, or a missing file, is a
    ConfigError."""
    found: list[Path] = []
    for directory in directories:
        if not directory.is_dir():
            raise ConfigError(f"--histories {directory}: no such directory")
        listed = sorted(directory.glob("*.json"))
        if not listed:
            raise ConfigError(
                f"--histories {directory}: no .json history files in it "
                "(`baton export-histories DIR` writes them)"
            )
        found += listed
    for file in files:
        if not file.is_file():
            raise ConfigError(f"--history {file}: no such file")
        found.append(file)
    if not found:
        raise ConfigError("nothing to replay: give --histories DIR or --history FILE")
    return found


def read_history(path: Path) -> tuple[WorkflowHistory, str]:
    """A history file (Temporal's JSON: ``baton export-histories``, ``baton
    history ID --export``, ``temporal workflow show --output json``, the web
    UI's download) and its workflow type. ValueError says why a file is not
    one."""
    from temporalio.client import WorkflowHistory

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or not data.get("events"):
        raise ValueError("not a Temporal history (a JSON object with its `events`)")
    try:
        history = WorkflowHistory.from_json(path.stem, data)
    except Exception as exc:  # noqa: BLE001 - protobuf's parse errors vary
        raise ValueError(f"not a Temporal history: {exc}") from None
    first = history.events[0]
    if not first.HasField("workflow_execution_started_event_attributes"):
        raise ValueError("not a Temporal history: it does not begin with the run's start")
    started = first.workflow_execution_started_event_attributes
    if started.workflow_id:  # recent servers record it; else the file's name stands for it
        history = WorkflowHistory(started.workflow_id, history.events)
    return history, started.workflow_type.name


async def replay_files(
    paths: Sequence[Path],
    workflows: Sequence[type],
    *,
    data_converter: DataConverter | None = None,
) -> list[ReplayOutcome]:
    """Replay each history file on ``workflows`` (give Baton's own with
    :data:`~baton.runtime.worker.BATON_WORKFLOWS`), in order, one outcome
    per file. ``data_converter`` must decode what the workers encoded (the
    codec of ``BATON_CODEC_KEY``)."""
    from temporalio.converter import DataConverter
    from temporalio.runtime import Runtime, TelemetryConfig
    from temporalio.worker import Replayer

    named = workflow_names(workflows)
    outcomes: list[ReplayOutcome | None] = [None] * len(paths)
    pending: dict[int, tuple[int, WorkflowHistory, str]] = {}
    for index, path in enumerate(paths):
        try:
            history, workflow_type = read_history(path)
        except ValueError as exc:
            outcomes[index] = ReplayOutcome(str(path), UNREADABLE, detail=str(exc))
            continue
        if workflow_type not in named:
            outcomes[index] = ReplayOutcome(
                str(path),
                SKIPPED,
                history.workflow_id,
                workflow_type,
                f"no replayed workflow has type {workflow_type!r} "
                f"(replayed: {', '.join(sorted(named))})",
            )
            continue
        pending[id(history)] = (index, history, workflow_type)

    if pending:

        async def histories() -> AsyncIterator[WorkflowHistory]:
            for _, history, _ in pending.values():
                yield history

        # a runtime of its own, logging nothing: each failure is in its
        # outcome (the default runtime prints core's warnings on stdout)
        runtime = Runtime(telemetry=TelemetryConfig(logging=None))
        replayer = Replayer(
            workflows=list(named.values()),
            data_converter=data_converter or DataConverter.default,
            runtime=runtime,
        )
        try:
            async with replayer.workflow_replay_iterator(histories()) as results:
                async for replayed in results:
                    index, history, workflow_type = pending[id(replayed.history)]
                    failure = replayed.replay_failure
                    outcomes[index] = ReplayOutcome(
                        str(paths[index]),
                        OK if failure is None else FAILED,
                        history.workflow_id,
                        workflow_type,
                        "" if failure is None else describe_failure(failure),
                    )
        finally:
            # its threads stop before Python finalises (sdk-python issue 300)
            del replayer, runtime
            gc.collect()
    return [o for o in outcomes if o is not None]


def describe_failure(failure: BaseException) -> str:
    """One line for a replay failure: ``nondeterminism (TMPRL1100): what
    differs`` for a history the code does not reproduce, else the error."""
    from temporalio.workflow import NondeterminismError

    text = str(failure)
    found = _CORE_MESSAGE.search(text)
    if found:
        text = found.group(1).replace('\\"', '"')
    if isinstance(failure, NondeterminismError) or _NONDETERMINISM.match(text):
        code = _NONDETERMINISM.match(text)
        if code:
            return f"nondeterminism ({code.group(1)}): {text[code.end() :]}"
        return f"nondeterminism: {text}"
    return f"{type(failure).__name__}: {text}"
