"""Broker identities and transport: TLS URLs, per-machine passwords, Mosquitto's password
format, `fab broker` and the OPC UA security default (bad input: one line naming the field)."""

from __future__ import annotations

import subprocess

import pytest
from typer.testing import CliRunner

from fabstack.errors import FabError
from fabstack.mqtt import BrokerAddress, machine_password, mosquitto_password_line
from tests.conftest import REPO


def test_mqtts_url_means_tls_with_the_given_ca(tmp_path) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_text("x")
    address = BrokerAddress.parse(f"mqtts://fab_ingest:pw@mosquitto?cafile={ca}")
    assert (address.tls, address.port, address.cafile) == (True, 8883, str(ca))
    assert address.client_kwargs()["tls_params"].ca_certs == str(ca)
    assert BrokerAddress.parse(address.url()) == address, "url() round-trips"
    machine = address.as_user("ETCH-01", "p")
    assert (machine.username, machine.tls, machine.cafile) == ("ETCH-01", True, str(ca))


def test_a_missing_ca_file_is_named() -> None:
    with pytest.raises(FabError, match="cafile '/nope/ca.crt' does not exist"):
        BrokerAddress.parse("mqtts://h:8883?cafile=/nope/ca.crt")


def test_each_machine_has_its_own_password() -> None:
    a, b = machine_password("s", "ETCH-01"), machine_password("s", "ETCH-02")
    assert a != b and machine_password("s", "ETCH-01") == a
    assert machine_password("other", "ETCH-01") != a, "follows the secret"
    with pytest.raises(FabError, match="FAB_MQTT_MACHINE_SECRET"):
        machine_password("", "ETCH-01")


def test_password_lines_are_what_mosquitto_passwd_writes(tmp_path) -> None:
    # a line mosquitto_passwd 2.0 wrote for user u1, password "secret" (the real broker
    # accepting whole files of ours is tests/integration/test_broker_identity.py)
    written = "u1:$7$101$bL1aTG/bGCcg7a5f$Ls5+4jwYZopWw+b2hvKg3Da6bvo+kZDV3FHgL931h5dVxqsfDma3Zhg"
    written += "Zk7KNPZtr2e8zN/d5uuFveVQx0CkZoA=="
    salt = __import__("base64").b64decode("bL1aTG/bGCcg7a5f")
    assert mosquitto_password_line("u1", "secret", salt) == written
    with pytest.raises(FabError, match="broker username"):
        mosquitto_password_line("a:b", "x")


def test_passwd_needs_every_role_password(fab_home, monkeypatch) -> None:
    from fabcli.broker import app

    monkeypatch.setenv("FAB_MQTT_MACHINE_SECRET", "s")
    for var in ("FAB_MQTT_INGEST_PASSWORD", "FAB_MQTT_INTERLOCK_PASSWORD", "FAB_MQTT_SIM_PASSWORD"):
        monkeypatch.setenv(var, "x")
    monkeypatch.delenv("FAB_MQTT_INTERLOCK_PASSWORD")
    result = CliRunner().invoke(app, ["passwd", "--out", str(fab_home / "passwd")])
    assert isinstance(result.exception, FabError)
    assert str(result.exception).startswith("FAB_MQTT_INTERLOCK_PASSWORD: not set")
    monkeypatch.setenv("FAB_MQTT_INTERLOCK_PASSWORD", "y")
    result = CliRunner().invoke(app, ["passwd", "--out", str(fab_home / "passwd")])
    assert result.exit_code == 0, result.output
    users = [line.split(":")[0] for line in (fab_home / "passwd").read_text().splitlines()]
    assert users[:3] == ["fab_ingest", "fab_interlock", "fab_sim"] and "ETCH-01" in users
    assert (fab_home / "passwd").stat().st_mode & 0o077 == 0, "readable by its owner only"


def test_opcua_without_security_needs_the_explicit_flag(fab_home, tmp_path) -> None:
    from fabcli.ingest import app

    config = tmp_path / "opc.yaml"
    config.write_text(
        "servers:\n  - name: plain\n    variables: {T: {}}\n"
        "    security: {mode: None, policy: None}\n"
    )
    result = CliRunner().invoke(app, ["opcua", "--config", str(config)])
    assert isinstance(result.exception, FabError)
    message = str(result.exception)
    assert message.startswith("servers.plain.security.mode: None") and "\n" not in message
    assert "--allow-insecure" in message


def test_certs_script_is_idempotent(tmp_path) -> None:
    script = REPO / "deploy" / "certs.sh"
    subprocess.run([str(script), str(tmp_path)], check=True, capture_output=True)
    first = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    subprocess.run([str(script), str(tmp_path)], check=True, capture_output=True)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == first
    assert (tmp_path / "ca.key").stat().st_mode & 0o077 == 0
    verify = subprocess.run(
        [
            "openssl",
            "verify",
            "-CAfile",
            str(tmp_path / "public" / "ca.crt"),
            str(tmp_path / "broker" / "broker.crt"),
            str(tmp_path / "proxy" / "proxy.crt"),
        ],
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
