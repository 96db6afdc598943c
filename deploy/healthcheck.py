"""Container health checks for docker-compose, with nothing but the Python standard library.

    python deploy/healthcheck.py tcp HOST PORT        something accepts connections
    python deploy/healthcheck.py http URL             answers 2xx
    python deploy/healthcheck.py ingest NAME [MAX_S]  landing.ingest_status row NAME (an
                                                      ingestor like mqtt:fab-ingest-1, or a
                                                      source like opcua: its freshest row)
                                                      reported within MAX_S seconds
Exit 0 when healthy, 1 with one line on stderr otherwise.
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.request


def tcp(host: str, port: str) -> None:
    with socket.create_connection((host, int(port)), timeout=3):
        pass


def http(url: str) -> None:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - fixed local URLs
        if not 200 <= response.status < 300:
            raise RuntimeError(f"{url} answered {response.status}")


def ingest(name: str, max_age_s: str = "30") -> None:
    import psycopg

    with psycopg.connect(os.environ["FAB_PG_DSN"], connect_timeout=3) as conn:
        row = conn.execute(
            "SELECT extract(epoch FROM now() - updated_at), connected "
            "FROM landing.ingest_status "
            "WHERE ingestor = %s OR (%s NOT LIKE '%%:%%' AND source = %s) "
            "ORDER BY updated_at DESC LIMIT 1",
            (name, name, name),
        ).fetchone()
    if row is None:
        raise RuntimeError(f"no ingest_status row for {name}")
    age, connected = row
    if age > float(max_age_s) or not connected:
        raise RuntimeError(f"{name}: last report {age:.0f}s ago, connected={connected}")


def main(argv: list[str]) -> int:
    checks = {"tcp": tcp, "http": http, "ingest": ingest}
    if len(argv) < 2 or argv[0] not in checks:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        checks[argv[0]](*argv[1:])
    except Exception as exc:  # noqa: BLE001 - any failure is "unhealthy"
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
