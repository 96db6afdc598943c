"""Pydantic models and loaders for ingestion configuration (YAML files in ingestion/config)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from fabstack.errors import FabError

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"
INTERLOCKS_FILE = CONFIG_DIR / "interlocks.yaml"
OPCUA_FILE = CONFIG_DIR / "opcua_nodes.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InterlockRule(_Strict):
    id: str = Field(min_length=1)
    metric: str = Field(min_length=1)
    op: Literal[">", ">=", "<", "<="]
    threshold: float
    machine_type: str | None = None
    machines: list[str] = []
    rearm_margin: float = Field(0.0, ge=0)
    cooldown_s: float = Field(60.0, ge=0)
    action: Literal["stop"] = "stop"

    @model_validator(mode="after")
    def _targets(self) -> InterlockRule:
        if not self.machine_type and not self.machines:
            raise ValueError("give machine_type or machines")
        return self


class InterlockConfig(_Strict):
    rules: list[InterlockRule] = []


class Security(_Strict):
    """Signed and encrypted by default. ``None`` must be asked for in the config and allowed
    on the command line (``fab ingest opcua --allow-insecure``)."""

    mode: Literal["None", "Sign", "SignAndEncrypt"] = "SignAndEncrypt"
    policy: Literal["None", "Basic256Sha256"] = "Basic256Sha256"
    # client certificate (DER or PEM) and key; both unset = a self-signed pair made on first use
    certificate: Path | None = None
    private_key: Path | None = None
    server_certificate: Path | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Security:
        if (self.mode == "None") != (self.policy == "None"):
            raise ValueError(f"mode {self.mode} does not go with policy {self.policy}")
        if (self.certificate is None) != (self.private_key is None):
            raise ValueError("give both certificate and private_key, or neither (self-signed)")
        return self

    @property
    def insecure(self) -> bool:
        return self.mode == "None"


INSECURE = Security(mode="None", policy="None")  # tests and explicitly insecure servers


class VariableMap(_Strict):
    """One OPC UA variable (browse name under each machine object) -> landing.

    ``sensor_reading``: a reading of ``metric``; ``machine_state``: the state string, with the
    reason code taken from the machine's ``state_reason`` variable; ``state_reason``: only
    remembered for the next state row.
    """

    table: Literal["sensor_reading", "machine_state", "state_reason"] = "sensor_reading"
    metric: str | None = None  # sensor_reading metric; defaults to the lower-cased name


class OpcuaServer(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    url: str | None = None  # None = FAB_OPCUA_URL
    namespace: str = "urn:fabstack:plant"
    machines_path: list[str] = ["Objects", "Machines"]
    publishing_interval_ms: int = Field(500, ge=10)
    security: Security = Security()
    variables: dict[str, VariableMap]
    batch_size: int = Field(1000, ge=1, le=10_000)  # nodes per browse/subscribe request


class OpcuaConfig(_Strict):
    servers: list[OpcuaServer] = Field(min_length=1)


def _load(path: Path, model: type[BaseModel]) -> BaseModel:
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise FabError(f"{path}: no such file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise FabError(f"{path}{line}: not valid YAML") from None
    try:
        return model.model_validate(data or {})
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"]) or "file"
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise FabError(f"{path}: {where}: {msg} (got {err.get('input')!r})") from None


def load_interlocks(path: Path | str = INTERLOCKS_FILE) -> InterlockConfig:
    return _load(Path(path), InterlockConfig)  # type: ignore[return-value]


def load_opcua(path: Path | str = OPCUA_FILE) -> OpcuaConfig:
    return _load(Path(path), OpcuaConfig)  # type: ignore[return-value]
