"""Where lifecycle events go (docs/integrations.md, "Events out"): a
webhook (one CloudEvent per POST, structured mode), Redis (a stream of
every event, plus the seed's keys: ``workflows:{id}:state``, the
``metrics:workflows:execution_time`` list and the
``events:errors:workflow_failures`` channel), NATS JetStream (a subject per
event type, de-duplicated by the event id) and Kafka (a topic, keyed by the
workflow id so a run's events stay in order). A sink's ``send`` raises when
the server did not take the events: the publisher keeps them and tries
again."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx

from ..errors import ConfigError
from ..redact import redact

STATE_TTL_SECONDS = 7 * 86400
EXECUTION_TIMES_KEPT = 10_000
STREAM_MAX = 100_000
RUN_ENDS = ("completed", "compensated", "compensation_failed", "cancelled", "failed")


class Sink(Protocol):
    name: str

    async def send(self, events: list[dict[str, Any]]) -> None: ...

    async def close(self) -> None: ...


@dataclass
class WebhookSink:
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or f"webhook:{redact(self.url)}"
        self._http = httpx.AsyncClient(timeout=self.timeout)

    async def send(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            response = await self._http.post(
                self.url,
                content=json.dumps(event),
                headers={"Content-Type": "application/cloudevents+json", **self.headers},
            )
            if response.status_code >= 300:
                raise RuntimeError(f"{redact(self.url)} answered {response.status_code}")

    async def close(self) -> None:
        await self._http.aclose()


@dataclass
class RedisSink:
    url: str
    stream: str = "baton:events"
    name: str = ""

    def __post_init__(self) -> None:
        import redis.asyncio as redis

        self.name = self.name or f"redis:{redact(self.url)}/{self.stream}"
        self._redis = redis.from_url(self.url)

    async def send(self, events: list[dict[str, Any]]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for event in events:
            data = event.get("data") or {}
            pipe.xadd(
                self.stream,
                {"id": event["id"], "type": event["type"], "event": json.dumps(event)},
                maxlen=STREAM_MAX,
                approximate=True,
            )
            key = f"workflows:{data.get('workflow_id')}:state"
            state: dict[Any, Any] = {
                "status": str(data.get("status") or ""),
                "kind": str(data.get("kind") or ""),
                "name": str(data.get("name") or ""),
                "updated_at": str(event.get("time") or ""),
                "last_event": str(event["type"]),
            }
            if data.get("step_id"):
                state["current_step"] = str(data["step_id"])
            pipe.hset(key, mapping=state)
            pipe.expire(key, STATE_TTL_SECONDS)
            what = str(event["type"]).rsplit(".", 1)[-1]
            if ".run." in str(event["type"]) and what in RUN_ENDS:
                pipe.lpush("metrics:workflows:execution_time", json.dumps(_execution(event)))
                pipe.ltrim("metrics:workflows:execution_time", 0, EXECUTION_TIMES_KEPT - 1)
            if event["type"].endswith((".step.failed", ".run.failed", ".run.compensated")):
                pipe.publish("events:errors:workflow_failures", json.dumps(_failure(event)))
        await pipe.execute()

    async def close(self) -> None:
        await self._redis.aclose()


@dataclass
class NatsSink:
    url: str
    subject: str = "baton.events"
    stream: str = "BATON_EVENTS"
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or f"nats:{redact(self.url)}/{self.stream}/{self.subject}"
        self._nats: Any = None
        self._js: Any = None

    async def _jetstream(self) -> Any:
        if self._js is None:
            import nats
            from nats.js.errors import NotFoundError

            self._nats = await nats.connect(
                self.url, connect_timeout=5, max_reconnect_attempts=1, allow_reconnect=False
            )
            js = self._nats.jetstream()
            try:
                await js.stream_info(self.stream)
            except NotFoundError:
                await js.add_stream(name=self.stream, subjects=[f"{self.subject}.>"])
            self._js = js
        return self._js

    async def send(self, events: list[dict[str, Any]]) -> None:
        try:
            js = await self._jetstream()
            for event in events:
                # JetStream drops a message whose id it has seen (its duplicate window)
                await js.publish(
                    f"{self.subject}.{str(event['type']).removeprefix('dev.baton.')}",
                    json.dumps(event).encode(),
                    headers={"Nats-Msg-Id": str(event["id"])},
                    timeout=5,
                )
        except Exception:
            await self.close()  # connect afresh next time
            raise

    async def close(self) -> None:
        if self._nats is not None:
            nats, self._nats, self._js = self._nats, None, None
            try:
                await nats.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass


@dataclass
class KafkaSink:
    bootstrap_servers: str
    topic: str = "baton.events"
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or f"kafka:{self.bootstrap_servers}/{self.topic}"
        self._producer: Any = None

    async def send(self, events: list[dict[str, Any]]) -> None:
        try:
            if self._producer is None:
                from aiokafka import AIOKafkaProducer

                producer = AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap_servers,
                    acks="all",
                    request_timeout_ms=10_000,
                )
                await producer.start()
                self._producer = producer
            for event in events:
                await self._producer.send_and_wait(
                    self.topic,
                    json.dumps(event).encode(),
                    key=str(event.get("subject") or "").encode(),
                    headers=[
                        ("ce_id", str(event["id"]).encode()),
                        ("ce_type", str(event["type"]).encode()),
                        ("content-type", b"application/cloudevents+json"),
                    ],
                )
        except Exception:
            await self.close()
            raise

    async def close(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            try:
                await producer.stop()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass


def _execution(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("data") or {}
    started, ended = data.get("started_at"), event.get("time")
    seconds = None
    if started and ended:
        seconds = (datetime.fromisoformat(ended) - datetime.fromisoformat(started)).total_seconds()
    return {
        "workflow_id": data.get("workflow_id"),
        "workflow_type": data.get("kind"),
        "name": data.get("name"),
        "status": data.get("status"),
        "duration_seconds": seconds,
        "timestamp": started,
    }


def _failure(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("data") or {}
    return {
        "workflow_id": data.get("workflow_id"),
        "activity_name": data.get("step_id"),
        "error_type": event["type"].removeprefix("dev.baton."),
        "error_message": data.get("detail"),
        "attempt": data.get("attempt"),
        "timestamp": event.get("time"),
    }


def make_sinks(specs: list[dict[str, Any]], where: str) -> list[Sink]:
    """The sinks ``events.sinks`` (in ``where``) asks for."""
    sinks: list[Sink] = []
    for index, spec in enumerate(specs):
        at = f"{where}: events.sinks[{index}]"
        if not isinstance(spec, dict):
            raise ConfigError(f"{at}: expected a mapping with type: webhook or redis")
        kind, rest = spec.get("type"), {k: v for k, v in spec.items() if k != "type"}
        allowed = {
            "webhook": {"url", "headers"},
            "redis": {"url", "stream"},
            "nats": {"url", "subject", "stream"},
            "kafka": {"bootstrap_servers", "topic"},
        }
        if kind not in allowed:
            raise ConfigError(f"{at}.type: webhook, redis, nats or kafka, got {kind!r}")
        unknown = sorted(set(rest) - allowed[str(kind)])
        if unknown:
            raise ConfigError(
                f"{at}: unknown key(s) {', '.join(unknown)}; allowed: "
                f"{', '.join(sorted(allowed[str(kind)]))}"
            )
        if kind == "kafka":
            servers = rest.get("bootstrap_servers")
            if not isinstance(servers, str) or not servers:
                raise ConfigError(f"{at}.bootstrap_servers: expected host:port[,host:port]")
            sinks.append(KafkaSink(servers, str(rest.get("topic") or "baton.events")))
            continue
        url = rest.get("url")
        schemes = {
            "webhook": ("http", "https"),
            "redis": ("redis", "rediss", "unix"),
            "nats": ("nats", "tls", "ws", "wss"),
        }[str(kind)]
        if not isinstance(url, str) or url.split("://", 1)[0].lower() not in schemes:
            raise ConfigError(f"{at}.url: expected a {' or '.join(s + '://' for s in schemes)} URL")
        for key in ("stream", "subject"):
            if key in rest and (not isinstance(rest[key], str) or not rest[key]):
                raise ConfigError(f"{at}.{key}: expected a name")
        if kind == "nats":
            sinks.append(
                NatsSink(
                    url,
                    str(rest.get("subject") or "baton.events"),
                    str(rest.get("stream") or "BATON_EVENTS"),
                )
            )
            continue
        if kind == "webhook":
            headers = rest.get("headers") or {}
            if not isinstance(headers, dict):
                raise ConfigError(f"{at}.headers: expected a mapping of header: value")
            sinks.append(WebhookSink(url, {str(k): str(v) for k, v in headers.items()}))
        else:
            try:
                sinks.append(RedisSink(url, str(rest.get("stream") or "baton:events")))
            except ValueError as exc:
                raise ConfigError(f"{at}.url: {exc}") from None
    names = [sink.name for sink in sinks]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"{where}: events.sinks: the same sink twice ({', '.join(twice)})")
    return sinks
