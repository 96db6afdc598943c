"""KLARF drop folder: a sensor that watches ``FAB_KLARF_DROP`` (default ``FAB_HOME/klarf``)
and a one-op job that lands a file. A malformed file becomes a dead letter
(``file:line: field: reason``); the other files of the folder land on their own runs."""

import json
from pathlib import Path

import dagster as dg

from assets.resources import LandingResource
from fabstack.settings import load_settings

KLARF_JOB = "klarf_import"


def drop_folder() -> Path:
    cfg = load_settings()
    return Path(cfg.klarf_drop) if cfg.klarf_drop else cfg.home_dir / "klarf"


def new_files(folder: Path, seen: dict[str, str]) -> dict[str, str]:
    """KLARF files of ``folder`` that are new or changed since ``seen`` (path -> stamp)."""
    from ingestion.klarf.landing import klarf_files

    if not folder.is_dir():
        return {}
    out = {}
    for path in klarf_files(folder):
        stat = path.stat()
        stamp = f"{stat.st_mtime_ns}:{stat.st_size}"
        if seen.get(str(path)) != stamp:
            out[str(path)] = stamp
    return out


class KlarfFileConfig(dg.Config):
    path: str


@dg.op(description="Land one KLARF file into landing.inspection and landing.defect.")
def import_klarf_file(
    context: dg.OpExecutionContext, config: KlarfFileConfig, landing: LandingResource
):
    from ingestion.klarf.landing import import_klarf

    with landing.connect() as conn:
        result = import_klarf(conn, Path(config.path))
    for error in result.errors:
        context.log.warning(f"dead letter: {error}")
    context.add_output_metadata({k: v for k, v in result.as_dict().items() if k != "errors"})
    return result.as_dict()


@dg.job(name=KLARF_JOB, description="Land one KLARF file (started by the klarf_drop sensor).")
def klarf_import_job():
    import_klarf_file()


@dg.sensor(
    name="klarf_drop",
    job=klarf_import_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Lands every new or changed KLARF file of the drop folder (one run per file).",
)
def klarf_drop_sensor(context: dg.SensorEvaluationContext):
    seen = json.loads(context.cursor) if context.cursor else {}
    fresh = new_files(drop_folder(), seen)
    if not fresh:
        return dg.SkipReason(f"no new KLARF file in {drop_folder()}")
    context.update_cursor(json.dumps({**seen, **fresh}))
    return [
        dg.RunRequest(
            run_key=f"klarf:{path}:{stamp}",
            run_config={"ops": {"import_klarf_file": {"config": {"path": path}}}},
        )
        for path, stamp in sorted(fresh.items())
    ]
