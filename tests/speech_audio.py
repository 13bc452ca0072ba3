"""Test audio made on the spot: tones, low noise, and speech synthesized with espeak-ng.

Named by what it says; nothing is downloaded and nothing is written into the repository.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from functools import lru_cache

import numpy as np
import pytest

from voicecoach.audio.chunks import AudioChunk, resample

RATE_HZ = 16000


def noise(seconds: float, *, level_db: float = -60.0, seed: int = 0, n: int | None = None) -> np.ndarray:
    """White noise at `level_db` dBFS RMS (int16): "quiet room", never digital silence."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(int(round(seconds * RATE_HZ)) if n is None else n) * 32768 * 10 ** (level_db / 20)
    return np.clip(x, -32768, 32767).astype(np.int16)


def tone(seconds: float, *, freq_hz: float = 440.0, level_db: float = -20.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE_HZ)) / RATE_HZ
    return (np.sin(2 * np.pi * freq_hz * t) * 32768 * 10 ** (level_db / 20) * np.sqrt(2)).astype(np.int16)


def place(parts: list[np.ndarray], *, floor_db: float = -60.0, seed: int = 0) -> AudioChunk:
    """Concatenate parts and add a low noise floor throughout."""
    x = np.concatenate(parts).astype(np.int32)
    x = x + noise(0, level_db=floor_db, seed=seed, n=len(x))
    return AudioChunk(np.clip(x, -32768, 32767).astype(np.int16), RATE_HZ)


@lru_cache(maxsize=256)
def _espeak(text: str, voice: str, rate_wpm: int) -> bytes:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    out = subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate_wpm), "--stdout", text],
                         check=True, capture_output=True).stdout
    return out


def speech(text: str, *, voice: str = "en-us", rate_wpm: int = 150, lead_s: float = 0.5,
           tail_s: float = 0.6, level_db: float = -20.0, floor_db: float = -60.0, seed: int = 0) -> AudioChunk:
    """`text` spoken by espeak-ng, normalized to `level_db` dBFS RMS, between stretches of low noise."""
    with wave.open(io.BytesIO(_espeak(text, voice, rate_wpm))) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    x = resample(AudioChunk(x, rate), RATE_HZ).samples.astype(np.float64)
    rms = np.sqrt(np.mean(x**2)) or 1.0
    x = np.clip(x * (32768 * 10 ** (level_db / 20)) / rms, -32768, 32767).astype(np.int16)
    zeros = np.zeros
    return place([zeros(int(lead_s * RATE_HZ), np.int16), x, zeros(int(tail_s * RATE_HZ), np.int16)],
                 floor_db=floor_db, seed=seed)


@lru_cache(maxsize=1)
def _piper():
    pytest.importorskip("piper", reason="piper-tts is not installed")
    from voicecoach.voice.piper import PiperRenderer

    return PiperRenderer()


@lru_cache(maxsize=64)
def _neural(text: str, rate_wpm: int) -> np.ndarray:
    from voicecoach.voice.renderers import VoiceSettings

    return resample(_piper().render(text, VoiceSettings(rate_wpm=rate_wpm)), RATE_HZ).samples


def neural_speech(text: str, *, rate_wpm: int = 150, lead_s: float = 0.5, tail_s: float = 0.6,
                  level_db: float = -20.0, floor_db: float = -60.0, seed: int = 0) -> AudioChunk:
    """`text` spoken by the neural voice (Piper, the coach's own), like `speech`: a voice closer
    to a person's than espeak-ng's (whose "hurts" Whisper hears as "birds" or "earth")."""
    x = _neural(text, rate_wpm).astype(np.float64)
    rms = np.sqrt(np.mean(x**2)) or 1.0
    x = np.clip(x * (32768 * 10 ** (level_db / 20)) / rms, -32768, 32767).astype(np.int16)
    zeros = np.zeros
    return place([zeros(int(lead_s * RATE_HZ), np.int16), x, zeros(int(tail_s * RATE_HZ), np.int16)],
                 floor_db=floor_db, seed=seed)


def cough(seed: int = 0, level_dbfs: float = -26.0) -> AudioChunk:
    """A cough-like burst: band-limited noise, loud at once, fading over about 250 ms; no voice in it."""
    rng = np.random.default_rng(seed)
    n = int(0.3 * RATE_HZ)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / RATE_HZ)
    spectrum[(f < 200) | (f > 4000)] = 0
    t = np.arange(n) / RATE_HZ
    x = np.fft.irfft(spectrum, n) * np.minimum(1, t / 0.01) * np.exp(-t / 0.08)
    x *= 32768 * 10 ** (level_dbfs / 20) / np.sqrt(np.mean(x[: n // 3] ** 2))
    return AudioChunk(np.clip(x, -32768, 32767).astype(np.int16), RATE_HZ)
