"""SPC: control charts, Phase I limits, Phase II rule checks, capability."""
