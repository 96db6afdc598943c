"""Broker URLs carry credentials for authenticated brokers (the compose Mosquitto)."""

from __future__ import annotations

import pytest

from fabstack.errors import FabError
from fabstack.mqtt import BrokerAddress


def test_credentials_and_port_come_from_the_url() -> None:
    address = BrokerAddress.parse("mqtt://fab_ingest:s%3Acret@broker:1884")
    assert address.client_kwargs() == {
        "hostname": "broker",
        "port": 1884,
        "username": "fab_ingest",
        "password": "s:cret",
    }
    assert "s:cret" not in repr(address)


def test_plain_url_has_no_credentials() -> None:
    assert BrokerAddress.parse("mqtt://127.0.0.1").client_kwargs()["username"] is None


def test_other_schemes_are_refused_in_one_line() -> None:
    with pytest.raises(FabError, match="broker URL must look like"):
        BrokerAddress.parse("http://x:1")
