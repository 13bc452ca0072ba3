"""Scripted users: what the user says and when, for the demo and the tests.

A scenario is a TOML file of `[[say]]` entries, taken in order. Each says its `text`
`delay_s` after the coach finishes a line whose phrase key starts with `after`, or
`offset_s` after such a line begins (`during`: talking over the coach), or at session
second `at_s`. `repeat` says the same entry that many times (one per matching line).
`[[reply]]` entries are standing answers: said after every line whose key starts with
`after` (unless a `[[say]]` entry answers that line), such as "no" to every safety question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from voicecoach.audio.wav_file import AudioFileError, check_wav_file
from voicecoach.clock import SimulatedClock
from voicecoach.ears.intents import IntentTable, packaged_intent_table
from voicecoach.sim.room import RoomSettings
from voicecoach.store.toml_input import InputError, check_keys, checked_fields, number, parse_toml, read_toml
from voicecoach.types import Line, Utterance


class ScenarioError(ValueError):
    """A scenario file that cannot be used."""


@dataclass(frozen=True)
class Cue:
    """One thing the scripted user says, and what it waits for."""

    text: str
    after: str | None = None  # phrase-key prefix: speak `delay_s` after such a line ends
    during: str | None = None  # phrase-key prefix: speak `offset_s` after such a line starts
    at_s: float | None = None  # seconds from the start of the scenario
    delay_s: float = 1.0
    offset_s: float = 1.0
    confidence: float = 1.0  # for typed or text-scripted input; the recognizer sets its own
    voice: str | None = None  # virtual bedside: espeak-ng voice that speaks it
    wav: str | None = None  # virtual bedside: a recording to play instead of synthesized speech
    level_dbfs: float | None = None  # virtual bedside: loudness at the microphone


@dataclass(frozen=True)
class UserVoice:
    """How the scripted user sounds in the virtual bedside (cues may override voice and level)."""

    voice: str = "en-us+m3"  # espeak-ng voice
    rate_wpm: int = 150
    level_dbfs: float = -24.0  # loudness at the microphone, RMS


@dataclass(frozen=True)
class Scenario:
    cues: list[Cue]
    room: RoomSettings = RoomSettings()
    user: UserVoice = UserVoice()
    replies: tuple[Cue, ...] = ()


def load_scenario(path: str | Path | None = None) -> Scenario:
    """A scenario file: [[say]] cues, and for the virtual bedside optional [room] and [user]."""
    source = "demo.toml" if path is None else str(path)
    try:
        data = (parse_toml(resources.files("voicecoach.data").joinpath("demo.toml").read_bytes()) if path is None
                else read_toml(Path(path)))
        check_keys(data, ("say", "reply", "room", "user"), "")
        replies = data.get("reply", [])
        return Scenario(cues=_cues(data.get("say", [])),
                        room=checked_fields(RoomSettings, data.get("room", {}), "room", ROOM_RANGES),
                        user=checked_fields(UserVoice, data.get("user", {}), "user", USER_RANGES),
                        replies=tuple(_cues(replies, "reply")) if replies else ())
    except InputError as exc:
        raise ScenarioError(f"{source}: {exc}") from None


def with_reply(scenario: Scenario, after: str, text: str) -> Scenario:
    """The same scenario with another standing answer to the lines starting with `after`
    (e.g. "no never" for PocketSphinx, which places a bare synthesized "no" poorly in the room)."""
    from dataclasses import replace

    return replace(scenario, replies=tuple(replace(r, text=text) if r.after == after else r for r in scenario.replies))


# The ranges a scenario's numbers must lie in: a simulated session of at most a few hours.
CUE_RANGES = {"at_s": (0, 4 * 3600), "delay_s": (0, 600), "offset_s": (0, 600), "confidence": (0, 1),
              "level_dbfs": (-100, 0)}
ROOM_RANGES = {"echo_gain": (0, 4), "echo_delay_s": (0, 0.5), "reverb_s": (0, 2), "reverb_level": (0, 1),
               "reflections": (0, 100), "noise_dbfs": (-150, 0), "seed": (0, 2**31)}
USER_RANGES = {"rate_wpm": (60, 400), "level_dbfs": (-100, 0)}
MAX_CUES = 2000  # "repeat = 100000000" must not exhaust memory


def _cues(entries: object, table: str = "say") -> list[Cue]:
    if not isinstance(entries, list) or not entries:
        raise InputError(f"needs at least one [[{table}]] entry")
    cues: list[Cue] = []
    for i, entry in enumerate(entries):
        where = f"{table}[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str) or not entry["text"].strip():
            raise InputError(f"{where}: needs a text")
        entry = dict(entry)
        repeat = number(entry.pop("repeat", 1), f"{where}.repeat", 1, MAX_CUES, whole=True)
        triggers = [k for k in ("after", "during", "at_s") if k in entry]
        if len(triggers) != 1 or (table == "reply" and triggers != ["after"]):
            raise InputError(f"{where}: needs exactly one of after, during, at_s"
                             if table == "say" else f"{where}: needs after (and no during, at_s)")
        cue = checked_fields(Cue, entry, where, CUE_RANGES)
        if cue.wav:  # a bad recording is refused now, not when the session reaches it
            try:
                check_wav_file(cue.wav)
            except AudioFileError as exc:
                raise InputError(f"{where}.wav: {exc}") from None
        cues.extend([cue] * int(repeat))
        if len(cues) > MAX_CUES:
            raise InputError(f"{where}: more than {MAX_CUES} things to say in all")
    return cues


class CueSchedule:
    """Works out when each cue is due, from the coach's lines said and queued so far."""

    def __init__(self, cues: list[Cue], origin_s: float, replies: tuple[Cue, ...] = ()) -> None:
        self.cues = list(cues)
        self.replies = replies
        self.origin_s = origin_s  # clock time that `at_s` counts from
        self._index = 0
        self._search_from = 0  # timeline lines before this one have triggered a cue already
        self._reply_from = 0  # lines before this one have been replied to, or needed no reply
        self._due: tuple[str, int | None] = ("say", None)  # what the last next_due returned

    @property
    def finished(self) -> bool:
        return self._index >= len(self.cues)

    def next_due(self, timeline: Sequence[Line], now: float) -> tuple[Cue, float] | None:
        """The next cue and the clock time it is due (never before `now`); None while unknown."""
        said = self._next_say(timeline, now)
        reply = self._next_reply(timeline, now, said[2] if said else None)
        if reply and (said is None or reply[1] < said[1]):
            self._due = ("reply", reply[2])
            return reply[0], reply[1]
        if said:
            self._due = ("say", said[2])
            return said[0], said[1]
        return None

    def _next_say(self, timeline: Sequence[Line], now: float) -> tuple[Cue, float, int | None] | None:
        if self.finished:
            return None
        cue = self.cues[self._index]
        if cue.at_s is not None:
            return cue, max(now, self.origin_s + cue.at_s), None
        prefix = cue.after if cue.after is not None else cue.during
        assert prefix is not None  # a cue has exactly one of at_s, after, during (_cues checks)
        for i in range(self._search_from, len(timeline)):
            line = timeline[i]
            if line.who == "coach" and not line.dropped and line.key.startswith(prefix):
                when = line.end_s + cue.delay_s if cue.after is not None else line.start_s + cue.offset_s
                return cue, max(now, when), i
        return None

    def _next_reply(self, timeline: Sequence[Line], now: float, taken: int | None) -> tuple[Cue, float, int] | None:
        for i in range(self._reply_from, len(timeline)):
            line = timeline[i]
            if line.who != "coach" or line.dropped or i == taken:
                continue
            for reply in self.replies:
                assert reply.after is not None  # a reply always has `after` (_cues checks)
                if line.key.startswith(reply.after):
                    return reply, max(now, line.end_s + reply.delay_s), i
        return None

    def consume(self) -> None:
        """The cue returned by the last `next_due` has been said."""
        kind, line = self._due
        if kind == "reply":
            assert line is not None  # a reply is always to a line
            self._reply_from = line + 1
            return
        self._index += 1
        if line is not None:
            self._search_from = line + 1
            self._reply_from = max(self._reply_from, line + 1)


class ScriptedSource:
    """An input source that says each cue in turn, as text, at the time the cue asks for."""

    def __init__(self, cues: list[Cue], clock: SimulatedClock, replies: tuple[Cue, ...] = (),
                 table: IntentTable | None = None) -> None:
        self.clock = clock
        self.table = table or packaged_intent_table()  # each cue is parsed here, once
        self.schedule = CueSchedule(cues, clock.now(), replies)
        self._stuck = False

    @property
    def finished(self) -> bool:
        return self.schedule.finished or self._stuck

    def wait(self, deadline_s: float | None, timeline: Sequence[Line], context: str = "idle") -> Utterance | None:
        due = self.schedule.next_due(timeline, self.clock.now())
        if due is not None and (deadline_s is None or due[1] <= deadline_s):
            cue, when = due
            self.schedule.consume()
            self.clock.advance_to(when)
            context = context or "idle"
            return Utterance(cue.text, self.clock.now(), self.table.parse(cue.text, context), cue.confidence, context)
        if deadline_s is None:
            self._stuck = True  # waiting forever for a line that will not come
            return None
        self.clock.advance_to(deadline_s)
        return None
