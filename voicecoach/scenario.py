"""Scripted users: what the user says and when, for the demo and the tests.

A scenario is a TOML file of `[[say]]` entries, taken in order. Each says its `text`
`delay_s` after the coach finishes a line whose phrase key starts with `after`, or
`offset_s` after such a line begins (`during`: talking over the coach), or at session
second `at_s`. `repeat` says the same entry that many times (one per matching line).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .clock import Clock
from .runner import Line, Utterance


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
    confidence: float = 1.0


def load_scenario(path: str | Path | None = None) -> list[Cue]:
    """The cues of a scenario file; the built-in demo scenario by default."""
    if path is None:
        source, raw = "demo.toml", resources.files("voicecoach.data").joinpath("demo.toml").read_text()
    else:
        source = str(path)
        try:
            raw = Path(path).read_text()
        except OSError as exc:
            raise ScenarioError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        entries = tomllib.loads(raw).get("say", [])
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML ({exc})") from None
    if not isinstance(entries, list) or not entries:
        raise ScenarioError(f"{source}: needs at least one [[say]] entry")
    cues: list[Cue] = []
    for i, entry in enumerate(entries):
        where = f"{source}: say[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
            raise ScenarioError(f"{where}: needs a text")
        entry = dict(entry)
        repeat = entry.pop("repeat", 1)
        triggers = [k for k in ("after", "during", "at_s") if k in entry]
        if len(triggers) != 1:
            raise ScenarioError(f"{where}: needs exactly one of after, during, at_s")
        try:
            cue = Cue(**entry)
        except TypeError as exc:
            raise ScenarioError(f"{where}: {exc}") from None
        if not isinstance(repeat, int) or repeat < 1:
            raise ScenarioError(f"{where}: repeat must be a whole number of at least 1")
        cues.extend([cue] * repeat)
    return cues


class ScriptedSource:
    """An input source that says each cue in turn, at the time the cue asks for."""

    def __init__(self, cues: list[Cue], clock: Clock) -> None:
        self.cues = list(cues)
        self.clock = clock
        self.origin_s = clock.now()
        self._index = 0
        self._search_from = 0  # timeline lines before this one have triggered a cue already
        self._stuck = False

    @property
    def finished(self) -> bool:
        return self._index >= len(self.cues) or self._stuck

    def wait(self, deadline_s: float | None, timeline: list[Line]) -> Utterance | None:
        when, line_index = self._next_time(timeline) if self._index < len(self.cues) else (None, None)
        if when is not None and (deadline_s is None or when <= deadline_s):
            cue = self.cues[self._index]
            self._index += 1
            if line_index is not None:
                self._search_from = line_index + 1
            self.clock.advance_to(when)
            return Utterance(cue.text, self.clock.now(), cue.confidence)
        if deadline_s is None:
            self._stuck = True  # waiting forever for a line that will not come
            return None
        self.clock.advance_to(deadline_s)
        return None

    def _next_time(self, timeline: list[Line]) -> tuple[float | None, int | None]:
        """When the current cue is due, and the timeline line that triggers it."""
        cue = self.cues[self._index]
        now = self.clock.now()
        if cue.at_s is not None:
            return max(now, self.origin_s + cue.at_s), None
        prefix = cue.after if cue.after is not None else cue.during
        for i in range(self._search_from, len(timeline)):
            line = timeline[i]
            if line.who == "coach" and not line.dropped and line.key.startswith(prefix):
                when = line.end_s + cue.delay_s if cue.after is not None else line.start_s + cue.offset_s
                if when <= now and cue.after is None and line.end_s <= now:
                    continue  # that line is over: wait for the next one
                return max(now, when), i
        return None, None
