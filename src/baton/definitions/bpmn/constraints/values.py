"""Attribute and expression values: text formats are MIME types (EXT.004,
EXT.010); expression languages (EXT.014) and transaction methods
(EXT.060) are URIs; a formal expression has a body (EXT.013); a
completion condition is no number (EXT.071, EXT.072); a timer
has one of timeDate, timeDuration and timeCycle (EXT.131), each an ISO
8601 date (EXT.132), repeating interval (EXT.133) or duration (EXT.134)
unless it is an expression (``${…}``, ``#{…}``, ``=…`` or one with its
own language); definitions hold root elements only (EXT.078)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ....errors import Issue
from ._index import (
    ACTIVITIES,
    EVENT_DEFINITIONS,
    XSI_TYPE,
    Document,
    a,
    children,
    is_bpmn,
    issue,
    local,
)

MIME = re.compile(r"^[A-Za-z0-9][\w!#$&^.+-]*/[A-Za-z0-9][\w!#$&^.+-]*(\s*;.*)?$")
URI = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")
_NUMBER = r"\d+(?:[.,]\d+)?"
DURATION = re.compile(
    rf"^-?P(?=\d|T\d)(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?$"
)
DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:T\d{2}(?::\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$"
)
CRON_FIELD = r"[0-9A-Za-z*?/,#LW-]+"
CRON = re.compile(rf"^{CRON_FIELD}(?:\s+{CRON_FIELD}){{4,6}}$")
TIMER_FIELDS = {
    "timeDate": ("EXT.132", "an ISO 8601 date and time", lambda v: bool(DATE.match(v))),
    "timeDuration": ("EXT.134", "an ISO 8601 duration", lambda v: bool(DURATION.match(v))),
    "timeCycle": ("EXT.133", "an ISO 8601 repeating interval (or cron)", lambda v: _cycle(v)),
}
ROOT_ELEMENTS = EVENT_DEFINITIONS | {
    "category",
    "collaboration",
    "globalConversation",
    "choreography",
    "globalChoreographyTask",
    "correlationProperty",
    "dataStore",
    "endPoint",
    "error",
    "escalation",
    "globalTask",
    "globalUserTask",
    "globalManualTask",
    "globalScriptTask",
    "globalBusinessRuleTask",
    "interface",
    "itemDefinition",
    "message",
    "partnerEntity",
    "partnerRole",
    "process",
    "resource",
    "signal",
}
# besides root elements, definitions hold these (and other namespaces' elements: DI, vendors)
DEFINITIONS_CONTENT = ROOT_ELEMENTS | {
    "import",
    "extension",
    "relationship",
    "documentation",
    "extensionElements",
}
BODY_REQUIRED = ("dataPath", "messagePath", "transformation")
NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def check_formats(doc: Document) -> Iterator[Issue]:
    """Text formats are MIME types; languages and transaction methods URIs."""
    for el in doc.elements:
        kind = local(el)
        text_format = el.get("textFormat")
        if text_format is not None and not MIME.match(text_format.strip()):
            constraint = "EXT.010" if kind == "textAnnotation" else "EXT.004"
            yield issue(
                el,
                constraint,
                f"textFormat must be a MIME type such as text/plain (is {text_format!r})",
            )
        for attribute in ("language", "expressionLanguage", "typeLanguage"):
            value = el.get(attribute)
            if value is not None and not URI.match(value.strip()):
                yield issue(el, "EXT.014", f"{attribute} must be a URI (is {value!r})")
        method = el.get("method") if kind == "transaction" else None
        if method is not None and not method.startswith("##") and not URI.match(method.strip()):
            yield issue(
                el,
                "EXT.060",
                f"a transaction's method must be ##Compensate, ##Store, ##Image or a URI "
                f"(is {method!r})",
            )


def check_expression_bodies(doc: Document) -> Iterator[Issue]:
    """EXT.013: in an executable process, a formal expression (xsi:type
    tFormalExpression), a complex
    behaviour's condition, a data or message path and a transformation
    have a body."""
    for el in doc.elements:
        kind = local(el)
        formal = (el.get(XSI_TYPE) or "").split(":")[-1] == "tFormalExpression"
        required = kind in BODY_REQUIRED or (
            kind == "condition" and local(el.getparent()) == "complexBehaviorDefinition"
        )
        if (formal or required) and not (el.text or "").strip() and len(el) == 0:
            if not doc.executable(el):
                continue
            yield issue(el, "EXT.013", f"a formal expression needs a body (the {kind} is empty)")


def check_conditions(doc: Document) -> Iterator[Issue]:
    """A multi-instance activity's completionCondition (EXT.071) and a
    complex behaviour's condition (EXT.072) are boolean expressions: a
    number literal is not one in any expression language."""
    for el in doc.all("completionCondition", "condition"):
        parent = local(el.getparent())
        if (local(el), parent) == ("completionCondition", "multiInstanceLoopCharacteristics"):
            constraint = "EXT.071"
        elif (local(el), parent) == ("condition", "complexBehaviorDefinition"):
            constraint = "EXT.072"
        else:
            continue
        body = (el.text or "").strip()
        if NUMBER.match(body):
            activity = next(
                (an for an in el.iterancestors() if local(an) in ACTIVITIES), el.getparent()
            )
            yield issue(
                activity,
                constraint,
                f"its {local(el)} must be a boolean expression (is the number {body})",
            )


def check_timers(doc: Document) -> Iterator[Issue]:
    """A timer has at most one of timeDate, timeDuration and timeCycle
    (EXT.131), each well formed (EXT.132-134)."""
    for timer in doc.all("timerEventDefinition"):
        event = timer.getparent()
        fields = children(timer, *TIMER_FIELDS)
        if len(fields) > 1:
            yield issue(
                event,
                "EXT.131",
                "a timer has one of timeDate, timeDuration and timeCycle "
                f"(has {', '.join(local(f) for f in fields)})",
            )
        for field in fields:
            value = (field.text or "").strip()
            if not value or len(field) or field.get("language") or _expression(value):
                continue
            constraint, what, valid = TIMER_FIELDS[local(field)]
            if not valid(value):
                yield issue(
                    event,
                    constraint,
                    f"{local(field)} must be {what} or an expression (is {value!r})",
                )


def check_root_elements(doc: Document) -> Iterator[Issue]:
    """EXT.078: what definitions hold directly are root elements (a
    property, say, belongs to a process, an activity or an event)."""
    for child in doc.root:
        if is_bpmn(child) and local(child) not in DEFINITIONS_CONTENT:
            yield issue(
                child,
                "EXT.078",
                f"{a(local(child))} cannot stand directly in definitions (only root elements: "
                "process, collaboration, message, …)",
            )


def _expression(value: str) -> bool:
    return "${" in value or "#{" in value or value.startswith("=")


def _cycle(value: str) -> bool:
    if CRON.match(value):
        return True
    parts = value.split("/")
    if parts[0].startswith("R"):
        if not re.match(r"^R\d*$", parts[0]):
            return False
        parts = parts[1:]
    if not 1 <= len(parts) <= 2:
        return False
    return all(DURATION.match(p) or DATE.match(p) for p in parts)
