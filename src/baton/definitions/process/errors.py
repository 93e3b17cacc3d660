"""``try``/``catch`` with ``retry`` policies, and ``raise``."""

from __future__ import annotations

from typing import Any

from .shapes import Shapes
from .tree import Catch, RaiseTask, RetryPolicy, Task, TryTask


class ErrorTasks(Shapes):
    def _try(self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]) -> Task:
        self._own_keys(spec, pointer, "try", ("catch",))
        tasks = self.task_list(spec["try"], f"{pointer}/try")
        if "catch" not in spec:
            self.problem(pointer, f"try task {name!r} needs 'catch'")
        catch = self.catch(spec.get("catch", {}), f"{pointer}/catch")
        return TryTask(name, pointer, "try", tasks=tasks, catch=catch, **base)

    def catch(self, value: Any, pointer: str) -> Catch:
        spec = self.mapping(value, pointer, "catch") or {}
        self.keys(
            spec, pointer, ("errors", "as", "when", "exceptWhen", "retry", "do", "then"), "catch"
        )
        catch = Catch()
        if "errors" in spec:
            errors = self.mapping(spec["errors"], f"{pointer}/errors", "catch.errors") or {}
            self.keys(errors, f"{pointer}/errors", ("with",), "catch.errors")
            filters = (
                self.mapping(errors.get("with", {}), f"{pointer}/errors/with", "errors.with") or {}
            )
            self.keys(
                filters,
                f"{pointer}/errors/with",
                ("type", "status", "instance", "title", "detail", "details"),
                "errors.with",
            )
            catch.errors = {("detail" if k == "details" else k): v for k, v in filters.items()}
        if "as" in spec:
            catch.as_ = self.string(spec["as"], f"{pointer}/as", "catch.as") or "error"
        catch.when = (
            self.string(spec["when"], f"{pointer}/when", "when") if "when" in spec else None
        )
        if "exceptWhen" in spec:
            catch.except_when = self.string(
                spec["exceptWhen"], f"{pointer}/exceptWhen", "exceptWhen"
            )
        if "retry" in spec:
            catch.retry = self.retry(spec["retry"], f"{pointer}/retry")
        if "do" in spec:
            catch.tasks = self.task_list(spec["do"], f"{pointer}/do")
        if "then" in spec:
            catch.then = self.directive(spec["then"], f"{pointer}/then")
        return catch

    def retry(self, value: Any, pointer: str) -> RetryPolicy | None:
        found = self.referenced("retries", "retry policy", value, pointer)
        if found is None:
            return None
        value, pointer = found
        spec = self.mapping(value, pointer, "a retry policy")
        if spec is None:
            return None
        self.keys(
            spec,
            pointer,
            ("when", "exceptWhen", "delay", "backoff", "limit", "jitter"),
            "a retry policy",
        )
        policy = RetryPolicy()
        if "delay" in spec:
            delay = self.duration_or_expression(spec["delay"], f"{pointer}/delay")
            if isinstance(delay, str):
                policy.delay_expr = delay
            else:
                policy.delay_seconds = delay or 0.0
        if "backoff" in spec:
            backoff = self.mapping(spec["backoff"], f"{pointer}/backoff", "backoff") or {}
            kinds = [k for k in ("constant", "exponential", "linear") if k in backoff]
            if len(kinds) != 1 or len(backoff) != 1:
                self.problem(
                    f"{pointer}/backoff",
                    "backoff must be exactly one of constant, exponential, linear",
                )
            else:
                policy.backoff = kinds[0]
        if "limit" in spec:
            limit = self.mapping(spec["limit"], f"{pointer}/limit", "limit") or {}
            self.keys(limit, f"{pointer}/limit", ("attempt", "duration"), "limit")
            attempt = (
                self.mapping(limit.get("attempt", {}), f"{pointer}/limit/attempt", "limit.attempt")
                or {}
            )
            self.keys(attempt, f"{pointer}/limit/attempt", ("count", "duration"), "limit.attempt")
            if "count" in attempt:
                count = attempt["count"]
                if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                    self.problem(
                        f"{pointer}/limit/attempt/count", "count must be a whole number ≥ 0"
                    )
                else:
                    policy.count = count
            if "duration" in attempt:
                policy.attempt_seconds = self.duration(
                    attempt["duration"], f"{pointer}/limit/attempt/duration"
                )
            if "duration" in limit:
                policy.duration_seconds = self.duration(
                    limit["duration"], f"{pointer}/limit/duration"
                )
        if "jitter" in spec:
            jitter = self.mapping(spec["jitter"], f"{pointer}/jitter", "jitter") or {}
            self.keys(jitter, f"{pointer}/jitter", ("from", "to"), "jitter")
            low = self.duration(jitter.get("from", {"seconds": 0}), f"{pointer}/jitter/from") or 0.0
            high = self.duration(jitter.get("to", {"seconds": 0}), f"{pointer}/jitter/to") or 0.0
            if high < low:
                self.problem(f"{pointer}/jitter", "jitter.to must not be less than jitter.from")
            policy.jitter = (low, high)
        policy.when = (
            self.string(spec["when"], f"{pointer}/when", "when") if "when" in spec else None
        )
        if "exceptWhen" in spec:
            policy.except_when = self.string(
                spec["exceptWhen"], f"{pointer}/exceptWhen", "exceptWhen"
            )
        if policy.count is None and policy.duration_seconds is None:
            self.problem(
                pointer, "a retry policy needs a limit (limit.attempt.count or limit.duration)"
            )
        return policy

    def _raise(self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]) -> Task:
        self._own_keys(spec, pointer, "raise")
        body = self.mapping(spec["raise"], f"{pointer}/raise", "raise") or {}
        self.keys(body, f"{pointer}/raise", ("error",), "raise")
        error = body.get("error")
        at = f"{pointer}/raise/error"
        found = self.referenced("errors", "error", error, at)
        error, at = found if found is not None else ({}, at)
        error = self.mapping(error, at, "raise.error") or {}
        self.keys(error, at, ("type", "status", "instance", "title", "detail"), "an error")
        for required in ("type", "status"):
            if required not in error:
                self.problem(at, f"an error needs {required!r}")
        if "status" in error and not (
            isinstance(error["status"], int) and not isinstance(error["status"], bool)
        ):
            self.problem(f"{at}/status", "status must be a whole number")
        return RaiseTask(name, pointer, "raise", error=dict(error), **base)
