"""The far end of a sink for benchmarks/events_out.py, in a process of its
own so that stamping arrivals takes no CPU from the worker's event loop and
is not delayed by it.

    python _event_receiver.py webhook PORT
    python _event_receiver.py redis URL STREAM
    python _event_receiver.py nats URL SUBJECT
    python _event_receiver.py kafka BOOTSTRAP TOPIC

Prints ``ready`` once it listens, then a line per event received:
``<arrival, epoch seconds>\\t<event id>\\t<event time>``. Runs until killed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_out = threading.Lock()


def emit(arrival: float, events: list[dict[str, Any]]) -> None:
    lines = "".join(f"{arrival:.6f}\t{e['id']}\t{e['time']}\n" for e in events)
    with _out:
        sys.stdout.write(lines)
        sys.stdout.flush()


def ready() -> None:
    with _out:
        sys.stdout.write("ready\n")
        sys.stdout.flush()


class Hook(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx uses it

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        arrival = time.time()
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
        emit(arrival, [json.loads(body)])

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def webhook(port: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", port), Hook)
    ready()
    server.serve_forever()


def redis_reader(url: str, stream: str) -> None:
    import redis

    connection = redis.Redis.from_url(url)
    connection.ping()
    ready()
    last = "0-0"
    while True:
        answer = connection.xread({stream: last}, count=1000, block=1000)
        arrival = time.time()
        for _, messages in answer or []:
            emit(arrival, [json.loads(fields[b"event"]) for _, fields in messages])
            last = messages[-1][0]


async def nats_reader(url: str, subject: str) -> None:
    import nats

    connection = await nats.connect(url)

    async def got(message: Any) -> None:
        emit(time.time(), [json.loads(message.data)])

    await connection.subscribe(f"{subject}.>", cb=got)
    await connection.flush()
    ready()
    await asyncio.Event().wait()


async def kafka_reader(bootstrap: str, topic: str) -> None:
    from aiokafka import AIOKafkaConsumer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    except Exception:  # noqa: BLE001 - there already
        pass
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id="bench-reader",
        metadata_max_age_ms=1000,
        fetch_max_wait_ms=10,  # the arrival, not the consumer's long poll
    )
    await consumer.start()
    ready()
    while True:
        batch = await consumer.getmany(timeout_ms=1000, max_records=1000)
        arrival = time.time()
        events = [json.loads(r.value) for records in batch.values() for r in records]
        if events:
            emit(arrival, events)


def main() -> None:
    mode, *rest = sys.argv[1:]
    if mode == "webhook":
        webhook(int(rest[0]))
    elif mode == "redis":
        redis_reader(rest[0], rest[1])
    elif mode == "nats":
        asyncio.run(nats_reader(rest[0], rest[1]))
    elif mode == "kafka":
        asyncio.run(kafka_reader(rest[0], rest[1]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
