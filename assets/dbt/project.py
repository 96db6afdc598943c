"""The dbt project handle and its manifest, generated when missing or stale.

Loading the code location needs ``dbt/target/manifest.json``. A clean clone has none
(``dbt/target`` is git-ignored), so importing this module runs ``dbt parse`` when the
manifest is missing or older than any project file; `dagster dev` re-parses on every load
(``prepare_if_dev``). Parsing reads the profile but never connects to the database.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from dagster._utils import run_with_concurrent_update_guard
from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.dbt_project import using_dagster_dev

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt"
_SOURCES = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests")


def newest_source_mtime(project_dir: Path = DBT_PROJECT_DIR) -> float:
    newest = 0.0
    for name in _SOURCES:
        path = project_dir / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        for file in files:
            newest = max(newest, file.stat().st_mtime)
    return newest


def manifest_is_stale(project: DbtProject) -> bool:
    manifest = project.manifest_path
    return not manifest.exists() or manifest.stat().st_mtime < newest_source_mtime(
        Path(project.project_dir)
    )


def dbt_executable() -> str:
    """The dbt next to this Python (the venv's), so a venv that is not on PATH still works."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else shutil.which("dbt") or "dbt"


def dbt_cli_resource(project: DbtProject | None = None) -> DbtCliResource:
    """dbt over the landing zone: profiles in dbt/, target from FAB_DBT_TARGET (default landing)."""
    project = project or DBT_PROJECT
    return DbtCliResource(
        project_dir=project,
        profiles_dir=str(project.profiles_dir),
        dbt_executable=dbt_executable(),
    )


def _parse(project: DbtProject) -> None:
    dbt_cli_resource(project).cli(["parse", "--quiet"], target_path=project.target_path).wait()


def load_dbt_project(project_dir: Path = DBT_PROJECT_DIR) -> DbtProject:
    """The project, with a manifest that matches its files (parsing if needed)."""
    project = DbtProject(
        project_dir=project_dir,
        profiles_dir=project_dir,
        target=os.environ.get("FAB_DBT_TARGET") or None,
    )
    if using_dagster_dev() or manifest_is_stale(project):
        # Guarded by a lock file: parallel processes loading the code location parse once.
        run_with_concurrent_update_guard(project.manifest_path, _parse, project=project)
    return project


DBT_PROJECT = load_dbt_project()
