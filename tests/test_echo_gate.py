"""The echo gate: frames no louder than the coach's leftovers are gated, over the whole band and
above 3 kHz (where the "s" of "stop" lives while the coach's vowels do not).

Signals here are synthetic on purpose (tones and noise with known levels); the gate on real
speech, real echo and the real canceller is exercised in tests/test_bargein.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach.ears.echo import EchoGate, band_level_db
from voicecoach.ears.vad import level_db

RATE = 16000
FRAME = 320  # 20 ms, as the gate assumes


def tone(hz: float, dbfs: float, n: int = FRAME, phase: float = 0.0) -> np.ndarray:
    t = np.arange(n) / RATE
    return (np.sqrt(2) * 32768 * 10 ** (dbfs / 20) * np.sin(2 * np.pi * hz * t + phase)).astype(np.int16)


def hiss(dbfs: float, low_hz: float, seed: int, n: int = FRAME) -> np.ndarray:
    """Noise above `low_hz` at `dbfs` RMS: a stand-in for a soft "s"."""
    spectrum = np.fft.rfft(np.random.default_rng(seed).normal(size=n))
    spectrum[np.fft.rfftfreq(n, 1 / RATE) < low_hz] = 0
    x = np.fft.irfft(spectrum, n)
    return (x / np.sqrt(np.mean(x ** 2)) * 32768 * 10 ** (dbfs / 20)).astype(np.int16)


@pytest.mark.parametrize("dbfs", [-50.0, -30.0])
def test_band_level_matches_the_whole_band_level_where_the_sound_is(dbfs):
    high, low = tone(5000, dbfs), tone(500, dbfs)
    assert band_level_db(high, 3000, RATE) == pytest.approx(level_db(high), abs=0.5)
    assert band_level_db(low, 3000, RATE) < dbfs - 40  # a vowel-like tone leaves the band empty
    white = (np.random.default_rng(0).normal(0, 32768 * 10 ** (dbfs / 20), 4000)).astype(np.int16)
    assert band_level_db(white, 4000, RATE) == pytest.approx(dbfs - 3, abs=0.5)  # the top half of the band


def run_gate(gate: EchoGate, frames: int, extra=None, band_until: int | None = None) -> list[bool]:
    """The coach says a vowel (reference -20 dBFS, with a little at 4.5 kHz, -55 dBFS); its
    leftovers after cancellation sit 25 dB lower, with faint room hiss. `extra(i)` adds the
    user's sound to frame i; from frame `band_until` on the coach has nothing at 4.5 kHz.
    True: the frame passed."""
    passed = []
    for i in range(frames):
        high = band_until is None or i < band_until
        reference = tone(220, -20, phase=i) + (tone(4500, -55, phase=i) if high else 0)
        cleaned = tone(220, -45, phase=i) + (tone(4500, -80, phase=i) if high else 0) + hiss(-88, 0, seed=i)
        if extra is not None:
            cleaned = np.clip(cleaned.astype(np.int32) + extra(i), -32768, 32767).astype(np.int16)
        out = gate.gate(cleaned, reference)
        passed.append(out is cleaned)
    return passed


def soft_s(i: int) -> np.ndarray:
    # From frame 300 on: 17 dB under the leftovers' whole-band level, 17 dB over them in the band.
    return hiss(-62, 3500, seed=1000 + i) if i >= 300 else np.zeros(FRAME, np.int16)


def test_the_coach_alone_is_gated():
    assert not any(run_gate(EchoGate(), 300))


def test_a_soft_s_over_the_coach_passes_by_its_band_and_only_so():
    with_band = run_gate(EchoGate(), 310, soft_s)
    assert not any(with_band[:300]) and all(with_band[300:])
    assert not any(run_gate(EchoGate(band_low_hz=None), 310, soft_s))  # the whole band alone keeps it shut


def test_steady_hiss_in_the_band_never_passes():
    # Louder in the band than the coach's leftovers, but always there: the band's leak includes it.
    steady = run_gate(EchoGate(), 400, lambda i: hiss(-62, 3500, seed=i))
    assert not any(steady)


def test_room_hiss_passes_neither_when_the_coach_has_long_had_nothing_in_the_band():
    # The coach's expected leftovers in the band fall far below the room's hiss: the floor holds.
    later = run_gate(EchoGate(), 400, lambda i: hiss(-80, 3500, seed=i), band_until=100)
    assert not any(later)
    assert any(run_gate(EchoGate(band_floor_db=-100), 400, lambda i: hiss(-80, 3500, seed=i), band_until=100))


def test_a_soft_s_needs_the_margin_over_the_leftovers_in_the_band():
    assert not any(run_gate(EchoGate(band_margin_db=20), 310, soft_s))


@pytest.mark.parametrize("frame", [320, 480])  # the virtual room's 20 ms, a device's 30 ms
def test_the_room_is_held_to_ring_for_0_3_s_whatever_the_frame_length(frame):
    gate = EchoGate()
    for i in range(150):
        gate.gate(tone(220, -45, n=frame, phase=i), tone(220, -20, n=frame, phase=i))
    silent, before = np.zeros(frame, np.int16), gate.gated_frames
    for i in range(30):  # the coach has stopped; its leftovers (the room) ring on
        gate.gate(tone(220, -45, n=frame, phase=i), silent)
    assert (gate.gated_frames - before) * frame / RATE == pytest.approx(0.3, abs=0.031)
