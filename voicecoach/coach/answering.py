"""What the user may say whenever the coach waits for an answer (screening, rating, reminder),
besides the answer itself: stop, it hurts, finish, say that again, help, why."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from voicecoach.types import Intent

if TYPE_CHECKING:
    from voicecoach.coach.session import Session


class Answering:
    """The intents that mean the same for every question. The first request to hear a question
    again is free (`free_repeats`), later ones count as a try, so "pardon" cannot keep a
    question open for ever."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self._repeats = 0  # requests to hear the current question again
        self._repeats_of: Hashable = None  # ... and which question that is

    def common(self, intent: Intent, now: float, *, asked: Hashable, help_key: str,
               repeat: Callable[[], None], retry: Callable[[], None]) -> bool:
        """Handle `intent` if it is not an answer; True if it was handled.

        `asked` names the question being asked; `repeat` asks it again; `retry` counts a try,
        then asks again or ends safely."""
        s, out = self.s, self.s.out
        if intent.name == "pain":
            s.pain(now)
        elif intent.name == "stop":
            out.stop_speaking()
            out.record("event", kind="stop", during=s.state.value)
            out.say("stop_ack")
            s.close_early("stopped")
        elif intent.name == "end":
            out.stop_speaking()
            s.close_early("ended")
        elif intent.name in ("repeat", "help", "why"):
            self._repeats = self._repeats + 1 if asked == self._repeats_of else 1
            self._repeats_of = asked
            if intent.name == "help":
                out.say(help_key)
            elif intent.name == "why":  # "why?" to a safety question asks why we ask; "why does it crack" is the crack
                out.say("why_screening" if intent.words == ("why",) else "why")
            if self._repeats > s.settings.free_repeats:
                retry()
            else:
                repeat()
        else:
            return False
        return True
