# One image for the API and the workers; the command picks the role. The packages come pinned and
# hash-checked from a lock file (scripts/lock.sh): requirements/image.lock by default (API and gpu
# worker, with the ML stack), --build-arg LOCK=requirements/workers.lock for the io worker and the
# scheduler (no torch).
FROM python:3.11-slim

ARG LOCK=requirements/image.lock
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY requirements ./requirements
RUN pip install --no-cache-dir --require-hashes -r "${LOCK}"
COPY affinity ./affinity
COPY cli ./cli
COPY cypher ./cypher
COPY graph_schema ./graph_schema
COPY ingest ./ingest
COPY service ./service
COPY stores ./stores
COPY training ./training
COPY workers ./workers
COPY data ./data
RUN pip install --no-cache-dir --no-deps .

RUN useradd --create-home affinity && mkdir -p /var/lib/affinity && chown affinity /var/lib/affinity
USER affinity
# Production unless told otherwise: the development keys and password are refused, GraphiQL and
# introspection are off, unexpected errors are masked. Set AFFINITY_ENVIRONMENT=development to try it.
ENV AFFINITY_ENVIRONMENT=production AFFINITY_DATA_DIR=/var/lib/affinity AFFINITY_MODEL_DIR=/var/lib/affinity/models
EXPOSE 8000
CMD ["affinity", "serve"]
