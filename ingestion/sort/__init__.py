"""Wafer sort (probe) results: landing die bin maps from files and from the simulator."""
