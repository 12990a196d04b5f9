"""Pure parts of the workers package: the canvas shape, routing, URL redaction, the gate."""

from __future__ import annotations

from affinity.settings import Settings
from stores.dispatch import redact_url
from stores.versions import gate_allows
from workers.app import create_celery, result_backend_for
from workers.pipeline import STEPS, retrain_canvas


def test_canvas_is_a_chain_of_immutable_steps_in_order_with_an_error_callback() -> None:
    canvas = retrain_canvas("job1")
    tasks = canvas.tasks
    assert [t.task for t in tasks] == [f"affinity.{queue.value}.{step}" for step, queue in STEPS]
    assert all(t.immutable and tuple(t.args) == ("job1",) for t in tasks)
    errbacks = canvas.options.get("link_error") or []
    assert [e["task"] for e in errbacks] == ["affinity.io.fail"]


def test_gpu_steps_route_to_the_gpu_queue() -> None:
    celery = create_celery(Settings(queue_gpu="accel", queue_io="disk"))
    router = celery.amqp.router
    assert router.route({}, "affinity.gpu.train")["queue"].name == "accel"
    assert router.route({}, "affinity.io.write")["queue"].name == "disk"


def test_sqlite_broker_gets_a_database_result_backend() -> None:
    settings = Settings(broker_url="sqla+sqlite:////tmp/x.sqlite")
    assert result_backend_for(settings) == "db+sqlite:////tmp/x.sqlite"
    assert result_backend_for(Settings(broker_url="redis://h:1/0")) == "redis://h:1/0"


def test_broker_passwords_are_redacted() -> None:
    assert redact_url("redis://:s3cret@cache:6379/0") == "redis://***@cache:6379/0"
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_gate_refuses_only_a_worse_version() -> None:
    assert gate_allows({"overall": {"ndcg": 0.2}}, None)
    assert gate_allows({"overall": {"ndcg": 0.2}}, {"overall": {"ndcg": 0.2}})
    assert not gate_allows({"overall": {"ndcg": 0.19}}, {"overall": {"ndcg": 0.2}})
    assert not gate_allows({}, {"overall": {"ndcg": 0.2}})
