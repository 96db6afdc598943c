"""Plant files: shipped plants load; each malformed file gives file:line and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fabstack.errors import FabError
from ingestion.plant import PLANTS_DIR, available_plants, load_plant


def test_shipped_plants_load() -> None:
    assert {"demo", "fab50"} <= set(available_plants())
    demo = load_plant("demo")
    assert len(demo.machines) >= 10
    assert {d.code for d in demo.defect_types} == {
        "particle",
        "scratch",
        "contamination",
        "crystal_defect",
        "void",
        "residue",
        "crack",
        "dislocation",
        "stacking_fault",
        "oxide_defect",
    }
    assert all(1 <= d.severity <= 5 for d in demo.defect_types)
    assert [s.duration_min for s in demo.shifts] == [480, 480, 480]
    assert len(load_plant("fab50").machines) == 50
    # recipes' measured parameters carry spec limits around their setpoints, wider than the
    # process: the target defaults to the setpoint
    for plant in (demo, load_plant("fab50")):
        specs = {
            (r.id, k): (v.lsl, r.spec_target(k), v.usl, v.unit)
            for r in plant.recipes
            for k, v in r.spec_limits.items()
        }
        assert specs[("LITHO-M1", "critical_dimension_nm")] == (43.3, 45.0, 46.7, "nm")
        assert {k[0] for k in specs} == {"LITHO-M1", "LITHO-M2", "DEP-CVD", "DEP-PVD"}
        assert all(lo < t < hi for lo, t, hi, _ in specs.values())


def test_unknown_plant_names_the_known_ones() -> None:
    with pytest.raises(FabError, match=r"unknown plant 'nowhere' \(known: demo, fab50"):
        load_plant("nowhere")


def _broken(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load((PLANTS_DIR / "demo.yaml").read_text())
    edit(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _line_of(path: Path, needle: str) -> int:
    """Line of the last occurrence of ``needle`` (a trailing newline anchors it at line end)."""
    lines = path.read_text().splitlines(keepends=True)
    return max(i for i, line in enumerate(lines, 1) if needle in line)


@pytest.mark.parametrize(
    ("edit", "message", "needle"),
    [
        (
            lambda d: d["machines"][2].update(type="PLASMA"),
            "unknown machine type 'PLASMA'",
            "type: PLASMA",
        ),
        (
            lambda d: d["machines"][3].update(id="ETCH-01"),
            "duplicate id 'ETCH-01' in machines",
            "- id: ETCH-01\n",
        ),
        (
            lambda d: d["machine_types"]["ETCH"].update(ideal_cycle_time_s=-5),
            "machine_types.ETCH.ideal_cycle_time_s: Input should be greater than 0",
            "ideal_cycle_time_s: -5",
        ),
        (lambda d: d["shifts"][0].update(duration_min=1500), "overlaps itself", None),
        (lambda d: d["shifts"][1].update(start="10:00"), "shift B overlaps shift A", None),
        (
            lambda d: d["products"][0]["route"][1].update(machine_type="IMPLANT"),
            "unknown machine type 'IMPLANT'",
            "machine_type: IMPLANT",
        ),
        (
            lambda d: d["machine_types"]["ETCH"].pop("mtbf_h"),
            "machine_types.ETCH.mtbf_h: Field required",
            None,
        ),
        (
            lambda d: d["machine_types"]["ETCH"].update(wear_life_days=10),
            "machine_types.ETCH.wear_life_days: 10.0 days is shorter than mtbf_h 465.0 h",
            "wear_life_days: 10",
        ),
        (
            lambda d: d["recipes"][1]["spec_limits"]["critical_dimension_nm"].update(lsl=33.0),
            "recipes.1.spec_limits.critical_dimension_nm: lsl 33 must be below usl 32.65",
            "critical_dimension_nm:\n",
        ),
        (
            lambda d: d["recipes"][1]["spec_limits"]["critical_dimension_nm"].update(target=40),
            "target 40 lies outside [31.35, 32.65]",
            "critical_dimension_nm:\n",
        ),
        (
            lambda d: d["recipes"][1]["spec_limits"].update(overlay_nm={}),
            "a spec needs lsl, usl or both",
            "overlay_nm: {}",
        ),
        (
            lambda d: d["recipes"][6].update(spec_limits={"removal_nm": {"usl": 2.0}}),
            "recipes.6: spec limits for 'removal_nm', which is not a setpoint of the recipe",
            "- id: CMP-STD\n",
        ),
        (
            lambda d: d["products"][0]["die_grid"].update(map_shape=[20, 29]),
            "products.0.die_grid: map_shape 20 x 29 at 10.4 x 10.4 mm covers 301.6 x 208 mm, "
            "less than the usable 294",
            None,
        ),
        (
            lambda d: d["products"][1]["die_grid"].update(
                die_pitch_mm=[8.4, 7.5], map_shape=[40, 36]
            ),
            "die_area_mm2 64 exceeds the die pitch area 8.4 x 7.5 = 63 mm2",
            None,
        ),
        (
            lambda d: d["products"][0]["die_grid"].update(edge_exclusion_mm=-1),
            "edge_exclusion_mm: Input should be greater than or equal to 0",
            None,
        ),
    ],
)
def test_malformed_plant_is_one_line_with_file_and_line(tmp_path, edit, message, needle) -> None:
    path = _broken(tmp_path, edit)
    with pytest.raises(FabError) as err:
        load_plant(str(path))
    text = str(err.value)
    assert text.startswith(f"{path}:")
    assert message in text
    assert "\n" not in text
    if needle:
        assert text.startswith(f"{path}:{_line_of(path, needle)}:")


def test_invalid_yaml_reports_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("plant: x\nsite: {id: A\n")
    with pytest.raises(FabError, match=r"bad.yaml:\d+: not valid YAML"):
        load_plant(str(path))
