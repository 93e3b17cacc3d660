"""Version 2: charge the payment before reserving the stock (a declined card
should hold no stock). Runs that started on version 1 have already
scheduled ``reserve_stock`` first; ``workflow.patched`` keeps them on that
path while every new run takes the new one."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

from .steps import run_step

PATCH = "charge-before-reserve"


@workflow.defn(name="ShipOrder")
class ShipOrder:
    def __init__(self) -> None:
        self.ready_to_ship = False

    @workflow.signal
    def ship(self) -> None:
        self.ready_to_ship = True

    @workflow.run
    async def run(self, order_id: str) -> dict[str, Any]:
        # True for a new run (and the patch is recorded in its history);
        # False for a run started on version 1, replaying what it did
        charge_first = workflow.patched(PATCH)
        if charge_first:
            steps = [await run_step("charge_payment", order_id)]
            steps.append(await run_step("reserve_stock", order_id))
        else:
            steps = [await run_step("reserve_stock", order_id)]
            steps.append(await run_step("charge_payment", order_id))
        await workflow.wait_condition(lambda: self.ready_to_ship)
        steps.append(await run_step("ship_order", order_id))
        return {"order_id": order_id, "steps": steps, "charged_first": charge_first}
