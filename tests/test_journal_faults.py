"""The journal fails closed: no record, no stretching; a damaged journal is one line, never a crash loop."""

import os
import sqlite3
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from driver import answers, run_script

from voicecoach.sim.scenario import Cue
from voicecoach.store import paths
from voicecoach.store.journal import Journal, JournalError

EVERYTHING_NO = answers("no", 15) + [Cue("skip", after="rating_before")]


def voicecoach(*args, stdin=""):
    # Each command here ends in under 0.4 s unloaded: the limit is only against a hang.
    return subprocess.run([sys.executable, "-m", "voicecoach.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=120)


def one_line(stderr: str) -> str:
    lines = [l for l in stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


# ---- damaged and foreign files -----------------------------------------------------------

def test_a_corrupt_journal_is_one_clear_error(tmp_path):
    path = tmp_path / "j.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(JournalError) as error:
        Journal(path)
    message = str(error.value)
    assert str(path) in message and "history --delete" in message and "\n" not in message


def test_a_truncated_journal_is_one_clear_error(tmp_path):
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    for _ in range(200):
        journal.record(journal.open_session(), "event", {"kind": "stop", "pad": "x" * 500}, 1.0)
    journal.close()
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    with pytest.raises(JournalError, match="damaged|cannot read"):
        Journal(path).history()


def test_a_foreign_database_is_not_written_into(tmp_path):
    path = tmp_path / "j.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE sessions (id INTEGER PRIMARY KEY, name TEXT)")  # somebody else's schema
    db.commit()
    db.close()
    with pytest.raises(JournalError, match="not a voicecoach journal"):
        Journal(path)
    other = tmp_path / "other.sqlite3"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE photos (id INTEGER)")
    db.commit()
    db.close()
    with pytest.raises(JournalError, match="not a voicecoach journal"):
        Journal(other)


def test_an_unreadable_record_is_one_clear_error(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    sid = journal.open_session()
    by_hand = sqlite3.connect(journal.path)  # a record damaged on disk, by hand, beside the open journal
    with by_hand:
        by_hand.execute("INSERT INTO events (session_id, at, session_s, kind, data) VALUES (?, ?, 0, 'screening', '{')",
                        (sid, "2026-01-01T00:00:00+00:00"))
    by_hand.close()
    with pytest.raises(JournalError, match="cannot read"):
        journal.history()


# ---- file modes --------------------------------------------------------------------------

def test_the_data_folder_is_private_and_the_journal_owner_only(tmp_path):
    path = tmp_path / "fresh" / "voicecoach" / "journal.sqlite3"
    Journal(path).open_session()
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_old_world_readable_journal_is_tightened(tmp_path):
    path = tmp_path / "j.sqlite3"
    Journal(path).close()
    os.chmod(path, 0o644)
    Journal(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# ---- no record, no session ---------------------------------------------------------------

def test_a_journal_that_cannot_record_the_start_means_no_stretching(content, tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    journal.close()  # every write now fails
    result = run_script(content, EVERYTHING_NO, journal=journal)
    assert result.keys == ["journal_failed"]
    assert result.outcome.outcome == "error" and not result.exercised


def test_a_journal_that_cannot_be_opened_means_no_stretching(content, tmp_path):
    from voicecoach.clock import SimulatedClock
    from voicecoach.coach.runner import SessionRunner, TextSpeaker
    from voicecoach.sim.scenario import ScriptedSource

    (tmp_path / "j.sqlite3").write_bytes(b"garbage" * 500)
    clock = SimulatedClock()
    runner = SessionRunner(content, clock=clock, speaker=TextSpeaker(), source=ScriptedSource(EVERYTHING_NO, clock),
                           open_journal=lambda: Journal(tmp_path / "j.sqlite3"))
    outcome = runner.run(start_now=True)
    assert outcome.outcome == "error" and "damaged" in runner.journal_error
    assert [line.key for line in runner.timeline] == ["journal_failed"]


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 96 KiB filesystem (tmpfs), so a full or read-only disk is the kernel's, not a fake."""
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root and permission to mount a tmpfs")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_mid_session_ends_the_exercise_safely(content, tiny_disk):
    from voicecoach.clock import SimulatedClock
    from voicecoach.coach.runner import SessionRunner, TextSpeaker
    from voicecoach.sim.scenario import ScriptedSource

    def fill_the_disk_at_the_first_hold(line, origin_s):
        if line.key.startswith("hold:") and not (tiny_disk / "filler").exists():
            fd = os.open(tiny_disk / "filler", os.O_CREAT | os.O_WRONLY, 0o600)
            try:
                while os.write(fd, b"x" * 4096):
                    pass
            except OSError:
                pass  # full
            finally:
                os.close(fd)

    clock = SimulatedClock()
    cues = EVERYTHING_NO + [Cue("ready", after="ready_prompt"), Cue("ready", after="ready_prompt")]
    runner = SessionRunner(content, clock=clock, speaker=TextSpeaker(), source=ScriptedSource(cues, clock),
                           journal=Journal(tiny_disk / "j.sqlite3"), on_line=fill_the_disk_at_the_first_hold)
    outcome = runner.run(start_now=True)
    keys = [line.key for line in runner.timeline if line.who == "coach"]
    assert outcome.outcome == "error" and outcome.detail == "cannot write the journal"
    assert keys[-1] == "internal_error" and keys.count("hold:knee_to_chest") == 1  # it stopped coaching


def test_a_full_disk_at_the_start_means_no_stretching(content, tiny_disk):
    path = tiny_disk / "j.sqlite3"
    Journal(path).close()
    try:
        (tiny_disk / "filler").write_bytes(os.urandom(200 * 1024))
    except OSError:
        pass  # the disk is full now
    result = run_script(content, EVERYTHING_NO, journal=Journal(path))
    assert result.keys == ["journal_failed"] and not result.exercised


def test_a_read_only_disk_means_no_stretching(content, tiny_disk):
    path = tiny_disk / "j.sqlite3"
    Journal(path).close()
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    try:
        journal = Journal(path)
    except JournalError as error:  # refused at once: also fail-closed
        assert "\n" not in str(error)
        return
    result = run_script(content, EVERYTHING_NO, journal=journal)
    assert result.keys == ["journal_failed"] and not result.exercised


# ---- the command line --------------------------------------------------------------------

def test_history_with_a_corrupt_journal_is_one_line_and_exit_2():
    path = paths.journal_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00garbage" * 300)
    done = voicecoach("history")
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert str(path) in line and "history --delete" in line


def test_history_delete_erases_a_corrupt_journal():
    path = paths.journal_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage" * 300)
    done = voicecoach("history", "--delete", "--yes")
    assert done.returncode == 0, done.stderr
    assert not path.exists()
    assert voicecoach("history").stdout.strip() == "no sessions yet"


def test_reading_the_history_on_a_fresh_machine_creates_nothing():
    done = voicecoach("history")
    assert done.returncode == 0 and done.stdout.strip() == "no sessions yet"
    assert not paths.data_dir().exists()


def test_run_now_with_a_corrupt_journal_says_so_and_exits_non_zero():
    path = paths.journal_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage" * 300)
    done = voicecoach("run", "--text", "--now", stdin="no\n" * 20)
    assert done.returncode == 2
    assert "can't keep a record" in done.stdout and "Safety" not in done.stdout and "question" not in done.stdout
    assert str(path) in one_line(done.stderr)


def test_waiting_with_a_corrupt_journal_does_not_crash_it_keeps_waiting():
    path = paths.journal_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage" * 300)
    done = voicecoach("run", "--text", stdin="start\nno\nstart\nno\n")
    assert done.returncode == 0, done.stderr  # input ran out while waiting: a clean exit, not a crash
    assert done.stdout.count("can't keep a record") == 2  # tried again at the second start
    assert "Traceback" not in done.stderr
    assert Path(path).read_bytes().startswith(b"garbage")  # nothing was written over it
