"""Rates with their uncertainty: small samples prove little, so every figure carries an interval."""

from __future__ import annotations

from math import sqrt


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
