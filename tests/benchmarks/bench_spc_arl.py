"""SPC chart performance by simulation: in-control ARL per rule set and detection delay of
sustained mean shifts (x-bar chart, n = 5, Phase I limits estimated from 25-50 subgroups).

Run: .venv/bin/python -m tests.benchmarks.bench_spc_arl
"""

from __future__ import annotations

import json
import time

import numpy as np

from assets.spc.performance import detection_delays, in_control_arl


def main() -> None:
    began = time.perf_counter()
    arl_rule1 = in_control_arl(seed=7, rules=(1,), runs=1000)
    arl_we = in_control_arl(seed=7, rules=(1, 2, 3, 4), runs=400)
    print(
        f"in-control ARL, rule 1 alone: {arl_rule1:.0f} subgroups (theory 370 with known "
        "parameters)"
    )
    print(f"in-control ARL, rules 1-4:   {arl_we:.0f} subgroups")
    delays = {}
    for shift in (0.5, 1.0, 1.5, 2.0, 3.0):
        d_we = detection_delays(seed=11, shift_sigma=shift, runs=300)
        d_r1 = detection_delays(seed=11, shift_sigma=shift, rules=(1,), runs=300)
        delays[shift] = (float(d_we.mean()), float(np.median(d_we)), float(d_r1.mean()))
        print(
            f"shift {shift:.1f} sigma: rules 1-4 mean delay {d_we.mean():.2f} (median "
            f"{np.median(d_we):.0f}), rule 1 alone {d_r1.mean():.2f} subgroups"
        )
    print(
        json.dumps(
            {
                "arl_in_control_rule1_subgroups": round(arl_rule1, 1),
                "arl_in_control_rules1to4_subgroups": round(arl_we, 1),
                **{
                    f"mean_delay_rules1to4_shift{k}sigma_subgroups": round(v[0], 2)
                    for k, v in delays.items()
                },
                **{
                    f"mean_delay_rule1_shift{k}sigma_subgroups": round(v[2], 2)
                    for k, v in delays.items()
                },
                "seconds": round(time.perf_counter() - began, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
