"""Every line the coach can say with the loaded content, placeholders filled with every value
they can take: the set a slow voice (Piper on a Pi) renders ahead of time into the speech cache.

Where the values come from (so this file changes when they do):
- holds (exercise_flow.py): a hold line says the hold's seconds when it starts (within the
  exercise's safe range) and the seconds left when repeated (0 up to the range's top); counts
  are the routine's `count_at_s` that fit in a hold; "longer"/"shorter" say a hold within range.
- "how long" in a hold says the seconds left; between steps the minutes left (_minutes_left).
- the stiffness rating is a number intent, 0..10 (intents.py); progress.py fills in past
  ratings, which the journal keeps for the last 10 sessions (journal.History, LIMIT 10).
- the screening says each question's wordings, its tier's advice and, after a screen-out,
  a reminder naming the question's topic (screening_flow.py).
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Iterator

from voicecoach.coach.plan import plan_steps
from voicecoach.coach.progress import progress_sentence
from voicecoach.settings import HoldPacing
from voicecoach.store.content import Content
from voicecoach.types import History

MAX_ROUNDS = 10  # config.py's upper bound on session.rounds for an exercise
SESSIONS_REMEMBERED = 10  # journal.History keeps the ratings of the last 10 sessions
RATINGS = range(11)  # a stiffness rating, zero to ten
TALK_S = HoldPacing().talk_s  # the exercise's guess of talk per step, for "how long is left?"


def every_line(content: Content, history: History | None = None) -> list[str]:
    """Every distinct line the coach can say, in a stable order (phrases, screening, exercises).

    With `history` (what the journal knows), the answer to "how am I doing?" is the one sentence
    that history gives, not every sentence any history could give (over 2,000 of them)."""
    progress = [progress_sentence(content.phrases, list(history.ratings))] if history is not None else None
    lines = [*_phrase_lines(content, skip_progress=progress is not None), *(progress or []),
             *_screening_lines(content), *_exercise_lines(content)]
    return list(dict.fromkeys(line for line in lines if line.strip()))


def placeholders(wording: str) -> set[str]:
    """The {names} a wording fills in."""
    return {name for _, name, _, _ in string.Formatter().parse(wording) if name}


def _phrase_lines(content: Content, *, skip_progress: bool = False) -> Iterator[str]:
    values = field_values(content)
    for key, wordings in content.phrases.lines.items():
        if skip_progress and key.startswith("progress_"):
            continue
        for wording in wordings:
            if not placeholders(wording):
                yield wording
                continue
            if key not in values:
                raise KeyError(f"line_set has no values for the placeholders of phrase {key!r}")
            for fields in values[key]:
                yield wording.format(**fields)


def field_values(content: Content) -> dict[str, list[dict[str, int]]]:
    """Per phrase key with placeholders, every set of values the session can fill in."""
    exercises = content.routine.exercises
    in_range = sorted({s for e in exercises for s in range(e.hold_s.min_s, e.hold_s.max_s + 1)})
    left = range(max(e.hold_s.max_s for e in exercises) + 1)
    counts = sorted({m for m in content.routine.count_at_s
                     if any(m < total - 1 for e in exercises for total in range(e.hold_s.min_s, e.hold_s.max_s + 1))})
    def seconds(values: Iterable[int]) -> list[dict[str, int]]:
        return [{"seconds": s} for s in values]
    questions = content.screening.questions
    screenings = {len(questions), sum(1 for q in questions if q.tier == "emergency")}
    sessions = range(1, SESSIONS_REMEMBERED + 1)
    return {
        "hold_count": seconds(counts),
        "how_long_hold": seconds(left),
        **{key: seconds(in_range) for key in ("longer", "shorter", "longer_next", "shorter_next",
                                              "longest", "shortest")},
        "how_long_session": [{"minutes": m} for m in range(2, _most_minutes(content) + 1)],
        "how_long_nearly_done": [{"minutes": 1}],
        # Not said by the session today, but a phrase all the same: every question of either screening.
        "how_long_screening": [{"index": i, "count": n} for n in sorted(screenings) for i in range(1, n + 1)],
        "rating_ack": [{"value": v} for v in RATINGS],
        "progress_one": [{"before": b, "after": a} for b in RATINGS for a in RATINGS],
        # progress.py: a trend needs two rated sessions at least, a change three, with first != last.
        "progress_trend": [{"count": n, "before": b, "after": a}
                           for n in sessions if n >= 2 for b in RATINGS for a in RATINGS],
        "progress_change": [{"count": n, "first": f, "last": la}
                            for n in sessions if n >= 3 for f in RATINGS for la in RATINGS if f != la],
    }


def _most_minutes(content: Content) -> int:
    """The most minutes "how long" can announce: every exercise at the most rounds and longest holds."""
    steps = plan_steps(content.routine, {e.id: MAX_ROUNDS for e in content.routine.exercises})
    total_s = sum(s.exercise.hold_s.max_s if s.kind == "hold" else TALK_S[s.kind] for s in steps)
    return max(1, round(total_s / 60))


def _screening_lines(content: Content) -> Iterator[str]:
    s = content.screening
    yield from (*s.intro_full, *s.intro_short, *s.changed, s.changed_full_intro, s.cleared, s.unsure_advice,
                s.no_answer, *s.confirm_no, *s.remind_ask, s.remind_kept, s.remind_retracted)
    yield from (tier.advice for tier in s.tiers.values())
    for question in s.questions:
        yield from question.ask
        yield s.remind_yes.format(topic=question.topic, advice=s.tier_of(question).advice)
        yield s.remind_unsure.format(topic=question.topic, advice=s.unsure_advice)


def _exercise_lines(content: Content) -> Iterable[str]:
    for e in content.routine.exercises:
        yield e.intro
        yield from e.position
        for side in e.sides:
            yield e.move.format(side=side)
            yield e.release.format(side=side)
        yield from (e.hold.format(seconds=s) for s in range(e.hold_s.max_s + 1))
        yield from e.cues


__all__ = ["every_line", "field_values", "placeholders"]
