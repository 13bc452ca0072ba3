"""Echo handling: keep the coach's own voice out of what the listener hears.

Two stages, both fed with the reference (what the speaker played during each microphone
frame): a Speex adaptive echo canceller (the `pyaec` package) learns the path from speaker
to microphone and subtracts it; then an echo gate treats as silence any frame that is no
louder than the canceller's leftovers of the coach's voice would be, over the whole band or
above 3 kHz, so the end-pointer does not open on them. The user's "stop" over the coach stays
well above both.
See docs/benchmarks.md, "Barge-in", for what each stage was measured to do.
"""

from __future__ import annotations

import functools
from collections import deque
from typing import Protocol

import numpy as np

from voicecoach.ears.vad import level_db


class EchoCanceller(Protocol):
    def cancel(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """Mic samples with the echo of `reference` (what the speaker played then) removed."""


class SpeexEchoCanceller:
    """Speex's multi-delay block frequency-domain adaptive filter, through `pyaec`.

    `frame_samples` is the block it works on (10 ms at 16 kHz); `tail_s` must cover the
    room's echo path (the delay plus the reflections worth removing). `suppress_residual`
    adds Speex's preprocessor, which also suppresses what the filter leaves over.
    """

    def __init__(self, rate_hz: int = 16000, *, frame_samples: int = 160, tail_s: float = 0.256,
                 suppress_residual: bool = False) -> None:
        try:
            import pyaec
        except (ImportError, OSError) as exc:
            raise RuntimeError(f"echo cancellation needs the pyaec package ({exc}); pip install pyaec") from exc
        self.frame_samples = frame_samples
        self._aec = pyaec.Aec(frame_samples, int(tail_s * rate_hz), rate_hz, suppress_residual)

    def cancel(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        n = self.frame_samples
        if len(reference) != len(mic):
            raise ValueError(f"echo cancellation needs as many reference samples as mic samples, got "
                             f"{len(reference)} and {len(mic)}")
        out = np.array(mic, dtype=np.int16)  # a last partial block (end of a file) passes as it is
        for i in range(0, len(mic) - n + 1, n):
            out[i:i + n] = self._aec.cancel_echo(mic[i:i + n].tolist(), reference[i:i + n].tolist())
        return out


class _Leftovers:
    """How loud the coach's voice is after cancellation, in one band, against the reference.

    The leak is a low percentile, over recent frames while the coach talks, of the leftovers'
    level minus the reference's (the user speaks now and then, the coach most of the time);
    the reference level is the loudest of the last `tail_frames`, because the room keeps
    ringing after the coach stops.
    """

    def __init__(self, window_frames: int, tail_frames: int, quiet_reference_db: float) -> None:
        self._leaks: deque[float] = deque(maxlen=window_frames)
        self._recent_ref: deque[float] = deque(maxlen=tail_frames)
        self.quiet_reference_db = quiet_reference_db

    def add(self, out_db: float, ref_db: float) -> None:
        self._recent_ref.append(ref_db)
        if ref_db > self.quiet_reference_db:
            self._leaks.append(out_db - ref_db)

    @property
    def loudest_ref_db(self) -> float:
        return max(self._recent_ref, default=-100.0)

    def leak_db(self) -> float | None:
        """The leak in dB (negative); None until 25 frames have been heard."""
        if len(self._leaks) < 25:
            return None
        return float(np.percentile(self._leaks, 20))


class EchoGate:
    """Silences frames that are no louder than the coach's voice, after cancellation, would leave.

    A frame passes when it is `margin_db` above the expected leftovers over the whole band, or
    `band_margin_db` above them in the band from `band_low_hz` up. The second test is for the
    start of "stop": its "s" lives above 3 kHz and is soft over the whole band, while the coach's
    leftovers there are low most of the time (its vowels sit lower). The band must also be
    `band_floor_db` above its own quiet level (the 5th percentile of the last 5 s): when the coach
    has had nothing in the band for a while its expected leftovers there fall below the room's
    hiss, and without the floor the hiss would pass (12 self-onsets a session at the demo's echo).
    """

    # The margins: see ListenerSettings.echo_gate_margin_db and echo_gate_band_margin_db.
    def __init__(self, *, margin_db: float = 10.0, window_s: float = 4.0, tail_s: float = 0.3,
                 initial_leak_db: float = -6.0, quiet_reference_db: float = -70.0, gated_gain_db: float = -45.0,
                 band_low_hz: float | None = 3000.0, band_margin_db: float = 10.0, band_floor_db: float = 6.0,
                 band_floor_window_s: float = 5.0, rate_hz: int = 16000) -> None:
        self.margin_db = margin_db
        self._gated_gain = 10 ** (gated_gain_db / 20)
        self.quiet_reference_db = quiet_reference_db
        self._windows_s = (window_s, tail_s, band_floor_window_s)
        self._initial_leak_db = initial_leak_db
        self.band_low_hz = band_low_hz
        self.band_margin_db = band_margin_db
        self.band_floor_db = band_floor_db
        self.rate_hz = rate_hz
        self.gated_frames = 0
        self.last_gated = False  # whether the last frame was gated
        self._frame_s = 0.02  # until the first frame tells (the virtual room's are 20 ms, a device's 30)
        self._sized = False
        self._size()

    def _size(self) -> None:
        """Histories in frames for windows given in seconds."""
        window_s, tail_s, floor_s = self._windows_s
        frames = lambda seconds: max(1, int(round(seconds / self._frame_s)))  # noqa: E731
        self._whole = _Leftovers(frames(window_s), frames(tail_s), self.quiet_reference_db)
        self._band = _Leftovers(frames(window_s), frames(tail_s), self.quiet_reference_db) if self.band_low_hz else None
        self._band_levels: deque[float] = deque(maxlen=frames(floor_s))

    @property
    def leak_db(self) -> float:
        """How far below the reference the coach's leftover voice sits, in dB (negative)."""
        leak = self._whole.leak_db()
        return self._initial_leak_db if leak is None else leak

    def gate(self, cleaned: np.ndarray, reference: np.ndarray) -> np.ndarray:
        if not self._sized and len(cleaned):  # the first frame tells the frame length
            self._sized, self._frame_s = True, len(cleaned) / self.rate_hz
            self._size()
        ref_db, out_db = level_db(reference), level_db(cleaned)
        self._whole.add(out_db, ref_db)
        self.last_gated = False
        if self._whole.loudest_ref_db <= self.quiet_reference_db:
            return cleaned  # the coach is silent: nothing to gate
        if out_db >= self._whole.loudest_ref_db + self.leak_db + self.margin_db or self._band_passes(cleaned, reference):
            return cleaned
        self.gated_frames += 1
        self.last_gated = True
        return (cleaned * self._gated_gain).astype(np.int16)  # left as room tone, not as speech

    def _band_passes(self, cleaned: np.ndarray, reference: np.ndarray) -> bool:
        if self._band is None or self.band_low_hz is None:
            return False
        out_db = band_level_db(cleaned, self.band_low_hz, self.rate_hz)
        self._band.add(out_db, band_level_db(reference, self.band_low_hz, self.rate_hz))
        self._band_levels.append(out_db)
        leak = self._band.leak_db()  # None until learned: a coach with nothing in the band teaches nothing
        if leak is None:
            return False
        floor = float(np.percentile(self._band_levels, 5))
        return out_db >= max(self._band.loudest_ref_db + leak + self.band_margin_db, floor + self.band_floor_db)


def band_level_db(samples: np.ndarray, low_hz: float, rate_hz: int) -> float:
    """Level of int16 samples from `low_hz` up to half the sample rate, in dBFS (as level_db:
    white noise at -40 dBFS gives -43 dB for the top half of the band)."""
    if len(samples) < 2:
        return -100.0
    window, in_band, scale = _band_analysis(len(samples), low_hz, rate_hz)
    spectrum = np.fft.rfft(samples.astype(np.float64) / 32768.0 * window)
    power = scale * float(np.sum(np.abs(spectrum[in_band]) ** 2))
    return 10.0 * float(np.log10(max(power, 1e-10)))


@functools.lru_cache(maxsize=8)
def _band_analysis(n: int, low_hz: float, rate_hz: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Window, band mask and power scale for `n`-sample frames (the same for every frame)."""
    window = np.hanning(n)
    in_band = np.fft.rfftfreq(n, 1.0 / rate_hz) >= low_hz
    return window, in_band, 2.0 / (n * float(np.sum(window ** 2)))
