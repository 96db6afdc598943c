"""Maintenance: failure features and labels, the failure model lifecycle, risk and anomalies."""
