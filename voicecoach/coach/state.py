"""The session's states and what the session listens for in each."""

from __future__ import annotations

import enum


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
    State.IDLE: "idle", State.REMINDER: "yesno", State.SCREENING: "yesno", State.CONFIRM_NO: "yesno",
    State.CHANGED: "yesno", State.RATING: "rating", State.STEP: "exercise", State.HOLD: "exercise",
    State.PAUSED: "exercise", State.CONFIRM_STOP: "yesno", State.STOP_MENU: "exercise",
    State.CHECK_IN: "exercise", State.PAIN_CHECK: "yesno",
}
EXERCISE_STATES = (State.STEP, State.HOLD)
VOICE_INTENTS = ("slower", "faster", "louder", "quieter")
