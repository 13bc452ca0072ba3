"""The pain check: "it hurts", wherever it is said, stops everything; one question tells a dull
ache from a sharp, shooting pain or numbness. The session never resumes after pain, and only a
plain, clear "no" to the question counts as the milder case."""

from __future__ import annotations

from typing import TYPE_CHECKING

from voicecoach.coach.asking import Asking
from voicecoach.coach.state import State
from voicecoach.types import Intent, Listen

if TYPE_CHECKING:
    from voicecoach.coach.session import Handler, Session


class PainCheck:
    def __init__(self, session: Session) -> None:
        self.s = session
        self._asking = Asking(session.settings.other_attempts)

    def handlers(self) -> dict[State, Handler]:
        from voicecoach.coach.session import Handler
        return {State.PAIN_CHECK: Handler(self._hear, self._timeout)}

    def begin(self, now: float) -> None:
        s = self.s
        s.out.stop_speaking()
        where = s.exercise.interrupted_by_pain(now) if s.exercise.active else s.state.value
        s.out.record("event", kind="pain", during=where)
        if s.exercise.active:
            s.out.say("pain_release")
        s.state = State.PAIN_CHECK
        self._ask(self._asking.first())

    def _ask(self, attempt: int) -> None:
        self.s.out.say("pain_question", attempt)
        self.s.out.listen(Listen("yesno", timeout_s=self.s.settings.answer_wait_s))

    def _hear(self, intent: Intent, now: float, confidence: float) -> None:
        if intent.name in ("repeat", "help"):
            self._asking.again(self._ask, lambda: self._finish(serious=True, answer=intent.name))
            return
        self._finish(serious=not self.s.clearly("no", intent, confidence), answer=intent.name)

    def _timeout(self, now: float) -> None:
        self._finish(serious=True, answer="none")  # no answer: assume the worse

    def _finish(self, *, serious: bool, answer: str) -> None:
        # Never resume after pain: advise, and end. The next session screens fully.
        self.s.out.record("event", kind="pain_detail", serious=serious, answer=answer)
        self.s.out.say("pain_advice_serious" if serious else "pain_advice")
        self.s.end("pain", "sharp, shooting or numbness" if serious else "dull")
