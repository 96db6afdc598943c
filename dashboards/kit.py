"""Small helpers over grafana-foundation-sdk so each board reads as a list of panels.

Every panel gets its datasource from its query, a unit, and (where it means something) thresholds.
Column names are aliased to human labels in the SQL itself, so the panels show no raw names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from grafana_foundation_sdk.builders import (
    barchart,
    bargauge,
    piechart,
    stat,
    statetimeline,
    timeseries,
    xychart,
)
from grafana_foundation_sdk.builders import table as table_panel
from grafana_foundation_sdk.builders import text as text_panel
from grafana_foundation_sdk.builders.common import ReduceDataOptions, VizLegendOptions
from grafana_foundation_sdk.builders.dashboard import (
    Dashboard,
    DashboardLink,
    FieldColor,
    QueryVariable,
    Row,
    ThresholdsConfig,
    TimePicker,
)
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import xychart as xy_models
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DashboardLinkType,
    DataSourceRef,
    DataTransformerConfig,
    DynamicConfigValue,
    FieldColorModeId,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
    VariableHide,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

from dashboards.sql import LANDING, WAREHOUSE, Source, SqlQuery, load_query

TAG = "fabstack"

# Machine states and their colours, shared by every state timeline and table.
STATE_COLORS = {
    "RUNNING": "green",
    "IDLE": "yellow",
    "SETUP": "blue",
    "DOWN": "red",
    "MAINTENANCE": "purple",
    "OFFLINE": "#808080",
}
RISK_COLORS = {"HIGH": "red", "MEDIUM": "orange", "LOW": "green"}


def steps(*pairs: tuple[float | None, str]) -> ThresholdsConfig:
    """Absolute thresholds: the first pair's value is ``None`` (the base colour)."""
    return (
        ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=v, color=c) for v, c in pairs])
    )


def value_colors(colors: dict[str, str]) -> list[ValueMap]:
    """Value mappings that colour text values (states, risk bands) consistently."""
    return [
        ValueMap(
            options={
                k: ValueMappingResult(color=c, index=i) for i, (k, c) in enumerate(colors.items())
            }
        )
    ]


def unit_override(panel: Any, columns: dict[str, str]) -> Any:
    """Per-column units in tables and multi-field panels."""
    for name, unit in columns.items():
        panel.override_by_name(name, [DynamicConfigValue(id_val="unit", value=unit)])
    return panel


def link_override(panel: Any, column: str, title: str, url: str) -> Any:
    """A data link on one column: the drill-down path between boards."""
    panel.override_by_name(
        column,
        [DynamicConfigValue(id_val="links", value=[{"title": title, "url": url}])],
    )
    return panel


def partition_by(*fields: str) -> DataTransformerConfig:
    """Split a long result into one frame per value (one row per machine in a timeline)."""
    return DataTransformerConfig(
        id_val="partitionByValues",
        options={"fields": list(fields), "keepFields": False, "naming": {"asLabels": True}},
    )


def split_series(panel: Any, field: str) -> Any:
    """One series (or timeline lane) per value of ``field``, named by that value."""
    return panel.with_transformation(partition_by(field)).display_name(
        "${__field.labels." + field + "}"
    )


def _common(panel: Any, title: str, description: str, w: int, h: int) -> Any:
    return panel.title(title).description(description).span(w).height(h)


MIXED = DataSourceRef(type_val="datasource", uid="-- Mixed --")


def _with_targets(panel: Any, targets: Sequence[SqlQuery]) -> Any:
    """Targets carry their own datasource; a panel over both is Grafana's "Mixed"."""
    sources = {t.source.uid for t in targets}
    panel.datasource(targets[0].source.ref if len(sources) == 1 else MIXED)
    for target in targets:
        panel.with_target(target)
    return panel


def stat_panel(
    title: str,
    target: SqlQuery,
    *,
    description: str,
    unit: str = "none",
    thresholds: ThresholdsConfig | None = None,
    decimals: int | None = None,
    w: int = 4,
    h: int = 4,
    calc: str = "lastNotNull",
    field: str | None = None,
) -> stat.Panel:
    """A big number; ``field`` picks one column of a multi-column result by its label."""
    panel = _with_targets(_common(stat.Panel(), title, description, w, h), [target])
    reduce = ReduceDataOptions().calcs([calc]).values(False)
    if field:
        reduce.fields(field if field.startswith("/") else f"/^{field}$/")
    panel.unit(unit).reduce_options(reduce)
    panel.color_mode(common.BigValueColorMode.BACKGROUND).graph_mode(common.BigValueGraphMode.NONE)
    if thresholds is not None:
        panel.thresholds(thresholds)
    if decimals is not None:
        panel.decimals(decimals)
    return panel


def timeseries_panel(
    title: str,
    targets: Sequence[SqlQuery],
    *,
    description: str,
    unit: str = "none",
    thresholds: ThresholdsConfig | None = None,
    threshold_lines: bool = False,
    min_val: float | None = None,
    max_val: float | None = None,
    w: int = 12,
    h: int = 8,
    bars: bool = False,
    points: bool = False,
    empty: str | None = None,
) -> timeseries.Panel:
    panel = _with_targets(_common(timeseries.Panel(), title, description, w, h), targets)
    if empty:
        panel.no_value(empty)
    panel.unit(unit).legend(
        VizLegendOptions()
        .show_legend(True)
        .display_mode(common.LegendDisplayMode.LIST)
        .placement(common.LegendPlacement.BOTTOM)
    )
    if bars:
        panel.draw_style(common.GraphDrawStyle.BARS).fill_opacity(80)
    if points:
        panel.draw_style(common.GraphDrawStyle.POINTS).point_size(5)
    if thresholds is not None:
        panel.thresholds(thresholds)
        if threshold_lines:
            from grafana_foundation_sdk.builders.common import GraphThresholdsStyleConfig

            panel.thresholds_style(
                GraphThresholdsStyleConfig().mode(common.GraphTresholdsStyleMode.DASHED)
            )
    if min_val is not None:
        panel.min(min_val)
    if max_val is not None:
        panel.max(max_val)
    return panel


def table(
    title: str,
    target: SqlQuery,
    *,
    description: str,
    units: dict[str, str] | None = None,
    w: int = 12,
    h: int = 8,
    colors: dict[str, dict[str, str]] | None = None,
    empty: str | None = None,
) -> table_panel.Panel:
    """A table; ``colors`` maps a column to value colours shown as a coloured cell; ``empty``
    is the text shown when a range legitimately has no rows (exceptional events only)."""
    panel = _with_targets(_common(table_panel.Panel(), title, description, w, h), [target])
    if empty:
        panel.no_value(empty)
    unit_override(panel, units or {})
    for column, mapping in (colors or {}).items():
        panel.override_by_name(
            column,
            [
                DynamicConfigValue(
                    id_val="mappings", value=[m.to_json() for m in value_colors(mapping)]
                ),
                DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-background"}),
            ],
        )
    return panel


def bar_panel(
    title: str,
    target: SqlQuery,
    *,
    description: str,
    unit: str = "none",
    x_field: str | None = None,
    horizontal: bool = False,
    stacked: bool = False,
    thresholds: ThresholdsConfig | None = None,
    w: int = 12,
    h: int = 8,
) -> barchart.Panel:
    panel = _with_targets(_common(barchart.Panel(), title, description, w, h), [target])
    panel.unit(unit)
    if x_field:
        panel.x_field(x_field)
    if horizontal:
        panel.orientation(common.VizOrientation.HORIZONTAL)
    if stacked:
        panel.stacking(common.StackingMode.NORMAL)
    if thresholds is not None:
        panel.thresholds(thresholds)
    return panel


def gauge_bars(
    title: str,
    target: SqlQuery,
    *,
    description: str,
    unit: str = "none",
    thresholds: ThresholdsConfig | None = None,
    min_val: float | None = None,
    max_val: float | None = None,
    w: int = 12,
    h: int = 8,
    empty: str | None = None,
) -> bargauge.Panel:
    panel = _with_targets(_common(bargauge.Panel(), title, description, w, h), [target])
    if empty:
        panel.no_value(empty)
    panel.unit(unit).reduce_options(ReduceDataOptions().values(True).calcs(["lastNotNull"]))
    panel.orientation(common.VizOrientation.HORIZONTAL)
    if thresholds is not None:
        panel.thresholds(thresholds)
    if min_val is not None:
        panel.min(min_val)
    if max_val is not None:
        panel.max(max_val)
    return panel


def pie_panel(
    title: str, target: SqlQuery, *, description: str, unit: str = "none", w: int = 6, h: int = 8
) -> piechart.Panel:
    panel = _with_targets(_common(piechart.Panel(), title, description, w, h), [target])
    panel.unit(unit).reduce_options(ReduceDataOptions().values(True).calcs(["lastNotNull"]))
    return panel


def state_timeline(
    title: str,
    target: SqlQuery,
    *,
    description: str,
    split_by: str,
    colors: dict[str, str] | None = None,
    w: int = 24,
    h: int = 9,
) -> statetimeline.Panel:
    """One lane per ``split_by`` value; text states coloured by ``colors``."""
    panel = _with_targets(_common(statetimeline.Panel(), title, description, w, h), [target])
    split_series(panel, split_by).show_value(common.VisibilityMode.AUTO)
    panel.merge_values(True).fill_opacity(80).line_width(0)
    if colors:
        panel.mappings(value_colors(colors))
    else:  # free text values (lots): one palette colour per value
        panel.color_scheme(FieldColor().mode(FieldColorModeId.PALETTE_CLASSIC_BY_NAME))
    return panel


def xy_panel(
    title: str,
    targets: Sequence[SqlQuery],
    *,
    description: str,
    x_unit: str,
    y_unit: str,
    w: int = 12,
    h: int = 12,
    transformations: Iterable[DataTransformerConfig] = (),
) -> xychart.Panel:
    panel = _with_targets(_common(xychart.Panel(), title, description, w, h), targets)
    panel.series_mapping(xy_models.SeriesMapping.AUTO).show(xy_models.ScatterShow.POINTS)
    panel.unit(y_unit).axis_label("mm from the wafer centre" if y_unit == "lengthmm" else y_unit)
    for transformation in transformations:
        panel.with_transformation(transformation)
    panel.legend(
        VizLegendOptions()
        .show_legend(True)
        .display_mode(common.LegendDisplayMode.LIST)
        .placement(common.LegendPlacement.RIGHT)
    )
    return panel


def note(title: str, markdown: str, *, w: int = 24, h: int = 3) -> text_panel.Panel:
    return text_panel.Panel().title(title).content(markdown).mode("markdown").span(w).height(h)


# ---------------------------------------------------------------------------------------------
# Template variables: site -> area -> machine -> recipe, each from a query file.


def query_variable(
    name: str,
    label: str,
    source: Source,
    query_name: str,
    *,
    multi: bool = True,
    include_all: bool = True,
    current: str | None = None,
    hide: bool = False,
    keep_order: bool = False,
) -> QueryVariable:
    """``keep_order``: options in the query's order (drill-down defaults), not alphabetical."""
    variable = (
        QueryVariable(name)
        .label(label)
        .datasource(source.ref)
        .query(load_query(query_name))
        .refresh(VariableRefresh.ON_DASHBOARD_LOAD)
        .sort(VariableSort.DISABLED if keep_order else VariableSort.ALPHABETICAL_ASC)
        .multi(multi)
        .include_all(include_all)
    )
    if current is not None:
        variable.current(VariableOption(selected=True, text=current, value=current))
    elif include_all:
        variable.current(VariableOption(selected=True, text="All", value="$__all"))
    if hide:
        variable.hide(VariableHide.HIDE_VARIABLE)
    return variable


def plant_variables(
    source: Source,
    *,
    single_machine: bool = False,
    recipe: bool = False,
    machine_default: str | None = None,
) -> list[QueryVariable]:
    """site, area and machine (and recipe) for one datasource; the queries chain in that order."""
    folder = "variables/warehouse" if source is WAREHOUSE else "variables/landing"
    out = [
        query_variable("site", "Site", source, f"{folder}/site"),
        query_variable("area", "Area", source, f"{folder}/area"),
        query_variable(
            "machine",
            "Machine",
            source,
            f"{folder}/machine",
            multi=not single_machine,
            include_all=not single_machine,
            current=machine_default,
        ),
    ]
    if recipe:
        out.append(query_variable("recipe", "Recipe", source, f"{folder}/recipe"))
    return out


# ---------------------------------------------------------------------------------------------
# A board: rows of panels, links to every other board, ids assigned in order.

BOARD_LINKS = (
    DashboardLink("Boards")
    .type(DashboardLinkType.DASHBOARDS)
    .tags([TAG])
    .as_dropdown(True)
    .include_vars(True)
    .keep_time(True)
)


class Board:
    """A dashboard under construction. ``row()`` starts a row; ``add()`` appends panels to it."""

    def __init__(
        self,
        uid: str,
        title: str,
        description: str,
        *,
        variables: Sequence[QueryVariable],
        time: tuple[str, str] = ("now-7d", "now"),
        refresh: str | None = None,
        tags: Sequence[str] = (),
    ) -> None:
        self.uid = uid
        self._dash = (
            Dashboard(title)
            .uid(uid)
            .description(description)
            .tags([TAG, *tags])
            .timezone("browser")
            .time(*time)
            .tooltip(DashboardCursorSync.CROSSHAIR)
            .editable()
            .timepicker(TimePicker().refresh_intervals(["10s", "30s", "1m", "5m", "15m", "1h"]))
            .variables(list(variables))
            .link(BOARD_LINKS)
        )
        if refresh:
            self._dash.refresh(refresh)
        self._rows: list[tuple[str, list[Any]]] = []

    def row(self, title: str) -> Board:
        self._rows.append((title, []))
        return self

    def add(self, *panels: Any) -> Board:
        if not self._rows:
            self.row("Overview")
        self._rows[-1][1].extend(panels)
        return self

    def build(self) -> dict:
        next_id = 1
        for title, panels in self._rows:
            row = Row(title).id(next_id)
            next_id += 1
            for panel in panels:
                panel.id(next_id)
                next_id += 1
                row.with_panel(panel)
            self._dash.with_row(row)
        model = self._dash.build()
        data = _plain(model)
        # Rows are expanded: their panels belong to the top-level list, as Grafana saves them.
        flat: list[dict] = []
        for panel in data.get("panels", []):
            children = panel.pop("panels", []) if panel.get("type") == "row" else []
            if panel.get("type") == "row":
                panel["panels"] = []
                panel["collapsed"] = False
            flat.append(panel)
            flat.extend(children)
        for panel in flat:
            if panel.get("type") == "xychart":
                _xy_v2(panel)
        data["panels"] = flat
        data["schemaVersion"] = 39
        return data


def _xy_v2(panel: dict) -> None:
    """The SDK writes the pre-11.1 XY options (one frame, ``dims.frame = 0``); Grafana 11 would
    migrate them to "frame 0 only". Write the v2 shape: auto mapping, one series per frame."""
    old = panel.get("options") or {}
    panel["options"] = {
        "mapping": "auto",
        "series": [],
        "legend": old.get(
            "legend", {"showLegend": True, "displayMode": "list", "placement": "right", "calcs": []}
        ),
        "tooltip": old.get("tooltip", {"mode": "single", "sort": "none"}),
    }
    panel["pluginVersion"] = XY_PLUGIN_VERSION


XY_PLUGIN_VERSION = "11.3.1"  # the Grafana image in docker-compose.yml


def _plain(obj: Any) -> Any:
    import json

    return json.loads(json.dumps(obj, cls=JSONEncoder))


__all__ = [
    "LANDING",
    "WAREHOUSE",
    "Board",
    "bar_panel",
    "fan_panel",
    "gauge_bars",
    "link_override",
    "note",
    "pie_panel",
    "plant_variables",
    "query_variable",
    "stat_panel",
    "state_timeline",
    "steps",
    "table",
    "timeseries_panel",
    "unit_override",
    "xy_panel",
]


def style_override(panel: Any, column: str, **props: Any) -> Any:
    """Per-series style by label: color, points-only markers, dashed lines."""
    values: list[DynamicConfigValue] = []
    if "color" in props:
        values.append(
            DynamicConfigValue(
                id_val="color", value={"mode": "fixed", "fixedColor": props["color"]}
            )
        )
    if props.get("points"):
        values += [
            DynamicConfigValue(id_val="custom.drawStyle", value="points"),
            DynamicConfigValue(id_val="custom.pointSize", value=props.get("size", 9)),
        ]
    if props.get("dashed"):
        values.append(
            DynamicConfigValue(id_val="custom.lineStyle", value={"fill": "dash", "dash": [10, 10]})
        )
    if props.get("step"):
        values.append(DynamicConfigValue(id_val="custom.lineInterpolation", value="stepAfter"))
    if "unit" in props:
        values.append(DynamicConfigValue(id_val="unit", value=props["unit"]))
    panel.override_by_name(column, values)
    return panel


def fan_panel(
    title: str,
    target: SqlQuery,
    *,
    description: str,
    unit: str = "none",
    color: str = "blue",
    bands: Sequence[tuple[str, str, int]] = (("P10", "P90", 15), ("P25", "P75", 30)),
    median: str = "P50",
    w: int = 12,
    h: int = 8,
) -> timeseries.Panel:
    """A fan chart: each band (lower, upper, fill opacity %) filled between its two series,
    the median a bold line, all in one colour; band edges are not drawn (the fill shows them)."""
    panel = timeseries_panel(title, [target], description=description, unit=unit, w=w, h=h)
    panel.line_width(1).fill_opacity(0).show_points(common.VisibilityMode.NEVER)
    fixed = DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": color})
    for lower, upper, opacity in bands:
        panel.override_by_name(
            lower, [fixed, DynamicConfigValue(id_val="custom.lineWidth", value=0)]
        )
        panel.override_by_name(
            upper,
            [
                fixed,
                DynamicConfigValue(id_val="custom.lineWidth", value=0),
                DynamicConfigValue(id_val="custom.fillBelowTo", value=lower),
                DynamicConfigValue(id_val="custom.fillOpacity", value=opacity),
            ],
        )
    panel.override_by_name(median, [fixed, DynamicConfigValue(id_val="custom.lineWidth", value=2)])
    return panel
