"""OEE: availability, performance, quality, six big losses, downtime Pareto, MTBF/MTTR."""
