"""A hold lasts exactly its time, whatever is said during it (simulated clock, real session and runner)."""

import pytest
from driver import answers, run_script

from voicecoach.sim.scenario import Cue
from voicecoach.store.journal import Journal

TARGET_S = {"knee_to_chest": 20, "lumbar_rotation": 8}
QUESTIONS = ["why does it crack", "how am I doing", "help", "how long", "slower", "louder", "repeat", "longer"]


def session_with(extra):
    return answers("no", 15) + [Cue("skip", after="rating_before"), Cue("ready", after="ready_prompt"), *extra,
                                Cue("ready", after="ready_prompt"), Cue("skip", after="rating_after")]


def holds_of(result, journal):
    """(hold line, release line, journal record) for every hold, in order."""
    records = [data for kind, data in journal.events(journal.sessions()[0].id) if kind == "hold"]
    return list(zip(result.said("hold:"), result.said("release:"), records, strict=True))


def check_exact(result, journal, longer=False):
    holds = holds_of(result, journal)
    assert len(holds) == 6
    for hold, release, record in holds:
        exercise = hold.key.split(":")[1]
        target = record["target_s"]
        assert target == TARGET_S[exercise] or longer
        assert record["held_s"] == pytest.approx(target, abs=0.05)  # from the clock
        assert release.start_s - hold.start_s == pytest.approx(target, abs=0.3), (exercise, hold.start_s)
        assert target <= {"knee_to_chest": 30, "lumbar_rotation": 10}[exercise]


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("when", ["early", "late", "repeatedly"])
def test_a_question_during_any_hold_does_not_move_its_end(content, tmp_path, question, when):
    offsets = {"early": [0.5], "late": [6.0], "repeatedly": [0.5, 2.0, 3.5, 5.0, 6.5]}[when]
    # "late" is late for the 8 s knee drop and the middle of the 20 s knee to chest.
    extra = [Cue(question, during=f"hold:{exercise}", offset_s=t)
             for exercise in ("knee_to_chest", "lumbar_rotation") for t in offsets]
    extra = sorted(extra, key=lambda c: c.during)  # the knee to chest comes first in the routine
    journal = Journal(tmp_path / "j.sqlite3")
    result = run_script(content, session_with(extra * 3 if when != "repeatedly" else extra), journal=journal)
    assert result.outcome.outcome == "completed", result.text()
    check_exact(result, journal, longer=question == "longer")


def test_a_long_answer_waits_until_after_the_release(content, tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    result = run_script(content, session_with([Cue("why does it crack", during="hold:knee_to_chest", offset_s=1)]),
                        journal=journal)
    keys = result.keys
    first_release = keys.index("release:knee_to_chest")
    assert keys.index("answer_after_hold") < first_release < keys.index("why")
    hold, release, _ = holds_of(result, journal)[0]
    inside = [l for l in result.spoken if hold.start_s < l.start_s < release.start_s]
    assert all(len(l.text.split()) <= 6 for l in inside)  # only short lines inside a hold


def test_a_question_just_before_the_end_gets_no_reply_that_would_delay_the_release(content, tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    cues = [Cue("how long", during="hold:lumbar_rotation", offset_s=7.2)] * 4
    result = run_script(content, session_with(cues), journal=journal)
    check_exact(result, journal)


def test_longer_stays_within_the_safe_maximum(content, tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    cues = [Cue("longer", during="hold:knee_to_chest", offset_s=t) for t in (0.5, 2, 3.5)]
    result = run_script(content, session_with(cues), journal=journal)
    records = [r for _, _, r in holds_of(result, journal)]
    assert max(r["target_s"] for r in records if r["exercise"] == "knee_to_chest") == 30
    check_exact(result, journal, longer=True)


def test_a_paused_hold_keeps_its_remaining_time(content, tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    cues = [Cue("wait", during="hold:knee_to_chest", offset_s=5), Cue("resume", after="pause_ack", delay_s=30)]
    result = run_script(content, session_with(cues), journal=journal)
    first = holds_of(result, journal)[0][2]
    assert first["held_s"] == pytest.approx(20, abs=0.3) and first["completed"]
