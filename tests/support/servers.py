"""Waiting for a server a test started to answer HTTP."""

from __future__ import annotations

import httpx

from baton.testing import until


async def answering(url: str, *, healthy: bool = False, timeout: float = 30) -> None:
    """Until ``url`` answers a GET (``healthy``: with status 200)."""

    async def up() -> bool:
        try:
            async with httpx.AsyncClient() as http:
                response = await http.get(url)
        except httpx.HTTPError:
            return False
        return response.status_code == 200 or not healthy

    await until(up, timeout=timeout)
