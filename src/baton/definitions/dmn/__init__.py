"""DMN decision models (``.dmn`` XML, DMN 1.1 to 1.5, as Camunda Modeler,
Trisotech, bpmn.io and the DMN TCK write them), read into a *compiled
decision model*: a plain JSON-able dict that can ride inside a workflow's
input and be evaluated there by :mod:`baton.decisions`.

Every problem is named by element type, id and line; XML that is not
well-formed by line and column. The format of the dict is documented in
:mod:`baton.decisions.model`."""

from .reader import read_dmn, read_dmn_file

__all__ = ["read_dmn", "read_dmn_file"]
