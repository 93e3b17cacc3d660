"""DMN models and plans for the tests of decide nodes: the loan example of
examples/dmn, a UNIQUE table whose rules overlap (two match an amount over
100: the decision fails), and a hand-built plan with both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from baton.definitions.dmn import read_dmn, read_dmn_file
from baton.plan.model import Catch, DecisionSpec, Expr, NodeKind, Plan, Route
from tests.support.plans import control, e, node, plan
from tests.support.sagas import script

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "dmn"
LOAN_DMN = EXAMPLES / "loan_approval.dmn"

# UNIQUE, but rules 1 and 2 both match an amount over 100
OVERLAPPING_DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="fees" name="Fees"
    namespace="https://example.com/baton/tests">
  <decision id="fee" name="Fee">
    <decisionTable id="fee_table" hitPolicy="UNIQUE">
      <input id="in_amount" label="amount">
        <inputExpression id="ie_amount" typeRef="number"><text>amount</text></inputExpression>
      </input>
      <output id="out_fee" name="fee" typeRef="number"/>
      <rule id="over_10"><inputEntry><text>&gt; 10</text></inputEntry>
        <outputEntry><text>1</text></outputEntry></rule>
      <rule id="over_100"><inputEntry><text>&gt; 100</text></inputEntry>
        <outputEntry><text>5</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""


def loan_model() -> dict[str, Any]:
    return read_dmn_file(LOAN_DMN)


def overlapping_model() -> dict[str, Any]:
    return read_dmn(OVERLAPPING_DMN.encode(), "fees.dmn")


def loan_inputs(age: int, score: int, amount: int) -> dict[str, Any]:
    return {"Applicant Age": age, "Credit Score": score, "Loan Amount": amount}


def decisions_plan() -> Plan:
    """A decision routes to an action (approved: offer; else: refer) that
    uses its output; then a decision that fails (two UNIQUE rules match) is
    caught by type ``decision``."""
    return plan(
        control(
            "assess",
            NodeKind.DECIDE,
            decide=DecisionSpec(model=loan_model(), decision="Loan Approval"),
            routes=[Route("offer", e("output.Status == 'approved'")), Route("refer")],
        ),
        node("offer", script("printf '{\"offer\": %s}' {assess.Limit}"), after=["assess"]),
        node("refer", script('printf \'{"referred": "%s"}\' {assess.Status}'), after=["assess"]),
        control(
            "fee",
            NodeKind.DECIDE,
            after=["offer", "refer"],
            join="any",
            decide=DecisionSpec(
                model=overlapping_model(), inputs=Expr("{'amount': workflow.input['Loan Amount']}")
            ),
            catch=[Catch(type="decision", to="no_fee")],
        ),
        control("no_fee", NodeKind.SET, after=["fee"], value=e("{'fee': 0, 'why': input.title}")),
        output="output",
    )
