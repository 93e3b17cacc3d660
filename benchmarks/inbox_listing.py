"""Where listing a big inbox spends its time: the embedded server's
visibility store, row by row. One run on a fresh server with N approvals
requested and no worker (so nothing else runs):

- rows per second for several filters (all approvals, one approver's, the
  pending ones), listed page by page over the raw RPC and with the SDK;
- one listing against two and four at once (is the server's listing
  parallel?);
- the same rows in pages of 1,000 and in one page, with the server's page
  cap raised (``frontend.visibilityMaxPageSize``).

    .venv/bin/python benchmarks/inbox_listing.py [--approvals 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from temporalio.api.workflowservice.v1 import ListWorkflowExecutionsRequest
from temporalio.client import Client

from baton.config import Settings
from baton.runtime import EmbeddedServer, TemporalWorkflowClient
from baton.runtime.devserver import DYNAMIC_CONFIG

sys.path.insert(0, str(Path(__file__).resolve().parent))
from approvals import bounded, spec  # noqa: E402
from saga_throughput import _free_port, machine  # noqa: E402

QUERIES = {
    "all approvals": "WorkflowType = 'BatonApproval'",
    "one approver's": "WorkflowType = 'BatonApproval' AND BatonApprovers = 'bob'",
    "one approver's pending": (
        "WorkflowType = 'BatonApproval' AND BatonStatus = 'PENDING' "
        "AND ExecutionStatus = 'Running' AND BatonApprovers = 'bob'"
    ),
}


async def raw_listing(client: Client, query: str, page_size: int) -> int:
    token, rows = b"", 0
    while True:
        page = await client.workflow_service.list_workflow_executions(
            ListWorkflowExecutionsRequest(
                namespace=client.namespace, query=query, page_size=page_size, next_page_token=token
            )
        )
        rows += len(page.executions)
        token = page.next_page_token
        if not token:
            return rows


async def timed(coro: Any) -> tuple[Any, float]:
    began = time.perf_counter()
    result = await coro
    return result, time.perf_counter() - began


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--approvals", type=int, default=5000)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="baton-inbox-")
    settings = Settings.from_env({"BATON_HOME": home, "BATON_TEMPORAL_PORT": str(_free_port())})
    # the page cap raised so one page can hold them all; the persistence
    # limit raised so listing right after the burst of requests is not refused
    config = {
        **DYNAMIC_CONFIG,
        "frontend.visibilityMaxPageSize": str(args.approvals + 100),
        "frontend.persistenceMaxQPS": "100000",
    }
    server = EmbeddedServer(settings, dynamic_config=config)
    await server.ensure_running()
    report: dict[str, Any] = {"machine": machine(), "approvals": args.approvals}
    try:
        baton = TemporalWorkflowClient(settings)
        client = await baton.connect()
        await baton.ensure_search_attributes()
        await bounded([baton.request_approval(spec(i)) for i in range(args.approvals)], 100)
        await asyncio.sleep(10)  # the server has written every visibility row
        for name, query in QUERIES.items():
            rows, raw = await timed(raw_listing(client, query, 1000))
            listed, sdk = await timed(_sdk_listing(client, query))
            assert rows == listed == args.approvals, (name, rows, listed)
            report[name] = {"raw_rows_per_s": rows / raw, "sdk_rows_per_s": rows / sdk}
        query = QUERIES["one approver's"]
        for at_once in (1, 2, 4):
            _, seconds = await timed(
                asyncio.gather(*(raw_listing(client, query, 1000) for _ in range(at_once)))
            )
            report[f"{at_once} listings at once_s"] = seconds
        _, paged = await timed(raw_listing(client, query, 1000))
        _, whole = await timed(raw_listing(client, query, args.approvals + 100))
        report["pages of 1,000_s"] = paged
        report["one page_s"] = whole
    finally:
        server.stop()
    print(json.dumps(report, indent=1))


async def _sdk_listing(client: Client, query: str) -> int:
    return len([wf async for wf in client.list_workflows(query)])


if __name__ == "__main__":
    asyncio.run(main())
