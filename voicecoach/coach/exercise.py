"""The exercises: the routine's steps and holds, and what interrupts them (pause, stop,
"did you say stop?", "are you still there?"). Every exercise intent of PRODUCT.md §2 works here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from voicecoach.coach.asking import Asking
from voicecoach.coach.hold import Hold
from voicecoach.coach.plan import Step, plan_steps
from voicecoach.coach.progress import progress_sentence
from voicecoach.coach.state import EXERCISE_STATES, VOICE_INTENTS, State
from voicecoach.types import Intent, Listen

if TYPE_CHECKING:
    from voicecoach.coach.session import Handler, Session


class ExerciseFlow:
    """Walks the routine's steps; pauses, stops and checks in without losing the place."""

    def __init__(self, session: Session) -> None:
        self.s = session
        settings = session.settings
        self.steps = plan_steps(session.content.routine, settings.rounds)
        self.hold_s = {  # exercise id -> seconds, each within its exercise's safe range
            e.id: e.hold_s.clamp(settings.hold_s.get(e.id, e.hold_s.default_s))
            for e in session.content.routine.exercises
        }
        self.active = False  # someone is in the routine (in a stretch, or between two)
        self.hold = Hold(session.content.routine)
        self._index = 0
        self._paused_from: State | None = None
        self._resume_index = 0
        self._asking = Asking(settings.other_attempts)  # "do you want to stop?", "carry on or finish?"
        self._asking_still_there = Asking(settings.other_attempts)

    def handlers(self) -> dict[State, Handler]:
        from voicecoach.coach.session import Handler
        return {State.STEP: Handler(self._hear_step, self._advance),
                State.HOLD: Handler(self._hear_hold, self._timeout_hold),
                State.PAUSED: Handler(self._hear_paused, self._timeout_paused),
                State.CONFIRM_STOP: Handler(self._hear_confirm_stop, self._timeout_confirm_stop),
                State.STOP_MENU: Handler(self._hear_stop_menu, self._timeout_stop_menu),
                State.CHECK_IN: Handler(self._hear_check_in, self._timeout_check_in)}

    def start(self, now: float) -> None:
        out = self.s.out
        out.say("rules_intro")
        for rule in self.s.phrases.lines["rules"]:
            out.say_text(rule, "rules")
        out.say("rules_pain")
        self.active = True
        self._enter(0, now)

    def interrupted_by_pain(self, now: float) -> str:
        """Pain was reported: journal an unfinished hold. Returns the exercise's id."""
        if self.s.state is State.HOLD:
            self._record_hold(now, completed=False)
        return self._step().exercise.id

    # ---- steps --------------------------------------------------------------------------

    def _step(self) -> Step:
        return self.steps[self._index]

    def _enter(self, index: int, now: float, *, lead_in: bool = True) -> None:
        if index >= len(self.steps):
            self.active = False
            self.s.after_routine(now)
            return
        self._index = index
        step = self._step()
        if lead_in and step.lead_in:
            self.s.out.say(step.lead_in)
        if step.kind == "hold":
            self._start_hold(now)
            return
        self.s.state = State.STEP
        self._say_step_lines(step)
        wait = {"position": self.s.settings.position_wait_s, "move": self.s.settings.move_wait_s,
                "release": self.s.settings.release_wait_s}[step.kind]
        self.s.out.listen(Listen("exercise", timeout_s=wait))

    def _say_step_lines(self, step: Step) -> None:
        exercise, out = step.exercise, self.s.out
        if step.kind == "position":
            out.say_text(exercise.intro, f"intro:{exercise.id}")
            for line in exercise.position:
                out.say_text(line, f"position:{exercise.id}")
            out.say("ready_prompt")
        elif step.kind == "move":
            out.say_text(exercise.move.format(side=step.side), f"move:{exercise.id}")
        elif step.kind == "release":
            out.say_text(exercise.release.format(side=step.side), f"release:{exercise.id}")

    def _advance(self, now: float) -> None:
        """Go on to the next step; after a long silence, first check the user is still there."""
        if self._step().kind == "position" and now - self.s.last_heard_s >= self.s.settings.asleep_after_s:
            self._check_in(now, self._asking_still_there.first())
            self._resume_index = self._index + 1  # "ready" goes on rather than back
        else:
            self._enter(self._index + 1, now)

    def _hear_step(self, intent: Intent, now: float, confidence: float) -> None:
        if self._common(intent, now):
            return
        if intent.name in ("next", "resume"):
            self._enter(self._index + 1, now)
        elif intent.name == "repeat":
            self._say_step_lines(self._step())
            self.s.out.listen_again()
        else:
            self.s.out.listen_again()

    # ---- holds --------------------------------------------------------------------------

    def _start_hold(self, now: float) -> None:
        exercise = self._step().exercise
        self.s.state = State.HOLD
        self.hold.begin(now, self.hold_s[exercise.id])
        self.s.out.say_text(exercise.hold.format(seconds=self.hold.total_s), f"hold:{exercise.id}")
        self.s.out.listen(self.hold.listen(now))

    def _timeout_hold(self, now: float) -> None:
        if self.hold.over(now):
            self._finish_hold(now, completed=True)
            return
        due = self.hold.due(now)
        if due is not None and due[1] is not None:
            self.s.out.say("hold_count", seconds=due[1])
        elif due is not None and now < self.hold.talking_until_s:
            pass  # still answering the user: this breathing cue is left out
        elif due is not None:
            cues = self._step().exercise.cues
            self.s.out.say_text(cues[self.hold.cue_index % len(cues)], "cue")
            self.hold.cue_index += 1
        self.s.out.listen(self.hold.listen(now))

    def _record_hold(self, now: float, *, completed: bool) -> None:
        step = self._step()
        self.s.out.record("hold", exercise=step.exercise.id, side=step.side, round=step.round + 1,
                          target_s=self.hold.total_s, held_s=round(self.hold.held_s(now), 1), completed=completed)

    def _finish_hold(self, now: float, *, completed: bool) -> None:
        self._record_hold(now, completed=completed)
        deferred, self.hold.deferred = self.hold.deferred, []
        self._enter(self._index + 1, now)
        for key in deferred:  # what was asked during the hold, now that it is over
            self._say_answer(key)

    def _hear_hold(self, intent: Intent, now: float, confidence: float) -> None:
        if self._common(intent, now):
            return
        if intent.name == "next":
            self._finish_hold(now, completed=False)
        elif intent.name == "repeat":
            text = self._step().exercise.hold.format(seconds=self.hold.remaining_s(now))
            self._reply_text(text, "hold_again", now)
            self.s.out.listen(self.hold.listen(now))
        else:
            self.s.out.listen(self.hold.listen(now))

    # answers during a hold: short, or after the release

    def _reply(self, key: str, now: float, **fields: object) -> None:
        """Say a short reply; during a hold only if it ends before the next count and the release."""
        self._reply_text(self.s.phrases.say(key, **fields), key, now)

    def _reply_text(self, text: str, key: str, now: float) -> None:
        if self.s.state is State.HOLD:
            talk_s = self.hold.speaking_s(text, self.s.rate_wpm)
            if not self.hold.fits(now, talk_s):
                return  # it would push the count or the release late: the hold keeps its time
            self.hold.talking_until_s = now + talk_s
        self.s.out.say_text(text, key)

    def _say_answer(self, key: str) -> None:
        if key == "progress":
            self.s.out.say_text(progress_sentence(self.s.phrases, list(self.s.history.ratings)), "progress")
        else:
            self.s.out.say(key)

    def _minutes_left(self) -> int:
        """A rough count of the session's minutes to go: the holds left, and the talk around them."""
        rest = self.steps[self._index:]
        talk_s = self.hold.pacing.talk_s
        seconds = sum(self.hold_s[s.exercise.id] if s.kind == "hold" else talk_s[s.kind] for s in rest)
        return max(1, round(seconds / 60))

    # ---- intents that work the same in every exercise step ------------------------------

    def _common(self, intent: Intent, now: float) -> bool:
        name, s, out = intent.name, self.s, self.s.out
        if name == "pain":
            s.pain(now)
        elif name == "stop":
            self._stop(now)
        elif name == "pause":
            out.stop_speaking()
            self._pause(now)
            out.say("pause_ack")
            out.listen(Listen("exercise", timeout_s=s.settings.pause_wait_s))
        elif name == "unclear":
            # When in doubt, pause and ask.
            out.stop_speaking()
            self._pause(now)
            self._ask_confirm_stop(self._asking.first())
        elif name == "end":
            out.stop_speaking()
            out.record("event", kind="end", during=self._step().exercise.id)
            s.close_early("ended")
        elif name in VOICE_INTENTS:
            self._change_voice(name, now)
            self._relisten(now)
        elif name in ("longer", "shorter"):
            self._change_hold(name, now)
            self._relisten(now)
        elif name == "how_long":
            if s.state is State.HOLD:
                self._reply("how_long_hold", now, seconds=self.hold.remaining_s(now))
            else:
                minutes = self._minutes_left()
                out.say("how_long_session" if minutes > 1 else "how_long_nearly_done", minutes=minutes)
            self._relisten(now)
        elif name in ("help", "why", "progress"):
            key = "help_exercise" if name == "help" else name
            if s.state is State.HOLD:  # a long answer waits until after the release
                if key not in self.hold.deferred:
                    self.hold.deferred.append(key)
                self._reply("answer_after_hold", now)
            else:
                self._say_answer(key)
            self._relisten(now)
        else:
            return False
        return True

    def _relisten(self, now: float) -> None:
        if self.s.state is State.HOLD:
            self.s.out.listen(self.hold.listen(now))
        else:
            self.s.out.listen_again()

    def _change_voice(self, name: str, now: float) -> None:
        s, settings = self.s, self.s.settings
        if name in ("slower", "faster"):
            step = -settings.rate_step_wpm if name == "slower" else settings.rate_step_wpm
            new = min(settings.max_rate_wpm, max(settings.min_rate_wpm, s.rate_wpm + step))
            at_limit, s.rate_wpm = new == s.rate_wpm, new
            limit_key = "slowest" if name == "slower" else "fastest"
        else:
            change = settings.volume_step if name == "louder" else -settings.volume_step
            volume = round(min(settings.max_volume, max(settings.min_volume, s.volume + change)), 2)
            at_limit, s.volume = volume == s.volume, volume
            limit_key = "loudest" if name == "louder" else "quietest"
        s.out.set_voice(s.rate_wpm, s.volume)
        self._reply(limit_key if at_limit else name, now)

    def _change_hold(self, name: str, now: float) -> None:
        exercise = self._step().exercise
        step = self.s.settings.hold_step_s if name == "longer" else -self.s.settings.hold_step_s
        current = self.hold_s[exercise.id]
        new = exercise.hold_s.clamp(current + step)
        self.hold_s[exercise.id] = new
        paused = self.s.state is State.PAUSED
        holding = self.s.state is State.HOLD or (paused and self._paused_from is State.HOLD)
        if holding and new != current:
            self.hold.change(exercise, new, now, paused=paused)
        if new == current:
            self._reply("longest" if name == "longer" else "shortest", now, seconds=new)
        elif holding:
            self._reply(name, now, seconds=new)
        else:  # between holds: it is the next hold that changes
            self._reply(f"{name}_next", now, seconds=new)

    # ---- pause and resume ---------------------------------------------------------------

    def _pause(self, now: float, *, record: bool = True) -> None:
        """Freeze the current step, keeping the remaining hold time."""
        s = self.s
        if s.state in EXERCISE_STATES:
            self._paused_from = s.state
            if s.state is State.HOLD:
                self.hold.pause(now)
            else:
                self.hold.paused_remaining_s = 0.0
            self._resume_index = self._index
            if record:
                s.out.record("event", kind="pause", exercise=self._step().exercise.id)
        s.state = State.PAUSED

    def _resume(self, now: float) -> None:
        self.s.out.say("resume_ack")
        if self._paused_from is State.HOLD:
            self.s.state = State.HOLD
            self.hold.resume(now)
            self.s.out.say("how_long_hold", seconds=self.hold.remaining_s(now))
            self.s.out.listen(self.hold.listen(now))
        else:
            self._enter(self._resume_index, now, lead_in=False)

    def _hear_paused(self, intent: Intent, now: float, confidence: float) -> None:
        if intent.name in ("resume", "next", "yes"):
            self._resume(now)
        elif intent.name == "unclear":
            self.s.out.listen_again()  # already paused: wait for a clear word
        elif intent.name == "pause":
            self.s.out.say("pause_ack", 1)
            self.s.out.listen_again()
        elif not self._common(intent, now):
            self.s.out.listen_again()

    def _timeout_paused(self, now: float) -> None:
        self._check_in(now, self._asking_still_there.first())

    # ---- "do you want to stop?" after a word that was not clear -------------------------

    def _ask_confirm_stop(self, attempt: int) -> None:
        self.s.state = State.CONFIRM_STOP
        self.s.out.say("confirm_stop", attempt)
        self.s.out.listen(Listen("yesno", timeout_s=self.s.settings.answer_wait_s))

    def _hear_confirm_stop(self, intent: Intent, now: float, confidence: float) -> None:
        if intent.name in ("yes", "stop"):
            self._stop(now)
        elif intent.name == "pain":
            self.s.pain(now)
        elif intent.name == "no":
            self._resume(now)
        elif intent.name == "help":
            self.s.out.say("help_yesno")
            self._ask_confirm_stop(self._asking.attempt)
        else:
            self._timeout_confirm_stop(now)

    def _timeout_confirm_stop(self, now: float) -> None:
        self._asking.again(self._ask_confirm_stop, self._unanswered_confirm_stop)

    def _unanswered_confirm_stop(self) -> None:
        self.s.out.record("event", kind="no_answer", during="confirm_stop")
        self.s.out.say("not_heard_end")
        self.s.end("stopped", "no answer to 'do you want to stop?'")

    # ---- stopped: carry on, or finish? --------------------------------------------------

    def _stop(self, now: float) -> None:
        out = self.s.out
        out.stop_speaking()
        if self.s.state in EXERCISE_STATES:
            self._pause(now, record=False)  # journaled once, as the stop it is
        out.record("event", kind="stop", exercise=self._step().exercise.id)
        out.say("stop_ack")
        self._ask_stop_menu(self._asking.first())

    def _ask_stop_menu(self, attempt: int) -> None:
        self.s.state = State.STOP_MENU
        self.s.out.say("stop_menu", attempt)
        self.s.out.listen(Listen("exercise", timeout_s=self.s.settings.answer_wait_s))

    def _hear_stop_menu(self, intent: Intent, now: float, confidence: float) -> None:
        if intent.name in ("resume", "next"):
            # Carry on: start the interrupted side again from the move.
            self.s.out.say("restart_side")
            index = self._index
            while self.steps[index].kind not in ("move", "position"):
                index -= 1
            self._enter(index, now, lead_in=False)
        elif intent.name in ("end", "stop"):
            self.s.close_early("stopped")
        elif intent.name == "pain":
            self.s.pain(now)
        else:
            self._timeout_stop_menu(now)

    def _timeout_stop_menu(self, now: float) -> None:
        self._asking.again(self._ask_stop_menu, self._unanswered_stop_menu)

    def _unanswered_stop_menu(self) -> None:
        self.s.out.record("event", kind="no_answer", during="stop_menu")
        self.s.close_early("stopped")

    # ---- "are you still with me?" -------------------------------------------------------

    def _check_in(self, now: float, attempt: int) -> None:
        if self.s.state in EXERCISE_STATES:
            self._pause(now)
        self.s.state = State.CHECK_IN
        self.s.out.say("check_in", attempt)
        self.s.out.listen(Listen("exercise", timeout_s=self.s.settings.position_wait_s))

    def _hear_check_in(self, intent: Intent, now: float, confidence: float) -> None:
        if intent.name in ("resume", "next"):
            self._resume(now)
        elif intent.name in ("unclear", "pause"):
            self.s.out.listen_again()
        elif not self._common(intent, now):
            self.s.out.listen_again()

    def _timeout_check_in(self, now: float) -> None:
        self._asking_still_there.again(lambda attempt: self._check_in(now, attempt), lambda: self._asleep(now))

    def _asleep(self, now: float) -> None:
        # Asleep, or gone: end quietly.
        self.s.out.record("event", kind="silence", seconds=round(now - self.s.last_heard_s))
        self.s.out.say("asleep_end")
        self.s.end("silent")
