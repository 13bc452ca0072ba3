"""The coaching session: a state machine that consumes intents and time and emits actions.

It does no I/O and never reads a clock: every call carries `now` (session seconds), and the
answer is a list of actions (say, stop speaking, listen in a context, record, end). The same
session runs behind the text terminal, the virtual bedside and the real microphone.
"""

from __future__ import annotations

from voicecoach.types import Action, End, Listen, Record, Say, StopSpeaking
from voicecoach.store.content import Content, Question
from voicecoach.coach.exercise import ExerciseFlow
from voicecoach.ears.intents import Intent
from voicecoach.coach.plan import plan_steps
from voicecoach.coach.screening import ScreeningFlow
from voicecoach.coach.state import CONTEXT_OF, EXERCISE_STATES, History, SessionSettings, State

__all__ = ["Session", "SessionSettings", "History", "State", "CONTEXT_OF", "EXERCISE_STATES"]


class Session(ScreeningFlow, ExerciseFlow):
    """One coaching session, from waiting for the start phrase to the goodbye."""

    def __init__(self, content: Content, settings: SessionSettings | None = None,
                 history: History | None = None) -> None:
        self.content = content
        self.settings = settings or SessionSettings()
        self.history = history or History()
        self.phrases = content.phrases
        self.steps = plan_steps(content.routine, self.settings.rounds)
        self.hold_s = {
            e.id: e.hold_s.clamp(self.settings.hold_s.get(e.id, e.hold_s.default_s))
            for e in content.routine.exercises
        }
        self.rate_wpm = self.settings.rate_wpm
        self.volume = self.settings.volume
        self.state = State.IDLE
        self.outcome: End | None = None
        self._out: list[Action] = []
        self._listen: Listen | None = None
        self._last_heard_s = 0.0
        # screening
        self._questions: tuple[Question, ...] = ()
        self._question_index = 0
        self._attempts = 0
        self._repeats = 0  # requests to hear the current question again
        self._repeats_of: tuple = ()  # ... and which question that is
        self._recalled: Question | None = None  # the question of a recalled screen-out
        self._screening_kind = ""
        self._confirming_changed = False  # the read-back is about "anything new since last time?"
        # rating
        self._rating_when = ""
        # routine
        self._step_index = 0
        self._hold_start_s = 0.0
        self._hold_total_s = 0
        self._cue_index = 0
        self._paused_from: State | None = None
        self._resume_index = 0
        self._paused_remaining_s = 0.0
        self._exercising = False
        self._deferred: list[str] = []  # answers asked for during a hold, said after the release
        self._talking_until_s = 0.0  # a reply during a hold is being said until then (estimated)

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
        self._set_listen(Listen("idle"))
        return self._flush()

    def begin(self, now: float) -> list[Action]:
        """Start the session at once (the start phrase was heard, or `run --now`)."""
        self._begin(now)
        return self._flush()

    def _begin(self, now: float) -> None:
        self._last_heard_s = now
        self._say("start")
        if self.history.first_use:
            self._say("disclaimer")
        self._say("how_to_talk")
        if self.history.screen_out is not None:
            self._remind(attempt=0)
        else:
            self._start_screening(now)

    def hear(self, intent: Intent, now: float, confidence: float = 1.0) -> list[Action]:
        """The user said something; `confidence` (0..1) is how sure the recognizer was."""
        if self.state is State.DONE:
            return []
        if intent.name != "unclear":
            self._last_heard_s = now
        handler = getattr(self, f"_hear_{self.state.value}")
        handler(intent, now, confidence)
        return self._flush()

    def timeout(self, now: float) -> list[Action]:
        """The deadline of the last Listen passed with nothing said."""
        if self.state is not State.DONE:
            getattr(self, f"_timeout_{self.state.value}")(now)
        return self._flush()

    def abort(self, reason: str, now: float, say_key: str | None = "not_heard_end",
              outcome: str = "error") -> list[Action]:
        """End at once because something outside failed (microphone, recognizer, journal) or the
        device is shutting down."""
        if self.state is not State.DONE:
            self._out.append(StopSpeaking())
            if say_key in self.phrases.lines and not self._exercising and f"{say_key}_resting" in self.phrases.lines:
                say_key = f"{say_key}_resting"  # nobody is in a stretch to ease out of
            if say_key:
                self._say(say_key)
            self._record("event", kind="abort", reason=reason)
            self._end(outcome, reason)
        return self._flush()

    def _clearly(self, name: str, intent: Intent, confidence: float) -> bool:
        """The answer that moves past a safety question: `name`, plain (nothing else said), and
        heard with the engine's confidence. Anything less is read back or asked again."""
        return intent.name == name and intent.plain and confidence >= self.settings.confirm_below

    # ---- output helpers -------------------------------------------------------------------

    def _say(self, key: str, attempt: int = 0, **fields: object) -> None:
        self._out.append(Say(self.phrases.say(key, attempt, **fields), key))

    def _say_text(self, text: str, key: str) -> None:
        self._out.append(Say(text, key))

    def _record(self, kind: str, /, **data: object) -> None:
        self._out.append(Record(kind, dict(data)))

    def _set_listen(self, listen: Listen) -> None:
        self._listen = listen
        self._out.append(listen)

    def _listen_again(self) -> None:
        if self._listen is not None:
            self._out.append(self._listen)

    def _end(self, outcome: str, detail: str = "") -> None:
        self.state = State.DONE
        self.outcome = End(outcome, detail)
        self._listen = None
        self._out.append(self.outcome)

    def _flush(self) -> list[Action]:
        out, self._out = self._out, []
        return out

    # ---- idle ---------------------------------------------------------------------------

    def _hear_idle(self, intent: Intent, now: float, confidence: float) -> None:
        if intent.name == "start":
            self._begin(now)
        else:
            self._listen_again()

    def _timeout_idle(self, now: float) -> None:
        self._listen_again()

    # ---- pain, closing --------------------------------------------------------------------

    def _pain(self, now: float) -> None:
        self._out.append(StopSpeaking())
        where = self._step().exercise.id if self._exercising else self.state.value
        if self.state is State.HOLD:
            self._record("hold", exercise=where, side=self._step().side, round=self._step().round + 1,
                         target_s=self._hold_total_s, held_s=round(max(0.0, now - self._hold_start_s), 1),
                         completed=False)
        self._record("event", kind="pain", during=where)
        if self._exercising:
            self._say("pain_release")
        self._attempts = 0
        self.state = State.PAIN_CHECK
        self._say("pain_question")
        self._set_listen(Listen("yesno", timeout_s=self.settings.answer_wait_s))

    def _hear_pain_check(self, intent: Intent, now: float, confidence: float) -> None:
        if intent.name in ("repeat", "help") and self._attempts == 0:
            self._attempts = 1
            self._say("pain_question", 1)
            self._listen_again()
            return
        serious = not self._clearly("no", intent, confidence)
        self._finish_pain(serious=serious, answer=intent.name)

    def _timeout_pain_check(self, now: float) -> None:
        self._finish_pain(serious=True, answer="none")

    def _finish_pain(self, *, serious: bool, answer: str) -> None:
        # Never resume after pain: advise, and end. The next session screens fully.
        self._record("event", kind="pain_detail", serious=serious, answer=answer)
        self._say("pain_advice_serious" if serious else "pain_advice")
        self._end("pain", "sharp, shooting or numbness" if serious else "dull")

    def _close_early(self, outcome: str) -> None:
        self._say("end_early")
        self._say("close_reminder")
        self._say("goodbye")
        self._end(outcome)

    def _close(self) -> None:
        self._say("praise")
        self._say("close_reminder")
        self._say("goodbye")
        self._end("completed")
