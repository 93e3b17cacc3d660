"""Data: data objects, inputs and outputs agree with their item
definitions; input and output sets list the data they speak of; data
associations read from and write to the right side and, without a
transformation, carry one source; an event's data inputs or
outputs go one to one with its event definitions and their items."""

from __future__ import annotations

from collections.abc import Iterator

from ....errors import Issue
from ._index import (
    BOUNDARY,
    CATCH,
    END,
    START,
    THROW,
    Document,
    Element,
    a,
    children,
    describe,
    flag,
    issue,
    local,
    same_item,
    texts,
)

# EXT.020 for every kind; the catalogue repeats it per kind
COLLECTION_RULES = {
    "dataObject": "EXT.020/EXT.077",
    "dataInput": "EXT.020/EXT.081",
    "dataOutput": "EXT.020/EXT.083",
}

IN_SET_RULES = (("optionalInputRefs", "EXT.085"), ("whileExecutingInputRefs", "EXT.086"))
OUT_SET_RULES = (("optionalOutputRefs", "EXT.089"), ("whileExecutingOutputRefs", "EXT.090"))


def check_collections(doc: Document) -> Iterator[Issue]:
    """In an executable process, a data object, input or output says
    isCollection as its itemDefinition does (both default to false)."""
    for el in doc.all(*COLLECTION_RULES):
        item = doc.item(el)
        if item is None or not doc.executable(el):
            continue
        mine, theirs = flag(el, "isCollection", False), flag(item, "isCollection", False)
        if mine != theirs:
            yield issue(
                el,
                COLLECTION_RULES[local(el)],
                f"isCollection is {str(mine).lower()} but its itemDefinition "
                f"{item.get('id')!r} says {str(theirs).lower()}",
            )


def check_sets(doc: Document) -> Iterator[Issue]:
    """Every data input is in an inputSet (EXT.084) and every data output
    in an outputSet (EXT.088) of its own; in an executable process, an
    optional or while-executing input (EXT.085, EXT.086) or output
    (EXT.089, EXT.090) is also one of its set's data refs, and inputSets
    and outputSets name each other both ways (EXT.087)."""
    for holder in doc.elements:
        inputs, outputs = children(holder, "dataInput"), children(holder, "dataOutput")
        in_sets, out_sets = children(holder, "inputSet"), children(holder, "outputSet")
        for data, sets, set_kind, field, constraint in (
            (inputs, in_sets, "inputSet", "dataInputRefs", "EXT.084"),
            (outputs, out_sets, "outputSet", "dataOutputRefs", "EXT.088"),
        ):
            listed = {doc.ref_id(s, t) for s in sets for t in texts(s, field)}
            for el in data:
                if el.get("id") not in listed:
                    yield issue(
                        el,
                        constraint,
                        f"{a(local(el))} must be listed by an {set_kind} of its element ({field})",
                    )
        if not doc.executable(holder):
            continue
        for data_set, field, rules in (
            (in_sets, "dataInputRefs", IN_SET_RULES),
            (out_sets, "dataOutputRefs", OUT_SET_RULES),
        ):
            for one in data_set:
                listed = {doc.ref_id(one, t) for t in texts(one, field)}
                for extra, constraint in rules:
                    for ref in texts(one, extra):
                        if doc.ref_id(one, ref) not in listed:
                            yield issue(
                                one,
                                constraint,
                                f"its {extra} {ref!r} must also be one of its {field}",
                            )
        for one, field, back in [(s, "outputSetRefs", "inputSetRefs") for s in in_sets] + [
            (s, "inputSetRefs", "outputSetRefs") for s in out_sets
        ]:
            for ref in texts(one, field):
                other = doc.resolve(one, ref)
                if other is None or local(other) not in ("inputSet", "outputSet"):
                    continue
                if one.get("id") is None or one.get("id") not in {
                    doc.ref_id(other, t) for t in texts(other, back)
                }:
                    yield issue(
                        one,
                        "EXT.087",
                        f"its {field} names {describe(other)}, whose {back} do not name it back",
                    )


def check_associations(doc: Document) -> Iterator[Issue]:
    """A data output association never writes a data input (EXT.080) and a
    data input association never reads a data output (EXT.082); without
    a transformation, an association has one source (EXT.092)."""
    for association in doc.all("dataInputAssociation", "dataOutputAssociation"):
        sources = [doc.resolve(s, s.text) for s in children(association, "sourceRef")]
        targets = [doc.resolve(t, t.text) for t in children(association, "targetRef")]
        if local(association) == "dataOutputAssociation":
            for target in targets:
                if target is not None and local(target) == "dataInput":
                    yield issue(
                        association,
                        "EXT.080",
                        f"a data output association cannot write a data input "
                        f"(its target is {describe(target)})",
                    )
        else:
            for source in sources:
                if source is not None and local(source) == "dataOutput":
                    yield issue(
                        association,
                        "EXT.082",
                        f"a data input association cannot read a data output "
                        f"(its source is {describe(source)})",
                    )
        if children(association, "transformation"):
            continue
        if len(sources) > 1:
            yield issue(
                association,
                "EXT.092",
                f"a data association without a transformation has one sourceRef "
                f"(has {len(sources)})",
            )


def check_event_data(doc: Document) -> Iterator[Issue]:
    """In an executable process, an event with data outputs (a catch
    event) or inputs (a throw event) and event definitions has one per
    event definition (EXT.093), each of that definition's item
    — a message's, an error's, an escalation's or a signal's (EXT.094)."""
    for event in doc.all(START, END, CATCH, THROW, BOUNDARY):
        data_kind = "dataInput" if local(event) in (END, THROW) else "dataOutput"
        data = children(event, data_kind)
        if not data or not doc.executable(event):
            continue
        definitions = doc.definitions(event)
        if definitions and len(data) != len(definitions):
            yield issue(
                event,
                "EXT.093",
                f"an event with {data_kind}s has one per event definition "
                f"(has {len(data)} for {len(definitions)})",
            )
        for (kind, definition), element in zip(definitions, data, strict=False):
            wanted = _definition_item(doc, kind, definition)
            if wanted is not None and same_item(doc.item(element), wanted) is False:
                yield issue(
                    event,
                    "EXT.094",
                    f"its {data_kind} {element.get('id')!r} must hold the item of its "
                    f"{kind} ({wanted.get('id')!r})",
                )


def _definition_item(doc: Document, kind: str, definition: Element) -> Element | None:
    field, item_field = {
        "messageEventDefinition": ("messageRef", "itemRef"),
        "errorEventDefinition": ("errorRef", "structureRef"),
        "escalationEventDefinition": ("escalationRef", "structureRef"),
        "signalEventDefinition": ("signalRef", "structureRef"),
    }.get(kind, ("", ""))
    if not field:
        return None
    target = doc.resolve(definition, definition.get(field))
    if target is None:
        return None
    item = doc.resolve(target, target.get(item_field))
    return item if item is not None and local(item) == "itemDefinition" else None
