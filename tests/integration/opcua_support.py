"""A small asyncua test server shaped like the simulator's: Objects/Machines/{machine}/{var}."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from asyncua import Server, ua

NAMESPACE = "urn:fabstack:plant"
TYPES = {
    "State": (ua.VariantType.String, "IDLE"),
    "Reason": (ua.VariantType.String, "IDLE"),
    "PartCount": (ua.VariantType.Int64, 0),
}


class PlantTestServer:
    def __init__(
        self,
        port: int,
        machines: dict[str, list[str]],
        certs: Path | None = None,
        mode: str = "None",
    ) -> None:
        self.url = f"opc.tcp://127.0.0.1:{port}/fab/"
        self.machines = machines
        self.certs = certs
        self.mode = mode
        self.nodes: dict[tuple[str, str], object] = {}
        self.server: Server | None = None

    async def start(self) -> PlantTestServer:
        server = Server()
        await server.init()
        server.set_endpoint(self.url)
        if self.mode == "None":
            server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        else:
            await server.load_certificate(str(self.certs / "server_cert.der"))
            await server.load_private_key(str(self.certs / "server_key.pem"))
            server.set_security_policy(
                [
                    {
                        "Sign": ua.SecurityPolicyType.Basic256Sha256_Sign,
                        "SignAndEncrypt": ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
                    }[self.mode]
                ]
            )
        idx = await server.register_namespace(NAMESPACE)
        folder = await server.nodes.objects.add_folder(
            ua.NodeId("Machines", idx), ua.QualifiedName("Machines", idx)
        )
        for machine, variables in self.machines.items():
            obj = await folder.add_object(
                ua.NodeId(f"Machines/{machine}", idx), ua.QualifiedName(machine, idx)
            )
            for var in variables:
                vtype, initial = TYPES.get(var, (ua.VariantType.Double, 0.0))
                self.nodes[(machine, var)] = await obj.add_variable(
                    ua.NodeId(f"Machines/{machine}/{var}", idx),
                    ua.QualifiedName(var, idx),
                    ua.Variant(initial, vtype),
                )
        await server.start()
        self.server = server
        return self

    async def write(
        self, machine: str, var: str, value: object, *, ts: datetime | None = None, status: int = 0
    ) -> None:
        vtype, _ = TYPES.get(var, (ua.VariantType.Double, 0.0))
        dv = ua.DataValue(
            ua.Variant(value, vtype),
            StatusCode=ua.StatusCode(status),
            SourceTimestamp=ts or datetime.now(UTC),
        )
        await self.nodes[(machine, var)].write_value(dv)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None
