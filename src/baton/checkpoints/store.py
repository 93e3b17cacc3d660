"""Where checkpoints are kept: a local directory, or any URL fsspec knows
(``s3://bucket/prefix``, ``gs://…``, ``memory://…``; the optional
dependency ``baton[checkpoints]`` and the backend's own package, e.g.
``s3fs``).

A step's checkpoints live under ``<store>/<key>/`` as
``step-<12 digits>.ckpt``. Each is written to a temporary name and then
renamed, so a worker killed mid-write leaves the previous checkpoints whole
and at worst a stray ``.tmp`` file, which is never read and is removed
later. The store only ever reads, lists and deletes files with those names
under the step's own key.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import uuid
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from ..errors import CheckpointError

_NAME = re.compile(r"^step-(\d{12})\.ckpt$")
# a temporary file older than this is a leftover of a killed writer
STALE_TEMP_SECONDS = 600.0


def checkpoint_name(step: int) -> str:
    if not 0 <= step < 10**12:
        raise CheckpointError(f"a checkpoint's step must be from 0 to 10^12 - 1, got {step}")
    return f"step-{step:012d}.ckpt"


def is_local(url: str) -> bool:
    return "://" not in url or url.startswith("file://")


def local_path(url: str) -> Path:
    return Path(url[len("file://") :] if url.startswith("file://") else url).expanduser()


class CheckpointStore(ABC):
    """The checkpoints of many steps, under one root (see the module): a
    local directory (:class:`LocalStore`) or any fsspec URL
    (:class:`FsspecStore`)."""

    def __init__(self, url: str) -> None:
        self.url = url

    @staticmethod
    def open(url: str) -> CheckpointStore:
        """The store for ``url``: a directory path or ``file://`` URL, else fsspec."""
        if not url:
            raise CheckpointError("a checkpoint store needs a directory or URL")
        if is_local(url):
            return LocalStore(url)
        return FsspecStore(url)

    @abstractmethod
    def write(self, key: str, step: int, data: bytes) -> None:
        """Save ``data`` as the checkpoint of ``step`` under ``key``, atomically."""

    @abstractmethod
    def steps(self, key: str) -> list[int]:
        """The steps saved under ``key``, oldest first."""

    @abstractmethod
    def read(self, key: str, step: int) -> bytes:
        """The bytes of the checkpoint of ``step`` under ``key``."""

    @abstractmethod
    def delete(self, key: str, step: int) -> None:
        """Remove the checkpoint of ``step`` under ``key``."""

    def sweep(self, key: str) -> None:  # noqa: B027 - by default, nothing to sweep
        """Remove stale temporary files a killed writer left under ``key``
        (a local directory does; fsspec stores leave them, docs/checkpoints.md)."""

    def where(self, key: str, step: int) -> str:
        """A checkpoint's location, for messages (never with credentials)."""
        from ..redact import redact

        return redact(f"{self.url.rstrip('/')}/{key}/{checkpoint_name(step)}")


class LocalStore(CheckpointStore):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.root = local_path(url)

    def _dir(self, key: str) -> Path:
        return self.root / key

    def write(self, key: str, step: int, data: bytes) -> None:
        folder = self._dir(key)
        final = folder / checkpoint_name(step)
        temp = folder / f".{final.name}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(temp, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, final)
            # the rename itself survives a crash of the machine, not only of the worker
            descriptor = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise CheckpointError(
                f"cannot write checkpoint {final}: {exc}", retryable=True
            ) from exc

    def steps(self, key: str) -> list[int]:
        try:
            names = os.listdir(self._dir(key))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise CheckpointError(
                f"cannot list checkpoints in {self._dir(key)}: {exc}", retryable=True
            ) from exc
        return sorted(int(m[1]) for n in names if (m := _NAME.match(n)))

    def read(self, key: str, step: int) -> bytes:
        path = self._dir(key) / checkpoint_name(step)
        try:
            return path.read_bytes()
        except OSError as exc:
            raise CheckpointError(f"cannot read checkpoint {path}: {exc}", retryable=True) from exc

    def delete(self, key: str, step: int) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self._dir(key) / checkpoint_name(step)).unlink()

    def sweep(self, key: str) -> None:
        folder = self._dir(key)
        with contextlib.suppress(OSError):
            for path in folder.glob(".step-*.tmp"):
                if time.time() - path.stat().st_mtime > STALE_TEMP_SECONDS:
                    path.unlink()
            if not any(folder.iterdir()):
                folder.rmdir()


class FsspecStore(CheckpointStore):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        try:
            from fsspec.core import url_to_fs
        except ImportError as exc:
            raise CheckpointError(
                f"checkpoint store {self.where_root()} needs fsspec: "
                "pip install 'baton[checkpoints]' and the package for its scheme (e.g. s3fs)"
            ) from exc
        try:
            self.fs: Any
            self.fs, self.root = url_to_fs(url)
        except (ImportError, ValueError) as exc:
            raise CheckpointError(
                f"cannot open checkpoint store {self.where_root()}: {exc}"
            ) from exc

    def where_root(self) -> str:
        from ..redact import redact

        return redact(self.url)

    def _dir(self, key: str) -> str:
        return f"{self.root.rstrip('/')}/{key}"

    def write(self, key: str, step: int, data: bytes) -> None:
        final = f"{self._dir(key)}/{checkpoint_name(step)}"
        temp = f"{self._dir(key)}/.{checkpoint_name(step)}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            self.fs.pipe_file(temp, data)
            self.fs.mv(temp, final)
        except Exception as exc:  # each backend raises its own errors
            with contextlib.suppress(Exception):
                self.fs.rm_file(temp)
            raise CheckpointError(
                f"cannot write checkpoint {self.where(key, step)}: {exc}", retryable=True
            ) from exc

    def steps(self, key: str) -> list[int]:
        try:
            names = [
                p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(self._dir(key), detail=False)
            ]
        except FileNotFoundError:
            return []
        except Exception as exc:
            raise CheckpointError(
                f"cannot list checkpoints in {self.where_root()}: {exc}", retryable=True
            ) from exc
        return sorted(int(m[1]) for n in names if (m := _NAME.match(n)))

    def read(self, key: str, step: int) -> bytes:
        try:
            data: bytes = self.fs.cat_file(f"{self._dir(key)}/{checkpoint_name(step)}")
        except Exception as exc:
            raise CheckpointError(
                f"cannot read checkpoint {self.where(key, step)}: {exc}", retryable=True
            ) from exc
        return data

    def delete(self, key: str, step: int) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(f"{self._dir(key)}/{checkpoint_name(step)}")
