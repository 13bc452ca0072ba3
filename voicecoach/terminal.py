"""The keyboard as the user's voice: typed lines become utterances (`voicecoach run --text`)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TextIO

from voicecoach.clock import Clock
from voicecoach.ears.intents import IntentTable, packaged_intent_table
from voicecoach.types import Heard, Line, NothingSaid, SpeechOnset, Utterance

log = logging.getLogger(__name__)


def _decoded_lines(stream: TextIO) -> Iterator[str]:
    """Lines of text whatever bytes arrive: an invalid byte becomes U+FFFD instead of stopping the reader."""
    binary = getattr(stream, "buffer", None)
    if binary is None:  # already text (a StringIO in tests)
        yield from stream
        return
    encoding = getattr(stream, "encoding", None) or "utf-8"
    for raw in binary:
        yield raw.decode(encoding, errors="replace")


class TerminalSource:
    """Reads lines from a text stream on a background thread; end of input ends the run."""

    def __init__(self, stream: TextIO, clock: Clock, *, on_listen: Callable[[], None] | None = None,
                 barge_in: bool = False, table: IntentTable | None = None) -> None:
        self.clock = clock
        self.table = table or packaged_intent_table()  # typed lines are parsed here, once
        self.on_listen = on_listen  # shows a prompt while the session listens
        self.barge_in = barge_in  # report each typed line as speech onset first (an empty one: nothing said)
        self._typed: str | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._ended = False
        threading.Thread(target=self._read, args=(stream,), daemon=True, name="terminal-input").start()

    def _read(self, stream: TextIO) -> None:
        try:
            for line in _decoded_lines(stream):
                self._lines.put(line.rstrip("\r\n"))
        except (OSError, ValueError) as exc:  # a closed or broken input ends it, like Ctrl-D
            log.warning("keyboard input ended: %s", exc)
        finally:
            self._lines.put(None)

    @property
    def finished(self) -> bool:
        return self._ended

    def wait(self, deadline_s: float | None, timeline: Sequence[Line], context: str = "idle") -> Heard | None:
        if self._typed is not None:  # the words of the line whose typing was just reported
            typed, self._typed = self._typed, None
            return self._utterance(typed, context) if typed.strip() else NothingSaid(self.clock.now())
        if self._ended:
            return None
        if self.on_listen is not None:
            self.on_listen()
        timeout = None if deadline_s is None else max(0.0, deadline_s - self.clock.now())
        try:
            text = self._lines.get(timeout=timeout)
        except queue.Empty:
            return None
        if text is None:
            self._ended = True
            return None
        if self.barge_in:  # typing over the coach interrupts it, as speaking over it does
            self._typed = text
            return SpeechOnset(self.clock.now())
        return self._utterance(text, context)

    def _utterance(self, text: str, context: str) -> Utterance:
        return Utterance(text, self.clock.now(), self.table.parse(text, context or "idle"), context=context or "idle")


class TextConsole:
    """The coach's lines on a terminal, in real time: the text twin of the speaker.

    Each line appears when the coach would begin it, at a reading pace rather than a
    speaking one, so deadlines count from what the user has actually seen; typing while
    lines are still to come silences them, as speaking over the coach does. While it
    listens it shows a `you:` prompt.
    """

    SECONDS_PER_WORD = 0.05  # about 1,200 words a minute: time to read, not to hear
    GAP_S = 0.3

    def __init__(self, out: TextIO, clock: Clock, *, paced: bool = True) -> None:
        self.out = out
        self.clock = clock
        self.paced = paced  # False: every line at once (a script is typing, nobody is reading)
        self._until_s = clock.now()
        self._lines: list[tuple[float, str]] = []  # (when to show, text), in order
        self._prompting = False  # "you: " is on the screen
        self._listening = False  # show "you: " once the queued lines are out
        self._changed = threading.Condition()
        threading.Thread(target=self._show, daemon=True, name="text-console").start()

    def say(self, text: str, *, rate_wpm: int, volume: float) -> float:
        """Queue a line; returns how long it stays the current line, in seconds."""
        with self._changed:
            start = max(self.clock.now(), self._until_s)
            duration = self.GAP_S + self.SECONDS_PER_WORD * len(text.split())
            self._until_s = start + duration
            self._listening = False
            if not self.paced:
                self._write(("\n" if self._prompting else "") + f"coach: {text}\n")
                self._prompting = False
                return duration
            self._lines.append((start, text))
            self._changed.notify()
        return duration

    def stop(self) -> None:
        with self._changed:
            self._lines.clear()
            self._until_s = self.clock.now()

    def prompt(self) -> None:
        """Show `you:` once everything queued has appeared (the input source calls this as it listens)."""
        if not self.paced:  # a script is typing: no prompt in its transcript
            return
        with self._changed:
            self._listening = True
            self._changed.notify()

    def wait_until_shown(self, longest_s: float = 10.0) -> None:
        """Let the lines already queued appear (before the program exits)."""
        deadline = self.clock.now() + longest_s
        with self._changed:
            while self._lines and self.clock.now() < deadline:
                self._changed.wait(0.05)

    def _show(self) -> None:
        with self._changed:
            while True:
                if not self._lines:
                    if self._listening and not self._prompting:
                        self._write("you: ")
                        self._prompting = True
                    self._changed.wait()
                    continue
                start, text = self._lines[0]
                if self.clock.now() < start:
                    self._changed.wait(start - self.clock.now())
                    continue
                self._lines.pop(0)
                self._write(("\n" if self._prompting else "") + f"coach: {text}\n")
                self._prompting = False
                self._changed.notify_all()

    def _write(self, text: str) -> None:
        try:
            self.out.write(text)
            self.out.flush()
        except (OSError, ValueError):  # the terminal went away; the input source notices too
            pass
