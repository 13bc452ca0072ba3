"""Drives a session: performs its actions on a speaker and feeds it what the user says.

One loop for every front end: the typed terminal, the scripted demo and (later) the
microphone. The speaker and the input source are passed in; the clock decides whether the
session runs in real time or as fast as the machine allows.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from voicecoach.clock import Clock
from voicecoach.coach.session import Session
from voicecoach.ears.intents import START_AMID_WORDS, normalize
from voicecoach.ears.listener import ONSET_CONTEXTS
from voicecoach.settings import SessionSettings
from voicecoach.store.content import Content
from voicecoach.store.journal import Journal, JournalError
from voicecoach.types import (
    Action,
    BargeInEvent,
    End,
    Heard,
    History,
    Intent,
    Line,
    Listen,
    NothingSaid,
    Record,
    Say,
    SetVoice,
    SpeechOnset,
    StopSpeaking,
    Timeline,
    Utterance,
)

log = logging.getLogger(__name__)


class Speaker(Protocol):
    """Where the coach's lines go: text on a terminal, or real speech."""

    def say(self, text: str, *, rate_wpm: int, volume: float) -> float:
        """Queue a line; returns how long it takes to speak, in seconds."""

    def stop(self) -> None:
        """Silence now, dropping anything queued."""


class InputSource(Protocol):
    """Where the user's words come from: the keyboard, a script, or a recognizer."""

    def wait(self, deadline_s: float | None, timeline: Sequence[Line], context: str) -> Heard | None:
        """The next utterance before `deadline_s` (clock seconds; None: no limit), or None.
        The utterance comes parsed in `context`, the recognition context the session listens
        in. A source that hears speech start may also return a barge-in event.

        `timeline` is what has been said and queued so far (read only). Returns None at the
        deadline, or at once when no more input can ever come (check `finished`)."""

    @property
    def finished(self) -> bool: ...


class TextSpeaker:
    """A speaker that only estimates how long each line would take to say (calm pace)."""

    GAP_S = 0.4  # the pause between sentences

    def __init__(self, echo: Callable[[str], None] | None = None) -> None:
        self.echo = echo

    def say(self, text: str, *, rate_wpm: int, volume: float) -> float:
        if self.echo:
            self.echo(text)
        return len(text.split()) * 60.0 / rate_wpm + self.GAP_S

    def stop(self) -> None:
        pass


class SessionRunner:
    """Runs sessions on a clock, a speaker and an input source, journaling as it goes."""

    def __init__(self, content: Content, *, clock: Clock, speaker: Speaker, source: InputSource,
                 settings: SessionSettings | None = None, journal: Journal | None = None,
                 history: History | None = None, on_line: Callable[[Line, float], None] | None = None,
                 accepts_start: Callable[[], bool] = lambda: True,
                 open_journal: Callable[[], Journal] | None = None) -> None:
        self.content = content
        self.clock = clock
        self.speaker = speaker
        self.source = source
        self.settings = settings or SessionSettings()
        self.journal = journal
        self.open_journal = open_journal  # tried again at each start when the journal could not be opened
        self.journal_error: str | None = None  # why the last session could not be recorded, if so
        self.fixed_history = history
        self.on_line = on_line  # called with each line and the session start time, as it is queued
        self.accepts_start = accepts_start  # False during quiet hours: the start phrase is ignored
        self.timeline = Timeline()
        self.session_start_s = clock.now()
        self._speaking_until_s = clock.now()
        self._session_id: int | None = None
        self._journal_failed = False
        self._speech_failed = False
        self.session: Session | None = None  # the session being run
        self._cut = CutLines()  # what an onset silenced, said again if no words came

    # ---- one session --------------------------------------------------------------------

    def run(self, *, start_now: bool) -> End | None:
        """One session: wait for the start phrase (unless `start_now`), coach, and end.

        Returns how it ended, or None when the input ran out while waiting to start."""
        session = self.session = Session(self.content, self.settings, self._history())
        self._rate_wpm, self._volume = self.settings.rate_wpm, self.settings.volume
        if start_now:
            actions = self._begin(session, lambda: session.begin(self.clock.now()))
        else:
            actions = session.start(self.clock.now())
        listen: Listen | None = None
        while True:
            listen = self._perform(actions, session) or listen
            if self._speech_failed and not session.finished:
                self._perform(session.abort("speech failed", self.clock.now(), say_key=None), session)
            if self._journal_failed and not session.finished and session.context != "idle":
                # Nothing would be remembered (disk full?): end the exercise rather than go on unrecorded.
                self._perform(session.abort("cannot write the journal", self.clock.now(),
                                            say_key="internal_error"), session)
            if session.finished:
                self._session_id = None
                return session.outcome
            deadline = self._deadline(listen)
            try:
                heard = self.source.wait(deadline, self.timeline, session.context or "idle")
            except Exception:  # a source that parses what it heard may fail too: end safely
                log.exception("internal error while listening")
                actions = session.abort("internal error", self.clock.now(), say_key="internal_error")
                continue
            if isinstance(heard, SpeechOnset | NothingSaid):
                actions = self._barge_in(heard, session)
                continue
            self._cut.forget()
            now = self.clock.now()
            try:
                if heard is None:
                    if self.source.finished and (deadline is None or now < deadline):
                        return self._input_gone(session, now)
                    actions = session.timeout(now)
                    continue
                intent = heard.intent
                listening_in = session.context or "idle"
                if heard.context and heard.context != listening_in:
                    # The session moved on while the words were being said (a deadline passed
                    # mid-word): judge them where the session is now, as a typed line would be.
                    intent = self.content.intents.parse(heard.text, listening_in)
                if intent is None:  # nothing said after all: keep waiting for the same deadline
                    actions = []
                    continue
                if session.context == "idle" and intent.name == "start" and not self.accepts_start():
                    log.info("start phrase ignored: quiet hours")
                    actions = []
                    continue
                if session.context == "idle" and intent.name == "start" and \
                        len(normalize(heard.text)) - len(intent.words) > START_AMID_WORDS:
                    log.info("start phrase inside a sentence ignored: %r", heard.text)  # "time to start the car"
                    actions = []
                    continue
                self._user_line(heard, intent)
                if session.context == "idle" and intent.name == "start":
                    actions = self._begin(session, functools.partial(session.hear, intent, now, heard.confidence))
                else:
                    actions = session.hear(intent, now, heard.confidence)
            except Exception:  # nothing the user says may crash the session: end it safely
                log.exception("internal error in the session")
                actions = session.abort("internal error", now, say_key="internal_error")

    def shut_down(self, reason: str) -> None:
        """The device is going down (SIGTERM): end a running session now, saying so."""
        session = self.session
        if session is None or session.finished or session.context == "idle":
            return
        self._perform(session.abort(reason, self.clock.now(), say_key="shutting_down", outcome="interrupted"),
                      session)
        self._session_id = None

    def _history(self) -> History:
        if self.fixed_history is not None:
            return self.fixed_history
        journal = self._usable_journal()
        if journal is None:
            return History()  # unknown: a first use, fully screened (and the start will fail closed)
        try:
            return journal.history()
        except JournalError as exc:
            self.journal_error = str(exc)
            log.error("%s", exc)
            return History()

    def _usable_journal(self) -> Journal | None:
        if self.journal is None and self.open_journal is not None and self.journal_error is None:
            try:
                self.journal = self.open_journal()
            except JournalError as exc:
                self.journal_error = str(exc)
                log.error("%s", exc)
        return self.journal

    def _begin(self, session: Session, begin: Callable[[], list[Action]]) -> list[Action]:
        """Open the session's record, then begin; with no record, say so and do not coach."""
        self.session_start_s = self.clock.now()
        needs_record = self.journal is not None or self.open_journal is not None
        if not needs_record:
            return begin()
        journal = self._usable_journal()
        if journal is not None and self.journal_error is None:
            try:
                self._session_id = journal.open_session()
                return begin()
            except JournalError as exc:
                self.journal_error = str(exc)
                log.error("%s", exc)
        # The journal fails closed: a session nobody can look back on (pain, red flags) is not run.
        self._session_id = None
        return session.abort("cannot write the journal", self.clock.now(), say_key="journal_failed")

    def _input_gone(self, session: Session, now: float) -> End | None:
        if session.context == "idle":
            return None
        # The user can no longer be heard: say so, and never coach on regardless.
        reason = getattr(self.source, "failure", None) or "input ended"
        self._perform(session.abort(reason, now, say_key="lost_hearing"), session)
        self._session_id = None
        return session.outcome

    # ---- performing actions -------------------------------------------------------------

    def _perform(self, actions: list[Action], session: Session) -> Listen | None:
        listen = None
        for action in actions:
            if isinstance(action, Say):
                self._say(action)
            elif isinstance(action, StopSpeaking):
                self._stop_speaking()
            elif isinstance(action, SetVoice):
                self._rate_wpm, self._volume = action.rate_wpm, action.volume
            elif isinstance(action, Listen):
                listen = action
            elif isinstance(action, Record):
                self._journal(functools.partial(self._write_record, action))
            elif isinstance(action, End):
                self._journal(functools.partial(self._write_end, action))
        return listen

    def _write_record(self, record: Record, journal: Journal, session_id: int) -> None:
        journal.record(session_id, record.kind, record.data, self._session_s())

    def _write_end(self, end: End, journal: Journal, session_id: int) -> None:
        journal.close_session(session_id, end.outcome, end.detail)

    def _session_s(self) -> float:
        return self.clock.now() - self.session_start_s

    def _journal(self, write: Callable[[Journal, int], None]) -> None:
        if self.journal is None or self._session_id is None:
            return
        try:
            write(self.journal, self._session_id)
        except JournalError as exc:
            log.error("%s", exc)
            self._journal_failed = True

    def _say(self, action: Say) -> None:
        start = max(self.clock.now(), self._speaking_until_s)
        try:
            duration = self.speaker.say(action.text, rate_wpm=self._rate_wpm, volume=self._volume)
        except Exception as exc:  # no voice: the user would lie there waiting for instructions
            log.error("cannot speak %r: %s", action.text, exc)
            self._speech_failed, duration = True, 0.0
        line = Line("coach", action.text, start, start + duration, key=action.key)
        self._speaking_until_s = line.end_s
        self.timeline.add(line)
        if self.on_line:
            self.on_line(line, self.session_start_s)

    def _barge_in(self, event: BargeInEvent, session: Session) -> list[Action]:
        """Barge-in: speech began over the coach (`SpeechOnset`), so it falls silent at once,
        before anything is recognized. If that speech ends without words to act on (a cough, a
        bump: `NothingSaid`), the cut line is said again from its start, with the lines queued
        after it. Words that were heard go to the session as usual. The session knows nothing of
        this: it stays pure."""
        if isinstance(event, NothingSaid):
            return self._cut.take()
        now = self.clock.now()
        if session.context not in ONSET_CONTEXTS or self._speaking_until_s <= now:
            return []  # the coach is silent already (or waiting for a start phrase): nothing to cut
        talking = self.timeline.coach_speaking(now)
        self._stop_speaking()
        log.info("speech onset at %.2f s: coach silenced", event.at_s)
        self._cut.remember([Say(l.text, l.key) for l in talking])
        return []

    def _stop_speaking(self) -> None:
        now = self.clock.now()
        self.speaker.stop()
        self.timeline.silence(now)
        self._speaking_until_s = min(self._speaking_until_s, now)

    def _user_line(self, heard: Utterance, intent: Intent) -> None:
        note = intent.name + (f" {intent.value}" if intent.value is not None else "")
        line = Line("you", heard.text, heard.at_s, heard.at_s, note=note)
        self.timeline.add(line)
        if self.on_line:
            self.on_line(line, self.session_start_s)

    def _deadline(self, listen: Listen | None) -> float | None:
        if listen is None:
            return None
        if listen.until_s is not None:
            return listen.until_s  # a hold ends on time, whatever is being said
        if listen.timeout_s is None:
            return None
        return self._speaking_until_s + listen.timeout_s


def format_line(line: Line, origin_s: float) -> str:
    """A transcript line: session-relative time, who, what, and the intent heard."""
    t = max(0.0, line.start_s - origin_s)
    stamp = f"{int(t // 60):02d}:{t % 60:04.1f}"
    note = f"  [{line.note}]" if line.note else ""
    who = "coach" if line.who == "coach" else "  you"
    return f"[{stamp}] {who}: {line.text}{note}"


def transcript(timeline: Sequence[Line], origin_s: float) -> list[str]:
    """The spoken timeline in time order, without the lines silenced before they began."""
    spoken = sorted((line for line in timeline if not line.dropped), key=lambda l: (l.start_s, l.who == "coach"))
    return [format_line(line, origin_s) for line in spoken]





class CutLines:
    """The coach's lines silenced by an onset, to say again if the user said nothing after all."""

    def __init__(self) -> None:
        self._lines: list[Action] = []

    def remember(self, lines: list[Say]) -> None:
        """These lines (the cut one first, then those queued behind it) were just silenced."""
        self._lines = list(lines)

    def forget(self) -> None:
        """The user was heard (or the wait ended): the session decides what comes next."""
        self._lines = []

    def take(self) -> list[Action]:
        """The lines to say again, once; empty when nothing was cut."""
        lines, self._lines = self._lines, []
        return lines
