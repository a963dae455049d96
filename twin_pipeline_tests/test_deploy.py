"""deploy/ without a container runtime: every compose service runs a real `twin serve` role
with options the CLI's own parser accepts, and every variable it names is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from twin_pipeline.cli import build_parser

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
CONFIGURATION = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def documented_variables() -> set[str]:
    """The variables of docs/configuration.md's tables (first column, `A` or `A`, `B`)."""
    rows = [line for line in CONFIGURATION.read_text().splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_every_service_runs_a_twin_serve_role_with_valid_options(compose):
    roles = {}
    for name, service in compose["services"].items():
        command = service["command"]
        assert command[0] == "serve", (name, command)
        args = build_parser().parse_args(command)  # exits (SystemExit) on an unknown role or option
        roles[name] = args.role
    assert sorted(roles.values()) == ["api", "code-server", "daemon", "webserver"]


def test_each_service_is_on_the_external_network_restarts_and_checks_its_health(compose):
    assert compose["networks"]["autonomous-living"] == {"external": True}
    services = compose["services"]
    for name, service in services.items():
        assert service["networks"] == ["autonomous-living"], name
        assert service["restart"] in ("unless-stopped", "always"), name
        assert service["image"] == "twin-pipeline:latest", name
    health = {name: " ".join(s["healthcheck"]["test"]) for name, s in services.items() if "healthcheck" in s}
    assert "grpc-health-check" in health["code-server"]
    assert "/server_info" in health["webserver"] and "/health/ready" in health["api"]
    # The webserver has no login: published on the host's loopback only.
    assert services["webserver"]["ports"] == ["127.0.0.1:3000:3000"]
    # The API listens beyond loopback, so compose refuses to start it without the key.
    assert services["api"]["environment"]["DIGITAL_TWIN_API_KEY"].startswith("${DIGITAL_TWIN_API_KEY:?")
    for role in ("webserver", "daemon"):
        assert services[role]["environment"]["TWIN_CODE_SERVER"] == "code-server:4266"
        assert services[role]["depends_on"]["code-server"]["condition"] == "service_healthy"
    assert "4266" in services["code-server"]["command"]


def test_every_variable_named_in_deploy_is_documented(compose):
    named = set()
    for service in compose["services"].values():
        named |= set(service.get("environment", {}))
        named |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", yaml.safe_dump(service)))
    env_example = (DEPLOY / ".env.example").read_text()
    named |= set(re.findall(r"^([A-Z][A-Z0-9_]*)=", env_example, re.MULTILINE))
    named |= set(re.findall(r"\b(TWIN_[A-Z0-9_]+)", env_example))
    assert {"FINANCE_DATABASE_URL", "DAGSTER_PG_URL", "DIGITAL_TWIN_API_KEY", "TWIN_CODE_SERVER"} <= named
    assert named - documented_variables() == set()


def test_the_dockerfile_installs_the_wheel_with_the_constraints_as_a_user():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.MULTILINE)
    assert "-c /tmp/constraints.txt /wheels/*.whl" in dockerfile
    assert re.search(r"^USER twin$", dockerfile, re.MULTILINE)
    assert 'ENTRYPOINT ["twin"]' in dockerfile
