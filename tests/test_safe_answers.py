"""What the safe-answers issue saw, each made impossible, through the real runner in text.

The user's words enter as text (a scripted user) and go through the real parser and session.
"""

import pytest
from driver import answers, run_script

from voicecoach.sim.scenario import Cue
from voicecoach.store.content import load_content, load_routine
from voicecoach.store.content_errors import ContentError
from voicecoach.store.journal import Journal
from voicecoach.types import End, History

ONE_CLEAR_NO = [Cue("no", after="question:")]


def first_question_gets(phrase: str, times: int = 3) -> list[Cue]:
    """`phrase` to the first question at every attempt, then plain "no"s to everything else."""
    return [Cue(phrase, after="question:")] * times + answers("no", 15) + [Cue("skip", after="rating_before")]


@pytest.mark.parametrize("phrase", ["No, I don't know", "I don't really know", "I don't remember", "I didn't check",
                                    "no clue", "no doubt about it", "No, but my legs are numb",
                                    "never had that until now", "no, it's getting worse"])
def test_a_hedged_or_affirming_answer_never_clears_a_red_flag(content, phrase):
    result = run_script(content, first_question_gets(phrase))
    assert not result.exercised and "cleared" not in result.keys
    assert result.outcome.outcome in ("screened_out", "no_answer")


@pytest.mark.parametrize("phrase,outcome", [("No, I don't know", "screened_out"), ("no doubt about it", "screened_out"),
                                            ("No, but my legs are numb", "no_answer")])
def test_unsure_and_yes_screen_out_and_unclear_is_asked_again(content, phrase, outcome):
    result = run_script(content, first_question_gets(phrase))
    assert result.outcome.outcome == outcome
    if outcome == "no_answer":  # asked again in other words, then ended safely
        assert len(result.said("question:bladder_bowel")) == 3
        assert len({line.text for line in result.said("question:bladder_bowel")}) == 3


@pytest.mark.parametrize("reply", ["not correct", "I do not", "I do not know", "that's not right",
                                   "I did not say that", "no, that's wrong"])
def test_a_read_back_is_never_confirmed_by_a_negative(content, reply):
    cues = [Cue("no", after="question:", confidence=0.5), Cue(reply, after="confirm_no")] + answers("no", 15)
    result = run_script(content, cues + [Cue("skip", after="rating_before")])
    first = result.said("question:bladder_bowel")
    if reply == "I do not know":
        assert result.outcome == End("screened_out", "bladder_bowel (unsure)")
    else:  # taken back: the same question, asked again in other words
        assert len(first) == 2 and first[0].text != first[1].text
        assert result.keys.index("confirm_no") < result.keys.index("cleared")  # cleared by a later plain "no"


@pytest.mark.parametrize("reply", ["that correct", "yes, my leg", "yes but it's numb", "correct, a bit",
                                   "not anymore", "I do", "I have", "it does", "I've had that", "yes I do"])
def test_a_read_back_is_confirmed_only_by_a_plain_yes(content, reply):
    # "that correct" is how Whisper wrote a spoken "not correct": it must confirm nothing. "I do"
    # or "not anymore" to "I heard no. Is that right?" says the symptom is (or was) there.
    cues = [Cue("no", after="question:", confidence=0.5), Cue(reply, after="confirm_no")] * 3
    result = run_script(content, cues + answers("no", 15) + [Cue("skip", after="rating_before")])
    assert "cleared" not in result.keys[:result.keys.index("confirm_no") + 2]
    assert len(result.said("question:bladder_bowel")) >= 2


def test_a_read_back_confirmed_by_yes_clears(content):
    cues = [Cue("no", after="question:", confidence=0.5), Cue("yes, that's right", after="confirm_no")]
    result = run_script(content, cues + answers("no", 14) + [Cue("skip", after="rating_before")])
    assert result.exercised and len(result.said("question:bladder_bowel")) == 1


def test_a_yes_describing_the_symptom_screens_out_by_that_question(content, tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    cues = answers("no", 5) + [Cue("yes, the pain goes down my leg", after="question:sciatica")]
    result = run_script(content, cues, journal=journal)
    assert result.outcome == End("screened_out", "sciatica (yes)")
    assert "advice:professional" in result.keys and "pain_question" not in result.keys
    (row,) = journal.sessions()
    assert row.screened_out_by == "sciatica"


def test_it_hurts_now_still_stops_during_the_screening(content):
    result = run_script(content, answers("no", 2) + [Cue("stop, it hurts", after="question:")])
    assert result.outcome.outcome == "pain" and "pain_question" in result.keys


@pytest.mark.parametrize("phrase", ["pardon", "again", "what was the question"])
def test_asking_to_repeat_is_bounded(content, phrase):
    result = run_script(content, [Cue(phrase, after="question:")] * 30)
    assert result.outcome.outcome == "no_answer"
    # The first repeat is free; each later one counts as an attempt (three in all).
    assert len(result.said("question:bladder_bowel")) == 4


def test_one_repeat_then_a_plain_no_goes_on(content):
    result = run_script(content, [Cue("pardon", after="question:")] + answers("no", 15)
                        + [Cue("skip", after="rating_before")])
    assert result.exercised


# ---- a screen-out sticks for a day ---------------------------------------------------------

def screened_out_journal(content, tmp_path, answer="yes"):
    journal = Journal(tmp_path / "j.sqlite3")
    run_script(content, [Cue(answer, after="question:")], journal=journal)
    return journal


def test_start_again_after_an_emergency_screen_out_recalls_it(content, tmp_path):
    journal = screened_out_journal(content, tmp_path)
    again = run_script(content, answers("no", 30) + [Cue("no", after="remind_ask")], journal=journal)
    assert not again.exercised and not again.said("question:")
    recall = again.said("remind")[0].text
    assert "bladder or bowel" in recall and content.screening.tiers["emergency"].advice in recall
    assert again.outcome.outcome == "screened_out"
    assert journal.history().screen_out is not None  # and it still stands


@pytest.mark.parametrize("reply", ["not sure", "I don't know", "um", "maybe"])
def test_only_a_clear_mistake_lifts_a_screen_out(content, tmp_path, reply):
    journal = screened_out_journal(content, tmp_path, answer="not sure")
    again = run_script(content, [Cue(reply, after="remind_ask")] * 3 + answers("no", 15), journal=journal)
    assert not again.exercised and again.outcome.outcome == "screened_out"
    assert "weren't sure" in again.said("remind")[0].text


def test_a_mistake_confirmed_leads_to_a_fresh_full_screening(content, tmp_path):
    journal = screened_out_journal(content, tmp_path)
    cues = [Cue("yes", after="remind_ask")] + answers("no", 15) + [Cue("skip", after="rating_before")]
    again = run_script(content, cues, journal=journal)
    assert again.exercised and len(again.said("question:")) == 15
    assert journal.history().screen_out is None
    kinds = [data.get("result") for kind, data in journal.events(journal.sessions()[0].id) if kind == "screening"]
    assert kinds[0] == "retracted"


def test_a_mistake_heard_unclearly_is_not_enough(content, tmp_path):
    journal = screened_out_journal(content, tmp_path)
    cues = [Cue("yes", after="remind_ask", confidence=0.4)] * 3 + answers("no", 15)
    assert not run_script(content, cues, journal=journal).exercised


def test_a_screen_out_is_recalled_for_24_hours_only(content, tmp_path):
    from datetime import timedelta

    from voicecoach.store.journal import utc_now

    journal = screened_out_journal(content, tmp_path)
    assert journal.history(now=utc_now() + timedelta(hours=23)).screen_out is not None
    assert journal.history(now=utc_now() + timedelta(hours=25)).screen_out is None


# ---- the next session screens in full after anything unsettled ------------------------------

def cleared_then(content, journal, cues):
    full = answers("no", 15) + [Cue("finish", after="rating_before")]
    run_script(content, full, journal=journal)
    assert not journal.history().full_screening_due
    run_script(content, cues, journal=journal)
    return journal.history().full_screening_due


def test_a_change_since_last_time_makes_the_next_screening_full(content, tmp_path):
    cues = answers("no", 5) + [Cue("yes", after="question:changed")] + answers("no", 10) + \
        [Cue("finish", after="rating_before")]
    assert cleared_then(content, Journal(tmp_path / "j.sqlite3"), cues)


@pytest.mark.parametrize("cues", [
    [Cue("stop", after="question:")],  # stopped during the screening
    [Cue("um", after="question:")] * 3,  # no answer
    [],  # silence: the input ended
], ids=["stopped", "no_answer", "input_gone"])
def test_an_unsettled_session_makes_the_next_screening_full(content, tmp_path, cues):
    assert cleared_then(content, Journal(tmp_path / "j.sqlite3"), cues)


def test_an_interrupted_session_makes_the_next_screening_full(content, tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    run_script(content, answers("no", 15) + [Cue("finish", after="rating_before")], journal=journal)
    journal.open_session()  # a session that never ended: a crash or a power cut
    assert journal.history().full_screening_due


# ---- safe ranges -------------------------------------------------------------------------

def routine_with_hold(tmp_path, exercise_id, hold):
    text = (load_routine.__globals__["resources"].files("voicecoach.data") / "routine.toml").read_text()
    if exercise_id != "knee_to_chest":
        text = text.replace('id = "knee_to_chest"', f'id = "{exercise_id}"')
    text = text.replace("hold_s = { min = 15, max = 30, default = 20 }", hold)
    path = tmp_path / "routine.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("hold,field", [
    ("hold_s = { min = 100, max = 120, default = 110 }", "hold_s.min"),
    ("hold_s = { min = 15, max = 45, default = 20 }", "hold_s.max"),
    ("hold_s = { min = 10, max = 30, default = 20 }", "hold_s"),
])
def test_a_user_routine_cannot_widen_a_built_in_hold(tmp_path, hold, field):
    with pytest.raises(ContentError) as error:
        load_routine(routine_with_hold(tmp_path, "knee_to_chest", hold))
    assert field in str(error.value) and "\n" not in str(error.value)


def test_a_users_own_exercise_holds_at_most_30_seconds(tmp_path):
    with pytest.raises(ContentError, match="max"):
        load_routine(routine_with_hold(tmp_path, "my_stretch", "hold_s = { min = 20, max = 40, default = 30 }"))
    own = load_routine(routine_with_hold(tmp_path, "my_stretch", "hold_s = { min = 20, max = 30, default = 25 }"))
    assert own.exercises[0].hold_s.max_s == 30


def test_a_user_routine_may_narrow_a_built_in_hold(tmp_path):
    narrow = load_routine(routine_with_hold(tmp_path, "knee_to_chest", "hold_s = { min = 20, max = 25, default = 20 }"))
    assert narrow.exercises[0].hold_s.max_s == 25
    assert load_content(routine_with_hold(tmp_path, "knee_to_chest", "hold_s = { min = 20, max = 25, default = 20 }"))


def test_history_settles_on_the_default_when_nothing_is_known(content):
    assert History().full_screening_due and History().screen_out is None


# ---- lines that fit the moment (issue 14) -------------------------------------------------

def test_why_during_the_screening_is_answered_and_uses_no_attempt(content):
    cues = [Cue("why?", after="question:"), Cue("why does it crack", after="question:")] + answers("no", 15)
    result = run_script(content, cues + [Cue("skip", after="rating_before")])
    assert "why_screening" in result.keys and "why" in result.keys
    assert result.exercised  # one free "why", one counted: still well within the attempts


def test_the_closing_reminder_names_every_emergency_sign(content):
    reminder = content.phrases.lines["close_reminder"][0].lower()
    for sign in ("bladder or bowel", "numbness between your legs", "back passage", "sexual function",
                 "both legs", "getting worse", "so severe"):
        assert sign in reminder, sign
