"""The virtual bedside's room: what its microphone hears.

The user's voice, the coach's own voice coming back from the speaker (a short delay plus a
decaying tail of reflections), and steady background noise, mixed frame by frame against a
simulated clock. The microphone is lazy: a frame is made only when the listener asks for it,
so the coach's audio (which the session is still producing) is always known by then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from voicecoach.audio.chunks import SAMPLE_RATE_HZ, AudioChunk, resample
from voicecoach.clock import SimulatedClock


@dataclass(frozen=True)
class RoomSettings:
    """A bedroom with a speaker a metre or two from the sleeper's head."""

    echo_gain: float = 0.5  # direct path of the coach's voice at the mic, relative to the speaker signal
    echo_delay_s: float = 0.005  # speaker to microphone
    reverb_s: float = 0.3  # length of the tail of reflections
    reverb_level: float = 0.35  # first reflection, relative to the direct path
    reflections: int = 10
    noise_dbfs: float = -60.0  # steady background noise (RMS); None-like values below -120 mean none
    seed: int = 0


def room_taps(room: RoomSettings, rate_hz: int) -> list[tuple[int, float]]:
    """(delay in samples, gain) of the direct path and the reflections, decaying over `reverb_s`."""
    rng = np.random.default_rng(room.seed)
    taps = [(int(round(room.echo_delay_s * rate_hz)), room.echo_gain)]
    for k in range(1, room.reflections + 1):
        t = room.echo_delay_s + room.reverb_s * k / room.reflections * rng.uniform(0.7, 1.0)
        gain = room.echo_gain * room.reverb_level * np.exp(-3.0 * k / room.reflections) * rng.choice([-1, 1])
        taps.append((int(round(t * rate_hz)), float(gain)))
    return taps


SpeakerWindow = Callable[[int, int], np.ndarray]  # (first sample, count) -> what the speaker played there


class VirtualMicrophone:
    """Frames of what a microphone by the bed hears; each frame moves the simulated clock on.

    `speaker_window(first, n)` returns the speaker's samples at `rate_hz` (zeros where it was
    silent); sample 0 is clock time 0. `add()` puts other sounds (the user) into the room.
    """

    def __init__(self, speaker_window: SpeakerWindow | None, clock: SimulatedClock, room: RoomSettings = RoomSettings(),
                 *, rate_hz: int = SAMPLE_RATE_HZ, frame_samples: int = 320) -> None:
        self.speaker_window = speaker_window
        self.clock = clock
        self.room = room
        self.rate_hz = rate_hz
        self.frame_samples = frame_samples
        self._taps = room_taps(room, rate_hz)
        self._sounds: list[tuple[int, np.ndarray]] = []  # (first sample, float samples)
        self._position = int(round(clock.now() * rate_hz))
        self._rng = np.random.default_rng(room.seed + 1)
        self._noise_rms = 32768.0 * 10 ** (room.noise_dbfs / 20) if room.noise_dbfs > -120 else 0.0

    @property
    def now_s(self) -> float:
        """Clock time of the next sample the microphone will deliver."""
        return self._position / self.rate_hz

    def add(self, chunk: AudioChunk, at_s: float, gain: float = 1.0) -> None:
        """Someone (or something) in the room makes this sound, starting at clock time `at_s`."""
        samples = resample(chunk, self.rate_hz).samples.astype(np.float32) * gain
        self._sounds.append((int(round(at_s * self.rate_hz)), samples))

    def echo(self, first: int, n: int) -> np.ndarray:
        """The coach's voice as the microphone hears it, for samples [first, first + n)."""
        out = np.zeros(n, dtype=np.float32)
        if self.speaker_window is None:
            return out
        for delay, gain in self._taps:
            start = first - delay
            if start + n <= 0:
                continue
            out += gain * self.speaker_window(start, n).astype(np.float32)
        return out

    def _others(self, first: int, n: int) -> np.ndarray:
        out = np.zeros(n, dtype=np.float32)
        for start, samples in self._sounds:
            lo, hi = max(first, start), min(first + n, start + len(samples))
            if lo < hi:
                out[lo - first:hi - first] += samples[lo - start:hi - start]
        return out

    def read_frame(self) -> AudioChunk:
        """The next frame of microphone audio; the clock moves to its end."""
        first, n = self._position, self.frame_samples
        mixed = self.echo(first, n) + self._others(first, n)
        if self._noise_rms:
            mixed += self._rng.normal(0.0, self._noise_rms, n).astype(np.float32)
        self._position += n
        self.clock.advance_to(self._position / self.rate_hz)
        self._sounds = [(s, x) for s, x in self._sounds if s + len(x) > self._position]  # forget what is over
        samples = np.clip(np.round(mixed), -32768, 32767).astype(np.int16)
        return AudioChunk(samples, self.rate_hz, first / self.rate_hz)
