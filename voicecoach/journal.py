"""The journal: sessions, ratings, holds and every stop or pain event, in SQLite.

Each record is committed as it happens, so a crash mid-session loses nothing already
written; a session that never ended shows as "interrupted". It holds no audio.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .session import History

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
    return datetime.now(timezone.utc)


class Journal:
    """One SQLite file; `open_session` starts a record that `record` and `close_session` fill in."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path)
            self._db.executescript(SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise JournalError(f"cannot open the journal {self.path}: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    def _write(self, sql: str, args: tuple) -> int:
        try:
            with self._db:  # one transaction, committed at once
                return self._db.execute(sql, args).lastrowid
        except sqlite3.Error as exc:
            raise JournalError(f"cannot write to the journal {self.path}: {exc}") from exc

    def open_session(self, when: datetime | None = None) -> int:
        return self._write("INSERT INTO sessions (started_at) VALUES (?)", ((when or utc_now()).isoformat(),))

    def record(self, session_id: int, kind: str, data: dict, session_s: float, when: datetime | None = None) -> None:
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
            self._write("UPDATE sessions SET screening = ?, screened_out_by = ? WHERE id = ?",
                        (data.get("kind", ""), data.get("question", "") if data.get("result") == "screened_out" else "",
                         session_id))

    def close_session(self, session_id: int, outcome: str, detail: str = "", when: datetime | None = None) -> None:
        self._write("UPDATE sessions SET ended_at = ?, outcome = ?, detail = ? WHERE id = ?",
                    ((when or utc_now()).isoformat(), outcome, detail, session_id))

    def sessions(self, limit: int | None = None) -> list[SessionRow]:
        """Sessions, newest first."""
        sql = "SELECT * FROM sessions ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        return [SessionRow(*row) for row in self._db.execute(sql)]

    def events(self, session_id: int) -> list[tuple[str, dict]]:
        rows = self._db.execute("SELECT kind, data FROM events WHERE session_id = ? ORDER BY id", (session_id,))
        return [(kind, json.loads(data)) for kind, data in rows]

    def history(self, now: datetime | None = None) -> History:
        """What the next session needs to know: first use, whether a full screening is due, past ratings."""
        now = now or utc_now()
        count = self._db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
        last_full = None
        for at, data in self._db.execute("SELECT at, data FROM events WHERE kind = 'screening' ORDER BY id"):
            fields = json.loads(data)
            if fields.get("kind") == "full" and fields.get("result") == "cleared":
                last_full = at
        due = last_full is None or now - datetime.fromisoformat(last_full) >= FULL_SCREENING_EVERY
        if not due:
            # Any pain, red flag or interrupted session since the last full screening: screen fully again.
            pain = self._db.execute("SELECT COUNT(*) FROM events WHERE kind = 'event' AND at > ? AND "
                                    "data LIKE '%\"kind\": \"pain\"%'", (last_full,)).fetchone()[0]
            flagged = self._db.execute("SELECT COUNT(*) FROM sessions WHERE started_at > ? AND "
                                       "outcome IN ('pain', 'screened_out')", (last_full,)).fetchone()[0]
            due = bool(pain or flagged)
        rows = self._db.execute("SELECT rating_before, rating_after FROM sessions WHERE rating_before IS NOT NULL "
                                "OR rating_after IS NOT NULL ORDER BY id DESC LIMIT 10").fetchall()
        return History(first_use=count == 0, full_screening_due=due, ratings=tuple(reversed(rows)))

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["session", "started_at", "ended_at", "outcome", "detail", "screening", "screened_out_by",
                         "stiffness_before", "stiffness_after", "holds_completed", "holds_started"])
        for row in reversed(self.sessions()):
            writer.writerow([row.id, row.started_at, row.ended_at or "", row.outcome, row.detail, row.screening,
                             row.screened_out_by, "" if row.rating_before is None else row.rating_before,
                             "" if row.rating_after is None else row.rating_after, row.holds_completed,
                             row.holds_started])
        return out.getvalue()

    def delete_all(self) -> int:
        """Erase every record; returns how many sessions there were."""
        count = self._db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
        self._write("DELETE FROM events", ())
        self._write("DELETE FROM sessions", ())
        self._db.execute("VACUUM")  # so deleted records do not linger in the file
        return count
