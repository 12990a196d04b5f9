"""docker-compose.yml cannot be started here (no Docker engine), so its structure is validated."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from affinity.settings import PROJECT_ROOT, Settings
from tests.deploy.locks import locked

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
DEPLOY = PROJECT_ROOT / "deploy"


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def test_compose_has_the_services() -> None:
    services = load_compose()["services"]
    assert {"neo4j", "redis", "api", "worker-gpu", "worker-io", "scheduler"} <= set(services)
    assert {name for name, service in services.items() if "monitoring" in service.get("profiles", [])} == {
        "prometheus",
        "grafana",
        "flower",
    }
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
    for name in ("api", "worker-gpu", "worker-io"):
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
    io = load_compose()["services"]["worker-io"]
    assert io["command"][io["command"].index("--queues") + 1] == "io"


def test_only_the_images_that_learn_or_embed_carry_the_ml_stack() -> None:
    services = load_compose()["services"]
    default = re.search(r"^ARG LOCK=(\S+)$", (PROJECT_ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert default is not None and locked(PROJECT_ROOT / default.group(1))["torch"]
    for name in ("api", "worker-gpu"):  # the API embeds similarProducts(text:) queries itself
        assert "args" not in services[name]["build"], name
    for name in ("worker-io", "scheduler"):
        lock = locked(PROJECT_ROOT / services[name]["build"]["args"]["LOCK"])
        assert "celery" in lock and not {"torch", "transformers", "torch-geometric"} & set(lock), name


SECRETS = {
    "AFFINITY_NEO4J_PASSWORD": "a-real-password",
    "AFFINITY_API_KEYS_READ": "read-key",
    "AFFINITY_API_KEYS_ADMIN": "admin-key",
    "AFFINITY_METRICS_KEY": "metrics-key",
}


def test_secrets_have_no_defaults_in_compose() -> None:
    text = COMPOSE.read_text()
    secrets = (
        "AFFINITY_NEO4J_PASSWORD",
        "AFFINITY_API_KEYS_ADMIN",
        "AFFINITY_API_KEYS_READ",
        "AFFINITY_METRICS_KEY",
    )
    for secret in secrets:
        assert re.search(r"\$\{" + secret + r":\?", text), f"{secret} must be required, not defaulted"


def test_dockerfile_copies_every_package() -> None:
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    for package in ("affinity", "cypher", "graph_schema", "ingest", "service", "training", "workers"):
        assert f"COPY {package} ./{package}" in dockerfile
        assert Path(PROJECT_ROOT / package / "__init__.py").exists()


def docker_compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    assert binary, (
        "docker-compose is missing: tests/deploy/setup.sh installs it (apt-get install docker-compose)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AFFINITY_")}
    return subprocess.run(
        [binary, "--profile", "monitoring", *args],
        capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT, env={**clean, **env}, check=False,
    )  # fmt: skip


def test_docker_compose_accepts_the_file_and_refuses_a_missing_secret() -> None:
    """`docker compose config` (the Compose implementation's own validation; no engine needed)."""
    valid = docker_compose("config", env=SECRETS)
    assert valid.returncode == 0, valid.stderr
    resolved = yaml.safe_load(valid.stdout)["services"]
    assert resolved["api"]["environment"]["AFFINITY_METRICS_KEY"] == "metrics-key"
    assert resolved["worker-io"]["environment"]["AFFINITY_WORKER_METRICS_PORT"] == "9101"
    missing = docker_compose(
        "config", "-q", env={k: v for k, v in SECRETS.items() if k != "AFFINITY_METRICS_KEY"}
    )
    assert missing.returncode != 0 and "AFFINITY_METRICS_KEY" in missing.stderr


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    assert binary, "promtool is missing: tests/deploy/setup.sh installs it (apt-get install prometheus)"
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=120, check=False)


def test_the_alert_rules_fire_when_they_should(tmp_path: Path) -> None:
    tested = promtool("test", "rules", str(DEPLOY / "prometheus" / "alerts_test.yml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    # the scrape configuration, with the file paths it names made to exist
    config = (DEPLOY / "prometheus" / "prometheus.yml").read_text().replace("/etc/prometheus", str(tmp_path))
    (tmp_path / "prometheus.yml").write_text(config)
    shutil.copy(DEPLOY / "prometheus" / "alerts.yml", tmp_path / "alerts.yml")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "metrics_key").write_text("metrics-key\n")
    checked = promtool("check", "config", str(tmp_path / "prometheus.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def exported_metric_names() -> set[str]:
    """Every series name the API and the workers export (counters with _total, histograms' series)."""
    names: set[str] = set()
    for module in ("service/metrics.py", "workers/metrics.py"):
        source = (PROJECT_ROOT / module).read_text()
        names |= set(re.findall(r'"(affinity_\w+)"', source))  # gauges read at scrape time
        for kind, name in re.findall(r'(Counter|Histogram)\(\s*"(affinity_\w+)"', source):
            names.discard(name)
            suffixes = ["_total"] if kind == "Counter" else ["_bucket", "_sum", "_count"]
            names |= {name + suffix for suffix in suffixes}
    return names


def test_the_dashboard_and_the_alerts_read_only_metrics_that_exist() -> None:
    exported = exported_metric_names()
    assert {
        "affinity_api_requests_total",
        "affinity_queue_messages",
        "affinity_worker_task_seconds_sum",
    } <= exported
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "affinity.json").read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    expressions += [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    used = {name for expr in expressions for name in re.findall(r"\baffinity_\w+", expr)}
    assert used and used <= exported, used - exported
