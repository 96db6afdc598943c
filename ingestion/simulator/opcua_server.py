"""The simulator's OPC UA server (asyncua): one object per machine, values from the model.

The node mapping is configuration (``opcua_nodes.yaml``, a ``NodeMap``), not code.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fabstack.errors import FabError

logging.getLogger("asyncua").setLevel(logging.ERROR)  # its warnings are not ours to show
NODE_MAP_FILE = Path(__file__).with_name("opcua_nodes.yaml")
SecurityMode = Literal["None", "Sign", "SignAndEncrypt"]


class VariableSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(
        pattern=r"^(state|reason|part_count|good_count|scrap_count|cycle_time_s"
        r"|sensor:[a-z0-9_]+)$"
    )
    type: Literal["String", "Int64", "Double"]


class NodeMap(BaseModel):
    model_config = ConfigDict(extra="forbid")
    namespace: str
    folder: str = "Machines"
    variables: dict[str, VariableSpec]

    def node_id(self, machine: str, variable: str) -> str:
        return f"{self.folder}/{machine}/{variable}"


def load_node_map(path: Path = NODE_MAP_FILE) -> NodeMap:
    try:
        return NodeMap.model_validate(yaml.safe_load(path.read_text()))
    except (OSError, yaml.YAMLError) as exc:
        raise FabError(f"{path}: {exc}") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise FabError(f"{path}: {field}: {err['msg']}") from None


class PlantOpcUaServer:
    """Hosts Objects/Machines/{machine} and writes the latest values on ``update``."""

    def __init__(
        self,
        url: str,
        node_map: NodeMap,
        home: Path | None = None,
        security: SecurityMode = "SignAndEncrypt",
    ) -> None:
        self.url = url
        self.node_map = node_map
        self.home = home
        self.security = security
        self.server = None
        self.nodes: dict[tuple[str, str], tuple[object, str, object]] = {}

    async def start(self, machines: dict[str, set[str]]) -> None:
        """``machines``: machine id -> its sensor metrics."""
        from asyncua import Server, ua

        server = Server()
        await server.init()
        server.set_endpoint(self.url)
        server.set_server_name("fabstack plant simulator")
        if self.security != "None":
            await self._secure(server, ua)
        else:
            server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        idx = await server.register_namespace(self.node_map.namespace)
        folder = await server.nodes.objects.add_folder(
            ua.NodeId(self.node_map.folder, idx), ua.QualifiedName(self.node_map.folder, idx)
        )
        types = {
            "String": (ua.VariantType.String, ""),
            "Int64": (ua.VariantType.Int64, 0),
            "Double": (ua.VariantType.Double, 0.0),
        }
        for machine, metrics in machines.items():
            obj = await folder.add_object(
                ua.NodeId(f"{self.node_map.folder}/{machine}", idx), ua.QualifiedName(machine, idx)
            )
            for name, var in self.node_map.variables.items():
                if var.source.startswith("sensor:") and var.source[7:] not in metrics:
                    continue
                vtype, initial = types[var.type]
                node = await obj.add_variable(
                    ua.NodeId(self.node_map.node_id(machine, name), idx),
                    ua.QualifiedName(name, idx),
                    ua.Variant(initial, vtype),
                )
                self.nodes[(machine, name)] = (node, var.source, vtype)
        await server.start()
        self.server = server

    async def _secure(self, server, ua) -> None:
        """Basic256Sha256 with a self-signed certificate kept under FAB_HOME/opcua."""
        from asyncua.crypto.cert_gen import setup_self_signed_certificate
        from cryptography.x509.oid import ExtendedKeyUsageOID

        certs = (self.home or Path(".fab")) / "opcua"
        certs.mkdir(parents=True, exist_ok=True)
        cert, key = certs / "server_cert.der", certs / "server_key.pem"
        await setup_self_signed_certificate(
            key,
            cert,
            "urn:fabstack:plant:simulator",
            "127.0.0.1",
            [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH],
            {"countryName": "DE", "organizationName": "fabstack", "commonName": "fab simulator"},
        )
        await server.load_certificate(str(cert))
        await server.load_private_key(str(key))
        policy = {
            "Sign": ua.SecurityPolicyType.Basic256Sha256_Sign,
            "SignAndEncrypt": ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
        }[self.security]
        server.set_security_policy([policy])

    async def update(self, values: dict[str, dict[str, object]]) -> None:
        """``values``: machine -> {source: value}; writes every mapped variable that changed."""
        from asyncua import ua

        for (machine, _name), (node, source, vtype) in self.nodes.items():
            value = values.get(machine, {}).get(source)
            if value is None:
                continue
            await node.write_value(ua.DataValue(ua.Variant(value, vtype)))

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None
