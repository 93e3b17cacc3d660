"""``baton demo``: Baton's main job end to end on the embedded default."""

from __future__ import annotations

import logging
import time
from importlib import resources
from typing import Any

import yaml
from rich.console import Console

from ..cli import render
from ..config import Settings
from ..plan import compile_definition
from ..runtime import connected_client, running_worker
from ..runtime.client import TemporalWorkflowClient
from ..testing.services import StandInServices


def _definition(name: str, services_url: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(resources.files(__package__).joinpath(name).read_text())
    data.setdefault("context", {})["services_url"] = services_url
    return data


async def _run_saga(
    console: Console,
    client: TemporalWorkflowClient,
    title: str,
    definition: dict[str, Any],
    source: str,
) -> dict[str, Any]:
    plan = compile_definition(definition, source=source)
    console.rule(f"[bold]{title}")
    started = await client.start_plan(plan)
    console.print(f"started [bold]{started.workflow_id}[/] ({len(plan.steps)} steps)")
    final = await client.wait(started.workflow_id, render.LiveProgress(console), poll_seconds=0.25)
    console.print()
    render.print_status(console, final)
    return final


async def run_demo(console: Console) -> int:
    # The demo prints every failed attempt from the audit trail already.
    logging.getLogger("temporalio.activity").setLevel(logging.ERROR)
    settings = Settings.from_env()
    began = time.monotonic()
    with StandInServices() as services:
        console.print(
            f"stand-in auth, billing, deploy and load-balancer services at {services.url}"
        )
        async with connected_client(settings, start_embedded=True) as (client, server):
            console.print(render.server_line(server, settings.address))
            async with running_worker(
                client.temporal, settings.task_queue, settings.load_file(), settings=settings
            ):
                onboarding = await _run_saga(
                    console,
                    client,
                    "1. the seed's user onboarding saga",
                    _definition("onboarding.yaml", services.url),
                    "demo/onboarding.yaml",
                )
                services.state.healthy = False  # the new version's health check will fail
                deployment = await _run_saga(
                    console,
                    client,
                    "2. a deployment whose health check fails, so it rolls back",
                    _definition("deployment.yaml", services.url),
                    "demo/deployment.yaml",
                )
    elapsed = time.monotonic() - began
    ok = onboarding["status"] == "COMPLETED" and deployment["status"] == "COMPENSATED"
    console.rule("[bold]what happened")
    console.print(
        f"onboarding: {render.styled(onboarding['status'])}   deployment: {render.styled(deployment['status'])}   ({elapsed:.1f}s)"
    )
    console.print(
        f"the deploy service ended on versions {services.state.deployed} "
        f"and the load balancer was never switched ({services.state.config or 'unchanged'})"
    )
    console.print(
        "\nwhere to look next:\n"
        "  baton up                          # keep the server and a worker running\n"
        "  baton run examples/user_onboarding_saga.yaml   # (point its URLs at real services)\n"
        "  baton list / baton status ID / baton history ID\n"
        "  docs/sagas.md                     # the saga format and its semantics\n"
        f"  Temporal data lives in {settings.home}"
    )
    return 0 if ok else 1
