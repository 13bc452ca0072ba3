"""The coaching session: a state machine that consumes intents and time and emits actions.

It does no I/O and never reads a clock: every call carries `now` (session seconds), and the
answer is a list of actions (say, stop speaking, listen in a context, record, end). The same
session runs behind the text terminal, the virtual bedside and the real microphone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from .actions import Action, End, Listen, Record, Say, SetVoice, StopSpeaking
from .content import Content, Question
from .intents import Intent
from .plan import Step, plan_steps
from .progress import progress_sentence


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
    confirm_below: float = 0.85  # a red-flag "no" heard with less confidence is read back
    rate_stiffness: bool = True  # ask the 0-10 stiffness rating before and after


@dataclass(frozen=True)
class History:
    """What the journal knows that changes this session."""

    first_use: bool = True
    full_screening_due: bool = True  # first use, a week since the last one, or a pain event since
    ratings: tuple[tuple[int | None, int | None], ...] = ()  # (before, after) per past session


class State(enum.Enum):
    IDLE = "idle"
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
    State.IDLE: "idle", State.SCREENING: "yesno", State.CONFIRM_NO: "yesno", State.CHANGED: "yesno",
    State.RATING: "rating", State.STEP: "exercise", State.HOLD: "exercise", State.PAUSED: "exercise",
    State.CONFIRM_STOP: "yesno", State.STOP_MENU: "exercise", State.CHECK_IN: "exercise",
    State.PAIN_CHECK: "yesno",
}
EXERCISE_STATES = (State.STEP, State.HOLD)
VOICE_INTENTS = ("slower", "faster", "louder", "quieter")


class Session:
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

    def abort(self, reason: str, now: float, say_key: str | None = "not_heard_end") -> list[Action]:
        """End at once because something outside failed (microphone, recognizer)."""
        if self.state is not State.DONE:
            self._out.append(StopSpeaking())
            if say_key:
                self._say(say_key)
            self._record("event", kind="abort", reason=reason)
            self._end("error", reason)
        return self._flush()

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

    # ---- screening ----------------------------------------------------------------------

    def _start_screening(self, now: float) -> None:
        screening = self.content.screening
        emergency = tuple(q for q in screening.questions if q.tier == "emergency")
        if self.history.full_screening_due:
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
        if self._answer_common(intent, now, help_key="help_yesno", repeat=lambda: self._ask_question(self._attempts)):
            return
        question = self._question()
        if intent.name in ("yes", "unsure"):
            self._screened_out(question, intent.name)
        elif intent.name == "no" and confidence >= self.settings.confirm_below:
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
        if self._answer_common(intent, now, help_key="help_yesno", repeat=lambda: self._timeout_confirm_no(now)):
            return
        if intent.name == "yes" and confidence >= self.settings.confirm_below:
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
        if self._answer_common(intent, now, help_key="help_yesno", repeat=lambda: self._ask_changed(self._attempts)):
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
        elif intent.name == "no" and confidence >= self.settings.confirm_below:
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

    def _answer_common(self, intent: Intent, now: float, *, help_key: str, repeat) -> bool:
        """Intents that mean the same whenever the coach waits for an answer. True if handled."""
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
        elif intent.name == "repeat":
            repeat()
        elif intent.name == "help":
            self._say(help_key)
            repeat()
        else:
            return False
        return True

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
                               repeat=lambda: self._ask_rating(self._rating_when, self._attempts)):
            return
        if intent.name == "number" and intent.value is not None:
            self._record("rating", when=self._rating_when, value=intent.value)
            self._say("rating_ack", value=intent.value)
            self._after_rating(now)
        elif intent.name in ("next", "unsure"):
            self._say("rating_skipped")
            self._after_rating(now)
        else:
            self._timeout_rating(now)

    def _timeout_rating(self, now: float) -> None:
        if self._attempts + 1 >= 2:  # a rating is optional: skip it rather than insist
            self._say("rating_skipped")
            self._after_rating(now)
        else:
            self._ask_rating(self._rating_when, self._attempts + 1)

    # ---- the routine --------------------------------------------------------------------

    def _start_routine(self, now: float) -> None:
        self._say("rules_intro")
        for rule in self.phrases.lines["rules"]:
            self._say_text(rule, "rules")
        self._say("rules_pain")
        self._exercising = True
        self._enter_step(0, now)

    def _step(self) -> Step:
        return self.steps[self._step_index]

    def _enter_step(self, index: int, now: float, *, lead_in: bool = True) -> None:
        if index >= len(self.steps):
            self._exercising = False
            if self.settings.rate_stiffness:
                self._ask_rating("after", attempt=0)
            else:
                self._close()
            return
        self._step_index = index
        step = self._step()
        if lead_in and step.lead_in:
            self._say(step.lead_in)
        if step.kind == "hold":
            self._start_hold(now)
            return
        self.state = State.STEP
        self._say_step_lines(step)
        wait = {"position": self.settings.position_wait_s, "move": self.settings.move_wait_s,
                "release": self.settings.release_wait_s}[step.kind]
        self._set_listen(Listen("exercise", timeout_s=wait))

    def _say_step_lines(self, step: Step) -> None:
        exercise = step.exercise
        if step.kind == "position":
            self._say_text(exercise.intro, f"intro:{exercise.id}")
            for line in exercise.position:
                self._say_text(line, f"position:{exercise.id}")
            self._say("ready_prompt")
        elif step.kind == "move":
            self._say_text(exercise.move.format(side=step.side), f"move:{exercise.id}")
        elif step.kind == "release":
            self._say_text(exercise.release.format(side=step.side), f"release:{exercise.id}")

    def _advance(self, now: float) -> None:
        """Go on to the next step; after a long silence, first check the user is still there."""
        if self._step().kind == "position" and now - self._last_heard_s >= self.settings.asleep_after_s:
            self._check_in(now, attempt=0)
            self._resume_index = self._step_index + 1  # "ready" goes on rather than back
        else:
            self._enter_step(self._step_index + 1, now)

    def _hear_step(self, intent: Intent, now: float, confidence: float) -> None:
        if self._exercise_common(intent, now):
            return
        if intent.name in ("next", "resume"):
            self._enter_step(self._step_index + 1, now)
        elif intent.name == "repeat":
            self._say_step_lines(self._step())
            self._listen_again()
        else:
            self._listen_again()

    def _timeout_step(self, now: float) -> None:
        self._advance(now)

    # holds

    def _start_hold(self, now: float) -> None:
        exercise = self._step().exercise
        self.state = State.HOLD
        self._hold_start_s = now
        self._hold_total_s = self.hold_s[exercise.id]
        self._cue_index = 0
        self._say_text(exercise.hold.format(seconds=self._hold_total_s), f"hold:{exercise.id}")
        self._listen_in_hold(now)

    def _hold_end_s(self) -> float:
        return self._hold_start_s + self._hold_total_s

    def _hold_events(self) -> list[tuple[float, int | None]]:
        """(seconds into the hold, count or None for a breathing cue), in time order.

        Counts at `count_at_s` before the end; breathing cues every `cue_interval_s`,
        except too close to a count or the end, so there is silence between cues."""
        routine, total = self.content.routine, self._hold_total_s
        counts = [(total - m, m) for m in routine.count_at_s if m < total - 1]
        cues, t = [], routine.cue_interval_s
        while t < total - 2:
            if all(abs(t - at) >= 1.5 for at, _ in counts):
                cues.append((t, None))
            t += routine.cue_interval_s
        return sorted(counts + cues)

    def _listen_in_hold(self, now: float) -> None:
        """Sleep until the next cue, the next count, or the end of the hold."""
        elapsed = now - self._hold_start_s
        upcoming = [at for at, _ in self._hold_events() if at > elapsed + 0.05]
        wake = self._hold_start_s + (upcoming[0] if upcoming else self._hold_total_s)
        self._set_listen(Listen("exercise", until_s=max(now, wake)))

    def _timeout_hold(self, now: float) -> None:
        elapsed = now - self._hold_start_s
        if elapsed >= self._hold_total_s - 0.25:
            self._finish_hold(now, completed=True)
            return
        due = [(at, count) for at, count in self._hold_events() if abs(at - elapsed) < 0.75]
        if due and due[0][1] is not None:
            self._say("hold_count", seconds=due[0][1])
        elif due:
            cues = self._step().exercise.cues
            self._say_text(cues[self._cue_index % len(cues)], "cue")
            self._cue_index += 1
        self._listen_in_hold(now)

    def _finish_hold(self, now: float, *, completed: bool) -> None:
        step = self._step()
        held = min(self._hold_total_s, max(0.0, now - self._hold_start_s))
        self._record("hold", exercise=step.exercise.id, side=step.side, round=step.round + 1,
                     target_s=self._hold_total_s, held_s=round(held, 1), completed=completed)
        self._enter_step(self._step_index + 1, now)

    def _hear_hold(self, intent: Intent, now: float, confidence: float) -> None:
        if self._exercise_common(intent, now):
            return
        if intent.name == "next":
            self._finish_hold(now, completed=False)
        elif intent.name == "repeat":
            self._say("how_long_hold", seconds=self._remaining_hold_s(now))
            self._listen_in_hold(now)
        else:
            self._listen_in_hold(now)

    def _remaining_hold_s(self, now: float) -> int:
        return max(0, round(self._hold_end_s() - now))

    # intents that work the same in every exercise step

    def _exercise_common(self, intent: Intent, now: float) -> bool:
        name = intent.name
        if name == "pain":
            self._pain(now)
        elif name == "stop":
            self._stop(now)
        elif name == "pause":
            self._out.append(StopSpeaking())
            self._pause(now)
            self._say("pause_ack")
            self._set_listen(Listen("exercise", timeout_s=self.settings.pause_wait_s))
        elif name == "unclear":
            # When in doubt, pause and ask.
            self._out.append(StopSpeaking())
            self._pause(now)
            self._attempts = 0
            self._ask_confirm_stop()
        elif name == "end":
            self._out.append(StopSpeaking())
            self._record("event", kind="end", during=self._step().exercise.id)
            self._close_early("ended")
        elif name in VOICE_INTENTS:
            self._change_voice(name)
            self._relisten(now)
        elif name in ("longer", "shorter"):
            self._change_hold(name, now)
            self._relisten(now)
        elif name == "how_long":
            if self.state is State.HOLD:
                self._say("how_long_hold", seconds=self._remaining_hold_s(now))
            else:
                self._say("how_long_session", index=self._step().exercise_index + 1,
                          count=len(self.content.routine.exercises))
            self._relisten(now)
        elif name in ("help", "why"):
            self._say("help_exercise" if name == "help" else "why")
            self._relisten(now)
        elif name == "progress":
            self._say_text(progress_sentence(self.phrases, list(self.history.ratings)), "progress")
            self._relisten(now)
        else:
            return False
        return True

    def _relisten(self, now: float) -> None:
        if self.state is State.HOLD:
            self._listen_in_hold(now)
        else:
            self._listen_again()

    def _change_voice(self, name: str) -> None:
        s = self.settings
        if name in ("slower", "faster"):
            step = -s.rate_step_wpm if name == "slower" else s.rate_step_wpm
            new = min(s.max_rate_wpm, max(s.min_rate_wpm, self.rate_wpm + step))
            at_limit, self.rate_wpm = new == self.rate_wpm, new
            limit_key = "slowest" if name == "slower" else "fastest"
        else:
            step = s.volume_step if name == "louder" else -s.volume_step
            new = round(min(s.max_volume, max(s.min_volume, self.volume + step)), 2)
            at_limit, self.volume = new == self.volume, new
            limit_key = "loudest" if name == "louder" else "quietest"
        self._out.append(SetVoice(self.rate_wpm, self.volume))
        self._say(limit_key if at_limit else name)

    def _change_hold(self, name: str, now: float) -> None:
        exercise = self._step().exercise
        step = self.settings.hold_step_s if name == "longer" else -self.settings.hold_step_s
        current = self.hold_s[exercise.id]
        new = exercise.hold_s.clamp(current + step)
        self.hold_s[exercise.id] = new
        holding = self.state is State.HOLD or (self.state is State.PAUSED and self._paused_from is State.HOLD)
        if holding and new != current:
            # The running hold changes too, never below what has already been held.
            held_s = self._hold_total_s - self._paused_remaining_s if self.state is State.PAUSED else now - self._hold_start_s
            total = max(new, min(exercise.hold_s.max_s, int(held_s) + 1))
            self._paused_remaining_s += total - self._hold_total_s
            self._hold_total_s = total
        if new == current:
            self._say("longest" if name == "longer" else "shortest", seconds=new)
        else:
            self._say(name, seconds=new)

    # pause, stop, check-in

    def _pause(self, now: float) -> None:
        """Freeze the current step, keeping the remaining hold time."""
        if self.state in EXERCISE_STATES:
            self._paused_from = self.state
            self._paused_remaining_s = self._hold_end_s() - now if self.state is State.HOLD else 0.0
            self._resume_index = self._step_index
            self._record("event", kind="pause", exercise=self._step().exercise.id)
        self.state = State.PAUSED

    def _resume(self, now: float) -> None:
        self._say("resume_ack")
        if self._paused_from is State.HOLD:
            self.state = State.HOLD
            self._hold_start_s = now + self._paused_remaining_s - self._hold_total_s
            self._say("how_long_hold", seconds=self._remaining_hold_s(now))
            self._listen_in_hold(now)
        else:
            self._enter_step(self._resume_index, now, lead_in=False)

    def _hear_paused(self, intent: Intent, now: float, confidence: float) -> None:
        if intent.name in ("resume", "next", "yes"):
            self._resume(now)
        elif intent.name == "unclear":
            self._listen_again()  # already paused: wait for a clear word
        elif intent.name == "pause":
            self._say("pause_ack", 1)
            self._listen_again()
        elif not self._exercise_common(intent, now):
            self._listen_again()

    def _timeout_paused(self, now: float) -> None:
        self._check_in(now, attempt=0)

    def _ask_confirm_stop(self) -> None:
        self.state = State.CONFIRM_STOP
        self._say("confirm_stop", self._attempts)
        self._set_listen(Listen("yesno", timeout_s=self.settings.answer_wait_s))

    def _hear_confirm_stop(self, intent: Intent, now: float, confidence: float) -> None:
        if intent.name in ("yes", "stop"):
            self._stop(now)
        elif intent.name == "pain":
            self._pain(now)
        elif intent.name == "no":
            self._resume(now)
        elif intent.name == "help":
            self._say("help_yesno")
            self._ask_confirm_stop()
        else:
            self._timeout_confirm_stop(now)

    def _timeout_confirm_stop(self, now: float) -> None:
        self._attempts += 1
        if self._attempts >= self.settings.max_attempts - 1:
            self._record("event", kind="no_answer", during="confirm_stop")
            self._say("not_heard_end")
            self._end("stopped", "no answer to 'do you want to stop?'")
        else:
            self._ask_confirm_stop()

    def _stop(self, now: float) -> None:
        self._out.append(StopSpeaking())
        if self.state in EXERCISE_STATES:
            self._pause(now)
        self._record("event", kind="stop", exercise=self._step().exercise.id)
        self._say("stop_ack")
        self._attempts = 0
        self._ask_stop_menu()

    def _ask_stop_menu(self) -> None:
        self.state = State.STOP_MENU
        self._say("stop_menu", self._attempts)
        self._set_listen(Listen("exercise", timeout_s=self.settings.answer_wait_s))

    def _hear_stop_menu(self, intent: Intent, now: float, confidence: float) -> None:
        if intent.name in ("resume", "next"):
            # Carry on: start the interrupted side again from the move.
            self._say("restart_side")
            index = self._step_index
            while self.steps[index].kind not in ("move", "position"):
                index -= 1
            self._enter_step(index, now, lead_in=False)
        elif intent.name in ("end", "stop"):
            self._close_early("stopped")
        elif intent.name == "pain":
            self._pain(now)
        else:
            self._timeout_stop_menu(now)

    def _timeout_stop_menu(self, now: float) -> None:
        self._attempts += 1
        if self._attempts >= self.settings.max_attempts - 1:
            self._record("event", kind="no_answer", during="stop_menu")
            self._close_early("stopped")
        else:
            self._ask_stop_menu()

    def _check_in(self, now: float, attempt: int) -> None:
        self._attempts = attempt
        if self.state in EXERCISE_STATES:
            self._pause(now)
        self.state = State.CHECK_IN
        self._say("check_in", attempt)
        self._set_listen(Listen("exercise", timeout_s=self.settings.position_wait_s))

    def _hear_check_in(self, intent: Intent, now: float, confidence: float) -> None:
        if intent.name in ("resume", "next"):
            self._resume(now)
        elif intent.name in ("unclear", "pause"):
            self._listen_again()
        elif not self._exercise_common(intent, now):
            self._listen_again()

    def _timeout_check_in(self, now: float) -> None:
        if self._attempts + 1 < 2:
            self._check_in(now, self._attempts + 1)
            return
        # Asleep, or gone: end quietly.
        self._record("event", kind="silence", seconds=round(now - self._last_heard_s))
        self._say("asleep_end")
        self._end("silent")

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
        serious = not (intent.name == "no" and confidence >= self.settings.confirm_below)
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
