"""PocketSphinx recognizer (the embedded default): filler-word unigram LM + lattice posteriors.

Rejection strategy (chosen by measurement, see scripts/bench_recognition.py): each context
is decoded against a small unigram language model of the context's words plus ~1,000 common
English filler words, so out-of-vocabulary speech lands on a filler word rather than being
forced into a command. A command word on the best path is accepted only if its lattice
posterior (`Segment.prob`, computed by the bestpath search) reaches a per-word threshold.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from voicecoach.audio.chunks import SAMPLE_RATE_HZ, AudioChunk, resample
from voicecoach.ears.engines.base import Hypothesis, RecognizerError, Vocabularies, check_context, vocabulary_words
from voicecoach.ears.engines.filler_words import FILLER_WORDS
from voicecoach.store.private_files import scratch_path

log = logging.getLogger(__name__)

_NON_WORDS = re.compile(r"^(<.*>|\[.*\]|\+\+.*\+\+)$")  # <s>, </s>, <sil>, [NOISE], ++UH++


def _tuned_context_thresholds() -> dict[str, float]:
    # Chosen on the "tune" speaker half of the development clips (scripts/bench_recognition.py).
    return {"exercise": 0.9, "yesno": 0.6, "rating": 0.7, "idle": 0.8}


@dataclass(frozen=True)
class PocketSphinxSettings:
    """Model paths (None = the wheel's US-English model) and rejection knobs.

    Language model: `filler_count` filler words; each command word is `boost` times as
    probable as a filler word; within a command phrase the next word ("how" -> "long") gets
    `phrase_continuation` of the probability.
    Rejection: a command word on the best path is accepted when its lattice posterior (0..1,
    plus its in-vocabulary homophones) reaches its threshold: `word_thresholds`, else
    `context_thresholds`, else `threshold`. A `rescue_words` word missing from the best path is
    accepted when its lattice posterior reaches `rescue_threshold`.
    Streaming: partial results from a pass in `stream_block_samples` blocks, reported once
    unchanged for `partial_stable_s` seconds of audio, in `partial_contexts` only: while
    waiting ("idle") nothing is acted on early, and the pass would double the CPU spent on
    a radio or TV in the room.
    """

    hmm: str | None = None
    dictionary: str | None = None
    filler_count: int = 1000
    boost: float = 8.0
    phrase_continuation: float = 0.3
    threshold: float = 0.8
    context_thresholds: Mapping[str, float] = field(default_factory=_tuned_context_thresholds)
    word_thresholds: Mapping[str, float] = field(default_factory=dict)
    rescue_words: tuple[str, ...] = ("stop",)
    rescue_threshold: float = 0.25
    partials: bool = True
    partial_contexts: tuple[str, ...] = ("yesno", "rating", "exercise")
    stream_block_samples: int = 1600  # 100 ms
    partial_stable_s: float = 0.2
    decoder_options: Mapping[str, object] = field(default_factory=dict)  # extra pocketsphinx.Config keys


def _default_model() -> tuple[str, str]:
    import pocketsphinx

    base = Path(pocketsphinx.get_model_path()) / "en-us"
    return str(base / "en-us"), str(base / "cmudict-en-us.dict")


def lattice_word_posteriors(htk_text: str) -> dict[str, float]:
    """Word -> posterior probability mass (0..1) from an HTK lattice written by PocketSphinx.

    Words sit on nodes ("I=3 t=0.77 W=go"); a link's p= is its posterior, so a node's
    posterior is the sum over the links that end in it. The mass of all nodes carrying the
    same word is summed (capped at 1): "was this word said anywhere in the utterance".
    """
    node_word: dict[str, str] = {}
    mass: dict[str, float] = {}
    for line in htk_text.splitlines():
        if line.startswith("I="):
            fields = dict(f.split("=", 1) for f in line.split())
            node_word[fields["I"]] = _base_word(fields.get("W", "!NULL"))
        elif line.startswith("J="):
            fields = dict(f.split("=", 1) for f in line.split())
            w = node_word.get(fields["E"], "!NULL")
            if not w.startswith("!") and not _NON_WORDS.match(w):
                mass[w] = mass.get(w, 0.0) + float(fields.get("p", 0.0))
    return {w: min(1.0, m) for w, m in mass.items()}


def _base_word(word: str) -> str:
    return word.split("(")[0]  # "the(2)" is the second pronunciation of "the"


class PocketSphinxRecognizer:
    """Per-context PocketSphinx decoding with out-of-vocabulary rejection. Not thread-safe."""

    name = "pocketsphinx"

    def __init__(self, vocabularies: Vocabularies, *, settings: PocketSphinxSettings = PocketSphinxSettings(),
                 context: str = "exercise") -> None:
        try:
            import pocketsphinx  # deferred: loads the native decoder
        except ImportError as exc:
            raise RecognizerError("the pocketsphinx package is missing; install it with: pip install pocketsphinx") from exc
        self.settings = settings
        self.vocabularies = vocabularies
        hmm, dic = _default_model()
        hmm, dic = settings.hmm or hmm, settings.dictionary or dic
        for p in (hmm, dic):
            if not os.path.exists(p):
                raise RecognizerError(f"PocketSphinx model file {p} is missing; reinstall with: pip install --force-reinstall pocketsphinx")
        config = pocketsphinx.Config(hmm=hmm, dict=dic, lm=None, loglevel="FATAL", samprate=SAMPLE_RATE_HZ,
                                     **dict(settings.decoder_options))
        try:
            self._decoder = pocketsphinx.Decoder(config)
        except Exception as exc:
            raise RecognizerError(f"PocketSphinx could not load its model from {hmm} ({exc})") from exc
        self.words: dict[str, set[str]] = {}
        self.homophones: dict[str, dict[str, set[str]]] = {}
        self.single_phrases: dict[str, set[str]] = {}
        with tempfile.TemporaryDirectory(prefix="voicecoach-lm-") as tmp:
            for ctx, phrases in vocabularies.items():
                self.words[ctx] = self._add_context(ctx, phrases, Path(tmp) / f"{ctx}.arpa")
        check_context(vocabularies, context)
        self.context = ""
        self._pending_context = context
        self._in_utt = False  # the streaming pass has an open decoder utterance
        self._in_stream = False  # between start_stream() and finish()
        self._cmn0 = self._decoder.get_cmn()  # every utterance starts from the model's initial mean
        self.last_segments: list[tuple[str, float]] = []
        self.last_posteriors: dict[str, float] = {}
        self.set_context(context)

    # -- set-up -----------------------------------------------------------------------------
    def _pronunciations(self, word: str) -> set[str]:
        prons: set[str] = set()
        i = 1
        while True:
            p = self._decoder.lookup_word(word if i == 1 else f"{word}({i})")
            if p is None:
                return prons
            prons.add(p)
            i += 1

    def _add_context(self, ctx: str, phrases, path: Path) -> set[str]:
        words = []
        for w in vocabulary_words(phrases):
            if self._decoder.lookup_word(w) is None:
                log.warning("pocketsphinx: context %s: the dictionary has no %r; phrases with it cannot be heard", ctx, w)
            else:
                words.append(w)
        command_prons = set().union(*(self._pronunciations(w) for w in words)) if words else set()
        fillers: list[str] = []
        for f in FILLER_WORDS:
            if len(fillers) >= self.settings.filler_count:
                break
            # Homophones of commands ("know" for "no", "for" for "four") must not soak them up.
            if f not in words and not (self._pronunciations(f) & command_prons):
                fillers.append(f)
        known = set(words)
        phrases_ok = [p.split() for p in phrases if all(w in known for w in p.split())]
        # Homophones inside the vocabulary ("no"/"know") split one lattice posterior between them.
        prons = {w: self._pronunciations(w) for w in words}
        self.homophones[ctx] = {w: {v for v in words if prons[v] & prons[w]} for w in words}
        self.single_phrases[ctx] = {p[0] for p in phrases_ok if len(p) == 1}
        path.write_text(self._arpa(words, fillers, phrases_ok))
        self._decoder.add_lm_file(ctx, str(path))
        return set(words)

    def _arpa(self, words: list[str], fillers: list[str], phrases: list[list[str]]) -> str:
        """Unigrams: commands `boost` times as likely as fillers. Bigrams: the next word of each
        command phrase ("how" -> "long") gets `phrase_continuation` of the probability mass."""
        p_filler = 1.0 / (len(fillers) + self.settings.boost * len(words))
        lp_f, lp_c = math.log10(p_filler), math.log10(self.settings.boost * p_filler)
        nexts: dict[str, set[str]] = {}
        for ph in phrases:
            for a, b in itertools.pairwise(ph):
                nexts.setdefault(a, set()).add(b)
        cont = self.settings.phrase_continuation
        bo = {w: math.log10(1.0 - cont) for w in nexts}
        bigrams = [f"{math.log10(cont / len(bs)):.5f} {a} {b}" for a, bs in sorted(nexts.items()) for b in sorted(bs)]
        lines = ["\\data\\", f"ngram 1={len(words) + len(fillers) + 2}", f"ngram 2={max(1, len(bigrams))}", "",
                 "\\1-grams:", "-99 <s> 0", "-1 </s> 0"]
        lines += [f"{lp_c:.5f} {w} {bo.get(w, 0.0):.5f}" for w in words] + [f"{lp_f:.5f} {w} 0" for w in fillers]
        lines += ["", "\\2-grams:"] + (bigrams or [f"{lp_f:.5f} <s> {fillers[0]}"])
        return "\n".join(lines + ["", "\\end\\", ""])

    # -- interface ----------------------------------------------------------------------------
    def set_context(self, context: str) -> None:
        check_context(self.vocabularies, context)
        self._pending_context = context
        if not self._in_stream:  # never switch searches in the middle of an utterance
            self._apply_context()

    def _apply_context(self) -> None:
        if self._pending_context != self.context:
            self._decoder.activate_search(self._pending_context)
            self.context = self._pending_context

    def threshold(self, word: str, context: str) -> float:
        """Minimum lattice posterior for `word` in `context` (word > context > global setting)."""
        s = self.settings
        return s.word_thresholds.get(word, s.context_thresholds.get(context, s.threshold))

    def decode(self, utterance: AudioChunk) -> Hypothesis:
        if self._in_utt:  # an unfinished stream is abandoned
            self._decoder.end_utt()
            self._in_utt = False
        self._in_stream = False
        self._apply_context()
        return self._final(self._bytes(utterance), utterance.start_s, utterance.end_s)

    def start_stream(self, start_s: float = 0.0) -> None:
        if self._in_utt:
            self._decoder.end_utt()
        self._apply_context()
        self._audio = bytearray()  # the whole utterance, decoded again at the end
        self._fed = 0  # bytes of it already given to the streaming pass
        self._start_s = self._end_s = start_s
        self._partial, self._partial_since_s, self._reported = "", start_s, ""
        self._in_stream = True
        self._in_utt = self.settings.partials and self.context in self.settings.partial_contexts
        if self._in_utt:
            self._decoder.set_cmn(self._cmn0)
            self._decoder.start_utt()

    def feed(self, chunk: AudioChunk) -> Hypothesis | None:
        """Streaming pass for partial results, in fixed blocks so chunk sizes do not matter."""
        self._audio += self._bytes(chunk)
        self._end_s = chunk.end_s
        if not self._in_utt:
            return None
        block = 2 * self.settings.stream_block_samples
        result = None
        while len(self._audio) - self._fed >= block:
            self._decoder.process_raw(bytes(self._audio[self._fed : self._fed + block]), full_utt=False)
            self._fed += block
            result = self._check_partial(self._start_s + self._fed / 2 / SAMPLE_RATE_HZ) or result
        return result

    def _check_partial(self, at_s: float) -> Hypothesis | None:
        hyp = self._decoder.hyp()
        vocab = self.words[self.context]
        text = " ".join(w for w in (_base_word(x) for x in (hyp.hypstr.split() if hyp else [])) if w in vocab)
        if text != self._partial:
            self._partial, self._partial_since_s = text, at_s
            return None
        if text and text != self._reported and at_s - self._partial_since_s >= self.settings.partial_stable_s - 1e-9:
            self._reported = text
            return Hypothesis(text, 0.5, False, False, self._start_s, at_s)
        return None

    def finish(self) -> Hypothesis:
        """The final result: the whole utterance decoded again in one pass (batch normalization)."""
        if self._in_utt:
            self._decoder.end_utt()
            self._in_utt = False
        self._in_stream = False
        return self._final(bytes(self._audio), self._start_s, self._end_s)

    def _final(self, audio: bytes, start_s: float, end_s: float) -> Hypothesis:
        d = self._decoder
        d.set_cmn(self._cmn0)
        d.start_utt()
        d.process_raw(audio, full_utt=True)
        d.end_utt()
        self.last_segments = []  # (word, best-path posterior), for benchmarks and logs
        self.last_posteriors = {}  # word -> lattice posterior mass
        if d.hyp() is not None:
            self.last_segments = [(w, float(seg.prob)) for seg in d.seg()
                                  if not _NON_WORDS.match(w := _base_word(seg.word))]
            self.last_posteriors = self._lattice_posteriors()
        context = self.context
        self._apply_context()
        text, conf = self.decide(self.last_segments, self.last_posteriors, context)
        other = bool(self.last_segments) and not text
        other_words = max(0, len(self.last_segments) - len(text.split()))
        return Hypothesis(text, conf, True, other, start_s, end_s, other_words)

    def decide(self, segments: list[tuple[str, float]], posteriors: dict[str, float], context: str) -> tuple[str, float]:
        """The rejection rule: (accepted text, confidence) from a best path and lattice posteriors."""
        vocab, homophones = self.words[context], self.homophones[context]

        def mass(word: str) -> float:  # posterior of the word plus its in-vocabulary homophones
            return min(1.0, sum(posteriors.get(v, 0.0) for v in homophones.get(word, {word})))

        kept, confs = [], []
        for w, prob in segments:
            p = max(prob, mass(w))
            if w in vocab and p >= self.threshold(w, context):
                kept.append(w)
                confs.append(p)
        if len(kept) == 1 and kept[0] not in self.single_phrases[context]:
            # a lone "know" is the answer "no": prefer the homophone that is a phrase on its own
            alone = sorted(homophones.get(kept[0], set()) & self.single_phrases[context])
            kept = alone[:1] or kept
        # A safety word the best path missed but the lattice is fairly sure of is still heard.
        for w in self.settings.rescue_words:
            p = mass(w)
            if w in vocab and w not in kept and p >= self.settings.rescue_threshold:
                kept.insert(0, w)
                confs.append(p)
        return " ".join(kept), (min(confs) if confs else 0.0)

    def _lattice_posteriors(self) -> dict[str, float]:
        # The Python Lattice has no posterior accessor; its HTK export carries link posteriors.
        # It names the words heard, so it is written to memory (or a 0700 folder), never to /tmp.
        try:
            with scratch_path("voicecoach-lattice") as path:
                self._decoder.get_lattice().write_htk(path)
                with open(path, encoding="utf-8", errors="replace") as f:
                    return lattice_word_posteriors(f.read())
        except (RuntimeError, OSError, ValueError) as exc:
            log.debug("pocketsphinx: no lattice (%s)", exc)
            return {}

    @staticmethod
    def _bytes(chunk: AudioChunk) -> bytes:
        return resample(chunk, SAMPLE_RATE_HZ).samples.astype("<i2").tobytes()
