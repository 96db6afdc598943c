"""The klarf_drop sensor asks for one run per new or changed file of the drop folder and none
on the next tick; the job lands the file (a malformed one as a dead letter)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import psycopg
import pytest

from assets.resources import LandingResource
from orchestration.klarf_drop import klarf_drop_sensor, klarf_import_job
from tests.unit.test_klarf import edit, sample


def test_sensor_and_job(landing_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fabstack.settings import get_settings

    drop = tmp_path / "drop"
    drop.mkdir()
    monkeypatch.setenv("FAB_KLARF_DROP", str(drop))
    get_settings.cache_clear()
    good = sample(drop, "1.2", "a.klarf")
    bad = edit(sample(drop, "1.8", "b.klarf"), "Data 3", "Data 5")
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance)
        requests = klarf_drop_sensor(context)
        assert [r.run_config["ops"]["import_klarf_file"]["config"]["path"] for r in requests] == [
            str(good),
            str(bad),
        ]
        again = klarf_drop_sensor(dg.build_sensor_context(instance=instance, cursor=context.cursor))
        assert isinstance(again, dg.SkipReason)
        for request in requests:
            result = klarf_import_job.execute_in_process(
                run_config=request.run_config,
                resources={"landing": LandingResource(dsn=landing_dsn)},
                instance=instance,
            )
            assert result.success
    with psycopg.connect(landing_dsn) as conn:
        defects = conn.execute(
            "SELECT count(*) FROM landing.defect WHERE inspection_id LIKE 'klarf:%'"
        ).fetchone()[0]
        errors = [r[0] for r in conn.execute("SELECT error FROM landing.dead_letter")]
    assert defects == 3
    assert (
        len(errors) == 1
        and errors[0].startswith(f"{bad}:")
        and "Data: declares 5 rows" in errors[0]
    )
    get_settings.cache_clear()
