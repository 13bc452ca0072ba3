"""Whisper tiny.en recognizer (the embedded default): whole sentences, prompted per context.

Whisper writes what was said ("No, I don't."), not a choice among commands: the text handed
on is the whole normalized transcript, so the intent parser sees hedges ("no, but my legs
are numb"). Per context, recognition.toml gives the prompt (in the previous-text slot),
a mapping of Whisper's spelling of short answers onto the vocabulary ("5" -> "five",
a lone "know" -> "no") and the no-speech threshold that rejects noise.
"""

from __future__ import annotations

import logging
import math
import re
import time

import numpy as np

from voicecoach.audio.chunks import SAMPLE_RATE_HZ, AudioChunk, resample
from voicecoach.ears.engines.base import Hypothesis, Vocabularies, check_context, vocabulary_words
from voicecoach.ears.engines.whisper_model import Decoded, WhisperModel, check_model_dir, default_verify_cache, packaged_model_dir
from voicecoach.ears.engines.whisper_settings import ContextSettings, WhisperSettings, load_whisper_settings

log = logging.getLogger(__name__)

_WORD = re.compile(r"[a-z0-9']+")
MAX_PROMPT_TOKENS = 200  # Whisper keeps at most 223 tokens of previous text


def normalize_transcript(text: str, ctx: ContextSettings, max_repeats: int = 2) -> list[str]:
    """Lower-case words of a transcript, mapped onto the vocabulary, loops cut to `max_repeats`."""
    words = [w.strip("'") for w in _WORD.findall(text.lower().replace("\u2019", "'"))]
    words = [ctx.words.get(w, w) for w in words if w]
    if len(set(words)) == 1:  # "now" or "now, now": the word alone
        words = [ctx.alone.get(w, w) for w in words]
    out: list[str] = []
    for w in words:
        if len(out) >= max_repeats and all(v == w for v in out[-max_repeats:]):
            continue  # "stop, stop, stop, stop": a short window makes Whisper loop
        out.append(w)
    return out


def prompt_text(template: str, phrases) -> str:
    """`template` with {vocabulary} (all phrases) or {words} (distinct words) filled in."""
    if "{vocabulary}" in template:
        template = template.replace("{vocabulary}", ", ".join(phrases))
    if "{words}" in template:
        template = template.replace("{words}", ", ".join(vocabulary_words(phrases)))
    return template[:1].upper() + template[1:] + ("." if template and template[-1].isalnum() else "")


def word_confidence(decoded: Decoded) -> float:
    """Geometric mean of the probabilities of the word tokens (0..1).

    Punctuation and end-of-text are left out: whether Whisper writes "No." or "No" is style,
    not doubt about the word (measured: a right "no" 0.7 on its word token, 0.4 on the full
    stop; the word "nine" heard as "No" 0.12)."""
    probs = [p for text, p in decoded.tokens if any(c.isalnum() for c in text)]
    if not probs:
        return math.exp(decoded.logprob)
    return math.exp(sum(math.log(max(p, 1e-12)) for p in probs) / len(probs))


class WhisperRecognizer:
    """Per-context Whisper decoding with no-speech rejection and re-decoded partials. Not thread-safe."""

    name = "whisper"

    def __init__(self, vocabularies: Vocabularies, *, settings: WhisperSettings | None = None,
                 context: str = "exercise", model: WhisperModel | None = None) -> None:
        self.settings = settings or load_whisper_settings()
        self.vocabularies = vocabularies
        check_context(vocabularies, context)
        if model is None:
            model_dir = self.settings.model_dir or packaged_model_dir()
            model = WhisperModel(check_model_dir(model_dir), intra_threads=self.settings.intra_threads,
                                 verify_cache=self.settings.verify_cache or default_verify_cache())
        self.model = model
        self._words = {c: set(vocabulary_words(p)) for c, p in vocabularies.items()}
        self._prompts = {c: self._prompt_ids(c, p) for c, p in vocabularies.items()}
        self._rescue_ids = model.word_tokens(self.settings.rescue_word)
        self.context = context
        self._pending = context
        self._in_stream = False
        self.last_decoded: Decoded | None = None  # the last raw decode, for benchmarks and logs

    def _prompt_ids(self, context: str, phrases) -> list[int]:
        text = prompt_text(self.settings.context(context).prompt, list(phrases))
        ids = self.model.prompt_ids(text)
        if len(ids) > MAX_PROMPT_TOKENS:
            log.warning("whisper: the %s prompt is %d tokens; keeping the last %d", context, len(ids), MAX_PROMPT_TOKENS)
            ids = [ids[0]] + ids[-(MAX_PROMPT_TOKENS - 1):]
        return ids

    # -- interface ----------------------------------------------------------------------------
    def set_context(self, context: str) -> None:
        check_context(self.vocabularies, context)
        self._pending = context
        if not self._in_stream:  # never switch in the middle of an utterance
            self.context = context

    def decode(self, utterance: AudioChunk) -> Hypothesis:
        self._in_stream = False
        self.context = self._pending
        samples = resample(utterance, SAMPLE_RATE_HZ).samples
        return self._hypothesis(samples, utterance.start_s, utterance.end_s, final=True)

    def start_stream(self, start_s: float = 0.0) -> None:
        self.context = self._pending
        self._in_stream = True
        self._audio: list[np.ndarray] = []
        self._n = 0  # samples so far
        self._start_s = self._end_s = start_s
        step = int(round(self.settings.partial_every_s * SAMPLE_RATE_HZ))
        self._step = step
        self._next_partial = max(step, int(round(self.settings.partial_min_s * SAMPLE_RATE_HZ)))
        self._reported = ""

    def feed(self, chunk: AudioChunk) -> Hypothesis | None:
        """Adds audio; at each `partial_every_s` boundary of audio, decodes the audio up to it."""
        samples = resample(chunk, SAMPLE_RATE_HZ).samples
        self._audio.append(samples)
        self._n += len(samples)
        self._end_s = chunk.end_s
        if self.context not in self.settings.partial_contexts or self._n < self._next_partial:
            return None
        audio = np.concatenate(self._audio)
        self._audio = [audio]
        result = None
        # Only the latest boundary reached is decoded: the audio up to it, whatever the chunk size.
        boundary = self._next_partial + (self._n - self._next_partial) // self._step * self._step
        t0 = time.perf_counter()
        hyp = self._hypothesis(audio[:boundary], self._start_s, self._start_s + boundary / SAMPLE_RATE_HZ, final=False)
        took_s = time.perf_counter() - t0
        # "when fast enough": on a slow CPU, skip boundaries so decoding stays within the duty budget
        skip = math.ceil(took_s / max(1e-6, self.settings.partial_max_duty * self.settings.partial_every_s))
        self._next_partial = boundary + self._step * max(1, skip)
        if hyp.text and hyp.text != self._reported:
            self._reported = hyp.text
            result = hyp
        return result

    def finish(self) -> Hypothesis:
        """The final result: the whole utterance decoded in one pass."""
        self._in_stream = False
        audio = np.concatenate(self._audio) if self._audio else np.zeros(0, np.int16)
        hyp = self._hypothesis(audio, self._start_s, self._end_s, final=True)
        self.context = self._pending
        return hyp

    # -- decoding -------------------------------------------------------------------------------
    def window_s(self, duration_s: float, ctx: ContextSettings) -> float:
        step = self.settings.window_step_s
        return max(ctx.min_window_s, math.ceil((duration_s + ctx.tail_s) / step - 1e-9) * step)

    def _hypothesis(self, samples: np.ndarray, start_s: float, end_s: float, *, final: bool) -> Hypothesis:
        ctx = self.settings.context(self.context)
        duration_s = len(samples) / SAMPLE_RATE_HZ
        if len(samples) < SAMPLE_RATE_HZ // 20:  # under 50 ms: nothing to decode
            return Hypothesis("", 0.0, final, final and len(samples) > 0, start_s, end_s)
        budget = ctx.max_new_tokens + int(math.ceil(ctx.new_tokens_per_s * max(0.0, duration_s - 1.0)))
        vocabulary = self._words[self.context]
        rescue = final and ctx.rescue_min_p > 0 and self.settings.rescue_word in vocabulary
        doubt = final and ctx.doubt_min_p > 0 and bool(ctx.doubt_alone)
        decoded = self.model.decode(samples, self.window_s(duration_s, ctx), self._prompts[self.context], budget,
                                    watch=self._rescue_ids if rescue or doubt else None)
        if final:
            self.last_decoded = decoded
        words = normalize_transcript(decoded.text, ctx, self.settings.max_repeats)
        if ctx.rejects(decoded.no_speech_prob, words):  # noise, a cough, the room: no words
            # Whether it was a voice all the same is the listener's voicing check: a cough has no
            # pitch (nothing), a real "stop" under the coach's echo that Whisper took for no
            # speech does (unclear: the session pauses and asks). Digital silence is nothing.
            return Hypothesis("", 0.0, final, final and bool(np.any(samples)), start_s, end_s)
        if doubt and len(words) == 1 and words[0] in ctx.doubt_alone and decoded.watched_first_p >= ctx.doubt_min_p:
            # Perhaps a "stop" written as "Start" (idle): heard, not understood; nothing begins.
            return Hypothesis("", 0.0, final, True, start_s, end_s)
        if (rescue and len(words) <= self.settings.rescue_max_words and not vocabulary.intersection(words)
                and decoded.watched_first_p >= ctx.rescue_min_p):
            # A real "stop" Whisper wrote as another short word ("star", "dump"): taking it for
            # stop is the safe mistake, and other words rarely give "stop" this much (docs/benchmarks.md).
            return Hypothesis(self.settings.rescue_word, decoded.watched_first_p, final, False, start_s, end_s)
        if not words:  # Whisper thinks someone spoke but wrote no word: heard, not understood
            return Hypothesis("", 0.0, final, final, start_s, end_s)
        other = sum(w not in vocabulary for w in words)
        return Hypothesis(" ".join(words), word_confidence(decoded), final, False, start_s, end_s, other)
