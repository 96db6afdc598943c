"""Constants and checks the maintenance modules share: failure reasons, risk bands, horizons."""

from __future__ import annotations

from fabstack.errors import FabError

# Unplanned DOWN reasons that count as a failure. PM, breaks, interlocks and operator stops do not.
FAILURE_REASONS: tuple[str, ...] = ("WEAR_OUT", "ELECTRICAL", "VACUUM_LEAK")

HIGH_THRESHOLD = 0.7
MEDIUM_THRESHOLD = 0.4
ACTIONS = {
    "HIGH": "SCHEDULE MAINTENANCE IMMEDIATELY",
    "MEDIUM": "MONITOR CLOSELY, SCHEDULE WITHIN 1 WEEK",
    "LOW": "NORMAL OPERATION",
}

DEFAULT_HORIZON_DAYS = 7
MIN_HORIZON_DAYS = 1
MAX_HORIZON_DAYS = 14
LOOKBACK_DAYS = 30
MODEL_NAME = "failure_risk"


def check_horizon(horizon_days: object) -> int:
    """The label horizon in whole days, 1-14, or a FabError naming the value."""
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int | float):
        raise FabError(f"horizon_days: expected a whole number of days 1-14, got {horizon_days!r}")
    if int(horizon_days) != horizon_days or not (
        MIN_HORIZON_DAYS <= horizon_days <= MAX_HORIZON_DAYS
    ):
        raise FabError(
            f"horizon_days: must be a whole number of days between {MIN_HORIZON_DAYS} and "
            f"{MAX_HORIZON_DAYS}, got {horizon_days!r}"
        )
    return int(horizon_days)


def risk_band(probability: float) -> str:
    """HIGH above 0.7, MEDIUM above 0.4, else LOW."""
    if probability > HIGH_THRESHOLD:
        return "HIGH"
    if probability > MEDIUM_THRESHOLD:
        return "MEDIUM"
    return "LOW"


def one_thread():
    """Run scikit-learn single-threaded: on a few hundred rows OpenMP start-up costs more than
    it saves, and a busy machine makes it far worse (each tree's predict waits on threads)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)
