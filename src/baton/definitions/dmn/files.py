"""Where definitions find the DMN models their decisions name — read when
a run is compiled, on the machine that starts it (the compiled model then
travels inside the plan, so workers never read a ``.dmn`` file).

- By file (saga and process steps: ``file: rules.dmn``): an absolute path
  as it is; a relative one in each directory in turn.
- By decision id (BPMN business-rule tasks): every ``*.dmn`` file of each
  directory in turn (not their subdirectories), the first model that has a
  decision of that id (or name).

The directories are the definition's own directory, then
``BATON_PROCESS_PATH``'s (:meth:`DecisionFiles.for_source`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import DefinitionError
from .reader import read_dmn_file

SUFFIX = ".dmn"
MAX_FILES = 500  # per directory


@dataclass
class DecisionFiles:
    """The DMN models in ``directories``, each read once."""

    directories: list[Path]
    _read: dict[Path, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def for_source(cls, source: str, extra: Iterable[Path] = ()) -> DecisionFiles:
        """The directories of a definition compiled from ``source``: its own
        (when it is a file; else the current directory), then ``extra``."""
        path = Path(source)
        own = path.resolve().parent if source != "<dict>" and path.is_file() else Path.cwd()
        directories = [own]
        for directory in extra:
            resolved = directory.expanduser().resolve()
            if resolved not in directories:
                directories.append(resolved)
        return cls(directories)

    def describe(self) -> str:
        return ", ".join(str(d) for d in self.directories)

    def read(self, path: Path) -> dict[str, Any]:
        """The compiled model of ``path`` (a DefinitionError when it cannot be read)."""
        path = path.resolve()
        if path not in self._read:
            self._read[path] = read_dmn_file(path)
        return self._read[path]

    def find(self, name: str) -> Path | None:
        """The file ``name`` in one of the directories: a relative path that
        stays inside it — never an absolute one or one that climbs out with
        ``..`` (a definition may come from anyone: an AI agent over MCP
        must not make Baton read any file it can reach)."""
        given = Path(name)
        if given.is_absolute() or name.startswith("~"):
            return None
        for directory in self.directories:
            candidate = (directory / given).resolve()
            if candidate.is_relative_to(directory) and candidate.is_file():
                return candidate
        return None

    def by_file(self, name: str) -> tuple[dict[str, Any], Path] | None:
        """The model of the file ``name`` and its path; None when no
        directory has it (see :meth:`find`). A file that is there but is no
        valid model raises its DefinitionError."""
        found = self.find(name)
        return None if found is None else (self.read(found), found)

    def by_decision(self, decision: str) -> tuple[dict[str, Any], Path] | None:
        """The first model (directory by directory, files by name) with a
        decision whose id or name is ``decision``. Files that are no valid
        model are passed over here; :meth:`broken` lists them."""
        for path in self.files():
            try:
                model = self.read(path)
            except DefinitionError:
                continue
            for found in model.get("decisions") or []:
                if decision in (found.get("id"), found.get("name")):
                    return model, path
        return None

    def files(self) -> list[Path]:
        found: list[Path] = []
        for directory in self.directories:
            if directory.is_dir():
                names = sorted(p for p in directory.iterdir() if p.suffix.lower() == SUFFIX)
                found += [p for p in names[:MAX_FILES] if p.is_file()]
        return found

    def broken(self) -> list[str]:
        """The ``.dmn`` files that could not be read, with why (for messages)."""
        problems = []
        for path in self.files():
            try:
                self.read(path)
            except DefinitionError as exc:
                first = exc.issues[0] if exc.issues else None
                why = f"{first.path}: {first.message}" if first else str(exc)
                problems.append(f"{path.name} ({why})")
        return problems
