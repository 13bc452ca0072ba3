"""Energy-based voice activity detection and end-pointing with an adaptive noise floor.

Audio is analysed in fixed 10 ms frames whatever the chunk size it arrives in, so the same
audio fed in 160-, 512- or 4000-sample chunks gives the same segments at the same times.
A frame is "loud" when its level is `threshold_db` above the noise floor (the quietest frame
of the last `floor_window_s`, so steady noise that starts is absorbed within that window)
and above an absolute minimum. Speech starts after `start_s` of loud frames and ends after
`end_silence_s` of quiet ones, so an answer is decided soon after the speaker stops.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from voicecoach.audio.chunks import AudioChunk
from voicecoach.settings import VadSettings

FRAME_S = 0.010  # analysis frame, seconds


@dataclass(frozen=True)
class VadEvent:
    """`kind` is "start" (speech began at `at_s`), "audio" (more audio of the open segment)
    or "end" (segment closed at `at_s`).

    "start" carries the pre-roll and the first loud frames as `utterance`, "audio" the segment's
    audio that followed within one `feed` call, "end" the whole segment (pre-roll included):
    a streaming recognizer fed start + audio events sees exactly the segment's samples.
    Times are seconds on the stream's own timeline (AudioChunk.start_s).
    """

    kind: str
    at_s: float
    utterance: AudioChunk


def level_db(samples: np.ndarray) -> float:
    """RMS level of int16 samples in dBFS (-100 for digital silence)."""
    if len(samples) == 0:
        return -100.0
    rms = float(np.sqrt(np.mean(np.square(samples.astype(np.float64))))) / 32768.0
    return 20.0 * float(np.log10(max(rms, 1e-5)))


@dataclass
class _State:
    in_speech: bool = False
    loud_run: int = 0
    quiet_run: int = 0
    seg_start_s: float = 0.0
    seg_frames: list[AudioChunk] = field(default_factory=list)


class EnergyVad:
    """Streaming end-pointer: `feed(chunk)` returns the VadEvents that chunk completed."""

    def __init__(self, settings: VadSettings = VadSettings()) -> None:
        self.settings = settings
        self._levels: deque[float] = deque([settings.initial_floor_db], maxlen=int(round(settings.floor_window_s / FRAME_S)))
        self._assumed = True  # the floor is still `initial_floor_db`, nothing learned yet
        self._unlearned = False  # frames came that could not teach the floor (the coach was talking)
        self._rate_hz: int | None = None
        self._frame_n = 0
        self._carry = np.zeros(0, dtype=np.int16)
        self._carry_start_s = 0.0
        self._preroll: deque[AudioChunk] = deque()
        self._s = _State()

    @property
    def in_speech(self) -> bool:
        return self._s.in_speech

    def feed(self, chunk: AudioChunk, *, learn_floor: bool = True) -> list[VadEvent]:
        """The events this chunk completed. `learn_floor=False`: the chunk says nothing about the
        room's noise (the echo gate turned it down), so the noise floor does not learn from it."""
        if self._rate_hz is None:
            self._rate_hz = chunk.rate_hz
            self._frame_n = int(round(chunk.rate_hz * FRAME_S))
            self._carry_start_s = chunk.start_s
        elif chunk.rate_hz != self._rate_hz:
            raise ValueError(f"VAD got {chunk.rate_hz} Hz after {self._rate_hz} Hz")
        if len(self._carry) == 0:
            self._carry_start_s = chunk.start_s
        buf = np.concatenate([self._carry, chunk.samples.astype(np.int16, copy=False)])
        events: list[VadEvent] = []
        n = self._frame_n
        used = 0
        pending: list[AudioChunk] = []  # segment frames not yet handed out in an event
        while used + n <= len(buf):
            t = self._carry_start_s + used / self._rate_hz
            frame = AudioChunk(buf[used : used + n], self._rate_hz, t)
            was_in_speech = self._s.in_speech
            new = self._frame(frame, learn_floor)
            if was_in_speech:
                pending.append(frame)
            for ev in new:
                if ev.kind == "end" and pending:
                    events.append(VadEvent("audio", pending[0].start_s, _join(pending, self._rate_hz)))
                    pending = []
                events.append(ev)
            used += n
        if pending:
            events.append(VadEvent("audio", pending[0].start_s, _join(pending, self._rate_hz)))
        self._carry = buf[used:]
        self._carry_start_s += used / self._rate_hz
        return events

    def flush(self) -> list[VadEvent]:
        """End of stream: close an open segment."""
        if self._s.in_speech:
            return [self._close(self._s.seg_frames[-1].end_s if self._s.seg_frames else self._carry_start_s)]
        return []

    def _frame(self, frame: AudioChunk, learn_floor: bool = True) -> list[VadEvent]:
        st, cfg = self._s, self.settings
        db = level_db(frame.samples)
        loud = db >= max(self.floor_db + cfg.threshold_db, cfg.min_level_db)
        if learn_floor:
            if self._assumed and self._unlearned:
                # Listening began while the coach talked: the first frames heard of the room say
                # more than the assumed floor (a fan at -40 dBFS is not speech at the first pause).
                self._levels.clear()
                loud = False  # the frame is the floor now
            self._assumed = False
            self._levels.append(db)
        elif self._assumed:
            self._unlearned = True
        events: list[VadEvent] = []
        if not st.in_speech:
            self._preroll.append(frame)
            max_pre = int(round((cfg.preroll_s + cfg.start_s) / FRAME_S))
            while len(self._preroll) > max_pre:
                self._preroll.popleft()
            st.loud_run = st.loud_run + 1 if loud else 0
            if st.loud_run * FRAME_S >= cfg.start_s - 1e-9:
                st.in_speech, st.quiet_run = True, 0
                st.seg_start_s = frame.end_s - st.loud_run * FRAME_S
                st.seg_frames = list(self._preroll)
                self._preroll.clear()
                events.append(VadEvent("start", st.seg_start_s, _join(st.seg_frames, frame.rate_hz)))
            return events
        st.seg_frames.append(frame)
        st.quiet_run = 0 if loud else st.quiet_run + 1
        if st.quiet_run * FRAME_S >= cfg.end_silence_s - 1e-9:
            events.append(self._close(frame.end_s))
        elif frame.end_s - st.seg_start_s >= cfg.max_utterance_s:
            events.append(self._close(frame.end_s))
        return events

    @property
    def floor_db(self) -> float:
        """Current noise floor estimate, dBFS."""
        return min(self._levels)

    def _close(self, at_s: float) -> VadEvent:
        frames = self._s.seg_frames
        self._s = _State()
        if not frames:
            return VadEvent("end", at_s, AudioChunk(np.zeros(0, np.int16), self._rate_hz or 16000, at_s))
        return VadEvent("end", at_s, _join(frames, self._rate_hz or 16000))


def _join(frames: list[AudioChunk], rate_hz: int) -> AudioChunk:
    return AudioChunk(np.concatenate([f.samples for f in frames]), rate_hz, frames[0].start_s)


def utterances(chunks: Iterable[AudioChunk], settings: VadSettings = VadSettings()) -> Iterator[AudioChunk]:
    """The speech segments of a stream, each as one AudioChunk (pre-roll included)."""
    vad = EnergyVad(settings)
    for chunk in chunks:
        for ev in vad.feed(chunk):
            if ev.kind == "end":
                yield ev.utterance
    for ev in vad.flush():
        yield ev.utterance
