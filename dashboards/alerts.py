"""Grafana alert rules as code, written as a file-provisioning document.

Each rule is one SQL query (from ``dashboards/queries/alerts/``) that returns one row per
alerting dimension (string columns become labels, the numeric column is the value), a *reduce*
expression and a *threshold* expression. Rules are built with grafana-foundation-sdk's alerting
builders and converted to the provisioning file shape (``apiVersion: 1``, ``groups:``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from grafana_foundation_sdk.builders import alerting
from grafana_foundation_sdk.builders import expr as expr_builders
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.alerting import RelativeTimeRange
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from dashboards.sql import LANDING, WAREHOUSE, Source, SqlQuery

FOLDER = "fabstack"
EXPR = DataSourceRef(type_val="__expr__", uid="__expr__")


@dataclass(frozen=True)
class AlertSpec:
    uid: str
    title: str
    group: str
    source: Source
    query: str  # file under dashboards/queries/, without .sql
    window_s: int  # how far back the query looks
    op: Literal["gt", "lt"]
    threshold: float
    severity: Literal["critical", "warning", "info"]
    summary: str
    dashboard_uid: str
    pending: str = "0s"


# Group name -> evaluation interval.
GROUPS = {"operations": "1m", "quality": "5m", "maintenance": "15m"}

RULES: list[AlertSpec] = [
    AlertSpec(
        "fab-spc-rules-1-4",
        "SPC rule 1-4 violation",
        "quality",
        WAREHOUSE,
        "alerts/spc_rules_1_4",
        86400,
        "gt",
        0,
        "warning",
        "{{ $labels.machine }} {{ $labels.item }} ({{ $labels.recipe }}) broke Western "
        "Electric rules 1-4 {{ $values.B }} time(s) in the last 24 h.",
        "fab-spc",
    ),
    AlertSpec(
        "fab-shift-oee-below-target",
        "Shift OEE below target",
        "quality",
        WAREHOUSE,
        "alerts/shift_oee_below_target",
        16 * 3600,
        "lt",
        0,
        "warning",
        "{{ $labels.machine }} finished shift {{ $labels.shift }} {{ $values.B }} OEE points "
        "against the plant target.",
        "fab-plant",
    ),
    AlertSpec(
        "fab-failure-risk-high",
        "Failure risk HIGH",
        "maintenance",
        WAREHOUSE,
        "alerts/failure_risk_high",
        2 * 86400,
        "gt",
        0,
        "critical",
        "{{ $labels.machine }} is in the HIGH failure-risk band (> 0.7 within the horizon): "
        "plan maintenance.",
        "fab-maintenance",
    ),
    AlertSpec(
        "fab-interlock-fired",
        "Safety interlock fired",
        "operations",
        LANDING,
        "alerts/interlock_fired",
        300,
        "gt",
        0,
        "critical",
        "{{ $labels.machine }} tripped {{ $values.B }} interlock(s) in the last 5 minutes.",
        "fab-live",
    ),
    AlertSpec(
        "fab-ingest-lag",
        "Ingest lag above 5 s",
        "operations",
        LANDING,
        "alerts/ingest_lag",
        300,
        "gt",
        5000,
        "warning",
        "Worst ingest lag is {{ $values.B }} ms (machine timestamp to commit).",
        "fab-live",
        pending="2m",
    ),
    AlertSpec(
        "fab-dead-letter-rate",
        "Dead-letter rate above 1 per minute",
        "operations",
        LANDING,
        "alerts/dead_letter_rate",
        600,
        "gt",
        1,
        "warning",
        "{{ $values.B }} messages per minute are refused into landing.dead_letter.",
        "fab-live",
        pending="5m",
    ),
]


def _rule(spec: AlertSpec) -> alerting.Rule:
    window = RelativeTimeRange(from_val=spec.window_s, to=0)
    source_query = SqlQuery(spec.source, spec.query, "table", "A")
    reduce = (
        expr_builders.TypeReduce()
        .ref_id("B")
        .expression("A")
        .reducer("last")
        .settings(expr_builders.ExprTypeReduceSettings().mode("dropNN"))
        .datasource(EXPR)
    )
    threshold = (
        expr_builders.TypeThreshold()
        .ref_id("C")
        .expression("B")
        .datasource(EXPR)
        .conditions(
            [
                expr_builders.ExprTypeThresholdConditions().evaluator(
                    expr_builders.ExprTypeThresholdConditionsEvaluator()
                    .type(spec.op)
                    .params([float(spec.threshold)])
                )
            ]
        )
    )
    return (
        alerting.Rule(spec.title)
        .uid(spec.uid)
        .condition("C")
        .queries(
            [
                alerting.Query("A")
                .datasource_uid(spec.source.uid)
                .relative_time_range(window)
                .model(source_query),
                alerting.Query("B")
                .datasource_uid("__expr__")
                .relative_time_range(window)
                .model(reduce),
                alerting.Query("C")
                .datasource_uid("__expr__")
                .relative_time_range(window)
                .model(threshold),
            ]
        )
        .for_val(spec.pending)
        .no_data_state("NoData")
        .exec_err_state("Error")
        .labels({"severity": spec.severity, "team": "fab"})
        .annotations(
            {
                "summary": spec.summary,
                "__dashboardUid__": spec.dashboard_uid,
                "runbook": f"dashboards/README.md#{spec.uid}",
            }
        )
    )


def _file_rule(spec: AlertSpec) -> dict:
    """The SDK's API shape, narrowed to the fields Grafana's provisioning files read."""
    api = json.loads(json.dumps(_rule(spec).build(), cls=JSONEncoder))
    data = []
    for query in api["data"]:
        model = query["model"]
        model.setdefault("refId", query["refId"])
        data.append(
            {
                "refId": query["refId"],
                "relativeTimeRange": {"from": spec.window_s, "to": 0},
                "datasourceUid": query["datasourceUid"],
                "model": model,
            }
        )
    return {
        "uid": api["uid"],
        "title": api["title"],
        "condition": api["condition"],
        "data": data,
        "noDataState": api["noDataState"],
        "execErrState": api["execErrState"],
        "for": api["for"],
        "annotations": api["annotations"],
        "labels": api["labels"],
        "isPaused": False,
    }


def provisioning_document(rules: list[AlertSpec] | None = None) -> dict:
    rules = RULES if rules is None else rules
    groups = []
    for name, interval in GROUPS.items():
        members = [_file_rule(r) for r in rules if r.group == name]
        if members:
            groups.append(
                {"orgId": 1, "name": name, "folder": FOLDER, "interval": interval, "rules": members}
            )
    return {"apiVersion": 1, "groups": groups}


__all__ = ["RULES", "AlertSpec", "provisioning_document", "WAREHOUSE", "LANDING"]
