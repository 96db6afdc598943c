"""GEM test pieces: the host ingestor in a background thread."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import psycopg

from ingestion.gem.host import GemIngestor
from ingestion.plant import GemToolSpec
from ingestion.stream.config import InterlockConfig
from ingestion.stream.machines import load_machines


class HostThread:
    """``GemIngestor.run`` on its own event loop in a thread."""

    def __init__(
        self,
        tools: list[GemToolSpec],
        dsn: str,
        spool: Path,
        interlocks: InterlockConfig | None = None,
        lots: dict[str, str] | None = None,
    ) -> None:
        with psycopg.connect(dsn) as conn:
            machines = load_machines(conn)
        self.ingestor = GemIngestor(
            tools, dsn, machines, spool, interlocks=interlocks, lots=lots, reconnect_s=0.5
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = threading.Event()

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._started.set()
            await self.ingestor.run()

        asyncio.run(main())

    def __enter__(self) -> GemIngestor:
        self._thread.start()
        self._started.wait(10)
        return self.ingestor

    def __exit__(self, *exc) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self.ingestor.stop)
        self._thread.join(30)
