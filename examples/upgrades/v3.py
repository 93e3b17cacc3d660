"""Version 3, once no run started on version 1 is left (`baton list`, or a
visibility query, shows none): the old path is gone and
``workflow.deprecate_patch`` keeps the runs started on version 2 (their
histories hold the patch's marker) replaying."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

from .steps import run_step
from .v2 import PATCH


@workflow.defn(name="ShipOrder")
class ShipOrder:
    def __init__(self) -> None:
        self.ready_to_ship = False

    @workflow.signal
    def ship(self) -> None:
        self.ready_to_ship = True

    @workflow.run
    async def run(self, order_id: str) -> dict[str, Any]:
        workflow.deprecate_patch(PATCH)
        steps = [await run_step("charge_payment", order_id)]
        steps.append(await run_step("reserve_stock", order_id))
        await workflow.wait_condition(lambda: self.ready_to_ship)
        steps.append(await run_step("ship_order", order_id))
        return {"order_id": order_id, "steps": steps, "charged_first": True}
