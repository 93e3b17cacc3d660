"""Reading decision logic — decision tables and the boxed expressions
(literal expressions, contexts, lists, relations, invocations, function
definitions, conditionals) — into the compiled model's ``logic`` dicts,
checking every expression's syntax with the scope's names.

Expressions are FEEL unless a model or an element says JUEL
(``expressionLanguage="juel"``, Camunda 7's default for some cells);
decision-table input entries must be FEEL unary tests. An empty input entry
means ``-`` (any), as Camunda Modeler writes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree

from ...decisions.model import AGGREGATIONS, HIT_POLICIES
from ...decisions.types import canonical_type
from ...errors import Issue
from ...expressions import feel, juel

LOGIC_KINDS = (
    "decisionTable",
    "literalExpression",
    "context",
    "list",
    "relation",
    "invocation",
    "functionDefinition",
    "conditional",
    "encapsulatedLogic",
)
REFUSED_LOGIC = ("iterator", "filter", "for", "some", "every")
FEEL_LANGUAGES = (
    "",
    "feel",
    "FEEL",
    "http://www.omg.org/spec/FEEL/20140401",
    "https://www.omg.org/spec/FEEL/20140401",
    "http://www.omg.org/spec/DMN/20180521/FEEL/",
    "https://www.omg.org/spec/DMN/20191111/FEEL/",
    "https://www.omg.org/spec/DMN/20211108/FEEL/",
    "https://www.omg.org/spec/DMN/20230324/FEEL/",
)
JUEL_LANGUAGES = ("juel", "JUEL", "http://www.jcp.org/en/jsr/detail?id=245")


def local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def text_of(el: etree._Element, ns: str, name: str) -> str | None:
    child = el.find(f"{{{ns}}}{name}")
    return None if child is None else (child.text or "")


def _short(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= 40 else one_line[:37] + "..."


class Issues:
    """The problems found, each at an element's line, type and id."""

    def __init__(self) -> None:
        self.list: list[Issue] = []

    def __bool__(self) -> bool:
        return bool(self.list)

    def add(self, el: etree._Element, message: str, label: str | None = None) -> None:
        ident = el.get("id")
        line = el.sourceline if isinstance(el.sourceline, int) else None
        self.add_at(line, label or local(el), ident, message)

    def add_at(self, line: int | None, kind: str, ident: str | None, message: str) -> None:
        where = f"line {line}, {kind}" + (f" {ident!r}" if ident else "")
        self.list.append(Issue(where, message))


class LogicReader:
    def __init__(self, ns: str, issues: Issues, language: str | None, names: Iterable[str]) -> None:
        self.ns = ns
        self.issues = issues
        self.default_language = self._language_of(language or "")
        self.names = list(names)

    def _children(self, el: etree._Element, name: str) -> list[etree._Element]:
        return [child for child in el if child.tag == f"{{{self.ns}}}{name}"]

    @staticmethod
    def _language_of(uri: str) -> str | None:
        if uri in FEEL_LANGUAGES or uri.lower().rstrip("/").endswith("/feel"):
            return "feel"
        if uri in JUEL_LANGUAGES:
            return "juel"
        return None

    def language(self, el: etree._Element) -> str:
        uri = el.get("expressionLanguage")
        if uri is None:
            return self.default_language or "feel"
        found = self._language_of(uri)
        if found is None:
            self.issues.add(
                el, f"is written in {uri!r}; Baton evaluates FEEL and JUEL (the ${{...}} subset)"
            )
            return "feel"
        return found

    def check(
        self, el: etree._Element, text: str, language: str, names: list[str], what: str
    ) -> None:
        if language == "juel":
            problem = juel.check(text)
        else:
            problem = feel.check(text, [*self.names, *names])
        if problem:
            self.issues.add(el, f"{what} `{_short(text)}` {problem}")

    def _expression_child(self, el: etree._Element) -> etree._Element | None:
        for child in el:
            if isinstance(child.tag, str) and local(child) in (*LOGIC_KINDS, *REFUSED_LOGIC):
                return child
        return None

    def read(
        self, el: etree._Element, owner: str, names: list[str] | None = None
    ) -> dict[str, Any] | None:
        """The logic dict of ``el`` (a decision's, a BKM's or an entry's)."""
        names = names or []
        kind = local(el)
        base = {
            "id": el.get("id"),
            "line": el.sourceline,
            "type": canonical_type(el.get("typeRef")),
        }
        if kind == "literalExpression":
            text = text_of(el, self.ns, "text")
            if el.find(f"{{{self.ns}}}importedValues") is not None:
                self.issues.add(el, "uses importedValues, which Baton does not read")
                return None
            language = self.language(el)
            if text is None or not text.strip():
                return {**base, "kind": "literal", "text": "null", "language": "feel"}
            self.check(el, text, language, names, "the expression")
            return {**base, "kind": "literal", "text": text, "language": language}
        if kind == "decisionTable":
            return self.table(el, names, base)
        if kind == "context":
            return self.context(el, owner, names, base)
        if kind == "list":
            items = [self.read(child, owner, names) for child in el if local(child) in LOGIC_KINDS]
            return {**base, "kind": "list", "items": items}
        if kind == "relation":
            return self.relation(el, owner, names, base)
        if kind == "invocation":
            return self.invocation(el, owner, names, base)
        if kind in ("functionDefinition", "encapsulatedLogic"):
            return self.function(el, owner, names, base)
        if kind == "conditional":
            parts = {}
            for part in ("if", "then", "else"):
                holder = self._children(el, part)
                body = self._expression_child(holder[0]) if holder else None
                if body is None:
                    self.issues.add(el, f"has no '{part}' expression")
                    return None
                parts[part] = self.read(body, owner, names)
            return {**base, "kind": "conditional", **parts}
        self.issues.add(el, f"is a boxed {kind}, which Baton does not evaluate yet")
        return None

    def context(
        self, el: etree._Element, owner: str, names: list[str], base: dict[str, Any]
    ) -> dict[str, Any]:
        entries = []
        local_names = list(names)
        for entry in self._children(el, "contextEntry"):
            variable = self._children(entry, "variable")
            name = variable[0].get("name") if variable else None
            body = self._expression_child(entry)
            if body is None:
                self.issues.add(entry, "has no expression")
                continue
            entry_names = [*local_names, name] if name else local_names
            entries.append(
                {
                    "name": name,
                    "type": canonical_type(variable[0].get("typeRef")) if variable else None,
                    "logic": self.read(body, owner, entry_names),
                }
            )
            if name:
                local_names.append(name)
        return {**base, "kind": "context", "entries": entries}

    def relation(
        self, el: etree._Element, owner: str, names: list[str], base: dict[str, Any]
    ) -> dict[str, Any]:
        columns = [str(c.get("name")) for c in self._children(el, "column")]
        rows = []
        for row in self._children(el, "row"):
            cells = [self.read(child, owner, names) for child in row if local(child) in LOGIC_KINDS]
            if len(cells) != len(columns):
                self.issues.add(row, f"has {len(cells)} cells for {len(columns)} columns")
            rows.append(cells)
        return {**base, "kind": "relation", "columns": columns, "rows": rows}

    def invocation(
        self, el: etree._Element, owner: str, names: list[str], base: dict[str, Any]
    ) -> dict[str, Any] | None:
        target = self._expression_child(el)
        if target is None or local(target) != "literalExpression":
            self.issues.add(el, "does not name the function it invokes (a literal expression)")
            return None
        function = (text_of(target, self.ns, "text") or "").strip()
        bindings = []
        for binding in self._children(el, "binding"):
            parameter = self._children(binding, "parameter")
            name = parameter[0].get("name") if parameter else None
            if not name:
                self.issues.add(binding, "binds no parameter name")
                continue
            body = self._expression_child(binding)
            bindings.append(
                {"name": name, "logic": self.read(body, owner, names) if body is not None else None}
            )
        return {**base, "kind": "invocation", "function": function, "bindings": bindings}

    def function(
        self, el: etree._Element, owner: str, names: list[str], base: dict[str, Any]
    ) -> dict[str, Any] | None:
        kind = el.get("kind", "FEEL")
        if kind != "FEEL":
            self.issues.add(
                el, f"is a {kind} function, which Baton refuses (it would call Java or PMML)"
            )
            return None
        params = [
            {"name": str(p.get("name")), "type": canonical_type(p.get("typeRef"))}
            for p in self._children(el, "formalParameter")
        ]
        body = self._expression_child(el)
        if body is None:
            self.issues.add(el, "has no body")
            return None
        inner = [*names, *(str(p["name"]) for p in params)]
        return {
            **base,
            "kind": "function",
            "params": params,
            "logic": self.read(body, owner, inner),
        }

    # ---- decision tables ----

    def table(self, el: etree._Element, names: list[str], base: dict[str, Any]) -> dict[str, Any]:
        hit_policy = el.get("hitPolicy", "UNIQUE")
        aggregation = el.get("aggregation")
        if hit_policy not in HIT_POLICIES:
            self.issues.add(
                el, f"has the hit policy {hit_policy!r}; known: {', '.join(HIT_POLICIES)}"
            )
        if aggregation is not None:
            if aggregation not in AGGREGATIONS:
                self.issues.add(
                    el, f"has the aggregation {aggregation!r}; known: {', '.join(AGGREGATIONS)}"
                )
            if hit_policy != "COLLECT":
                self.issues.add(
                    el,
                    f"aggregates ({aggregation}) with the hit policy {hit_policy}; only COLLECT aggregates",
                )
        inputs = [self.table_input(i, names) for i in self._children(el, "input")]
        outputs = [self.table_output(o, names) for o in self._children(el, "output")]
        annotations = [str(a.get("name") or "") for a in self._children(el, "annotation")]
        if not outputs:
            self.issues.add(el, "has no output column")
        if len(outputs) > 1:
            seen: set[str] = set()
            for output, out_el in zip(outputs, self._children(el, "output"), strict=True):
                if not output["name"]:
                    self.issues.add(out_el, "has no name (a table with several outputs names each)")
                elif output["name"] in seen:
                    self.issues.add(out_el, f"repeats the output name {output['name']!r}")
                seen.add(output["name"] or "")
            if aggregation:
                self.issues.add(
                    el, f"aggregates ({aggregation}) several outputs; DMN aggregates one"
                )
        if hit_policy in ("PRIORITY", "OUTPUT ORDER") and not any(o["values"] for o in outputs):
            self.issues.add(
                el, f"has no output with outputValues, which the {hit_policy} hit policy orders by"
            )
        rules = [
            self.rule(r, position, len(inputs), len(outputs), names)
            for position, r in enumerate(self._children(el, "rule"), start=1)
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
        expression = self._children(el, "inputExpression")
        text = ""
        language = "feel"
        type_ref = None
        if not expression:
            self.issues.add(el, "has no inputExpression")
        else:
            text = (text_of(expression[0], self.ns, "text") or "").strip()
            language = self.language(expression[0])
            type_ref = expression[0].get("typeRef")
            if not text:
                self.issues.add(expression[0], "is empty", "inputExpression")
            else:
                self.check(expression[0], text, language, names, "the input expression")
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
        holder = self._children(el, tag)
        if not holder:
            return None
        text = (text_of(holder[0], self.ns, "text") or "").strip()
        if not text:
            return None
        problem = feel.check_unary_tests(text, [*self.names, *names])
        if problem:
            self.issues.add(holder[0], f"`{_short(text)}` {problem}", tag)
        return text

    def table_output(self, el: etree._Element, names: list[str]) -> dict[str, Any]:
        default = None
        holder = self._children(el, "defaultOutputEntry")
        if holder:
            default = (text_of(holder[0], self.ns, "text") or "").strip() or None
            if default:
                self.check(
                    holder[0], default, self.language(holder[0]), names, "the default output"
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
        entries = self._children(el, "inputEntry")
        results = self._children(el, "outputEntry")
        if len(entries) != inputs:
            self.issues.add(el, f"has {len(entries)} input entries for {inputs} inputs", label)
        if len(results) != outputs:
            self.issues.add(el, f"has {len(results)} output entries for {outputs} outputs", label)
        tests = []
        for index, entry in enumerate(entries, start=1):
            text = (text_of(entry, self.ns, "text") or "").strip() or "-"
            if self.language(entry) != "feel":
                self.issues.add(
                    entry,
                    "is not FEEL; input entries are FEEL unary tests",
                    f"{label}, input entry {index}",
                )
            problem = feel.check_unary_tests(text, [*self.names, *names])
            if problem:
                self.issues.add(el, f"input entry {index} `{_short(text)}` {problem}", label)
            tests.append(text)
        values = []
        for index, entry in enumerate(results, start=1):
            text = (text_of(entry, self.ns, "text") or "").strip() or "null"
            language = self.language(entry)
            self.check(el, text, language, names, f"({label}) output entry {index}")
            values.append({"text": text, "language": language})
        annotations = [
            (text_of(a, self.ns, "text") or "").strip()
            for a in self._children(el, "annotationEntry")
        ]
        description = text_of(el, self.ns, "description")
        if description and description.strip() and not annotations:
            annotations = [description.strip()]
        return {
            "id": el.get("id"),
            "line": el.sourceline,
            "inputs": tests,
            "outputs": values,
            "annotations": annotations,
        }
