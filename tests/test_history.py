"""What the journal shows a person and their physiotherapist: listing, CSV tables, the chart."""

import csv
import io
import struct
import time
from datetime import UTC, datetime, timedelta

import pytest
from driver import answers, run_script

from voicecoach.cli import main
from voicecoach.sim.scenario import Cue
from voicecoach.store import paths
from voicecoach.store.history_report import draw_chart, events_csv, listing, local_time
from voicecoach.store.journal import Journal


@pytest.fixture
def weeks(tmp_path):
    """Five weeks of mornings: stiffness falling from 7 to 3, some skipped ratings, one stop."""
    journal = Journal(tmp_path / "j.sqlite3")
    start = datetime(2026, 10, 26, 6, 30, tzinfo=UTC)
    for day in range(0, 35, 2):
        when = start + timedelta(days=day)
        sid = journal.open_session(when)
        before = 7 - day // 9
        journal.record(sid, "rating", {"when": "before", "value": before}, 60.0, when)
        for n in range(6 if day % 10 else 4):
            journal.record(sid, "hold", {"exercise": "knee_to_chest", "side": "right", "round": 1, "target_s": 20,
                                         "held_s": 20.0, "completed": True}, 100.0 + n, when)
        if day % 10 == 0:
            journal.record(sid, "event", {"kind": "stop", "exercise": "lumbar_rotation"}, 300.0, when)
        after = {"when": "after", "value": max(0, before - 2)} if day % 6 else {"when": "after", "value": None,
                                                                               "skipped": True}
        journal.record(sid, "rating", after, 500.0, when)
        journal.close_session(sid, "completed", "", when + timedelta(minutes=9))
    return journal


def test_the_listing_is_in_local_time_and_says_skipped(weeks, monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        lines = listing(weeks, limit=50)
        assert lines[-1].startswith("2026-10-26 02:30  completed")  # 06:30 UTC is 02:30 in New York then
        assert any("-> skipped" in line for line in lines)
        assert local_time("2026-07-01T12:00:00+00:00") == "2026-07-01 08:00"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_a_skipped_rating_in_a_real_session_shows_as_skipped(content, tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    cues = answers("no", 15) + [Cue("skip", after="rating_before"), Cue("finish", after="ready_prompt")]
    run_script(content, cues, journal=journal)
    (line,) = listing(journal, 5)
    assert "stiffness skipped -> -" in line  # skipped before; never asked after (finished early)


def test_the_events_csv_has_every_hold_and_event(weeks):
    rows = list(csv.DictReader(io.StringIO(events_csv(weeks))))
    holds = [r for r in rows if r["event"] == "hold"]
    stops = [r for r in rows if r["event"] == "stop"]
    assert len(holds) == sum(6 if d % 10 else 4 for d in range(0, 35, 2)) and len(stops) == 4
    assert holds[0]["exercise"] == "knee_to_chest" and holds[0]["target_s"] == "20" and holds[0]["held_s"] == "20.0"
    assert stops[0]["exercise"] == "lumbar_rotation"


def test_the_chart_is_drawn_as_png(weeks, tmp_path):
    path = tmp_path / "chart.png"
    assert draw_chart(weeks, path) == 18
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (900, 450) and len(data) > 20_000  # a real picture, not an empty canvas


def test_the_chart_is_drawn_as_svg_with_its_labels(weeks, tmp_path):
    path = tmp_path / "chart.svg"
    draw_chart(weeks, path)
    svg = path.read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for label in ("Back stiffness before and after stretching", "stiffness before", "stiffness after",
                  "holds completed"):
        assert label in svg or label.replace(" ", "") in svg.replace(" ", "")


def test_history_chart_and_events_from_the_command_line(content, tmp_path, capsys):
    journal = Journal(paths.journal_path())
    run_script(content, answers("no", 15) + [Cue("six", after="rating_before"), Cue("ready", after="ready_prompt"),
                                             Cue("ready", after="ready_prompt"), Cue("two", after="rating_after")],
               journal=journal)
    assert main(["history", "--chart", str(tmp_path / "c.svg")]) == 0
    assert (tmp_path / "c.svg").stat().st_size > 5000
    assert main(["history", "--csv", "--events"]) == 0
    out = capsys.readouterr().out
    assert out.count(",hold,") == 6
    assert main(["history", "--chart", str(tmp_path / "c.gif")]) == 2
    assert ".png or .svg" in capsys.readouterr().err
