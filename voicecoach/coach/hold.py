"""One hold of a stretch: exact in time, with counts and breathing cues between them.

A hold lasts exactly its seconds, from the clock: replies to the user are said during a hold
only when they end before the next count and the release, and longer answers wait until the
release. Counts come `count_at_s` before the end; breathing cues every `cue_interval_s`,
except too close to a count or the end, so there is silence between cues.
"""

from __future__ import annotations

from voicecoach.settings import HoldPacing
from voicecoach.store.content import Exercise, Routine
from voicecoach.types import Listen


class Hold:
    """The timing of the hold under way: when it started, how long it lasts, what was said."""

    def __init__(self, routine: Routine, pacing: HoldPacing = HoldPacing()) -> None:
        self.routine = routine
        self.pacing = pacing
        self.start_s = 0.0
        self.total_s = 0
        self.cue_index = 0
        self.deferred: list[str] = []  # answers asked for during the hold, said after the release
        self.talking_until_s = 0.0  # a reply during the hold is being said until then (estimated)
        self.paused_remaining_s = 0.0  # seconds still to hold when it was paused

    def begin(self, now: float, total_s: int) -> None:
        self.start_s, self.total_s = now, total_s
        self.cue_index = 0
        self.deferred = []
        self.talking_until_s = now

    @property
    def end_s(self) -> float:
        return self.start_s + self.total_s

    def held_s(self, now: float) -> float:
        return max(0.0, now - self.start_s)  # from the clock, not from the target

    def remaining_s(self, now: float) -> int:
        return max(0, round(self.end_s - now))

    def events(self) -> list[tuple[float, int | None]]:
        """(seconds into the hold, count or None for a breathing cue), in time order."""
        routine, total, pacing = self.routine, self.total_s, self.pacing
        counts: list[tuple[float, int | None]] = [(total - m, m) for m in routine.count_at_s if m < total - 1]
        cues: list[tuple[float, int | None]] = []
        t = routine.cue_interval_s
        while t < total - pacing.cue_clear_of_end_s:
            if all(abs(t - at) >= pacing.cue_clear_of_count_s for at, _ in counts):
                cues.append((t, None))
            t += routine.cue_interval_s
        return sorted(counts + cues, key=lambda event: event[0])

    def listen(self, now: float) -> Listen:
        """Sleep until the next cue, the next count, or the end of the hold."""
        elapsed = now - self.start_s
        upcoming = [at for at, _ in self.events() if at > elapsed + 0.05]
        wake = self.start_s + (upcoming[0] if upcoming else self.total_s)
        return Listen("exercise", until_s=max(now, wake))

    def over(self, now: float) -> bool:
        return now - self.start_s >= self.total_s - self.pacing.end_early_s

    def due(self, now: float) -> tuple[float, int | None] | None:
        """The count or cue due at `now`, if any."""
        elapsed = now - self.start_s
        due = [(at, count) for at, count in self.events() if abs(at - elapsed) < self.pacing.due_window_s]
        return due[0] if due else None

    def speaking_s(self, text: str, rate_wpm: int) -> float:
        """A generous guess of how long a line takes at `rate_wpm`."""
        words_s = len(text.split()) * 60.0 / rate_wpm
        return self.pacing.words_per_minute_margin * words_s + self.pacing.reply_pad_s

    def fits(self, now: float, talk_s: float) -> bool:
        """Can a reply of `talk_s` seconds be said now without pushing a count or the release late?"""
        counts = [self.start_s + at for at, count in self.events() if count is not None]
        quiet_by = min([t for t in counts if t > now] + [self.end_s]) - self.pacing.quiet_before_s
        return now + talk_s <= quiet_by

    def pause(self, now: float) -> None:
        self.paused_remaining_s = self.end_s - now

    def resume(self, now: float) -> None:
        self.start_s = now + self.paused_remaining_s - self.total_s

    def change(self, exercise: Exercise, new_s: int, now: float, *, paused: bool) -> None:
        """"Longer" or "shorter" during this hold: the running hold changes too, never below what
        has already been held."""
        held_s = self.total_s - self.paused_remaining_s if paused else now - self.start_s
        total = max(new_s, min(exercise.hold_s.max_s, int(held_s) + 1))
        self.paused_remaining_s += total - self.total_s
        self.total_s = total
