"""The exercises, as part of the session state machine: steps, holds, pause, stop, check-in.

A mixin of `Session`: it uses the session's content, settings and output helpers.
"""

from __future__ import annotations

from voicecoach.types import Listen, SetVoice, StopSpeaking
from voicecoach.ears.intents import Intent
from voicecoach.coach.plan import Step
from voicecoach.coach.progress import progress_sentence
from voicecoach.coach.state import EXERCISE_STATES, VOICE_INTENTS, State


class ExerciseFlow:
    """Walks the routine's steps; every exercise intent of PRODUCT.md §2 works in them."""

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
        self._deferred = []
        self._talking_until_s = now
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
        elif due and now < self._talking_until_s:
            pass  # still answering the user: this breathing cue is left out
        elif due:
            cues = self._step().exercise.cues
            self._say_text(cues[self._cue_index % len(cues)], "cue")
            self._cue_index += 1
        self._listen_in_hold(now)

    def _finish_hold(self, now: float, *, completed: bool) -> None:
        step = self._step()
        held = max(0.0, now - self._hold_start_s)  # from the clock, not from the target
        self._record("hold", exercise=step.exercise.id, side=step.side, round=step.round + 1,
                     target_s=self._hold_total_s, held_s=round(held, 1), completed=completed)
        self._enter_step(self._step_index + 1, now)
        for key in self._deferred:  # what was asked during the hold, now that it is over
            self._say_answer(key, now)
        self._deferred = []

    # answers during a hold: short, or after the release

    def _reply(self, key: str, now: float, **fields: object) -> None:
        """Say a short reply; during a hold only if it ends before the next count and the release."""
        self._reply_text(self.phrases.say(key, **fields), key, now)

    def _reply_text(self, text: str, key: str, now: float) -> None:
        if self.state is State.HOLD:
            talk_s = self._speaking_s(text)
            if now + talk_s > self._quiet_by_s(now):
                return  # it would push the count or the release late: the hold keeps its time
            self._talking_until_s = now + talk_s
        self._say_text(text, key)

    def _speaking_s(self, text: str) -> float:
        """A generous guess of how long a line takes at the current rate."""
        return 1.25 * len(text.split()) * 60.0 / self.rate_wpm + 0.5

    def _quiet_by_s(self, now: float) -> float:
        """When the coach must be silent again in this hold: before the next count, and the end."""
        counts = [self._hold_start_s + at for at, count in self._hold_events() if count is not None]
        upcoming = [t for t in counts if t > now] + [self._hold_end_s()]
        return min(upcoming) - 0.5

    def _say_answer(self, key: str, now: float) -> None:
        if key == "progress":
            self._say_text(progress_sentence(self.phrases, list(self.history.ratings)), "progress")
        else:
            self._say(key)

    def _hear_hold(self, intent: Intent, now: float, confidence: float) -> None:
        if self._exercise_common(intent, now):
            return
        if intent.name == "next":
            self._finish_hold(now, completed=False)
        elif intent.name == "repeat":
            exercise = self._step().exercise
            text = exercise.hold.format(seconds=self._remaining_hold_s(now))
            self._reply_text(text, "hold_again", now)
            self._listen_in_hold(now)
        else:
            self._listen_in_hold(now)

    def _minutes_left(self) -> int:
        """A rough count of the session's minutes to go: the holds left, and the talk around them."""
        talk_s = {"position": 25, "move": 15, "release": 8}
        rest = self.steps[self._step_index:]
        seconds = sum(self.hold_s[s.exercise.id] if s.kind == "hold" else talk_s[s.kind] for s in rest)
        return max(1, round(seconds / 60))

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
            self._change_voice(name, now)
            self._relisten(now)
        elif name in ("longer", "shorter"):
            self._change_hold(name, now)
            self._relisten(now)
        elif name == "how_long":
            if self.state is State.HOLD:
                self._reply("how_long_hold", now, seconds=self._remaining_hold_s(now))
            else:
                minutes = self._minutes_left()
                self._say("how_long_session" if minutes > 1 else "how_long_nearly_done", minutes=minutes)
            self._relisten(now)
        elif name in ("help", "why", "progress"):
            key = "help_exercise" if name == "help" else name
            if self.state is State.HOLD:  # a long answer waits until after the release
                if key not in self._deferred:
                    self._deferred.append(key)
                self._reply("answer_after_hold", now)
            else:
                self._say_answer(key, now)
            self._relisten(now)
        else:
            return False
        return True

    def _relisten(self, now: float) -> None:
        if self.state is State.HOLD:
            self._listen_in_hold(now)
        else:
            self._listen_again()

    def _change_voice(self, name: str, now: float) -> None:
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
        self._reply(limit_key if at_limit else name, now)

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
            self._reply("longest" if name == "longer" else "shortest", now, seconds=new)
        elif holding:
            self._reply(name, now, seconds=new)
        else:  # between holds: it is the next hold that changes
            self._reply(f"{name}_next", now, seconds=new)

    # pause, stop, check-in

    def _pause(self, now: float, *, record: bool = True) -> None:
        """Freeze the current step, keeping the remaining hold time."""
        if self.state in EXERCISE_STATES:
            self._paused_from = self.state
            self._paused_remaining_s = self._hold_end_s() - now if self.state is State.HOLD else 0.0
            self._resume_index = self._step_index
            if record:
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
        self._ask_again_or_give_up(self._ask_confirm_stop, self._unanswered_confirm_stop, "confirm_stop")

    def _unanswered_confirm_stop(self) -> None:
        self._say("not_heard_end")
        self._end("stopped", "no answer to 'do you want to stop?'")

    def _ask_again_or_give_up(self, ask, give_up, during: str) -> None:
        """Ask once more; after too many tries with no clear answer, journal it and give up."""
        self._attempts += 1
        if self._attempts >= self.settings.max_attempts - 1:
            self._record("event", kind="no_answer", during=during)
            give_up()
        else:
            ask()

    def _stop(self, now: float) -> None:
        self._out.append(StopSpeaking())
        if self.state in EXERCISE_STATES:
            self._pause(now, record=False)  # journaled once, as the stop it is
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
        self._ask_again_or_give_up(self._ask_stop_menu, lambda: self._close_early("stopped"), "stop_menu")

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
