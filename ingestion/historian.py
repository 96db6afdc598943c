"""Historian backfill: CSV or Parquet exports (PI, Canary, a dump) into the landing zone.

Two long formats, read and validated with polars (vectorized, no object per row):

- readings: ``ts, machine, metric, value[, quality]`` -> ``landing.sensor_reading``;
- events:   ``ts, machine, event, code[, severity, message]`` where ``event`` is ``state``,
  ``failure``, ``maintenance`` (-> ``landing.machine_state``, the state taken from the reason
  code) or ``alarm`` (-> ``landing.alarm``).

A file that cannot be read as the table (missing required column, Parquet column of the wrong
type) is a ``FabError`` naming file and problem, raised before anything lands. A bad row goes to
``landing.dead_letter`` with ``file:line`` and the reason; the rest lands through
``LandingSink.write_many`` (the ingestors' COPY path), so a re-run lands nothing twice. Each
landed chunk also records its days in ``landing.import_arrival`` for the landing sensor.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import psycopg
import yaml

from fabstack.errors import FabError
from fabstack.sqlfile import named_queries
from ingestion.payloads import FUTURE_TOLERANCE, QUALITY_RANGE
from ingestion.sink import LandingSink

QUERIES = named_queries(Path(__file__).parent / "landing" / "sql" / "historian.sql")
SOURCE = "import"
SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet"}
CHUNK_ROWS = 200_000
_SHOW = 60


@dataclass(frozen=True)
class TableFormat:
    """One import format: its target columns, which are required, and how each must be typed in
    Parquet (``kind`` is ``ts``, ``text`` or ``number``)."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    kinds: dict[str, str]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


READINGS = TableFormat(
    "readings",
    ("ts", "machine", "metric", "value"),
    ("quality",),
    {"ts": "ts", "machine": "text", "metric": "text", "value": "number", "quality": "number"},
)
EVENTS = TableFormat(
    "events",
    ("ts", "machine", "event", "code"),
    ("severity", "message"),
    {
        "ts": "ts",
        "machine": "text",
        "event": "text",
        "code": "text",
        "severity": "number",
        "message": "text",
    },
)
EVENT_STATES = {"failure": "DOWN", "maintenance": "MAINTENANCE"}  # event -> required state
EVENT_KINDS = ("state", "failure", "maintenance", "alarm")


@dataclass
class ImportOptions:
    separator: str = ","
    columns: dict[str, str] = field(default_factory=dict)  # target -> column in the file
    retention_days: int = 90
    now: datetime | None = None


@dataclass
class ImportResult:
    files: int = 0
    rows: int = 0
    landed: int = 0  # newly landed (a re-run lands 0)
    already: int = 0  # valid rows that were there before
    dead_letters: int = 0
    days: set = field(default_factory=set)


def load_column_map(path: Path) -> dict[str, str]:
    """A YAML mapping ``target: column in the file`` (``ts: Timestamp``); bad files -> FabError."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, yaml.YAMLError) as exc:
        raise FabError(f"{path}: not a readable YAML column map: {exc}") from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise FabError(f"{path}: a column map is a mapping of target: column, e.g. ts: Time")
    return data


def parse_column_options(pairs: Iterable[str]) -> dict[str, str]:
    """``target=column`` pairs from ``--column`` options."""
    out = {}
    for pair in pairs:
        target, sep, column = pair.partition("=")
        if not sep or not target.strip() or not column.strip():
            raise FabError(f"--column: expected target=column, got {pair!r}")
        out[target.strip()] = column.strip()
    return out


def find_files(path: Path) -> list[Path]:
    """The file itself, or the CSV/Parquet files of a directory (sorted, recursive)."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES)
        if not files:
            raise FabError(f"{path}: no .csv or .parquet files in this directory")
        return files
    if not path.exists():
        raise FabError(f"{path}: no such file or directory")
    if path.suffix.lower() not in SUFFIXES:
        raise FabError(f"{path}: not a .csv or .parquet file")
    return [path]


# --- reading --------------------------------------------------------------------------------


def _check_columns(path: Path, fmt: TableFormat, present: Sequence[str], mapping: dict) -> dict:
    """target -> file column for the columns there; a missing required one is a FabError."""
    unknown = set(mapping) - set(fmt.columns)
    if unknown:
        raise FabError(
            f"column map names {sorted(unknown)}; {fmt.name} columns are {list(fmt.columns)}"
        )
    found = {}
    for target in fmt.columns:
        source = mapping.get(target, target)
        if source in present:
            found[target] = source
        elif target in fmt.required:
            hint = f" (mapped from {target})" if target in mapping else ""
            raise FabError(
                f"{path}: missing required column {source!r}{hint}; columns are {list(present)}"
            )
    return found


def _parquet_type_ok(kind: str, dtype: pl.DataType) -> str | None:
    """Why a Parquet column's type does not fit ``kind``, or None."""
    if kind == "text":
        return None if dtype in (pl.String, pl.Categorical) else "text"
    if kind == "number":
        return None if dtype.is_numeric() else "a number"
    if isinstance(dtype, pl.Datetime):
        return None if dtype.time_zone else "a timestamp with time zone (this one is naive)"
    return None if dtype == pl.String or dtype.is_integer() else "a timestamp with time zone"


def inspect_file(path: Path, fmt: TableFormat, options: ImportOptions) -> dict[str, str]:
    """Check that ``path`` reads as the table, without reading its rows; -> the column map."""
    kind = SUFFIXES[path.suffix.lower()]
    try:
        if kind == "parquet":
            schema = pl.read_parquet_schema(path)
        else:
            schema = pl.scan_csv(
                path, separator=options.separator, infer_schema=False, n_rows=0
            ).collect_schema()
    except Exception as exc:  # polars raises many kinds; any of them means: not this table
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise FabError(f"{path}: cannot be read as {kind}: {first}") from None
    found = _check_columns(path, fmt, list(schema), options.columns)
    if kind == "parquet":
        for target, source in found.items():
            wrong = _parquet_type_ok(fmt.kinds[target], schema[source])
            if wrong:
                raise FabError(f"{path}: column {source!r} is {schema[source]}, expected {wrong}")
    elif len(schema) == 1 and options.separator not in {";", "\t"}:
        pass  # one column is legal; a wrong separator shows up as a missing column above
    return found


def read_table(path: Path, fmt: TableFormat, options: ImportOptions) -> pl.DataFrame:
    """The file as a frame of the target columns plus ``line`` (1-based line in a CSV, row in
    a Parquet file); every column still as the file has it."""
    found = inspect_file(path, fmt, options)
    try:
        if SUFFIXES[path.suffix.lower()] == "parquet":
            frame = pl.read_parquet(path, columns=list(found.values()))
            offset = 1
        else:
            frame = pl.read_csv(
                path,
                separator=options.separator,
                infer_schema=False,
                columns=list(found.values()),
            )
            offset = 2  # the header is line 1
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise FabError(f"{path}: cannot be read: {first}") from None
    frame = frame.rename({v: k for k, v in found.items()})
    return frame.with_row_index("line", offset=offset)


# --- validation -----------------------------------------------------------------------------


def _timestamps(frame: pl.DataFrame) -> tuple[pl.Expr, pl.Expr]:
    """(parsed UTC ts, reason or null) for the ``ts`` column: RFC 3339 text with an offset,
    epoch milliseconds, or a Parquet timestamp with time zone."""
    dtype = frame.schema["ts"]
    col = pl.col("ts")
    if isinstance(dtype, pl.Datetime):
        return col.dt.convert_time_zone("UTC").dt.cast_time_unit("us"), pl.lit(None, pl.String)
    if dtype.is_integer():
        parsed = pl.from_epoch(col, time_unit="ms").dt.replace_time_zone("UTC")
        return parsed, pl.when(col.is_null()).then(pl.lit("bad_timestamp: ts is empty"))
    text = col.str.strip_chars()
    normal = text.str.replace(r"[zZ]$", "+00:00").str.replace(" ", "T", literal=True)
    parsed = normal.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_zone="UTC")
    has_zone = text.str.contains(r"([zZ]|[+-]\d{2}:?\d{2})$")
    reason = (
        pl.when(text.is_null() | (text == ""))
        .then(pl.lit("bad_timestamp: ts is empty"))
        .when(parsed.is_null() & ~has_zone & text.str.contains(r"^\d{4}-\d{2}-\d{2}"))
        .then(pl.format("bad_timestamp: ts {} has no UTC offset (naive)", _quoted(text)))
        .when(parsed.is_null())
        .then(pl.format("bad_timestamp: ts {} is not RFC 3339", _quoted(text)))
    )
    return parsed.dt.cast_time_unit("us"), reason


def _quoted(expr: pl.Expr) -> pl.Expr:
    text = expr.cast(pl.String).fill_null("")
    short = pl.when(text.str.len_chars() > _SHOW).then(text.str.slice(0, _SHOW - 3) + pl.lit("..."))
    return pl.lit("'") + short.otherwise(text) + pl.lit("'")


def _number(frame: pl.DataFrame, name: str) -> tuple[pl.Expr, pl.Expr]:
    """(Float64 value, reason or null) for a number column, text or numeric."""
    col = pl.col(name)
    if frame.schema[name] == pl.String:
        text = col.str.strip_chars()
        value = text.cast(pl.Float64, strict=False)
        finite_text = ~text.str.to_lowercase().str.contains(r"^[+-]?(nan|inf|infinity)$")
        reason = (
            pl.when(text.is_null() | (text == ""))
            .then(pl.lit(f"missing_field: {name} is empty"))
            .when(value.is_null())
            .then(pl.format(f"non_numeric: {name} {{}} is not a number", _quoted(text)))
            .when(value.is_infinite() & finite_text)
            .then(pl.format(f"overflow: {name} {{}} does not fit a double", _quoted(text)))
            .when(value.is_nan() | value.is_infinite())
            .then(pl.format(f"non_finite: {name} is {{}}", _quoted(text)))
        )
        return value, reason
    value = col.cast(pl.Float64)
    reason = (
        pl.when(col.is_null())
        .then(pl.lit(f"missing_field: {name} is empty"))
        .when(value.is_nan() | value.is_infinite())
        .then(pl.format(f"non_finite: {name} is {{}}", value))
    )
    if frame.schema[name].is_integer():
        exact = 1 << 53  # beyond this a float64 no longer holds the integer
        reason = reason.when(col.abs() > exact).then(
            pl.format(f"overflow: {name} {{}} does not fit a double exactly", col)
        )
    return value, reason


def _text(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.String).str.strip_chars()


def _first_reason(*reasons: pl.Expr) -> pl.Expr:
    return pl.coalesce(*reasons).alias("reason")


def _window_reason(options: ImportOptions) -> pl.Expr:
    now = options.now or datetime.now(UTC)
    latest = now + FUTURE_TOLERANCE
    oldest = now - timedelta(days=options.retention_days)
    ts = pl.col("_ts")
    return (
        pl.when(ts > latest)
        .then(pl.format("out_of_range: ts {} is more than 5 minutes in the future", ts))
        .when(ts < oldest)
        .then(
            pl.format(
                f"out_of_range: ts {{}} is older than the {options.retention_days}-day retention",
                ts,
            )
        )
    )


@dataclass
class Reference:
    """What rows are checked against, read once from the landing zone."""

    machines: pl.DataFrame  # machine
    bands: pl.DataFrame  # machine, metric, low, high (plausible band)
    reasons: pl.DataFrame  # code, state

    @classmethod
    def load(cls, conn: psycopg.Connection) -> Reference:
        import pandas as pd

        from ingestion.bands import plausible_band

        machines = [r[0] for r in conn.execute(QUERIES["machines"]).fetchall()]
        limits = conn.execute(QUERIES["metric_limits"]).fetchall()
        frame = pd.DataFrame(
            limits, columns=["machine_id", "metric", "setpoint", "min_value", "max_value"]
        )
        band = plausible_band(frame) if len(frame) else frame
        bands = pl.DataFrame(
            {
                "machine": [str(v) for v in band["machine_id"]],
                "metric": [str(v) for v in band["metric"]],
                "low": [float(v) for v in band.get("low", [])],
                "high": [float(v) for v in band.get("high", [])],
            },
            schema={
                "machine": pl.String,
                "metric": pl.String,
                "low": pl.Float64,
                "high": pl.Float64,
            },
        )
        reasons = conn.execute(QUERIES["state_reasons"]).fetchall()
        return cls(
            pl.DataFrame({"machine": machines}, schema={"machine": pl.String}),
            bands.with_columns(pl.col("low").fill_nan(None), pl.col("high").fill_nan(None)),
            pl.DataFrame(reasons, schema={"code": pl.String, "state": pl.String}, orient="row"),
        )


def _machine_reason(ref: Reference) -> pl.Expr:
    machine = pl.col("machine")
    return (
        pl.when(machine.is_null() | (machine == ""))
        .then(pl.lit("empty_machine: machine is empty"))
        .when(~machine.is_in(ref.machines["machine"].implode()))
        .then(pl.format("unknown_machine: machine {} is not in landing.machine", _quoted(machine)))
    )


def validate_readings(frame: pl.DataFrame, ref: Reference, options: ImportOptions) -> pl.DataFrame:
    """Columns ``line, ts, machine, metric, value, quality, reason`` (reason null = lands)."""
    ts, ts_reason = _timestamps(frame)
    value, value_reason = _number(frame, "value")
    if "quality" in frame.columns:
        quality, quality_reason = _number(frame, "quality")
        lo, hi = QUALITY_RANGE
        quality_reason = pl.when(pl.col("quality").is_null()).then(None).otherwise(quality_reason)
        quality_reason = pl.coalesce(
            quality_reason,
            pl.when((quality < lo) | (quality > hi) | (quality != quality.round(0))).then(
                pl.format("out_of_range: quality {} is not an int4 status code", quality)
            ),
        )
        quality = quality.fill_null(0.0)
    else:
        quality, quality_reason = pl.lit(0.0), pl.lit(None, pl.String)
    checked = (
        frame.with_columns(
            _text("machine").alias("machine"),
            _text("metric").alias("metric"),
            ts.alias("_ts"),
            ts_reason.alias("_ts_reason"),
            value.alias("_value"),
            value_reason.alias("_value_reason"),
            quality.alias("_quality"),
            quality_reason.alias("_quality_reason"),
        )
        .join(ref.bands, on=["machine", "metric"], how="left", coalesce=True)
        .with_columns(_known_metric(ref))
    )
    metric = pl.col("metric")
    reason = _first_reason(
        _machine_reason(ref),
        pl.col("_ts_reason"),
        _window_reason(options),
        pl.when(metric.is_null() | (metric == "")).then(pl.lit("missing_field: metric is empty")),
        pl.when(~pl.col("_known")).then(
            pl.format(
                "unknown_metric: machine {} has no metric {}", pl.col("machine"), _quoted(metric)
            )
        ),
        pl.col("_value_reason"),
        pl.when((pl.col("_value") < pl.col("low")) | (pl.col("_value") > pl.col("high"))).then(
            pl.format(
                "out_of_range: value {} of {} is outside the plausible band [{}, {}]",
                pl.col("_value"),
                metric,
                pl.col("low").round(3),
                pl.col("high").round(3),
            )
        ),
        pl.col("_quality_reason"),
    )
    return checked.with_columns(reason).select(
        "line",
        pl.col("_ts").alias("ts"),
        "machine",
        "metric",
        pl.col("_value").alias("value"),
        pl.col("_quality").cast(pl.Int64, strict=False).alias("quality"),
        "reason",
        *[pl.col(c).cast(pl.String).alias(f"raw_{c}") for c in frame.columns if c != "line"],
    )


def _known_metric(ref: Reference) -> pl.Expr:
    """A reading's machine has the metric (the join found its limits row)."""
    keys = ref.bands.select(pl.concat_str("machine", pl.lit("\x1f"), "metric"))
    pair = pl.concat_str("machine", pl.lit("\x1f"), "metric")
    return pair.is_in(keys.to_series().implode()).fill_null(False).alias("_known")


def validate_events(frame: pl.DataFrame, ref: Reference, options: ImportOptions) -> pl.DataFrame:
    """Columns ``line, ts, machine, event, code, state, severity, message, reason``."""
    ts, ts_reason = _timestamps(frame)
    if "severity" in frame.columns:
        severity, severity_reason = _number(frame, "severity")
        severity_reason = (
            pl.when(pl.col("severity").is_null())
            .then(None)
            .otherwise(
                pl.coalesce(
                    severity_reason,
                    pl.when(~severity.is_in([1.0, 2.0, 3.0, 4.0, 5.0])).then(
                        pl.format("out_of_range: severity {} is not 1-5", severity)
                    ),
                )
            )
        )
        severity = severity.fill_null(3.0)
    else:
        severity, severity_reason = pl.lit(3.0), pl.lit(None, pl.String)
    message = _text("message").fill_null("") if "message" in frame.columns else pl.lit("")
    checked = frame.with_columns(
        _text("machine").alias("machine"),
        _text("event").str.to_lowercase().alias("event"),
        _text("code").alias("code"),
        ts.alias("_ts"),
        ts_reason.alias("_ts_reason"),
        severity.alias("_severity"),
        severity_reason.alias("_severity_reason"),
        message.alias("_message"),
    ).join(ref.reasons, on="code", how="left", coalesce=True)
    event, code, state = pl.col("event"), pl.col("code"), pl.col("state")
    needed = pl.col("event").replace_strict(EVENT_STATES, default=None)
    reason = _first_reason(
        _machine_reason(ref),
        pl.col("_ts_reason"),
        _window_reason(options),
        pl.when(~event.is_in(list(EVENT_KINDS)) | event.is_null()).then(
            pl.format(
                f"unknown_event: event {{}} is not one of {', '.join(EVENT_KINDS)}", _quoted(event)
            )
        ),
        pl.when(code.is_null() | (code == "")).then(pl.lit("missing_field: code is empty")),
        pl.when((event != "alarm") & state.is_null()).then(
            pl.format("unknown_reason: code {} is not in landing.state_reason", _quoted(code))
        ),
        pl.when(needed.is_not_null() & (state != needed)).then(
            pl.format(
                "wrong_reason: {} code {} is a {} reason, expected {}",
                event,
                _quoted(code),
                state,
                needed,
            )
        ),
        pl.when(event == "alarm").then(pl.col("_severity_reason")),
    )
    return checked.with_columns(reason).select(
        "line",
        pl.col("_ts").alias("ts"),
        "machine",
        "event",
        "code",
        "state",
        pl.col("_severity").cast(pl.Int64, strict=False).alias("severity"),
        pl.col("_message").alias("message"),
        "reason",
        *[pl.col(c).cast(pl.String).alias(f"raw_{c}") for c in frame.columns if c != "line"],
    )


# --- landing --------------------------------------------------------------------------------


def _dead_letters(path: Path, bad: pl.DataFrame) -> list[tuple]:
    """(source, topic, payload, error, dedupe_key): topic is ``file:line``; the key makes a
    re-run keep each bad row once."""
    raw = [c for c in bad.columns if c.startswith("raw_")]
    out = []
    for row in bad.select("line", "reason", *raw).iter_rows():
        line, reason, values = row[0], row[1], row[2:]
        payload = ", ".join(f"{c[4:]}={v!r}" for c, v in zip(raw, values, strict=True))
        where = f"{path}:{line}"
        key = hashlib.sha1(f"{SOURCE}\x1f{where}\x1f{payload}".encode()).hexdigest()
        out.append((SOURCE, where, payload, reason, key))
    return out


def _arrivals(path: Path, table: str, ts: pl.Series) -> list[tuple]:
    """First and last ts of each UTC day: a UTC day spans at most two plant-local days, and
    these two stamps fall on both of them, so the sensor's per-local-day count sees each."""
    days = (
        pl.DataFrame({"ts": ts})
        .group_by(pl.col("ts").dt.date().alias("day"))
        .agg(pl.col("ts").min().alias("first"), pl.col("ts").max().alias("last"))
    )
    stamps = set(days["first"].to_list()) | set(days["last"].to_list())
    return [(str(path), table, stamp) for stamp in sorted(stamps)]


def land(
    conn: psycopg.Connection,
    path: Path,
    tables: dict[str, pl.DataFrame],
    bad: pl.DataFrame,
) -> tuple[int, int]:
    """Land one chunk's rows and dead letters in one transaction; -> (newly landed, valid)."""
    sink = LandingSink(conn)
    rows = {table: frame.rows() for table, frame in tables.items() if frame.height}
    valid = sum(len(r) for r in rows.values())
    with conn.transaction():
        landed = sink.write_many(rows, _dead_letters(path, bad), optimistic=True)
        new = sum(n for t, n in landed.items() if t != "dead_letter")
        if new:
            arrivals = [
                a for table, frame in tables.items() for a in _arrivals(path, table, frame["ts"])
            ]
            with conn.cursor() as cur:
                cur.executemany(QUERIES["record_arrival"], arrivals)
    return new, valid


def _reading_tables(checked: pl.DataFrame) -> dict[str, pl.DataFrame]:
    good = checked.filter(pl.col("reason").is_null())
    return {"sensor_reading": good.select("ts", "machine", "metric", "value", "quality")}


def _event_tables(checked: pl.DataFrame) -> dict[str, pl.DataFrame]:
    good = checked.filter(pl.col("reason").is_null())
    states = good.filter(pl.col("event") != "alarm").select(
        "ts", "machine", "state", pl.col("code").alias("reason_code"), pl.lit(None).alias("seq")
    )
    alarms = good.filter(pl.col("event") == "alarm").select(
        "ts",
        "machine",
        pl.col("code").alias("alarm_code"),
        "severity",
        "message",
        pl.lit(None).alias("seq"),
    )
    # the same machine and ts twice in one file: the table keeps the first (unique key)
    return {"machine_state": states, "alarm": alarms}


FORMATS: dict[str, tuple[TableFormat, Callable, Callable]] = {
    "readings": (READINGS, validate_readings, _reading_tables),
    "events": (EVENTS, validate_events, _event_tables),
}


def import_files(
    conn: psycopg.Connection,
    kind: str,
    files: Sequence[Path],
    options: ImportOptions,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import ``files`` as ``kind`` (readings or events). Every file's columns are checked
    before anything lands; then file by file, chunk by chunk."""
    fmt, validate, split = FORMATS[kind]
    for path in files:
        inspect_file(path, fmt, options)
    ref = Reference.load(conn)
    result = ImportResult(files=len(files))
    for path in files:
        checked = validate(read_table(path, fmt, options), ref, options)
        for start in range(0, checked.height, CHUNK_ROWS):
            chunk = checked.slice(start, CHUNK_ROWS)
            bad = chunk.filter(pl.col("reason").is_not_null())
            tables = split(chunk)
            new, valid = land(conn, path, tables, bad)
            result.rows += chunk.height
            result.landed += new
            result.already += valid - new
            result.dead_letters += bad.height
            for frame in tables.values():
                result.days |= set(frame["ts"].dt.date().unique().to_list())
            if progress:
                progress(chunk.height)
    return result
