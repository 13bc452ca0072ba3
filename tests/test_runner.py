"""The runner: the clocks, failing parts, and input that stops coming."""

import dataclasses
import io

import pytest
from driver import answers, run_script

from voicecoach.clock import RealClock, SimulatedClock
from voicecoach.coach.runner import SessionRunner, TextSpeaker
from voicecoach.ears.intents import IntentTable
from voicecoach.sim.scenario import Cue, ScriptedSource
from voicecoach.store.journal import Journal
from voicecoach.terminal import TerminalSource


def test_simulated_clock_moves_only_when_told():
    clock = SimulatedClock()
    assert clock.now() == 0.0
    clock.sleep(20.0)
    clock.advance_to(5.0)  # never backwards
    assert clock.now() == 20.0
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_real_clock_is_monotonic():
    clock = RealClock()
    a = clock.now()
    clock.sleep(0.01)
    assert clock.now() - a >= 0.009


class ExplodingTable(IntentTable):
    """An intent table that fails on one word, standing in for any internal fault."""

    def parse(self, text, context):
        if text == "explode":
            raise RuntimeError("boom")
        return super().parse(text, context)


def test_an_internal_error_ends_the_session_safely_and_is_journaled(content, tmp_path):
    table = content.intents
    broken = dataclasses.replace(content, intents=ExplodingTable(**{f.name: getattr(table, f.name)
                                                                    for f in dataclasses.fields(table)}))
    journal = Journal(tmp_path / "j.sqlite3")
    result = run_script(broken, answers("no", 3) + [Cue("explode", after="question:")], journal=journal)
    assert result.outcome.outcome == "error"
    assert result.keys[-1] == "internal_error"
    (row,) = journal.sessions()
    assert row.outcome == "error"


def test_when_input_stops_mid_exercise_the_coach_says_so_and_ends(content):
    clock = SimulatedClock()
    source = TerminalSource(io.StringIO("no\n" * 15 + "five\nready\n"), clock)
    runner = SessionRunner(content, clock=clock, speaker=TextSpeaker(), source=source)
    outcome = runner.run(start_now=True)
    assert outcome.outcome == "error" and outcome.detail == "input ended"
    spoken = [l.key for l in runner.timeline if l.who == "coach"]
    assert spoken[-1] == "lost_hearing"
    assert "hold:knee_to_chest" not in spoken  # never coached through a stretch it could not hear


def test_input_that_ends_while_idle_ends_the_run_quietly(content):
    clock = SimulatedClock()
    runner = SessionRunner(content, clock=clock, speaker=TextSpeaker(),
                           source=ScriptedSource([Cue("hello", at_s=1)], clock))
    assert runner.run(start_now=False) is None
    assert [l.who for l in runner.timeline] == ["you"]


class DiskFullJournal(Journal):
    """A real journal whose disk fills up after a number of writes (fault injection)."""

    def __init__(self, path, writes_left):
        super().__init__(path)
        self.writes_left = writes_left

    def _write(self, sql, args):
        if self.writes_left <= 0:
            from voicecoach.store.journal import JournalError
            raise JournalError(f"cannot write to the journal {self.path}: database or disk is full")
        self.writes_left -= 1
        return super()._write(sql, args)


def test_a_full_disk_ends_the_exercise_and_keeps_what_was_written(content, tmp_path):
    journal = DiskFullJournal(tmp_path / "j.sqlite3", writes_left=6)  # the session, the screening, a rating
    cues = answers("no", 15) + [Cue("six", after="rating_before"), Cue("ready", after="ready_prompt")]
    result = run_script(content, cues, journal=journal)
    assert result.outcome.outcome == "error" and result.outcome.detail == "cannot write the journal"
    assert result.keys[-1] == "internal_error"
    (row,) = Journal(tmp_path / "j.sqlite3").sessions()  # what was written before is all there
    assert (row.screening, row.rating_before, row.outcome) == ("full", 6, "interrupted")


class SpeakerThatBreaks(TextSpeaker):
    """The real text speaker, whose speech engine fails after a few lines (fault injection)."""

    def __init__(self, lines_left):
        super().__init__()
        self.lines_left = lines_left

    def say(self, text, *, rate_wpm, volume):
        from voicecoach.voice.renderers import TtsError

        if self.lines_left <= 0:
            raise TtsError("espeak-ng timed out")
        self.lines_left -= 1
        return super().say(text, rate_wpm=rate_wpm, volume=volume)


def test_when_speech_fails_the_session_ends_and_is_journaled(content, tmp_path):
    clock = SimulatedClock()
    journal = Journal(tmp_path / "j.sqlite3")
    runner = SessionRunner(content, clock=clock, speaker=SpeakerThatBreaks(lines_left=6),
                           source=ScriptedSource(answers("no", 15), clock), journal=journal)
    outcome = runner.run(start_now=True)
    assert (outcome.outcome, outcome.detail) == ("error", "speech failed")
    (row,) = journal.sessions()
    assert row.outcome == "error" and row.holds_started == 0


class LateSource:
    """Delivers one line parsed in another context than the session listens in now, as a
    listener does when a deadline passes while the user is still speaking."""

    def __init__(self, clock, text, parsed_in):
        self.clock, self.text, self.parsed_in, self.done = clock, text, parsed_in, False

    @property
    def finished(self):
        return self.done

    def wait(self, deadline_s, timeline, context="idle"):
        from voicecoach.types import Intent, Utterance

        if self.done:
            return None
        self.done = True
        self.clock.advance_to(self.clock.now() + 1.0)
        return Utterance(self.text, self.clock.now(), Intent("number", value=5, text=self.text), 1.0, self.parsed_in)


def test_words_parsed_in_a_context_the_session_has_left_are_judged_where_it_is_now(content):
    clock = SimulatedClock()
    runner = SessionRunner(content, clock=clock, speaker=TextSpeaker(), source=LateSource(clock, "stop", "rating"))
    outcome = runner.run(start_now=True)  # the session is at its first safety question (yes/no)
    heard = [l for l in runner.timeline if l.who == "you"]
    assert heard[0].note == "stop" and outcome.outcome == "stopped"
