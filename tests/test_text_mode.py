"""`run --text` as a real-time conversation: lines appear when the coach would begin them, deadlines
count from what the user has seen, typing over the coach interrupts it, a prompt shows when it listens."""

import io
import time

from driver import answers

from voicecoach.clock import RealClock, SimulatedClock
from voicecoach.coach.runner import SessionRunner
from voicecoach.sim.scenario import Cue, ScriptedSource
from voicecoach.terminal import TerminalSource, TextConsole
from voicecoach.types import NothingSaid, SpeechOnset, Utterance

PROMPT_ANSWERS = answers("no", 15, delay_s=0.5) + [
    Cue("skip", after="rating_before", delay_s=0.5), Cue("ready", after="ready_prompt", delay_s=0.5),
    Cue("ready", after="ready_prompt", delay_s=0.5), Cue("skip", after="rating_after", delay_s=0.5)]


def text_session(content, cues):
    clock = SimulatedClock()
    out = io.StringIO()
    runner = SessionRunner(content, clock=clock, speaker=TextConsole(out, clock, paced=False),
                           source=ScriptedSource(cues, clock))
    outcome = runner.run(start_now=True)
    return outcome, runner, clock, out.getvalue()


def test_a_whole_text_session_takes_about_its_holds_and_waits(content):
    outcome, runner, clock, out = text_session(content, PROMPT_ANSWERS)
    assert outcome.outcome == "completed"
    settings = runner.settings
    holds_s = 2 * 20 + 4 * 8
    moves = 6  # each side's move waits for the user to move, and each release for them to settle
    waits_s = moves * (settings.move_wait_s + settings.release_wait_s)
    reading_s = clock.now() - holds_s - waits_s
    assert 0 < reading_s < 120, reading_s  # spoken at 150 wpm the same lines take over 400 s
    assert "coach: Have you had any new trouble" in out


def test_a_re_ask_after_silence_counts_from_when_the_question_appeared(content):
    outcome, runner, _, _ = text_session(content, [])  # nobody answers
    questions = [l for l in runner.timeline if l.key == "question:bladder_bowel"]
    assert len(questions) >= 2
    gap = questions[1].start_s - questions[0].start_s
    assert gap < runner.settings.answer_wait_s + 3.0, gap  # was 48 s with spoken pacing


def test_typed_start_inside_a_sentence_starts_nothing(content):
    clock = SimulatedClock()
    source = ScriptedSource([Cue("it is time to start the car", at_s=1), Cue("start", at_s=5)], clock)
    runner = SessionRunner(content, clock=clock, speaker=TextConsole(io.StringIO(), clock, paced=False),
                           source=source)
    runner.run(start_now=False)
    started = [l for l in runner.timeline if l.key == "start"]
    assert started and started[0].start_s >= 5  # the second, plain "start" began it


def test_the_console_shows_lines_at_their_time_and_a_prompt_when_listening():
    out = io.StringIO()
    clock = RealClock()
    console = TextConsole(out, clock)
    first = console.say("one two three", rate_wpm=150, volume=1)
    console.say("four five", rate_wpm=150, volume=1)
    console.prompt()
    time.sleep(0.05)
    assert out.getvalue() == "coach: one two three\n"  # the second line is not due yet
    console.wait_until_shown()
    time.sleep(0.05)
    assert out.getvalue() == "coach: one two three\ncoach: four five\nyou: "
    assert 0.3 < first < 1.0  # a reading pace, not a speaking one


def test_typing_over_the_coach_drops_what_it_has_not_shown_yet():
    out = io.StringIO()
    console = TextConsole(out, RealClock())
    console.say("a line of twenty words " * 4, rate_wpm=150, volume=1)
    console.say("never shown", rate_wpm=150, volume=1)
    console.stop()
    console.wait_until_shown()
    assert "never shown" not in out.getvalue()


def test_a_typed_line_is_an_onset_then_its_words_and_an_empty_one_is_nothing_said():
    clock = RealClock()
    source = TerminalSource(io.StringIO("no\n\n"), clock, barge_in=True)
    assert isinstance(source.wait(clock.now() + 5, [], "yesno"), SpeechOnset)
    words = source.wait(clock.now() + 5, [], "yesno")
    assert isinstance(words, Utterance) and words.text == "no"
    assert isinstance(source.wait(clock.now() + 5, [], "yesno"), SpeechOnset)
    assert isinstance(source.wait(clock.now() + 5, [], "yesno"), NothingSaid)
