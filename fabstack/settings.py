"""Typed settings read from ``FAB_*`` environment variables and an optional ``.env`` file.

Every field here is listed with its default in ``.env.example`` (a test keeps the two in step).
A malformed value stops with one line naming the variable and what is wrong.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from fabstack.errors import FabError

DEFAULT_PG_DSN = "postgresql://postgres@127.0.0.1:5432/fab"
DEFAULT_MQTT_URL = "mqtt://127.0.0.1:1883"


def _check_url(value: str | None, schemes: tuple[str, ...], example: str) -> str | None:
    if value is None or value == "":
        return None
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"expected a URL like {example}, got {value!r}")
    try:
        parts.port  # noqa: B018 - raises on a non-numeric port
    except ValueError as exc:
        raise ValueError(f"bad port in {value!r}") from exc
    return value


class Settings(BaseSettings):
    """Everything the stack is configured by. Unset services fall back to embedded defaults."""

    model_config = SettingsConfigDict(
        env_prefix="FAB_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    home: Path = Field(Path(".fab"), description="State: embedded services, warehouse, models")
    pg_dsn: str | None = Field(None, description="Landing zone PostgreSQL/TimescaleDB")
    dagster_pg_dsn: str | None = Field(None, description="Dagster run/event storage")
    mqtt_url: str | None = Field(None, description="MQTT broker")
    opcua_url: str = Field("opc.tcp://127.0.0.1:4840/fab/", description="OPC UA endpoint")
    clickhouse_url: str | None = Field(None, description="ClickHouse server; unset = chDB")
    mlflow_tracking_uri: str | None = Field(
        None, description="MLflow tracking server; unset = fab_mlflow DB on the landing server"
    )
    plant: str = Field("demo", description="Plant file name or path")
    seed: int = Field(42, description="Random seed for simulator and models")
    retention_days: int = Field(90, ge=1, le=3650, description="Raw time-series retention")
    log_level: str = Field("INFO", description="Python log level")
    mqtt_session_expiry_s: int = Field(
        3600, ge=0, le=2**32 - 1, description="How long the broker keeps an absent ingestor's share"
    )
    mqtt_interlock_url: str | None = Field(None, description="Broker URL as the interlock role")
    mqtt_machine_secret: str | None = Field(
        None, repr=False, description="Derives each machine's own broker password"
    )
    ingest_offline_warn_s: int = Field(300, ge=1, description="Warn about an absent member after")
    timescale_allow_unfixed: bool = Field(
        False, description="Accept TimescaleDB 2.11-2.18.0 (issue 7672; the anti-join carries it)"
    )
    clickhouse_cluster: str | None = Field(
        None, description="ClickHouse cluster name: ON CLUSTER DDL, replicated + Distributed"
    )
    klarf_drop: Path | None = Field(None, description="KLARF drop folder; unset = FAB_HOME/klarf")

    @field_validator("pg_dsn", "dagster_pg_dsn")
    @classmethod
    def _pg(cls, v: str | None) -> str | None:
        return _check_url(v, ("postgresql", "postgres"), "postgresql://user@host:5432/db")

    @field_validator("mqtt_url", "mqtt_interlock_url")
    @classmethod
    def _mqtt(cls, v: str | None) -> str | None:
        return _check_url(v, ("mqtt", "mqtts"), "mqtt://host:1883")

    @field_validator("opcua_url")
    @classmethod
    def _opcua(cls, v: str) -> str:
        return _check_url(v, ("opc.tcp",), "opc.tcp://host:4840/fab/") or v

    @field_validator("clickhouse_url")
    @classmethod
    def _clickhouse(cls, v: str | None) -> str | None:
        return _check_url(v, ("http", "https", "clickhouse"), "http://user:pass@host:8123/fab")

    @field_validator("mlflow_tracking_uri")
    @classmethod
    def _mlflow(cls, v: str | None) -> str | None:
        schemes = ("http", "https", "postgresql", "postgresql+psycopg")
        return _check_url(v, schemes, "http://host:5000")

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        if v.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got {v!r}")
        return v.upper()

    @property
    def home_dir(self) -> Path:
        path = self.home.expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning a validation error into one line naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        msg = err["msg"].removeprefix("Value error, ")
        raise FabError(f"FAB_{field.upper()}: {msg} (got {err.get('input')!r})") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
