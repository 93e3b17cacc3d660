"""baton.testing as a user would use it: a whole Baton in a test."""

from __future__ import annotations

import asyncio

import pytest

from baton.testing import BatonEnvironment, StandInServices
from tests.support.sagas import seed_onboarding

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_saga_runs_in_a_test_environment() -> None:
    with StandInServices() as services:
        async with BatonEnvironment.start() as env:
            run = await env.client.start_saga(seed_onboarding(services.url))
            result = await asyncio.wait_for(run.result(), 60)
            assert result["status"] == "COMPLETED"
            home = env.settings.home
        assert services.state.count("POST", "/users") == 1
    assert not home.exists()  # the temporary home is gone with the server
