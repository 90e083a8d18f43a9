"""The benchmark's statistics: Student-t confidence intervals over seeds and paired differences between arms.

Differences between two arms are paired by seed (same subset, same classifier seed) and tested with a paired t-test
(scipy's ``ttest_rel``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def mean_ci(values: list[float], level: float = 0.95) -> tuple[float, float]:
    """Mean and half-width of its Student-t confidence interval (nan half-width for one value)."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        return float(x.mean()), math.nan
    return float(x.mean()), float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))


def paired_difference(a: dict[int, float], b: dict[int, float], level: float = 0.95) -> tuple[float, float, float, int]:
    """Mean of a - b over the seeds both have, the half-width of its CI at ``level``, the paired t-test p-value,
    and n."""
    seeds = sorted(set(a) & set(b))
    diffs = [a[s] - b[s] for s in seeds]
    if not diffs:
        return math.nan, math.nan, math.nan, 0
    mean, half = mean_ci(diffs, level)
    if len(seeds) < 2:
        p = math.nan
    elif np.ptp(diffs) == 0:  # the same difference on every seed: the t statistic is infinite (or 0/0)
        p = 1.0 if mean == 0 else 0.0
    else:
        p = float(stats.ttest_rel([a[s] for s in seeds], [b[s] for s in seeds]).pvalue)
    return mean, half, p, len(seeds)
