"""One module per Grafana board; each exposes ``UID`` and ``build() -> dict`` (the board JSON)."""
