# fabstack: one image for every Python service of docker-compose.yml (simulator, ingestors,
# migrations, Dagster code location, webserver and daemon). Dependencies come from the lock.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    FAB_HOME=/var/lib/fab \
    DAGSTER_HOME=/opt/dagster/home

# psql applies the least-privilege grants after migrations (deploy/migrate.sh); libpq for psycopg.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client libpq5 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock pyproject.toml README.md ./
RUN python -m pip install "uv==0.13.8" \
    && uv pip install --system -r requirements.lock

COPY fabstack ./fabstack
COPY ingestion ./ingestion
COPY warehouse ./warehouse
COPY assets ./assets
COPY orchestration ./orchestration
COPY dbt ./dbt
COPY dashboards ./dashboards
COPY deploy ./deploy
RUN uv pip install --system --no-deps -e . \
    && useradd --system --uid 10001 --home-dir /var/lib/fab fab \
    && mkdir -p /var/lib/fab/mlflow /opt/dagster/home \
    && cp orchestration/dagster.yaml /opt/dagster/home/dagster.yaml \
    && chown -R fab /var/lib/fab /opt/dagster/home /app/dbt

USER fab
CMD ["fab", "--help"]
