"""Plant files: the validated description of a fab (sites, machines, recipes, routes, shifts...).

Shipped plants live in ``ingestion/plants/NAME.yaml``; ``load_plant`` takes a name or a path and
reports the first problem as ``file:line: field: reason``.
"""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fabstack.errors import FabError

PLANTS_DIR = Path(__file__).parent / "plants"

MachineStateName = Literal["RUNNING", "IDLE", "SETUP", "DOWN", "MAINTENANCE", "OFFLINE"]
# How a state reason counts in OEE. Planned production time excludes `planned_stop` and
# `not_scheduled`; every other non-run category is an availability loss.
LossCategory = Literal[
    "run",
    "not_scheduled",
    "planned_stop",
    "breakdown",
    "setup_adjustment",
    "small_stop",
    "idle",
]


class PlantRefError(ValueError):
    """A cross-reference problem, carrying where in the file it is (for the line number)."""

    def __init__(self, message: str, loc: tuple = ()) -> None:
        super().__init__(message)
        self.loc = loc


class _Model(BaseModel):
    # allow_inf_nan=False: YAML reads 1e400 and .nan as floats; none is a plant quantity, and
    # Infinity must never reach the landing zone
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SensorSpec(_Model):
    unit: str
    setpoint: float
    noise: float = Field(ge=0)
    min: float | None = None
    max: float | None = None
    drift_per_day: float = 0.0
    wear_gain: float = Field(0.0, description="rise per unit of wear before a wear-out failure")


class MachineTypeSpec(_Model):
    description: str
    ideal_cycle_time_s: float = Field(gt=0, description="ideal seconds per wafer")
    mtbf_h: float = Field(
        gt=0, description="mean hours between unplanned failures of any kind (random + wear-out)"
    )
    mttr_h: float = Field(gt=0)
    wear_life_days: float | None = Field(
        None,
        gt=0,
        description=(
            "mean days between wear-out failures (component life; each announced by sensor "
            "precursors); the rest of the 1/mtbf_h failure rate is random failures without "
            "warning. Default 2 x mtbf_h: half of all failures wear out"
        ),
    )
    small_stop_rate_per_h: float = Field(0.5, ge=0)
    speed_loss: float = Field(0.03, ge=0, lt=1)
    scrap_rate: float = Field(0.01, ge=0, lt=1)
    pm_every_days: float | None = Field(7, gt=0)
    pm_duration_min: float = Field(120, ge=0)
    sensors: dict[str, SensorSpec]

    @model_validator(mode="after")
    def _wear_life_within_mtbf(self) -> MachineTypeSpec:
        if self.wear_life_h < self.mtbf_h:
            raise PlantRefError(
                f"{self.wear_life_days} days is shorter than mtbf_h {self.mtbf_h} h: wear-out "
                "alone would fail more often than all failures together",
                ("wear_life_days",),
            )
        return self

    @property
    def wear_life_h(self) -> float:
        """Mean hours between wear-out failures."""
        return 24 * self.wear_life_days if self.wear_life_days else 2 * self.mtbf_h

    @property
    def random_mtbf_h(self) -> float:
        """Mean hours between random failures: what 1/mtbf_h leaves after wear-out (inf if 0)."""
        rate = 1 / self.mtbf_h - 1 / self.wear_life_h
        return 1 / rate if rate > 1e-12 else float("inf")


class MachineSpec(_Model):
    id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9_-]*$")
    type: str
    area: str
    efficiency: float = Field(1.0, gt=0, le=1.2)


class AreaSpec(_Model):
    id: str
    name: str
    line: str = "MAIN"


class SiteSpec(_Model):
    id: str
    name: str
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v


class SpecLimitSpec(_Model):
    """Specification limits of one measured parameter (the customer's tolerance, not the
    control limits): at least one of lsl/usl; the target defaults to the recipe setpoint."""

    lsl: float | None = None
    usl: float | None = None
    target: float | None = None
    unit: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> SpecLimitSpec:
        if self.lsl is None and self.usl is None:
            raise ValueError("a spec needs lsl, usl or both")
        if self.lsl is not None and self.usl is not None and self.lsl >= self.usl:
            raise ValueError(f"lsl {self.lsl:g} must be below usl {self.usl:g}")
        t = self.target
        if t is not None and (
            (self.lsl is not None and t < self.lsl) or (self.usl is not None and t > self.usl)
        ):
            raise ValueError(f"target {t:g} lies outside [{self.lsl}, {self.usl}]")
        return self


class RecipeSpec(_Model):
    id: str
    machine_type: str
    family: str
    process_time_s: float = Field(gt=0, description="seconds per wafer at efficiency 1")
    setpoints: dict[str, float] = {}
    spec_limits: dict[str, SpecLimitSpec] = Field(
        {}, description="per measured parameter (a setpoint of the recipe): LSL, USL, target"
    )

    @model_validator(mode="after")
    def _specs_of_setpoints(self) -> RecipeSpec:
        for name, spec in self.spec_limits.items():
            if name not in self.setpoints:
                raise ValueError(f"spec limits for {name!r}, which is not a setpoint of the recipe")
            nominal = self.setpoints[name]
            if spec.target is None and not (
                (spec.lsl is None or spec.lsl <= nominal)
                and (spec.usl is None or nominal <= spec.usl)
            ):
                raise ValueError(
                    f"{name}: setpoint {nominal:g} lies outside [{spec.lsl}, {spec.usl}]"
                )
        return self

    def spec_target(self, name: str) -> float | None:
        """The target of a spec: its own, else the setpoint."""
        spec = self.spec_limits[name]
        return spec.target if spec.target is not None else self.setpoints.get(name)


class RouteStepSpec(_Model):
    machine_type: str
    recipe: str


class DieGridSpec(_Model):
    """Where dies sit on the wafer: sort results and inspection die indices use this grid."""

    die_pitch_mm: tuple[float, float] = Field(description="die step in x and y, mm")
    map_shape: tuple[int, int] = Field(description="rows and columns of the bin map")
    edge_exclusion_mm: float = Field(3.0, ge=0)
    wafer_diameter_mm: float = Field(300.0, gt=0)

    @model_validator(mode="after")
    def _covers_wafer(self) -> DieGridSpec:
        (px, py), (rows, cols) = self.die_pitch_mm, self.map_shape
        if px <= 0 or py <= 0:
            raise ValueError(f"die_pitch_mm {px:g} x {py:g} must be positive")
        if rows < 1 or cols < 1:
            raise ValueError(f"map_shape {rows} x {cols} must be at least 1 x 1")
        usable = self.wafer_diameter_mm - 2 * self.edge_exclusion_mm
        if usable <= 0:
            raise ValueError(
                f"edge_exclusion_mm {self.edge_exclusion_mm:g} leaves nothing of the "
                f"{self.wafer_diameter_mm:g} mm wafer"
            )
        if cols * px < usable or rows * py < usable:
            raise ValueError(
                f"map_shape {rows} x {cols} at {px:g} x {py:g} mm covers {cols * px:g} x "
                f"{rows * py:g} mm, less than the usable {usable:g} mm of the wafer"
            )
        return self


class ProductSpec(_Model):
    id: str
    name: str
    die_area_mm2: float = Field(gt=0)
    route: list[RouteStepSpec] = Field(min_length=1)
    die_grid: DieGridSpec | None = None

    @model_validator(mode="after")
    def _die_fits_pitch(self) -> ProductSpec:
        if self.die_grid is not None:
            px, py = self.die_grid.die_pitch_mm
            if self.die_area_mm2 > px * py + 1e-9:
                raise ValueError(
                    f"die_area_mm2 {self.die_area_mm2:g} exceeds the die pitch area "
                    f"{px:g} x {py:g} = {px * py:g} mm2"
                )
        return self


class SetupTimeSpec(_Model):
    machine_type: str
    from_family: str
    to_family: str
    minutes: float = Field(ge=0)


class BreakSpec(_Model):
    offset_min: int = Field(ge=0)
    duration_min: int = Field(gt=0)
    kind: Literal["short", "meal"] = "short"


class ShiftSpec(_Model):
    code: str
    start: time
    duration_min: int = Field(gt=0)
    breaks: list[BreakSpec] = []

    @model_validator(mode="after")
    def _breaks_inside_and_apart(self) -> ShiftSpec:
        if self.duration_min > 24 * 60:
            raise ValueError(f"shift {self.code} lasts {self.duration_min} min and overlaps itself")
        end = 0
        for brk in sorted(self.breaks, key=lambda b: b.offset_min):
            if brk.offset_min < end:
                raise ValueError(f"shift {self.code}: break at +{brk.offset_min} min overlaps")
            end = brk.offset_min + brk.duration_min
            if end > self.duration_min:
                raise ValueError(f"shift {self.code}: break at +{brk.offset_min} min ends late")
        return self

    @property
    def start_min(self) -> int:
        return self.start.hour * 60 + self.start.minute


class CalendarExceptionSpec(_Model):
    start: datetime
    end: datetime
    kind: Literal["holiday", "shutdown", "maintenance"]
    machine: str | None = None
    note: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> CalendarExceptionSpec:
        if self.end <= self.start:
            raise ValueError("calendar exception ends before it starts")
        return self


class DefectTypeSpec(_Model):
    code: str
    name: str
    severity: int = Field(ge=1, le=5)
    color: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")


class StateReasonSpec(_Model):
    code: str
    state: MachineStateName
    description: str
    loss_category: LossCategory


class GemSvidSpec(_Model):
    """One status variable: the metric it lands as and the limits a value must lie within
    (outside them the reading is a dead letter, not data)."""

    metric: str
    min: float | None = None
    max: float | None = None


class GemAlarmSpec(_Model):
    code: str = Field(min_length=1)
    severity: int = Field(3, ge=1, le=5)
    text: str = ""


class GemToolSpec(_Model):
    """One tool's HSMS link and its maps from GEM ids to our metrics, states and alarms.

    ``mode`` is the host's side: ``active`` connects to the tool (the usual), ``passive``
    listens on ``port`` for the tool. ``collection`` is ``trace`` (S2F23, the tool sends S6F1
    every period) or ``poll`` (S1F3 at ``rate_hz``). The state and alarm collection events
    carry the DVs ``dvids`` names (equipment time, event sequence, state, reason, alarm id)."""

    machine: str
    address: str = "127.0.0.1"
    port: int = Field(ge=1, le=65535)
    device_id: int = Field(0, ge=0, le=32767)
    mode: Literal["active", "passive"] = "active"
    collection: Literal["trace", "poll"] = "trace"
    rate_hz: float = Field(1.0, gt=0, le=50)
    svids: dict[int, GemSvidSpec] = Field(min_length=1)
    ceids: dict[int, Literal["state_changed", "alarm_set"]] = {
        3001: "state_changed",
        3002: "alarm_set",
    }
    dvids: dict[Literal["time", "seq", "state", "reason", "alid"], int] = {
        "time": 2001, "seq": 2002, "state": 2003, "reason": 2004, "alid": 2005,
    }  # fmt: skip
    alarms: dict[int, GemAlarmSpec] = {}
    stop_command: str = Field("STOP", description="remote command (S2F41) an interlock trip sends")


class GemSpec(_Model):
    tools: list[GemToolSpec] = Field(min_length=1)


class PlantSpec(_Model):
    plant: str
    site: SiteSpec
    areas: list[AreaSpec] = Field(min_length=1)
    machine_types: dict[str, MachineTypeSpec] = Field(min_length=1)
    machines: list[MachineSpec] = Field(min_length=1)
    recipes: list[RecipeSpec] = Field(min_length=1)
    setup_times: list[SetupTimeSpec] = []
    products: list[ProductSpec] = Field(min_length=1)
    shifts: list[ShiftSpec] = Field(min_length=1)
    calendar_exceptions: list[CalendarExceptionSpec] = []
    defect_types: list[DefectTypeSpec] = Field(min_length=1)
    state_reasons: list[StateReasonSpec] = Field(min_length=1)
    gem: GemSpec | None = None

    @model_validator(mode="after")
    def _references(self) -> PlantSpec:
        areas = {a.id for a in self.areas}
        _unique("areas", [a.id for a in self.areas])
        _unique("machines", [m.id for m in self.machines], "id")
        _unique("recipes", [r.id for r in self.recipes])
        _unique("products", [p.id for p in self.products])
        _unique("shifts", [s.code for s in self.shifts])
        _unique("defect_types", [d.code for d in self.defect_types])
        _unique("state_reasons", [r.code for r in self.state_reasons])
        for i, m in enumerate(self.machines):
            if m.type not in self.machine_types:
                raise PlantRefError(
                    f"machine {m.id}: unknown machine type {m.type!r}", ("machines", i, "type")
                )
            if m.area not in areas:
                raise PlantRefError(f"machine {m.id}: unknown area {m.area!r}", ("machines", i))
        recipes = {r.id: r for r in self.recipes}
        for i, r in enumerate(self.recipes):
            if r.machine_type not in self.machine_types:
                raise PlantRefError(
                    f"recipe {r.id}: unknown machine type {r.machine_type!r}", ("recipes", i)
                )
        types_with_machines = {m.type for m in self.machines}
        for pi, p in enumerate(self.products):
            for i, step in enumerate(p.route, start=1):
                where = ("products", pi, "route", i - 1)
                if step.machine_type not in self.machine_types:
                    raise PlantRefError(
                        f"product {p.id} step {i}: unknown machine type {step.machine_type!r}",
                        where,
                    )
                if step.machine_type not in types_with_machines:
                    raise PlantRefError(
                        f"product {p.id} step {i}: no machine of type {step.machine_type!r}",
                        where,
                    )
                recipe = recipes.get(step.recipe)
                if recipe is None or recipe.machine_type != step.machine_type:
                    raise PlantRefError(
                        f"product {p.id} step {i}: recipe {step.recipe!r} is not a "
                        f"{step.machine_type} recipe",
                        where,
                    )
        machine_ids = {m.id for m in self.machines}
        for exc in self.calendar_exceptions:
            if exc.machine and exc.machine not in machine_ids:
                raise ValueError(f"calendar exception: unknown machine {exc.machine!r}")
        _shifts_apart(self.shifts)
        if self.gem is not None:
            _gem_references(self, self.gem)
        return self

    # --- lookups used across the stack ---------------------------------------------------
    def machine_type_of(self, machine_id: str) -> MachineTypeSpec:
        machine = next(m for m in self.machines if m.id == machine_id)
        return self.machine_types[machine.type]


def _gem_references(plant: PlantSpec, gem: GemSpec) -> None:
    """Each GEM tool is a machine of the plant, once, on its own port; each SVID names a
    sensor of the machine's type."""
    machines = {m.id: m for m in plant.machines}
    seen: dict[str, int] = {}
    endpoints: dict[tuple[str, int], str] = {}
    for i, tool in enumerate(gem.tools):
        where = ("gem", "tools", i)
        machine = machines.get(tool.machine)
        if machine is None:
            raise PlantRefError(f"unknown machine {tool.machine!r}", (*where, "machine"))
        if tool.machine in seen:
            raise PlantRefError(f"machine {tool.machine} has a second GEM link", where)
        seen[tool.machine] = i
        other = endpoints.setdefault((tool.address, tool.port), tool.machine)
        if other != tool.machine:
            raise PlantRefError(f"port {tool.port} is also {other}'s", (*where, "port"))
        sensors = plant.machine_types[machine.type].sensors
        for svid, spec in tool.svids.items():
            if spec.metric not in sensors:
                raise PlantRefError(
                    f"SVID {svid}: {spec.metric!r} is not a sensor of {machine.type} "
                    f"(one of {sorted(sensors)})",
                    (*where, "svids", svid),
                )
            if spec.min is not None and spec.max is not None and spec.min >= spec.max:
                raise PlantRefError(f"SVID {svid}: min must be below max", (*where, "svids", svid))
        clash = set(tool.svids) & set(tool.dvids.values())
        if clash:
            raise PlantRefError(f"ids {sorted(clash)} are both SVIDs and DVIDs", where)


def default_gem(plant: PlantSpec, base_port: int, address: str = "127.0.0.1") -> GemSpec:
    """A GEM section for every machine: port ``base_port + index``, device id = index, SVIDs
    10001.. over the type's sensors (limits: the plausible band is the data-quality gate's; here
    none), one alarm per sensor (ALID = SVID) for limit excursions. SVIDs start at 10001:
    ``secsgem``'s equipment side keeps 1001-1005 for its own status variables (clock, ...)."""
    tools = []
    for i, machine in enumerate(plant.machines):
        sensors = sorted(plant.machine_types[machine.type].sensors)
        svids = {10001 + k: GemSvidSpec(metric=name) for k, name in enumerate(sensors)}
        alarms = {
            10001 + k: GemAlarmSpec(code=f"{name.upper()}_LIMIT", severity=3)
            for k, name in enumerate(sensors)
        }
        tools.append(
            GemToolSpec(
                machine=machine.id, address=address, port=base_port + i, device_id=i,
                svids=svids, alarms=alarms,
            )
        )  # fmt: skip
    return GemSpec(tools=tools)


def _unique(what: str, ids: list[str], key: str | None = None) -> None:
    seen: set[str] = set()
    for n, i in enumerate(ids):
        if i in seen:
            raise PlantRefError(
                f"duplicate id {i!r} in {what}", (what, n, key) if key else (what, n)
            )
        seen.add(i)


def _shifts_apart(shifts: list[ShiftSpec]) -> None:
    """Shifts may wrap midnight but must not overlap each other on the 24 h clock."""
    minutes: dict[int, str] = {}
    for s in shifts:
        for m in range(s.start_min, s.start_min + s.duration_min):
            other = minutes.setdefault(m % 1440, s.code)
            if other != s.code:
                raise ValueError(f"shift {s.code} overlaps shift {other}")


# --- loading with line numbers --------------------------------------------------------------


def _line_index(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict:
    """Map each YAML path (keys and list indexes) to its 1-based line."""
    out = {} if out is None else out
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out[path + (key.value,)] = key.start_mark.line + 1
            _line_index(value, path + (key.value,), out)
            out[path + (key.value,)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, path + (i,), out)
    return out


def resolve_plant_path(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        if not path.exists():
            raise FabError(f"plant file {path} does not exist")
        if not path.is_file():
            raise FabError(f"plant file {path} is not a file")
        return path
    candidate = PLANTS_DIR / f"{name_or_path}.yaml"
    if not candidate.exists():
        known = ", ".join(sorted(p.stem for p in PLANTS_DIR.glob("*.yaml")))
        raise FabError(f"unknown plant {name_or_path!r} (known: {known})")
    return candidate


def _refuse_aliases(path: Path, text: str) -> None:
    """Plant files need no anchors or aliases, and nested aliases expand exponentially (a
    "billion laughs" file of 1 kB is gigabytes once walked): refuse the first one."""
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            line = event.start_mark.line + 1
            raise FabError(f"{path}:{line}: YAML aliases (*{event.anchor}) are not allowed")


def load_plant(name_or_path: str) -> PlantSpec:
    """Load and validate a plant; any problem is a FabError naming file, line and field."""
    path = resolve_plant_path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FabError(f"{path}: not UTF-8 text (byte {exc.start}): is it a plant file?") from None
    except OSError as exc:
        raise FabError(f"{path}: cannot read plant file: {exc.strerror}") from None
    try:
        _refuse_aliases(path, text)
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise FabError(f"{path}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise FabError(f"{path}:1: a plant file is a mapping of sections")
    try:
        return PlantSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        located = (err.get("ctx") or {}).get("error")
        loc = tuple(err["loc"]) + tuple(getattr(located, "loc", ()))
        lines = _line_index(node) if node is not None else {}
        line = next((lines[loc[:i]] for i in range(len(loc), -1, -1) if loc[:i] in lines), 1)
        field = ".".join(str(p) for p in loc) or "plant"
        msg = err["msg"].removeprefix("Value error, ")
        raise FabError(f"{path}:{line}: {field}: {msg}") from None


def available_plants() -> list[str]:
    return sorted(p.stem for p in PLANTS_DIR.glob("*.yaml"))
