"""Every schedule of the code location, evaluated at a tick: partitioned jobs get the plant-local
day they are meant for, the others get a plain run."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

# 23:07 UTC on 2025-06-01 is 01:07 on 2025-06-02 in Berlin (the plant's zone)
TICK = datetime(2025, 6, 1, 23, 7, tzinfo=UTC)
# schedules that finalise the day before their tick; every other partitioned one asks for today
DAY_BEFORE = {"nightly_finalise_yesterday"}


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from orchestration.definitions import defs as location

    return location


def test_every_schedule_targets_the_right_plant_day(defs: dg.Definitions) -> None:
    repo = defs.get_repository_def()
    seen = set()
    for schedule in repo.schedule_defs:
        job = repo.get_job(schedule.job_name)
        with dg.build_schedule_context(scheduled_execution_time=TICK, repository_def=repo) as ctx:
            requests = schedule.evaluate_tick(ctx).run_requests
        assert len(requests) == 1, schedule.name
        (request,) = requests
        if job.partitions_def is None:
            assert request.partition_key is None, schedule.name
            continue
        expected = "2025-06-01" if schedule.name in DAY_BEFORE else "2025-06-02"
        assert request.partition_key == expected, schedule.name
        assert expected in job.partitions_def.get_partition_keys(current_time=TICK)
        seen.add(schedule.name)
    assert {"hourly_refresh_today", "nightly_finalise_yesterday", "forecast_nightly_0300"} <= seen


def test_schedules_run_in_plant_time(defs: dg.Definitions) -> None:
    for schedule in defs.get_repository_def().schedule_defs:
        assert schedule.execution_timezone == "Europe/Berlin", schedule.name
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED, schedule.name
