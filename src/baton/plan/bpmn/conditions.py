"""Expressions in a BPMN model — sequence flow conditions, loop and
multi-instance conditions and counts, conditional events — as plan
expressions over the process variables (the run's context)."""

from __future__ import annotations

from ...expressions import check
from ..model import Expr


def language_of(text: str, language: str | None) -> str | None:
    """Which of Baton's languages an expression is in: FEEL when its
    ``language`` says so or (Zeebe's way) it starts with ``=``; JUEL when it
    is ``${...}`` (Camunda 7's way) or its language says so; else jq (no
    language, or one that says jq). None: a language Baton does not run."""
    lowered = (language or "").lower()
    if "feel" in lowered or (not lowered and text.startswith("=")):
        return "feel"
    if "juel" in lowered or lowered.endswith("/el") or (not lowered and text.startswith("${")):
        return "juel"
    if lowered in ("", "jq") or lowered.endswith("/jq"):
        return "jq"
    return None


def expression(text: str, what: str, language: str | None = None) -> tuple[Expr | None, str]:
    """The plan expression of ``text`` (over the process variables), or None
    and what is wrong with it."""
    text = text.strip()
    found = language_of(text, language)
    if found is None:
        return None, f"the {what} is in {language!r}, which Baton does not run (FEEL, JUEL and jq)"
    if found == "feel":
        source = text.removeprefix("=").strip()
    elif found == "juel":
        if text.startswith("#{"):
            text = "${" + text[2:]
        source = text
    else:
        source = text
    problem = check(source, found)
    if problem and problem.startswith("is not valid"):
        return None, f"the {what} {text!r} {problem}"
    if problem:
        return None, f"the {what} {text!r} is not valid {found.upper()}: {problem}"
    if found == "jq":
        return Expr(f"$context | ({source})", "jq"), ""
    return Expr(source, found), ""


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
