"""Rates with their uncertainty: small samples prove little, so every figure carries an interval."""

from __future__ import annotations

from math import ceil, floor, sqrt
from statistics import median


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of the proportion k/n."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def rate(k: int, n: int) -> str:
    """"12.5% (1/8, 95% CI 2.2-47.1)"."""
    if n == 0:
        return "   n/a (0)"
    lo, hi = wilson(k, n)
    return f"{100 * k / n:5.1f}% ({k}/{n}, 95% CI {100 * lo:.1f}-{100 * hi:.1f})"


def median_interval(values: list[float], z: float = 1.96) -> tuple[float, float]:
    """A distribution-free 95% interval of the median: the order statistics of ranks j and
    n + 1 - j (1-based), j = n/2 - z*sqrt(n)/2 rounded (n=30: the 10th and 21st, 95.7%)."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return (float("nan"), float("nan"))
    low = min(max(1, floor(n / 2 - z * sqrt(n) / 2 + 0.5)), (n + 1) // 2)
    return ordered[low - 1], ordered[n - low]


def timing(values_s: list[float]) -> str:
    """"median 407 ms (95% CI 393-414), p95 436 ms, n=22" for times in seconds."""
    if not values_s:
        return "none measured"
    ordered = sorted(values_s)
    low, high = median_interval(ordered)
    p95 = ordered[max(0, ceil(0.95 * len(ordered)) - 1)]
    return (f"median {1000 * median(ordered):.0f} ms (95% CI {1000 * low:.0f}-{1000 * high:.0f}), "
            f"p95 {1000 * p95:.0f} ms, n={len(ordered)}")
