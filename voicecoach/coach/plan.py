"""The routine laid out as the steps the coach walks through: position, move, hold, release."""

from __future__ import annotations

from dataclasses import dataclass

from voicecoach.store.content import Exercise, Routine


@dataclass(frozen=True)
class Step:
    kind: str  # "position", "move", "hold" or "release"
    exercise: Exercise
    exercise_index: int  # 0-based position of the exercise in the routine
    side: str = ""
    round: int = 0  # 0-based
    lead_in: str = ""  # phrase key said before the step's own lines ("side_change", "round_next")


def plan_steps(routine: Routine, rounds: dict[str, int]) -> tuple[Step, ...]:
    """Every step of the routine in order; `rounds` overrides an exercise's number of rounds."""
    steps: list[Step] = []
    for index, exercise in enumerate(routine.exercises):
        steps.append(Step("position", exercise, index))
        for round_ in range(rounds.get(exercise.id, exercise.rounds)):
            for side_index, side in enumerate(exercise.sides):
                lead_in = "side_change" if side_index else ("round_next" if round_ else "")
                for kind in ("move", "hold", "release"):
                    steps.append(Step(kind, exercise, index, side, round_, lead_in if kind == "move" else ""))
    return tuple(steps)
