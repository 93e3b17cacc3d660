"""Test your own definitions the way Baton's tests do: against a real
embedded Temporal server, with local stand-in services and no fixed sleeps::

    from baton.testing import BatonEnvironment, StandInServices

    async def test_onboarding():
        with StandInServices() as services:
            async with BatonEnvironment.start() as env:
                run = await env.client.start_saga(my_saga(services.url))
                assert (await run.result())["status"] == "COMPLETED"
"""

from .environment import BatonEnvironment
from .helpers import assert_eventually, free_port, until
from .services import StandInServices

__all__ = ["BatonEnvironment", "StandInServices", "assert_eventually", "free_port", "until"]
