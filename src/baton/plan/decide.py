"""Decide nodes on the plan: the checks every plan's decide nodes pass
(a complete spec, a model of a format this Baton reads, a decision it has,
valid inputs, a known result form), and the one way front ends make a
:class:`DecisionSpec` from a DMN file they name (sagas, processes) or a
decision id they look up (BPMN business-rule tasks).

docs/dmn.md ("Decisions in definitions") says where files are looked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..decisions import FORMAT, DecisionError
from ..decisions.model import find_decision, index
from ..decisions.results import RESULT_FORMS
from ..definitions.dmn.files import DecisionFiles
from ..errors import DefinitionError, Issue
from ..expressions import check
from .model import DecisionSpec, Expr, PlanStep


def decision_issues(step: PlanStep, path: str) -> list[Issue]:
    """What is wrong with a decide node (plan paths, as the checks name them)."""
    spec = step.decide
    where = f"{path}.decide"
    if spec is None:
        return [Issue(where, "a decide node needs decide (a DecisionSpec)")]
    issues = [Issue(f"{where}.{field}", problem) for field, problem in spec_problems(spec)]
    if step.compensation is not None:
        issues.append(
            Issue(
                f"{path}.compensation", "a decide node changes nothing, so it has nothing to undo"
            )
        )
    return issues


def spec_problems(spec: DecisionSpec) -> list[tuple[str, str]]:
    """(field, problem) for each thing wrong with ``spec``."""
    problems = []
    model_problem = model_issue(spec.model, spec.decision)
    if model_problem is not None:
        problems.append(model_problem)
    if spec.inputs is not None and spec.template is not None:
        problems.append(("inputs", "a decision takes inputs or template, not both"))
    if spec.inputs is not None:
        problem = check(spec.inputs.source, spec.inputs.language)
        if problem:
            problems.append(("inputs", f"the expression {spec.inputs.source!r} {problem}"))
    if spec.template is not None and not isinstance(spec.template, dict):
        problems.append(("template", "must be an object of input names and values"))
    if spec.result not in RESULT_FORMS:
        problems.append(("result", f"{spec.result!r} is not one of {', '.join(RESULT_FORMS)}"))
    return problems


def model_issue(model: Any, decision: str | None) -> tuple[str, str] | None:
    """Whether ``model`` is a compiled model of a known format with ``decision``."""
    if not isinstance(model, Mapping) or model.get("format") != FORMAT:
        found = model.get("format") if isinstance(model, Mapping) else type(model).__name__
        return (
            "model",
            f"the model's format is {found!r}; this Baton reads {FORMAT!r} (compile the "
            ".dmn file with baton.definitions.dmn.read_dmn_file)",
        )
    try:
        find_decision(index(model), decision)
    except DecisionError as exc:
        return ("decision", str(exc))
    except (KeyError, TypeError, AttributeError) as exc:
        return ("model", f"is not a compiled decision model ({type(exc).__name__}: {exc})")
    return None


def from_file(
    files: DecisionFiles,
    file: str,
    decision: str | None,
    *,
    inputs: Expr | None = None,
    template: dict[str, Any] | None = None,
    result: str = "value",
) -> tuple[DecisionSpec | None, list[tuple[str, str]]]:
    """The spec of ``decision`` in the DMN file ``file``, or None and
    (field, problem) pairs: the file is not found (saying where it was
    looked for), cannot be read, or has no such decision."""
    try:
        found = files.by_file(file)
    except DefinitionError as exc:
        return None, [("file", f"{file} is not a DMN model Baton reads: {_first(exc)}")]
    if found is None:
        return None, [("file", f"no file {file!r} in {files.describe()}")]
    model, path = found
    spec = DecisionSpec(
        model=model,
        decision=decision,
        inputs=inputs,
        template=template,
        result=result,
        file=str(path),
    )
    problems = spec_problems(spec)
    problems = [(f, f"{p} ({path})") if f == "decision" else (f, p) for f, p in problems]
    return (None if problems else spec), problems


def by_decision(
    files: DecisionFiles,
    decision: str,
    *,
    inputs: Expr | None = None,
    result: str = "value",
) -> tuple[DecisionSpec | None, str]:
    """The spec of the decision of id (or name) ``decision`` in the first
    DMN file that has it, or None and why not (where it looked)."""
    found = files.by_decision(decision)
    if found is None:
        broken = files.broken()
        unread = f"; could not read {', '.join(broken)}" if broken else ""
        looked = [p.name for p in files.files()]
        seen = f" (DMN files there: {', '.join(looked)})" if looked else " (no .dmn file there)"
        return None, (
            f"no DMN file in {files.describe()} has the decision {decision!r}{seen}{unread}"
        )
    model, path = found
    spec = DecisionSpec(
        model=model, decision=decision, inputs=inputs, result=result, file=str(path)
    )
    problems = spec_problems(spec)
    if problems:
        return None, "; ".join(f"{field}: {problem}" for field, problem in problems)
    return spec, ""


def _first(exc: DefinitionError) -> str:
    if not exc.issues:
        return str(exc)
    issue = exc.issues[0]
    more = f" (and {len(exc.issues) - 1} more)" if len(exc.issues) > 1 else ""
    return f"{issue.path}: {issue.message}{more}" if issue.path else issue.message + more
