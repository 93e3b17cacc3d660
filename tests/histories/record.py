"""Record workflow histories for the replay tests.

    python -m tests.histories.record

Run it when a new kind of run should be covered, never to "fix" a failing
replay: a replay failure means a workflow change broke in-flight runs (use
``workflow.patched`` for such changes). Each file is named after the case.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

from baton.config import BatonFile, Settings
from baton.demo.services import StandInServices
from baton.runtime import connected_client, running_worker
from tests.conftest import free_port
from tests.support.sagas import api, saga, script, seed_onboarding, step

HERE = Path(__file__).parent


def cases(url: str) -> dict[str, dict]:
    return {
        "onboarding_completed": seed_onboarding(url),
        "compensated_after_retries": saga(
            step("a", api(f"{url}/users"), api(f"{url}/users/{{user_id}}", "DELETE")),
            step("p1", api(f"{url}/services/p1"), parallel_group="g"),
            step("p2", script("echo '{\"ok\": true}'"), parallel_group="g"),
            step("optional", api(f"{url}/nowhere"), critical=False, dependencies=["a"]),
            step(
                "b",
                api(f"{url}/accounts"),
                api(f"{url}/accounts/{{account_id}}", "DELETE"),
                retry_count=1,
            ),
        ),
    }


async def main() -> None:
    home = tempfile.mkdtemp()
    settings = Settings.from_env({"BATON_HOME": home, "BATON_TEMPORAL_PORT": str(free_port())})
    async with connected_client(settings, start_embedded=True) as (client, _):
        with StandInServices() as services:
            async with running_worker(client.temporal, settings.task_queue, BatonFile()):
                for name, definition in cases(services.url).items():
                    if name == "compensated_after_retries":
                        services.state.failures["/accounts"] = 5
                    run = await client.start_saga(definition, workflow_id=f"replay-{name}")
                    await run.result()
                    history = await client.temporal.get_workflow_handle(
                        run.workflow_id
                    ).fetch_history()
                    (HERE / f"{name}.json").write_text(
                        json.dumps(json.loads(history.to_json()), indent=1)
                    )
                    print("recorded", name)


if __name__ == "__main__":
    asyncio.run(main())
