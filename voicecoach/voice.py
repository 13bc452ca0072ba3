"""The real bedside: microphone, recognizer, echo handling and speaker, put together for `run`.

Everything is opened before the first word is spoken, so a missing device or model is one
clear error and nothing half-starts.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .audio import SAMPLE_RATE_HZ, AudioChunk
from .clock import Clock
from .config import AppConfig
from .content import Content
from .echo import EchoGate, SpeexEchoCanceller
from .listener import Listener, ListenerSource
from .players import SoundDevicePlayer, SoundDeviceSettings, played_window
from .recognizers import make_recognizer, vocabularies_from_table
from .sources import MicrophoneSettings, MicrophoneSource
from .speaker import Speaker, SpeakerSettings
from .tts import VoiceSettings, default_renderer
from .tts_cache import TtsCache


def device_choice(name: str) -> str | int | None:
    """A configured or typed device: None for the default, an index, or part of a name."""
    if not name:
        return None
    return int(name) if name.isdigit() else name


def configured_recognizer(content: Content, config: AppConfig, *, context: str):
    """The recognizer the config asks for ("auto": Vosk when a model is there), for the content's vocabulary."""
    return make_recognizer(vocabularies_from_table(content.intents),
                           engine=None if config.engine == "auto" else config.engine,
                           vosk_model=config.vosk_model or None, context=context)


class MicrophoneClock:
    """Places microphone frames on the session clock, so they line up with what the speaker played."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._offset_s: float | None = None

    def start_s(self, frame: AudioChunk) -> float:
        if self._offset_s is None:  # the first frame has only just been recorded
            self._offset_s = self.clock.now() - frame.end_s
        return frame.start_s + self._offset_s


@dataclass
class VoiceParts:
    speaker: Speaker
    source: ListenerSource
    player: SoundDevicePlayer

    def close(self) -> None:
        self.player.close()


def open_voice(content: Content, config: AppConfig, clock: Clock) -> VoiceParts:
    """Open the recognizer, the speaker and the microphone (in that order: cheapest failure first)."""
    recognizer = configured_recognizer(content, config, context="idle")
    renderer = default_renderer("auto")
    player = SoundDevicePlayer(SoundDeviceSettings(device=device_choice(config.output_device)), clock=clock)
    voice = VoiceSettings(voice=config.voice, rate_wpm=config.session.rate_wpm)
    speaker = Speaker(renderer, player, TtsCache(), SpeakerSettings(voice=voice, volume=config.session.volume))
    speaker.prerender(_common_lines(content))
    microphone = MicrophoneSource(MicrophoneSettings(device=device_choice(config.input_device)))
    placement = MicrophoneClock(clock)

    def reference(frame: AudioChunk) -> np.ndarray:
        return played_window(player.played(), placement.start_s(frame), len(frame.samples), SAMPLE_RATE_HZ)

    frames = iter(microphone)
    first = next(frames)  # opens the device now: a missing microphone fails before a word is said
    listener = Listener(recognizer, content.intents, echo_canceller=SpeexEchoCanceller(SAMPLE_RATE_HZ),
                        echo_gate=EchoGate())
    source = ListenerSource(itertools.chain([first], frames), listener, clock, reference=reference)
    return VoiceParts(speaker, source, player)


def _common_lines(content: Content) -> list[str]:
    """Lines worth rendering before the first session, so they start at once."""
    keys = ("stop_ack", "stop_menu", "pause_ack", "resume_ack", "pain_release", "pain_question", "start")
    return [content.phrases.say(k) for k in keys] + [q.ask[0] for q in content.screening.questions]
