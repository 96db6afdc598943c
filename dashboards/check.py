"""`fab boards check`: run every board panel, template variable and alert query, as Grafana would.

This is the stand-in for a Grafana instance. It reads the generated board JSON and the alert
provisioning file (so it runs exactly the SQL Grafana runs), expands Grafana's macros and
template variables, and runs each query on its datasource: the warehouse (chDB or a ClickHouse
server) for ``fab-warehouse`` and the landing zone (PostgreSQL) for ``fab-landing``. A query
that errors, or returns no rows, fails the check.

Substitution rules (documented in dashboards/README.md):

* "now" is ``--now`` or, by default, the newest machine-state event in the landing zone, so the
  demo's data is inside every board's default range. A board's range is its own ``time``
  (``now-7d`` .. ``now``); an alert query's range is its ``relativeTimeRange`` before "now".
* ``$__interval`` / ``$__interval_ms`` / ``$__interval_s``: the range / 500, at least 1 s.
* ClickHouse: ``$__timeFilter(c)`` -> ``c >= toDateTime(<from s>) AND c <= toDateTime(<to s>)``;
  ``$__timeFilter_ms``, ``$__dateFilter(c)`` (dates), ``$__fromTime``/``$__toTime``
  (``toDateTime(s)``), ``$__fromTime_ms``/``$__toTime_ms``, ``$__timeInterval(c)``
  (``toStartOfInterval(toDateTime(c), INTERVAL n second)``), ``$__conditionalAll(cond, $v)``.
* PostgreSQL: ``$__timeFilter(c)`` -> ``c BETWEEN '<from ISO>' AND '<to ISO>'``;
  ``$__timeFrom()``/``$__timeTo()`` -> ``'<ISO>'``; ``$__timeGroup(c, '5m')`` and
  ``$__timeGroupAlias`` (``floor(extract(epoch from c)/300)*300 [AS "time"]``);
  ``$__unixEpochFilter(c)``.
* Variables are resolved in board order by running their own queries (with the variables before
  them substituted). The value used is the variable's saved ``current`` one; ``All`` means every
  value the query returned; with no saved value, the first value. ``${v:singlequote}`` ->
  ``'a','b'``, ``${v:csv}`` -> ``a,b``, ``${v}``/``$v`` -> the value (single-valued only).
* Anything that still looks like a macro or variable after substitution fails the query.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from dashboards.generate import ALERTS_FILE, JSON_DIR
from dashboards.sql import SOURCES


@dataclass
class Rows:
    """What a runner returns: the first column's values and every column's label."""

    values: list
    columns: list[str]

    def __len__(self) -> int:
        return len(self.values)


Runner = Callable[[str], Rows]  # runs one SELECT


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime

    @property
    def interval_s(self) -> int:
        return max(1, int((self.end - self.start).total_seconds() // 500))


@dataclass
class Outcome:
    """One query's result: where it sits, what ran, how many rows or which error."""

    board: str
    where: str
    source: str
    sql: str
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    error: str | None = None
    # A panel that lists exceptional events (interlocks, dead letters) declares what it shows
    # when there are none (its "no value" text); outside --strict such an empty result passes.
    empty_text: str | None = None
    strict: bool = True

    @property
    def ok(self) -> bool:
        if self.error is not None:
            return False
        return self.rows > 0 or (self.empty_text is not None and not self.strict)

    @property
    def reason(self) -> str:
        if self.error:
            return self.error
        if self.rows == 0:
            return f"no rows (shows {self.empty_text!r})" if self.empty_text else "no rows"
        return f"{self.rows} rows"


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


# ---------------------------------------------------------------------------------------------
# Time ranges


_RELATIVE = re.compile(r"^now(?:([-+])(\d+)([smhdwMy]))?(?:/([smhdwMy]))?$")
_UNIT_S = {
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
    "M": 30 * 86400,
    "y": 365 * 86400,
}


def relative(expr: str, now: datetime) -> datetime:
    """``now``, ``now-7d``, ``now+2d`` (rounding ``/d`` ignored) relative to ``now``; or ISO."""
    match = _RELATIVE.match(expr.strip())
    if not match:
        return datetime.fromisoformat(expr).astimezone(UTC)
    sign, amount, unit, _ = match.groups()
    delta = timedelta(seconds=int(amount or 0) * _UNIT_S.get(unit or "s", 1))
    return now + delta if sign == "+" else now - delta


def board_range(board: dict, now: datetime) -> TimeRange:
    t = board.get("time") or {"from": "now-7d", "to": "now"}
    return TimeRange(relative(t["from"], now), relative(t["to"], now))


# ---------------------------------------------------------------------------------------------
# Macro and variable substitution


def _args(text: str, start: int) -> tuple[list[str], int]:
    """Split a macro's parenthesised arguments at top-level commas; return them and the end."""
    depth, i, current, out = 0, start, [], []
    assert text[i] == "("
    i += 1
    while i < len(text):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                out.append("".join(current).strip())
                return [a for a in out if a != ""], i + 1
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(current).strip())
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    raise ValueError(f"unclosed macro arguments at {text[start : start + 40]!r}")


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _group_seconds(spec: str, tr: TimeRange) -> int:
    spec = spec.strip().strip("'\"")
    if spec in ("$__interval", "auto"):
        return tr.interval_s
    match = re.fullmatch(r"(\d+)([smhdw])", spec)
    if not match:
        raise ValueError(f"unsupported interval {spec!r}")
    return int(match.group(1)) * _UNIT_S[match.group(2)]


def _clickhouse_macro(name: str, args: list[str], tr: TimeRange, values: dict) -> str:
    f, t = int(tr.start.timestamp()), int(tr.end.timestamp())
    fm, tm = int(tr.start.timestamp() * 1000), int(tr.end.timestamp() * 1000)
    if name == "timeFilter":
        return f"{args[0]} >= toDateTime({f}) AND {args[0]} <= toDateTime({t})"
    if name == "timeFilter_ms":
        return (
            f"{args[0]} >= fromUnixTimestamp64Milli({fm}) "
            f"AND {args[0]} <= fromUnixTimestamp64Milli({tm})"
        )
    if name == "dateFilter":
        return (
            f"{args[0]} >= toDate('{tr.start.date().isoformat()}') "
            f"AND {args[0]} <= toDate('{tr.end.date().isoformat()}')"
        )
    if name == "dateTimeFilter":
        return (
            f"({_clickhouse_macro('dateFilter', args[:1], tr, values)}) AND "
            f"({_clickhouse_macro('timeFilter', args[1:], tr, values)})"
        )
    if name == "timeInterval":
        return f"toStartOfInterval(toDateTime({args[0]}), INTERVAL {tr.interval_s} second)"
    if name == "timeInterval_ms":
        return (
            f"toStartOfInterval(toDateTime64({args[0]}, 3), "
            f"INTERVAL {tr.interval_s * 1000} millisecond)"
        )
    if name == "conditionalAll":
        var = args[1].lstrip("$").strip("{}")
        return "1=1" if values.get(var, (None, False))[1] else args[0]
    raise ValueError(f"unknown ClickHouse macro $__{name}")


def _postgres_macro(name: str, args: list[str], tr: TimeRange, values: dict) -> str:
    if name == "timeFilter":
        return f"{args[0]} BETWEEN '{_iso(tr.start)}' AND '{_iso(tr.end)}'"
    if name == "timeFrom":
        return f"'{_iso(tr.start)}'"
    if name == "timeTo":
        return f"'{_iso(tr.end)}'"
    if name == "unixEpochFilter":
        f, t = int(tr.start.timestamp()), int(tr.end.timestamp())
        return f"{args[0]} >= {f} AND {args[0]} <= {t}"
    if name in ("timeGroup", "timeGroupAlias"):
        n = _group_seconds(args[1], tr)
        expr = f"floor(extract(epoch from {args[0]})/{n})*{n}"
        return expr + (' AS "time"' if name == "timeGroupAlias" else "")
    raise ValueError(f"unknown PostgreSQL macro $__{name}")


# Macros written without parentheses, by dialect.
_BARE = {
    "clickhouse": {
        "fromTime",
        "toTime",
        "fromTime_ms",
        "toTime_ms",
        "interval_s",
        "interval_ms",
        "interval",
    },
    "postgresql": {"interval", "interval_ms"},
}
_MACRO = re.compile(r"\$__(\w+)")


def expand_macros(sql: str, dialect: str, tr: TimeRange, values: dict | None = None) -> str:
    values = values or {}
    out, pos = [], 0
    for match in _MACRO.finditer(sql):
        if match.start() < pos:
            continue
        name = match.group(1)
        out.append(sql[pos : match.start()])
        end = match.end()
        if name in _BARE[dialect] and (end >= len(sql) or sql[end] != "("):
            out.append(_bare(name, dialect, tr))
            pos = end
            continue
        if name == "all":  # $__all is a variable value, handled by variables
            out.append(match.group(0))
            pos = end
            continue
        if end >= len(sql) or sql[end] != "(":
            raise ValueError(f"macro $__{name} needs arguments")
        args, end = _args(sql, end)
        macro = _clickhouse_macro if dialect == "clickhouse" else _postgres_macro
        out.append(macro(name, args, tr, values))
        pos = end
    out.append(sql[pos:])
    return "".join(out)


def _bare(name: str, dialect: str, tr: TimeRange) -> str:
    if name == "fromTime":
        return f"toDateTime({int(tr.start.timestamp())})"
    if name == "toTime":
        return f"toDateTime({int(tr.end.timestamp())})"
    if name == "fromTime_ms":
        return f"fromUnixTimestamp64Milli({int(tr.start.timestamp() * 1000)})"
    if name == "toTime_ms":
        return f"fromUnixTimestamp64Milli({int(tr.end.timestamp() * 1000)})"
    if name == "interval_s":
        return str(tr.interval_s)
    if name == "interval_ms":
        return str(tr.interval_s * 1000)
    return f"'{tr.interval_s}s'" if dialect == "postgresql" else f"{tr.interval_s}s"


_VARIABLE = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\$(\w+)")


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def expand_variables(sql: str, values: dict[str, tuple[list[str], bool]], tr: TimeRange) -> str:
    """Replace ``${v:fmt}`` and ``$v``; ``values`` maps name -> (selected values, is All)."""

    def replace(match: re.Match) -> str:
        name = match.group(1) or match.group(3)
        fmt = match.group(2)
        if name in ("__from", "__to"):
            ts = tr.start if name == "__from" else tr.end
            return str(int(ts.timestamp() * 1000))
        if name.startswith("__"):
            return match.group(0)  # a macro: left for expand_macros
        if name not in values:
            raise ValueError(f"unknown variable ${name}")
        selected, _ = values[name]
        if fmt == "singlequote":
            return ",".join(_quote(v) for v in selected)
        if fmt == "doublequote":
            return ",".join('"' + v + '"' for v in selected)
        if fmt == "csv":
            return ",".join(selected)
        if fmt not in (None, "raw", "text"):
            raise ValueError(f"unsupported variable format ${{{name}:{fmt}}}")
        if len(selected) != 1:
            raise ValueError(f"${name} has {len(selected)} values: write ${{{name}:singlequote}}")
        return selected[0]

    return _VARIABLE.sub(replace, sql)


def render(sql: str, dialect: str, tr: TimeRange, values: dict) -> str:
    """The SQL a datasource receives for this time range and these variable values."""
    text = expand_macros(expand_variables(sql, values, tr), dialect, tr, values)
    leftover = re.search(r"\$(__)?\w+|\$\{", text)
    if leftover:
        raise ValueError(f"not substituted: {leftover.group(0)}")
    return text


# ---------------------------------------------------------------------------------------------
# Running a board


def _dialect(source_uid: str) -> str:
    if source_uid not in SOURCES:
        raise ValueError(f"unknown datasource uid {source_uid!r}")
    return SOURCES[source_uid].dialect


def _variable_values(
    board: dict, tr: TimeRange, runners: dict[str, Runner], report: Report
) -> dict[str, tuple[list[str], bool]]:
    values: dict[str, tuple[list[str], bool]] = {}
    title = board.get("title", "?")
    for var in (board.get("templating") or {}).get("list", []):
        name = var["name"]
        uid = (var.get("datasource") or {}).get("uid", "")
        query = var.get("query")
        query = query.get("rawSql", "") if isinstance(query, dict) else (query or "")
        outcome = Outcome(title, f"variable ${name}", uid, query)
        report.outcomes.append(outcome)
        try:
            sql = render(query, _dialect(uid), tr, values)
            outcome.sql = sql
            options = [str(v) for v in runners[uid](sql).values]
            outcome.rows = len(options)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, none stops the run
            outcome.error = _one_line(exc)
            options = []
        current = (var.get("current") or {}).get("value")
        if current in ("$__all", ["$__all"]) and var.get("includeAll"):
            values[name] = (options, True)
        elif isinstance(current, str) and current in options:
            values[name] = ([current], False)
        else:
            values[name] = (options[:1], False)
    return values


def check_board(
    board: dict,
    now: datetime,
    runners: dict[str, Runner],
    report: Report,
    strict: bool = True,
) -> None:
    tr = board_range(board, now)
    values = _variable_values(board, tr, runners, report)
    title = board.get("title", "?")
    for panel in board.get("panels", []):
        # A repeated panel runs once per selected value of its variable, as Grafana draws it.
        repeat = panel.get("repeat")
        copies = [(None, values)]
        if repeat and repeat in values:
            copies = [(v, values | {repeat: ([v], False)}) for v in values[repeat][0]] or copies
        for copy, copy_values in copies:
            for target in panel.get("targets") or []:
                uid = (target.get("datasource") or panel.get("datasource") or {}).get("uid", "")
                suffix = f" [{repeat}={copy}]" if copy is not None else ""
                where = f"panel {panel.get('title', '?')!r}{suffix} {target.get('refId', 'A')}"
                outcome = Outcome(title, where, uid, target.get("rawSql", ""), strict=strict)
                defaults = (panel.get("fieldConfig") or {}).get("defaults") or {}
                outcome.empty_text = defaults.get("noValue")
                report.outcomes.append(outcome)
                try:
                    outcome.sql = render(outcome.sql, _dialect(uid), tr, copy_values)
                    result = runners[uid](outcome.sql)
                    outcome.rows, outcome.columns = len(result), list(result.columns)
                except Exception as exc:  # noqa: BLE001
                    outcome.error = _one_line(exc)


def check_alerts(document: dict, now: datetime, runners: dict[str, Runner], report: Report) -> None:
    for group in document.get("groups", []):
        for rule in group.get("rules", []):
            for query in rule.get("data", []):
                uid = query.get("datasourceUid", "")
                if uid == "__expr__":
                    continue  # server-side expressions (reduce, threshold) have no SQL
                rel = query.get("relativeTimeRange") or {"from": 600, "to": 0}
                tr = TimeRange(
                    now - timedelta(seconds=rel["from"]), now - timedelta(seconds=rel.get("to", 0))
                )
                sql = (query.get("model") or {}).get("rawSql", "")
                outcome = Outcome(
                    f"alert rules: {group['name']}",
                    f"alert {rule['title']!r} {query['refId']}",
                    uid,
                    sql,
                )
                report.outcomes.append(outcome)
                try:
                    outcome.sql = render(sql, _dialect(uid), tr, {})
                    result = runners[uid](outcome.sql)
                    outcome.rows, outcome.columns = len(result), list(result.columns)
                except Exception as exc:  # noqa: BLE001
                    outcome.error = _one_line(exc)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


def load_boards(directory: Path = JSON_DIR) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))]


def load_alerts(path: Path = ALERTS_FILE) -> dict:
    return yaml.safe_load(path.read_text()) if path.exists() else {"groups": []}


def run_check(
    runners: dict[str, Runner],
    now: datetime,
    boards: Iterable[dict] | None = None,
    alerts: dict | None = None,
    strict: bool = True,
) -> Report:
    """Check boards (default: the generated JSON) and alert rules (default: the YAML).

    ``strict``: every panel must return rows, even those that declare an empty text.
    """
    report = Report()
    for board in load_boards() if boards is None else boards:
        check_board(board, now, runners, report, strict)
    check_alerts(load_alerts() if alerts is None else alerts, now, runners, report)
    return report


# ---------------------------------------------------------------------------------------------
# Runners over the real datasources


def landing_runner(conn: Any) -> Runner:
    """Run each query in a read-only transaction (as Grafana's read-only user would)."""

    def run(sql: str) -> Rows:
        with conn.transaction():
            conn.execute("SET TRANSACTION READ ONLY")
            cur = conn.execute(sql)
            rows = cur.fetchall()
            columns = [d.name for d in cur.description or []]
        return Rows([r[0] for r in rows], columns)

    return run


def warehouse_runner(warehouse: Any) -> Runner:
    def run(sql: str) -> Rows:
        frame = warehouse.query(sql)
        return Rows(frame.to_series(0).to_list() if frame.width else [], list(frame.columns))

    return run


def latest_event(conn: Any) -> datetime | None:
    """Newest machine-state event in the landing zone: the check's default "now"."""
    row = conn.execute("SELECT max(ts) FROM landing.machine_state").fetchone()
    return row[0] if row and row[0] is not None else None
