"""Expressions in a BPMN model — sequence flow conditions, loop and
multi-instance conditions and counts, conditional events — as plan
expressions over the process variables (the run's context)."""

from __future__ import annotations

from ...expressions import check
from ..model import Expr

# what a conditionExpression's `language` may say for jq
JQ_LANGUAGES = (None, "", "jq")
FEEL_OR_JUEL = ("=", "${", "#{")


def is_jq(language: str | None) -> bool:
    return language in JQ_LANGUAGES or str(language).endswith("/jq")


def expression(text: str, what: str, language: str | None = None) -> tuple[Expr | None, str]:
    """The plan expression of ``text``, or None and what is wrong with it."""
    text = text.strip()
    if not is_jq(language):
        return None, f"the {what} is in {language!r}; not supported yet (jq is)"
    if text.startswith(FEEL_OR_JUEL):
        return None, f"the {what} {text!r} is FEEL or JUEL; not supported yet (jq is)"
    problem = check(text, "jq")
    if problem:
        return None, f"the {what} {text!r} {problem}"
    return Expr(f"$context | ({text})", "jq"), ""


def jq(source: str) -> Expr:
    return Expr(source, "jq")


TRUE = jq("true")
# a node's new variables: what it gave, when that is an object
VARIABLES = jq(
    'if type == "object" then . else error("a script gives the variables: an object") end'
)
# the run's input, as the first variables
INPUT_VARIABLES = jq('if type == "object" then . else {} end')
# the variables with the data of the event(s) a node took merged in (a
# message's or signal's payload, when it is an object)
MERGE_EVENT_DATA = jq(
    '$context + ([.] | flatten | map(select(type == "object") | .data '
    '| select(type == "object")) | add // {})'
)
