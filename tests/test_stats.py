"""The intervals every benchmark prints."""

import random
import statistics

from voicecoach.stats import median_interval, timing, wilson


def test_wilson_interval_of_a_known_rate():
    low, high = wilson(1, 8)
    assert round(low, 3) == 0.022 and round(high, 3) == 0.471
    assert wilson(0, 0) == (0.0, 1.0)


def test_the_median_interval_holds_the_true_median_about_95_times_in_100():
    rng = random.Random(5)
    for n in (15, 30, 100):
        covered = 0
        for _ in range(2000):
            low, high = median_interval([rng.expovariate(1.0) for _ in range(n)])
            covered += low <= statistics.median([0.0, 2 * 0.6931471805599453]) <= high  # ln 2, the median
        assert 0.93 <= covered / 2000 <= 0.99, (n, covered)


def test_timing_reads_in_milliseconds():
    assert timing([0.3, 0.4, 0.5] * 10) == "median 400 ms (95% CI 300-500), p95 500 ms, n=30"
    assert timing([]) == "none measured"
