"""How a node fails: one exception inside the interpreter, carrying a message
for people and an error object (a problem document: ``type``, ``status``,
``title``, ``detail``, ``instance``) that ``catch`` handlers match on.
Plain data and temporalio's exception types only (workflow code)."""

from __future__ import annotations

from typing import Any

from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    TimeoutError,
    TimeoutType,
)

# error types Baton itself gives (an activity's own ApplicationError type is kept)
TIMEOUT = "timeout"
WORKER_LOST = "worker_lost"
EXPRESSION = "expression"
SUBPROCESS = "subprocess"
APPROVAL = "approval"
ERROR = "error"
VALIDATION = "validation"
DECISION = "decision"  # a DMN decision could not be evaluated (a decide node)


class StepFailed(Exception):
    """A node failed: ``retryable`` says whether another attempt may help,
    ``worker_lost`` that its worker died (not the action), ``exhausted`` that
    retryable failures ran out of attempts."""

    def __init__(
        self,
        message: str,
        retryable: bool,
        worker_lost: bool = False,
        exhausted: bool = False,
        *,
        error: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.worker_lost = worker_lost
        self.exhausted = exhausted
        # the step was told to stop while this attempt ran: not retried
        self.cancelled = False
        self.error: dict[str, Any] = error or {"type": ERROR, "title": message}

    def again(
        self, message: str, *, retryable: bool = False, exhausted: bool = False
    ) -> StepFailed:
        """The same failure with a longer message (attempts ran out, ...)."""
        return StepFailed(message, retryable, exhausted=exhausted, error=self.error)


def problem(
    type: str, title: str, *, status: int | None = None, detail: Any = None
) -> dict[str, Any]:
    return {"type": type, "status": status, "title": title, "detail": detail}


def validation_failed(what: str, reason: str) -> StepFailed:
    """Data that does not match its JSON Schema (status 400, as the process
    language says)."""
    message = f"{what} does not match its schema: {reason}"
    return StepFailed(message, False, error=problem(VALIDATION, message, status=400))


# What a failed attempt raises: an activity on the task queue, an
# ActivityError whose cause is what failed; a local activity, what failed
# itself (an ApplicationError, a TimeoutError, a CancelledError).
ATTEMPT_ERRORS = (ActivityError, ApplicationError, TimeoutError, CancelledError)


def failure_cause(exc: BaseException) -> BaseException | None:
    """What failed in ``exc``, one of ``ATTEMPT_ERRORS`` (or a child
    workflow's error: its cause)."""
    if isinstance(exc, (ApplicationError, TimeoutError, CancelledError)):
        return exc
    return getattr(exc, "cause", None)


def as_step_failure(exc: Exception) -> StepFailed:
    """An activity's failure, as the interpreter sees it."""
    cause = failure_cause(exc)
    worker_lost = isinstance(cause, TimeoutError) and cause.type == TimeoutType.HEARTBEAT
    message = describe_failure(exc)
    return StepFailed(
        message,
        retryable=is_retryable(exc),
        worker_lost=worker_lost,
        error=_error_of(cause, message),
    )


def _error_of(cause: Any, message: str) -> dict[str, Any]:
    if isinstance(cause, TimeoutError):
        kind = WORKER_LOST if cause.type == TimeoutType.HEARTBEAT else TIMEOUT
        return problem(kind, message)
    if isinstance(cause, ApplicationError):
        status = None
        if cause.details and isinstance(cause.details[0], dict):
            found = cause.details[0].get("status")
            status = found if isinstance(found, int) else None
        return problem(cause.type or ERROR, message, status=status)
    return problem(ERROR, message)


def describe_failure(exc: Exception) -> str:
    cause = failure_cause(exc)
    if isinstance(cause, TimeoutError):
        if cause.type == TimeoutType.HEARTBEAT:
            return "no heartbeat from the worker running this attempt (worker lost)"
        kind = cause.type.name if cause.type is not None else "TIMEOUT"
        return f"attempt timed out ({kind.lower().replace('_', ' ')})"
    if isinstance(cause, ApplicationError):
        return cause.message
    return str(cause or exc)


def is_retryable(exc: Exception) -> bool:
    cause = failure_cause(exc)
    return not (isinstance(cause, ApplicationError) and cause.non_retryable)
