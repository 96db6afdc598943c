"""Forecasting: vectorised Monte Carlo capacity and on-time forecasts, and the ETS cross-check."""
