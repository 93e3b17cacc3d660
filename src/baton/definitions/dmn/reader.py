"""Reading a DMN document: the decision requirements graph — decisions,
input data, business knowledge models and the requirements between them —
into a compiled decision model (:mod:`baton.decisions.model`).

Checked here, before anything runs: names present and unique, every
requirement pointing at an element of the model, no cycle among decisions
or among knowledge models, every expression in a language Baton runs and
free of syntax errors, every decision table well formed
(:mod:`.logic`). Elements that do not take part in evaluation
(``knowledgeSource``, ``decisionService``, ``textAnnotation``, diagrams)
are skipped; ``import`` is refused (Baton reads one file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from ...decisions.model import FORMAT
from ...decisions.types import canonical_type
from ...errors import DefinitionError, Issue
from ..bpmn.xml import parse
from .elements import Issues, local, text_of
from .logic import LOGIC_KINDS, REFUSED_LOGIC, LogicReader

# DMN 1.1 to 1.5 model namespaces
NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "https://www.omg.org/spec/DMN/20211108/MODEL/",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
)
SKIPPED = (
    "knowledgeSource",
    "decisionService",
    "textAnnotation",
    "association",
    "group",
    "artifact",
    "description",
    "extensionElements",
    "DMNDI",
    "elementCollection",
    "businessContextElement",
    "performanceIndicator",
    "organizationUnit",
)


def read_dmn_file(path: str | Path) -> dict[str, Any]:
    """The compiled model of the DMN file at ``path``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DefinitionError(
            str(path), [Issue("", f"cannot read the file: {exc.strerror}")]
        ) from None
    return read_dmn(data, str(path))


def read_dmn(data: bytes, source: str = "<bytes>") -> dict[str, Any]:
    """The compiled decision model of a DMN document, or a DefinitionError
    naming each problem by element type, id and line."""
    root = parse(data, source)
    namespace = etree.QName(root).namespace
    if local(root) != "definitions" or namespace not in NAMESPACES:
        raise DefinitionError(
            source,
            [
                Issue(
                    f"line {root.sourceline}",
                    f"the root is {local(root)} in {namespace or 'no namespace'}, "
                    "not DMN 1.1–1.5 definitions",
                )
            ],
        )
    return _Reader(root, namespace, source).read()


class _Reader:
    def __init__(self, root: etree._Element, namespace: str, source: str) -> None:
        self.root = root
        self.ns = namespace
        self.source = source
        self.issues = Issues()
        self.ids: dict[str, etree._Element] = {}

    def children(self, el: etree._Element, name: str) -> list[etree._Element]:
        return [child for child in el if child.tag == f"{{{self.ns}}}{name}"]

    def read(self) -> dict[str, Any]:
        root = self.root
        language = root.get("expressionLanguage")
        self._index(root)
        types = {
            str(el.get("name")): self.item_definition(el)
            for el in self.children(root, "itemDefinition")
            if el.get("name")
        }
        drg: dict[str, list[etree._Element]] = {
            "decision": [],
            "inputData": [],
            "businessKnowledgeModel": [],
        }
        for el in root:
            if not isinstance(el.tag, str):
                continue
            kind = local(el)
            if etree.QName(el).namespace != self.ns:
                continue  # another vendor's extension at the top level
            if kind in drg:
                drg[kind].append(el)
            elif kind == "import":
                self.issues.add(
                    el, "imports another model; Baton reads one file (merge the models)"
                )
            elif kind not in SKIPPED and kind != "itemDefinition":
                self.issues.add(el, f"is not part of a DMN decision model Baton reads ({kind})")
        names = self.names(drg)
        logic = LogicReader(self.ns, self.issues, language, [*names, *types])
        inputs = [self.input_data(el) for el in drg["inputData"]]
        knowledge = [self.knowledge(el, logic) for el in drg["businessKnowledgeModel"]]
        decisions = [self.decision(el, logic) for el in drg["decision"]]
        if not decisions:
            self.issues.add(root, "the model has no decision")
        self.check_cycles(decisions, "decision", "decisions")
        self.check_cycles(knowledge, "businessKnowledgeModel", "knowledge")
        if self.issues:
            raise DefinitionError(self.source, self.issues.list)
        return {
            "format": FORMAT,
            "name": root.get("name"),
            "namespace": root.get("namespace"),
            "source": self.source,
            "types": types,
            "inputs": inputs,
            "knowledge": knowledge,
            "decisions": decisions,
        }

    def _index(self, root: etree._Element) -> None:
        for el in root.iter():
            if not isinstance(el.tag, str) or etree.QName(el).namespace != self.ns:
                continue
            ident = el.get("id")
            if ident:
                if ident in self.ids:
                    self.issues.add(
                        el,
                        f"uses the id {ident!r} of the element on line {self.ids[ident].sourceline}",
                    )
                else:
                    self.ids[ident] = el

    def names(self, drg: dict[str, list[etree._Element]]) -> list[str]:
        seen: dict[str, etree._Element] = {}
        for kind in ("inputData", "decision", "businessKnowledgeModel"):
            for el in drg[kind]:
                name = el.get("name")
                if not el.get("id"):
                    self.issues.add(el, "has no id")
                if not name or not name.strip():
                    self.issues.add(el, "has no name")
                    continue
                if name in seen:
                    other = seen[name]
                    self.issues.add(
                        el,
                        f"has the name {name!r} of the {local(other)} on line {other.sourceline}",
                    )
                seen[name] = el
        return list(seen)

    def _type(self, el: etree._Element) -> str | None:
        variable = self.children(el, "variable")
        type_ref = variable[0].get("typeRef") if variable else None
        return canonical_type(type_ref)

    def item_definition(self, el: etree._Element) -> dict[str, Any]:
        type_ref = el.get("typeRef") or text_of(el, self.ns, "typeRef")
        components = {
            str(child.get("name")): self.item_definition(child)
            for child in self.children(el, "itemComponent")
            if child.get("name")
        }
        allowed = None
        for values in self.children(el, "allowedValues"):
            allowed = text_of(values, self.ns, "text")
        return {
            "type": canonical_type(type_ref.strip()) if type_ref else None,
            "collection": el.get("isCollection") == "true",
            "components": components or None,
            "allowed": allowed.strip() if allowed and allowed.strip() else None,
        }

    def input_data(self, el: etree._Element) -> dict[str, Any]:
        return {
            "id": el.get("id"),
            "name": el.get("name"),
            "type": self._type(el),
            "line": el.sourceline,
        }

    def requirement(self, holder: etree._Element, href: str | None, expected: str) -> str | None:
        """The name of the element a requirement's ``href="#id"`` points at."""
        if not href or not href.startswith("#"):
            self.issues.add(
                holder, f"has a requirement on {href!r}, which is not in this model (#id)"
            )
            return None
        target = self.ids.get(href[1:])
        if target is None:
            self.issues.add(holder, f"requires {href}, which is not an element of the model")
            return None
        if local(target) != expected:
            self.issues.add(
                holder, f"requires {href}, a {local(target)}, where a {expected} belongs"
            )
            return None
        return target.get("name")

    def requirements(self, el: etree._Element) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {"decisions": [], "inputs": [], "knowledge": []}
        pairs = (
            ("informationRequirement", "requiredDecision", "decision", "decisions"),
            ("informationRequirement", "requiredInput", "inputData", "inputs"),
            ("knowledgeRequirement", "requiredKnowledge", "businessKnowledgeModel", "knowledge"),
        )
        for holder_name, ref_name, expected, key in pairs:
            for holder in self.children(el, holder_name):
                for ref in self.children(holder, ref_name):
                    name = self.requirement(holder, ref.get("href"), expected)
                    if name and name not in found[key]:
                        found[key].append(name)
        return found

    def decision(self, el: etree._Element, logic: LogicReader) -> dict[str, Any]:
        body = [
            child
            for child in el
            if isinstance(child.tag, str) and local(child) in (*LOGIC_KINDS, *REFUSED_LOGIC)
        ]
        if not body:
            self.issues.add(el, "has no decision logic (a decision table or an expression)")
        read = logic.read(body[0], el.get("name") or "") if body else None
        return {
            "id": el.get("id"),
            "name": el.get("name"),
            "type": self._type(el),
            "line": el.sourceline,
            "requires": self.requirements(el),
            "logic": read,
        }

    def knowledge(self, el: etree._Element, logic: LogicReader) -> dict[str, Any]:
        encapsulated = self.children(el, "encapsulatedLogic")
        if not encapsulated:
            self.issues.add(el, "has no encapsulatedLogic")
            function = None
        else:
            function = logic.read(encapsulated[0], el.get("name") or "")
        return {
            "id": el.get("id"),
            "name": el.get("name"),
            "line": el.sourceline,
            "requires": self.requirements(el),
            "logic": function,
        }

    def check_cycles(self, elements: list[dict[str, Any]], kind: str, key: str) -> None:
        by_name = {e["name"]: e for e in elements if e.get("name")}
        state: dict[str, int] = {}  # 1 visiting, 2 done

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = path[path.index(name) :] + [name]
                element = by_name[name]
                self.issues.add_at(
                    element["line"],
                    kind,
                    element["id"],
                    "is part of a cycle of requirements: " + " → ".join(cycle),
                )
                return
            state[name] = 1
            for required in by_name[name]["requires"][key]:
                if required in by_name:
                    visit(required, [*path, name])
            state[name] = 2

        for name in by_name:
            visit(name, [])
