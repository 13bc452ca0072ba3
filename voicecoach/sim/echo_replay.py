"""The coach's own narration played into the virtual room with nobody else there.

Whatever the listener makes of it is self-triggering: an onset would silence the coach for
nothing, a command would act on its own words. The lines of a whole session (from a text run
of a scenario) are rendered with the real voice, played back to back with short gaps, heard by
the room's microphone with its echo and noise, and fed to the real listener (echo cancellation,
echo gate, end-pointer, recognizer) in a context that cuts on onsets. Faster than real time.
"""

from __future__ import annotations

from dataclasses import dataclass

from voicecoach.assemble import build_listener
from voicecoach.audio.chunks import SAMPLE_RATE_HZ
from voicecoach.audio.players import WavTimelinePlayer
from voicecoach.clock import SimulatedClock
from voicecoach.ears.engines.base import Recognizer
from voicecoach.settings import ListenerSettings
from voicecoach.sim.room import RoomSettings, VirtualMicrophone
from voicecoach.store.content import Content
from voicecoach.types import Utterance
from voicecoach.voice.cache import TtsCache
from voicecoach.voice.renderers import Renderer
from voicecoach.voice.speaker import Speaker, SpeakerSettings


@dataclass
class ReplayResult:
    narration_s: float  # seconds of the coach's voice played
    onsets: list[float]  # clock seconds of every onset the listener reported
    heard: list[Utterance]  # what it took for the user's words


def replay_narration(lines: list[str], content: Content, recognizer: Recognizer, renderer: Renderer, *,
                     room: RoomSettings = RoomSettings(), context: str = "exercise", gap_s: float = 0.8,
                     cache: TtsCache | None = None, settings: ListenerSettings = ListenerSettings()) -> ReplayResult:
    """Play `lines` one after another into `room` and listen in `context`; nobody else speaks."""
    clock = SimulatedClock()
    player = WavTimelinePlayer(clock, rate_hz=SAMPLE_RATE_HZ, origin_s=0.0)
    speaker = Speaker(renderer, player, cache, SpeakerSettings())
    mic = VirtualMicrophone(player.window, clock, room)
    listener = build_listener(recognizer, content.intents, settings)
    listener.set_context(context)
    result = ReplayResult(0.0, [], [])
    for line in lines:
        result.narration_s += speaker.say(line)
        until_s = player.end_s() + gap_s
        while mic.now_s < until_s:
            frame = mic.read_frame()
            reference = player.window(int(round(frame.start_s * SAMPLE_RATE_HZ)), len(frame.samples))
            result.heard += listener.process(frame, reference)
            if (onset := listener.take_onset()) is not None:
                result.onsets.append(onset)
    return result
