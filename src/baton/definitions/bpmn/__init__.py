"""BPMN 2.0 models (``.bpmn`` XML, as Camunda Modeler, Zeebe, Signavio,
bpmn.io and other tools export them), read into Baton's own tree: every
flow element with its id, name, line, event definition and flows, every
problem named by element type, id and line. The compiler to Plan v2 comes
with issue 12; docs/bpmn-libraries.md says why Baton reads BPMN itself."""

from .reader import read_bpmn
from .tree import BPMN, FlowNode, Model, Process, SequenceFlow

__all__ = ["BPMN", "FlowNode", "Model", "Process", "SequenceFlow", "read_bpmn"]
