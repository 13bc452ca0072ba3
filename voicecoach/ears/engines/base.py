"""The one recognizer interface: contexts, whole-utterance decoding and streaming.

A recognizer turns audio into TEXT (lower-case words of the current context's vocabulary);
the intent parser turns text into intents. A rejected utterance gives empty text, with
`heard_other=True` when speech was heard but it was not a command word.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from voicecoach.audio.chunks import AudioChunk
from voicecoach.types import CONTEXTS

log = logging.getLogger(__name__)



class RecognizerError(RuntimeError):
    """The recognizer cannot run (missing or broken model): a one-line message saying what to do."""


@dataclass(frozen=True)
class Hypothesis:
    """What was heard.

    text: accepted words of the context vocabulary ("" = nothing accepted).
    confidence: 0..1, how sure the engine is of `text` (0 when text is empty).
    final: False for a partial result while the utterance is still going on.
    heard_other: speech was decoded but rejected as out-of-vocabulary (may be "unclear").
    start_s, end_s: seconds on the stream's timeline of the audio this covers.
    other_words: how many decoded words around `text` were not accepted (final results only):
        a command said alone has few, one said in the middle of a sentence has more.
    """

    text: str
    confidence: float = 0.0
    final: bool = True
    heard_other: bool = False
    start_s: float = 0.0
    end_s: float = 0.0
    other_words: int = 0


class Recognizer(Protocol):
    """Per-context speech-to-text. Contexts are "idle", "yesno", "rating", "exercise"."""

    name: str

    def set_context(self, context: str) -> None:
        """Listen for this context's vocabulary from the next utterance on."""

    def decode(self, utterance: AudioChunk) -> Hypothesis:
        """Decode one whole utterance (16 kHz mono)."""

    def start_stream(self, start_s: float = 0.0) -> None:
        """Begin a streamed utterance whose first sample is at `start_s` seconds."""

    def feed(self, chunk: AudioChunk) -> Hypothesis | None:
        """Add audio; returns a partial hypothesis when the command words heard so far changed."""

    def finish(self) -> Hypothesis:
        """End the streamed utterance and return the final hypothesis."""


Vocabularies = Mapping[str, Sequence[str]]


def vocabularies_from_table(table) -> dict[str, list[str]]:
    """Context -> phrases, from voicecoach.ears.intents' IntentTable (`table.vocabulary(context)`)."""
    return {ctx: [p.lower() for p in table.vocabulary(ctx)] for ctx in CONTEXTS}


def load_vocabularies() -> dict[str, list[str]]:
    """The vocabularies of the content data (voicecoach/content/intents.toml)."""
    from voicecoach.ears.intents import load_intent_table

    return vocabularies_from_table(load_intent_table())


def vocabulary_words(phrases: Sequence[str]) -> list[str]:
    """The distinct words of a list of phrases, in first-seen order."""
    seen: dict[str, None] = {}
    for p in phrases:
        for w in p.lower().split():
            seen.setdefault(w, None)
    return list(seen)


def check_context(vocabularies: Vocabularies, context: str) -> None:
    if context not in vocabularies:
        raise ValueError(f"unknown recognition context {context!r}; expected one of {sorted(vocabularies)}")
