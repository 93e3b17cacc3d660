"""Serverless Workflow 1.0 documents (the Open Workflow Specification, "the
process language"), read into Baton's own typed tree.

A document with ``document.dsl: 1.0.x`` is read here: its shape is checked
(every problem named by its JSON pointer, e.g. ``/do/1/setRed/then``), and
so is what Baton can run — a feature outside that is refused before anything
starts, naming the task and the feature. Expressions (``${ ... }``, jq) are
kept as text; the compiler (:mod:`baton.plan.process`) checks them.

``tests/definitions/test_process_corpus.py`` reads every file of the
specification's own examples, conformance kit and invalid fixtures, and
checks that what the official JSON Schema refuses, this reader refuses too.
"""

from .reader import read_workflow
from .syntax import expression_source, is_process_document
from .tree import (
    BatonCallTask,
    CallTask,
    Catch,
    DoTask,
    EmitTask,
    EventFilterSpec,
    ForkTask,
    ForTask,
    ListenTask,
    RaiseTask,
    RetryPolicy,
    RunTask,
    SetTask,
    SwitchCase,
    SwitchTask,
    Task,
    TryTask,
    WaitTask,
    Workflow,
)

__all__ = [
    "BatonCallTask",
    "CallTask",
    "Catch",
    "DoTask",
    "EmitTask",
    "EventFilterSpec",
    "ForTask",
    "ForkTask",
    "ListenTask",
    "RaiseTask",
    "RetryPolicy",
    "RunTask",
    "SetTask",
    "SwitchCase",
    "SwitchTask",
    "Task",
    "TryTask",
    "WaitTask",
    "Workflow",
    "expression_source",
    "is_process_document",
    "read_workflow",
]
