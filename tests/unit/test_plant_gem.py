"""The plant file's `gem` section: validated with file:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabstack.errors import FabError
from ingestion.plant import PLANTS_DIR, load_plant


def _plant_with(tmp_path: Path, gem: str) -> Path:
    path = tmp_path / "plant.yaml"
    path.write_text((PLANTS_DIR / "demo.yaml").read_text() + "\n" + gem)
    return path


def test_a_valid_gem_section_loads(tmp_path: Path) -> None:
    path = _plant_with(
        tmp_path,
        "gem:\n  tools:\n    - machine: ETCH-01\n      port: 5000\n"
        "      svids: {10001: {metric: temperature, max: 400}}\n",
    )
    tool = load_plant(str(path)).gem.tools[0]
    assert tool.svids[10001].metric == "temperature" and tool.collection == "trace"


@pytest.mark.parametrize(
    ("gem", "expected"),
    [
        ("      svids: {10001: {metric: bogus}}\n", "svids.10001: Value error, SVID 10001"),
        ("      svids: {10001: {metric: temperature}}\n      mode: sideways\n", "mode"),
        ("      svids: {}\n", "svids"),
    ],
)
def test_gem_mistakes_name_file_line_and_field(tmp_path: Path, gem: str, expected: str) -> None:
    path = _plant_with(tmp_path, "gem:\n  tools:\n    - machine: ETCH-01\n      port: 5000\n" + gem)
    with pytest.raises(FabError) as err:
        load_plant(str(path))
    message = str(err.value)
    assert message.startswith(f"{path}:") and "gem.tools.0" in message
    assert expected.split(": Value error, ")[-1] in message
    line = int(message.split(":")[1])
    assert line > len((PLANTS_DIR / "demo.yaml").read_text().splitlines())
