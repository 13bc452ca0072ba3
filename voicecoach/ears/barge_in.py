"""Barge-in: the user starts to speak while the coach talks, and the coach falls silent at once.

A listening source reports the start of speech (`SpeechOnset`) before anything is recognized,
and, when that stretch of speech brought no words to act on (a cough, a bump), its end
(`NothingSaid`). The runner silences the coach on the onset and, on `NothingSaid`, says the
cut line again from its start (with any lines that were queued after it). Words that were
heard go to the session as usual: stop and pain act, an answer answers.
The session knows nothing of this: it stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from voicecoach.types import Say

ONSET_CONTEXTS = ("exercise", "yesno", "rating")  # while waiting for a start phrase, nothing is cut


@dataclass(frozen=True)
class SpeechOnset:
    """The user began to speak; nothing has been recognized yet."""

    at_s: float  # clock seconds when the onset was confirmed


@dataclass(frozen=True)
class NothingSaid:
    """The speech that began at the last onset ended without any words to act on."""

    at_s: float  # clock seconds when the speech ended


BargeInEvent = SpeechOnset | NothingSaid


class CutLines:
    """The coach's lines silenced by an onset, to say again if the user said nothing after all."""

    def __init__(self) -> None:
        self._lines: list[Say] = []

    def remember(self, lines: list[Say]) -> None:
        """These lines (the cut one first, then those queued behind it) were just silenced."""
        self._lines = list(lines)

    def forget(self) -> None:
        """The user was heard (or the wait ended): the session decides what comes next."""
        self._lines = []

    def take(self) -> list[Say]:
        """The lines to say again, once; empty when nothing was cut."""
        lines, self._lines = self._lines, []
        return lines
