"""Whole sessions in text on the simulated clock: the scripted user speaks, the real session answers."""

import time

import pytest
from driver import answers, run_script

from voicecoach.coach.session import Session, State
from voicecoach.settings import SessionSettings
from voicecoach.sim.scenario import Cue
from voicecoach.types import End, History, Intent, Listen, Say, SetVoice

RETURNING = History(first_use=False, full_screening_due=False)
CLEARED = answers("no", 15)


def full_session(extra=(), rating="five"):
    """Cleared screening, a rating, "ready" in each start position, the extra cues, a rating after."""
    return CLEARED + [Cue(rating, after="rating_before"), Cue("ready", after="ready_prompt"), *extra,
                      Cue("ready", after="ready_prompt"), Cue("three", after="rating_after")]


def test_a_complete_session(content):
    started = time.perf_counter()
    result = run_script(content, full_session())
    elapsed = time.perf_counter() - started
    assert result.outcome == End("completed")
    simulated = max(l.end_s for l in result.timeline) - result.origin_s
    # On the simulated clock nothing waits: minutes of session in a small fraction of the time
    # (about 1/5000 unloaded), so even a busy machine stays far inside 1/20.
    assert simulated > 300 and elapsed < simulated / 20, (simulated, elapsed)
    keys = result.keys
    order = [keys.index(k) for k in ("start", "disclaimer", "how_to_talk", "screening_intro", "cleared",
                                     "rating_before", "rules_intro", "intro:knee_to_chest",
                                     "intro:lumbar_rotation", "rating_after", "praise", "close_reminder")]
    assert order == sorted(order)
    assert len(result.said("question:")) == len(content.screening.questions)
    assert len(result.said("hold:knee_to_chest")) == 2 and len(result.said("hold:lumbar_rotation")) == 4
    assert result.said("cue") and result.said("hold_count")


def test_holds_last_their_time_on_the_timeline_however_long_the_cues(content):
    result = run_script(content, full_session())
    holds = result.said("hold:")
    releases = result.said("release:")
    for hold, release in zip(holds, releases, strict=True):
        target = 20 if "knee" in hold.key else 8
        assert release.start_s - hold.start_s == pytest.approx(target, abs=0.3)
    for hold, release in zip(holds, releases, strict=True):  # silence between the short cues
        inside = [l for l in result.spoken if hold.start_s < l.start_s < release.start_s]
        assert all(len(l.text.split()) <= 6 for l in inside)
        gaps = [b.start_s - a.end_s for a, b in zip([hold] + inside, inside + [release], strict=True)]
        assert min(gaps) > 0


def test_first_use_says_the_disclaimer_and_later_sessions_do_not(content):
    first = run_script(content, full_session())
    later = run_script(content, answers("no", 6) + [Cue("skip", after="rating_before"), Cue("skip", after="rating_after")],
                       history=RETURNING)
    assert "disclaimer" in first.keys and "disclaimer" not in later.keys
    assert "how_to_talk" in later.keys


def test_short_check_asks_the_emergency_questions_and_what_changed(content):
    emergency = [q.id for q in content.screening.questions if q.tier == "emergency"]
    result = run_script(content, answers("no", len(emergency)) + [Cue("no", after="question:changed"),
                                                                   Cue("skip", after="rating_before")],
                        history=RETURNING)
    asked = [l.key.split(":")[1] for l in result.said("question:")]
    assert asked == emergency + ["changed"]
    assert result.exercised


def test_a_change_since_last_time_leads_to_the_full_screening(content):
    emergency = [q for q in content.screening.questions if q.tier == "emergency"]
    cues = answers("no", len(emergency)) + [Cue("yes", after="question:changed")] + answers("no", 10)
    result = run_script(content, cues + [Cue("skip", after="rating_before")], history=RETURNING)
    asked = [l.key.split(":")[1] for l in result.said("question:")]
    assert set(asked) - {"changed"} == {q.id for q in content.screening.questions}
    assert "changed_full_intro" in result.keys


@pytest.mark.parametrize("index", range(15))
def test_each_red_flag_ends_with_its_tiers_advice_and_no_exercise(content, index):
    question = content.screening.questions[index]
    result = run_script(content, answers("no", index) + [Cue("yes", after="question:")])
    assert result.outcome == End("screened_out", f"{question.id} (yes)")
    assert result.keys[-1] == f"advice:{question.tier}"
    assert not result.exercised
    assert len(result.said("question:")) == index + 1


def test_the_emergency_questions_come_first(content):
    result = run_script(content, CLEARED)
    tiers = [content.screening.tier_of(next(q for q in content.screening.questions if f"question:{q.id}" == l.key))
             for l in result.said("question:")]
    assert [t.id for t in tiers][:5] == ["emergency"] * 5
    assert [t.id for t in tiers] == sorted((t.id for t in tiers), key=["emergency", "professional", "avoid"].index)


def test_not_sure_is_not_cleared(content):
    result = run_script(content, answers("no", 7) + [Cue("I'm not sure", after="question:")])
    assert result.outcome.outcome == "screened_out" and result.keys[-1] == "unsure_advice"
    assert not result.exercised


def test_unclear_answers_are_asked_again_in_other_words_then_ended_safely(content):
    result = run_script(content, answers("banana", 5))
    asked = result.said("question:bladder_bowel")
    assert len(asked) == 3 and len({l.text for l in asked}) == 3
    assert result.outcome.outcome == "no_answer" and result.keys[-1] == "no_answer"
    assert not result.exercised


def test_unclear_then_no_goes_on(content):
    result = run_script(content, [Cue("hmm", after="question:"), *full_session(rating="skip")])
    assert result.outcome == End("completed")


def test_silence_in_the_screening_ends_safely(content):
    result = run_script(content, [])
    assert result.outcome.outcome == "no_answer"
    assert not result.exercised


def test_a_no_heard_with_low_confidence_is_read_back(content):
    cues = [Cue("no", after="question:", confidence=0.5), Cue("yes", after="confirm_no"), *full_session()[1:]]
    result = run_script(content, cues)
    assert result.keys.count("confirm_no") == 1
    assert result.outcome == End("completed")


def test_a_read_back_answered_no_asks_the_question_again(content):
    cues = [Cue("no", after="question:", confidence=0.5), Cue("no", after="confirm_no"), Cue("yes", after="question:")]
    result = run_script(content, cues)
    assert len(result.said("question:bladder_bowel")) == 2
    assert result.outcome.outcome == "screened_out"


def _hold_cue(exercise="knee_to_chest", offset=6.0):
    return dict(during=f"hold:{exercise}", offset_s=offset)


def test_stop_mid_hold_stops_and_asks_carry_on_or_finish(content):
    result = run_script(content, full_session([Cue("stop", **_hold_cue()), Cue("finish", after="stop_menu")]))
    assert result.outcome == End("stopped")
    stop = next(l for l in result.timeline if l.who == "you" and l.text == "stop")
    after = [l.key for l in result.spoken if l.start_s >= stop.start_s]
    assert after[:2] == ["stop_ack", "stop_menu"]
    assert not any(k.startswith(("hold:", "move:", "cue")) for k in after)


def test_stop_then_carry_on_restarts_that_side(content):
    result = run_script(content, full_session([Cue("stop", **_hold_cue()), Cue("carry on", after="stop_menu")]))
    assert result.outcome == End("completed")
    assert len(result.said("move:knee_to_chest")) == 3  # right, right again, left


def test_stop_while_the_coach_talks_cuts_the_line(content):
    result = run_script(content, full_session([Cue("stop", during="move:knee_to_chest", offset_s=2.0),
                                               Cue("finish", after="stop_menu")]))
    move = result.said("move:knee_to_chest")[0]
    assert move.note == "cut off" and move.end_s - move.start_s == pytest.approx(2.0)
    stop_ack = result.said("stop_ack")[0]
    assert stop_ack.start_s == pytest.approx(move.end_s)


def test_pain_mid_hold_never_resumes(content):
    cues = full_session([Cue("stop it hurts", **_hold_cue()), Cue("no", after="pain_question"),
                         Cue("resume", at_s=400), Cue("ready", at_s=410)])
    result = run_script(content, cues)
    assert result.outcome.outcome == "pain"
    pain_at = next(l.start_s for l in result.timeline if l.who == "you" and l.text == "stop it hurts")
    after = [l.key for l in result.spoken if l.start_s >= pain_at]
    assert after[:2] == ["pain_release", "pain_question"] and after[-1] == "pain_advice"
    assert not any(k.startswith(("hold:", "move:", "position:", "cue")) for k in after)


def test_pain_with_sharp_or_numb_answer_gets_the_serious_advice(content):
    result = run_script(content, full_session([Cue("ouch", **_hold_cue()), Cue("yes", after="pain_question")]))
    assert result.keys[-1] == "pain_advice_serious"
    silent = run_script(content, full_session([Cue("ouch", **_hold_cue())]))
    assert silent.keys[-1] == "pain_advice_serious"  # no answer: assume the worst


def test_pause_and_resume_keep_the_remaining_hold_time(content):
    result = run_script(content, full_session([Cue("pause", **_hold_cue(offset=6.0)),
                                               Cue("resume", after="pause_ack", delay_s=30.0)]))
    hold = result.said("hold:knee_to_chest")[0]
    pause_line = next(l for l in result.timeline if l.who == "you" and l.text == "pause")
    resume_line = next(l for l in result.timeline if l.who == "you" and l.text == "resume")
    release = result.said("release:knee_to_chest")[0]
    held_before = pause_line.start_s - hold.start_s
    held_after = release.start_s - resume_line.start_s
    assert held_before + held_after == pytest.approx(20, abs=0.5)
    assert result.outcome == End("completed")


def test_next_ends_a_hold_early_and_repeat_says_the_step_again(content):
    result = run_script(content, full_session([Cue("repeat", after="move:knee_to_chest", delay_s=1),
                                               Cue("next", **_hold_cue(offset=3))]))
    assert len(result.said("move:knee_to_chest")) == 3  # said, repeated, then the left side
    hold = result.said("hold:knee_to_chest")[0]
    release = result.said("release:knee_to_chest")[0]
    assert release.start_s - hold.start_s < 5


def _voice_session(settings, commands):
    from voicecoach.store.content import load_content

    session = Session(load_content(), settings, RETURNING)
    session.begin(0.0)
    for t in range(1, 20):  # a plain "no" to every question (and the rating skipped): on to the stretches
        if session.context == "exercise":
            break
        session.hear(Intent("no", text="no"), float(t))
    assert session.state is State.STEP
    return session, [session.hear(Intent(c), 20.0 + i) for i, c in enumerate(commands, 1)]


def test_slower_and_faster_stay_within_comfortable_bounds(content):
    settings = SessionSettings()
    session, outputs = _voice_session(settings, ["slower"] * 10 + ["faster"] * 20)
    rates = [a.rate_wpm for out in outputs for a in out if isinstance(a, SetVoice)]
    assert min(rates) == settings.min_rate_wpm and max(rates) == settings.max_rate_wpm
    assert rates[0] == settings.rate_wpm - settings.rate_step_wpm
    spoken = [a.key for out in outputs for a in out if isinstance(a, Say)]
    assert "slowest" in spoken and "fastest" in spoken


def test_louder_and_quieter_stay_within_bounds(content):
    settings = SessionSettings()
    session, outputs = _voice_session(settings, ["quieter"] * 10 + ["louder"] * 10)
    volumes = [a.volume for out in outputs for a in out if isinstance(a, SetVoice)]
    assert min(volumes) == pytest.approx(settings.min_volume) and max(volumes) == pytest.approx(settings.max_volume)


def test_longer_and_shorter_stay_within_the_exercises_safe_range(content):
    many_longer = [Cue("longer", during="hold:knee_to_chest", offset_s=1)] + \
                  [Cue("longer", after="longer") for _ in range(3)] + [Cue("longer", after="longest")]
    result = run_script(content, full_session(many_longer))
    hold = result.said("hold:knee_to_chest")[0]
    release = result.said("release:knee_to_chest")[0]
    assert release.start_s - hold.start_s == pytest.approx(30, abs=0.5)  # the knee hold's maximum
    assert "30 seconds" in result.said("longest")[0].text
    second = result.said("hold:knee_to_chest")[1]
    assert "30 seconds" in second.text  # the new hold time stays for the other side

    shorter = [Cue("shorter", during="hold:lumbar_rotation", offset_s=0.5), Cue("shorter", after="shorter")]
    result = run_script(content, full_session(shorter))
    holds = result.said("hold:lumbar_rotation")
    assert "5 seconds" in holds[1].text  # 8 - 5 is below the 5 s minimum: clamped
    assert "5 seconds is the shortest" in result.said("shortest")[0].text


def test_how_long_help_why_and_progress_answer_and_carry_on(content):
    cues = full_session([Cue("how long", **_hold_cue(offset=5)), Cue("why does it crack", after="how_long_hold"),
                         Cue("what can I say", after="why"), Cue("how am I doing", after="help_exercise")])
    result = run_script(content, cues, history=History(first_use=False, full_screening_due=True,
                                                       ratings=((6, 4), (5, 3))))
    assert result.outcome == End("completed")
    assert result.said("how_long_hold")[0].text == "15 seconds left."
    assert "gas" in result.said("why")[0].text
    assert "5" in result.said("progress")[0].text or "average" in result.said("progress")[0].text


def test_unclear_speech_in_an_exercise_pauses_and_asks(content):
    result = run_script(content, full_session([Cue("banana", **_hold_cue()), Cue("no", after="confirm_stop",
                                                                                delay_s=3)]))
    assert "confirm_stop" in result.keys and result.outcome == End("completed")
    hold = result.said("hold:knee_to_chest")[0]
    release = result.said("release:knee_to_chest")[0]
    confirm = result.said("confirm_stop")[0]
    answer = next(l for l in result.timeline if l.who == "you" and l.text == "no" and l.start_s > confirm.start_s)
    assert (confirm.start_s - hold.start_s) + (release.start_s - answer.start_s) == pytest.approx(20, abs=0.5)


def test_unclear_and_then_silence_ends_the_exercise(content):
    result = run_script(content, full_session([Cue("banana", **_hold_cue())]))
    assert result.outcome.outcome == "stopped"
    assert result.keys[-1] == "not_heard_end"


def test_a_silent_user_is_checked_on_and_the_session_ends_quietly(content):
    settings = SessionSettings(asleep_after_s=60)
    result = run_script(content, CLEARED, settings=settings)  # says nothing after the screening
    assert result.outcome.outcome == "silent"
    assert "check_in" in result.keys and result.keys[-1] == "asleep_end"


def test_saying_ready_at_a_check_in_goes_on(content):
    settings = SessionSettings(asleep_after_s=60)
    result = run_script(content, full_session([Cue("ready", after="check_in")], rating="skip"), settings=settings)
    assert result.outcome == End("completed")


def test_the_session_says_which_context_it_listens_in(content):
    session = Session(content, history=RETURNING)
    assert session.context == "idle"
    out = session.begin(0.0)
    assert session.context == "yesno" and isinstance(out[-1], Listen) and out[-1].context == "yesno"
    for i in range(6):
        session.hear(Intent("no"), 1.0 + i)
    assert session.context == "rating"
    session.hear(Intent("next"), 10.0)
    assert session.context == "exercise"


def test_a_faint_no_to_anything_new_is_read_back_too(content):
    cues = answers("no", 5) + [Cue("no", after="question:changed", confidence=0.5), Cue("yes", after="confirm_no"),
                               Cue("skip", after="rating_before")]
    result = run_script(content, cues, history=RETURNING)
    assert result.keys.count("confirm_no") == 1 and result.keys.count("question:changed") == 1
    assert "rating_before" in result.keys


def test_asked_to_repeat_a_recalled_screen_out_says_what_it_recalls_again(content):
    from voicecoach.types import ScreenOut

    session = Session(content, SessionSettings(), History(first_use=False, screen_out=ScreenOut("sciatica", "yes")))
    first = [a.key for a in session.begin(0.0) if isinstance(a, Say)]
    again = [a.key for a in session.hear(Intent("repeat", words=("repeat",)), 1.0) if isinstance(a, Say)]
    assert first[-2:] == ["remind", "remind_ask"] and again == ["remind", "remind_ask"]
