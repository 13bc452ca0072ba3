"""The safety screening: three tiers of red-flag questions, emergency first; full or short.

A short screening asks the emergency questions and "anything new since last time?"; a "yes"
to that goes through the rest. A "no" clears a question only when it is plain and heard
clearly; a doubtful "no" is read back, and only a clear "yes" to the read-back accepts it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from voicecoach.coach.asking import Asking
from voicecoach.coach.state import State
from voicecoach.store.content import Question
from voicecoach.types import Intent, Listen

if TYPE_CHECKING:
    from voicecoach.coach.session import Handler, Session


class ScreeningFlow:
    """Asks the questions in order, each up to `max_attempts` times, and ends safely on a red
    flag, an unsure answer or no answer."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self.kind = ""  # "full" or "short"
        self._questions: tuple[Question, ...] = ()
        self._index = 0
        self._asking = Asking(session.settings.max_attempts)  # the current question
        self._asking_changed = Asking(session.settings.max_attempts)  # "anything new?"
        self._confirming_changed = False  # the read-back is about "anything new since last time?"

    def handlers(self) -> dict[State, Handler]:
        from voicecoach.coach.session import Handler
        return {State.SCREENING: Handler(self._hear_question, self._timeout_question),
                State.CONFIRM_NO: Handler(self._hear_confirm_no, self._timeout_confirm_no),
                State.CHANGED: Handler(self._hear_changed, self._timeout_changed)}

    def begin(self, now: float, *, full: bool = False) -> None:
        screening = self.s.content.screening
        if full or self.s.history.full_screening_due:
            self.kind, self._questions = "full", screening.questions
            self.s.out.say_text(screening.intro_full[0], "screening_intro")
        else:
            self.kind = "short"
            self._questions = tuple(q for q in screening.questions if q.tier == "emergency")
            self.s.out.say_text(screening.intro_short[0], "screening_intro")
        self._index = 0
        self._ask(self._asking.first())

    # ---- one question -------------------------------------------------------------------

    def _question(self) -> Question:
        return self._questions[self._index]

    def _listen(self) -> None:
        self.s.out.listen(Listen("yesno", timeout_s=self.s.settings.answer_wait_s))

    def _ask(self, attempt: int) -> None:
        self.s.state = State.SCREENING
        question = self._question()
        self.s.out.say_text(question.ask[attempt % len(question.ask)], f"question:{question.id}")
        self._listen()

    def _retry(self) -> None:
        self._asking.again(self._ask, self._no_answer)

    def _common(self, intent: Intent, now: float, *, repeat: Callable[[], None], retry: Callable[[], None]) -> bool:
        return self.s.answering.common(intent, now, asked=(self.s.state, self._index), help_key="help_yesno",
                                       repeat=repeat, retry=retry)

    def _hear_question(self, intent: Intent, now: float, confidence: float) -> None:
        if self._common(intent, now, repeat=lambda: self._ask(self._asking.attempt), retry=self._retry):
            return
        if intent.name in ("yes", "unsure"):
            self._screened_out(self._question(), intent.name)
        elif self.s.clearly("no", intent, confidence):
            self._next(now)
        elif intent.name == "no":
            self._confirm_no(changed=False)
        else:  # unclear
            self._retry()

    def _timeout_question(self, now: float) -> None:
        self._retry()

    def _next(self, now: float) -> None:
        self._index += 1
        if self._index < len(self._questions):
            self._ask(self._asking.first())
        elif self.kind == "short":
            self._ask_changed(self._asking_changed.first())
        else:
            self._passed(now)

    # ---- reading back a doubtful "no" ---------------------------------------------------

    def _confirm_no(self, *, changed: bool) -> None:
        self.s.state, self._confirming_changed = State.CONFIRM_NO, changed
        self.s.out.say_text(self.s.content.screening.confirm_no[0], "confirm_no")
        self._listen()

    def _hear_confirm_no(self, intent: Intent, now: float, confidence: float) -> None:
        # Only a clearly heard "yes" accepts the "no"; anything else asks the question again.
        if self._common(intent, now, repeat=lambda: self._timeout_confirm_no(now),
                        retry=lambda: self._timeout_confirm_no(now)):
            return
        if self.s.clearly("yes", intent, confidence):
            if self._confirming_changed:
                self._passed(now)
            else:
                self._next(now)
        elif intent.name == "unsure" and not self._confirming_changed:
            self._screened_out(self._question(), "unsure")
        else:
            self._timeout_confirm_no(now)

    def _timeout_confirm_no(self, now: float) -> None:
        if self._confirming_changed:
            self._timeout_changed(now)
        else:
            self._retry()

    # ---- "anything new since last time?" ------------------------------------------------

    def _ask_changed(self, attempt: int) -> None:
        self.s.state = State.CHANGED
        wordings = self.s.content.screening.changed
        self.s.out.say_text(wordings[attempt % len(wordings)], "question:changed")
        self._listen()

    def _hear_changed(self, intent: Intent, now: float, confidence: float) -> None:
        if self._common(intent, now, repeat=lambda: self._ask_changed(self._asking_changed.attempt),
                        retry=lambda: self._timeout_changed(now)):
            return
        if intent.name in ("yes", "unsure"):
            # Something changed: go through the rest of the full screening.
            self.s.out.record("screening", kind="short", result="changed", answer=intent.name)
            self.s.out.say_text(self.s.content.screening.changed_full_intro, "changed_full_intro")
            asked = set(self._questions)
            self.kind = "full"
            self._questions = tuple(q for q in self.s.content.screening.questions if q not in asked)
            self._index = 0
            if self._questions:
                self._ask(self._asking.first())
            else:
                self._passed(now)
        elif self.s.clearly("no", intent, confidence):
            self._passed(now)
        elif intent.name == "no":
            self._confirm_no(changed=True)
        else:
            self._timeout_changed(now)

    def _timeout_changed(self, now: float) -> None:
        self._asking_changed.again(self._ask_changed, self._no_answer_changed)

    # ---- how the screening ends ---------------------------------------------------------

    def _passed(self, now: float) -> None:
        self.s.out.record("screening", kind=self.kind, result="cleared")
        self.s.out.say_text(self.s.content.screening.cleared, "cleared")
        self.s.after_screening(now)

    def _screened_out(self, question: Question, answer: str) -> None:
        screening = self.s.content.screening
        tier = screening.tier_of(question)
        self.s.out.record("screening", kind=self.kind, result="screened_out",
                          question=question.id, tier=tier.id, answer=answer)
        if answer == "unsure":
            self.s.out.say_text(screening.unsure_advice, "unsure_advice")
        else:
            self.s.out.say_text(tier.advice, f"advice:{tier.id}")
        self.s.end("screened_out", f"{question.id} ({answer})")

    def _no_answer(self) -> None:
        self.s.out.record("screening", kind=self.kind, result="no_answer", question=self._question().id)
        self.s.out.say_text(self.s.content.screening.no_answer, "no_answer")
        self.s.end("no_answer", self._question().id)

    def _no_answer_changed(self) -> None:
        self.s.out.record("screening", kind="short", result="no_answer", question="changed")
        self.s.out.say_text(self.s.content.screening.no_answer, "no_answer")
        self.s.end("no_answer", "changed")
