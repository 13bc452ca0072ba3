"""Self-describing audio: the chunk type every stage passes on, and WAV file helpers."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np

from voicecoach.audio.wav_file import AudioFileError as AudioFileError  # re-exported: callers import it from here
from voicecoach.audio.wav_file import read_wav_file

SAMPLE_RATE_HZ = 16000  # what the recognizers and the microphone use


@dataclass(frozen=True)
class AudioChunk:
    """A block of mono 16-bit samples that knows its rate and where it sits in its stream."""

    samples: np.ndarray  # int16, mono
    rate_hz: int  # Hertz
    start_s: float = 0.0  # seconds from the start of the stream

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate_hz

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


def read_wav(path: str | Path, rate_hz: int | None = None, *, whole: bool = False) -> AudioChunk:
    """A WAV file as mono 16-bit audio, every header field checked (see wav_file.py).

    With rate_hz, a file at another rate is resampled to it with a polyphase filter (whole files
    only: `resample` below is the one for streams)."""
    samples, file_rate_hz = read_wav_file(path, whole=whole)
    chunk = AudioChunk(samples=samples, rate_hz=file_rate_hz)
    return chunk if rate_hz is None or rate_hz == file_rate_hz else resample_file(chunk, rate_hz)


def resample_file(chunk: AudioChunk, rate_hz: int) -> AudioChunk:
    """Band-limited resampling of a whole recording (scipy's resample_poly: anti-aliased, unlike
    linear interpolation, which folds 48 kHz hiss into the speech band)."""
    from scipy.signal import resample_poly  # imported only when a file needs it: it costs memory

    step = gcd(rate_hz, chunk.rate_hz)
    out = resample_poly(chunk.samples.astype(np.float32), rate_hz // step, chunk.rate_hz // step)
    return AudioChunk(np.clip(np.round(out), -32768, 32767).astype(np.int16), rate_hz, chunk.start_s)


def write_wav(path: str | Path, chunk: AudioChunk) -> None:
    """Write a chunk as a mono 16-bit PCM WAV file; a file that cannot be written is an AudioFileError."""
    try:
        with open(path, "wb") as f, wave.open(f, "wb") as wav:  # opened first: no half-built Wave_write
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(chunk.rate_hz)
            wav.writeframes(np.asarray(chunk.samples, dtype="<i2").tobytes())
    except OSError as exc:
        raise AudioFileError(f"cannot write {path}: {exc.strerror or exc}") from None


def resample(chunk: AudioChunk, rate_hz: int) -> AudioChunk:
    """Linear-interpolation resampling: plenty for speech going to a recognizer or speaker."""
    if chunk.rate_hz == rate_hz or len(chunk.samples) == 0:
        return AudioChunk(chunk.samples, rate_hz if len(chunk.samples) == 0 else chunk.rate_hz, chunk.start_s)
    n_out = int(round(len(chunk.samples) * rate_hz / chunk.rate_hz))
    t_in = np.arange(len(chunk.samples)) / chunk.rate_hz
    t_out = np.arange(n_out) / rate_hz
    out = np.interp(t_out, t_in, chunk.samples.astype(np.float64))
    return AudioChunk(np.clip(np.round(out), -32768, 32767).astype(np.int16), rate_hz, chunk.start_s)
