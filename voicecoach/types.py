"""What the session asks the outside world to do. The session emits these; runners perform them."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class End:
    """The session is over. outcome: completed, ended, stopped, pain, screened_out, no_answer, silent, error."""

    outcome: str
    detail: str = ""


Action = Say | StopSpeaking | SetVoice | Listen | Record | End
