"""The session's settings, what it knows from the journal, and its states."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SessionSettings:
    """How the coach paces a session. Times in seconds, rate in words per minute, volume 0..1."""

    hold_s: dict[str, int] = field(default_factory=dict)  # exercise id -> hold, clamped to its safe range
    rounds: dict[str, int] = field(default_factory=dict)  # exercise id -> rounds (sides x rounds holds)
    rate_wpm: int = 150
    min_rate_wpm: int = 110
    max_rate_wpm: int = 200
    rate_step_wpm: int = 15
    volume: float = 0.8
    min_volume: float = 0.2
    max_volume: float = 1.0
    volume_step: float = 0.15
    hold_step_s: int = 5  # what "longer" and "shorter" change
    answer_wait_s: float = 8.0  # for a yes/no or a rating
    position_wait_s: float = 15.0  # to get into position before the coach carries on by itself
    move_wait_s: float = 8.0  # to move into the stretch
    release_wait_s: float = 4.0
    pause_wait_s: float = 90.0  # paused with no word before the coach checks in
    asleep_after_s: float = 180.0  # no word from the user for this long: check they are still there
    max_attempts: int = 3  # asking the same question before ending safely
    free_repeats: int = 1  # requests to hear a question again that do not count as an attempt
    confirm_below: float = 0.85  # a red-flag "no" heard with less confidence is read back
    rate_stiffness: bool = True  # ask the 0-10 stiffness rating before and after


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


class State(enum.Enum):
    IDLE = "idle"
    REMINDER = "reminder"  # recalling a recent screen-out: was that answer a mistake?
    SCREENING = "screening"
    CONFIRM_NO = "confirm_no"
    CHANGED = "changed"
    RATING = "rating"
    STEP = "step"  # position, move or release: waiting, then on by itself
    HOLD = "hold"
    PAUSED = "paused"
    CONFIRM_STOP = "confirm_stop"
    STOP_MENU = "stop_menu"
    CHECK_IN = "check_in"
    PAIN_CHECK = "pain_check"
    DONE = "done"


CONTEXT_OF = {
    State.IDLE: "idle", State.REMINDER: "yesno", State.SCREENING: "yesno", State.CONFIRM_NO: "yesno", State.CHANGED: "yesno",
    State.RATING: "rating", State.STEP: "exercise", State.HOLD: "exercise", State.PAUSED: "exercise",
    State.CONFIRM_STOP: "yesno", State.STOP_MENU: "exercise", State.CHECK_IN: "exercise",
    State.PAIN_CHECK: "yesno",
}
EXERCISE_STATES = (State.STEP, State.HOLD)
VOICE_INTENTS = ("slower", "faster", "louder", "quieter")
