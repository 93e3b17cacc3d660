"""A request's form and the values a decision fills it with (plan.forms),
and a signed decision binding them."""

from __future__ import annotations

import time

import pytest

from baton.identity.credentials import (
    CredentialError,
    DecisionSubject,
    issue,
    sign_decision,
    verify_proof,
)
from baton.plan.forms import form_fields, form_problem

CAMUNDA_FORM = {
    "schema": {
        "components": [
            {"type": "textfield", "key": "note", "label": "Note"},
            {"type": "number", "key": "amount"},
            {"type": "checkbox", "key": "urgent"},
            {"type": "text", "text": "# Heading"},  # shows text, takes no value
            {
                "type": "group",
                "components": [
                    {"type": "select", "key": "size", "values": [{"value": "s"}, {"value": "m"}]},
                    {"type": "taglist", "key": "tags", "values": [{"value": "a"}]},
                    {"type": "datetime", "key": "due"},
                ],
            },
        ]
    }
}


def test_a_camunda_forms_keyed_components_are_its_fields_groups_included():
    fields = form_fields(CAMUNDA_FORM)
    assert {k: f["kind"] for k, f in fields.items()} == {
        "note": "string",
        "amount": "number",
        "urgent": "boolean",
        "size": "enum",
        "tags": "enum_list",
        "due": "date",
    }


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"note": "x", "amount": 2.5, "urgent": True, "size": "m", "tags": ["a"]}, None),
        ({"due": "2026-12-24T10:00:00Z", "note": None}, None),
        ({"amount": True}, "expected a number"),
        ({"urgent": "yes"}, "expected true or false"),
        ({"size": "xl"}, "'xl' is not one of 's', 'm'"),
        ({"tags": "a"}, "expected a list of choices"),
        ({"due": "tomorrow"}, "expected a date"),
        ({"note": "x" * 10_001}, "longer than 10,000 characters"),
        ({"other": 1}, "the form has no field 'other'"),
        (["note"], "must be an object"),
    ],
)
def test_values_are_checked_against_the_form(data, problem):
    found = form_problem(CAMUNDA_FORM, data)
    assert (found is None) if problem is None else (problem in str(found))


def test_a_request_without_a_form_takes_no_values():
    assert "has no form" in str(form_problem({"key": "external:form"}, {"a": 1}))
    assert "has no form" in str(form_problem(None, {}))


def test_a_signed_decision_binds_its_form_values():
    key = b"k" * 32
    now = int(time.time())
    credential = issue(key, "dana", now=now, ttl_seconds=60, scopes=("decide",))
    subject = DecisionSubject("a-1", "decide", "dana", "approve", data={"discount": 5})
    proof = sign_decision(credential, subject, now=now, via="dashboard")
    assert verify_proof(key, proof, subject, now=now).principal == "dana"
    altered = DecisionSubject("a-1", "decide", "dana", "approve", data={"discount": 50})
    with pytest.raises(CredentialError):
        verify_proof(key, proof, altered, now=now)
    # a proof made without values still signs exactly what it always did
    plain = DecisionSubject("a-1", "decide", "dana", "approve")
    assert b'"data"' not in plain.message("n", now, "cli")
