"""Dead letters kept in Redis (``dead_letters: {store: redis}``), so every
worker and every ``baton dlq`` that reaches that Redis sees the same
letters: a stream of letters (``baton:dead-letters``: ``id``, ``kind``,
``source``, ``reason``, ``at``, ``body``) that other tools can read too,
with an index by letter id (``<stream>:index``) that keeps each letter
once, and what each redrive made (``<stream>:redriven``).

A letter that Redis does not take (it is down) goes to the machine's local
store instead — it is never lost — and the worker logs where it went."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any

from ..redact import redact
from .deadletters import DeadLetterError, DeadLetters, announce

log = logging.getLogger("baton.dlq")
DEFAULT_STREAM = "baton:dead-letters"
# once per letter id: the stream entry and the index are written together
_ADD = """
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
local entry = redis.call('XADD', KEYS[1], '*', 'id', ARGV[1], 'kind', ARGV[2],
  'source', ARGV[3], 'reason', ARGV[4], 'at', ARGV[5], 'body', ARGV[6])
redis.call('HSET', KEYS[2], ARGV[1], entry)
return 1
"""
_FIELDS = ("id", "kind", "source", "reason", "at")


class RedisDeadLetters:
    """The same calls as :class:`DeadLetters`, over Redis."""

    def __init__(self, url: str, stream: str, fallback: DeadLetters) -> None:
        import redis

        self.url, self.stream, self.fallback = url, stream, fallback
        self.task_queue = fallback.task_queue
        self._redis: Any = redis.Redis.from_url(
            url, socket_timeout=2, socket_connect_timeout=1, decode_responses=True
        )
        self._add = self._redis.register_script(_ADD)
        self.name = f"redis:{redact(url)}/{stream}"

    def add(
        self, kind: str, source: str, reason: str, body: dict[str, Any], letter_id: str = ""
    ) -> str:
        import uuid

        letter_id = letter_id or f"dl-{uuid.uuid4().hex[:12]}"
        at = datetime.now(timezone.utc).isoformat()
        try:
            added = self._add(
                keys=[self.stream, f"{self.stream}:index"],
                args=[letter_id, kind, source, reason[:2000], at, json.dumps(body, default=str)],
            )
        except Exception as exc:  # noqa: BLE001 - Redis down: kept on this machine instead
            log.warning(
                "%s did not take dead letter %s (%s); kept in %s",
                self.name,
                letter_id,
                exc,
                self.fallback.path,
            )
            return self.fallback.add(kind, source, reason, body, letter_id)
        if added:
            announce(self.task_queue, letter_id, kind, source, reason, at)
        return letter_id

    def list(self) -> list[dict[str, Any]]:
        """Redis's letters, oldest first, then any this machine kept while
        Redis was down."""
        redriven = self._redis.hgetall(f"{self.stream}:redriven")
        letters = [self._row(fields, redriven) for _, fields in self._redis.xrange(self.stream)]
        return letters + self.fallback.list()

    def show(self, letter_id: str) -> dict[str, Any]:
        entry = self._redis.hget(f"{self.stream}:index", letter_id)
        if entry is None:
            return self.fallback.show(letter_id)
        found = self._redis.xrange(self.stream, entry, entry)
        if not found:
            raise DeadLetterError(f"dead letter {letter_id!r} is indexed but gone from the stream")
        redriven = self._redis.hgetall(f"{self.stream}:redriven")
        letter = self._row(found[0][1], redriven)
        letter["body"] = json.loads(found[0][1]["body"])
        return letter

    def redriven(self, letter_id: str, as_what: str) -> None:
        if self._redis.hexists(f"{self.stream}:index", letter_id):
            made = {"as": as_what, "at": datetime.now(timezone.utc).isoformat()}
            self._redis.hset(f"{self.stream}:redriven", letter_id, json.dumps(made))
        else:
            self.fallback.redriven(letter_id, as_what)

    def drop(self, letter_id: str) -> None:
        entry = self._redis.hget(f"{self.stream}:index", letter_id)
        if entry is None:
            self.fallback.drop(letter_id)
            return
        self._redis.xdel(self.stream, entry)
        self._redis.hdel(f"{self.stream}:index", letter_id)
        self._redis.hdel(f"{self.stream}:redriven", letter_id)

    def close(self) -> None:
        self._redis.close()
        self.fallback.close()

    @staticmethod
    def _row(fields: dict[str, str], redriven: dict[str, str]) -> dict[str, Any]:
        row: dict[str, Any] = {key: fields.get(key) for key in _FIELDS}
        made = json.loads(redriven[row["id"]]) if row["id"] in redriven else {}
        row["redriven_as"], row["redriven_at"] = made.get("as"), made.get("at")
        return row
