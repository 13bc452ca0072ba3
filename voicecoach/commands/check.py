"""`voicecoach check`: is the bedside set up right? Plays a phrase, records, reports what it heard."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np

from voicecoach.assemble import build_listener, build_speaker, configured_recognizer, device_choice
from voicecoach.audio.chunks import SAMPLE_RATE_HZ, AudioChunk
from voicecoach.audio.players import SoundDevicePlayer, SoundDeviceSettings
from voicecoach.audio.sources import MicrophoneSettings, MicrophoneSource
from voicecoach.clock import RealClock
from voicecoach.ears.vad import level_db
from voicecoach.store.config import AppConfig
from voicecoach.store.content import Content


def run_check(content: Content, config: AppConfig, *, seconds: float = 4.0) -> Iterator[str]:
    """Lines of a report; raises the usual one-line errors when a device or model is missing."""
    clock = RealClock()
    recognizer = configured_recognizer(content, config, context="exercise")
    yield f"recognizer: {recognizer.name}"
    with SoundDevicePlayer(SoundDeviceSettings(device=device_choice(config.output_device)), clock=clock) as player:
        speaker = build_speaker(player, config)
        prompt = content.phrases.say("check_prompt")
        duration = speaker.say(prompt)
        speaker.wait_until_said(clock)
        yield f"speaker: said {prompt!r} ({duration:.1f} s) at volume {config.session.volume:.2f}"
    frames_needed = int(seconds * SAMPLE_RATE_HZ / 480)
    microphone = MicrophoneSource(MicrophoneSettings(device=device_choice(config.input_device)))
    frames = list(itertools.islice(iter(microphone), frames_needed))
    recording = AudioChunk(np.concatenate([f.samples for f in frames]), SAMPLE_RATE_HZ)
    yield from _levels(recording)
    listener = build_listener(recognizer, content.intents, config.listening, echo_cancellation=False, echo_gate=False)
    listener.set_context("exercise")
    heard = [u for f in frames for u in listener.process(f)]
    said = ", ".join(f"{u.intent.name if u.intent else 'nothing'} ({u.text})" for u in heard) or "nothing"
    yield f"heard: {said}"


def _levels(recording: AudioChunk) -> Iterator[str]:
    """The microphone's noise floor and loudest moment, in dBFS, with what to do about them."""
    n = SAMPLE_RATE_HZ // 100
    frames = recording.samples[: len(recording.samples) // n * n].reshape(-1, n)
    levels = sorted(level_db(f) for f in frames)
    floor, loudest = levels[len(levels) // 10], levels[-1]
    peak = int(np.abs(recording.samples.astype(np.int32)).max()) if len(recording.samples) else 0
    yield f"microphone: {recording.duration_s:.1f} s recorded; noise floor {floor:.0f} dBFS, loudest {loudest:.0f} dBFS"
    if loudest - floor < 15:
        yield "advice: no speech stood out from the background; move the microphone closer or raise its gain"
    if peak >= 32000:
        yield "advice: the recording clipped; lower the microphone gain (alsamixer)"
