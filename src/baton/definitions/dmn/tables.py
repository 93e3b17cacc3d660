"""Reading a decision table: its hit policy and aggregation, input and
output columns (with input values, output values and default outputs),
annotation columns and rules, checking each cell's FEEL as it goes.

Input entries must be FEEL unary tests; an empty one means ``-`` (any), as
Camunda Modeler writes it. Output entries and input expressions may be FEEL
or JUEL. A table is refused for an unknown hit policy, an aggregation with
another hit policy than COLLECT or with several outputs, unnamed or repeated
output names when there are several, a PRIORITY or OUTPUT ORDER table with
no output values, and rules with the wrong number of entries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lxml import etree

from ...decisions.model import AGGREGATIONS, HIT_POLICIES
from ...decisions.types import canonical_type
from ...expressions import feel
from .elements import short, text_of

if TYPE_CHECKING:
    from .logic import LogicReader


class TableReader:
    """Reads decision tables for a :class:`.logic.LogicReader` (its
    namespace, issues, languages and names)."""

    def __init__(self, logic: LogicReader) -> None:
        self.logic = logic

    def read(self, el: etree._Element, names: list[str], base: dict[str, Any]) -> dict[str, Any]:
        hit_policy = el.get("hitPolicy", "UNIQUE")
        aggregation = el.get("aggregation")
        if hit_policy not in HIT_POLICIES:
            self.logic.issues.add(
                el, f"has the hit policy {hit_policy!r}; known: {', '.join(HIT_POLICIES)}"
            )
        if aggregation is not None:
            if aggregation not in AGGREGATIONS:
                self.logic.issues.add(
                    el, f"has the aggregation {aggregation!r}; known: {', '.join(AGGREGATIONS)}"
                )
            if hit_policy != "COLLECT":
                self.logic.issues.add(
                    el,
                    f"aggregates ({aggregation}) with the hit policy {hit_policy}; only COLLECT aggregates",
                )
        inputs = [self.table_input(i, names) for i in self.logic.children(el, "input")]
        outputs = [self.table_output(o, names) for o in self.logic.children(el, "output")]
        annotations = [str(a.get("name") or "") for a in self.logic.children(el, "annotation")]
        if not outputs:
            self.logic.issues.add(el, "has no output column")
        if len(outputs) > 1:
            seen: set[str] = set()
            for output, out_el in zip(outputs, self.logic.children(el, "output"), strict=True):
                if not output["name"]:
                    self.logic.issues.add(
                        out_el, "has no name (a table with several outputs names each)"
                    )
                elif output["name"] in seen:
                    self.logic.issues.add(out_el, f"repeats the output name {output['name']!r}")
                seen.add(output["name"] or "")
            if aggregation:
                self.logic.issues.add(
                    el, f"aggregates ({aggregation}) several outputs; DMN aggregates one"
                )
        if hit_policy in ("PRIORITY", "OUTPUT ORDER") and not any(o["values"] for o in outputs):
            self.logic.issues.add(
                el, f"has no output with outputValues, which the {hit_policy} hit policy orders by"
            )
        rules = [
            self.rule(r, position, len(inputs), len(outputs), names)
            for position, r in enumerate(self.logic.children(el, "rule"), start=1)
        ]
        return {
            **base,
            "kind": "table",
            "hit_policy": hit_policy,
            "aggregation": aggregation,
            "inputs": inputs,
            "outputs": outputs,
            "annotations": annotations,
            "rules": rules,
        }

    def table_input(self, el: etree._Element, names: list[str]) -> dict[str, Any]:
        expression = self.logic.children(el, "inputExpression")
        text = ""
        language = "feel"
        type_ref = None
        if not expression:
            self.logic.issues.add(el, "has no inputExpression")
        else:
            text = (text_of(expression[0], self.logic.ns, "text") or "").strip()
            language = self.logic.language(expression[0])
            type_ref = expression[0].get("typeRef")
            if not text:
                self.logic.issues.add(expression[0], "is empty", "inputExpression")
            else:
                self.logic.check(expression[0], text, language, names, "the input expression")
        values = self._values(el, "inputValues", names)
        return {
            "id": el.get("id"),
            "label": el.get("label") or text,
            "text": text,
            "language": language,
            "type": canonical_type(type_ref),
            "values": values,
            "line": el.sourceline,
        }

    def _values(self, el: etree._Element, tag: str, names: list[str]) -> str | None:
        holder = self.logic.children(el, tag)
        if not holder:
            return None
        text = (text_of(holder[0], self.logic.ns, "text") or "").strip()
        if not text:
            return None
        problem = feel.check_unary_tests(text, [*self.logic.names, *names])
        if problem:
            self.logic.issues.add(holder[0], f"`{short(text)}` {problem}", tag)
        return text

    def table_output(self, el: etree._Element, names: list[str]) -> dict[str, Any]:
        default = None
        holder = self.logic.children(el, "defaultOutputEntry")
        if holder:
            default = (text_of(holder[0], self.logic.ns, "text") or "").strip() or None
            if default:
                self.logic.check(
                    holder[0], default, self.logic.language(holder[0]), names, "the default output"
                )
        return {
            "id": el.get("id"),
            "name": el.get("name"),
            "label": el.get("label") or el.get("name"),
            "type": canonical_type(el.get("typeRef")),
            "values": self._values(el, "outputValues", names),
            "default": default,
            "line": el.sourceline,
        }

    def rule(
        self, el: etree._Element, position: int, inputs: int, outputs: int, names: list[str]
    ) -> dict[str, Any]:
        label = f"rule {position}"
        entries = self.logic.children(el, "inputEntry")
        results = self.logic.children(el, "outputEntry")
        if len(entries) != inputs:
            self.logic.issues.add(
                el, f"has {len(entries)} input entries for {inputs} inputs", label
            )
        if len(results) != outputs:
            self.logic.issues.add(
                el, f"has {len(results)} output entries for {outputs} outputs", label
            )
        tests = []
        for index, entry in enumerate(entries, start=1):
            text = (text_of(entry, self.logic.ns, "text") or "").strip() or "-"
            if self.logic.language(entry) != "feel":
                self.logic.issues.add(
                    entry,
                    "is not FEEL; input entries are FEEL unary tests",
                    f"{label}, input entry {index}",
                )
            problem = feel.check_unary_tests(text, [*self.logic.names, *names])
            if problem:
                self.logic.issues.add(el, f"input entry {index} `{short(text)}` {problem}", label)
            tests.append(text)
        values = []
        for index, entry in enumerate(results, start=1):
            text = (text_of(entry, self.logic.ns, "text") or "").strip() or "null"
            language = self.logic.language(entry)
            self.logic.check(el, text, language, names, f"({label}) output entry {index}")
            values.append({"text": text, "language": language})
        annotations = [
            (text_of(a, self.logic.ns, "text") or "").strip()
            for a in self.logic.children(el, "annotationEntry")
        ]
        description = text_of(el, self.logic.ns, "description")
        if description and description.strip() and not annotations:
            annotations = [description.strip()]
        return {
            "id": el.get("id"),
            "line": el.sourceline,
            "inputs": tests,
            "outputs": values,
            "annotations": annotations,
        }
