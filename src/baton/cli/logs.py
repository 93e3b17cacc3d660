"""Logging for the command line: Temporal's worker logs every failed activity
with a traceback, but a failed attempt is an expected, recorded event in Baton
(the audit trail has its message), so the CLI keeps one line for it."""

from __future__ import annotations

import logging
import sys


class _ExpectedFailureFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # records about activities come only once the SDK is loaded
        exceptions = sys.modules.get("temporalio.exceptions")
        error = getattr(exceptions, "ApplicationError", None)
        if record.exc_info and error is not None and isinstance(record.exc_info[1], error):
            record.msg = f"{record.getMessage()}: {record.exc_info[1]}"
            record.args = ()
            record.exc_info = None
        return True


def configure_cli_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("temporalio.activity").addFilter(_ExpectedFailureFilter())
