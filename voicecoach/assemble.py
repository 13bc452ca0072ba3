"""The one place the pipeline is put together from the settings: recognizer, listener (with
echo handling), renderer, cache and speaker, for `run`, `demo`, `recognize`, `check` and the
benchmarks. `open_voice` builds the real bedside for `run`.

Everything is opened before the first word is spoken, so a missing device or model is one
clear error and nothing half-starts.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from voicecoach.audio.chunks import SAMPLE_RATE_HZ, AudioChunk
from voicecoach.audio.devices import Backoff, open_with_backoff, rescan
from voicecoach.audio.players import Player, PlayerError, SoundDevicePlayer, SoundDeviceSettings, import_sounddevice, played_window
from voicecoach.audio.sources import AudioDeviceError, MicrophoneSettings, MicrophoneSource
from voicecoach.clock import Clock
from voicecoach.coach.line_set import every_line
from voicecoach.ears.echo import EchoGate, SpeexEchoCanceller
from voicecoach.ears.engines import make_recognizer, vocabularies_from_table
from voicecoach.ears.engines.base import Recognizer
from voicecoach.ears.intents import IntentTable
from voicecoach.ears.listener import Listener, ListenerSource
from voicecoach.settings import ListenerSettings
from voicecoach.store.config import AppConfig
from voicecoach.store.content import Content
from voicecoach.types import History
from voicecoach.voice.cache import TtsCache
from voicecoach.voice.piper import PiperRenderer
from voicecoach.voice.prepare import BackgroundPrepare, prepare_in_background
from voicecoach.voice.prepared import PreparedVoice
from voicecoach.voice.renderers import Renderer, TtsError, TtsUnavailable, VoiceSettings, default_renderer
from voicecoach.voice.speaker import Speaker, SpeakerSettings

log = logging.getLogger(__name__)


def device_choice(name: str) -> str | int | None:
    """A configured or typed device: None for the default, an index, or part of a name."""
    if not name:
        return None
    return int(name) if name.isdigit() else name


def recognizer_for(table: IntentTable, *, engine: str = "auto", vosk_model: str = "",
                   context: str = "idle") -> Recognizer:
    """The recognizer `engine` names ("auto": Whisper tiny.en), for the intent table's vocabulary."""
    return make_recognizer(vocabularies_from_table(table), engine=None if engine == "auto" else engine,
                           vosk_model=vosk_model or None, context=context)


def configured_recognizer(content: Content, config: AppConfig, *, context: str) -> Recognizer:
    """The recognizer the config asks for, for the content's vocabulary."""
    return recognizer_for(content.intents, engine=config.engine, vosk_model=config.vosk_model, context=context)


def build_listener(recognizer: Recognizer, table: IntentTable, settings: ListenerSettings = ListenerSettings(), *,
                   echo_cancellation: bool = True, echo_gate: bool = True, echo_frame_samples: int = 160) -> Listener:
    """The coach's ears: end-pointing and early intents, with the echo canceller and the gate
    that keep the coach's own voice out (both need what the speaker played, frame by frame)."""
    canceller = SpeexEchoCanceller(SAMPLE_RATE_HZ, frame_samples=echo_frame_samples) if echo_cancellation else None
    gate = EchoGate(margin_db=settings.echo_gate_margin_db, gated_gain_db=settings.echo_gated_gain_db,
                    band_low_hz=settings.echo_gate_band_low_hz or None, band_margin_db=settings.echo_gate_band_margin_db,
                    rate_hz=SAMPLE_RATE_HZ) if echo_gate else None
    return Listener(recognizer, table, settings, echo_canceller=canceller, echo_gate=gate)


def build_speaker(player: Player, config: AppConfig, *, renderer: Renderer | None = None,
                  cache: TtsCache | None = None) -> Speaker:
    """The coach's voice on `player`, at the configured voice, rate and volume."""
    return Speaker(renderer or voice_renderer(config.voice_engine), player, cache,
                   SpeakerSettings(voice=voice_settings(config), volume=config.session.volume))


def voice_settings(config: AppConfig) -> VoiceSettings:
    return VoiceSettings(voice=config.voice, rate_wpm=config.session.rate_wpm)


def voices_to_prepare(config: AppConfig) -> list[VoiceSettings]:
    """The voice a session starts with, then one "slower" and one "faster" from it, as the
    session would set them: a user who asks for either once still hears the neural voice."""
    session = config.session
    rates = [session.rate_wpm]
    for step in (-session.rate_step_wpm, session.rate_step_wpm):
        rates.append(min(session.max_rate_wpm, max(session.min_rate_wpm, session.rate_wpm + step)))
    return [VoiceSettings(voice=config.voice, rate_wpm=r) for r in dict.fromkeys(rates)]


def _quick_engine(engine: str) -> str:
    return engine if engine in ("pyttsx3", "espeak") else "auto"


def neural_voice(engine: str) -> PiperRenderer | None:
    """The Piper voice the engine setting asks for, if it is installed (it is not loaded yet)."""
    if engine not in ("auto", "piper"):
        return None
    try:
        return PiperRenderer()
    except TtsUnavailable as exc:
        if engine == "piper":  # asked for by name: say why it is not there, and go on
            log.warning("%s; espeak-ng speaks instead", exc)
        return None


def voice_renderer(engine: str = "auto") -> Renderer:
    """The coach's voice for lines rendered when they are needed (`say`, `check`, the demo on its
    simulated clock): the neural Piper voice where installed, else pyttsx3 / espeak-ng."""
    neural = neural_voice(engine)
    return neural if neural is not None else default_renderer(_quick_engine(engine))


def session_voice(engine: str, cache: TtsCache) -> Renderer:
    """The coach's voice for a live session: the neural voice's lines prepared ahead of time
    (`voicecoach prepare`), espeak-ng at once for any that is not ready. This process never
    loads the neural voice."""
    quick = default_renderer(_quick_engine(engine))
    neural = neural_voice(engine)
    return PreparedVoice(neural.engine_id, cache, quick) if neural is not None else quick


def lines_to_prepare(content: Content, history: History | None = None) -> list[str]:
    """What the neural voice renders ahead: every line of the content (with the progress sentence
    the journal's history gives, rather than every possible one)."""
    return every_line(content, history)


def start_preparing(content: Content, config: AppConfig, cache: TtsCache,
                    history: History | None = None) -> BackgroundPrepare:
    """Render the lines not prepared yet in a low-priority child process (the neural voice loads
    there, not here). For a session whose voice is a `PreparedVoice`: the neural voice is there."""
    return prepare_in_background(lines_to_prepare(content, history), cache.directory, voices_to_prepare(config))


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
    preparing: BackgroundPrepare | None = None  # the neural voice's lines, rendered in a child process

    def close(self) -> None:
        self.player.close()
        if self.preparing is not None:
            self.preparing.stop()  # what it stored stays; the next start resumes from there


NO_SOUND_CARD = ("no sound card found; type instead with `voicecoach run --text`, "
                 "or hear a whole simulated session with `voicecoach demo`")


def open_voice(content: Content, config: AppConfig, clock: Clock, *, tell_user: bool = False,
               sounddevice_module=None, wait_for_devices_s: float | None = None) -> VoiceParts:
    """Load the recognizer and the voice, then open the speaker and the microphone.

    The sound devices are opened together and retried with back-off for the configured
    time (a USB card may appear late, or be busy), with PortAudio rescanned between
    attempts. When the microphone stays unavailable and `tell_user` is set (someone asked
    for a session), the coach says so on the speaker before the error is raised.
    `wait_for_devices_s` 0 (a person at a desk) tries once, and with no sound card at all
    fails at once; the service waits (None: the configured time).
    """
    wait_s = config.wait_for_devices_s if wait_for_devices_s is None else wait_for_devices_s
    sd = sounddevice_module or import_sounddevice()
    if wait_s == 0 and not _any_device(sd):
        raise AudioDeviceError(NO_SOUND_CARD)  # before the recognizer loads: nothing half-starts
    recognizer = configured_recognizer(content, config, context="idle")
    cache = TtsCache()
    renderer = session_voice(config.voice_engine, cache)
    quick = renderer.quick if isinstance(renderer, PreparedVoice) else renderer
    cache.prerender(quick, _common_lines(content), voice_settings(config))  # the fallback's lines start at once too
    output = SoundDeviceSettings(device=device_choice(config.output_device))
    microphone = MicrophoneSettings(device=device_choice(config.input_device))

    def open_devices() -> tuple[SoundDevicePlayer, Iterator[AudioChunk]]:
        player = SoundDevicePlayer(output, clock=clock, sounddevice_module=sd)
        try:
            frames = iter(MicrophoneSource(microphone, sounddevice_module=sd))
            first = next(frames)  # opens the device now: a missing microphone fails before a word is said
        except BaseException:
            player.close()
            raise
        return player, itertools.chain([first], frames)

    def speaker_on(player: SoundDevicePlayer) -> Speaker:
        return build_speaker(player, config, renderer=renderer, cache=cache)

    try:
        player, frames = open_with_backoff(
            open_devices, retry_on=(AudioDeviceError, PlayerError), clock=clock,
            backoff=Backoff(give_up_after_s=wait_s), before_retry=lambda: rescan(sd))
    except AudioDeviceError:  # the microphone: the speaker may still work
        if tell_user:
            _say_and_wait(content.phrases.say("no_microphone"), lambda: speaker_on(
                SoundDevicePlayer(output, clock=clock, sounddevice_module=sd)), clock)
        raise
    speaker = speaker_on(player)
    placement = MicrophoneClock(clock)

    def reference(frame: AudioChunk) -> np.ndarray:
        return played_window(player.played(), placement.start_s(frame), len(frame.samples), SAMPLE_RATE_HZ)

    listener = build_listener(recognizer, content.intents, config.listening)
    source = ListenerSource(frames, listener, clock, reference=reference)
    preparing = start_preparing(content, config, cache, known_history()) if isinstance(renderer, PreparedVoice) else None
    return VoiceParts(speaker, source, player, preparing)


def known_history() -> History:
    """What the journal knows, for the progress sentence to prepare (unknown: none yet)."""
    from voicecoach.store import paths
    from voicecoach.store.journal import Journal, JournalError

    try:
        journal = Journal(paths.journal_path())
    except JournalError:
        return History()
    try:
        return journal.history()
    except JournalError:
        return History()
    finally:
        journal.close()


def _any_device(sd) -> bool:
    try:
        return len(sd.query_devices()) > 0
    except Exception:  # PortAudio could not even list devices: there are none to open
        return False


def _say_and_wait(line: str, open_speaker: Callable[[], Speaker], clock: Clock, *, longest_s: float = 15.0) -> None:
    """Say one line on a speaker opened for it, if it opens, and wait until it is said."""
    try:
        speaker = open_speaker()
    except PlayerError as exc:
        log.warning("could not say %r either: %s", line, exc)
        return
    try:
        speaker.say(line)
        speaker.wait_until_said(clock, longest_s)
    except (PlayerError, TtsError) as exc:  # the caller's error (no microphone) is the one to report
        log.warning("could not say %r either: %s", line, exc)
    finally:
        speaker.player.close()  # type: ignore[attr-defined]  # the SoundDevicePlayer opened for this line


def _common_lines(content: Content) -> list[str]:
    """Lines worth rendering before the first session, so they start at once."""
    keys = ("stop_ack", "stop_menu", "pause_ack", "resume_ack", "pain_release", "pain_question", "start")
    return [content.phrases.say(k) for k in keys] + [q.ask[0] for q in content.screening.questions]
