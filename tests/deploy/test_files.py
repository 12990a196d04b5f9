"""docker-compose.yml cannot be started here (no Docker engine), so its structure is validated."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from affinity.settings import PROJECT_ROOT, Settings

COMPOSE = PROJECT_ROOT / "docker-compose.yml"


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def test_compose_has_the_services() -> None:
    services = load_compose()["services"]
    assert {"neo4j", "redis", "api", "worker-gpu", "worker-cpu"} <= set(services)
    assert services["neo4j"]["image"].startswith("neo4j:5.26")
    assert services["redis"]["image"].startswith("redis:")


def test_every_affinity_variable_is_a_setting() -> None:
    fields = set(Settings.model_fields)
    services = load_compose()["services"]
    seen = 0
    for name, service in services.items():
        for key in service.get("environment", {}):
            if key.startswith("AFFINITY_"):
                seen += 1
                assert key.removeprefix("AFFINITY_").lower() in fields, f"{name}: {key} is no setting"
    assert seen > 20


def test_app_services_share_settings_and_wait_for_their_dependencies() -> None:
    services = load_compose()["services"]
    for name in ("api", "worker-gpu", "worker-cpu"):
        env = services[name]["environment"]
        assert env["AFFINITY_NEO4J_URI"] == "bolt://neo4j:7687", name
        assert env["AFFINITY_BROKER_URL"] == "redis://redis:6379/0", name
        assert set(services[name]["depends_on"]) == {"neo4j", "redis"}, name
    assert "affinity db migrate" in " ".join(services["api"]["command"])


def test_gpu_worker_reserves_an_nvidia_device_and_consumes_the_gpu_queue() -> None:
    gpu = load_compose()["services"]["worker-gpu"]
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]
    assert gpu["command"][gpu["command"].index("--queues") + 1] == "gpu"
    cpu = load_compose()["services"]["worker-cpu"]
    assert cpu["command"][cpu["command"].index("--queues") + 1] == "io"


def test_secrets_have_no_defaults_in_compose() -> None:
    text = COMPOSE.read_text()
    for secret in ("AFFINITY_NEO4J_PASSWORD", "AFFINITY_API_KEYS_ADMIN", "AFFINITY_API_KEYS_READ"):
        assert re.search(r"\$\{" + secret + r":\?", text), f"{secret} must be required, not defaulted"


def test_dockerfile_copies_every_package() -> None:
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    for package in ("affinity", "cypher", "graph_schema", "ingest", "service", "training", "workers"):
        assert f"COPY {package} ./{package}" in dockerfile
        assert Path(PROJECT_ROOT / package / "__init__.py").exists()
