# syntax=docker/dockerfile:1
# reward-service image: `docker build -t reward-service .`, then `docker run -p 8000:8000
# -p 50051:50051 reward-service` (HTTP and gRPC). Runs as UID 10001 and writes only to /tmp, so
# it works with a read-only root filesystem when /tmp is a volume (the Helm chart mounts one).

ARG PYTHON_IMAGE=python:3.11-slim

# -- builder: the project and its dependencies in a virtualenv ---------------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Metadata and sources only (.dockerignore keeps tests, benches and caches out of the context).
COPY pyproject.toml README.md ./
COPY reward_service ./reward_service
# A regular (non-editable) install: the runtime stage needs nothing from /src. pip writes the
# bytecode here, because the runtime cannot write __pycache__ on a read-only filesystem.
# the image serves the chart, whose cache is Redis: the redis extra (not Ray, not plotting)
RUN pip install '.[redis]' && reward-service --help > /dev/null

# -- runtime -------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM to the service (which drains) and reaps orphaned worker
# processes of the verifier pool.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin app
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
EXPOSE 8000 50051
# Liveness only (/healthz never depends on Redis or the judge); curl is not in the slim image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('REWARD_SERVICE_HTTP_PORT', '8000') + '/healthz', timeout=4)"]
ENTRYPOINT ["tini", "--", "reward-service"]
CMD ["serve"]
