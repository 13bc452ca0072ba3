"""Is there a voice in this frame? A pitch check that tells words from a cough or a bump.

Every word has a vowel, and a spoken vowel is periodic: the vocal folds repeat at 70-400 Hz.
A cough, a knock or rustling bedclothes are noise bursts with no such period. The check is
the normalized autocorrelation of a frame at the pitch lags: near 1 for a vowel, low for noise.
"""

from __future__ import annotations

import numpy as np

PITCH_HZ = (70.0, 400.0)  # the range of speaking voices, low men's to children's
VOICED_CORRELATION = 0.6  # a vowel in quiet scores 0.8-0.95; white or coloured noise stays below 0.5


def periodicity(samples: np.ndarray, rate_hz: int) -> float:
    """The best normalized autocorrelation (0..1) of `samples` at a pitch lag; 0 for silence."""
    x = samples.astype(np.float64)
    x = x - x.mean()
    lo, hi = int(rate_hz / PITCH_HZ[1]), int(rate_hz / PITCH_HZ[0])
    if len(x) < 2 * lo + 1 or not np.any(x):
        return 0.0
    hi = min(hi, len(x) // 2)
    best = 0.0
    for lag in range(lo, hi + 1):
        a, b = x[:-lag], x[lag:]
        denominator = np.sqrt(np.dot(a, a) * np.dot(b, b))
        if denominator > 0:
            best = max(best, float(np.dot(a, b) / denominator))
    return best


def is_voiced(samples: np.ndarray, rate_hz: int) -> bool:
    """True when the frame is periodic at a speaking pitch (a vowel, a hum)."""
    return periodicity(samples, rate_hz) >= VOICED_CORRELATION


def voiced_s(samples: np.ndarray, rate_hz: int, frame_s: float = 0.02) -> float:
    """Seconds of `samples` that are voiced, frame by frame (for a whole recording, where no
    end-pointer has picked out the loud part)."""
    n = max(1, int(round(frame_s * rate_hz)))
    frames = range(0, len(samples) - n + 1, n)
    return sum(frame_s for i in frames if is_voiced(samples[i:i + n], rate_hz))
