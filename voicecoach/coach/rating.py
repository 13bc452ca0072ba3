"""The 0-10 stiffness rating, before and after the routine. It is optional: after the tries
are used up, or "skip", it is skipped rather than insisted on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from voicecoach.coach.asking import Asking
from voicecoach.coach.state import State
from voicecoach.types import Intent, Listen

if TYPE_CHECKING:
    from voicecoach.coach.session import Handler, Session


class RatingFlow:
    """Asks for one rating and records it (or that it was skipped)."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self._when = ""  # "before" or "after"
        self._asking = Asking(session.settings.other_attempts)

    def handlers(self) -> dict[State, Handler]:
        from voicecoach.coach.session import Handler
        return {State.RATING: Handler(self._hear, self._timeout)}

    def ask(self, when: str) -> None:
        self._when = when
        self._ask(self._asking.first())

    def _ask(self, attempt: int) -> None:
        self.s.state = State.RATING
        self.s.out.say(f"rating_{self._when}", attempt)
        self.s.out.listen(Listen("rating", timeout_s=self.s.settings.answer_wait_s))

    def _hear(self, intent: Intent, now: float, confidence: float) -> None:
        if self.s.answering.common(intent, now, asked=(State.RATING, self._when), help_key="help_rating",
                                   repeat=lambda: self._ask(self._asking.attempt), retry=lambda: self._timeout(now)):
            return
        if intent.name == "number" and intent.value is not None:
            self.s.out.record("rating", when=self._when, value=intent.value)
            self.s.out.say("rating_ack", value=intent.value)
            self.s.after_rating(self._when, now)
        elif intent.name in ("next", "unsure"):
            self._skip(now)
        else:
            self._timeout(now)

    def _timeout(self, now: float) -> None:
        self._asking.again(self._ask, lambda: self._skip(now))

    def _skip(self, now: float) -> None:
        self.s.out.record("rating", when=self._when, value=None, skipped=True)
        self.s.out.say("rating_skipped")
        self.s.after_rating(self._when, now)
