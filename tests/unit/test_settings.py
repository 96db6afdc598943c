"""Settings: typed, from FAB_* variables, malformed values named in one line."""

from __future__ import annotations

import re

import pytest

from fabstack.errors import FabError
from fabstack.settings import Settings, load_settings
from tests.conftest import REPO


def test_defaults_need_no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("FAB_PG_DSN", "FAB_MQTT_URL", "FAB_CLICKHOUSE_URL", "FAB_PLANT"):
        monkeypatch.delenv(var, raising=False)
    s = load_settings()
    assert s.pg_dsn is None and s.mqtt_url is None and s.clickhouse_url is None
    assert s.plant == "demo"
    assert s.opcua_url == "opc.tcp://127.0.0.1:4840/fab/"


@pytest.mark.parametrize(
    ("var", "value", "fragment"),
    [
        ("FAB_PG_DSN", "mysql://x@y/z", "FAB_PG_DSN"),
        ("FAB_MQTT_URL", "not a url", "FAB_MQTT_URL"),
        ("FAB_MQTT_URL", "mqtt://host:notaport", "FAB_MQTT_URL"),
        ("FAB_RETENTION_DAYS", "soon", "FAB_RETENTION_DAYS"),
        ("FAB_RETENTION_DAYS", "0", "FAB_RETENTION_DAYS"),
        ("FAB_LOG_LEVEL", "LOUD", "FAB_LOG_LEVEL"),
        ("FAB_CLICKHOUSE_URL", "ftp://x", "FAB_CLICKHOUSE_URL"),
    ],
)
def test_malformed_value_names_the_variable(monkeypatch, var, value, fragment) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(FabError) as err:
        load_settings()
    message = str(err.value)
    assert message.startswith(fragment + ":")
    assert value in message
    assert "\n" not in message


def test_env_example_lists_every_setting_with_its_default() -> None:
    text = (REPO / ".env.example").read_text()
    listed = dict(re.findall(r"^#?\s*(FAB_[A-Z_]+)=(.*)$", text, flags=re.M))
    for name, field in Settings.model_fields.items():
        var = f"FAB_{name.upper()}"
        assert var in listed, f"{var} missing from .env.example"
        if field.default is not None:
            assert listed[var].strip() == str(field.default), f"{var} default differs"
