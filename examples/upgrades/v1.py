"""Version 1 of the order workflow: reserve the stock, charge the payment,
then wait for the warehouse's ``ship`` signal and ship."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

from .steps import run_step


@workflow.defn(name="ShipOrder")
class ShipOrder:
    def __init__(self) -> None:
        self.ready_to_ship = False

    @workflow.signal
    def ship(self) -> None:
        self.ready_to_ship = True

    @workflow.run
    async def run(self, order_id: str) -> dict[str, Any]:
        steps = [await run_step("reserve_stock", order_id)]
        steps.append(await run_step("charge_payment", order_id))
        await workflow.wait_condition(lambda: self.ready_to_ship)
        steps.append(await run_step("ship_order", order_id))
        return {"order_id": order_id, "steps": steps}
