"""Baton's additions to the process language, in files the official schema
accepts: ``call: baton/approval`` (the approval workflow: approvers, quorum,
who may decide checked on the worker), ``call: baton/agent``, compensation
declared in ``metadata.baton.compensate`` (undone in reverse order when the
run fails or is cancelled) and a parallel ``for`` with a concurrency limit."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.config import AgentConfig, BatonFile
from baton.testing import until

pytestmark = pytest.mark.asyncio(loop_scope="session")
SUPPORT = Path(__file__).resolve().parents[1] / "support"
SCHEMA = Path(__file__).resolve().parents[3] / "shared/corpora/serverless-workflow/schema"


def process(*tasks: dict[str, Any]) -> dict[str, Any]:
    return {
        "document": {"dsl": "1.0.0", "namespace": "test", "name": "ext", "version": "1.0.0"},
        "do": list(tasks),
    }


def valid_under_the_official_schema(document: dict[str, Any]) -> None:
    import jsonschema

    schema = yaml.safe_load((SCHEMA / "workflow.yaml").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)


def user_with_undo(url: str) -> dict[str, Any]:
    return {
        "call": "http",
        "with": {"method": "post", "endpoint": f"{url}/users", "body": {"name": "${ .name }"}},
        "metadata": {
            "baton": {
                "compensate": {
                    "call": "http",
                    "with": {
                        "method": "delete",
                        "endpoint": f'${{ "{url}/users/" + .user_id }}',
                        "body": {"because": "${ $input.name }"},
                    },
                }
            }
        },
    }


async def test_completed_tasks_are_compensated_in_reverse_order_when_the_run_fails(baton, services):
    account = {
        "call": "http",
        "with": {"method": "post", "endpoint": f"{services.url}/accounts"},
        "metadata": {
            "baton": {
                "compensate": {
                    "call": "http",
                    "with": {
                        "method": "delete",
                        "endpoint": f'${{ "{services.url}/accounts/" + .account_id }}',
                    },
                }
            }
        },
    }
    definition = process(
        {"user": user_with_undo(services.url)},
        {"account": account},
        {"fail": {"raise": {"error": {"type": "https://example.com/late", "status": 500}}}},
    )
    valid_under_the_official_schema(definition)
    run = await baton.client.start_process(definition, {"name": "ada"})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPENSATED", result
    assert result["error"]["type"] == "https://example.com/late"
    deletes = [c for c in services.state.calls if c.method == "DELETE"]
    assert [c.path.split("/")[1] for c in deletes] == ["accounts", "users"]  # reverse order
    assert deletes[1].body == {"because": "ada"}
    assert not services.state.users and not services.state.accounts
    assert [c["step_id"] for c in result["compensations"]] == ["/do/1/account", "/do/0/user"]


async def test_a_cancelled_run_compensates_what_completed(baton, services):
    definition = process(
        {"user": user_with_undo(services.url)},
        {"hold": {"listen": {"to": {"one": {"with": {"type": "never"}}}}}},
    )
    run = await baton.client.start_process(definition, {"name": "bo"})

    async def waiting() -> bool:
        return (await baton.client.status(run.workflow_id)).get("waiting_for") == ["never"]

    await until(waiting, 30)
    await baton.client.cancel(run.workflow_id)
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "CANCELLED"
    assert [c["status"] for c in result["compensations"]] == ["COMPENSATED"]
    assert not services.state.users


async def test_an_approval_task_waits_for_its_quorum_and_gives_the_votes(baton):
    definition = process(
        {
            "sign-off": {
                "call": "baton/approval",
                "with": {
                    "approvers": ["dana@example.com", "eve@example.com", "finn@example.com"],
                    "quorum": 2,
                    "timeout_seconds": 3600,
                    "description": '${ "Ship order " + (.order | tostring) }',
                    "context": {"order": "${ .order }"},
                },
                "output": {"as": "{status, voters: [.votes[].approver]}"},
            }
        },
    )
    valid_under_the_official_schema(definition)
    run = await baton.client.start_process(definition, {"order": 42})
    approval_id = f"{run.workflow_id}./do/0/sign-off"

    async def opened() -> dict[str, Any]:
        return await baton.client.status(approval_id)

    opened_status = await until(opened, 30)
    assert opened_status["description"] == "Ship order 42"
    assert opened_status["context"] == {"order": 42}
    # who may decide is the approval's list, checked by the approval workflow
    outsider = await baton.client.submit_decision(approval_id, "mallory@example.com", "approve")
    assert not outsider["accepted"]
    for approver in ("dana@example.com", "eve@example.com"):
        assert (await baton.client.submit_decision(approval_id, approver, "approve"))["accepted"]
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {
        "status": "APPROVED",
        "voters": ["dana@example.com", "eve@example.com"],
    }


async def test_a_rejected_approval_is_an_error_a_catch_can_handle(baton):
    definition = process(
        {
            "guarded": {
                "try": [
                    {
                        "sign-off": {
                            "call": "baton/approval",
                            "with": {"approvers": ["dana@example.com"], "timeout_seconds": 600},
                        }
                    }
                ],
                "catch": {
                    "errors": {"with": {"detail": "rejected"}},
                    "as": "refusal",
                    "do": [{"note": {"set": {"refused": True}}}],
                },
            }
        }
    )
    run = await baton.client.start_process(definition)
    approval_id = f"{run.workflow_id}./do/0/guarded/try/0/sign-off"

    async def opened() -> dict[str, Any]:
        return await baton.client.status(approval_id)

    await until(opened, 30)
    await baton.client.submit_decision(approval_id, "dana@example.com", "reject", "not today")
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {"refused": True}


async def test_an_agent_task_runs_the_configured_agent(worker_factory, tmp_path):
    # A stand-in program replaces a real LLM agent CLI, which cannot run here.
    agent = AgentConfig(
        name="reviewer",
        command=[sys.executable, str(SUPPORT / "stand_in_agent.py"), "{prompt}"],
        env={"AGENT_NAME": "stand-in"},
    )
    definition = process(
        {
            "review": {
                "call": "baton/agent",
                "with": {
                    "agent": "reviewer",
                    "description": '${ "Review pull request " + (.pr | tostring) }',
                    "cwd": str(tmp_path),
                },
            }
        }
    )
    valid_under_the_official_schema(definition)
    async with worker_factory(BatonFile(agents={"reviewer": agent})) as env:
        run = await env.client.start_process(definition, {"pr": 7})
        result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"]["prompt_first_line"] == "Review pull request 7"
    assert result["output"]["step"] == "/do/0/review"


async def test_a_parallel_for_runs_at_most_its_limit_at_once_and_keeps_the_order(baton, services):
    services.state.delays["POST /services"] = 1.0
    definition = process(
        {
            "deploy": {
                "for": {"in": ".names", "each": "name"},
                "metadata": {"baton": {"parallel": True, "max_concurrency": 2}},
                "do": [
                    {
                        "one": {
                            "call": "http",
                            "with": {
                                "method": "post",
                                "endpoint": f'${{ "{services.url}/services/" + $name }}',
                            },
                            "output": {"as": "${ .service }"},
                        }
                    }
                ],
            }
        }
    )
    valid_under_the_official_schema(definition)
    names = ["a", "b", "c", "d"]
    run = await baton.client.start_process(definition, {"names": names})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == names  # every iteration's output, in the list's order
    starts = sorted(c.at for c in services.state.calls if c.path.startswith("/services/"))
    assert len(starts) == 4
    # two at once: the third starts only when one of the first two has ended
    assert starts[2] - starts[0] >= 0.9
    assert starts[1] - starts[0] < 0.9
