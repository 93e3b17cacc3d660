"""The steps of the order workflow: plain functions a Baton worker runs as
``python`` actions (baton.yaml's ``policy.python_modules`` lists this
module). They stand in for calls to the stock, payment and shipping
services."""

from __future__ import annotations


def reserve_stock(order_id: str) -> dict[str, str]:
    return {"step": "reserve_stock", "order_id": order_id}


def charge_payment(order_id: str) -> dict[str, str]:
    return {"step": "charge_payment", "order_id": order_id}


def ship_order(order_id: str) -> dict[str, str]:
    return {"step": "ship_order", "order_id": order_id}
