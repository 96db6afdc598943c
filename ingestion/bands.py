"""Value bands per machine and metric, derived from the machine limits.

Two bands, two meanings:
- the operating limit ([min_value, max_value]) holds while a tool processes. Real data leaves
  it: an idle chamber's RF power and gas flow drop towards zero, and a temperature excursion
  ramps a few degrees past the maximum until the interlock stops the tool. Only the upper
  limit is reported (a warning: excursions are events for SPC and alerts, not bad data).
- the plausible band is what a working sensor can show at all, idle or not: from
  min(min_value, 0) - span to max_value + max(span, |max_value|), span being the operating
  span (max - min; for a one-sided limit twice its distance from the setpoint). A reading
  outside it is a broken sensor, a wrong unit or a corrupt message, and blocks the day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def operating_band(limits: pd.DataFrame) -> pd.DataFrame:
    """machine_id, metric, low, high: the machine limits as they are (NaN = no bound)."""
    return pd.DataFrame(
        {
            "machine_id": limits["machine_id"],
            "metric": limits["metric"],
            "low": limits["min_value"].astype(float),
            "high": limits["max_value"].astype(float),
        }
    )


def plausible_band(limits: pd.DataFrame) -> pd.DataFrame:
    """machine_id, metric, low, high: what a working sensor can read, idle or processing."""
    low = limits["min_value"].astype(float)
    high = limits["max_value"].astype(float)
    setpoint = limits["setpoint"].astype(float)
    one_sided = 2 * np.fmax((high - setpoint).abs(), (setpoint - low).abs())
    span = (high - low).where(low.notna() & high.notna(), one_sided)
    floor = np.fmin(low.fillna(0.0), 0.0)  # idle readings fall towards zero (and noise below)
    return pd.DataFrame(
        {
            "machine_id": limits["machine_id"],
            "metric": limits["metric"],
            "low": floor - span,
            "high": high + np.fmax(span, high.abs()),
        }
    )


def with_band(profile: pd.DataFrame, band: pd.DataFrame) -> pd.DataFrame:
    """The sensor profile with the band's low/high and ``has_limits`` per machine and metric."""
    merged = profile.merge(band, on=["machine_id", "metric"], how="left", indicator=True)
    merged["has_limits"] = merged.pop("_merge").eq("both")
    return merged
