"""`fab ingest`: stream MQTT and OPC UA into the landing zone; show the ingestors' status."""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from fabcli.common import console, human_bytes, landing, settings
from fabstack.errors import FabError

if TYPE_CHECKING:
    from fabstack.settings import Settings
    from ingestion.stream.mqtt import MqttOptions

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
        None,
        min=0,
        max=2**32 - 1,
        help="How long the broker keeps this "
        "instance's session (and its queued share) "
        "while it is down (default FAB_MQTT_SESSION_EXPIRY_S)",
    ),
) -> None:
    """Subscribe to $share/<group>/fab/v1/# with QoS 1 and land every message exactly once."""
    from fabstack.services import landing_endpoint
    from ingestion.stream.config import INTERLOCKS_FILE, load_interlocks
    from ingestion.stream.pipeline import BatchLimits
    from ingestion.stream.service import LandingTarget, run_mqtt

    _logging()
    cfg = settings()
    rules = load_interlocks(interlocks or INTERLOCKS_FILE)
    dsn = landing_endpoint(cfg).url
    options = _member_options(cfg, instance, client_id, share_group, topic_filter)
    host, port, cid = options.host, options.port, options.client_id
    options.receive_maximum = min(65_535, max(100, 3 * batch_messages))
    if session_expiry_s is not None:
        options.session_expiry_s = session_expiry_s
    options.limits = BatchLimits(
        max_rows=batch_rows,
        max_messages=batch_messages,
        max_age_s=batch_age_ms / 1000,
        status_every_s=status_every_ms / 1000,
    )
    spool = spool_dir or cfg.home_dir / "spool" / cid
    if rules.rules and options.username and options.command_broker is None:
        console.print(
            "[bold yellow]warning:[/] interlock stops go out on this ingestor's own login; "
            "where the broker lets only fab_interlock write commands, set FAB_MQTT_INTERLOCK_URL"
        )
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

    target = LandingTarget(dsn, spool, rules, cfg.retention_days, spool_max_mb << 20)
    ing = run_mqtt(options, target, duration=duration, progress=progress)
    s = ing.pipeline.stats
    console.print(
        f"stopped: {s.messages_total:,} messages, {s.rows_total:,} rows landed, "
        f"{s.dead_letters_total} dead letters, spool {ing.committer.spool.depth} batches"
    )


def _member_options(
    cfg: Settings, instance: int, client_id: str, share_group: str, topic_filter: str
) -> MqttOptions:
    """MqttOptions of one shared-subscription member, from settings and its identity."""
    from fabstack.services import broker_endpoint
    from ingestion.stream.mqtt import MqttOptions
    from ingestion.stream.service import broker_address

    broker = broker_address(broker_endpoint(cfg).url)
    cid = client_id or f"fab-ingest-{socket.gethostname()}-{instance}"
    if not cid.replace("-", "").replace("_", "").isalnum():
        raise FabError(f"--client-id: letters, digits, - and _ only, got {cid!r}")
    return MqttOptions(
        host=broker.host,
        port=broker.port,
        username=broker.username,
        password=broker.password,
        tls=broker.tls,
        cafile=broker.cafile,
        command_broker=broker_address(cfg.mqtt_interlock_url) if cfg.mqtt_interlock_url else None,
        client_id=cid,
        share_group=share_group,
        topic_filter=topic_filter,
        session_expiry_s=cfg.mqtt_session_expiry_s,
    )


@app.command("leave")
def leave(
    instance: int = typer.Option(0, min=0, help="Instance number of the member to remove"),
    client_id: str = typer.Option(
        "", help="Its MQTT client id (default fab-ingest-<host>-<instance>)"
    ),
    share_group: str = typer.Option("ingest", help="Shared-subscription group"),
    topic_filter: str = typer.Option("fab/v1/#", help="Topic filter inside the share"),
    interlocks: Path = typer.Option(None, help="Interlock rules YAML (default the shipped one)"),
    spool_dir: Path = typer.Option(None, help="The member's spool (default FAB_HOME/spool/<id>)"),
    idle_s: float = typer.Option(
        2.0, min=0.1, max=3600, help="Done when nothing came for this long"
    ),
    timeout_s: float = typer.Option(300.0, min=1, max=86_400, help="Give up draining after this"),
) -> None:
    """Scale down: land what the broker queued for a member, then delete its session.

    Run it for an ingestor that is stopped for good (scaled down, renamed, its host retired):
    until its session expires, the broker keeps handing it a share of the traffic."""
    from fabstack.services import landing_endpoint
    from ingestion.stream.config import INTERLOCKS_FILE, load_interlocks
    from ingestion.stream.service import LandingTarget, drain_and_leave

    _logging()
    cfg = settings()
    options = _member_options(cfg, instance, client_id, share_group, topic_filter)
    spool = spool_dir or cfg.home_dir / "spool" / options.client_id
    console.print(f"draining {options.client_id} from {options.subscription}")
    rules = load_interlocks(interlocks or INTERLOCKS_FILE)
    target = LandingTarget(landing_endpoint(cfg).url, spool, rules, cfg.retention_days)
    ing = drain_and_leave(options, target, idle_s=idle_s, timeout_s=timeout_s)
    s = ing.pipeline.stats
    console.print(
        f"{options.client_id} left {options.share_group}: {s.messages_total:,} queued messages "
        f"landed ({s.rows_total:,} rows, {s.dead_letters_total} dead letters); session removed"
    )


@app.command("opcua")
def opcua(
    config: Path = typer.Option(None, help="OPC UA servers and node mapping YAML"),
    server: str = typer.Option(None, help="Only this server name from the config"),
    interlocks: Path = typer.Option(None, help="Interlock rules YAML (default the shipped one)"),
    spool_dir: Path = typer.Option(None, help="Store-and-forward spool (default FAB_HOME/spool)"),
    duration: float = typer.Option(None, min=0.1, help="Stop after this many seconds"),
    allow_insecure: bool = typer.Option(
        False,
        "--allow-insecure",
        help="Allow servers configured with security mode None (no signing, no encryption)",
    ),
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
    for s in servers:
        if s.security.insecure and not allow_insecure:
            raise FabError(
                f"servers.{s.name}.security.mode: None (no signing, no encryption) is refused; "
                "use SignAndEncrypt, or pass --allow-insecure"
            )
        if s.security.insecure:
            console.print(f"[bold yellow]warning:[/] OPC UA server {s.name} WITHOUT security")
    rules = load_interlocks(interlocks or INTERLOCKS_FILE)
    dsn = landing_endpoint(cfg).url
    spool = spool_dir or cfg.home_dir / "spool" / "opcua"
    # stops go out as the interlock role where the broker has one
    broker_url = cfg.mqtt_interlock_url or broker_endpoint(cfg).url
    broker = broker_address(broker_url) if rules.rules else None
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
        pki_dir=cfg.home_dir / "opcua" / "client",
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


STALE_AFTER_S = 10.0  # an ingestor reports about every second; silent longer = not running


@app.command("status")
def status() -> None:
    """Live status of every ingestor: health, rate, lag, dead letters, spool depth.

    rows and dead letters count what the ingestor landed (they grow in each batch's own
    transaction, spool replays included). STALLED: its batch can be neither committed nor
    spooled (the error is shown); STALE: no report for 10 s (stopped or hung)."""
    with landing() as conn:
        try:
            rows = conn.execute(
                "SELECT ingestor, connected, updated_at, messages_total, rows_total, rows_per_s, "
                "lag_ms, dead_letters_total, interlocks_total, spool_batches, spool_bytes, "
                "last_error, stalled_since, extract(epoch FROM now() - updated_at), "
                "link_state, last_message, last_message_at "
                "FROM landing.ingest_status ORDER BY ingestor"
            ).fetchall()
        except Exception as exc:  # noqa: BLE001 - missing table/column = not migrated
            raise FabError("landing.ingest_status missing: run `fab db migrate`") from exc
    gem = any(r[14] for r in rows)
    table = Table(title="ingestors")
    for col in (
        "ingestor",
        "state",
        "updated",
        "messages",
        "rows",
        "rows/s",
        "lag ms",
        "dead",
        "interlocks",
        "spool",
        "last error",
        # GEM links only: an MQTT/OPC UA fleet keeps the table narrow enough to read
        *(("link (GEM)", "last message") if gem else ()),
    ):
        table.add_column(col)
    for r in rows:
        health = _health(connected=r[1], stalled_since=r[12], silent_s=float(r[13]))
        live = health in ("connected", "DISCONNECTED")
        table.add_row(
            r[0],
            health,
            r[2].strftime("%H:%M:%S"),
            f"{r[3]:,}",
            f"{r[4]:,}",
            f"{r[5]:,.0f}" if live else "0",
            "" if r[6] is None else f"{r[6]:,.0f}",
            str(r[7]),
            str(r[8]),
            f"{r[9]} ({human_bytes(r[10])})",
            r[11] or "",
            *((r[14] or "", f"{r[15]} {r[16]:%H:%M:%S}" if r[15] and r[16] else "") if gem else ()),
        )
    console.print(table if rows else "no ingestor has reported yet")
    _warn_absent_members()


def _warn_absent_members() -> None:
    from ingestion.stream.service import absent_members

    with landing() as conn:
        warnings = absent_members(conn, settings().ingest_offline_warn_s)
    for line in warnings:
        console.print(f"[bold yellow]warning:[/] {line}")


def _health(connected: bool, stalled_since, silent_s: float) -> str:
    if silent_s > STALE_AFTER_S:
        return f"STALE ({silent_s:,.0f} s)"
    if stalled_since is not None:
        return f"STALLED since {stalled_since:%H:%M:%S}"
    return "connected" if connected else "DISCONNECTED"
