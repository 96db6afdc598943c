"""Boards as code: the committed JSON is what the code generates, and it is well formed."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from dashboards import check
from dashboards.generate import ALERTS_FILE, BOARDS, JSON_DIR, render_all, stale_files
from dashboards.sql import QUERY_DIR, SOURCES, load_query
from tests.conftest import REPO

PROVISIONING = REPO / "dashboards" / "provisioning"
BOARD_FILES = sorted(JSON_DIR.glob("*.json"))


def boards() -> list[dict]:
    return [json.loads(p.read_text()) for p in BOARD_FILES]


def query_texts() -> set[str]:
    return {load_query(str(p.relative_to(QUERY_DIR))[:-4]) for p in QUERY_DIR.rglob("*.sql")}


def test_committed_json_and_alerts_are_what_the_code_generates() -> None:
    stale = stale_files()
    assert stale == [], f"run `fab boards build`: stale {[str(p) for p in stale]}"


def test_generation_is_deterministic() -> None:
    assert render_all() == render_all()


def test_every_board_of_the_issue_is_generated() -> None:
    titles = {b["title"] for b in boards()}
    assert titles == {
        "Plant overview",
        "Machine detail",
        "SPC",
        "Quality",
        "Maintenance",
        "Planning",
        "Live operations",
    }
    assert len(BOARD_FILES) == len(BOARDS)


@pytest.mark.parametrize("path", BOARD_FILES, ids=lambda p: p.stem)
def test_board_structure(path) -> None:
    board = json.loads(path.read_text())
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    names = [v["name"] for v in board["templating"]["list"]]
    assert {"site", "area", "machine"} <= set(names)
    assert board["time"]["from"].startswith("now")
    assert any(
        link.get("asDropdown") and "fabstack" in link.get("tags", []) for link in board["links"]
    ), "every board links to the others"
    texts = query_texts()
    for panel in board["panels"]:
        if panel["type"] in ("row", "text"):
            continue
        assert panel.get("title") and panel.get("description"), panel.get("title")
        assert panel["targets"], f"{panel['title']}: no query"
        for target in panel["targets"]:
            assert target["datasource"]["uid"] in SOURCES
            assert target["rawSql"] in texts, f"{panel['title']}: SQL not from a query file"
        defaults = panel.get("fieldConfig", {}).get("defaults", {})
        if panel["type"] in ("stat", "timeseries", "barchart", "bargauge", "gauge", "piechart"):
            assert defaults.get("unit"), f"{panel['title']}: no unit"


def test_board_uids_are_unique_and_data_links_point_at_boards() -> None:
    all_boards = boards()
    uids = {b["uid"] for b in all_boards}
    assert len(uids) == len(all_boards)
    text = json.dumps(all_boards)
    targets = set(re.findall(r"/d/([a-z-]+)\?", text))
    assert targets, "drill-down links exist"
    assert targets <= uids, f"links to unknown boards: {targets - uids}"


def test_panel_sql_aliases_every_column_to_a_label() -> None:
    # No raw column names: every SELECT list item of a board query carries an AS "Label"
    # (checked on the result columns in the integration test); here: no snake_case label.
    for path in QUERY_DIR.rglob("*.sql"):
        if path.parent.name == "alerts":
            continue  # alert labels are label keys (machine, item), not display text
        for label in re.findall(r'AS "([^"]+)"', path.read_text()):
            assert not re.fullmatch(r"[a-z0-9_]+", label) or label in ("time",), (path, label)


def test_alert_rules_file_is_complete() -> None:
    document = yaml.safe_load(ALERTS_FILE.read_text())
    assert document["apiVersion"] == 1
    rules = [r for g in document["groups"] for r in g["rules"]]
    titles = {r["title"] for r in rules}
    for needed in (
        "SPC rule 1-4 violation",
        "Shift OEE below target",
        "Failure risk HIGH",
        "Safety interlock fired",
        "Ingest lag above 5 s",
        "Dead-letter rate above 1 per minute",
    ):
        assert needed in titles
    texts = query_texts()
    for rule in rules:
        refs = [q["refId"] for q in rule["data"]]
        assert refs == ["A", "B", "C"] and rule["condition"] == "C"
        sql = rule["data"][0]
        assert sql["datasourceUid"] in SOURCES and sql["model"]["rawSql"] in texts
        assert all(q["datasourceUid"] == "__expr__" for q in rule["data"][1:])
        assert rule["annotations"]["__dashboardUid__"] in {b["uid"] for b in boards()}
        assert rule["labels"]["severity"] in ("critical", "warning", "info")


def test_provisioning_files_parse_and_point_at_what_exists() -> None:
    sources = yaml.safe_load((PROVISIONING / "datasources" / "fabstack.yaml").read_text())
    by_uid = {d["uid"]: d for d in sources["datasources"]}
    assert set(by_uid) == set(SOURCES)
    for uid, source in SOURCES.items():
        assert by_uid[uid]["type"] == source.plugin
        password = by_uid[uid]["secureJsonData"]["password"]
        assert re.fullmatch(r"\$FAB_[A-Z_]+", password), "passwords only from the environment"
    assert by_uid["fab-landing"]["user"] == "fab_grafana"
    assert by_uid["fab-warehouse"]["jsonData"]["username"] == "fab_grafana"
    provider = yaml.safe_load((PROVISIONING / "dashboards" / "fabstack.yaml").read_text())
    path = provider["providers"][0]["options"]["path"]
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./dashboards/json:{path}:ro" in mounts
    assert "./dashboards/provisioning:/etc/grafana/provisioning:ro" in mounts
    env = compose["services"]["grafana"]["environment"]
    home = env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert (JSON_DIR / home.rsplit("/", 1)[1]).exists()


# ---------------------------------------------------------------------------------------------
# Substitution rules of `fab boards check`

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RANGE = check.TimeRange(NOW - timedelta(days=1), NOW)


def test_clickhouse_macros() -> None:
    sql = (
        "SELECT $__timeInterval(ts) FROM t WHERE $__timeFilter(ts) AND $__dateFilter(day) "
        "AND x > $__fromTime AND y < $__toTime LIMIT $__interval_s"
    )
    out = check.expand_macros(sql, "clickhouse", RANGE)
    f, t = int(RANGE.start.timestamp()), int(RANGE.end.timestamp())
    assert f"ts >= toDateTime({f}) AND ts <= toDateTime({t})" in out
    assert "day >= toDate('2026-02-28') AND day <= toDate('2026-03-01')" in out
    assert "toStartOfInterval(toDateTime(ts), INTERVAL 172 second)" in out
    assert f"x > toDateTime({f})" in out and out.endswith("LIMIT 172")


def test_postgres_macros() -> None:
    sql = "SELECT $__timeGroupAlias(ts, '5m') FROM t WHERE $__timeFilter(ts) AND a < $__timeTo()"
    out = check.expand_macros(sql, "postgresql", RANGE)
    assert 'floor(extract(epoch from ts)/300)*300 AS "time"' in out
    assert "ts BETWEEN '2026-02-28T12:00:00Z' AND '2026-03-01T12:00:00Z'" in out
    assert out.endswith("a < '2026-03-01T12:00:00Z'")


def test_nested_macro_arguments() -> None:
    out = check.expand_macros("WHERE $__timeFilter(toDateTime(a, 'UTC'))", "clickhouse", RANGE)
    assert out.startswith("WHERE toDateTime(a, 'UTC') >= toDateTime(")


def test_variable_formats() -> None:
    values = {"machine": (["A-1", "B'2"], True), "item": (["cd"], False)}
    sql = (
        "m IN (${machine:singlequote}) AND c = '${item}' AND d = '$item' AND e IN (${machine:csv})"
    )
    out = check.expand_variables(sql, values, RANGE)
    assert out == "m IN ('A-1','B\\'2') AND c = 'cd' AND d = 'cd' AND e IN (A-1,B'2)"


def test_multi_value_variable_without_format_is_an_error() -> None:
    with pytest.raises(ValueError, match="singlequote"):
        check.expand_variables("m = '$machine'", {"machine": (["a", "b"], True)}, RANGE)
    with pytest.raises(ValueError, match="unknown variable"):
        check.expand_variables("m = '$nope'", {}, RANGE)


def test_leftover_macro_fails_the_query() -> None:
    with pytest.raises(ValueError, match="unknown PostgreSQL macro"):
        check.render("SELECT $__unixEpochGroup(a, 1)", "postgresql", RANGE, {})


def test_relative_times() -> None:
    assert check.relative("now-7d", NOW) == NOW - timedelta(days=7)
    assert check.relative("now+2d", NOW) == NOW + timedelta(days=2)
    assert check.relative("now", NOW) == NOW
    assert check.relative("2026-01-01T00:00:00+00:00", NOW) == datetime(2026, 1, 1, tzinfo=UTC)


def _fake_runner(values_by_table: dict[str, list]):
    def run(sql: str) -> check.Rows:
        for table, values in values_by_table.items():
            if table in sql:
                return check.Rows(values, ["Label"])
        return check.Rows([], ["Label"])

    return run


def test_check_resolves_variables_in_order_and_repeats_panels() -> None:
    ran: list[str] = []
    board = {
        "title": "T",
        "time": {"from": "now-1h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "machine",
                    "datasource": {"uid": "fab-warehouse"},
                    "includeAll": True,
                    "current": {"value": "$__all"},
                    "query": "SELECT m FROM machines",
                },
                {
                    "name": "metric",
                    "datasource": {"uid": "fab-warehouse"},
                    "query": "SELECT x FROM metrics WHERE m IN (${machine:singlequote})",
                },
            ]
        },
        "panels": [
            {
                "title": "P",
                "type": "timeseries",
                "repeat": "machine",
                "targets": [
                    {
                        "refId": "A",
                        "datasource": {"uid": "fab-warehouse"},
                        "rawSql": "SELECT 1 FROM data WHERE m = '${machine}' "
                        "AND x = '$metric' AND $__timeFilter(ts)",
                    }
                ],
            }
        ],
    }
    runner = _fake_runner(
        {"FROM machines": ["M1", "M2"], "FROM metrics": ["temp"], "FROM data": [1]}
    )

    def recording(sql: str) -> check.Rows:
        ran.append(sql)
        return runner(sql)

    report = check.run_check(
        {"fab-warehouse": recording}, NOW, boards=[board], alerts={"groups": []}
    )
    assert not report.failures
    assert "WHERE m IN ('M1','M2')" in ran[1]
    data = [s for s in ran if "FROM data" in s]
    assert len(data) == 2 and "m = 'M1'" in data[0] and "m = 'M2'" in data[1]


def test_check_fails_empty_results_unless_the_panel_declares_its_empty_text() -> None:
    panel = {
        "title": "Dead letters",
        "type": "table",
        "targets": [
            {"refId": "A", "datasource": {"uid": "fab-landing"}, "rawSql": "SELECT 1 FROM nothing"}
        ],
    }
    declared = dict(panel, fieldConfig={"defaults": {"noValue": "No dead letter"}})
    runners = {"fab-landing": _fake_runner({})}
    for candidate, strict, failing in (
        (panel, False, 1),
        (declared, False, 0),
        (declared, True, 1),
    ):
        board = {"title": "T", "panels": [candidate], "templating": {"list": []}}
        report = check.run_check(runners, NOW, boards=[board], alerts={"groups": []}, strict=strict)
        assert len(report.failures) == failing


def test_check_reports_errors_without_stopping() -> None:
    def broken(sql: str) -> check.Rows:
        raise RuntimeError("Code: 62. Syntax error\nmore")

    board = {
        "title": "T",
        "templating": {"list": []},
        "panels": [
            {
                "title": "A",
                "type": "table",
                "targets": [
                    {"refId": "A", "datasource": {"uid": "fab-warehouse"}, "rawSql": "SELEC 1"}
                ],
            },
            {
                "title": "B",
                "type": "table",
                "targets": [
                    {"refId": "A", "datasource": {"uid": "fab-elsewhere"}, "rawSql": "SELECT 1"}
                ],
            },
        ],
    }
    report = check.run_check({"fab-warehouse": broken}, NOW, boards=[board], alerts={"groups": []})
    assert [o.error for o in report.failures] == [
        "Code: 62. Syntax error",
        "unknown datasource uid 'fab-elsewhere'",
    ]


def test_xy_chart_uses_the_v2_options_of_the_deployed_grafana() -> None:
    from dashboards.kit import XY_PLUGIN_VERSION

    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert compose["services"]["grafana"]["image"].endswith(":" + XY_PLUGIN_VERSION)
    xy = [p for b in boards() for p in b["panels"] if p["type"] == "xychart"]
    assert xy, "the wafer map is an XY chart"
    for panel in xy:
        assert panel["options"]["mapping"] == "auto" and "dims" not in panel["options"]
        assert panel["pluginVersion"] == XY_PLUGIN_VERSION
