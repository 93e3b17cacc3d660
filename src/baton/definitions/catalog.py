"""Where ``run: workflow`` finds the processes it names: the Serverless
Workflow files in the running file's own directory and in the directories of
``BATON_PROCESS_PATH``, each known by its document's namespace, name and
version. Read when a run is compiled (on the machine that starts it); the
child's plan is compiled into the parent's, so a worker runs exactly the
version that was checked, and the execution policy judges the child's steps
like the parent's."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DefinitionError
from .loader import read_document

SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILES = 2_000  # per directory: a catalog is a folder of definitions, not a disk


@dataclass
class DirectoryCatalog:
    """The process definitions in ``directories`` (not their subdirectories),
    read on the first lookup. Files that are not Serverless Workflow
    documents, or cannot be read, are skipped (``skipped`` says why)."""

    directories: list[Path]
    _found: dict[tuple[str, str, str], tuple[dict[str, Any], str]] | None = None
    _bpmn: dict[str, tuple[Any, str]] | None = None
    skipped: list[str] = field(default_factory=list)

    @classmethod
    def for_source(cls, source: str, extra: Iterable[Path] = ()) -> DirectoryCatalog:
        """The catalog of a run compiled from ``source``: its directory (when
        it is a file) first, then ``extra`` (``BATON_PROCESS_PATH``)."""
        directories: list[Path] = []
        path = Path(source)
        if source != "<dict>" and path.is_file():
            directories.append(path.resolve().parent)
        for directory in extra:
            resolved = directory.expanduser().resolve()
            if resolved not in directories:
                directories.append(resolved)
        return cls(directories)

    def find(self, namespace: str, name: str, version: str) -> tuple[dict[str, Any], str] | None:
        """The document of ``namespace``/``name`` at ``version`` (``latest``:
        the highest version there is) and the file it came from."""
        found = self._load()
        if version == "latest":
            versions = [key for key in found if key[:2] == (namespace, name)]
            if not versions:
                return None
            return found[max(versions, key=lambda key: _version_order(key[2]))]
        return found.get((namespace, name, version))

    def find_bpmn(self, process_id: str) -> tuple[Any, str] | None:
        """The BPMN model (``baton.definitions.bpmn.Model``) that has a
        process with this id, and its file: what a call activity calls."""
        return self._load_bpmn().get(process_id)

    def known_bpmn(self) -> list[str]:
        return sorted(self._load_bpmn())

    def _load_bpmn(self) -> dict[str, tuple[Any, str]]:
        if self._bpmn is not None:
            return self._bpmn
        from .bpmn import read_bpmn

        found: dict[str, tuple[Any, str]] = {}
        for directory in self.directories:
            if not directory.is_dir():
                continue
            files = sorted(p for p in directory.iterdir() if p.suffix.lower() == ".bpmn")
            for path in files[:MAX_FILES]:
                try:
                    model = read_bpmn(path.read_bytes(), str(path))
                except (DefinitionError, OSError) as exc:
                    self.skipped.append(f"{path}: {exc}")
                    continue
                for process in model.processes:
                    found.setdefault(process.id, (model, str(path)))
        self._bpmn = found
        return found

    def known(self) -> list[str]:
        """``namespace/name:version`` of every process found (for messages)."""
        return sorted(f"{ns}/{name}:{version}" for ns, name, version in self._load())

    def describe(self) -> str:
        if not self.directories:
            return "no directory (give the file's path, or set BATON_PROCESS_PATH)"
        return ", ".join(str(d) for d in self.directories)

    def _load(self) -> dict[tuple[str, str, str], tuple[dict[str, Any], str]]:
        if self._found is not None:
            return self._found
        found: dict[tuple[str, str, str], tuple[dict[str, Any], str]] = {}
        for directory in self.directories:
            if not directory.is_dir():
                self.skipped.append(f"{directory}: not a directory")
                continue
            files = sorted(p for p in directory.iterdir() if p.suffix.lower() in SUFFIXES)
            for path in files[:MAX_FILES]:
                try:
                    data = read_document(path)
                except DefinitionError as exc:
                    self.skipped.append(f"{path}: {exc.issues[0].message if exc.issues else exc}")
                    continue
                document = data.get("document")
                if not (isinstance(document, dict) and "dsl" in document):
                    continue
                key = tuple(str(document.get(k, "")) for k in ("namespace", "name", "version"))
                # the first directory wins: the running file's own, then the path's order
                found.setdefault((key[0], key[1], key[2]), (data, str(path)))
        self._found = found
        return found


def _version_order(version: str) -> tuple[Any, ...]:
    """Semantic versions in order; a pre-release before its release."""
    core, _, pre = version.partition("-")
    numbers = []
    for part in core.split("+")[0].split("."):
        numbers.append(int(part) if part.isdigit() else -1)
    return (*numbers, 0 if pre else 1, pre)
