"""Where the MQTT broker is and how to log in, from one URL (``mqtt://user:pass@host:1883``).

``mqtts://user:pass@host:8883?cafile=/path/ca.crt`` connects over TLS, trusting that CA file
(the compose broker's certificates come from ``make certs``); without ``cafile`` the system's
trust store is used.

Machines log in with their own identity: the username is the machine id and the password is
derived from one broker secret (``FAB_MQTT_MACHINE_SECRET``) with HMAC-SHA256, so every machine
has its own password, one machine's password reveals no other's, and the broker's password
file and the simulator can both be produced from the secret alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, quote, unquote, urlsplit

from fabstack.errors import FabError

MOSQUITTO_PBKDF2_ITERATIONS = 101  # what mosquitto_passwd 2.x writes ($7$ = PBKDF2-SHA512)


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int = 1883
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    cafile: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise FabError(
                f"broker URL must look like mqtt[s]://[user:pass@]host:1883, got {url!r}"
            )
        tls = parts.scheme == "mqtts"
        cafile = parse_qs(parts.query).get("cafile", [None])[0]
        if cafile and not os.path.isfile(cafile):
            raise FabError(f"broker URL: cafile {cafile!r} does not exist (run `make certs`)")
        return cls(
            host=parts.hostname,
            port=parts.port or (8883 if tls else 1883),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
            cafile=cafile,
        )

    def as_user(self, username: str, password: str) -> BrokerAddress:
        """The same broker, logged in as someone else (a machine's own identity)."""
        return replace(self, username=username, password=password)

    def url(self) -> str:
        auth = ""
        if self.username:
            auth = quote(self.username, safe="")
            if self.password:
                auth += ":" + quote(self.password, safe="")
            auth += "@"
        query = f"?cafile={self.cafile}" if self.cafile else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{auth}{self.host}:{self.port}{query}"

    def tls_kwargs(self) -> dict[str, object]:
        """``tls_params`` for ``aiomqtt.Client`` (nothing for a plain-text broker)."""
        if not self.tls:
            return {}
        import aiomqtt

        return {"tls_params": aiomqtt.TLSParameters(ca_certs=self.cafile)}

    def client_kwargs(self) -> dict[str, object]:
        """Keyword arguments for ``aiomqtt.Client``."""
        return {
            "hostname": self.host,
            "port": self.port,
            "username": self.username,
            "password": self.password,
            **self.tls_kwargs(),
        }


def machine_password(secret: str, machine_id: str) -> str:
    """A machine's own broker password: HMAC-SHA256 of its id under the broker secret."""
    if not secret:
        raise FabError("FAB_MQTT_MACHINE_SECRET: empty; set it in .env to give machines passwords")
    return hmac.new(secret.encode(), machine_id.encode(), hashlib.sha256).hexdigest()[:40]


def mosquitto_password_line(username: str, password: str, salt: bytes | None = None) -> str:
    """One line of a Mosquitto password file, as ``mosquitto_passwd`` 2.x writes it."""
    if not username or ":" in username or "\n" in username:
        raise FabError(f"broker username: no ':' or newline and not empty, got {username!r}")
    salt = salt or os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, MOSQUITTO_PBKDF2_ITERATIONS)
    b64 = base64.b64encode
    return (
        f"{username}:$7${MOSQUITTO_PBKDF2_ITERATIONS}${b64(salt).decode()}${b64(digest).decode()}"
    )


def mosquitto_password_file(users: Iterable[tuple[str, str]]) -> str:
    """A whole password file for (username, password) pairs."""
    return "".join(mosquitto_password_line(u, p) + "\n" for u, p in users)
