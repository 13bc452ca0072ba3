"""The virtual bedside: a whole session by voice on a machine with no sound card.

The coach speaks into a file speaker (a timeline against the simulated clock); a scripted
user speaks into a virtual room whose microphone also hears the coach's own voice and
background noise; the real listener (echo cancellation, VAD, recognizer) hears that
microphone and drives the real session. Out come one WAV with coach and user mixed, the
transcript, the journal entry, and the measured stop latencies. Faster than real time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from voicecoach.assemble import build_listener
from voicecoach.audio.chunks import SAMPLE_RATE_HZ, AudioChunk, read_wav, resample, write_wav
from voicecoach.audio.players import WavTimelinePlayer
from voicecoach.clock import SimulatedClock
from voicecoach.coach.runner import SessionRunner, transcript
from voicecoach.ears.engines.base import Recognizer
from voicecoach.ears.listener import ListenerSource
from voicecoach.settings import ListenerSettings, SessionSettings
from voicecoach.sim.room import VirtualMicrophone
from voicecoach.sim.scenario import Cue, CueSchedule, Scenario, UserVoice
from voicecoach.store.content import Content
from voicecoach.store.journal import Journal
from voicecoach.types import End, History, Line, Utterance
from voicecoach.voice.cache import TtsCache
from voicecoach.voice.renderers import Renderer, VoiceSettings
from voicecoach.voice.speaker import Speaker, SpeakerSettings

log = logging.getLogger(__name__)


@dataclass
class SpokenCue:
    """What the scripted user said into the room, and when (clock seconds)."""

    text: str
    start_s: float
    end_s: float  # where the spoken words end (the audio may run on in silence)
    audio: AudioChunk  # as it reached the room
    onset_s: float = 0.0  # where the spoken words begin (recordings and synthesizers lead with silence)


def speech_end_s(chunk: AudioChunk, below_peak_db: float = 30.0) -> float:
    """Seconds from the chunk's start to the end of its last 10 ms frame within `below_peak_db` of its
    loudest: where the spoken word ends, not the file (synthesizers add trailing silence)."""
    loud, n = _loud_frames(chunk, below_peak_db)
    return (loud[-1] + 1) * n / chunk.rate_hz if len(loud) else 0.0


def speech_start_s(chunk: AudioChunk, below_peak_db: float = 30.0, above_noise_db: float = 15.0,
                   sustained_s: float = 0.03) -> float:
    """Seconds from the chunk's start to where the spoken word begins (what barge-in latency counts
    from): the first of `sustained_s` of 10 ms frames within `below_peak_db` of the loudest and
    `above_noise_db` above the recording's own lead-in (the median of its first 100 ms, when that
    is quiet: some recordings carry hiss only 10 dB below the word)."""
    n = max(1, chunk.rate_hz // 100)
    x = chunk.samples[: len(chunk.samples) // n * n].astype(np.float64).reshape(-1, n)
    if len(x) == 0:
        return 0.0
    energy_db = 10 * np.log10(np.mean(x ** 2, axis=1) + 1e-9)
    peak, lead_in = energy_db.max(), float(np.median(energy_db[:10]))
    threshold = max(peak - below_peak_db, lead_in + above_noise_db if lead_in < peak - 20.0 else -np.inf)
    need = max(1, int(round(sustained_s * 100)))
    loud = np.convolve(energy_db >= min(threshold, peak), np.ones(need), "valid") >= need
    first = np.nonzero(loud)[0]
    return first[0] * n / chunk.rate_hz if len(first) else 0.0


def _loud_frames(chunk: AudioChunk, below_peak_db: float) -> tuple[np.ndarray, int]:
    n = max(1, chunk.rate_hz // 100)
    x = chunk.samples[: len(chunk.samples) // n * n].astype(np.float64).reshape(-1, n)
    if len(x) == 0:
        return np.zeros(0, dtype=int), n
    energy_db = 10 * np.log10(np.mean(x ** 2, axis=1) + 1e-9)
    return np.nonzero(energy_db >= energy_db.max() - below_peak_db)[0], n


def scale_to_dbfs(chunk: AudioChunk, level_dbfs: float) -> AudioChunk:
    """The chunk with its speech (the louder half of its 10 ms frames) at `level_dbfs` RMS."""
    x = chunk.samples.astype(np.float64)
    n = max(1, chunk.rate_hz // 100)
    frames = x[: len(x) // n * n].reshape(-1, n) if len(x) >= n else x.reshape(1, -1)
    energy = np.mean(frames ** 2, axis=1)
    speech = energy[energy >= np.median(energy)]
    rms = float(np.sqrt(np.mean(speech))) if len(speech) and np.mean(speech) > 0 else 0.0
    if rms == 0.0:
        return chunk
    gain = 32768.0 * 10 ** (level_dbfs / 20) / rms
    return AudioChunk(np.clip(np.round(x * gain), -32768, 32767).astype(np.int16), chunk.rate_hz, chunk.start_s)


class VoiceUser:
    """The scripted user: speaks each cue into the room when the scenario says it is due."""

    def __init__(self, cues: list[Cue], mic: VirtualMicrophone, renderer: Renderer, voice: UserVoice,
                 cache: TtsCache | None = None, replies: tuple[Cue, ...] = ()) -> None:
        self.mic = mic
        self.renderer = renderer
        self.voice = voice
        self.cache = cache
        self.schedule = CueSchedule(cues, mic.clock.now(), replies)
        self.spoken: list[SpokenCue] = []

    @property
    def finished(self) -> bool:
        """All cues said, and the last one is over."""
        return self.schedule.finished and (not self.spoken or self.mic.now_s > self.spoken[-1].end_s + 5.0)

    def audio(self, cue: Cue) -> AudioChunk:
        if cue.wav:
            chunk = read_wav(cue.wav, SAMPLE_RATE_HZ)
        else:
            voice = VoiceSettings(voice=cue.voice or self.voice.voice, rate_wpm=self.voice.rate_wpm)
            chunk = (self.cache.render(self.renderer, cue.text, voice) if self.cache
                     else self.renderer.render(cue.text, voice))
        level = cue.level_dbfs if cue.level_dbfs is not None else self.voice.level_dbfs
        return scale_to_dbfs(chunk, level)

    def before_frame(self, timeline: Sequence[Line]) -> None:
        """Put every cue due before the end of the next microphone frame into the room."""
        horizon = self.mic.now_s + self.mic.frame_samples / self.mic.rate_hz
        while (due := self.schedule.next_due(timeline, self.mic.now_s)) is not None and due[1] < horizon:
            cue, when = due
            chunk = self.audio(cue)
            self.mic.add(chunk, when)
            self.spoken.append(SpokenCue(cue.text, when, when + speech_end_s(chunk), chunk,
                                         onset_s=when + speech_start_s(chunk)))
            self.schedule.consume()


class StopTimer:
    """Wraps the coach's speaker and notes when it was silenced while it was still talking."""

    def __init__(self, speaker: Speaker, clock: SimulatedClock) -> None:
        self.speaker, self.clock = speaker, clock
        self.silenced_at: list[float] = []

    def say(self, text: str, *, rate_wpm: int, volume: float) -> float:
        return self.speaker.say(text, rate_wpm=rate_wpm, volume=volume)

    def stop(self) -> None:
        if self.speaker.busy():
            self.silenced_at.append(self.clock.now())
        self.speaker.stop()


@dataclass
class BedsideResult:
    outcome: End | None
    timeline: Sequence[Line]
    origin_s: float
    mix: AudioChunk  # coach and user, as a person by the bed would hear them
    user: list[SpokenCue]
    silenced_at: list[float]  # clock times the coach was cut off
    ignored: list[tuple[Utterance, str]] = field(default_factory=list)  # taken for the coach's own voice
    # Per microphone frame: its start (clock s), its length (s) and the wall seconds it took to hear.
    frame_costs: list[tuple[float, float, float]] = field(default_factory=list)

    def transcript(self) -> list[str]:
        return transcript(self.timeline, self.origin_s)

    def onset_latencies_s(self, words: tuple[str, ...] = ("stop",)) -> list[float]:
        """For each user line starting with one of `words` said while the coach talked: seconds
        from the start of the spoken words to silence (not silenced ones are left out)."""
        out = []
        for cue in self.user:
            after = [t for t in self.silenced_at if cue.start_s <= t <= cue.end_s + 3.0]
            if cue.text.lower().startswith(words) and after:
                out.append(after[0] - cue.onset_s)
        return out

    def self_triggers(self) -> list[float]:
        """Clock times the coach was cut off with nobody speaking: its own voice, heard back."""
        spoken = [(cue.start_s - 0.2, cue.end_s + 1.0) for cue in self.user]
        return [t for t in self.silenced_at if not any(a <= t <= b for a, b in spoken)]

    def reply_latencies_s(self) -> list[float]:
        """For each user line said while the coach was silent and heard: seconds from the end of
        the spoken words to the start of the coach's reply, as on a device in real time.

        The simulated clock stops while a frame is heard, so the decode's own time is added back:
        frames arrive in real time, each is heard after the one before it is done (taking the
        wall time it took here), and the reply starts once the frame that ended the utterance is
        done. Not included: the sound device's output buffer."""
        coach = [l for l in self.timeline if l.who == "coach" and not l.dropped]
        heard = [l for l in self.timeline if l.who == "you"]
        out = []
        for cue in self.user:
            if any(l.start_s < cue.end_s and cue.onset_s < l.end_s for l in coach):
                continue  # said over the coach: barge-in, measured elsewhere
            line = next((l for l in heard if cue.end_s <= l.start_s <= cue.end_s + 2.0), None)
            reply = next((l for l in coach if line and line.start_s - 1e-6 <= l.start_s <= line.start_s + 1.0), None)
            if line is None or reply is None:
                continue
            done_s = cue.start_s
            for start_s, length_s, cost_s in self.frame_costs:
                if cue.start_s <= start_s and start_s + length_s <= line.start_s + 1e-6:
                    done_s = max(start_s + length_s, done_s) + cost_s  # heard once it is in, and the last one done
            out.append(done_s + (reply.start_s - line.start_s) - cue.end_s)
        return out

    def stop_latencies_s(self, words: tuple[str, ...] = ("stop",)) -> list[float]:
        """For each user line starting with one of `words` said while the coach talked: seconds
        from the end of the spoken line to silence (None-free; unheard ones are left out)."""
        out = []
        for cue in self.user:
            if not cue.text.lower().startswith(words):
                continue
            after = [t for t in self.silenced_at if cue.start_s <= t <= cue.end_s + 3.0]
            if after:
                out.append(after[0] - cue.end_s)
        return out


MAX_SIMULATED_S = 3600.0  # a session that never ends (a bug) still ends the simulation


@dataclass(frozen=True)
class BedsideParts:
    """The real parts a bedside session runs on."""

    recognizer: Recognizer
    coach_renderer: Renderer
    user_renderer: Renderer
    cache: TtsCache | None = None
    echo_cancellation: bool = True
    echo_gate: bool = True
    echo_guard: bool = True  # ignore words the coach was saying at that moment
    coach_voice: VoiceSettings = VoiceSettings()
    listener: ListenerSettings = ListenerSettings()  # end-pointing, onset rule


def run_bedside(content: Content, scenario: Scenario, parts: BedsideParts, *,
                settings: SessionSettings | None = None, journal: Journal | None = None,
                history: History | None = None, start_now: bool = False,
                listen_at_least_s: float = 0.0) -> BedsideResult:
    """One session in the virtual bedside, from waiting for the start phrase to the goodbye.

    The microphone stays open while the session is under way, and in any case until the
    scripted user has said everything (and at least `listen_at_least_s`), so a session still
    waiting for the start phrase then ends."""
    if settings is None:  # the read-back threshold is the recognizer's: each engine's confidence has its own scale
        from voicecoach.store.config import ENGINE_CONFIRM_BELOW

        settings = SessionSettings(confirm_below=ENGINE_CONFIRM_BELOW.get(parts.recognizer.name,
                                                                          SessionSettings.confirm_below))
    clock = SimulatedClock()
    player = WavTimelinePlayer(clock, rate_hz=SAMPLE_RATE_HZ, origin_s=0.0)
    speaker = Speaker(parts.coach_renderer, player, parts.cache,
                      SpeakerSettings(voice=parts.coach_voice.with_rate(settings.rate_wpm), volume=settings.volume))
    timer = StopTimer(speaker, clock)
    mic = VirtualMicrophone(player.window, clock, scenario.room)
    user = VoiceUser(scenario.cues, mic, parts.user_renderer, scenario.user, parts.cache, scenario.replies)
    listener = build_listener(parts.recognizer, content.intents, parts.listener,
                              echo_cancellation=parts.echo_cancellation, echo_gate=parts.echo_gate)

    def session_under_way() -> bool:
        session = runner.session
        return session is not None and not session.finished and session.context not in (None, "idle")

    def frames():
        # As in a bedroom, the microphone stays open while a session is under way: the coach may
        # ask again, and a standing reply answer it, long after the last cue. It closes once the
        # user has said everything and the coach is back to waiting for the start phrase.
        while (not user.finished or mic.now_s < listen_at_least_s or session_under_way()) and mic.now_s < MAX_SIMULATED_S:
            yield mic.read_frame()

    frame_costs: list[tuple[float, float, float]] = []
    source = ListenerSource(frames(), listener, clock,
                            reference=lambda f: player.window(int(round(f.start_s * SAMPLE_RATE_HZ)), len(f.samples)),
                            before_frame=user.before_frame, echo_guard=parts.echo_guard,
                            on_frame_cost=lambda f, cost_s: frame_costs.append((f.start_s, f.duration_s, cost_s)))
    runner = SessionRunner(content, clock=clock, speaker=timer, source=source, settings=settings, journal=journal,
                           history=history)
    outcome = runner.run(start_now=start_now)
    if mic.now_s >= MAX_SIMULATED_S:
        log.warning("the virtual session ran for %.0f s without ending; its last lines: %s", mic.now_s,
                    transcript(runner.timeline, runner.session_start_s)[-12:])
    end_s = max(player.end_s(), clock.now()) + 0.5
    return BedsideResult(outcome, runner.timeline, runner.session_start_s, _mix(player, user.spoken, end_s),
                         user.spoken, timer.silenced_at, source.ignored, frame_costs)


def _mix(player: WavTimelinePlayer, spoken: list[SpokenCue], end_s: float) -> AudioChunk:
    """Coach and user on one track (the user's voice as it reached the room, without noise)."""
    out = player.timeline(end_s).samples.astype(np.float32)
    for cue in spoken:
        first = int(round(cue.start_s * SAMPLE_RATE_HZ))
        voice = resample(cue.audio, SAMPLE_RATE_HZ).samples.astype(np.float32)
        piece = voice[: max(0, len(out) - first)]
        out[first:first + len(piece)] += piece
    return AudioChunk(np.clip(np.round(out), -32768, 32767).astype(np.int16), SAMPLE_RATE_HZ, 0.0)


def save_outputs(result: BedsideResult, out_dir: Path) -> dict[str, Path]:
    """session.wav and transcript.txt in `out_dir`; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"audio": out_dir / "session.wav", "transcript": out_dir / "transcript.txt"}
    write_wav(paths["audio"], result.mix)
    paths["transcript"].write_text("\n".join(result.transcript()) + "\n")
    return paths
