"""Defects: Pareto, trends, tool stats, wafer-map signatures and yield."""
