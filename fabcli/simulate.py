"""`fab simulate`: backfill history into the landing zone, run the fab live, inject chaos."""

from __future__ import annotations

import asyncio
from datetime import datetime

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fabcli.common import check_number, console, settings, time_option
from fabstack.errors import FabError

MAX_ACK_WAIT_S = 3600.0  # waiting longer for the simulator's ack is waiting forever
MAX_FAULT_S = 30 * 86_400.0  # simulated seconds: a month-long fault is a different plant
MAX_BACKFILL_DAYS = 3650.0  # ten years of history; the landing zone keeps 90 days
MAX_SPEED = 1e6  # simulated seconds per second: beyond this the clock outruns the tick
MAX_LIVE_S = 366 * 86_400.0  # --for: a year of wall time
MAX_SENSOR_HZ = 100.0  # readings per second per metric; full rate is 1

app = typer.Typer(
    help="Simulate a fab: `--days N` backfills history, `--live` streams MQTT and OPC UA.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def _parse_end(end: str | None, option: str = "--end") -> datetime | None:
    return None if end is None else time_option(option, end)


def backfill(plant: str, days: float, seed: int, end: str | None, rate: float) -> dict:
    """The demo step: backfill through the landing endpoint, with a progress bar."""
    from fabstack.services import landing_endpoint
    from ingestion.plant import load_plant
    from ingestion.simulator.backfill import check_args, run_backfill

    check_args(days, rate)
    spec = load_plant(plant)
    end_dt = _parse_end(end)
    dsn = landing_endpoint(settings()).url
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(what: str, done: float, total: float) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(f"{spec.plant}: {what}", total=total)
            bar.update(tasks[what], completed=done, total=total)

        summary = run_backfill(
            dsn, spec, days, seed, end_dt, sensor_rate_hz=rate, progress=progress
        )
    table = Table(
        title=f"backfill {summary.run_id}: {summary.start:%Y-%m-%d %H:%M} .. "
        f"{summary.end:%Y-%m-%d %H:%M} UTC"
    )
    table.add_column("table")
    table.add_column("rows written", justify="right")
    for name, n in sorted(summary.rows.items()):
        table.add_row(f"landing.{name}", f"{n:,}")
    for name, n in sorted(summary.truth_rows.items()):
        table.add_row(f"truth.{name}", f"{n:,}")
    console.print(table)
    if not summary.rows:
        console.print("nothing new: this window was already simulated with this seed")
    console.print(
        f"{summary.readings:,} readings at {summary.readings_per_s:,.0f}/s; "
        f"{summary.seconds:.1f} s in all"
    )
    return summary.as_dict()


@app.callback()
def simulate(
    ctx: typer.Context,
    plant: str = typer.Option(None, "--plant", help="Plant name or file (default FAB_PLANT)."),
    days: float = typer.Option(None, "--days", help="Backfill this many days of history."),
    seed: int = typer.Option(None, "--seed", help="Random seed (default FAB_SEED)."),
    end: str = typer.Option(
        None, "--end", help="Backfill end, ISO 8601 with offset (default: the last whole hour)."
    ),
    live: bool = typer.Option(False, "--live", help="Stream live over MQTT and OPC UA."),
    speed: float = typer.Option(1.0, "--speed", help="Live: simulated seconds per second."),
    rate: float = typer.Option(1.0, "--rate", help="Sensor readings per second per metric."),
    duration: float = typer.Option(None, "--for", help="Live: stop after this many seconds."),
    security: str = typer.Option(
        "SignAndEncrypt",
        "--security",
        help="Live OPC UA security: SignAndEncrypt, Sign (Basic256Sha256, self-signed cert "
        "under FAB_HOME) or None (unprotected: prints a warning).",
    ),
    no_opcua: bool = typer.Option(False, "--no-opcua", help="Live: do not host OPC UA."),
    secsgem: bool = typer.Option(
        False, "--secsgem", help="Live: also serve each tool as GEM equipment (HSMS passive)."
    ),
    gem_base_port: int = typer.Option(
        15000, "--gem-base-port", help="Live GEM: tool i on 127.0.0.1:base+i (no plant gem section)"
    ),
    start: str = typer.Option(
        None,
        "--start",
        help="Live: simulated start time, ISO 8601 "
        "with offset (default now); same seed + start = same stream.",
    ),
) -> None:
    if ctx.invoked_subcommand:
        return
    _check_simulate_numbers(days, seed, speed, rate, duration)
    check_number("--gem-base-port", gem_base_port, at_least=1, at_most=65_000)
    s = settings()
    plant = plant or s.plant
    seed = s.seed if seed is None else seed
    if live:
        gem_port = gem_base_port if secsgem else None
        _live(
            plant,
            seed,
            speed,
            rate,
            duration,
            security,
            no_opcua,
            _parse_end(start, "--start"),
            gem_port,
        )
        return
    if days is None:
        raise FabError("fab simulate: give --days N to backfill or --live to stream")
    backfill(plant, days, seed, end, rate)


def _check_simulate_numbers(
    days: float | None, seed: int | None, speed: float, rate: float, duration: float | None
) -> None:
    """Finite, bounded numbers before anything starts: inf days or a 1e300x speed never end."""
    if days is not None:
        check_number("--days", days, above=0, at_most=MAX_BACKFILL_DAYS)
    if seed is not None:
        check_number("--seed", seed, at_least=0, at_most=2**63 - 1)
    check_number("--speed", speed, above=0, at_most=MAX_SPEED)
    check_number("--rate", rate, above=0, at_most=MAX_SENSOR_HZ)
    if duration is not None:
        check_number("--for", duration, above=0, at_most=MAX_LIVE_S)


def _live(
    plant: str,
    seed: int,
    speed: float,
    rate: float,
    duration: float | None,
    security: str,
    no_opcua: bool,
    start: datetime | None,
    gem_base_port: int | None = None,
) -> None:
    from fabstack.services import broker_endpoint, landing_endpoint
    from ingestion.plant import load_plant
    from ingestion.simulator.live import LiveSimulator
    from ingestion.simulator.opcua_server import load_node_map

    if not speed > 0:
        raise FabError(f"--speed: must be > 0, got {speed}")
    if not rate > 0:
        raise FabError(f"--rate: must be > 0, got {rate}")
    if duration is not None and not duration > 0:
        raise FabError(f"--for: must be > 0 seconds, got {duration}")
    if security not in ("None", "Sign", "SignAndEncrypt"):
        raise FabError(f"--security: expected None, Sign or SignAndEncrypt, got {security!r}")
    if security == "None" and not no_opcua:
        console.print(
            "[bold yellow]warning:[/] OPC UA server WITHOUT security (--security None): "
            "anyone who reaches it can read it"
        )
    s = settings()
    spec = load_plant(plant)
    try:
        dsn = landing_endpoint(s, start=False).url
    except FabError:
        dsn = None
    sim = LiveSimulator(
        spec,
        seed,
        mqtt_url=broker_endpoint(s).url,
        speed=speed,
        rate_hz=rate,
        opcua_url=None if no_opcua else s.opcua_url,
        node_map=load_node_map(),
        dsn=dsn,
        home=s.home_dir,
        security=security,
        start=start,
        machine_secret=s.mqtt_machine_secret,
    )
    if gem_base_port is not None:
        from ingestion.gem.equipment import GemFleet
        from ingestion.plant import default_gem

        gem = spec.gem or default_gem(spec, gem_base_port)
        sim.gem = GemFleet(gem, sim.gem_command)
        sim.gem.start()
        ports = [t.port for t in gem.tools]
        console.print(f"GEM equipment: {len(ports)} tools on 127.0.0.1:{min(ports)}-{max(ports)}")
    console.print(
        f"live: {spec.plant} seed {seed} at {speed:g}x, sensors {rate:g} Hz; "
        f"MQTT {broker_endpoint(s).url}"
        + ("" if no_opcua else f", OPC UA {s.opcua_url}")
        + " (Ctrl-C stops)"
    )
    try:
        stats = asyncio.run(sim.run(duration_s=duration))
    except KeyboardInterrupt:
        stats = sim.stats
    finally:
        if sim.gem:
            sim.gem.stop()
    console.print(
        f"published {dict(stats.messages)}; {stats.readings:,} readings; "
        f"{stats.commands} commands, {stats.faults} faults"
    )


@app.command("chaos")
def chaos(
    machine: str = typer.Option(..., "--machine", help="Machine id, e.g. ETCH-01."),
    fault: str = typer.Option(
        ..., "--fault", help="machine_down | sensor_spike | efficiency_drop | network_partition"
    ),
    duration: float = typer.Option(300, "--duration", help="Simulated seconds."),
    plant: str = typer.Option(None, "--plant", help="Plant of the live simulator."),
    timeout: float = typer.Option(10, "--timeout", help="Seconds to wait for the ack."),
) -> None:
    """Inject a fault into the running live simulator (over MQTT) and wait for its ack."""
    from fabstack.services import broker_endpoint
    from ingestion.plant import load_plant
    from ingestion.simulator.live import check_chaos, send_chaos

    check_number("--timeout", timeout, above=0, at_most=MAX_ACK_WAIT_S)
    check_number("--duration", duration, above=0, at_most=MAX_FAULT_S)
    s = settings()
    spec = load_plant(plant or s.plant)
    check_chaos(spec, machine, fault, duration)
    ack = asyncio.run(
        send_chaos(broker_endpoint(s).url, spec.site.id, machine, fault, duration, timeout)
    )
    console.print(f"chaos: {fault} on {machine} from {ack['start']} to {ack['end']}")
