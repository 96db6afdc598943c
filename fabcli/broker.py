"""`fab broker`: broker identities. Services log in by role, machines as themselves."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from fabcli.common import console, settings
from fabstack.errors import FabError

app = typer.Typer(help="MQTT broker identities: password file, machine passwords.")

# Service identities (ingestion/config/mosquitto/acl) and the variable holding each password.
SERVICE_USERS = {
    "fab_ingest": "FAB_MQTT_INGEST_PASSWORD",
    "fab_interlock": "FAB_MQTT_INTERLOCK_PASSWORD",
    "fab_sim": "FAB_MQTT_SIM_PASSWORD",
}


def broker_users(plant: str, secret: str, env: dict[str, str]) -> list[tuple[str, str]]:
    """(username, password): each service role from ``env``, then every machine of the plant
    with its own password derived from ``secret``."""
    from fabstack.mqtt import machine_password
    from ingestion.plant import load_plant

    users = []
    for user, var in SERVICE_USERS.items():
        if not env.get(var):
            raise FabError(f"{var}: not set; every broker identity needs its own password")
        users.append((user, env[var]))
    users += [(m.id, machine_password(secret, m.id)) for m in load_plant(plant).machines]
    return users


def _secret() -> str:
    secret = settings().mqtt_machine_secret
    if not secret:
        raise FabError("FAB_MQTT_MACHINE_SECRET: not set; machine passwords derive from it")
    return secret


@app.command("passwd")
def passwd(
    out: Path = typer.Option(..., "--out", help="Mosquitto password file to write"),
    plant: str = typer.Option(None, "--plant", help="Plant whose machines get logins"),
) -> None:
    """Write Mosquitto's password file: the service roles and one login per machine."""
    from fabstack.mqtt import mosquitto_password_file

    users = broker_users(plant or settings().plant, _secret(), dict(os.environ))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.unlink(missing_ok=True)
    tmp.touch(mode=0o600)  # hashes only, but nobody else needs to read them
    tmp.write_text(mosquitto_password_file(users))
    tmp.replace(out)  # the broker never reads a half-written file
    console.print(
        f"{out}: {len(SERVICE_USERS)} service roles, {len(users) - len(SERVICE_USERS)} machines"
    )


@app.command("machine-password")
def machine_password_cmd(
    machine: str = typer.Argument(..., help="Machine id (its broker username)"),
) -> None:
    """Print one machine's broker password, to configure that machine or its gateway."""
    from fabstack.mqtt import machine_password

    print(machine_password(_secret(), machine))
