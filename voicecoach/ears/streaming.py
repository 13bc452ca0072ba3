"""The listening loop: audio chunks -> VAD end-pointing -> streaming recognizer -> heard text.

One loop for the microphone and for a WAV file (both are iterators of AudioChunk). Partial
results come out while the user is still speaking (so "stop" can act before the utterance
ends); the final result comes `end_silence_s` after they stop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from voicecoach.audio.chunks import AudioChunk
from voicecoach.ears.engines.base import Hypothesis, Recognizer
from voicecoach.ears.vad import EnergyVad, VadEvent
from voicecoach.settings import VadSettings


@dataclass(frozen=True)
class Heard:
    """A recognizer result placed in time.

    hypothesis: the text heard (final=False for a partial).
    at_s: seconds on the stream's timeline at which it became known (end of the audio fed).
    """

    hypothesis: Hypothesis
    at_s: float


class StreamingRecognition:
    """Feeds the recognizer only while the VAD hears speech; chunks in, hypotheses out.

    `audio_for` (optional) swaps the audio the VAD decided on for other audio of the same
    time span before it is recognized: the listener end-points on an echo-gated signal but
    lets the recognizer hear the whole word, soft consonants included."""

    def __init__(self, recognizer: Recognizer, vad_settings: VadSettings = VadSettings(), *,
                 audio_for: Callable[[AudioChunk], AudioChunk] | None = None) -> None:
        self.recognizer = recognizer
        self.vad = EnergyVad(vad_settings)
        self.audio_for = audio_for

    @property
    def in_speech(self) -> bool:
        return self.vad.in_speech

    def process(self, chunk: AudioChunk, *, learn_floor: bool = True) -> list[Heard]:
        return [heard for ev in self.vad.feed(chunk, learn_floor=learn_floor) for heard in self._handle(ev)]

    def flush(self) -> list[Heard]:
        """End of stream: close an open utterance."""
        return [heard for ev in self.vad.flush() for heard in self._handle(ev)]

    def _handle(self, ev: VadEvent) -> Iterator[Heard]:
        if ev.kind == "start":
            self.recognizer.start_stream(ev.utterance.start_s)
        if ev.kind in ("start", "audio"):
            audio = self.audio_for(ev.utterance) if self.audio_for else ev.utterance
            partial = self.recognizer.feed(audio)
            if partial is not None:
                yield Heard(partial, ev.utterance.end_s)
        elif ev.kind == "end":
            yield Heard(self.recognizer.finish(), ev.at_s)


def listen(chunks: Iterable[AudioChunk], recognizer: Recognizer, *,
           vad_settings: VadSettings = VadSettings()) -> Iterator[Heard]:
    """Yield partial and final hypotheses for every speech segment of the stream.

    Silence and noise that the VAD does not open a segment for never reach the recognizer.
    A final hypothesis is yielded for every segment, also when its text is empty.
    """
    stream = StreamingRecognition(recognizer, vad_settings)
    for chunk in chunks:
        yield from stream.process(chunk)
    yield from stream.flush()
