"""Run dbt by hand against the configured landing zone: ``python -m assets.dbt build``.

Sets the FAB_DBT_* variables from FAB_PG_DSN (or the local/embedded PostgreSQL) the way the
Dagster assets do, then runs the venv's dbt in dbt/ with any arguments given.
"""

import os
import subprocess
import sys

from assets.dbt.profile import dbt_env
from assets.dbt.project import DBT_PROJECT_DIR, dbt_executable
from fabstack.services import landing_endpoint
from fabstack.settings import get_settings


def main(args: list[str]) -> int:
    env = {**os.environ, **dbt_env(landing_endpoint(get_settings()).url)}
    command = [dbt_executable(), *(args or ["build"])]
    return subprocess.call(command, cwd=DBT_PROJECT_DIR, env={**env, "DBT_PROFILES_DIR": "."})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
