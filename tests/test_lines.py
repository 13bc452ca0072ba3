"""Every line fits its moment (issue 14): what the coach says depends on where the session is."""

from driver import answers, run_script

from voicecoach.clock import SimulatedClock
from voicecoach.coach.runner import SessionRunner, TextSpeaker
from voicecoach.sim.scenario import Cue, ScriptedSource
from voicecoach.store.journal import Journal

TO_THE_STRETCHES = answers("no", 15) + [Cue("skip", after="rating_before"), Cue("ready", after="ready_prompt")]


def test_longer_between_holds_talks_about_the_coming_holds(content):
    result = run_script(content, TO_THE_STRETCHES + [Cue("longer", after="release:knee_to_chest", delay_s=0.2)])
    (line,) = result.said("longer_next")
    assert line.text == "Your coming holds will be 25 seconds." and "longer" not in result.keys


def test_longer_during_a_hold_talks_about_this_hold(content):
    result = run_script(content, TO_THE_STRETCHES + [Cue("longer", during="hold:knee_to_chest", offset_s=1)])
    assert result.said("longer")[0].text == "I'll hold for 25 seconds." and not result.said("longer_next")


def test_repeat_during_a_hold_repeats_the_instruction_with_the_seconds_left(content):
    result = run_script(content, TO_THE_STRETCHES + [Cue("repeat", during="hold:knee_to_chest", offset_s=5)])
    (again,) = result.said("hold_again")
    assert again.text.startswith("Hold it there, gently.") and "15 seconds" in again.text


def test_how_long_outside_a_hold_gives_the_time_left_today(content):
    result = run_script(content, answers("no", 15) + [Cue("skip", after="rating_before"),
                                                      Cue("how long", after="ready_prompt")])
    (line,) = result.said("how_long_session")
    assert line.text.startswith("About ") and line.text.endswith(" minutes to go today.")


def test_the_help_line_names_why_progress_and_finish(content):
    text = content.phrases.lines["help_exercise"][0]
    assert "why does it crack" in text and "how am I doing" in text and "finish" in text


def runner_for(content, cues, journal=None):
    clock = SimulatedClock()
    return SessionRunner(content, clock=clock, speaker=TextSpeaker(), source=ScriptedSource(cues, clock),
                         journal=journal), clock


def test_ctrl_d_during_the_screening_says_nothing_of_a_stretch(content):
    import io

    from voicecoach.terminal import TerminalSource

    clock = SimulatedClock()  # the typed lines are all there already: nothing waits
    runner = SessionRunner(content, clock=clock, speaker=TextSpeaker(), source=TerminalSource(io.StringIO("no\nno\n"),
                                                                                               clock))
    runner.run(start_now=True)  # input ends (Ctrl-D) during the screening
    keys = [l.key for l in runner.timeline if l.who == "coach"]
    assert keys[-1] == "lost_hearing_resting"  # Ctrl-D: "we'll leave it there", not "end the exercise"
    assert "stretch" not in runner.timeline[-1].text


def test_shutting_down_in_a_stretch_guides_out_of_it(content):
    def quit_in_the_hold(line, origin_s):
        if line.key.startswith("hold:"):
            runner.shut_down("terminated by the system")

    clock = SimulatedClock()
    runner = SessionRunner(content, clock=clock, speaker=TextSpeaker(),
                           source=ScriptedSource(TO_THE_STRETCHES, clock), on_line=quit_in_the_hold)
    runner.run(start_now=True)
    assert "shutting_down" in [l.key for l in runner.timeline]


def test_shutting_down_while_screening_has_its_own_line(content):
    runner, _ = runner_for(content, answers("no", 3))

    def quit_at_the_third_question(line, origin_s):
        if line.key == "question:saddle_numbness":
            runner.shut_down("terminated by the system")

    runner.on_line = quit_at_the_third_question
    runner.run(start_now=True)
    keys = [l.key for l in runner.timeline if l.who == "coach"]
    assert "shutting_down_resting" in keys and "shutting_down" not in keys


def test_a_voice_stop_is_journaled_once_as_a_stop(content, tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    run_script(content, TO_THE_STRETCHES + [Cue("stop", during="hold:knee_to_chest", offset_s=3),
                                            Cue("finish", after="stop_menu")], journal=journal)
    events = [data["kind"] for kind, data in journal.events(journal.sessions()[0].id) if kind == "event"]
    assert events.count("stop") == 1 and "pause" not in events
