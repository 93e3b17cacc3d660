"""Checkpointed steps in definitions and the decorator: what is refused, and
how it is said."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from baton.checkpoints import checkpointed
from baton.errors import CheckpointError, DefinitionError
from baton.plan import compile_definition
from tests.support.sagas import saga, step


def counting(journal: Path, checkpoint: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "python",
        "function": "tests.support.checkpointed_steps:count",
        "kwargs": {"total": 4, "seconds": 0.01, "journal": str(journal)},
        "checkpoint": checkpoint,
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"local": True}, "cannot run as a local step: it is checkpointed"),
        ({"heartbeat_timeout_seconds": 0.5}, "heartbeat_timeout_seconds"),
    ],
)
def test_checkpointed_step_definition_errors(tmp_path, changes, message):
    definition = saga(step("count", counting(tmp_path / "j", {"every_steps": 2}), **changes))
    with pytest.raises(DefinitionError, match=message):
        compile_definition(definition)


def test_relative_store_is_refused(tmp_path):
    definition = saga(step("count", counting(tmp_path / "j", {"store": "ckpts"})))
    with pytest.raises(DefinitionError, match="must be an absolute directory or a URL"):
        compile_definition(definition)


def test_decorator_refuses_what_it_cannot_checkpoint():
    with pytest.raises(CheckpointError, match="needs an async def activity"):
        checkpointed(store="/tmp/x")(lambda checkpoint: None)

    async def no_handle(args: dict) -> None: ...

    with pytest.raises(CheckpointError, match="has no parameter 'checkpoint'"):
        checkpointed(store="/tmp/x")(no_handle)


def test_checkpoint_stores_in_baton_yaml():
    from baton.policy import parse_policy

    policy = parse_policy({"checkpoint_stores": ["/data/ckpt", "s3://team/ckpt"]}, "baton.yaml")
    assert policy.checkpoint_stores == ("/data/ckpt", "s3://team/ckpt")
    assert policy.checkpoint_store_refusal("/anywhere", "cli") is None  # trusted entry point
    assert policy.checkpoint_store_refusal("/data/ckpt/run-a", "mcp") is None
    assert policy.checkpoint_store_refusal("file:///data/ckpt", "trigger") is None
    assert policy.checkpoint_store_refusal("s3://team/ckpt/x", "mcp") is None
    for refused in ("/data/ckpt/../etc", "/data/ckpt2", "s3://team/ckpt2", "s3://team/ckpt/../x"):
        assert "policy.checkpoint_stores" in str(policy.checkpoint_store_refusal(refused, "mcp"))
    with pytest.raises(ValueError, match=r"baton.yaml.checkpoint_stores: expected a list"):
        parse_policy({"checkpoint_stores": "/data"}, "baton.yaml")
    masked = parse_policy({}, "p").checkpoint_store_refusal("s3://key:secret@host/x", "mcp")
    assert "secret" not in str(masked)
