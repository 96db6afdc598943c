"""Run every benchmark (`make bench`): each bench_*.py prints its figures, last line JSON."""

from __future__ import annotations

import pathlib
import subprocess
import sys

if __name__ == "__main__":
    names = sys.argv[1:] or sorted(p.stem for p in pathlib.Path(__file__).parent.glob("bench_*.py"))
    failed = []
    for name in names:
        print(f"== {name}", flush=True)
        if subprocess.run([sys.executable, "-m", f"tests.benchmarks.{name}"]).returncode != 0:
            failed.append(name)
    sys.exit(f"benchmarks failed: {', '.join(failed)}" if failed else 0)
