"""The names Baton's workflows are registered under. Plain constants, so a
client that only starts, queries or lists runs by name does not import the
workflows themselves (docs/benchmarks.md, CLI responsiveness)."""

from __future__ import annotations

WORKFLOW_NAME = "BatonProcess"  # the interpreter of plans (ProcessWorkflow)
APPROVAL_WORKFLOW_NAME = "BatonApproval"  # one approval (HumanApprovalWorkflow)
SWEEP_WORKFLOW_NAME = "BatonSweep"  # a parameter sweep (SweepWorkflow)
STATUS_QUERY = "status"  # all three answer it with their status document
