"""`voicecoach say`: one line on the speaker or into a WAV file, checked the way `run` checks its voice.

The rate, volume and voice go through the same config checks as a session's (the config file
gives the defaults, the flags win), so `say` can neither accept what `run` refuses nor the
other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voicecoach.store import paths
from voicecoach.store.config import build_config, merge, read_config_file
from voicecoach.store.content import load_content
from voicecoach.voice.espeak_voices import check_voice
from voicecoach.voice.renderers import VoiceSettings


class SayError(ValueError):
    """Nothing to say, or nowhere to write it: one line, exit code 2."""


@dataclass(frozen=True)
class SayRequest:
    text: str
    voice: VoiceSettings
    volume: float  # 0.2..1, the session's bounds


def checked_request(text: str, *, rate_wpm: int | None, voice: str | None, volume: float | None,
                    to_file: bool) -> SayRequest:
    if not text.strip():
        raise SayError("nothing to say: the text is empty")
    path = paths.config_path()
    flags = {k: v for k, v in {"rate_wpm": rate_wpm, "volume": volume, "name": voice}.items() if v is not None}
    config = build_config(merge(read_config_file(path, required=False), {"voice": flags} if flags else {}),
                          load_content().routine, str(path))
    name = check_voice(config.voice, where="--voice" if voice is not None else f"{path}: voice.name")
    # A file gets full scale unless asked otherwise; the speaker the session's volume.
    gain = volume if volume is not None else (1.0 if to_file else config.session.volume)
    return SayRequest(text, VoiceSettings(voice=name, rate_wpm=config.session.rate_wpm), gain)


def say(text: str, *, out: Path | None, rate_wpm: int | None, voice: str | None, volume: float | None,
        tts: str, device: str | None) -> str:
    """Speak or write the line; returns what to print."""
    from voicecoach.assemble import voice_renderer
    from voicecoach.voice.cache import TtsCache
    from voicecoach.voice.speaker import clamp_volume

    request = checked_request(text, rate_wpm=rate_wpm, voice=voice, volume=volume, to_file=out is not None)
    renderer = voice_renderer(tts)
    if out is not None:
        import numpy as np

        from voicecoach.audio.chunks import AudioChunk, write_wav

        if not out.parent.is_dir():  # before rendering: say so at once
            raise SayError(f"cannot write {out}: the folder {out.parent} does not exist")
        chunk = TtsCache().render(renderer, request.text, request.voice)
        gain = clamp_volume(request.volume)
        write_wav(out, AudioChunk(np.round(chunk.samples * gain).astype(np.int16), chunk.rate_hz))
        return f"{out}: {chunk.duration_s:.2f} s at {chunk.rate_hz} Hz"
    from voicecoach.assemble import device_choice
    from voicecoach.audio.players import SoundDevicePlayer, SoundDeviceSettings
    from voicecoach.clock import RealClock
    from voicecoach.voice.speaker import Speaker, SpeakerSettings

    with SoundDevicePlayer(SoundDeviceSettings(device=device_choice(device or ""))) as player:
        speaker = Speaker(renderer, player, TtsCache(), SpeakerSettings(voice=request.voice, volume=request.volume))
        speaker.say(request.text)
        speaker.wait_until_said(RealClock(), longest_s=120.0)
    return ""
