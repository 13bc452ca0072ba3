"""The journal: what each session did, kept across crashes, and what the next session needs to know."""

import csv
import io
from datetime import timedelta

import pytest
from driver import answers, run_script

from voicecoach.sim.scenario import Cue
from voicecoach.store import paths
from voicecoach.store.journal import Journal, JournalError, utc_now


def test_the_journal_lives_under_xdg_data_home(isolated_home):
    assert paths.journal_path() == isolated_home / "xdg_data_home" / "voicecoach" / "journal.sqlite3"
    assert paths.config_path() == isolated_home / "xdg_config_home" / "voicecoach" / "config.toml"


def test_a_completed_session_is_journaled(content, tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    cues = answers("no", 15) + [Cue("six", after="rating_before"), Cue("ready", after="ready_prompt"),
                                Cue("ready", after="ready_prompt"), Cue("two", after="rating_after")]
    result = run_script(content, cues, journal=journal)
    assert result.outcome.outcome == "completed"
    (row,) = journal.sessions()
    assert (row.outcome, row.screening, row.rating_before, row.rating_after) == ("completed", "full", 6, 2)
    assert (row.holds_completed, row.holds_started) == (6, 6)
    kinds = [kind for kind, _ in journal.events(row.id)]
    assert kinds.count("hold") == 6 and "screening" in kinds


def test_a_red_flag_is_journaled_with_its_question(content, tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    run_script(content, answers("no", 5) + [Cue("yes", after="question:")], journal=journal)
    (row,) = journal.sessions()
    assert row.outcome == "screened_out" and row.screened_out_by == "sciatica"


def test_a_crash_mid_session_loses_nothing_already_written(tmp_path):
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    sid = journal.open_session()
    journal.record(sid, "rating", {"when": "before", "value": 7}, 30.0)
    journal.record(sid, "hold", {"exercise": "knee_to_chest", "completed": True}, 60.0)
    del journal  # the process dies here: no close, no goodbye
    reopened = Journal(path)
    (row,) = reopened.sessions()
    assert (row.outcome, row.rating_before, row.holds_completed, row.ended_at) == ("interrupted", 7, 1, None)


def test_first_use_and_full_screening_are_remembered(content, tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    assert journal.history().first_use and journal.history().full_screening_due
    cues = answers("no", 15) + [Cue("skip", after="rating_before"), Cue("ready", after="ready_prompt"),
                                Cue("ready", after="ready_prompt"), Cue("skip", after="rating_after")]
    run_script(content, cues, journal=journal)
    history = journal.history()
    assert not history.first_use and not history.full_screening_due
    assert journal.history(now=utc_now() + timedelta(days=8)).full_screening_due  # weekly


def test_a_pain_event_makes_the_next_screening_full(content, tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    cues = answers("no", 15) + [Cue("skip", after="rating_before"), Cue("ready", after="ready_prompt"),
                                Cue("ouch", during="hold:knee_to_chest", offset_s=5), Cue("no", after="pain_question")]
    result = run_script(content, cues, journal=journal)
    assert result.outcome.outcome == "pain"
    assert journal.history().full_screening_due
    # and the next session, driven from the journal, asks every question again
    nxt = run_script(content, answers("no", 15) + [Cue("stop", after="rating_before")], journal=journal)
    assert len(nxt.said("question:")) == 15


def test_a_short_check_day_after_a_full_screening(content, tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    full = answers("no", 15) + [Cue("finish", after="rating_before")]
    run_script(content, full, journal=journal)
    nxt = run_script(content, answers("no", 5) + [Cue("no", after="question:changed"), Cue("stop", after="rating_before")], journal=journal)
    assert len(nxt.said("question:")) == 6


def test_csv_export_and_ratings_for_progress(content, tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    for before in (7, 5):
        sid = journal.open_session()
        journal.record(sid, "rating", {"when": "before", "value": before}, 1.0)
        journal.record(sid, "rating", {"when": "after", "value": before - 2}, 100.0)
        journal.close_session(sid, "completed")
    rows = list(csv.DictReader(io.StringIO(journal.to_csv())))
    assert [(r["stiffness_before"], r["stiffness_after"], r["outcome"]) for r in rows] == [("7", "5", "completed"),
                                                                                            ("5", "3", "completed")]
    assert journal.history().ratings == ((7, 5), (5, 3))


def test_delete_erases_everything(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    sid = journal.open_session()
    journal.record(sid, "event", {"kind": "stop"}, 3.0)
    assert journal.delete_all() == 1
    assert journal.sessions() == [] and journal.events(sid) == []


def test_an_unwritable_journal_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(JournalError, match="cannot open the journal"):
        Journal(blocker / "j.sqlite3")


def test_a_write_failure_is_a_journal_error(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    journal.close()
    with pytest.raises(JournalError, match="cannot write"):
        journal.open_session()
