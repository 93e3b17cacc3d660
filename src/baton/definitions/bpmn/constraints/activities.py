"""Processes and activities: what a process or sub-process may hold
(EXT.036, EXT.056, EXT.061, EXT.062), token quantities and loop markers,
the data sets of a service, send or receive task with an operation or a
message, multi-instance loops, resource roles, and what a call activity
passes to the element it calls (EXT.063-065). The rules of BPMN's Common
Executable conformance class apply to processes marked executable."""

from __future__ import annotations

from collections.abc import Iterator

from ....errors import Issue
from ._index import (
    ACTIVITIES,
    CHOREOGRAPHY_ACTIVITIES,
    END,
    GLOBAL_TASKS,
    START,
    SUB_PROCESSES,
    TASKS,
    Document,
    Element,
    a,
    children,
    describe,
    flag,
    is_bpmn,
    issue,
    local,
    same_item,
    texts,
)

LOOPS = ("standardLoopCharacteristics", "multiInstanceLoopCharacteristics")


def check_contents(doc: Document) -> Iterator[Issue]:
    """No choreography activity in a process (EXT.036) or sub-process
    (EXT.056); an ad-hoc sub-process holds an activity (EXT.061) and no
    start or end events or choreography activities (EXT.062); a public
    process is not executable (EXT.035)."""
    for scope in doc.all("process", *SUB_PROCESSES):
        kind = local(scope)
        for child in children(scope):
            if local(child) in CHOREOGRAPHY_ACTIVITIES:
                constraint = "EXT.036" if kind == "process" else "EXT.056"
                if kind == "adHocSubProcess":
                    constraint = "EXT.062"
                yield issue(
                    child,
                    constraint,
                    f"a choreography activity cannot stand in {a(kind)}",
                )
            elif kind == "adHocSubProcess" and local(child) in (START, END):
                yield issue(
                    child, "EXT.062", f"an ad-hoc sub-process cannot hold {a(local(child))}"
                )
        if kind == "adHocSubProcess" and not children(scope, *ACTIVITIES):
            yield issue(scope, "EXT.061", "an ad-hoc sub-process must hold at least one activity")
        if kind == "process" and scope.get("processType") == "Public" and doc.executable(scope):
            yield issue(scope, "EXT.035", "a public process cannot be marked executable")


def check_activity_attributes(doc: Document) -> Iterator[Issue]:
    """startQuantity (EXT.037) and completionQuantity (EXT.038) are at
    least 1; an activity has one loop marker at most — a loop or a
    multi-instance (EXT.041 for tasks, EXT.054/EXT.055 for sub-processes);
    a sub-process has no ioSpecification (EXT.079); an instantiating
    receive task has no incoming flow (EXT.049)."""
    for activity in doc.elements:
        kind = local(activity)
        if kind not in ACTIVITIES:
            continue
        for attribute, constraint in (
            ("startQuantity", "EXT.037"),
            ("completionQuantity", "EXT.038"),
        ):
            value = activity.get(attribute)
            if value is not None and not _at_least_one(value):
                yield issue(activity, constraint, f"{attribute} must be 1 or more (is {value!r})")
        if len(children(activity, *LOOPS)) > 1:
            constraint = "EXT.054/EXT.055" if kind in SUB_PROCESSES else "EXT.041"
            yield issue(
                activity,
                constraint,
                "an activity has a loop marker or a multi-instance marker, not both",
            )
        if kind in SUB_PROCESSES and children(activity, "ioSpecification"):
            yield issue(activity, "EXT.079", "a sub-process cannot have an ioSpecification")
        if (
            kind == "receiveTask"
            and flag(activity, "instantiate", False)
            and doc.incoming(activity)
            and doc.executable(activity)
        ):
            yield issue(
                activity,
                "EXT.049",
                "an instantiating receive task cannot have incoming sequence flows",
            )


def check_resource_roles(doc: Document) -> Iterator[Issue]:
    """A resource role names a resource or gives an assignment expression,
    not both (EXT.039); parameter bindings need the resource (EXT.040)."""
    for role in doc.elements:
        if not children(role, "resourceParameterBinding", "resourceAssignmentExpression"):
            continue
        named = bool(children(role, "resourceRef"))
        if named and children(role, "resourceAssignmentExpression"):
            yield issue(
                role,
                "EXT.039",
                "a resource role names a resourceRef or has a resourceAssignmentExpression, "
                "not both",
            )
        if not named and children(role, "resourceParameterBinding"):
            yield issue(
                role,
                "EXT.040",
                "parameter bindings of a resource role need the resourceRef they bind",
            )


def check_messages(doc: Document) -> Iterator[Issue]:
    """In an executable process: a service task with an operation has one
    inputSet (EXT.042) and at most one outputSet (EXT.043); a send task
    with a message has at most one inputSet (EXT.046) and one data input
    (EXT.047), a receive task at most one outputSet (EXT.050) and one data
    output (EXT.051)."""
    for task in doc.all("serviceTask"):
        operation = doc.resolve(task, task.get("operationRef"))
        if operation is None or local(operation) != "operation" or not doc.executable(task):
            continue
        io = _io(task)
        input_sets = children(io, "inputSet") if io is not None else []
        if len(input_sets) != 1:
            yield issue(
                task,
                "EXT.042",
                f"a service task with an operation needs exactly one inputSet "
                f"(has {len(input_sets)})",
            )
        if io is not None and len(children(io, "outputSet")) > 1:
            yield issue(
                task, "EXT.043", "a service task with an operation has at most one outputSet"
            )
    for task in doc.all("sendTask", "receiveTask"):
        message = doc.resolve(task, task.get("messageRef"))
        io = _io(task)
        if message is None or local(message) != "message" or io is None:
            continue
        if not doc.executable(task):
            continue
        sends = local(task) == "sendTask"
        sets, data = ("inputSet", "dataInput") if sends else ("outputSet", "dataOutput")
        set_rule, data_rule = ("EXT.046", "EXT.047") if sends else ("EXT.050", "EXT.051")
        if len(children(io, sets)) > 1:
            yield issue(task, set_rule, f"{a(local(task))} with a message has one {sets} at most")
        if len(children(io, data)) > 1:
            yield issue(task, data_rule, f"{a(local(task))} with a message has one {data} at most")


def check_multi_instance(doc: Document) -> Iterator[Issue]:
    """In an executable process a multi-instance activity says how many
    instances — a loopCardinality or a loopDataInputRef (EXT.067), unless a
    vendor extension does (camunda:collection, zeebe:loopCharacteristics);
    a task's loopDataInputRef names one of its data inputs (EXT.068); the
    input and output data items are single items of the loop data's
    collection (EXT.070, EXT.069)."""
    for loop in doc.all("multiInstanceLoopCharacteristics"):
        activity = loop.getparent()
        if not doc.executable(loop):
            continue
        vendor = any(str(k).startswith("{") for k in loop.attrib) or any(
            not is_bpmn(c) or local(c) == "extensionElements" for c in loop
        )
        if not children(loop, "loopCardinality", "loopDataInputRef") and not vendor:
            yield issue(
                activity,
                "EXT.067",
                "a multi-instance activity needs a loopCardinality or a loopDataInputRef",
            )
        for ref in children(loop, "loopDataInputRef"):
            target = doc.resolve(ref, ref.text)
            if target is None or local(activity) not in TASKS:
                continue
            io = _io(activity)
            own = io is not None and any(target is d for d in children(io, "dataInput"))
            if not own:
                yield issue(
                    activity,
                    "EXT.068",
                    f"a multi-instance task's loopDataInputRef must name one of its data "
                    f"inputs (is {describe(target)})",
                )
        for ref_kind, item_kind, constraint in (
            ("loopDataInputRef", "inputDataItem", "EXT.070"),
            ("loopDataOutputRef", "outputDataItem", "EXT.069"),
        ):
            refs, items = children(loop, ref_kind), children(loop, item_kind)
            if not refs or not items:
                continue
            collection = doc.resolve(refs[0], refs[0].text)
            whole = doc.item(collection) if collection is not None else None
            single = doc.item(items[0])
            if whole is None or single is None:
                continue
            if flag(single, "isCollection", False) or (
                whole.get("structureRef") != single.get("structureRef")
            ):
                yield issue(
                    activity,
                    constraint,
                    f"its {item_kind} must hold one item of the {ref_kind}'s collection "
                    f"(is {describe(single)})",
                )


def check_calls(doc: Document) -> Iterator[Issue]:
    """In an executable process: a call activity's data inputs and outputs
    match those of the process or global task it calls, when both declare
    them (EXT.063); a process, or a global task such a process calls,
    exposed as a service binds its operations (EXT.064) to its own inputs
    and outputs of the operation's message items (EXT.065)."""
    for activity in doc.all("callActivity"):
        called = doc.resolve(activity, activity.get("calledElement"))
        if called is None or not doc.executable(activity):
            continue
        mine, theirs = _io(activity), _io(called)
        if mine is None or theirs is None:
            continue
        for data in ("dataInput", "dataOutput"):
            ours, needed = children(mine, data), children(theirs, data)
            if len(ours) != len(needed) or any(
                same_item(doc.item(one), doc.item(other)) is False
                for one, other in zip(ours, needed, strict=False)
            ):
                yield issue(
                    activity,
                    "EXT.063",
                    f"its {data}s must match those of the {local(called)} "
                    f"{called.get('id')!r} it calls, one for one and of the same items "
                    f"(it has {len(ours)}, that has {len(needed)})",
                )
    for callable_ in doc.all("process", *GLOBAL_TASKS):
        if not children(callable_, "supportedInterfaceRef") or not doc.executable(callable_):
            continue
        bindings = children(callable_, "ioBinding")
        if not bindings:
            yield issue(
                callable_,
                "EXT.064",
                "an element exposed as a service (supportedInterfaceRef) needs an ioBinding",
            )
        for binding in bindings:
            operation = doc.resolve(binding, binding.get("operationRef"))
            if operation is None or local(operation) != "operation":
                continue
            for field, attribute in (
                ("inMessageRef", "inputDataRef"),
                ("outMessageRef", "outputDataRef"),
            ):
                message = _message(doc, operation, field)
                bound = doc.resolve(binding, binding.get(attribute))
                if message is None or bound is None:
                    continue
                wanted = doc.resolve(message, message.get("itemRef"))
                if same_item(doc.item(bound), wanted) is False:
                    yield issue(
                        callable_,
                        "EXT.065",
                        f"its ioBinding binds {describe(bound)}, whose item is not that of "
                        f"the operation's message {message.get('id')!r}",
                    )


def _io(el: Element) -> Element | None:
    found = children(el, "ioSpecification")
    return found[0] if found else None


def _message(doc: Document, operation: Element, field: str) -> Element | None:
    refs = texts(operation, field)
    message = doc.resolve(operation, refs[0]) if refs else None
    return message if message is not None and local(message) == "message" else None


def _at_least_one(value: str) -> bool:
    try:
        return int(value.strip()) >= 1
    except ValueError:
        return False
