"""Content is data, checked at load time; malformed files name the file, the field and the fault."""

import re
from pathlib import Path

import pytest

from voicecoach.ears.intents import load_intent_table
from voicecoach.store.content import TIER_ORDER, load_routine
from voicecoach.store.content_errors import ContentError

PACKAGED_ROUTINE = (Path(__file__).parents[1] / "voicecoach" / "data" / "routine.toml").read_text()


def test_default_routine_matches_the_source_document(content):
    knee, rotation = content.routine.exercises
    assert (knee.hold_s.min_s, knee.hold_s.max_s, knee.hold_s.default_s) == (15, 30, 20)
    assert (rotation.hold_s.min_s, rotation.hold_s.max_s, rotation.hold_s.default_s) == (5, 10, 8)
    assert knee.rounds == 1 and rotation.rounds == 2
    assert len(knee.sides) == 2 and len(rotation.sides) == 2


def test_screening_has_three_tiers_with_emergency_questions_first(content):
    tiers = [q.tier for q in content.screening.questions]
    assert tiers == sorted(tiers, key=TIER_ORDER.index)
    assert tiers[0] == "emergency" and set(tiers) == set(TIER_ORDER)
    ids = {q.id for q in content.screening.questions}
    assert {"bladder_bowel", "severe_pain", "sciatica", "leg_numbness", "osteoporosis", "spinal_fracture",
            "back_surgery", "disc_herniation"} <= ids
    for question in content.screening.questions:
        assert len(question.ask) >= 2, f"{question.id} needs other wordings for asking again"


def test_every_question_and_advice_is_plain_and_distinct(content):
    first_wordings = [q.ask[0] for q in content.screening.questions]
    assert len(set(first_wordings)) == len(first_wordings)
    for tier in content.screening.tiers.values():
        assert len(tier.advice.split()) >= 10


COMMAND_LIKE = re.compile(r"\b(stop|stops|stopped|stopping|top|shop|ow|ouch|hurts?|pause|cancel|enough|halt|wait)\b", re.I)


def _coach_lines(content):
    for key, wordings in content.phrases.lines.items():
        for text in wordings:
            yield key, text
    for exercise in content.routine.exercises:
        for field in ("intro", "move", "hold", "release"):
            yield f"{exercise.id}.{field}", getattr(exercise, field)
        for text in exercise.position + exercise.cues:
            yield f"{exercise.id}.lines", text
    s = content.screening
    for text in s.intro_full + s.intro_short + s.changed + s.confirm_no + (s.cleared, s.unsure_advice, s.no_answer,
                                                                           s.changed_full_intro):
        yield "screening", text
    for tier in s.tiers.values():
        yield f"tier.{tier.id}", tier.advice
    for question in s.questions:
        for text in question.ask:
            yield f"question.{question.id}", text


def test_command_words_are_spoken_only_in_lines_that_teach_them(content):
    # The coach's voice reaches the microphone: outside the teaching lines, none of its
    # words may sound like a command it listens for in an exercise.
    offenders = [(key, text) for key, text in _coach_lines(content)
                 if key not in content.phrases.teaching and COMMAND_LIKE.search(text)]
    assert offenders == []


def test_no_coach_line_parses_as_stop_except_teaching_lines(content):
    table = load_intent_table()
    for key, text in _coach_lines(content):
        if key not in content.phrases.teaching:
            for context in ("exercise", "yesno", "rating"):
                intent = table.parse(text, context)
                assert intent is None or intent.name != "stop", (key, text)


EXERCISE_PHRASES = ("rules_intro", "rules", "hold_count", "hold_done", "side_change", "round_next", "resume_ack",
                    "restart_side", "why", "how_long_hold", "how_long_session", "slower", "faster", "louder",
                    "quieter", "longer", "shorter", "longer_next", "shorter_next", "how_long_nearly_done",
                    "answer_after_hold", "why_screening", "shutting_down_resting", "lost_hearing_resting")


def test_narration_during_exercises_is_no_command_at_all(content):
    # What the coach says while the user stretches is heard back in the exercise context.
    table = load_intent_table()
    for exercise in content.routine.exercises:
        lines = (exercise.intro, exercise.move, exercise.hold, exercise.release) + exercise.position + exercise.cues
        for text in lines:
            intent = table.parse(text.format(side="left", seconds=20), "exercise")
            assert intent is None or intent.name == "unclear", (exercise.id, text, intent)
    for key in EXERCISE_PHRASES:
        for text in content.phrases.lines[key]:
            intent = table.parse(text.format(seconds=10, index=1, count=2, minutes=5), "exercise")
            assert intent is None or intent.name == "unclear", (key, text, intent)


def _write(tmp_path, text):
    path = tmp_path / "mine.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("change,field,problem", [
    (("hold_s = { min = 15, max = 30, default = 20 }", "hold_s = { min = 15, max = 30, default = 45 }"),
     "exercises[0].hold_s.default", "between"),
    (("hold_s = { min = 15, max = 30, default = 20 }", "hold_s = { min = 15, default = 20 }"),
     "exercises[0].hold_s.max", "missing"),
    (('id = "knee_to_chest"', 'id = ""'), "exercises[0].id", "non-empty"),
    (("rounds = 1", 'rounds = "one"'), "exercises[0].rounds", "whole number"),
    (('hold = "Hold it there, gently. {seconds} seconds."', 'hold = "Hold for {secs}."'),
     "exercises[0].hold", "unknown placeholder {secs}"),
    (('sides = ["right", "left"]', "sides = []"), "exercises[0].sides", "non-empty list"),
    (("cue_interval_s = 4", "cue_interval_s = 0"), "cue_interval_s", "between"),
])
def test_a_malformed_routine_names_file_field_and_fault(tmp_path, change, field, problem):
    old, new = change
    assert old in PACKAGED_ROUTINE
    path = _write(tmp_path, PACKAGED_ROUTINE.replace(old, new, 1))
    with pytest.raises(ContentError) as caught:
        load_routine(path)
    assert caught.value.source == str(path)
    assert caught.value.field == field
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{path}: {field}: ")


def test_a_routine_that_is_not_toml_or_missing(tmp_path):
    with pytest.raises(ContentError, match="not valid TOML"):
        load_routine(_write(tmp_path, "exercises = [[["))
    with pytest.raises(ContentError, match="cannot read it"):
        load_routine(tmp_path / "absent.toml")
    with pytest.raises(ContentError, match="exercises: must list one to twenty exercises"):
        load_routine(_write(tmp_path, 'name = "empty"\ncue_interval_s = 4\nexercises = []\n'))


def test_a_users_own_routine_loads(tmp_path):
    mine = PACKAGED_ROUTINE.replace("rounds = 2", "rounds = 3").replace('name = "Gentle morning back routine"',
                                                                         'name = "Mine"')
    routine = load_routine(_write(tmp_path, mine))
    assert routine.name == "Mine" and routine.exercises[1].rounds == 3
