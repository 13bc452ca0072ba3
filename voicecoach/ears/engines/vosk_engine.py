"""Vosk (Kaldi) recognizer with a restricted per-context grammar that includes "[unk]".

The model is loaded from an explicit directory only: `vosk.Model()` without a path would
try to download one, which this product never does.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from voicecoach.audio.chunks import SAMPLE_RATE_HZ, AudioChunk, resample
from voicecoach.ears.engines.base import Hypothesis, RecognizerError, Vocabularies, check_context

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "install one with `voicecoach install-model` (needs the network once), or put an unpacked Vosk model "
    "(e.g. vosk-model-small-en-us-0.15) in models/ or pass its path"
)
UNK = "[unk]"


def is_vosk_model_dir(path: str | Path) -> bool:
    """A directory that looks like an unpacked Vosk model (has am/ and conf/model.conf)."""
    p = Path(path)
    return (p / "am").is_dir() and (p / "conf" / "model.conf").is_file()


def find_vosk_model(models_dir: str | Path) -> Path | None:
    """The first Vosk model directory in `models_dir` (or `models_dir` itself), else None."""
    root = Path(models_dir)
    if is_vosk_model_dir(root):
        return root
    if root.is_dir():
        for child in sorted(root.iterdir()):
            if is_vosk_model_dir(child):
                return child
    return None


def load_vosk_model(path: str | Path):
    """Load a vosk.Model from a directory, with a clear RecognizerError when that fails."""
    try:
        import vosk  # deferred: loads the Kaldi shared library
    except ImportError as exc:
        raise RecognizerError("the vosk package is missing; install it with: pip install vosk") from exc
    p = Path(path)
    if not is_vosk_model_dir(p):
        raise RecognizerError(f"no Vosk model at {p}; {INSTALL_HINT}")
    vosk.SetLogLevel(-1)
    try:
        return vosk.Model(str(p))
    except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
        raise RecognizerError(f"the Vosk model at {p} is broken or incomplete ({exc}); {INSTALL_HINT}") from exc


class VoskRecognizer:
    """Grammar-restricted Vosk recognizer; one instance per thread (one model may be shared)."""

    name = "vosk"

    def __init__(self, vocabularies: Vocabularies, *, model=None, model_path: str | Path | None = None,
                 context: str = "exercise") -> None:
        if model is None:
            if model_path is None:
                raise RecognizerError(f"no Vosk model configured; {INSTALL_HINT}")
            model = load_vosk_model(model_path)
        import vosk

        self.model = model
        self.vocabularies = vocabularies
        self._has_unk = model.vosk_model_find_word(UNK) >= 0
        if not self._has_unk:
            log.warning("this Vosk model has no [unk] word: out-of-vocabulary speech will be forced into commands")
        self._grammars = {ctx: self._grammar(ctx, phrases) for ctx, phrases in vocabularies.items()}
        check_context(vocabularies, context)
        self.context = context
        self._rec = vosk.KaldiRecognizer(model, SAMPLE_RATE_HZ, self._grammars[context])
        self._rec.SetWords(True)
        self._stream_start_s = 0.0
        self._stream_end_s = 0.0
        self._last_partial = ""
        self._done: list[tuple[list[str], list[float], int]] = []  # _words of each Vosk result so far
        self._pending_context = context
        self._in_stream = False

    def _grammar(self, ctx: str, phrases) -> str:
        kept = []
        for phrase in phrases:
            missing = [w for w in phrase.split() if self.model.vosk_model_find_word(w) < 0]
            if missing:
                log.warning("vosk: context %s: dropping %r, the model does not know %s", ctx, phrase, missing)
            else:
                kept.append(phrase)
        if not kept:  # an empty grammar is undefined behaviour in Vosk: refuse to start instead
            raise RecognizerError(f"the Vosk model knows none of the words of context {ctx!r}; "
                                  f"is it a model for the right language? {INSTALL_HINT}")
        return json.dumps(kept + ([UNK] if self._has_unk else []), ensure_ascii=False)

    def phrases(self, context: str) -> list[str]:
        """The phrases this recognizer listens for in a context: its vocabulary minus those with a word
        the model does not know (dropped at start-up, with a warning)."""
        check_context(self.vocabularies, context)
        return [p for p in json.loads(self._grammars[context]) if p != UNK]

    def set_context(self, context: str) -> None:
        """Switch grammars now, or at the end of the current utterance when one is streaming."""
        check_context(self.vocabularies, context)
        self._pending_context = context
        if not self._in_stream:
            self._apply_context()

    def _apply_context(self) -> None:
        if self._pending_context != self.context:
            self._rec.Reset()  # SetGrammar mid-utterance aborted the process
            self._rec.SetGrammar(self._grammars[self._pending_context])
            self.context = self._pending_context

    def _words(self, result_json: str) -> tuple[list[str], list[float], int]:
        """(kept words, their confidences, how many [unk] were heard) of one Vosk result."""
        res = json.loads(result_json)
        raw = res.get("text", res.get("partial", "")).split()
        kept = [w for w in raw if w != UNK]
        confs = [float(w.get("conf", 1.0)) for w in res.get("result", []) if w.get("word") != UNK]
        return kept, confs, raw.count(UNK)

    def decode(self, utterance: AudioChunk) -> Hypothesis:
        self.start_stream(utterance.start_s)
        self.feed(utterance)
        return self.finish()

    def start_stream(self, start_s: float = 0.0) -> None:
        self._in_stream = False
        self._apply_context()
        self._rec.Reset()
        self._in_stream = True
        self._stream_start_s = self._stream_end_s = start_s
        self._last_partial = ""
        self._done = []

    def feed(self, chunk: AudioChunk) -> Hypothesis | None:
        chunk = resample(chunk, SAMPLE_RATE_HZ)
        self._stream_end_s = chunk.end_s
        if self._rec.AcceptWaveform(chunk.samples.astype("<i2").tobytes()):
            self._done.append(self._words(self._rec.Result()))  # Vosk end-pointed a segment itself
            current: list[str] = []
        else:
            current = self._words(self._rec.PartialResult())[0]
        text = " ".join([w for d in self._done for w in d[0]] + current)
        if text and text != self._last_partial:
            self._last_partial = text
            # Partials carry no confidence and may name a word the final result drops.
            return Hypothesis(text, 0.5, False, False, self._stream_start_s, chunk.end_s)
        return None

    def finish(self) -> Hypothesis:
        self._done.append(self._words(self._rec.FinalResult()))
        self._rec.Reset()
        self._in_stream = False
        self._apply_context()
        words = [w for d in self._done for w in d[0]]
        confs = [c for d in self._done for c in d[1]]
        unknown = sum(d[2] for d in self._done)
        conf = min(confs) if (words and confs) else (1.0 if words else 0.0)
        return Hypothesis(" ".join(words), conf, True, bool(unknown) and not words, self._stream_start_s,
                          self._stream_end_s, unknown)
