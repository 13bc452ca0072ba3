"""Speech-to-text behind one interface: Whisper tiny.en by default, PocketSphinx or Vosk on request.

Public API:
    make_recognizer(vocabularies, engine=None, models_dir=None, vosk_model=None) -> Recognizer
    (models_dir None: store.paths.models_dir(), looked up when the recognizer is made)
    Hypothesis, Recognizer, RecognizerError, CONTEXTS, load_vocabularies, vocabularies_from_table
Engines are imported lazily (each loads a native library).
"""

from __future__ import annotations

import logging
from pathlib import Path

from voicecoach.ears.engines.base import (
    CONTEXTS,
    Hypothesis,
    Recognizer,
    RecognizerError,
    Vocabularies,
    load_vocabularies,
    vocabularies_from_table,
)
from voicecoach.store import paths

log = logging.getLogger(__name__)

ENGINES = ("whisper", "vosk", "pocketsphinx")
DEFAULT_ENGINE = "whisper"  # what "auto" (or no choice) means


def choose_engine(models_dir: str | Path | None = None, vosk_model: str | Path | None = None) -> str:
    """The engine of "auto": always Whisper (PRODUCT.md 5); Vosk and PocketSphinx are chosen by name."""
    return DEFAULT_ENGINE


def make_recognizer(vocabularies: Vocabularies, *, engine: str | None = None,
                    models_dir: str | Path | None = None, vosk_model: str | Path | None = None,
                    context: str = "exercise", pocketsphinx_settings=None, whisper_settings=None) -> Recognizer:
    """Build the recognizer `engine` (None or "auto" = choose_engine) for these context vocabularies.

    Raises RecognizerError with a one-line, actionable message when the engine cannot start.
    """
    if engine in (None, "auto"):
        engine = choose_engine(models_dir, vosk_model)
    if engine == "whisper":
        from voicecoach.ears.engines.whisper_engine import WhisperRecognizer

        return WhisperRecognizer(vocabularies, settings=whisper_settings, context=context)
    if engine == "vosk":
        from voicecoach.ears.engines.vosk_engine import INSTALL_HINT, VoskRecognizer, find_vosk_model

        models_dir = paths.models_dir() if models_dir is None else models_dir
        path = vosk_model if vosk_model is not None else find_vosk_model(models_dir)
        if path is None:
            raise RecognizerError(f"no Vosk model in {models_dir}; {INSTALL_HINT}")
        return VoskRecognizer(vocabularies, model_path=path, context=context)
    if engine == "pocketsphinx":
        from voicecoach.ears.engines.pocketsphinx_engine import PocketSphinxRecognizer, PocketSphinxSettings

        return PocketSphinxRecognizer(vocabularies, settings=pocketsphinx_settings or PocketSphinxSettings(),
                                      context=context)
    raise RecognizerError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


__all__ = [
    "CONTEXTS", "DEFAULT_ENGINE", "ENGINES", "Hypothesis", "Recognizer", "RecognizerError", "Vocabularies",
    "choose_engine", "load_vocabularies", "make_recognizer", "vocabularies_from_table",
]
