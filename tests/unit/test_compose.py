"""docker-compose.yml validates (structure, interpolation, secrets) and everything it points at
exists in the repo: build context, bind-mounted files, commands, the Dagster workspace.

There is no Docker engine here. The structure is checked with a strict pydantic model of the
Compose keys this file uses (unknown keys fail, as in the compose-spec schema); when a
`docker compose` / `docker-compose` binary is on PATH, `config -q` runs too.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any, Literal

import click
import pytest
import typer
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tests.conftest import REPO

COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
APP_DIR = "/app"  # where the Dockerfile puts the repo
VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


class InterpolationError(ValueError):
    pass


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable substitution: ${V}, ${V:-default}, ${V-default}, ${V:?err}, $$."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def sub(match: re.Match) -> str:
        name = match.group(1) or match.group(4)
        op, arg = match.group(2), match.group(3)
        current = env.get(name)
        if op in (":?", "?"):
            if current is None or (op == ":?" and current == ""):
                raise InterpolationError(f"{name}: {arg}")
            return current
        if op in (":-", "-"):
            return current if current not in (None, "") or (op == "-" and current == "") else arg
        return current or ""

    parts = value.split("$$")
    return "$".join(VAR.sub(sub, part) for part in parts)


def variables_used(value: Any, out: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    """Variable name -> the operators it is used with ('' for plain ${V}), in every value
    (comments are not interpolated)."""
    out = {} if out is None else out
    if isinstance(value, dict):
        for item in value.values():
            variables_used(item, out)
    elif isinstance(value, list):
        for item in value:
            variables_used(item, out)
    elif isinstance(value, str):
        for match in VAR.finditer(value.replace("$$", "")):
            out.setdefault(match.group(1) or match.group(4), set()).add(match.group(2) or "")
    return out


# ---------------------------------------------------------------------------------------------
# A strict model of the Compose keys in use.


class Strict(BaseModel):
    """Unknown keys fail, except the spec's extension fields (``x-*``)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _extensions(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not str(k).startswith("x-")}
        return data


class Build(Strict):
    context: str
    dockerfile: str = "Dockerfile"


class Healthcheck(Strict):
    test: list[str]
    interval: str
    timeout: str
    retries: int = Field(ge=1)
    start_period: str | None = None

    @field_validator("test")
    @classmethod
    def _form(cls, v: list[str]) -> list[str]:
        if v[0] not in ("CMD", "CMD-SHELL") or len(v) < 2:
            raise ValueError(f"healthcheck test must be [CMD|CMD-SHELL, ...], got {v}")
        return v

    @field_validator("interval", "timeout", "start_period")
    @classmethod
    def _duration(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"(\d+(ms|s|m|h))+", v):
            raise ValueError(f"not a duration: {v!r}")
        return v


class DependsOn(Strict):
    condition: Literal["service_started", "service_healthy", "service_completed_successfully"]


class Ulimit(Strict):
    soft: int
    hard: int


class Service(Strict):
    image: str | None = None
    build: Build | None = None
    restart: Literal["no", "always", "on-failure", "unless-stopped"]
    init: bool | None = None
    entrypoint: list[str] | None = None
    command: list[str] | None = None
    environment: dict[str, str] = {}
    volumes: list[str] = []
    ports: list[str] = []
    depends_on: dict[str, DependsOn] = {}
    healthcheck: Healthcheck | None = None
    ulimits: dict[str, Ulimit] | None = None

    @field_validator("ports")
    @classmethod
    def _ports(cls, v: list[str]) -> list[str]:
        for port in v:
            if not re.fullmatch(r"(\d+\.\d+\.\d+\.\d+:)?\d+:\d+(/tcp|/udp)?", port):
                raise ValueError(f"bad port mapping {port!r}")
        return v


class ComposeFile(Strict):
    name: str
    services: dict[str, Service]
    volumes: dict[str, None | dict] = {}


ONE_SHOTS = ("migrate", "broker-credentials")
MOSQUITTO = REPO / "ingestion" / "config" / "mosquitto"


def fake_env() -> dict[str, str]:
    """Every variable .env.example documents, set as a deployment would (secrets filled)."""
    env = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^#?\s*(FAB_[A-Z0-9_]+)=(.*)$", line.strip())
        if match:
            env[match.group(1)] = match.group(2) or f"secret-{match.group(1).lower()}"
    return env


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def compose(raw) -> ComposeFile:
    return ComposeFile.model_validate(interpolate(raw, fake_env()))


def test_compose_file_validates(compose: ComposeFile) -> None:
    assert compose.name == "fabstack"


def test_the_whole_stack_is_there(compose: ComposeFile) -> None:
    services = compose.services
    for needed in (
        "timescaledb",
        "clickhouse",
        "mosquitto",
        "simulator",
        "ingest-mqtt-1",
        "ingest-mqtt-2",
        "ingest-opcua",
        "dagster-postgres",
        "dagster-code",
        "dagster-webserver",
        "dagster-daemon",
        "grafana",
        "migrate",
        "broker-credentials",
        "dagster-proxy",
    ):
        assert needed in services, needed
    mqtt = [
        s for s in services.values() if s.command and s.command[:3] == ["fab", "ingest", "mqtt"]
    ]
    assert len(mqtt) == 2
    ids = {s.command[s.command.index("--client-id") + 1] for s in mqtt}
    assert len(ids) == 2, "each MQTT ingestor needs its own client id (shared subscription)"


def test_every_long_running_service_has_a_healthcheck_and_restart_policy(compose) -> None:
    for name, service in compose.services.items():
        if name in ONE_SHOTS:
            assert service.restart == "on-failure"
            continue
        assert service.healthcheck is not None, f"{name}: no healthcheck"
        assert service.restart == "unless-stopped", name
        assert service.image or service.build, name


def test_depends_on_and_volumes_refer_to_what_exists(compose) -> None:
    for name, service in compose.services.items():
        for other, dep in service.depends_on.items():
            assert other in compose.services, f"{name} depends on unknown {other}"
            if dep.condition == "service_healthy":
                assert compose.services[other].healthcheck, f"{other} has no healthcheck"
        for volume in service.volumes:
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in compose.volumes, f"{name}: undeclared named volume {source}"
    for data in (
        "timescale-data",
        "clickhouse-data",
        "mosquitto-data",
        "dagster-pg-data",
        "grafana-data",
    ):
        assert data in compose.volumes


def test_bind_mounts_and_build_context_exist(compose) -> None:
    for name, service in compose.services.items():
        if service.build:
            context = REPO / service.build.context
            assert (context / service.build.dockerfile).is_file(), name
        for volume in service.volumes:
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (REPO / source).exists(), f"{name}: mounts missing {source}"
                if source.endswith(".sh"):
                    assert (REPO / source).stat().st_mode & stat.S_IXUSR, f"{source} not +x"


def _fab_command_exists(args: list[str]) -> bool:
    from fabcli.main import app

    group: click.Command = typer.main.get_command(app)
    ctx = click.Context(group)
    for word in args[1:]:
        if word.startswith("-") or not isinstance(group, click.Group):
            break
        group = group.get_command(ctx, word)
        if group is None:
            return False
    return not isinstance(group, click.Group)


def test_every_command_exists(compose) -> None:
    bin_dir = REPO / ".venv" / "bin"
    for name, service in compose.services.items():
        command = service.command or service.entrypoint
        if command is None:
            continue  # image default
        program = command[0]
        if program == "fab":
            assert _fab_command_exists(command), f"{name}: `{' '.join(command)}` is no fab command"
        elif program.startswith(APP_DIR + "/"):
            path = REPO / program[len(APP_DIR) + 1 :]
            assert path.is_file() and path.stat().st_mode & stat.S_IXUSR, f"{name}: {path}"
        elif program.startswith("/fab/"):
            assert any(v.endswith(f":{program}:ro") for v in service.volumes), name
        else:
            assert (bin_dir / program).exists(), f"{name}: {program} not installed"
        for arg in command:
            if arg.startswith(APP_DIR + "/"):
                assert (REPO / arg[len(APP_DIR) + 1 :]).exists(), f"{name}: {arg}"
        if "-m" in command:
            module = command[command.index("-m") + 1]
            assert (REPO / (module.replace(".", "/") + ".py")).exists(), module


def test_scripts_run_only_fab_commands_that_exist() -> None:
    script = (REPO / "deploy" / "migrate.sh").read_text()
    commands = [line.split() for line in script.splitlines() if line.startswith("fab ")]
    assert commands, "migrate.sh runs fab commands"
    for command in commands:
        assert _fab_command_exists(command), " ".join(command)
    assert (REPO / "deploy" / "timescaledb" / "grants.sql").exists()
    assert "/app/deploy/timescaledb/grants.sql" in script


def test_dagster_workspace_points_at_the_code_service(compose) -> None:
    workspace = yaml.safe_load((REPO / "deploy" / "dagster" / "workspace.yaml").read_text())
    grpc = workspace["load_from"][0]["grpc_server"]
    code = compose.services[grpc["host"]]
    assert code.command[code.command.index("-p") + 1] == str(grpc["port"])
    assert (REPO / "orchestration" / "dagster.yaml").exists()


def test_healthcheck_scripts_exist(compose) -> None:
    for name, service in compose.services.items():
        for part in service.healthcheck.test if service.healthcheck else []:
            if part.startswith(APP_DIR + "/"):
                assert (REPO / part[len(APP_DIR) + 1 :]).exists(), name


def test_no_default_passwords_and_every_variable_is_documented(raw) -> None:
    used = variables_used(raw)
    documented = set(fake_env())
    for name, ops in used.items():
        assert name in documented, f"{name} is used by docker-compose.yml but not in .env.example"
        if re.search("PASSWORD|SECRET|TOKEN", name):
            assert ops == {":?"}, f"{name} must be required (${{{name}:?...}}), never defaulted"
    # Literal credentials nowhere: every password-like env value is an interpolation.
    for name, service in raw["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if re.search("PASSWORD", key):
                assert str(value).startswith("${"), f"{name}.{key} is a literal"
            if isinstance(value, str) and "://" in value and "@" in value:
                assert re.search(r":\$\{FAB_[A-Z_]+PASSWORD:\?", value), f"{name}.{key}"


def test_missing_secret_stops_with_its_name(raw) -> None:
    env = fake_env()
    del env["FAB_DB_GRAFANA_PASSWORD"]
    with pytest.raises(InterpolationError, match="FAB_DB_GRAFANA_PASSWORD: set FAB_DB_GRAFANA"):
        interpolate(raw, env)


def test_interpolation_rules() -> None:
    env = {"A": "1", "E": ""}
    assert interpolate("${A}-${B:-x}-${E:-y}-${E-z}-$$A-$A", env) == "1-x-y--$A-1"
    with pytest.raises(InterpolationError, match="E: nope"):
        interpolate("${E:?nope}", env)


def test_mosquitto_acl_gives_each_user_only_its_topics() -> None:
    acl = (REPO / "ingestion" / "config" / "mosquitto" / "acl").read_text()
    users: dict[str, list[str]] = {}
    current = None
    for line in acl.splitlines():
        line = line.strip()
        if line.startswith("user "):
            current = line.split()[1]
            users[current] = []
        elif line.startswith("topic ") and current:
            users[current].append(line)
    assert "topic read fab/v1/#" in users["fab_ingest"]
    assert not any(" write " in t or "readwrite" in t for t in users["fab_ingest"]), "read only"
    assert users["fab_interlock"] == ["topic write fab/v1/+/+/+/command"]
    assert not any("fab/v1" in t for t in users["fab_sim"]), "machines publish as themselves"
    # everyone else writes only as a machine, on its own (%u) non-command channels
    patterns = [line.split() for line in acl.splitlines() if line.startswith("pattern ")]
    assert patterns and all(p[2].startswith("fab/v1/+/+/%u/") for p in patterns)
    writes = {p[2].rsplit("/", 1)[1] for p in patterns if p[1] == "write"}
    assert writes == {"telemetry", "state", "count", "alarm", "inspection"}
    assert [p[2] for p in patterns if p[1] == "read"] == ["fab/v1/+/+/%u/command"]
    conf = (MOSQUITTO / "mosquitto.conf").read_text()
    assert "allow_anonymous false" in conf and "acl_file" in conf and "password_file" in conf


def test_database_init_scripts_take_passwords_from_the_environment() -> None:
    roles = (REPO / "deploy" / "timescaledb" / "roles.sql").read_text()
    for role in ("fab_ingest", "fab_warehouse", "fab_grafana"):
        assert re.search(rf"CREATE ROLE {role} LOGIN PASSWORD :'\w+_password'", roles), role
    assert "default_transaction_read_only = on" in roles
    users = (REPO / "deploy" / "clickhouse" / "10_fab_users.sh").read_text()
    assert "readonly = 1" in users and "GRANT SELECT ON fab.* TO fab_grafana" in users
    assert "INSERT" not in users.split("fab_grafana", 1)[1].split("SQL", 1)[0].replace(
        "GRANT SELECT ON fab.* TO fab_grafana", ""
    )


def _compose_command() -> tuple[list[str], str] | None:
    """A compose CLI that answers (Debian's docker-compose, or the docker compose plugin)."""
    candidates = []
    if shutil.which("docker-compose"):
        candidates.append([shutil.which("docker-compose")])
    if shutil.which("docker"):
        candidates.append([shutil.which("docker"), "compose"])
    for cmd in candidates:
        probe = subprocess.run(
            [*cmd, "version", "--short"], capture_output=True, text=True, timeout=30
        )
        if probe.returncode == 0:
            return cmd, probe.stdout.strip()
    return None


COMPOSE_CLI = _compose_command()


# An extra check where a compose CLI exists (docker is only a client here and has no compose
# plugin); the file is validated everywhere by the pydantic model above.
@pytest.mark.skipif(COMPOSE_CLI is None, reason="no working docker compose CLI on this machine")
def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in fake_env().items()))
    cmd, version = COMPOSE_CLI
    compose_file = COMPOSE
    if version.startswith("1."):
        # docker-compose v1 (Debian's package) validates against an older compose-spec schema
        # that predates the top-level `name`; everything else must pass it unchanged.
        compose_file = tmp_path / "docker-compose.yml"
        compose_file.write_text(re.sub(r"(?m)^name: .*$", "", COMPOSE.read_text()))
    result = subprocess.run(
        [
            *cmd,
            "--project-directory",
            str(REPO),
            "--env-file",
            str(env_file),
            "-f",
            str(compose_file),
            "config",
            "-q",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_only_grafana_and_the_dagster_proxy_are_published(compose) -> None:
    published = {name for name, service in compose.services.items() if service.ports}
    assert published == {"grafana", "dagster-proxy"}
    proxy = compose.services["dagster-proxy"]
    assert [p.split(":")[-1] for p in proxy.ports] == ["8443"], "the proxy's TLS listener"
    caddy = (REPO / "deploy" / "proxy" / "Caddyfile").read_text()
    site = caddy.split(":8443", 1)[1].split("\n}", 1)[0]
    assert "basic_auth" in site and "tls /certs/proxy.crt" in site
    assert "reverse_proxy dagster-webserver:3000" in site
    entrypoint = (REPO / "deploy" / "proxy" / "entrypoint.sh").read_text()
    assert "${FAB_DAGSTER_UI_PASSWORD:?" in entrypoint, "no default UI password"


def test_the_broker_speaks_tls_only_and_clients_verify_it(compose) -> None:
    conf = (MOSQUITTO / "mosquitto.conf").read_text()
    listeners = [line.split() for line in conf.splitlines() if line.startswith("listener ")]
    assert listeners == [["listener", "8883"]], "one listener, the TLS one"
    for key in ("cafile", "certfile", "keyfile"):
        assert re.search(rf"^{key} /mosquitto/data/certs/", conf, re.M), key
    urls = {
        f"{name}.{key}": value
        for name, service in compose.services.items()
        for key, value in service.environment.items()
        if key.startswith("FAB_MQTT") and key.endswith("_URL")
    }
    assert urls, "services reach the broker"
    for where, url in urls.items():
        assert url.startswith("mqtts://") and "@mosquitto:8883?cafile=/fab/certs/ca.crt" in url
        service = compose.services[where.split(".")[0]]
        assert "./deploy/certs/public:/fab/certs:ro" in service.volumes, where
    mosquitto = compose.services["mosquitto"]
    assert "./deploy/certs:/mosquitto/certs:ro" in mosquitto.volumes
    assert mosquitto.depends_on["broker-credentials"].condition == "service_completed_successfully"
    creds = compose.services["broker-credentials"]
    assert creds.command[:3] == ["fab", "broker", "passwd"]


def test_certificates_come_from_make_certs_and_stay_out_of_git() -> None:
    assert "deploy/certs.sh deploy/certs" in (REPO / "Makefile").read_text()
    script = REPO / "deploy" / "certs.sh"
    assert script.stat().st_mode & stat.S_IXUSR
    ignore = (REPO / "deploy" / "certs" / ".gitignore").read_text().splitlines()
    assert "*" in ignore, "keys and certificates are never committed"
    tracked = subprocess.run(
        ["git", "ls-files", "deploy/certs"], capture_output=True, text=True, cwd=REPO
    ).stdout.split()
    assert all(name.endswith((".gitignore", ".gitkeep")) for name in tracked), tracked


def test_opcua_is_encrypted_in_the_deployment(compose) -> None:
    simulator = compose.services["simulator"].command
    assert "--security" not in simulator or "None" not in simulator
    assert "--insecure-opcua" not in " ".join(compose.services["ingest-opcua"].command)
    nodes = yaml.safe_load((REPO / "ingestion" / "config" / "opcua_nodes.yaml").read_text())
    for server in nodes["servers"]:
        assert server["security"]["mode"] == "SignAndEncrypt"
        assert server["security"]["policy"] == "Basic256Sha256"


def test_keys_stay_out_of_the_image() -> None:
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    assert "deploy/certs" in ignored, "the Dockerfile copies deploy/: keep the keys out"
