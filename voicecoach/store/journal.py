"""The journal: sessions, ratings, holds and every stop or pain event, in SQLite.

Each record is committed as it happens, so a crash mid-session loses nothing already
written; a session that never ended shows as "interrupted". It holds no audio.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from voicecoach.types import History, ScreenOut

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,           -- ISO 8601, UTC
    ended_at TEXT,
    outcome TEXT NOT NULL DEFAULT 'interrupted',
    detail TEXT NOT NULL DEFAULT '',
    screening TEXT NOT NULL DEFAULT '', -- full or short
    screened_out_by TEXT NOT NULL DEFAULT '',
    rating_before INTEGER,
    rating_after INTEGER,
    holds_completed INTEGER NOT NULL DEFAULT 0,
    holds_started INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    at TEXT NOT NULL,                   -- ISO 8601, UTC
    session_s REAL NOT NULL,            -- seconds from the start of the session
    kind TEXT NOT NULL,                 -- rating, hold, screening, event
    data TEXT NOT NULL                  -- JSON
);
"""
FULL_SCREENING_EVERY = timedelta(days=7)
SCREEN_OUT_STICKS = timedelta(hours=24)
SETTLED = ("completed", "ended")  # any other outcome, or none, makes the next screening full
COLUMNS = {"sessions": {"id", "started_at", "ended_at", "outcome", "detail", "screening", "screened_out_by",
                        "rating_before", "rating_after", "holds_completed", "holds_started"},
           "events": {"id", "session_id", "at", "session_s", "kind", "data"}}
CSV_HEADER = ("session", "started_at", "ended_at", "outcome", "detail", "screening", "screened_out_by",
              "stiffness_before", "stiffness_after", "holds_completed", "holds_started")
WHAT_TO_DO = "move it aside, or erase it with `voicecoach history --delete`"


class JournalError(RuntimeError):
    """The journal cannot be read or written."""


@dataclass(frozen=True)
class SessionRow:
    id: int
    started_at: str
    ended_at: str | None
    outcome: str
    detail: str
    screening: str
    screened_out_by: str
    rating_before: int | None
    rating_after: int | None
    holds_completed: int
    holds_started: int


def utc_now() -> datetime:
    return datetime.now(UTC)


class Journal:
    """One SQLite file; `open_session` starts a record that `record` and `close_session` fill in."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            if not self.path.parent.is_dir():
                self.path.parent.mkdir(parents=True, mode=0o700)
                os.chmod(self.path.parent, 0o700)  # mkdir's mode is masked by the umask
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            os.chmod(self.path, 0o600)  # readable by its owner only, whatever it was before
            self._db = sqlite3.connect(self.path)
        except (sqlite3.Error, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else None  # sqlite3.Error has no strerror
            raise JournalError(f"cannot open the journal {self.path}: {reason or exc}") from None
        try:
            self._check()
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise JournalError(f"the journal {self.path} is damaged ({exc}); {WHAT_TO_DO}") from None

    def _check(self) -> None:
        """A damaged file, or somebody else's database, is an error, never something to write into."""
        if self._db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("its integrity check failed")
        for table, expected in COLUMNS.items():
            columns = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if columns and columns != expected:
                raise sqlite3.DatabaseError(f"it is not a voicecoach journal: table {table} has other columns")
        others = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if others - set(COLUMNS):
            raise sqlite3.DatabaseError(f"it is not a voicecoach journal: it has tables {', '.join(sorted(others))}")

    @staticmethod
    def erase_file(path: str | Path) -> None:
        """Remove a journal that cannot be opened (damaged or foreign), with SQLite's side files."""
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        self._db.close()

    def _write(self, sql: str, args: tuple[object, ...]) -> int | None:
        try:
            with self._db:  # one transaction, committed at once
                return self._db.execute(sql, args).lastrowid
        except sqlite3.Error as exc:
            raise JournalError(f"cannot write to the journal {self.path}: {exc}") from exc

    def open_session(self, when: datetime | None = None) -> int:
        row_id = self._write("INSERT INTO sessions (started_at) VALUES (?)", ((when or utc_now()).isoformat(),))
        assert row_id is not None  # an INSERT always sets lastrowid
        return row_id

    def record(self, session_id: int, kind: str, data: Mapping[str, object], session_s: float, when: datetime | None = None) -> None:
        at = (when or utc_now()).isoformat()
        self._write("INSERT INTO events (session_id, at, session_s, kind, data) VALUES (?, ?, ?, ?, ?)",
                    (session_id, at, round(session_s, 2), kind, json.dumps(data, sort_keys=True)))
        # Keep the per-session summary current, so a crash leaves it right up to here.
        if kind == "rating":
            column = "rating_before" if data.get("when") == "before" else "rating_after"
            self._write(f"UPDATE sessions SET {column} = ? WHERE id = ?", (data.get("value"), session_id))
        elif kind == "hold":
            self._write("UPDATE sessions SET holds_started = holds_started + 1, "
                        "holds_completed = holds_completed + ? WHERE id = ?",
                        (1 if data.get("completed") else 0, session_id))
        elif kind == "screening":
            flagged = data.get("result") in ("screened_out", "kept")
            self._write("UPDATE sessions SET screening = ?, screened_out_by = ? WHERE id = ?",
                        (data.get("kind", ""), data.get("question", "") if flagged else "", session_id))

    def close_session(self, session_id: int, outcome: str, detail: str = "", when: datetime | None = None) -> None:
        self._write("UPDATE sessions SET ended_at = ?, outcome = ?, detail = ? WHERE id = ?",
                    ((when or utc_now()).isoformat(), outcome, detail, session_id))

    def _read(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise JournalError(f"cannot read the journal {self.path} ({exc}); {WHAT_TO_DO}") from None

    def sessions(self, limit: int | None = None) -> list[SessionRow]:
        """Sessions, newest first."""
        sql = "SELECT * FROM sessions ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        return [SessionRow(*row) for row in self._read(sql)]

    def events(self, session_id: int) -> list[tuple[str, dict[str, Any]]]:
        rows = self._read("SELECT kind, data FROM events WHERE session_id = ? ORDER BY id", (session_id,))
        return [(kind, self._json(data)) for kind, data in rows]

    def timed_events(self, session_id: int) -> list[tuple[str, float, str, dict[str, Any]]]:
        """(when, seconds into the session, kind, data) of a session's records, in order."""
        rows = self._read("SELECT at, session_s, kind, data FROM events WHERE session_id = ? ORDER BY id", (session_id,))
        return [(at, session_s, kind, self._json(data)) for at, session_s, kind, data in rows]

    def _json(self, data: str) -> dict[str, Any]:
        try:
            value = json.loads(data)
        except (TypeError, ValueError):
            value = None
        if not isinstance(value, dict):
            raise JournalError(f"the journal {self.path} holds a record it cannot read; {WHAT_TO_DO}")
        return value

    def _when(self, text: str) -> datetime:
        try:
            return datetime.fromisoformat(text)
        except (TypeError, ValueError):
            raise JournalError(f"the journal {self.path} holds a date it cannot read; {WHAT_TO_DO}") from None

    def history(self, now: datetime | None = None) -> History:
        """What the next session needs to know: first use, whether a full screening is due, a red-flag
        answer that still stands, past ratings."""
        now = now or utc_now()
        outcomes = dict(self._read("SELECT id, outcome FROM sessions"))
        screenings = [(sid, self._when(at), self._json(data)) for sid, at, data in
                      self._read("SELECT session_id, at, data FROM events WHERE kind = 'screening' ORDER BY id")]
        rows = self._read("SELECT rating_before, rating_after FROM sessions WHERE rating_before IS NOT NULL "
                          "OR rating_after IS NOT NULL ORDER BY id DESC LIMIT 10")
        return History(first_use=not outcomes, full_screening_due=self._full_due(now, outcomes, screenings),
                       ratings=tuple(reversed(rows)), screen_out=self._screen_out(now, screenings))

    @staticmethod
    def _full_due(now: datetime, outcomes: dict[int, str], screenings: list[tuple[int, datetime, dict[str, Any]]]) -> bool:
        """Full screening on first use, weekly, and after any session since the last full one that
        did not end settled: pain, a red flag, a change, an interruption, an error, silence."""
        fulls = [(sid, at) for sid, at, f in screenings if f.get("kind") == "full" and f.get("result") == "cleared"]
        if not fulls or now - fulls[-1][1] >= FULL_SCREENING_EVERY:
            return True
        since = fulls[-1][0]
        if any(outcome not in SETTLED for sid, outcome in outcomes.items() if sid >= since):
            return True
        return any(f.get("result") == "changed" for sid, _, f in screenings if sid >= since)

    @staticmethod
    def _screen_out(now: datetime, screenings: list[tuple[int, datetime, dict[str, Any]]]) -> ScreenOut | None:
        """The last red-flag "yes" or "not sure" of the past 24 hours, unless since taken back."""
        standing = None
        for _, at, fields in screenings:
            if fields.get("result") == "screened_out" and fields.get("answer") in ("yes", "unsure"):
                standing = (at, ScreenOut(str(fields.get("question", "")), str(fields["answer"])))
            elif fields.get("result") == "retracted":
                standing = None
        if standing is None or now - standing[0] >= SCREEN_OUT_STICKS:
            return None
        return standing[1]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
        for row in reversed(self.sessions()):
            writer.writerow([row.id, row.started_at, row.ended_at or "", row.outcome, row.detail, row.screening,
                             row.screened_out_by, "" if row.rating_before is None else row.rating_before,
                             "" if row.rating_after is None else row.rating_after, row.holds_completed,
                             row.holds_started])
        return out.getvalue()

    def delete_all(self) -> int:
        """Erase every record; returns how many sessions there were."""
        count = int(self._read("SELECT COUNT(*) FROM sessions")[0][0])
        self._write("DELETE FROM events", ())
        self._write("DELETE FROM sessions", ())
        self._db.execute("VACUUM")  # so deleted records do not linger in the file
        return count
