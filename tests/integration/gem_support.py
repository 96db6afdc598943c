"""GEM test pieces: the host ingestor in a background thread, a TCP link that can be cut."""

from __future__ import annotations

import asyncio
import contextlib
import socket
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
            tools, dsn, machines, spool, interlocks=interlocks, lots=lots, reconnect_s=1.0
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


class CuttableLink:
    """Listens on ``port`` and forwards to ``target``; ``cut()`` drops every connection (a real
    socket cut: both sides see the link go) and refuses new ones until ``heal()``."""

    def __init__(self, port: int, target: int) -> None:
        self.target = target
        self.server = socket.create_server(("127.0.0.1", port))
        self.server.settimeout(0.2)
        self.open = True
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self._running:
            try:
                client, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=2)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._socks += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        source.settimeout(None)
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.open = False
        with self._lock:
            socks, self._socks = self._socks, []
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def heal(self) -> None:
        self.open = True

    def close(self) -> None:
        self._running = False
        self.cut()
        self.server.close()
