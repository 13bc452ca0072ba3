"""Echo handling: keep the coach's own voice out of what the listener hears.

Two stages, both fed with the reference (what the speaker played during each microphone
frame): a Speex adaptive echo canceller (the `pyaec` package) learns the path from speaker
to microphone and subtracts it; then an echo gate treats as silence any frame that is no
louder than the canceller's leftovers of the coach's voice would be, so the end-pointer does
not open on them. The user's "stop" over the coach stays well above both.
See docs/benchmarks.md, "Barge-in", for what each stage was measured to do.
"""

from __future__ import annotations

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


class EchoGate:
    """Silences frames that are no louder than the coach's voice, after cancellation, would leave.

    It learns how far below the reference the leftovers sit (a low percentile over recent
    frames while the coach talks: the user speaks now and then, the coach most of the time)
    and lets a frame through only when it is `margin_db` above that. The reference level is
    the loudest of the last `tail_s`, because the room keeps ringing after the coach stops.
    """

    # The margin: see ListenerSettings.echo_gate_margin_db (why 10 dB).
    def __init__(self, *, margin_db: float = 10.0, window_frames: int = 200, tail_s: float = 0.3,
                 frame_s: float = 0.02, initial_leak_db: float = -6.0, quiet_reference_db: float = -70.0,
                 gated_gain_db: float = -45.0) -> None:
        self.margin_db = margin_db
        self._gated_gain = 10 ** (gated_gain_db / 20)
        self.quiet_reference_db = quiet_reference_db
        self._leaks: deque[float] = deque(maxlen=window_frames)
        self._recent_ref: deque[float] = deque(maxlen=max(1, int(round(tail_s / frame_s))))
        self._initial_leak_db = initial_leak_db
        self.gated_frames = 0

    @property
    def leak_db(self) -> float:
        """How far below the reference the coach's leftover voice sits, in dB (negative)."""
        if len(self._leaks) < 25:
            return self._initial_leak_db
        return float(np.percentile(self._leaks, 20))

    def gate(self, cleaned: np.ndarray, reference: np.ndarray) -> np.ndarray:
        ref_db = level_db(reference)
        self._recent_ref.append(ref_db)
        loudest_ref = max(self._recent_ref)
        if loudest_ref <= self.quiet_reference_db:
            return cleaned  # the coach is silent: nothing to gate
        out_db = level_db(cleaned)
        if ref_db > self.quiet_reference_db:
            self._leaks.append(out_db - ref_db)
        if out_db < loudest_ref + self.leak_db + self.margin_db:
            self.gated_frames += 1
            return (cleaned * self._gated_gain).astype(np.int16)  # left as room tone, not as speech
        return cleaned
