"""Layers read top-down: no module imports from a layer above its own (import-linter).

fabcli (the `fab` command) > orchestration | dashboards > assets > ingestion | warehouse >
fabstack (settings, services, errors, SQL files, the plant calendar). The contract is in
pyproject.toml under [tool.importlinter].
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_no_module_imports_a_layer_above_it() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken" in result.stdout
