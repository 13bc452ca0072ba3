"""The safety screening and the stiffness rating, as part of the session state machine.

A mixin of `Session`: it uses the session's content, settings and output helpers.
"""

from __future__ import annotations

from voicecoach.types import Listen, StopSpeaking
from voicecoach.store.content import Question
from voicecoach.ears.intents import Intent
from voicecoach.coach.state import State


class ScreeningFlow:
    """Screening (three tiers, emergency first; full or short) and the 0-10 stiffness rating."""

    # ---- screening ----------------------------------------------------------------------

    def _start_screening(self, now: float, *, full: bool = False) -> None:
        screening = self.content.screening
        emergency = tuple(q for q in screening.questions if q.tier == "emergency")
        if full or self.history.full_screening_due:
            self._screening_kind = "full"
            self._questions = screening.questions
            self._say_text(screening.intro_full[0], "screening_intro")
        else:
            self._screening_kind = "short"
            self._questions = emergency
            self._say_text(screening.intro_short[0], "screening_intro")
        self._question_index = 0
        self._ask_question(attempt=0)

    def _question(self) -> Question:
        return self._questions[self._question_index]

    def _ask_question(self, attempt: int) -> None:
        self._attempts = attempt
        self.state = State.SCREENING
        question = self._question()
        self._say_text(question.ask[attempt % len(question.ask)], f"question:{question.id}")
        self._set_listen(Listen("yesno", timeout_s=self.settings.answer_wait_s))

    def _next_question(self, now: float) -> None:
        self._question_index += 1
        if self._question_index < len(self._questions):
            self._ask_question(attempt=0)
        elif self._screening_kind == "short":
            self._ask_changed(attempt=0)
        else:
            self._screening_passed(now)

    def _screening_passed(self, now: float) -> None:
        self._record("screening", kind=self._screening_kind, result="cleared")
        self._say_text(self.content.screening.cleared, "cleared")
        if self.settings.rate_stiffness:
            self._ask_rating("before", attempt=0)
        else:
            self._start_routine(now)

    def _screened_out(self, question: Question, answer: str) -> None:
        tier = self.content.screening.tier_of(question)
        self._record("screening", kind=self._screening_kind, result="screened_out",
                     question=question.id, tier=tier.id, answer=answer)
        if answer == "unsure":
            self._say_text(self.content.screening.unsure_advice, "unsure_advice")
        else:
            self._say_text(tier.advice, f"advice:{tier.id}")
        self._end("screened_out", f"{question.id} ({answer})")

    def _no_answer(self) -> None:
        self._record("screening", kind=self._screening_kind, result="no_answer", question=self._question().id)
        self._say_text(self.content.screening.no_answer, "no_answer")
        self._end("no_answer", self._question().id)

    def _hear_screening(self, intent: Intent, now: float, confidence: float) -> None:
        if self._answer_common(intent, now, help_key="help_yesno", repeat=lambda: self._ask_question(self._attempts),
                               retry=self._retry_question):
            return
        question = self._question()
        if intent.name in ("yes", "unsure"):
            self._screened_out(question, intent.name)
        elif self._clearly("no", intent, confidence):
            self._next_question(now)
        elif intent.name == "no":
            self._confirm_no(changed=False)
        else:  # unclear
            self._retry_question()

    def _confirm_no(self, *, changed: bool) -> None:
        """Read back a "no" that was not heard clearly; only a clear "yes" accepts it."""
        self.state, self._confirming_changed = State.CONFIRM_NO, changed
        self._say_text(self.content.screening.confirm_no[0], "confirm_no")
        self._set_listen(Listen("yesno", timeout_s=self.settings.answer_wait_s))

    def _retry_question(self) -> None:
        if self._attempts + 1 >= self.settings.max_attempts:
            self._no_answer()
        else:
            self._ask_question(self._attempts + 1)

    def _timeout_screening(self, now: float) -> None:
        self._retry_question()

    def _hear_confirm_no(self, intent: Intent, now: float, confidence: float) -> None:
        # Reading back a "no": only a clearly heard "yes" clears the question; anything else asks again.
        if self._answer_common(intent, now, help_key="help_yesno", repeat=lambda: self._timeout_confirm_no(now),
                               retry=lambda: self._timeout_confirm_no(now)):
            return
        if self._clearly("yes", intent, confidence):
            if self._confirming_changed:
                self._screening_passed(now)
            else:
                self._next_question(now)
        elif intent.name == "unsure" and not self._confirming_changed:
            self._screened_out(self._question(), "unsure")
        else:
            self._timeout_confirm_no(now)

    def _timeout_confirm_no(self, now: float) -> None:
        if self._confirming_changed:
            self._timeout_changed(now)
        else:
            self._retry_question()

    def _ask_changed(self, attempt: int) -> None:
        self._attempts = attempt
        self.state = State.CHANGED
        wordings = self.content.screening.changed
        self._say_text(wordings[attempt % len(wordings)], "question:changed")
        self._set_listen(Listen("yesno", timeout_s=self.settings.answer_wait_s))

    def _hear_changed(self, intent: Intent, now: float, confidence: float) -> None:
        if self._answer_common(intent, now, help_key="help_yesno", repeat=lambda: self._ask_changed(self._attempts),
                               retry=lambda: self._timeout_changed(now)):
            return
        if intent.name in ("yes", "unsure"):
            # Something changed: go through the rest of the full screening.
            self._record("screening", kind="short", result="changed", answer=intent.name)
            self._say_text(self.content.screening.changed_full_intro, "changed_full_intro")
            asked = set(self._questions)
            self._screening_kind = "full"
            self._questions = tuple(q for q in self.content.screening.questions if q not in asked)
            self._question_index = 0
            if self._questions:
                self._ask_question(attempt=0)
            else:
                self._screening_passed(now)
        elif self._clearly("no", intent, confidence):
            self._screening_passed(now)
        elif intent.name == "no":
            self._confirm_no(changed=True)
        else:
            self._timeout_changed(now)

    def _timeout_changed(self, now: float) -> None:
        if self._attempts + 1 >= self.settings.max_attempts:
            self._record("screening", kind="short", result="no_answer", question="changed")
            self._say_text(self.content.screening.no_answer, "no_answer")
            self._end("no_answer", "changed")
        else:
            self._ask_changed(self._attempts + 1)

    def _answer_common(self, intent: Intent, now: float, *, help_key: str, repeat, retry) -> bool:
        """Intents that mean the same whenever the coach waits for an answer. True if handled.

        `repeat` asks the same question again; `retry` counts an attempt, then asks again or ends
        safely. The first request to hear the question again is free, later ones count, so
        "pardon" cannot keep a question open for ever."""
        if intent.name == "pain":
            self._pain(now)
        elif intent.name == "stop":
            self._out.append(StopSpeaking())
            self._record("event", kind="stop", during=self.state.value)
            self._say("stop_ack")
            self._close_early("stopped")
        elif intent.name == "end":
            self._out.append(StopSpeaking())
            self._close_early("ended")
        elif intent.name in ("repeat", "help", "why"):
            asked = (self.state, self._question_index, self._rating_when)  # what is being asked now
            self._repeats = self._repeats + 1 if asked == self._repeats_of else 1
            self._repeats_of = asked
            if intent.name == "help":
                self._say(help_key)
            elif intent.name == "why":  # "why?" to a safety question asks why we ask; "why does it crack" is the crack
                self._say("why_screening" if intent.words == ("why",) else "why")
            if self._repeats > self.settings.free_repeats:
                retry()
            else:
                repeat()
        else:
            return False
        return True

    # ---- a recent screen-out, recalled -------------------------------------------------

    def _remind(self, attempt: int) -> None:
        """Recall the red-flag answer of the last 24 hours; only a clear "it was a mistake" goes on."""
        screening = self.content.screening
        if attempt == 0:
            recalled = self.history.screen_out
            question = screening.question(recalled.question) if recalled else None
            if recalled is None or question is None:  # a question since removed from the content
                self._start_screening(self._last_heard_s, full=True)
                return
            self._recalled = question
            advice = screening.unsure_advice if recalled.answer == "unsure" else screening.tier_of(question).advice
            line = screening.remind_unsure if recalled.answer == "unsure" else screening.remind_yes
            self._say_text(line.format(topic=question.topic, advice=advice), "remind")
        self._attempts = attempt
        self.state = State.REMINDER
        self._say_text(screening.remind_ask[attempt % len(screening.remind_ask)], "remind_ask")
        self._set_listen(Listen("yesno", timeout_s=self.settings.answer_wait_s))

    def _hear_reminder(self, intent: Intent, now: float, confidence: float) -> None:
        if self._answer_common(intent, now, help_key="help_yesno", repeat=lambda: self._remind(self._attempts),
                               retry=lambda: self._timeout_reminder(now)):
            return
        if self._clearly("yes", intent, confidence):
            self._record("screening", kind="reminder", result="retracted", question=self._recalled.id)
            self._say_text(self.content.screening.remind_retracted, "remind_retracted")
            self._start_screening(now, full=True)
        elif intent.name in ("no", "unsure"):
            self._keep_screen_out()
        else:  # unclear, or a "yes" not heard clearly: ask again
            self._timeout_reminder(now)

    def _timeout_reminder(self, now: float) -> None:
        if self._attempts + 1 >= self.settings.max_attempts:
            self._keep_screen_out()
        else:
            self._remind(self._attempts + 1)

    def _keep_screen_out(self) -> None:
        self._record("screening", kind="reminder", result="kept", question=self._recalled.id)
        self._say_text(self.content.screening.remind_kept, "remind_kept")
        self._end("screened_out", f"{self._recalled.id} (recalled)")

    # ---- stiffness rating ---------------------------------------------------------------

    def _ask_rating(self, when: str, attempt: int) -> None:
        self._rating_when, self._attempts = when, attempt
        self.state = State.RATING
        self._say(f"rating_{when}", attempt)
        self._set_listen(Listen("rating", timeout_s=self.settings.answer_wait_s))

    def _after_rating(self, now: float) -> None:
        if self._rating_when == "before":
            self._start_routine(now)
        else:
            self._close()

    def _hear_rating(self, intent: Intent, now: float, confidence: float) -> None:
        if self._answer_common(intent, now, help_key="help_rating",
                               repeat=lambda: self._ask_rating(self._rating_when, self._attempts),
                               retry=lambda: self._timeout_rating(now)):
            return
        if intent.name == "number" and intent.value is not None:
            self._record("rating", when=self._rating_when, value=intent.value)
            self._say("rating_ack", value=intent.value)
            self._after_rating(now)
        elif intent.name in ("next", "unsure"):
            self._skip_rating(now)
        else:
            self._timeout_rating(now)

    def _skip_rating(self, now: float) -> None:
        self._record("rating", when=self._rating_when, value=None, skipped=True)
        self._say("rating_skipped")
        self._after_rating(now)

    def _timeout_rating(self, now: float) -> None:
        if self._attempts + 1 >= 2:  # a rating is optional: skip it rather than insist
            self._skip_rating(now)
        else:
            self._ask_rating(self._rating_when, self._attempts + 1)
