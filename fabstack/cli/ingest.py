"""`fab ingest`: stream MQTT and OPC UA into the landing zone; show the ingestors' status."""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

import typer
from rich.table import Table

from fabstack.cli.common import console, human_bytes, landing, settings
from fabstack.errors import FabError

app = typer.Typer(
    help="Streaming ingestion: MQTT and OPC UA into the landing zone.", no_args_is_help=True
)


def _logging() -> None:
    level = os.environ.get("FAB_LOG_LEVEL", "INFO").upper()
    logging.getLogger("fab").setLevel(level)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(message)s")


@app.command("mqtt")
def mqtt(
    instance: int = typer.Option(
        0,
        min=0,
        help="Instance number; each process needs its own "
        "(the client id and session follow it across restarts)",
    ),
    client_id: str = typer.Option("", help="MQTT client id (default fab-ingest-<host>-<instance>)"),
    share_group: str = typer.Option("ingest", help="Shared-subscription group"),
    topic_filter: str = typer.Option("fab/v1/#", help="Topic filter inside the share"),
    interlocks: Path = typer.Option(None, help="Interlock rules YAML (default the shipped one)"),
    spool_dir: Path = typer.Option(None, help="Store-and-forward spool (default FAB_HOME/spool)"),
    spool_max_mb: int = typer.Option(1024, min=1, help="Spool bound in MiB"),
    batch_rows: int = typer.Option(20_000, min=1, help="Flush a batch at this many rows"),
    batch_messages: int = typer.Option(2_000, min=1, help="... or this many messages"),
    batch_age_ms: int = typer.Option(50, min=1, help="... or when its first message is this old"),
    duration: float = typer.Option(None, min=0.1, help="Stop after this many seconds"),
    status_every_ms: int = typer.Option(1000, min=50, help="Live status update interval"),
    session_expiry_s: int = typer.Option(
        3600,
        min=0,
        help="How long the broker keeps this "
        "instance's session (and unacknowledged messages) "
        "while it is down",
    ),
) -> None:
    """Subscribe to $share/<group>/fab/v1/# with QoS 1 and land every message exactly once."""
    from fabstack.services import broker_endpoint, landing_endpoint
    from ingestion.stream.config import INTERLOCKS_FILE, load_interlocks
    from ingestion.stream.mqtt import MqttOptions
    from ingestion.stream.pipeline import BatchLimits
    from ingestion.stream.service import broker_address, run_mqtt

    _logging()
    cfg = settings()
    rules = load_interlocks(interlocks or INTERLOCKS_FILE)
    broker = broker_address(broker_endpoint(cfg).url)
    host, port = broker.host, broker.port
    dsn = landing_endpoint(cfg).url
    cid = client_id or f"fab-ingest-{socket.gethostname()}-{instance}"
    if not cid.replace("-", "").replace("_", "").isalnum():
        raise FabError(f"--client-id: letters, digits, - and _ only, got {cid!r}")
    options = MqttOptions(
        host=host,
        port=port,
        username=broker.username,
        password=broker.password,
        client_id=cid,
        share_group=share_group,
        topic_filter=topic_filter,
        receive_maximum=min(65_535, max(100, 3 * batch_messages)),
        session_expiry_s=session_expiry_s,
        limits=BatchLimits(
            max_rows=batch_rows,
            max_messages=batch_messages,
            max_age_s=batch_age_ms / 1000,
            status_every_s=status_every_ms / 1000,
        ),
    )
    spool = spool_dir or cfg.home_dir / "spool" / cid
    console.print(
        f"ingesting {options.subscription} from {host}:{port} as {cid}; "
        f"{len(rules.rules)} interlock rule(s); spool {spool}"
    )

    def progress(ing) -> None:
        s = ing.pipeline.status()
        console.print(
            f"[dim]{s['messages_total']:,} msgs, {s['rows_total']:,} rows landed, "
            f"{s['rows_per_s']:,.0f} rows/s, {s['dead_letters_total']} dead letters, "
            f"{s['interlocks_total']} interlocks, spool {s['spool_batches']} batches "
            f"({s['spool_fill']:.0%}), {'connected' if s['connected'] else 'DISCONNECTED'}[/]"
        )

    ing = run_mqtt(
        options,
        dsn,
        spool,
        rules,
        cfg.retention_days,
        spool_max_mb << 20,
        duration=duration,
        progress=progress,
    )
    s = ing.pipeline.stats
    console.print(
        f"stopped: {s.messages_total:,} messages, {s.rows_total:,} rows landed, "
        f"{s.dead_letters_total} dead letters, spool {ing.committer.spool.depth} batches"
    )


@app.command("opcua")
def opcua(
    config: Path = typer.Option(None, help="OPC UA servers and node mapping YAML"),
    server: str = typer.Option(None, help="Only this server name from the config"),
    interlocks: Path = typer.Option(None, help="Interlock rules YAML (default the shipped one)"),
    spool_dir: Path = typer.Option(None, help="Store-and-forward spool (default FAB_HOME/spool)"),
    duration: float = typer.Option(None, min=0.1, help="Stop after this many seconds"),
) -> None:
    """Subscribe to the configured OPC UA nodes (500 ms) and land data changes."""
    from fabstack.services import broker_endpoint, landing_endpoint
    from ingestion.stream.config import INTERLOCKS_FILE, OPCUA_FILE, load_interlocks, load_opcua
    from ingestion.stream.opcua_service import run_opcua
    from ingestion.stream.service import broker_address

    _logging()
    cfg = settings()
    opc = load_opcua(config or OPCUA_FILE)
    servers = [s for s in opc.servers if server is None or s.name == server]
    if not servers:
        names = ", ".join(s.name for s in opc.servers)
        raise FabError(f"--server: {server!r} is not in the config (have: {names})")
    rules = load_interlocks(interlocks or INTERLOCKS_FILE)
    dsn = landing_endpoint(cfg).url
    spool = spool_dir or cfg.home_dir / "spool" / "opcua"
    broker = broker_address(broker_endpoint(cfg).url) if rules.rules else None
    console.print(f"ingesting OPC UA from {', '.join(s.url or cfg.opcua_url for s in servers)}")
    run_opcua(
        servers,
        cfg.opcua_url,
        dsn,
        spool,
        rules,
        cfg.retention_days,
        duration=duration,
        console=console,
        broker=broker,
    )


@app.command("secsgem")
def secsgem(
    base_port: int = typer.Option(
        15000,
        min=1,
        max=65000,
        help="Without a `gem` section in the plant file: tool i at "
        "127.0.0.1:base+i (as `fab simulate --live --secsgem` serves them)",
    ),
    interlocks: Path = typer.Option(None, help="Interlock rules YAML (default the shipped one)"),
    spool_dir: Path = typer.Option(None, help="Store-and-forward spool (default FAB_HOME/spool)"),
    duration: float = typer.Option(None, min=0.1, help="Stop after this many seconds"),
) -> None:
    """GEM host for every tool in the plant file's `gem` section (HSMS): events, alarms, trace
    or polling into the landing zone; S2F41 on an interlock trip."""
    import asyncio

    from fabstack.services import landing_endpoint
    from ingestion.gem.host import GemIngestor
    from ingestion.plant import default_gem, load_plant
    from ingestion.stream.config import INTERLOCKS_FILE, load_interlocks
    from ingestion.stream.service import _run_until_signal, load_reference

    _logging()
    cfg = settings()
    plant = load_plant(cfg.plant)
    gem = plant.gem or default_gem(plant, base_port)
    dsn = landing_endpoint(cfg).url
    machines, lots = load_reference(dsn)
    rules = load_interlocks(interlocks or INTERLOCKS_FILE)
    spool = spool_dir or cfg.home_dir / "spool" / "secsgem"
    console.print(
        f"GEM host for {len(gem.tools)} tool(s) of plant {plant.plant}; "
        f"{len(rules.rules)} interlock rule(s); spool {spool}"
    )

    async def main() -> None:
        ingestor = GemIngestor(gem.tools, dsn, machines, spool, interlocks=rules, lots=lots)

        def progress() -> None:
            up = sum(t["connected"] for t in ingestor.tool_status())
            s = ingestor.pipeline.status()
            console.print(
                f"[dim]{up}/{len(gem.tools)} tools communicating, {s['rows_total']:,} rows, "
                f"{s['dead_letters_total']} dead letters, {s['interlocks_total']} interlocks[/]"
            )

        await _run_until_signal(ingestor.run, ingestor.stop, duration, progress)

    asyncio.run(main())


@app.command("status")
def status() -> None:
    """Live status of every ingestor: rate, lag, dead letters, spool depth."""
    with landing() as conn:
        try:
            rows = conn.execute(
                "SELECT ingestor, connected, updated_at, messages_total, rows_total, rows_per_s, "
                "lag_ms, dead_letters_total, interlocks_total, spool_batches, spool_bytes, "
                "last_error, link_state, last_message, last_message_at "
                "FROM landing.ingest_status ORDER BY ingestor"
            ).fetchall()
        except Exception as exc:  # noqa: BLE001 - missing table = not migrated
            raise FabError("landing.ingest_status missing: run `fab db migrate`") from exc
    table = Table(title="ingestors")
    for col in (
        "ingestor",
        "conn",
        "updated",
        "messages",
        "rows",
        "rows/s",
        "lag ms",
        "dead",
        "interlocks",
        "spool",
        "last error",
        "link (GEM)",
        "last message",
    ):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r[0],
            "yes" if r[1] else "NO",
            r[2].strftime("%H:%M:%S"),
            f"{r[3]:,}",
            f"{r[4]:,}",
            f"{r[5]:,.0f}",
            "" if r[6] is None else f"{r[6]:,.0f}",
            str(r[7]),
            str(r[8]),
            f"{r[9]} ({human_bytes(r[10])})",
            r[11] or "",
            r[12] or "",
            f"{r[13]} {r[14]:%H:%M:%S}" if r[13] and r[14] else "",
        )
    console.print(table if rows else "no ingestor has reported yet")


def demo_step(seconds: float = 30.0) -> dict[str, int]:
    """For `fab demo`: run the MQTT ingestor (instance 0, shared group `ingest`) for ``seconds``
    while the live simulator publishes; returns messages/rows/dead letters/interlocks."""
    mqtt(
        instance=0,
        client_id="",
        share_group="ingest",
        topic_filter="fab/v1/#",
        interlocks=None,
        spool_dir=None,
        spool_max_mb=1024,
        batch_rows=20_000,
        batch_messages=2_000,
        batch_age_ms=50,
        duration=seconds,
        status_every_ms=1000,
        session_expiry_s=300,
    )
    with landing() as conn:
        row = conn.execute(
            "SELECT coalesce(sum(messages_total), 0), coalesce(sum(rows_total), 0), "
            "coalesce(sum(dead_letters_total), 0), coalesce(sum(interlocks_total), 0) "
            "FROM landing.ingest_status WHERE source = 'mqtt'"
        ).fetchone()
    return dict(zip(("messages", "rows", "dead_letters", "interlocks"), map(int, row), strict=True))
