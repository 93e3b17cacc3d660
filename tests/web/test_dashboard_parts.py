"""The dashboard's pure parts: the graph layout, the list's query, sessions,
and its configuration."""

from __future__ import annotations

import json
import time

import pytest

from baton.config import BatonFile, IdentityConfig, Settings, load_baton_file
from baton.errors import ConfigError
from baton.identity.credentials import issue
from baton.identity.keys import RevocationWatcher
from baton.identity.verifying import CredentialVerifier
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


def test_trusted_sessions_take_a_name_and_signed_ones_a_credential(tmp_path):
    trusted = Sessions(IdentityConfig(), None)
    session = trusted.new()
    assert trusted.describe(session)["sign_in_required"] is False
    with pytest.raises(SignInRefused):
        trusted.sign_in(session, {"name": "  "})
    alice = trusted.sign_in(session, {"name": "alice"})
    assert alice.id != session.id and alice.principal == "alice"  # a fresh session id
    assert trusted.describe(alice)["principal"] == "alice"

    identity = IdentityConfig(mode="signed", identities={"alice": {}})
    with pytest.raises(ValueError, match="needs a verifier"):
        Sessions(identity, None)
    key = b"k" * 32
    revocations = tmp_path / "revoked.json"
    signed = Sessions(
        identity, CredentialVerifier(key, RevocationWatcher(revocations), identity, "decide")
    )
    fresh = signed.new()
    assert signed.describe(fresh)["sign_in_required"] is True
    now = int(time.time())
    good = issue(key, "alice", now=now, ttl_seconds=60, scopes=("decide",))
    mcp_only = issue(key, "alice", now=now, ttl_seconds=60, scopes=("mcp",)).token()
    stranger = issue(key, "eve", now=now, ttl_seconds=60, scopes=("decide",)).token()
    expired = issue(key, "alice", now=now - 120, ttl_seconds=60, scopes=("decide",)).token()
    forged = issue(b"x" * 32, "alice", now=now, ttl_seconds=60, scopes=("decide",)).token()
    for token, why in (
        (mcp_only, "lacks the 'decide' scope"),
        (stranger, "eve is not listed"),
        (expired, "expired"),
        (forged, "does not verify"),
        ("nonsense", "not a Baton credential"),
    ):
        with pytest.raises(SignInRefused, match=why):
            signed.sign_in(fresh, {"credential": token})
    signed_in = signed.sign_in(fresh, {"credential": good.token()})
    assert signed_in.credential is not None and signed_in.expires <= now + 60
    signed.still_valid(signed_in)
    # a revocation takes effect at the next change, not at sign-out
    revocations.write_text(json.dumps({"credentials": {good.claims.jti: now}}))
    with pytest.raises(SignInRefused, match="signed out: credential .* was revoked"):
        signed.still_valid(signed_in)
    assert signed.find(signed_in.id) is None


def test_a_visitor_who_has_not_signed_in_holds_no_state():
    sessions = Sessions(IdentityConfig(), None)
    visitors = [sessions.new() for _ in range(20_000)]
    assert sessions._sessions == {}
    again = sessions.find(visitors[0].id)
    assert again is not None and again.csrf == visitors[0].csrf  # the token is its HMAC
    assert sessions.find("a.forged") is not None  # a visitor too, with its own token
    assert sessions.find("a.forged").csrf != visitors[0].csrf  # type: ignore[union-attr]
    alice = sessions.sign_in(visitors[1], {"name": "alice"})
    assert sessions.find(alice.id) is alice


def test_the_dashboard_answers_only_to_its_own_names():
    from baton.web.dashboard import allowed_hosts
    from baton.web.dashboard.app import host_name

    assert host_name("[::1]:8780") == "::1" and host_name("Localhost:1") == "localhost"
    assert set(allowed_hosts("127.0.0.1", ())) == {"127.0.0.1", "localhost", "::1"}
    assert "baton.example" in allowed_hosts("127.0.0.1", ("baton.example",))
    assert allowed_hosts("0.0.0.0", ()) is None  # signed mode beyond loopback: any name


def test_the_address_comes_from_the_flag_the_variable_or_baton_yaml(tmp_path):
    settings = Settings.from_env({"BATON_HOME": str(tmp_path)})
    assert dashboard_listen(settings, BatonFile()).url == "http://127.0.0.1:8780/"
    env = Settings.from_env({"BATON_HOME": str(tmp_path), "BATON_DASHBOARD_LISTEN": "off"})
    assert dashboard_listen(env, BatonFile()) is None
    assert dashboard_listen(env, BatonFile(), "9000").port == 9000
    config = tmp_path / "baton.yaml"
    config.write_text("dashboard: {listen: '127.0.0.1:9100', definitions: defs}\n")
    loaded = load_baton_file(config)
    assert loaded.dashboard.hosts == ()
    assert dashboard_listen(settings, loaded).port == 9100
    assert loaded.dashboard.definitions == (tmp_path / "defs").resolve()
    config.write_text("dashboard: {port: 1}\n")
    with pytest.raises(ConfigError, match="dashboard: unknown key"):
        load_baton_file(config)


async def test_pages_that_want_the_same_thing_share_one_poll_and_an_ended_run_is_not_read_again():
    import asyncio

    from baton.web.dashboard.live import Hub, Want

    reads = {"list": 0, "run": 0}
    state = {"closed_at": None}

    async def the_list():
        reads["list"] += 1
        return {"runs": []}

    async def the_run():
        reads["run"] += 1
        return {"status": dict(state)}

    hub = Hub(lambda exc: {"error": str(exc)}, interval=0.05, max_streams=3)
    gone = asyncio.Event()

    async def disconnected():
        return gone.is_set()

    async def follow(wants):
        return [m async for m in hub.stream(wants, disconnected)]

    ended = lambda view: bool(view["status"]["closed_at"])  # noqa: E731
    pages = [
        asyncio.create_task(
            follow([Want("runs", "runs:q", the_list), Want("run", "run:x", the_run, ended)])
        )
        for _ in range(3)
    ]
    await asyncio.sleep(0.3)
    assert hub.full
    state["closed_at"] = "2026-12-07T00:00:00Z"
    await asyncio.sleep(0.3)
    after_end = reads["run"]
    await asyncio.sleep(0.3)
    gone.set()
    streams = await asyncio.gather(*pages)
    await hub.close()
    assert reads["run"] == after_end  # the ended run is read no more
    assert reads["list"] <= 0.9 / 0.05 + 2  # one poller for three pages, not three
    for messages in streams:
        runs = [m for m in messages if m.startswith("event: run\n")]
        assert len(runs) == 2 and '"closed_at": "2026-12-07T00:00:00Z"' in runs[-1]
    assert hub.streams == 0 and not hub.full
