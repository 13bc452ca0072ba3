"""Players: where rendered coach audio goes, behind one small interface.

`SoundDevicePlayer` plays on a real output device through its own PortAudio stream and can
be silenced at once; `WavTimelinePlayer` is the virtual bedside's speaker: it lays the audio
on a timeline against a Clock (silence where the coach waits) and saves it as one WAV file.
Both apply the volume (a 0..1 gain) when a chunk is queued, and both report the samples
they have played with their positions on the player's timeline (the echo reference).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from voicecoach.audio.chunks import AudioChunk, resample, write_wav
from voicecoach.audio.devices import busy_hint, load_sounddevice, resolve_device
from voicecoach.clock import Clock, RealClock

NO_DEVICE_HINT = "write speech to a file with `voicecoach say --out FILE.wav` or try `voicecoach demo`"


class PlayerError(Exception):
    """An audio output that cannot be used; the message is one line saying what to do."""


class NoAudioDevice(PlayerError):
    """There is no (matching) audio output device."""


class Player(Protocol):
    """Plays chunks one after another; `stop()` silences at once."""

    volume: float  # gain 0..1, applied to chunks queued from now on

    def play(self, chunk: AudioChunk) -> None:
        """Queue `chunk` after whatever is still playing; returns at once."""

    def stop(self) -> None:
        """Silence now and forget the queue; returns only once silent."""

    def busy(self) -> bool:
        """True while queued audio is still playing."""

    def played(self) -> list[AudioChunk]:
        """The samples played so far, each chunk with start_s on the player's timeline."""


def _clamp_gain(volume: float) -> float:
    return float(min(1.0, max(0.0, volume)))


def _prepare(chunk: AudioChunk, rate_hz: int, volume: float) -> np.ndarray:
    """The chunk's samples at `rate_hz`, scaled by `volume`, as int16."""
    samples = resample(chunk, rate_hz).samples if chunk.rate_hz != rate_hz else chunk.samples
    if volume >= 1.0:
        return np.array(samples, dtype=np.int16)
    return np.round(samples.astype(np.float32) * volume).astype(np.int16)


def played_window(chunks: list[AudioChunk], start_s: float, n_samples: int, rate_hz: int) -> np.ndarray:
    """What the speaker played over `n_samples` at `rate_hz` from `start_s` (timeline seconds).

    `chunks` is a player's `played()`; gaps are zeros. This is the echo reference for a
    microphone frame at another rate (linear interpolation, like audio.resample).
    """
    out = np.zeros(n_samples, dtype=np.float64)
    t_s = start_s + np.arange(n_samples) / rate_hz
    for chunk in chunks:
        n = len(chunk.samples)
        if n == 0 or chunk.end_s <= start_s or chunk.start_s >= t_s[-1] + 1 / rate_hz:
            continue
        pos = (t_s - chunk.start_s) * chunk.rate_hz  # fractional sample index into the chunk
        inside = (pos > -1) & (pos < n)  # silence on either side: interpolate towards zero
        if not inside.any():
            continue
        index = np.arange(int(np.floor(pos[inside][0])), int(np.ceil(pos[inside][-1])) + 1)
        known = (index >= 0) & (index < n)
        values = np.zeros(len(index))
        values[known] = chunk.samples[index[known]]
        out[inside] += np.interp(pos[inside], index, values)
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


# --- the virtual bedside speaker -----------------------------------------------------------


class WavTimelinePlayer:
    """Lays chunks on a timeline against `clock`; `save()` writes the whole session as a WAV.

    A chunk played at clock time t starts at sample round((t - origin_s) * rate_hz), or after
    the audio still queued; the gaps are silence. `stop()` at time t cuts the timeline at t.
    """

    def __init__(self, clock: Clock, *, rate_hz: int = 22050, origin_s: float | None = None) -> None:
        self.clock = clock
        self.rate_hz = rate_hz
        self.origin_s = clock.now() if origin_s is None else origin_s  # clock time of sample 0
        self.volume = 1.0
        self._segments: list[tuple[int, np.ndarray]] = []  # (first sample, samples), in order
        self._end = 0  # sample just after the last queued audio
        self._lock = threading.Lock()

    def _sample_at(self, t_s: float) -> int:
        return max(0, int(round((t_s - self.origin_s) * self.rate_hz)))

    def play(self, chunk: AudioChunk) -> None:
        samples = _prepare(chunk, self.rate_hz, _clamp_gain(self.volume))
        with self._lock:
            start = max(self._sample_at(self.clock.now()), self._end)
            if len(samples):
                self._segments.append((start, samples))
                self._end = start + len(samples)

    def stop(self) -> None:
        with self._lock:
            cut = self._sample_at(self.clock.now())
            kept = [(start, s[: cut - start]) for start, s in self._segments if start < cut]
            self._segments = kept
            self._end = max((start + len(s) for start, s in kept), default=0)

    def busy(self) -> bool:
        with self._lock:
            return self._sample_at(self.clock.now()) < self._end

    def end_s(self) -> float:
        """Clock time at which the queued audio ends."""
        with self._lock:
            return self.origin_s + self._end / self.rate_hz

    def played(self) -> list[AudioChunk]:
        with self._lock:
            now = self._sample_at(self.clock.now())
            return [
                AudioChunk(s[: now - start], self.rate_hz, self.origin_s + start / self.rate_hz)
                for start, s in self._segments
                if start < now
            ]

    def window(self, first: int, n: int) -> np.ndarray:
        """Samples [first, first + n) of the timeline as queued (zeros where silent or before 0).

        The virtual bedside's microphone and echo reference read the speaker through this."""
        out = np.zeros(n, dtype=np.int16)
        with self._lock:
            for start, s in reversed(self._segments):  # recent segments first: the usual case
                if start + len(s) <= first:
                    break  # segments are in time order: the rest are older still
                lo, hi = max(first, start), min(first + n, start + len(s))
                if lo < hi:
                    out[lo - first:hi - first] = s[lo - start:hi - start]
        return out

    def timeline(self, end_s: float | None = None) -> AudioChunk:
        """The whole timeline from origin_s to end_s (default: now, or the end of queued audio)."""
        with self._lock:
            length = max(self._end, self._sample_at(self.clock.now()))
            if end_s is not None:
                length = self._sample_at(end_s)
            out = np.zeros(length, dtype=np.int16)
            for start, s in self._segments:
                if start < length:
                    piece = s[: length - start]
                    out[start : start + len(piece)] = piece
        return AudioChunk(out, self.rate_hz, self.origin_s)

    def save(self, path: str | Path, end_s: float | None = None) -> None:
        """Write the timeline (see `timeline`) as a mono 16-bit WAV file."""
        write_wav(path, self.timeline(end_s))


# --- a real output device ------------------------------------------------------------------


def import_sounddevice():
    """sounddevice, imported on first use, with the install command when PortAudio is missing."""
    try:
        sounddevice = load_sounddevice()
    except (ImportError, OSError) as exc:
        raise PlayerError(
            f"sounddevice cannot load PortAudio ({exc}); install it: apt-get install libportaudio2"
        ) from exc
    return sounddevice


@dataclass(frozen=True)
class SoundDeviceSettings:
    """Output device (None: default; an index or part of a name), its rate and buffering.

    rate_hz None uses the device's default rate (chunks are resampled to it). block_frames
    is the frames per callback; latency ("low", "high" or seconds) is how much the device
    buffers, larger avoids underruns on a slow machine and costs nothing at stop(), which
    drops the buffer. history_s is how much played audio `played()` remembers.
    """

    device: int | str | None = None
    rate_hz: int | None = None
    block_frames: int = 1024
    latency: float | str = "high"
    history_s: float = 120.0


@dataclass(frozen=True)
class StopReport:
    """What the last stop() took: wall time (s) and coach frames sent after it was called."""

    duration_s: float
    frames_after_call: int


class _Item:
    """One queued chunk: its samples and how many of them the device has been given."""

    __slots__ = ("samples", "pos", "start_s")

    def __init__(self, samples: np.ndarray) -> None:
        self.samples = samples
        self.pos = 0
        self.start_s = 0.0


class SoundDevicePlayer:
    """Plays on a PortAudio output through its own stream (never sd.play/sd.stop).

    The callback only copies queued samples under a short lock; stop() empties the queue
    under the same lock (so no coach sample is written after it) and aborts the stream,
    which drops what the device still buffers. Positions in `played()` are
    clock time at stream start + frames written / rate.
    """

    def __init__(self, settings: SoundDeviceSettings = SoundDeviceSettings(), *, clock: Clock | None = None,
                 sounddevice_module=None) -> None:
        self.settings = settings
        self.clock = clock or RealClock()
        self.volume = 1.0
        self.underruns = 0
        self.last_stop: StopReport | None = None
        self._lock = threading.Lock()  # shared with the callback: keep holds tiny
        self._control = threading.Lock()  # start/abort of the stream
        self._queue: deque[_Item] = deque()
        self._history: deque[_Item] = deque()
        self._frames = 0  # frames written since the stream (re)started
        self._content_frames = 0  # coach frames written, ever
        self._origin_s = 0.0
        self._drain_until = 0.0  # monotonic time the device buffer empties after the last audio
        self._sd = sounddevice_module or import_sounddevice()
        self._stream = self._open()
        self.rate_hz = int(self._stream.samplerate)
        self.latency_s = float(self._stream.latency)  # seconds the device buffers

    def _open(self):
        sd, s = self._sd, self.settings
        try:
            device = resolve_device(s.device, "output", sd)
            info = sd.query_devices(device, "output")
            rate_hz = s.rate_hz or int(info["default_samplerate"])
            return sd.OutputStream(
                samplerate=rate_hz,
                blocksize=s.block_frames,
                device=device,
                channels=1,
                dtype="int16",
                latency=s.latency,
                callback=self._callback,
            )
        except ValueError as exc:  # no device matching the name or index
            raise NoAudioDevice(f"no audio output device {s.device!r} ({exc}); see `voicecoach devices`") from exc
        except sd.PortAudioError as exc:
            if "device -1" in str(exc) or not _has_output(sd):
                raise NoAudioDevice(f"no audio output device found; {NO_DEVICE_HINT}") from exc
            if "Error querying device" in str(exc):
                raise NoAudioDevice(f"no audio output device {s.device!r}; see `voicecoach devices`") from exc
            raise PlayerError(f"cannot open audio output {s.device!r}: {exc}{busy_hint(exc)}") from exc

    def _callback(self, out, frames, time_info, status) -> None:
        with self._lock:
            if status.output_underflow:
                self.underruns += 1
            written = 0
            queue = self._queue
            while written < frames and queue:
                item = queue[0]
                if item.pos == 0:
                    item.start_s = self._origin_s + (self._frames + written) / self.rate_hz
                    self._history.append(item)
                take = min(frames - written, len(item.samples) - item.pos)
                out[written : written + take, 0] = item.samples[item.pos : item.pos + take]
                item.pos += take
                written += take
                if item.pos == len(item.samples):
                    queue.popleft()
            out[written:] = 0
            self._frames += frames
            self._content_frames += written
            if written:
                self._drain_until = time.monotonic() + self.latency_s

    def play(self, chunk: AudioChunk) -> None:
        item = _Item(_prepare(chunk, self.rate_hz, _clamp_gain(self.volume)))
        if not len(item.samples):
            return
        with self._control:
            with self._lock:
                self._queue.append(item)
                self._forget_old_history()
            if not self._stream.active:
                with self._lock:
                    self._origin_s, self._frames = self.clock.now(), 0
                try:
                    self._stream.start()
                except self._sd.PortAudioError as exc:
                    with self._lock:
                        self._queue.clear()
                    raise PlayerError(f"audio output {self.settings.device!r} failed to start: {exc}") from exc

    def stop(self) -> None:
        t0 = time.perf_counter()
        with self._control:
            with self._lock:
                content_at_call = self._content_frames
                sounding = bool(self._queue) or time.monotonic() < self._drain_until
                self._queue.clear()
                self._drain_until = 0.0
            if sounding and self._stream.active:
                self._stream.abort()  # drops the device buffer: silent when this returns
        with self._lock:
            after = self._content_frames - content_at_call
        self.last_stop = StopReport(time.perf_counter() - t0, after)

    def busy(self) -> bool:
        with self._lock:
            return bool(self._queue) or time.monotonic() < self._drain_until

    def played(self) -> list[AudioChunk]:
        with self._lock:
            return [AudioChunk(i.samples[: i.pos], self.rate_hz, i.start_s) for i in self._history if i.pos]

    def played_frames(self) -> int:
        """How many coach frames (at rate_hz) the device has been given since it was opened."""
        with self._lock:
            return self._content_frames

    def close(self) -> None:
        """Stop and release the device."""
        with self._control:
            self._stream.abort()
            self._stream.close()

    def __enter__(self) -> SoundDevicePlayer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _forget_old_history(self) -> None:
        keep_frames = self.settings.history_s * self.rate_hz
        total = sum(len(i.samples) for i in self._history)
        while self._history and total > keep_frames and self._history[0] not in self._queue:
            total -= len(self._history.popleft().samples)


def _has_output(sd) -> bool:
    try:
        return any(d["max_output_channels"] > 0 for d in sd.query_devices())
    except Exception:  # noqa: BLE001 - only used to word an error message
        return False
