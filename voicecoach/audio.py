"""Self-describing audio: the chunk type every stage passes on, and WAV file helpers."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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


class AudioFileError(ValueError):
    """A WAV file that cannot be read as mono 16-bit audio."""


def read_wav(path: str | Path) -> AudioChunk:
    """Read a 16-bit PCM WAV file; several channels are mixed down to mono."""
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getsampwidth() != 2:
                raise AudioFileError(f"{path}: needs 16-bit PCM, got {8 * wav.getsampwidth()}-bit")
            frames = wav.readframes(wav.getnframes())
            channels, rate_hz = wav.getnchannels(), wav.getframerate()
    except (wave.Error, EOFError) as exc:
        raise AudioFileError(f"{path}: not a readable WAV file ({exc})") from exc
    except OSError as exc:
        raise AudioFileError(f"{path}: {exc.strerror or exc}") from exc
    samples = np.frombuffer(frames, dtype="<i2")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return AudioChunk(samples=samples.astype(np.int16, copy=False), rate_hz=rate_hz)


def write_wav(path: str | Path, chunk: AudioChunk) -> None:
    """Write a chunk as a mono 16-bit PCM WAV file."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(chunk.rate_hz)
        wav.writeframes(np.asarray(chunk.samples, dtype="<i2").tobytes())


def resample(chunk: AudioChunk, rate_hz: int) -> AudioChunk:
    """Linear-interpolation resampling: plenty for speech going to a recognizer or speaker."""
    if chunk.rate_hz == rate_hz or len(chunk.samples) == 0:
        return AudioChunk(chunk.samples, rate_hz if len(chunk.samples) == 0 else chunk.rate_hz, chunk.start_s)
    n_out = int(round(len(chunk.samples) * rate_hz / chunk.rate_hz))
    t_in = np.arange(len(chunk.samples)) / chunk.rate_hz
    t_out = np.arange(n_out) / rate_hz
    out = np.interp(t_out, t_in, chunk.samples.astype(np.float64))
    return AudioChunk(np.clip(np.round(out), -32768, 32767).astype(np.int16), rate_hz, chunk.start_s)
