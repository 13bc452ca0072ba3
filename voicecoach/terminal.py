"""The keyboard as the user's voice: typed lines become utterances (`voicecoach run --text`)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from typing import TextIO

from .clock import Clock
from .runner import Line, Utterance

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

    def __init__(self, stream: TextIO, clock: Clock) -> None:
        self.clock = clock
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

    def wait(self, deadline_s: float | None, timeline: list[Line], context: str = "") -> Utterance | None:
        if self._ended:
            return None
        timeout = None if deadline_s is None else max(0.0, deadline_s - self.clock.now())
        try:
            text = self._lines.get(timeout=timeout)
        except queue.Empty:
            return None
        if text is None:
            self._ended = True
            return None
        return Utterance(text, self.clock.now())
