"""Reading decision logic — the boxed expressions (literal expressions,
contexts, lists, relations, invocations, function definitions,
conditionals), and decision tables through :mod:`.tables` — into the
compiled model's ``logic`` dicts, checking every expression's syntax with
the scope's names.

Expressions are FEEL unless a model or an element says JUEL
(``expressionLanguage="juel"``, as Camunda 7 writes on input expressions).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree

from ...decisions.types import canonical_type
from ...expressions import feel, juel
from .elements import Issues, local, short, text_of
from .tables import TableReader

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


class LogicReader:
    def __init__(self, ns: str, issues: Issues, language: str | None, names: Iterable[str]) -> None:
        self.ns = ns
        self.issues = issues
        self.default_language = self._language_of(language or "")
        self.names = list(names)

    def children(self, el: etree._Element, name: str) -> list[etree._Element]:
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
            self.issues.add(el, f"{what} `{short(text)}` {problem}")

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
            return TableReader(self).read(el, names, base)
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
                holder = self.children(el, part)
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
        for entry in self.children(el, "contextEntry"):
            variable = self.children(entry, "variable")
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
        columns = [str(c.get("name")) for c in self.children(el, "column")]
        rows = []
        for row in self.children(el, "row"):
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
        for binding in self.children(el, "binding"):
            parameter = self.children(binding, "parameter")
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
            for p in self.children(el, "formalParameter")
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
