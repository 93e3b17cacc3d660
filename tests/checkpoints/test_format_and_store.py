"""The checkpoint file format (no pickle), the stores (a directory, fsspec's
memory filesystem) and a writer killed with SIGKILL mid-write."""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from baton.checkpoints import CheckpointStore
from baton.checkpoints.format import decode, encode
from baton.checkpoints.store import FsspecStore, LocalStore
from baton.errors import CheckpointError


def test_round_trip_keeps_arrays_bytes_and_json():
    state = {
        "weights": np.arange(12, dtype=np.float32).reshape(3, 4),
        "nested": {"layers": [np.ones(2), {"bias": np.zeros(3, dtype=np.int8)}]},
        "blob": b"\x00\x01own format",
        "epoch": 7,
        "lr": 0.01,
        "inf": float("inf"),
        "name": "digits",
        "flags": [True, None],
        "scalar": np.float64(2.5),
    }
    saved = decode(encode(7, state, {"loss": 0.25}, "2026-01-01T00:00:00+00:00"))
    assert saved.step == 7 and saved.metrics == {"loss": 0.25}
    assert saved.saved_at == "2026-01-01T00:00:00+00:00"
    got = saved.state
    assert got["weights"].dtype == np.float32 and np.array_equal(got["weights"], state["weights"])
    assert np.array_equal(got["nested"]["layers"][0], np.ones(2))
    assert got["nested"]["layers"][1]["bias"].dtype == np.int8
    assert got["blob"] == b"\x00\x01own format"
    assert (got["epoch"], got["lr"], got["inf"], got["name"]) == (7, 0.01, float("inf"), "digits")
    assert got["flags"] == [True, None] and got["scalar"] == 2.5


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"model": object()}, "state.model: a builtins.object cannot be stored"),
        ({"a": {"b": np.array([object()])}}, "state.a.b: an array of Python objects"),
        ({1: 2}, "keys must be strings"),
        ({"__array__": "x"}, "the key '__array__' is reserved"),
        ([1, 2], "a checkpoint's state must be a dict, got list"),
    ],
)
def test_what_cannot_be_stored_is_named(state, message):
    with pytest.raises(CheckpointError, match=message.replace(".", r"\.").replace("(", r"\(")):
        encode(1, state, {}, "")


def test_a_foreign_or_damaged_file_is_refused_by_name():
    with pytest.raises(CheckpointError, match="ckpt-x is not a readable checkpoint"):
        decode(b"not a zip", "ckpt-x")
    good = encode(1, {"a": np.ones(3)}, {}, "")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        decode(good[: len(good) // 2], "half")


@pytest.mark.parametrize("kind", ["local", "memory"])
def test_store_lists_reads_and_deletes_only_its_own_files(tmp_path, kind):
    url = str(tmp_path) if kind == "local" else f"memory://ckpt-test-{tmp_path.name}"
    store = CheckpointStore.open(url)
    assert isinstance(store, LocalStore if kind == "local" else FsspecStore)
    assert store.steps("run/step") == []
    for step in (10, 2, 5):
        store.write("run/step", step, f"data {step}".encode())
    assert store.steps("run/step") == [2, 5, 10]
    assert store.read("run/step", 5) == b"data 5"
    assert store.steps("run/other") == []
    store.delete("run/step", 2)
    assert store.steps("run/step") == [5, 10]
    if kind == "local":
        (tmp_path / "run" / "step" / "notes.txt").write_text("mine")
        store.delete("run/step", 5)
        store.delete("run/step", 10)
        store.sweep("run/step")
        assert (tmp_path / "run" / "step" / "notes.txt").read_text() == "mine"


def test_a_store_url_without_its_backend_says_what_to_install():
    with pytest.raises(CheckpointError, match="cannot open checkpoint store"):
        CheckpointStore.open("nosuchscheme://bucket/x")


WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from baton.checkpoints.format import encode
    from baton.checkpoints.store import CheckpointStore

    store = CheckpointStore.open(sys.argv[1])
    big = np.random.default_rng(0).random(4_000_000)  # 32 MB per checkpoint
    step = 0
    while True:
        step += 1
        store.write("run/step", step, encode(step, {"w": big, "step": step}, {}, ""))
        print(step, flush=True)
    """
)


async def test_a_writer_killed_mid_write_leaves_only_whole_checkpoints(tmp_path: Path):
    """SIGKILL lands at a random moment of a stream of 32 MB writes: every
    checkpoint the store lists still decodes; at most a .tmp is left."""
    for trial in range(3):
        root = tmp_path / f"trial{trial}"
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", WRITER, str(root), stdout=asyncio.subprocess.PIPE
        )
        assert proc.stdout is not None
        await asyncio.wait_for(proc.stdout.readline(), 60)  # one whole checkpoint written
        await asyncio.sleep(0.05 + 0.1 * trial)  # mid-way through a later one
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        store = CheckpointStore.open(str(root))
        steps = store.steps("run/step")
        assert steps, "the first checkpoint was written before the kill"
        for step in steps:
            saved = decode(store.read("run/step", step), f"step {step}")
            assert saved.state["step"] == step and saved.state["w"].shape == (4_000_000,)
