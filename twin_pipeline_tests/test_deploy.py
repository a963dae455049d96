"""deploy/ without a container runtime: every compose service runs a real `twin serve` role
with options the CLI's own parser accepts, and every variable it names is documented."""

from __future__ import annotations

import os
import re
import subprocess
import sys
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


def started(compose: dict) -> dict[str, dict]:
    """The services `docker compose up` starts: those of no profile."""
    return {name: service for name, service in compose["services"].items() if "profiles" not in service}


def test_every_service_runs_a_twin_serve_role_with_valid_options(compose):
    roles = {}
    for name, service in started(compose).items():
        command = service["command"]
        assert command[0] == "serve", (name, command)
        args = build_parser().parse_args(command)  # exits (SystemExit) on an unknown role or option
        roles[name] = args.role
    assert sorted(roles.values()) == ["api", "code-server", "daemon", "webserver"]
    # The profiles' services: `twin keys` on the keys file, and the TLS proxy.
    services = compose["services"]
    assert {name: s["profiles"] for name, s in services.items() if name not in roles} == {"keys": ["keys"], "caddy": ["tls"]}
    keys = services["keys"]
    assert keys["entrypoint"] == ["twin", "keys"] and keys["image"] == "twin-pipeline:latest"
    build_parser().parse_args([*keys["entrypoint"][1:], "add", "anna", "--tier", "household"])
    assert services["caddy"]["image"] == "caddy:2"


PROXY = "172.31.253.2"


def test_the_api_believes_the_proxys_forwarded_address_alone(compose):
    """Behind the tls profile's proxy every request comes from the proxy: uvicorn takes the
    client's address from X-Forwarded-For, from the proxy's fixed address only, so the throttle
    on wrong keys and the keys' last use see each client (and a client's own header is ignored)."""
    import ipaddress

    (pool,) = compose["networks"]["api"]["ipam"]["config"]
    subnet, drawn = ipaddress.ip_network(pool["subnet"]), ipaddress.ip_network(pool["ip_range"])
    proxy = ipaddress.ip_address(PROXY)
    assert proxy in subnet and proxy not in drawn and drawn.subnet_of(subnet)
    assert compose["services"]["api"]["environment"]["FORWARDED_ALLOW_IPS"] == PROXY


def test_the_services_have_a_network_of_their_own_restart_and_check_their_health(compose):
    assert compose["networks"]["autonomous-living"] == {"external": True}
    assert compose["networks"]["twin"] == {"name": "twin-pipeline"}
    assert compose["networks"]["api"]["name"] == "twin-pipeline-api"
    services = started(compose)
    # The API is not on the network of the code server's gRPC and the webserver's GraphQL (no
    # login on either): it reaches the databases on the person's network, the proxy on its own.
    assert {name: s["networks"] for name, s in compose["services"].items()} == {
        "code-server": ["twin"], "webserver": ["twin"], "daemon": ["twin"], "keys": ["twin"],
        "api": ["api", "autonomous-living"], "caddy": {"api": {"ipv4_address": PROXY}}}
    for name, service in services.items():
        assert service["restart"] in ("unless-stopped", "always"), name
        assert service["image"] == "twin-pipeline:latest", name
        assert "env_file" not in service, name
    health = {name: " ".join(s["healthcheck"]["test"]) for name, s in services.items()}
    assert "HealthStub" in health["code-server"] and "liveness-check" in health["daemon"]
    assert "/server_info" in health["webserver"] and "/health/live" in health["api"]
    # The webserver has no login: published on the host's loopback only; the API there too, unless moved.
    assert services["webserver"]["ports"] == ["127.0.0.1:3000:3000"]
    assert services["api"]["ports"] == ["${TWIN_API_PUBLISH:-127.0.0.1:5677}:5677"]
    # The API listens beyond loopback, so compose refuses to start it without the key.
    assert services["api"]["environment"]["DIGITAL_TWIN_API_KEY"].startswith("${DIGITAL_TWIN_API_KEY:?")
    for role in ("webserver", "daemon"):
        assert services[role]["environment"]["TWIN_CODE_SERVER"] == "code-server:4266"
        assert services[role]["depends_on"]["code-server"]["condition"] == "service_healthy"
    assert "4266" in services["code-server"]["command"]


def test_every_container_is_locked_down_and_bounded(compose):
    for name, service in compose["services"].items():
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert service["security_opt"] == ["no-new-privileges:true"], name
        assert re.fullmatch(r"\d+m", service["mem_limit"]) and 64 <= int(service["mem_limit"][:-1]) <= 2048, name
        assert any(t.startswith("/tmp:") for t in service["tmpfs"]), name
    # The TLS proxy binds 443 and needs nothing more; the twin's roles need no capability at all.
    assert {name: s.get("cap_add") for name, s in compose["services"].items() if s.get("cap_add")} == {
        "caddy": ["NET_BIND_SERVICE"]}


def test_the_api_reads_the_household_keys_from_a_folder_mounted_read_only(compose):
    api, keys = compose["services"]["api"], compose["services"]["keys"]
    folder = "${TWIN_API_KEYS_DIR:-./no-household-keys}:/var/lib/twin/keys"
    assert keys["environment"]["TWIN_API_KEYS_FILE"] == "/var/lib/twin/keys/keys.toml"
    # The API's only when the person hands out keys: TWIN_API_AUTH=warn is refused beside a keys file.
    assert api["environment"]["TWIN_API_KEYS_FILE"] == "${TWIN_API_KEYS_FILE:-}"
    assert f"{folder}:ro" in api["volumes"] and folder in keys["volumes"]
    # Without a folder of the person's own, a keys file with no keys: the owner's key alone.
    from twin_pipeline.api.keys import read_keys

    assert read_keys(DEPLOY / "no-household-keys" / "keys.toml") == ()


def test_the_build_context_is_what_the_dockerfile_copies():
    ignored = (DEPLOY.parent / ".dockerignore").read_text().splitlines()
    rules = [line for line in ignored if line and not line.startswith("#")]
    assert rules[0] == "*"  # nothing but what is let in again
    allowed = {rule[1:] for rule in rules if rule.startswith("!")}
    copied = set()
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            copied |= {part.rstrip("/") for part in line.split()[1:-1]}
    assert copied == allowed
    assert not allowed & {"deploy", ".venv", ".twin", ".git", "twin_pipeline_tests"}


def test_each_service_is_given_only_the_secrets_it_needs(compose):
    env = {name: set(service["environment"]) for name, service in compose["services"].items()}
    assert env["webserver"] == env["daemon"] == {"DAGSTER_PG_URL", "TWIN_CODE_SERVER"}
    assert "DIGITAL_TWIN_API_KEY" in env["api"] and "DIGITAL_TWIN_API_KEY" not in env["code-server"]
    assert "TWIN_HOME_STATES_TOKEN" in env["code-server"] and "TWIN_HOME_STATES_TOKEN" not in env["api"]
    # The runs push the notable items: the code server launches them.
    assert "TWIN_NOTIFY_URL" in env["code-server"] and "TWIN_NOTIFY_URL" not in env["api"]
    # The API logs in as twin_api only: the writer's and Dagster's owner's URLs are blanked.
    api = compose["services"]["api"]["environment"]
    assert api["TWIN_DATABASE_URL"] == api["DAGSTER_PG_URL"] == ""
    for variable in ("TWIN_API_DATABASE_URL", "TWIN_API_DAGSTER_URL"):
        assert api[variable].startswith(f"${{{variable}:?"), variable
    # The proxy knows its site and nothing of the twin's; `twin keys` needs no API key.
    assert env["caddy"] == {"TWIN_TLS_SITE", "TWIN_TLS_ISSUER"}
    assert "DIGITAL_TWIN_API_KEY" not in env["keys"] and "TWIN_API_KEYS_FILE" in env["keys"]


def test_every_variable_named_in_deploy_is_documented(compose):
    named = set()
    for service in compose["services"].values():
        named |= set(service.get("environment", {}))
        named |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", yaml.safe_dump(service)))
    named |= set(re.findall(r"\{\$([A-Z][A-Z0-9_]*)", (DEPLOY / "Caddyfile").read_text()))
    env_example = (DEPLOY / ".env.example").read_text()
    named |= set(re.findall(r"^([A-Z][A-Z0-9_]*)=", env_example, re.MULTILINE))
    named |= set(re.findall(r"\b(TWIN_[A-Z0-9_]+)", env_example))
    assert {"FINANCE_DATABASE_URL", "DAGSTER_PG_URL", "DIGITAL_TWIN_API_KEY", "TWIN_CODE_SERVER", "TWIN_API_KEYS_DIR",
            "TWIN_API_PUBLISH", "TWIN_TLS_SITE"} <= named
    assert named - documented_variables() == set()


def test_the_dockerfile_installs_the_wheel_with_the_constraints_as_a_user():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.MULTILINE)
    assert "-c constraints.txt /wheels/*.whl" in dockerfile
    assert re.search(r"^USER twin$", dockerfile, re.MULTILINE)
    assert 'ENTRYPOINT ["twin"]' in dockerfile


def serve(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`twin serve ...` with only `env` of the twin's variables, as a container gets it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TWIN_", "DAGSTER_")) and not k.endswith("_DATABASE_URL")}
    return subprocess.run([sys.executable, "-m", "twin_pipeline.cli", "serve", *args],
                          env={**clean, "TWIN_HOME": str(home), **env}, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("role", ["code-server", "webserver", "daemon", "api"])
def test_a_service_without_its_databases_refuses_in_one_line_and_starts_no_embedded_server(tmp_path, role):
    home = tmp_path / ".twin"
    done = serve(home, role)
    assert done.returncode == 2, done.stdout + done.stderr
    # The API reads Dagster's storage as its own login.
    storage = "TWIN_API_DAGSTER_URL" if role == "api" else "DAGSTER_PG_URL"
    assert done.stdout.count("\n") == 1 and done.stdout.startswith(f"configuration error: `twin serve {role}` needs {storage}")
    assert ("FINANCE_DATABASE_URL" in done.stdout) == (role in ("code-server", "api"))
    assert not (home / "pgdata").exists()  # no embedded server was started


UNREACHABLE = {name: "postgresql://twin@127.0.0.1:9/x" for name in (
    "FINANCE_DATABASE_URL", "TRAINING_DATABASE_URL", "PANTRY_DATABASE_URL", "DAGSTER_PG_URL")}


@pytest.mark.parametrize("key, problem", [
    ("CHANGE_ME", "still the placeholder CHANGE_ME"),
    ("short-key-12", "of 12 characters (at least 16)"),
])
def test_the_api_refuses_the_placeholder_or_a_short_key_beyond_loopback(tmp_path, key, problem):
    done = serve(tmp_path / ".twin", "api", "--host", "0.0.0.0", DIGITAL_TWIN_API_KEY=key, **UNREACHABLE)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == (
        f"refusing to serve 0.0.0.0:5677 with DIGITAL_TWIN_API_KEY {problem}: make one with "
        '`python -c "import secrets; print(secrets.token_urlsafe(32))"` and give the same to its clients\n'
    )
