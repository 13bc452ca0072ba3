"""The coaching session: small state machines that consume intents and time and emit actions.

It does no I/O and never reads a clock: every call carries `now` (session seconds), and the
answer is a list of actions (say, stop speaking, listen in a context, record, end). The same
session runs behind the text terminal, the virtual bedside and the real microphone.

The session is made of parts that each own their state: the screening (with the recalled
screen-out), the stiffness rating, the exercises (with their holds and interruptions) and the
pain check. One table maps the session's state to the part that handles what is heard, or
not heard, in it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from voicecoach.coach.answering import Answering
from voicecoach.coach.exercise import ExerciseFlow
from voicecoach.coach.output import Output
from voicecoach.coach.pain import PainCheck
from voicecoach.coach.rating import RatingFlow
from voicecoach.coach.reminder import ReminderFlow
from voicecoach.coach.screening import ScreeningFlow
from voicecoach.coach.state import CONTEXT_OF, State
from voicecoach.settings import SessionSettings
from voicecoach.store.content import Content
from voicecoach.types import Action, End, History, Intent, Listen

__all__ = ["Session", "SessionSettings", "History", "State"]


class Handler(NamedTuple):
    """What a state does with something heard, and with a deadline that passed in silence."""

    hear: Callable[[Intent, float, float], None]  # (intent, now, confidence)
    timeout: Callable[[float], None]  # (now)


class Session:
    """One coaching session, from waiting for the start phrase to the goodbye."""

    def __init__(self, content: Content, settings: SessionSettings | None = None,
                 history: History | None = None) -> None:
        self.content = content
        self.settings = settings or SessionSettings()
        self.history = history or History()
        self.phrases = content.phrases
        self.rate_wpm = self.settings.rate_wpm
        self.volume = self.settings.volume
        self.state = State.IDLE
        self.outcome: End | None = None
        self.last_heard_s = 0.0  # when the user last said something that was understood
        self.out = Output(content.phrases)
        self.answering = Answering(self)
        self.screening = ScreeningFlow(self)
        self.reminder = ReminderFlow(self)
        self.rating = RatingFlow(self)
        self.exercise = ExerciseFlow(self)
        self.pain_check = PainCheck(self)
        self._table: dict[State, Handler] = {
            State.IDLE: Handler(self._hear_idle, self._timeout_idle),
            **self.screening.handlers(), **self.reminder.handlers(), **self.rating.handlers(),
            **self.exercise.handlers(), **self.pain_check.handlers(),
        }
        missing = set(State) - set(self._table) - {State.DONE}
        assert not missing, f"states without a handler: {missing}"

    # ---- the public interface -------------------------------------------------------------

    @property
    def context(self) -> str | None:
        """The recognition context to listen in now; None once the session is over."""
        return CONTEXT_OF.get(self.state)

    @property
    def finished(self) -> bool:
        return self.state is State.DONE

    def start(self, now: float) -> list[Action]:
        """Begin waiting for the start phrase."""
        self.out.listen(Listen("idle"))
        return self.out.flush()

    def begin(self, now: float) -> list[Action]:
        """Start the session at once (the start phrase was heard, or `run --now`)."""
        self._begin(now)
        return self.out.flush()

    def hear(self, intent: Intent, now: float, confidence: float = 1.0) -> list[Action]:
        """The user said something; `confidence` (0..1) is how sure the recognizer was."""
        if self.state is State.DONE:
            return []
        if intent.name != "unclear":
            self.last_heard_s = now
        self._table[self.state].hear(intent, now, confidence)
        return self.out.flush()

    def timeout(self, now: float) -> list[Action]:
        """The deadline of the last Listen passed with nothing said."""
        if self.state is not State.DONE:
            self._table[self.state].timeout(now)
        return self.out.flush()

    def abort(self, reason: str, now: float, say_key: str | None = "not_heard_end",
              outcome: str = "error") -> list[Action]:
        """End at once because something outside failed (microphone, recognizer, journal) or the
        device is shutting down."""
        if self.state is not State.DONE:
            self.out.stop_speaking()
            if say_key and not self.exercise.active and f"{say_key}_resting" in self.phrases.lines:
                say_key = f"{say_key}_resting"  # nobody is in a stretch to ease out of
            if say_key:
                self.out.say(say_key)
            self.out.record("event", kind="abort", reason=reason)
            self.end(outcome, reason)
        return self.out.flush()

    # ---- shared by the parts ------------------------------------------------------------

    def clearly(self, name: str, intent: Intent, confidence: float) -> bool:
        """The answer that moves past a safety question: `name`, plain (nothing else said), and
        heard with the engine's confidence. Anything less is read back or asked again."""
        return intent.name == name and intent.plain and confidence >= self.settings.confirm_below

    def pain(self, now: float) -> None:
        """"It hurts", wherever it is said: ease off, ask what kind of pain, never go on."""
        self.pain_check.begin(now)

    def after_screening(self, now: float) -> None:
        if self.settings.rate_stiffness:
            self.rating.ask("before")
        else:
            self.exercise.start(now)

    def after_rating(self, when: str, now: float) -> None:
        if when == "before":
            self.exercise.start(now)
        else:
            self.close()

    def after_routine(self, now: float) -> None:
        if self.settings.rate_stiffness:
            self.rating.ask("after")
        else:
            self.close()

    def close_early(self, outcome: str) -> None:
        self.out.say("end_early")
        self.out.say("close_reminder")
        self.out.say("goodbye")
        self.end(outcome)

    def close(self) -> None:
        self.out.say("praise")
        self.out.say("close_reminder")
        self.out.say("goodbye")
        self.end("completed")

    def end(self, outcome: str, detail: str = "") -> None:
        self.state = State.DONE
        self.outcome = End(outcome, detail)
        self.out.end(self.outcome)

    # ---- waiting for the start phrase ---------------------------------------------------

    def _begin(self, now: float) -> None:
        self.last_heard_s = now
        self.out.say("start")
        if self.history.first_use:
            self.out.say("disclaimer")
        self.out.say("how_to_talk")
        if self.history.screen_out is not None:
            self.reminder.begin(now)
        else:
            self.screening.begin(now)

    def _hear_idle(self, intent: Intent, now: float, confidence: float) -> None:
        if intent.name == "start":
            self._begin(now)
        else:
            self.out.listen_again()

    def _timeout_idle(self, now: float) -> None:
        self.out.listen_again()
