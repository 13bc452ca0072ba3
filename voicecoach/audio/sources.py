"""Audio sources: a WAV file or a microphone, both iterators of AudioChunk (one loop downstream).

The file source is the "virtual bedside": it streams a recording in real-time-sized frames,
paced by a Clock (real speed with RealClock, instantly with SimulatedClock). The microphone
source wraps sounddevice; its callback only puts bytes on a queue and never blocks.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicecoach.audio.chunks import SAMPLE_RATE_HZ, AudioChunk, read_wav, resample
from voicecoach.audio.devices import busy_hint, load_sounddevice, resolve_device
from voicecoach.clock import Clock

log = logging.getLogger(__name__)

DEFAULT_FRAME_SAMPLES = 480  # 30 ms at 16 kHz


class AudioDeviceError(RuntimeError):
    """No usable audio input: the message is one line that says what to do."""


def split_chunk(chunk: AudioChunk, frame_samples: int) -> Iterator[AudioChunk]:
    """Cut one chunk into frames of `frame_samples` samples (the last one may be shorter)."""
    if frame_samples <= 0:
        raise ValueError("frame_samples must be positive")
    for i in range(0, len(chunk.samples), frame_samples):
        yield AudioChunk(chunk.samples[i : i + frame_samples], chunk.rate_hz, chunk.start_s + i / chunk.rate_hz)


class FileSource:
    """Streams a WAV file (or an in-memory chunk) as 16 kHz frames, paced by an optional clock.

    With a clock, frame k is not handed out before `start + k * frame_s` on that clock, so a
    RealClock plays the file at real speed and a SimulatedClock advances instantly.
    """

    def __init__(
        self,
        audio: str | Path | AudioChunk,
        *,
        frame_samples: int = DEFAULT_FRAME_SAMPLES,
        clock: Clock | None = None,
        rate_hz: int = SAMPLE_RATE_HZ,
    ) -> None:
        chunk = audio if isinstance(audio, AudioChunk) else read_wav(audio, rate_hz)
        self.name = str(audio) if not isinstance(audio, AudioChunk) else "<memory>"
        self.chunk = resample(chunk, rate_hz)
        self.frame_samples = frame_samples
        self.clock = clock

    @property
    def duration_s(self) -> float:
        return self.chunk.duration_s

    def __iter__(self) -> Iterator[AudioChunk]:
        t0 = self.clock.now() if self.clock else 0.0
        for frame in split_chunk(self.chunk, self.frame_samples):
            if self.clock is not None:
                # A frame exists only once its last sample has been "recorded".
                self.clock.sleep(t0 + frame.end_s - self.chunk.start_s - self.clock.now())
            yield frame


@dataclass(frozen=True)
class MicrophoneSettings:
    """Which input device to open and how: `device` is a name (substring) or an index."""

    device: str | int | None = None
    rate_hz: int = SAMPLE_RATE_HZ
    frame_samples: int = DEFAULT_FRAME_SAMPLES
    queue_frames: int = 200  # ~6 s of 30 ms frames buffered before overflow
    read_timeout_s: float = 2.0  # no frame for this long = the microphone stopped working


def _import_sounddevice():
    try:
        sounddevice = load_sounddevice()  # deferred: it loads PortAudio
    except OSError as exc:  # sounddevice raises OSError when libportaudio is missing
        raise AudioDeviceError(
            f"cannot load PortAudio ({exc}); install it with: apt-get install libportaudio2"
        ) from exc
    except ImportError as exc:
        raise AudioDeviceError("the sounddevice package is missing; install it with: pip install sounddevice") from exc
    return sounddevice


class MicrophoneSource:
    """Live 16 kHz mono capture with sounddevice, as an iterator of AudioChunk.

    The device is opened when iteration starts and closed when it stops. Frames that do not
    fit in the queue are dropped and counted in `overflows` (also PortAudio input overflows).
    """

    def __init__(self, settings: MicrophoneSettings = MicrophoneSettings(), *, sounddevice_module=None) -> None:
        self.settings = settings
        self._sd = sounddevice_module
        self._queue: queue.Queue[bytes] = queue.Queue(maxsize=settings.queue_frames)
        self.overflows = 0

    def _callback(self, indata, frames, time_info, status) -> None:  # runs on the audio thread
        if status and status.input_overflow:
            self.overflows += 1
        try:
            self._queue.put_nowait(bytes(indata))
        except queue.Full:
            self.overflows += 1

    def _open(self):
        sd = self._sd or _import_sounddevice()
        s = self.settings
        try:
            device = sd.query_devices(resolve_device(s.device, "input", sd), kind="input")
            return sd.RawInputStream(
                samplerate=s.rate_hz, blocksize=s.frame_samples, device=device["index"],
                channels=1, dtype="int16", callback=self._callback,
            )
        except Exception as exc:  # PortAudioError, ValueError: no such device / no sound card
            which = "default input" if s.device is None else f"input device {s.device!r}"
            first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            advice = busy_hint(exc) or "; plug in a microphone or pick one from `voicecoach devices`"
            raise AudioDeviceError(f"cannot open the {which} ({first_line}){advice}") from exc

    def __iter__(self) -> Iterator[AudioChunk]:
        stream = self._open()
        n_samples = 0
        reported = 0
        with stream:
            while True:
                try:
                    data = self._queue.get(timeout=self.settings.read_timeout_s)
                except queue.Empty:
                    raise AudioDeviceError(
                        f"the microphone sent nothing for {self.settings.read_timeout_s} s; check the device"
                    ) from None
                if self.overflows > reported:
                    log.warning("microphone: %d audio frames lost so far (overflow)", self.overflows)
                    reported = self.overflows
                samples = np.frombuffer(data, dtype="<i2").copy()
                yield AudioChunk(samples, self.settings.rate_hz, n_samples / self.settings.rate_hz)
                n_samples += len(samples)
