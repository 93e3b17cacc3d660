"""BPMN activities on the plan: tasks, script tasks, receive and send
tasks, sub-processes (embedded and transactions), call activities, and
their loops (standard loops and multi-instance)."""

from __future__ import annotations

import json
from dataclasses import replace

from ...definitions.bpmn import FlowNode
from ...definitions.bpmn.tree import find_extension
from ...expressions import check
from ..model import Expr, LoopSpec, NodeKind, PlanStep, ThrowSpec, WaitSpec
from .bindings import bind_service_task, binds_send_task
from .conditions import INPUT_VARIABLES, MERGE_EVENT_DATA, TRUE, VARIABLES, jq
from .event_flows import EventFlows
from .rules import BusinessRules
from .user_tasks import compile_user_task

PASS_ON = ("task", "manualTask")  # no work of their own: the token goes on
SCRIPT_FORMATS = ("jq",)
# a called process's variables, merged into the caller's when it completes
MERGE_OUTPUT = jq('$context + (if type == "object" then . else {} end)')


class Activities(EventFlows, BusinessRules):
    """The activity part of the compiler."""

    def activity_node(self, node: FlowNode, step: PlanStep, top: bool) -> None:
        kind = node.kind
        if kind in PASS_ON:
            pass
        elif kind == "scriptTask":
            self.script(node, step)
        elif kind == "receiveTask":
            self.receive(node, step, top)
        elif kind == "sendTask" and not binds_send_task(self, node):
            self.send(node, step)
        elif kind in ("serviceTask", "sendTask"):
            bind_service_task(self, node, step)  # bindings.py
        elif kind == "userTask":
            compile_user_task(self, node, step)  # user_tasks.py
        elif kind == "subProcess":
            # an embedded sub-process: a scope, done when nothing runs in it
            step.kind = NodeKind.SCOPE
            step.body = self.scope(
                node.nodes, node.flows, self.where(node), owner=node.id, top=False
            )
            # its compensation event sub-process, if it has one, undoes it
            step.undo_with = self.undo_scopes.pop(node.id, None)
        elif kind == "transaction":
            # a scope that undoes what completed in it when it fails or is cancelled
            step.kind = NodeKind.SCOPE
            step.compensate_on_error = True
            step.body = self.scope(
                node.nodes, node.flows, self.where(node), owner=node.id, top=False
            )
        elif kind == "callActivity":
            self.call(node, step)
        elif kind == "adHocSubProcess":
            self.ad_hoc(node, step)
        elif kind == "businessRuleTask":
            self.business_rule(node, step)  # a DMN decision (rules.py)
        else:
            self.unsupported(node)
        for attribute, field in (
            ("startQuantity", "tokens_in"),
            ("completionQuantity", "tokens_out"),
        ):
            text = node.attributes.get(attribute, "1")
            if not text.isdigit() or not 1 <= int(text) <= 100:
                self.refuse(node, f"{attribute}={text!r} must be a whole number from 1 to 100")
            else:
                setattr(step, field, int(text))

    def ad_hoc(self, node: FlowNode, step: PlanStep) -> None:
        """An ad-hoc sub-process: its activities (no start event) all run —
        at once, or one after another in the model's order with
        ``ordering="Sequential"`` — and it ends when they have."""
        if node.attributes.get("completionCondition"):
            self.refuse(node, "an ad-hoc sub-process's completionCondition is not supported yet")
            return
        sequential = node.attributes.get("ordering") == "Sequential"
        if sequential and node.flows:
            self.refuse(
                node,
                "a sequential ad-hoc sub-process with sequence flows inside is not supported yet",
            )
            return
        step.kind = NodeKind.SCOPE
        step.body = self.scope(
            node.nodes, node.flows, self.where(node), owner=node.id, top=False, ad_hoc=True
        )
        if sequential:
            for before, after in zip(step.body, step.body[1:], strict=False):
                after.after = [before.id]

    def script(self, node: FlowNode, step: PlanStep) -> None:
        """A jq script: its value (over the variables) is the new variables."""
        if find_extension(node.extension_elements, "script") is not None:
            self.refuse(node, "a Zeebe FEEL script task (zeebe:script) is not supported yet")
            return
        if node.script_format not in SCRIPT_FORMATS:
            written = (
                f"scriptFormat {node.script_format!r}" if node.script_format else "no scriptFormat"
            )
            self.refuse(
                node,
                f"{written}: Baton runs {', '.join(SCRIPT_FORMATS)} scripts here "
                '(scriptFormat="jq")',
            )
            return
        source = (node.script or "").strip() or "."
        problem = check(source, "jq")
        if problem:
            self.refuse(node, f"the script {source!r} {problem}")
            return
        # tokens carry the variables; the script's value is the new ones
        step.kind = NodeKind.SET
        step.value = Expr(f"$context | ({source})", "jq")
        step.export = VARIABLES

    def receive(self, node: FlowNode, step: PlanStep, top: bool) -> None:
        """A receive task waits for its message; one that instantiates the
        process is its start (the run's input is the message's data)."""
        if self.instantiates(node) and top and not node.incoming:
            step.export = INPUT_VARIABLES
            return
        wanted = self.event_filter(node, "", {}, message_ref=node.attributes.get("messageRef"))
        if wanted is None:
            return
        step.kind = NodeKind.WAIT
        step.wait = WaitSpec(events=[wanted])
        step.export = MERGE_EVENT_DATA

    def send(self, node: FlowNode, step: PlanStep) -> None:
        """A send task sends its message (the process variables as its data)
        to the runs waiting for it."""
        ref = node.attributes.get("messageRef")
        if not ref:
            self.refuse(node, "a sendTask needs a messageRef here (the message it sends)")
            return
        name = self.message_name(node, ref)
        if name is not None:
            step.kind = NodeKind.THROW
            step.throw = ThrowSpec(kind="message", name=name, data=jq("$context"))

    def call(self, node: FlowNode, step: PlanStep) -> None:
        """A call activity runs a global task of the model in place, or
        another process of the model as a child run: it gets the process
        variables as its input, and its variables are merged back."""
        called = node.attributes.get("calledElement")
        zeebe = find_extension(node.extension_elements, "calledElement")
        if not called and zeebe is not None:
            called = zeebe.attributes.get("processId")
        if not called:
            self.refuse(node, "a callActivity needs a calledElement (the process it calls)")
            return
        called = called.split(":")[-1]  # a QName's local part
        if called in self.model.global_tasks:
            task = self.model.global_tasks[called]
            inner = self.node(
                replace(task, id=node.id, name=node.name or task.name, line=node.line), False
            )
            step.kind, step.value, step.export, step.wait, step.throw = (
                inner.kind,
                inner.value,
                inner.export,
                inner.wait,
                inner.throw,
            )
            return
        model = self.model
        process = next((p for p in model.processes if p.id == called), None)
        if process is None and self.catalog is not None:
            found = self.catalog.find_bpmn(called)
            if found is not None:
                model = found[0]
                process = next(p for p in model.processes if p.id == called)
        if process is None:
            where = self.catalog.describe() if self.catalog is not None else "nowhere else"
            self.refuse(
                node,
                f"its calledElement {called!r} is no process or global task of this model, "
                f"nor of a .bpmn file in {where} (the model's directory, then "
                "BATON_PROCESS_PATH)",
            )
            return
        if process.id in self.calling:
            chain = " -> ".join((*self.calling, process.id))
            self.refuse(node, f"the call activity calls a process that is calling it ({chain})")
            return
        plan = self.called_plan(process, model)
        if plan is None:
            return
        step.kind = NodeKind.SUBPROCESS
        step.subprocess = plan
        step.action_from = jq("$context")
        step.export = MERGE_OUTPUT

    def collection(self, node: FlowNode) -> tuple[Expr | None, str, tuple[str, Expr] | None] | None:
        """A multi-instance activity over a collection: the expression giving
        the list, the variable each instance sees its item as, and where the
        instances' outputs go (a variable and the expression giving each
        instance's) — from Zeebe's ``loopCharacteristics``, Camunda 7's
        ``collection``/``elementVariable`` or BPMN's ``loopDataInputRef`` and
        ``inputDataItem``. None: not over a collection."""
        spec = node.loop_attributes
        zeebe = find_extension(node.loop_extensions, "loopCharacteristics")
        camunda = {k.rsplit("}", 1)[-1]: v for k, v in spec.items() if k.startswith("{")}
        if zeebe is not None and zeebe.attributes.get("inputCollection"):
            found = zeebe.attributes
            source, item = found["inputCollection"], found.get("inputElement", "item")
            each = self.expression(node, source, "inputCollection")
            output = None
            if found.get("outputCollection"):
                element = self.expression(
                    node, found.get("outputElement") or f"={item}", "outputElement"
                )
                output = (found["outputCollection"], element) if element else None
            return each, item, output
        if camunda.get("collection"):
            source = camunda["collection"]
            if not source.startswith(("${", "#{", "=")):
                source = f"${{{source}}}"  # a variable's name
            each = self.expression(node, source, "collection")
            return each, camunda.get("elementVariable", "item"), None
        if spec.get("loopDataInputRef"):
            ref = spec["loopDataInputRef"]
            variable = self.model.data_names.get(ref, ref)
            each = jq(f"$context | .{json.dumps(variable)} // []")
            return each, spec.get("inputDataItem") or "item", None
        return None

    def behavior_event(self, node: FlowNode) -> str | None:
        """The signal a multi-instance activity throws as its instances
        complete (its ``behavior`` None or One, with an event definition)."""
        spec = node.loop_attributes
        behavior = spec.get("behavior", "All")
        if behavior == "All":
            return None
        if behavior == "Complex" or spec.get("complexBehaviorDefinition") is not None:
            self.refuse(node, "a multi-instance behavior Complex is not supported yet")
            return None
        if behavior == "One" and spec.get("isSequential") != "true":
            self.refuse(
                node, "behavior One on a parallel multi-instance activity is not supported yet"
            )
            return None
        ref = spec.get("noneBehaviorEventRef" if behavior == "None" else "oneBehaviorEventRef")
        kind, fields = self.model.event_definitions.get(ref or "", ("", {}))
        if kind != "signalEventDefinition":
            if ref:
                self.refuse(node, f"the behavior's event {ref!r} is not a signal event definition")
            return None
        return self.signal_name(node, fields)

    def looped(self, node: FlowNode, inner: PlanStep) -> PlanStep:
        """A loop node whose body is the activity: a standard loop repeats it
        while ``loopCondition`` holds (checked after each run unless
        ``testBefore``; at most ``loopMaximum`` runs); a multi-instance
        activity runs it ``loopCardinality`` times, at once unless
        ``isSequential``, until ``completionCondition`` holds."""
        spec = node.loop_attributes
        step = PlanStep(id=node.id, name=node.name or node.id, action={}, kind=NodeKind.LOOP)
        inner.id = f"{node.id}/run"  # each run of the activity: loop[i]/<id>/run
        step.body = [inner]
        if node.loop == "standardLoopCharacteristics":
            condition = spec.get("loopCondition")
            maximum = spec.get("loopMaximum")
            if not condition and not maximum:
                self.refuse(node, "a standard loop needs a loopCondition or a loopMaximum")
                return step
            holds = self.expression(node, condition, "loopCondition") if condition else TRUE
            if maximum and not maximum.isdigit():
                self.refuse(node, f"loopMaximum {maximum!r} is not a whole number")
            elif maximum and holds is not None:
                # at most loopMaximum runs: then the loop ends (it does not fail)
                holds = Expr(f"({holds.source}) and ($runs < {int(maximum)})", "jq")
            step.loop = LoopSpec(
                condition=holds, test_before=spec.get("testBefore") == "true", index="runs"
            )
            return step
        completion = spec.get("completionCondition")
        over = self.collection(node)
        if over is not None:
            each, item, output = over
            if each is None:
                return step
            zeebe = find_extension(node.loop_extensions, "loopCharacteristics") is not None
            step.loop = LoopSpec(
                each=each,
                item=item,
                index="loopCounter",
                index_base=1 if zeebe else 0,  # Zeebe counts instances from 1
                parallel=spec.get("isSequential") != "true",
                collect=output is not None,
                complete_when=self.expression(node, completion, "completionCondition")
                if completion
                else None,
            )
            if output is not None:
                variable, element = output
                step.body.append(
                    PlanStep(
                        id=f"{node.id}/element",
                        name=f"{node.name or node.id} (its output element)",
                        action={},
                        kind=NodeKind.SET,
                        value=element,
                        after=[inner.id],
                    )
                )
                step.export = jq(f"$context + {{{json.dumps(variable)}: .}}")
            return step
        cardinality = spec.get("loopCardinality")
        if not cardinality:
            self.refuse(node, "a multi-instance activity needs a loopCardinality or a collection")
            return step
        thrown = self.behavior_event(node)
        if thrown is not None:
            # the multi-instance behavior: an event after each instance (None)
            # or after the first (One), for boundary events on the activity
            event = PlanStep(
                id=f"{node.id}/event",
                name=f"{node.name or node.id} (instance done)",
                action={},
                kind=NodeKind.THROW,
                throw=ThrowSpec(kind="signal", name=thrown, broadcast=False),
                after=[inner.id],
                when=jq("$loopCounter == 0") if spec.get("behavior") == "One" else None,
            )
            step.body.append(event)
        step.loop = LoopSpec(
            times=self.expression(node, cardinality, "loopCardinality"),
            index="loopCounter",
            parallel=spec.get("isSequential") != "true",
            complete_when=self.expression(node, completion, "completionCondition")
            if completion
            else None,
        )
        return step
