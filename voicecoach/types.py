"""The shared types every stage passes on: what the user said, what the coach says, and what
the session asks the outside world to do. This module imports nothing of voicecoach, so every
other module can import it (the dependencies point one way: down to here)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import overload

CONTEXTS = ("idle", "yesno", "rating", "exercise")  # what the coach listens for: PRODUCT.md §4

# ---- what the user said ---------------------------------------------------------------


@dataclass(frozen=True)
class Intent:
    """What the user meant: a PRODUCT.md §2 intent name, its number value, and the words heard."""

    name: str
    value: int | None = None
    text: str = ""
    words: tuple[str, ...] = ()  # the normalized phrase that matched, when one did
    plain: bool = True  # an answer of yes (or no) words and fillers only, nothing else said


@dataclass(frozen=True)
class Utterance:
    """Something the user said, as the recognizer (or the keyboard) delivered it, parsed once
    by its source in the context the session was listening in."""

    text: str
    at_s: float  # clock seconds when it was complete
    intent: Intent | None  # None: nothing to act on was said after all
    confidence: float = 1.0  # 0..1, how sure the recognizer was
    context: str = ""  # the recognition context `intent` was parsed in


@dataclass(frozen=True)
class SpeechOnset:
    """Barge-in: the user began to speak; nothing has been recognized yet."""

    at_s: float  # clock seconds when the onset was confirmed


@dataclass(frozen=True)
class NothingSaid:
    """The speech that began at the last onset ended without any words to act on."""

    at_s: float  # clock seconds when the speech ended


BargeInEvent = SpeechOnset | NothingSaid
Heard = Utterance | SpeechOnset | NothingSaid  # what an input source delivers

# ---- what was said, in time order -----------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line on the session's timeline, spoken by the coach or the user."""

    who: str  # "coach" or "you"
    text: str
    start_s: float  # clock seconds
    end_s: float
    key: str = ""  # the phrase key, for the coach's lines
    note: str = ""  # the intent heard, or "cut off"
    dropped: bool = False  # queued but silenced before it began


class Timeline(Sequence[Line]):
    """The session's lines in the order they were queued. Input sources read it (a scripted
    user answers after a line); only the runner adds to it or silences the coach."""

    def __init__(self) -> None:
        self._lines: list[Line] = []

    @overload
    def __getitem__(self, index: int) -> Line: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Line]: ...
    def __getitem__(self, index: int | slice) -> Line | Sequence[Line]:
        return self._lines[index]

    def __len__(self) -> int:
        return len(self._lines)

    def __iter__(self) -> Iterator[Line]:
        return iter(self._lines)

    def coach_speaking(self, now: float) -> list[Line]:
        """The coach's lines still sounding or queued at `now`."""
        return [line for line in self._lines if line.who == "coach" and not line.dropped and line.end_s > now]

    def add(self, line: Line) -> None:
        self._lines.append(line)

    def silence(self, now: float) -> None:
        """The coach fell silent at `now`: the line being said is cut off, queued ones dropped."""
        for i, line in enumerate(self._lines):
            if line.who != "coach" or line.end_s <= now or line.dropped:
                continue
            if line.start_s >= now:
                self._lines[i] = replace(line, dropped=True)
            else:
                self._lines[i] = replace(line, end_s=now, note="cut off")

# ---- what the session asks for --------------------------------------------------------


@dataclass(frozen=True)
class Say:
    """Speak a line. `key` names the phrase it came from (for tests and the transcript)."""

    text: str
    key: str = ""


@dataclass(frozen=True)
class StopSpeaking:
    """Silence the coach now, dropping anything still queued."""


@dataclass(frozen=True)
class SetVoice:
    """Speak the following lines at this rate (words per minute) and volume (0..1)."""

    rate_wpm: int
    volume: float


@dataclass(frozen=True)
class Listen:
    """Listen in a recognition context until the user speaks or the deadline passes.

    The deadline is `timeout_s` after the coach finishes speaking, or exactly the session
    time `until_s`, even while the coach is speaking (a hold ends on time). None of both:
    no deadline.
    """

    context: str
    timeout_s: float | None = None
    until_s: float | None = None


@dataclass(frozen=True)
class Record:
    """Something worth keeping in the journal: a rating, a hold, a stop or pain event, a screening."""

    kind: str
    data: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class End:
    """The session is over. outcome: completed, ended, stopped, pain, screened_out, no_answer,
    silent, interrupted, error."""

    outcome: str
    detail: str = ""


Action = Say | StopSpeaking | SetVoice | Listen | Record | End

# ---- what the journal knows -----------------------------------------------------------


@dataclass(frozen=True)
class ScreenOut:
    """A red-flag answer from the last 24 hours that still stands."""

    question: str  # question id
    answer: str  # "yes" or "unsure"


@dataclass(frozen=True)
class History:
    """What the journal knows that changes this session."""

    first_use: bool = True
    full_screening_due: bool = True  # first use, a week since the last one, or an unsettled session since
    ratings: tuple[tuple[int | None, int | None], ...] = ()  # (before, after) per past session
    screen_out: ScreenOut | None = None  # recalled before anything else
