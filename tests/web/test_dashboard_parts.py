"""The dashboard's pure parts: the graph layout, the list's query, sessions,
and its configuration."""

from __future__ import annotations

import time

import pytest

from baton.config import BatonFile, IdentityConfig, Settings, load_baton_file
from baton.errors import ConfigError
from baton.identity.credentials import issue
from baton.plan.model import END, Plan, Route
from baton.web.dashboard import dashboard_listen
from baton.web.dashboard.layout import layout
from baton.web.dashboard.runs import BadRequest, actions, runs_query
from baton.web.dashboard.sessions import Sessions, SignInRefused
from tests.support.plans import node


def plan(*steps) -> Plan:
    return Plan(kind="process", id="p", name="p", steps=list(steps))


def test_layout_puts_each_node_a_layer_after_what_it_follows_and_centres_branches():
    drawn = layout(
        plan(
            node("a"),
            node("b", after=["a"]),
            node("c", after=["a"]),
            node("d", after=["b", "c"]),
        )
    )
    at = {n["id"]: (n["x"], n["y"]) for n in drawn["nodes"]}
    assert at["a"][0] < at["b"][0] == at["c"][0] < at["d"][0]
    assert at["b"][1] < at["c"][1]
    assert at["a"][1] == at["d"][1] == (at["b"][1] + at["c"][1]) / 2  # centred
    assert {(e["from"], e["to"]) for e in drawn["edges"]} == {
        ("a", "b"),
        ("a", "c"),
        ("b", "d"),
        ("c", "d"),
    }
    assert drawn["width"] >= at["d"][0] + 180 and drawn["height"] >= at["c"][1] + 56


def test_layout_survives_a_cycle_and_draws_routes_to_the_end():
    drawn = layout(
        plan(
            node("start"),
            node("work", after=["start", "check"]),
            node(
                "check",
                after=["work"],
                routes=[Route(to="work", when=None), Route(to=END, when=None)],
            ),
        )
    )
    ids = [n["id"] for n in drawn["nodes"]]
    assert ids == ["start", "work", "check", END]
    layer = {n["id"]: n["x"] for n in drawn["nodes"]}
    assert layer["start"] < layer["work"] < layer["check"] < layer[END]
    assert next(n for n in drawn["nodes"] if n["id"] == END)["kind"] == "end"


def test_layout_counts_what_runs_inside_a_scope():
    drawn = layout(plan(node("scope", kind="scope", body=[node("x"), node("y", after=["x"])])))
    assert drawn["nodes"][0]["children"] == 2


def test_the_lists_filters_become_one_visibility_query():
    query = runs_query(
        {
            "kind": "saga",
            "name": "O'Brien's deploy",
            "status": "running",
            "since": "2026-12-01T10:00",
            "q": "deploy-",
        }
    )
    assert query == (
        "BatonKind = 'saga' AND BatonName = 'O\\'Brien\\'s deploy' AND BatonStatus = 'RUNNING' "
        "AND ExecutionStatus = 'Running' AND StartTime >= '2026-12-01T10:00:00Z' "
        "AND WorkflowId STARTS_WITH 'deploy-'"
    )
    assert runs_query({"status": "terminated"}) == "ExecutionStatus = 'Terminated'"
    assert runs_query({}) is None
    for bad in ({"kind": "x"}, {"status": "RUNNING' OR 1=1"}, {"since": "yesterday"}):
        with pytest.raises(BadRequest):
            runs_query(bad)


def test_actions_follow_the_runs_state():
    running = actions({"kind": "process", "status": "RUNNING", "waiting_for": ["order.paid"]})
    ended = actions({"kind": "saga", "status": "COMPLETED", "closed_at": "2026-12-07T00:00Z"})
    assert running["cancel"] and running["send_event"] == ["order.paid"]
    assert not ended["cancel"] and ended["send_event"] == []
    assert "retry" in ended["recover"]


def test_trusted_sessions_take_a_name_and_signed_ones_a_credential():
    trusted = Sessions(IdentityConfig(), None)
    session = trusted.new()
    assert trusted.describe(session)["sign_in_required"] is False
    with pytest.raises(SignInRefused):
        trusted.sign_in(session, {"name": "  "})
    alice = trusted.sign_in(session, {"name": "alice"})
    assert alice.id != session.id and trusted.find(session.id) is None  # a fresh session id
    assert trusted.describe(alice)["principal"] == "alice"

    identity = IdentityConfig(mode="signed", identities={"alice": {}})
    signed = Sessions(identity, None)  # no key here: what can be checked without it is
    fresh = signed.new()
    assert signed.describe(fresh)["sign_in_required"] is True
    key = b"k" * 32
    now = int(time.time())
    good = issue(key, "alice", now=now, ttl_seconds=60, scopes=("decide",)).token()
    mcp_only = issue(key, "alice", now=now, ttl_seconds=60, scopes=("mcp",)).token()
    stranger = issue(key, "eve", now=now, ttl_seconds=60, scopes=("decide",)).token()
    expired = issue(key, "alice", now=now - 120, ttl_seconds=60, scopes=("decide",)).token()
    for token, why in (
        (mcp_only, "lacks the 'decide' scope"),
        (stranger, "eve is not listed"),
        (expired, "expired"),
        ("nonsense", "not a Baton credential"),
    ):
        with pytest.raises(SignInRefused, match=why):
            signed.sign_in(fresh, {"credential": token})
    signed_in = signed.sign_in(fresh, {"credential": good})
    assert signed_in.credential is not None and signed_in.expires <= now + 60


def test_the_address_comes_from_the_flag_the_variable_or_baton_yaml(tmp_path):
    settings = Settings.from_env({"BATON_HOME": str(tmp_path)})
    assert dashboard_listen(settings, BatonFile()).url == "http://127.0.0.1:8780/"
    env = Settings.from_env({"BATON_HOME": str(tmp_path), "BATON_DASHBOARD_LISTEN": "off"})
    assert dashboard_listen(env, BatonFile()) is None
    assert dashboard_listen(env, BatonFile(), "9000").port == 9000
    config = tmp_path / "baton.yaml"
    config.write_text("dashboard: {listen: '127.0.0.1:9100', definitions: defs}\n")
    loaded = load_baton_file(config)
    assert dashboard_listen(settings, loaded).port == 9100
    assert loaded.dashboard.definitions == (tmp_path / "defs").resolve()
    config.write_text("dashboard: {port: 1}\n")
    with pytest.raises(ConfigError, match="dashboard: unknown key"):
        load_baton_file(config)
