"""deploy/ is checked by parsing (no Docker engine here): topology, health checks, settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.config import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SERVICES = ("collector", "classifier", "alerts")
FIELDS = {f"DOXWATCH_{name.upper()}" for name in Settings.model_fields}
# What a distributed service cannot run without (everything else has a safe default).
REQUIRED = {
    "DOXWATCH_BUS",
    "DOXWATCH_KAFKA_BOOTSTRAP",
    "DOXWATCH_DATABASE_URL",
    "DOXWATCH_ADMIN_TOKEN",
    "DOXWATCH_KAFKA_IDEMPOTENT_PRODUCER",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return data


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    assert isinstance(env, dict), "environment must be a mapping"
    return {k: str(v) for k, v in env.items()}


def test_compose_has_the_distributed_topology(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"kafka", "postgres", "migrate", *SERVICES} <= set(services)
    kafka = _env(services["kafka"])
    assert kafka["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper
    assert "zookeeper" not in services
    assert services["postgres"]["image"].startswith("postgres:")


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_is_configured_and_health_checked(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    env = _env(service)
    doxwatch_keys = {k for k in env if k.startswith("DOXWATCH_")}
    assert doxwatch_keys <= FIELDS, f"unknown settings: {doxwatch_keys - FIELDS}"
    assert doxwatch_keys >= REQUIRED, f"missing settings: {REQUIRED - doxwatch_keys}"
    assert env["DOXWATCH_BUS"] == "kafka"
    assert env["DOXWATCH_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert service["command"][0] == name
    port = service["command"][service["command"].index("--port") + 1]
    assert env["PORT"] == port, "the health check must probe the port the service listens on"
    assert "readyz" in " ".join(service["healthcheck"]["test"])
    deps = service["depends_on"]
    assert deps["kafka"]["condition"] == "service_healthy"
    assert deps["postgres"]["condition"] == "service_healthy"
    assert deps["migrate"]["condition"] == "service_completed_successfully"


def test_compose_settings_validate(compose: dict[str, Any]) -> None:
    """The values compose passes are accepted by Settings (secrets substituted)."""
    for name in SERVICES:
        env = _env(compose["services"][name])
        values = {
            k.removeprefix("DOXWATCH_").lower(): re.sub(r"\$\{[^}]+\}", "secret", v)
            for k, v in env.items()
            if k.startswith("DOXWATCH_")
        }
        Settings(**values)  # type: ignore[arg-type]


def test_dockerfile_builds_the_command_and_checks_health() -> None:
    lines = [
        line.strip()
        for line in (DEPLOY / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    froms = [line for line in lines if line.startswith("FROM ")]
    assert froms and all("python:3.11" in f for f in froms)
    assert any(line.startswith("USER ") and "root" not in line for line in lines)
    assert 'ENTRYPOINT ["doxwatch"]' in lines
    assert any(line.startswith("HEALTHCHECK") for line in lines)
    assert any("COPY models" in line for line in lines), "the trained model ships in the image"
