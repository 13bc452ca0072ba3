"""A red-flag answer from the last 24 hours, recalled before anything else: only a clear "yes,
it was a mistake" leads to a fresh, full screening; anything else keeps the coach from stretching."""

from __future__ import annotations

from typing import TYPE_CHECKING

from voicecoach.coach.asking import Asking
from voicecoach.coach.state import State
from voicecoach.store.content import Question
from voicecoach.types import Intent, Listen

if TYPE_CHECKING:
    from voicecoach.coach.session import Handler, Session


class ReminderFlow:
    """Recalls the screen-out and asks whether that answer was a mistake."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self._recalled: Question | None = None
        self._recall = ""  # what was recalled, said again when asked to repeat
        self._asking = Asking(session.settings.max_attempts)

    def handlers(self) -> dict[State, Handler]:
        from voicecoach.coach.session import Handler
        return {State.REMINDER: Handler(self._hear, self._timeout)}

    def begin(self, now: float) -> None:
        screening = self.s.content.screening
        recalled = self.s.history.screen_out
        question = screening.question(recalled.question) if recalled else None
        if recalled is None or question is None:  # a question since removed from the content
            self.s.screening.begin(now, full=True)
            return
        self._recalled = question
        advice = screening.unsure_advice if recalled.answer == "unsure" else screening.tier_of(question).advice
        line = screening.remind_unsure if recalled.answer == "unsure" else screening.remind_yes
        self._recall = line.format(topic=question.topic, advice=advice)
        self.s.out.say_text(self._recall, "remind")
        self._ask(self._asking.first())

    def _repeat(self) -> None:
        """Asked to hear it again: the first time with what was recalled, so the question has its subject."""
        if self._asking.attempt == 0:
            self.s.out.say_text(self._recall, "remind")
        self._ask(self._asking.attempt)

    def _ask(self, attempt: int) -> None:
        screening = self.s.content.screening
        self.s.state = State.REMINDER
        self.s.out.say_text(screening.remind_ask[attempt % len(screening.remind_ask)], "remind_ask")
        self.s.out.listen(Listen("yesno", timeout_s=self.s.settings.answer_wait_s))

    def _hear(self, intent: Intent, now: float, confidence: float) -> None:
        if self.s.answering.common(intent, now, asked=State.REMINDER, help_key="help_yesno",
                                   repeat=self._repeat, retry=lambda: self._timeout(now)):
            return
        if self.s.clearly("yes", intent, confidence):
            self.s.out.record("screening", kind="reminder", result="retracted", question=self._recalled_id())
            self.s.out.say_text(self.s.content.screening.remind_retracted, "remind_retracted")
            self.s.screening.begin(now, full=True)
        elif intent.name in ("no", "unsure"):
            self._keep_screen_out()
        else:  # unclear, or a "yes" not heard clearly: ask again
            self._timeout(now)

    def _timeout(self, now: float) -> None:
        self._asking.again(self._ask, self._keep_screen_out)

    def _keep_screen_out(self) -> None:
        self.s.out.record("screening", kind="reminder", result="kept", question=self._recalled_id())
        self.s.out.say_text(self.s.content.screening.remind_kept, "remind_kept")
        self.s.end("screened_out", f"{self._recalled_id()} (recalled)")

    def _recalled_id(self) -> str:
        assert self._recalled is not None, "the reminder is only asked about a recalled question"
        return self._recalled.id
