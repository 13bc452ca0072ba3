"""Run whole sessions in text on the simulated clock, with the real runner and a scripted user."""

from __future__ import annotations

from dataclasses import dataclass

from voicecoach.clock import SimulatedClock
from voicecoach.coach.runner import SessionRunner, TextSpeaker, transcript
from voicecoach.settings import SessionSettings
from voicecoach.sim.scenario import Cue, ScriptedSource
from voicecoach.store.content import Content
from voicecoach.store.journal import Journal
from voicecoach.types import End, History, Line

EXERCISE_KEYS = ("position:", "move:", "hold:", "release:", "intro:")


@dataclass
class Result:
    outcome: End | None
    timeline: list[Line]
    origin_s: float

    @property
    def spoken(self) -> list[Line]:
        return [l for l in self.timeline if l.who == "coach" and not l.dropped]

    @property
    def keys(self) -> list[str]:
        return [l.key for l in self.spoken]

    def said(self, prefix: str) -> list[Line]:
        return [l for l in self.spoken if l.key.startswith(prefix)]

    @property
    def exercised(self) -> bool:
        return any(k.startswith(EXERCISE_KEYS) for k in self.keys)

    def text(self) -> str:
        return "\n".join(transcript(self.timeline, self.origin_s))


def answers(text: str, count: int, **kw) -> list[Cue]:
    return [Cue(text, after="question:", **kw)] * count


def run_script(content: Content, cues: list[Cue], *, history: History | None = None,
               settings: SessionSettings | None = None, journal: Journal | None = None,
               start_now: bool = True) -> Result:
    clock = SimulatedClock()
    runner = SessionRunner(content, clock=clock, speaker=TextSpeaker(), source=ScriptedSource(cues, clock, table=content.intents),
                           settings=settings, journal=journal,
                           history=history if journal is None else None)
    outcome = runner.run(start_now=start_now)
    return Result(outcome, runner.timeline, runner.session_start_s)
