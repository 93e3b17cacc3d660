"""Vendor extensions that change what a model does and that Baton does not
run — variable mappings, listeners, a script's result variable, a called
process that keeps its variables to itself — refused on every element, so
a model is never run as if they were not there. Service, send and user
tasks handle their own mappings (:mod:`.bindings`)."""

from __future__ import annotations

from ...definitions.bpmn import FlowNode

ZEEBE = "http://camunda.org/schema/zeebe/1.0"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
# kinds whose own compilers read their mappings (bound tasks, user tasks)
MAPPED_ELSEWHERE = ("serviceTask", "userTask", "sendTask")
LISTENERS = {
    (CAMUNDA, "executionListener"): "camunda:executionListener",
    (CAMUNDA, "taskListener"): "camunda:taskListener",
    (ZEEBE, "executionListeners"): "zeebe:executionListeners",
    (ZEEBE, "taskListeners"): "zeebe:taskListeners",
}
MAPPINGS = {
    (ZEEBE, "ioMapping"): "zeebe:ioMapping (input and output mappings)",
    (CAMUNDA, "inputOutput"): "camunda:inputOutput",
    (CAMUNDA, "in"): "camunda:in (variables into a called process)",
    (CAMUNDA, "out"): "camunda:out (variables out of a called process)",
}


def unrun_extensions(node: FlowNode, mapped_elsewhere: bool) -> list[str]:
    """What of ``node``'s extensions Baton would ignore; each is a reason
    to refuse it (``mapped_elsewhere``: its mappings are read by its kind's
    own compiler)."""
    found: list[str] = []
    for extension in node.extension_elements:
        namespace, _, local = extension.tag.lstrip("{").partition("}")
        if (namespace, local) in LISTENERS:
            found.append(f"{LISTENERS[namespace, local]} (listeners run Java or scripts)")
        elif (namespace, local) in MAPPINGS and not mapped_elsewhere:
            found.append(MAPPINGS[namespace, local])
        elif (namespace, local) == (ZEEBE, "calledElement"):
            if extension.attributes.get("propagateAllChildVariables") == "false":
                found.append('zeebe:calledElement propagateAllChildVariables="false"')
    if node.kind == "scriptTask" and f"{{{CAMUNDA}}}resultVariable" in node.extensions:
        found.append("camunda:resultVariable on a script task (a jq script gives the variables)")
    return found
