"""The seed's examples load unchanged, as JSON and as YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from baton.definitions import read_document
from baton.plan import compile_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name", ["user_onboarding_saga", "microservice_deployment_saga"])
def test_json_and_yaml_give_the_same_plan(name: str):
    from_json = compile_file(EXAMPLES / f"{name}.json")
    from_yaml = compile_file(EXAMPLES / f"{name}.yaml")
    assert from_json == from_yaml
    assert read_document(EXAMPLES / f"{name}.json") == read_document(EXAMPLES / f"{name}.yaml")


def test_deployment_saga_ordering():
    plan = compile_file(EXAMPLES / "microservice_deployment_saga.yaml")
    after = {s.id: s.after for s in plan.steps}
    assert after == {
        "deploy_database_migrations": [],
        "deploy_auth_service": ["deploy_database_migrations"],
        "deploy_api_gateway": ["deploy_database_migrations"],
        "run_health_checks": ["deploy_auth_service", "deploy_api_gateway"],
        "update_load_balancer": ["run_health_checks"],
    }
    migrations = plan.step("deploy_database_migrations")
    assert migrations.timeout_seconds == 15 * 60
    assert migrations.retry.max_attempts == 3
    assert migrations.agent_type == "CLAUDE"
    assert migrations.action == {
        "type": "task",
        "description": "Run database migrations",
        "database": "production",
        "migration_version": "v2.1.0",
    }
    assert plan.context["deployment_version"] == "v2.1.0"


def test_onboarding_saga_defaults():
    plan = compile_file(EXAMPLES / "user_onboarding_saga.json")
    billing = plan.step("setup_billing")
    assert billing.critical is True
    assert billing.retry.max_attempts == 1
    assert billing.timeout_seconds == 300
    assert billing.compensation == {
        "type": "api_call",
        "url": "https://billing.company.com/accounts/{account_id}",
        "method": "DELETE",
        "headers": {},
    }
