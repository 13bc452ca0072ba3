"""The coach's ears: microphone frames in, utterances out.

Each frame has the coach's own voice taken out (echo cancellation against what the speaker
played), goes through voice activity detection, and, while someone speaks, is streamed into
the recognizer of the current context. "stop" and "it hurts" act on a partial result, before
the utterance ends; everything else waits for the end of the utterance. The start of speech
is reported at once, before anything is recognized (barge-in: the runner silences the coach).
`ListenerSource` makes this an input source for the session runner.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from voicecoach.audio.chunks import AudioChunk
from voicecoach.clock import Clock
from voicecoach.ears.echo import EchoCanceller, EchoGate
from voicecoach.ears.engines.base import Hypothesis, Recognizer
from voicecoach.ears.intents import START_AMID_WORDS, IntentTable, normalize
from voicecoach.ears.streaming import StreamingRecognition
from voicecoach.ears.vad import level_db
from voicecoach.ears.voicing import is_voiced
from voicecoach.settings import ListenerSettings
from voicecoach.types import BargeInEvent, Line, NothingSaid, SpeechOnset, Utterance

log = logging.getLogger(__name__)

UNCLEAR_TEXT = "<unclear>"  # speech that was heard but is no command word: parses as "unclear"
EARLY_INTENTS = ("stop",)  # acted on from a partial result (a partial "ow" was too often a guess)
ONSET_CONTEXTS = ("exercise", "yesno", "rating")  # while waiting for a start phrase, nothing is cut


class Listener:
    """Streaming recognition with end-pointing, early stop/pain, and echo cancellation."""

    def __init__(self, recognizer: Recognizer, table: IntentTable, settings: ListenerSettings = ListenerSettings(),
                 *, echo_canceller: EchoCanceller | None = None, echo_gate: EchoGate | None = None) -> None:
        self.recognizer = recognizer
        self.table = table
        self.settings = settings
        self.echo_canceller = echo_canceller
        self.echo_gate = echo_gate
        self.context = "idle"  # the context of the utterance being heard (or the next one)
        self._next_context = "idle"
        self._stream = StreamingRecognition(recognizer, settings.vad, audio_for=self._ungated)
        self._clean: deque[AudioChunk] = deque()  # the last few seconds after echo cancellation, ungated
        self._early: str | None = None  # the early intent already reported for this utterance
        self._loud_s: float | None = None  # loud time in the open segment, until its onset is reported
        self._onset_s: float | None = None  # an onset not yet taken
        self._voiced_s = 0.0  # voiced, loud time in the open segment

    @property
    def in_speech(self) -> bool:
        """True while an utterance is open (between its onset and its end)."""
        return self._stream.in_speech

    def take_onset(self) -> float | None:
        """Stream seconds at which the speech now going on was confirmed, once per utterance; else None."""
        onset, self._onset_s = self._onset_s, None
        return onset

    def set_context(self, context: str) -> None:
        """Listen for `context` from the next utterance on (the recognizers never switch mid-utterance)."""
        self.recognizer.set_context(context)
        if not self._stream.in_speech:
            self.context = context
        self._next_context = context

    def process(self, frame: AudioChunk, reference: np.ndarray | None = None) -> list[Utterance]:
        """Feed one microphone frame (and what the speaker played meanwhile); returns what was heard."""
        # A gated frame is the coach turned down, not the room: the end-pointer's noise floor must
        # not sink to it, or the room's own noise would open a segment once the coach stops.
        gated = False
        if reference is not None:
            samples = frame.samples
            if self.echo_canceller is not None:
                samples = self.echo_canceller.cancel(samples, reference)
            self._keep_clean(AudioChunk(samples, frame.rate_hz, frame.start_s))
            if self.echo_gate is not None:
                samples = self.echo_gate.gate(samples, reference)
                gated = self.echo_gate.last_gated  # this frame's (one without a reference is never gated)
            frame = AudioChunk(samples, frame.rate_hz, frame.start_s)
        heard: list[Utterance] = []
        was_in_speech = self._stream.in_speech
        for result in self._stream.process(frame, learn_floor=not gated):
            if result.hypothesis.final:
                heard += self._final(result.hypothesis, result.at_s)
                self.context, self._early = self._next_context, None
            else:
                heard += self._partial(result.hypothesis, result.at_s)
        self._track_segment(frame, was_in_speech)
        return heard

    def _track_segment(self, frame: AudioChunk, was_in_speech: bool) -> None:
        """Count the open segment's loud and voiced time (after the echo gate); report its onset
        once it has been loud long enough."""
        if not self._stream.in_speech:
            self._loud_s = None
            return
        if not was_in_speech:
            self._loud_s, self._voiced_s = 0.0, 0.0
        vad = self.settings.vad
        if level_db(frame.samples) < max(self._stream.vad.floor_db + vad.threshold_db, vad.min_level_db):
            return
        if self._voiced_s < self.settings.min_voiced_s and is_voiced(frame.samples, frame.rate_hz):
            self._voiced_s += frame.duration_s
        if self._loud_s is not None:
            self._loud_s += frame.duration_s
            if self._loud_s >= self.settings.onset_confirm_s - 1e-9:
                self._onset_s, self._loud_s = frame.end_s, None

    def _keep_clean(self, frame: AudioChunk) -> None:
        self._clean.append(frame)
        while self._clean and frame.end_s - self._clean[0].start_s > 4.0:  # keep four seconds
            self._clean.popleft()

    def _ungated(self, chunk: AudioChunk) -> AudioChunk:
        """The same stretch of audio before the echo gate (the gate only decides where speech is)."""
        frames = [f for f in self._clean if f.end_s > chunk.start_s and f.start_s < chunk.end_s]
        if not frames or frames[0].start_s > chunk.start_s + 1e-6:
            return chunk  # no reference was given for that stretch: nothing was gated
        first = int(round((chunk.start_s - frames[0].start_s) * chunk.rate_hz))
        samples = np.concatenate([f.samples for f in frames])[first:first + len(chunk.samples)]
        return AudioChunk(samples, chunk.rate_hz, chunk.start_s) if len(samples) == len(chunk.samples) else chunk

    def _partial(self, hypothesis: Hypothesis, at_s: float) -> list[Utterance]:
        if not hypothesis.text or self._early == "pain":  # after pain, stop adds nothing
            return []
        intent = self.table.parse(hypothesis.text, self.context)
        if intent is None or intent.name not in EARLY_INTENTS or intent.name == self._early:
            return []
        self._early = intent.name
        return [Utterance(hypothesis.text, at_s, intent, hypothesis.confidence, self.context)]

    def _final(self, final: Hypothesis, at_s: float) -> list[Utterance]:
        if final.text and self.context == "idle" and final.other_words > START_AMID_WORDS:
            return []  # "start" in the middle of a sentence (radio, TV, a partner talking) starts nothing
        if final.text:
            intent = self.table.parse(final.text, self.context)
            upgrade = intent is not None and intent.name == "pain" and self._early != "pain"  # "stop ... it hurts"
            if self._early and intent is not None and not upgrade and \
                    (intent.name == self._early or intent.name not in EARLY_INTENTS):
                return []  # already acted on: do not act twice, nor undo a stop with a later guess
            return [Utterance(final.text, at_s, intent, final.confidence, self.context)]
        if self._early:
            return []
        voiced, self._voiced_s = self._voiced_s, 0.0
        if final.heard_other and voiced >= self.settings.min_voiced_s - 1e-9:
            return [Utterance(UNCLEAR_TEXT, at_s, self.table.parse(UNCLEAR_TEXT, self.context), 0.0, self.context)]
        return []  # nothing, or no voice in it (a cough, a bump): no words


class ListenerSource:
    """An input source for the runner: pulls microphone frames until something is heard.

    `frames` is the microphone (real or virtual); `reference(frame)` gives what the speaker
    played during that frame, for echo cancellation; `before_frame(timeline)` lets the
    virtual bedside put the scripted user's voice into the room in time.
    """

    def __init__(self, frames: Iterator[AudioChunk], listener: Listener, clock: Clock, *,
                 reference: Callable[[AudioChunk], np.ndarray] | None = None,
                 before_frame: Callable[[Sequence[Line]], None] | None = None, echo_guard: bool = True,
                 barge_in: bool = True, on_frame_cost: Callable[[AudioChunk, float], None] | None = None) -> None:
        self.frames = frames
        self.listener = listener
        self.clock = clock
        self.reference = reference
        self.before_frame = before_frame
        self.echo_guard = echo_guard
        self.barge_in = barge_in  # report speech onsets (and onsets that brought no words)
        self.on_frame_cost = on_frame_cost  # told the wall seconds each frame took to hear (benchmarks)
        self._awaiting_words = False  # an onset was reported; nothing heard since
        self.ignored: list[tuple[Utterance, str]] = []  # what was heard but taken for the coach's own voice
        self._queue: deque[Utterance | BargeInEvent] = deque()
        self._finished = False
        self.failure: str | None = None  # why listening stopped, if it broke

    @property
    def finished(self) -> bool:
        return self._finished

    def wait(self, deadline_s: float | None, timeline: Sequence[Line],
             context: str = "idle") -> Utterance | BargeInEvent | None:
        self.listener.set_context(context)
        while True:
            if self._queue:
                return self._queue.popleft()
            if deadline_s is not None and self.clock.now() >= deadline_s:
                return None
            if self.before_frame is not None:
                self.before_frame(timeline)
            try:
                frame = next(self.frames)
                reference = self.reference(frame) if self.reference is not None else None
                started = time.perf_counter()
                heard_now = self.listener.process(frame, reference)
                if self.on_frame_cost is not None:
                    self.on_frame_cost(frame, time.perf_counter() - started)
            except StopIteration:
                self._finished = True
                return None
            except Exception as exc:  # the microphone or the recognizer died: the user can't be heard
                log.error("listening failed: %s", exc)
                self.failure, self._finished = str(exc) or type(exc).__name__, True
                return None
            onset_s = self.listener.take_onset()
            if onset_s is not None and self.barge_in and context in ONSET_CONTEXTS:
                self._queue.append(SpeechOnset(onset_s))
                self._awaiting_words = True
            for heard in heard_now:
                reason = self._echo_of_coach(heard, timeline) if self.echo_guard else ""
                if reason:
                    log.info("ignored %r: %s", heard.text, reason)
                    self.ignored.append((heard, reason))
                else:
                    self._queue.append(heard)
                    self._awaiting_words = False
            if self._awaiting_words and not self.listener.in_speech:  # a cough, a bump: no words
                self._queue.append(NothingSaid(frame.end_s))
                self._awaiting_words = False

    def _echo_of_coach(self, heard: Utterance, timeline: Sequence[Line]) -> str:
        """Why `heard` is taken for the coach's own voice, or "" when it is the user's."""
        margin = self.listener.settings.echo_margin_s
        speaking = [l for l in timeline if l.who == "coach" and not l.dropped
                    and l.start_s - margin <= heard.at_s <= l.end_s + margin]
        if not speaking:
            return ""
        intent = heard.intent
        if (intent is None or intent.name == "unclear") and self.listener.context != "exercise":
            # In an exercise, unclear speech over the coach may be a "stop" the recognizer
            # missed: it goes through, and the session pauses and asks.
            return "unclear speech while the coach was talking"
        coach_words = {w for line in speaking for w in normalize(line.text)}
        if set(normalize(heard.text)) <= coach_words:
            return "the coach was saying these words"
        return ""
