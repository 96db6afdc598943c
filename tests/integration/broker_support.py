"""A private Mosquitto with the repository's own deployment config (TLS, password file, ACL),
on a free port: what docker-compose runs, minus Docker. Also the bare process runner the
benchmarks' private broker uses."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fabcli.broker import broker_users
from fabstack.mqtt import BrokerAddress, machine_password, mosquitto_password_file
from ingestion.stream.mqtt import MqttOptions
from ingestion.stream.pipeline import BatchLimits
from tests.conftest import REPO, free_port

MOSQUITTO_DIR = REPO / "ingestion" / "config" / "mosquitto"
CERTS_SCRIPT = REPO / "deploy" / "certs.sh"
MACHINE_SECRET = "test-machine-secret"
SERVICE_PASSWORDS = {
    "FAB_MQTT_INGEST_PASSWORD": "ingest-pw",
    "FAB_MQTT_INTERLOCK_PASSWORD": "interlock-pw",
    "FAB_MQTT_SIM_PASSWORD": "sim-pw",
}
ROLE_PASSWORDS = {"fab_ingest": "ingest-pw", "fab_interlock": "interlock-pw", "fab_sim": "sim-pw"}


@contextlib.contextmanager
def mosquitto(conf: Path, port: int, timeout: float = 10) -> Iterator[int]:
    """Run ``mosquitto -c conf`` until the block ends; yields its pid once it listens."""
    if not shutil.which("mosquitto"):
        raise RuntimeError("mosquitto is not installed")
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"mosquitto -c {conf} exited with {proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"mosquitto did not listen on {port}") from None
                time.sleep(0.02)
        yield proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass(frozen=True)
class RepoBroker:
    port: int
    cafile: str
    pid: int
    log: Path

    def address(self, user: str | None, password: str | None = None) -> BrokerAddress:
        if user is not None and password is None:
            password = ROLE_PASSWORDS.get(user) or machine_password(MACHINE_SECRET, user)
        return BrokerAddress("127.0.0.1", self.port, user, password, tls=True, cafile=self.cafile)

    def url(self, user: str) -> str:
        return self.address(user).url()

    def ingest_options(self, client_id: str, site: str, **more: object) -> MqttOptions:
        """A shared-subscription member on this broker, logged in as fab_ingest over TLS."""
        reader = self.address("fab_ingest")
        return MqttOptions(
            host=reader.host,
            port=reader.port,
            username=reader.username,
            password=reader.password,
            tls=True,
            cafile=reader.cafile,
            client_id=client_id,
            share_group=f"g{site}",
            topic_filter=f"fab/v1/{site}/#",
            limits=BatchLimits(max_age_s=0.02),
            backoff_initial_s=0.05,
            backoff_max_s=0.5,
            **more,  # type: ignore[arg-type]
        )


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"mosquitto.conf no longer has {old!r}: update the test broker"
    return text.replace(old, new)


@contextlib.contextmanager
def repo_broker(workdir: Path, plant: str = "demo") -> Iterator[RepoBroker]:
    """The compose broker's mosquitto.conf and acl, certificates from deploy/certs.sh and a
    password file from `fab broker passwd`'s writer; only paths and the port differ."""
    certs, data = workdir / "certs", workdir / "data"
    subprocess.run([str(CERTS_SCRIPT), str(certs)], check=True, capture_output=True)
    (data / "certs").mkdir(parents=True, exist_ok=True)
    for f in ("public/ca.crt", "broker/broker.crt", "broker/broker.key"):
        shutil.copy(certs / f, data / "certs")
    users = broker_users(plant, MACHINE_SECRET, SERVICE_PASSWORDS)
    (data / "passwd").write_text(mosquitto_password_file(users))
    port = free_port()
    conf = (MOSQUITTO_DIR / "mosquitto.conf").read_text()
    conf = _replace(conf, "/mosquitto/data/", f"{data}/")
    conf = _replace(conf, "/mosquitto/config/acl", str(MOSQUITTO_DIR / "acl"))
    conf = _replace(conf, "listener 8883", f"listener {port} 127.0.0.1")
    conf = _replace(conf, "log_dest stdout", f"log_dest file {workdir / 'mosquitto.log'}")
    if os.geteuid() == 0:
        conf += "user root\n"  # keep reading the test's files (it would drop to `mosquitto`)
    (workdir / "mosquitto.conf").write_text(conf)
    with mosquitto(workdir / "mosquitto.conf", port) as pid:
        yield RepoBroker(port, str(certs / "public" / "ca.crt"), pid, workdir / "mosquitto.log")
