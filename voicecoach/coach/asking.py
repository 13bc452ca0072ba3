"""The one rule for every question the coach asks: ask again in other words, then end safely."""

from __future__ import annotations

from collections.abc import Callable


class Asking:
    """How often one question has been asked. `tries` (from the settings) is how many times it
    is asked in all; each new try uses the next wording of the line."""

    def __init__(self, tries: int) -> None:
        self.tries = tries
        self.attempt = 0  # 0-based: which wording is being used

    def first(self) -> int:
        """A new question: its first wording."""
        self.attempt = 0
        return self.attempt

    def again(self, ask: Callable[[int], None], give_up: Callable[[], None]) -> None:
        """No usable answer: ask once more in other words, or, when the tries are used up, end
        the way that is safe for this question."""
        if self.attempt + 1 >= self.tries:
            give_up()
        else:
            self.attempt += 1
            ask(self.attempt)
