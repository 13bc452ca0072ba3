"""The labelled answer corpus (tests/data/answers.csv) through the real parser.

Each row is a phrasing a person might say, the context it is said in, and the intent a careful
clinician would take from it. Only a plain "no" may come out as "no" in the yesno context.
"""

import csv
import dataclasses
from pathlib import Path

import pytest

from voicecoach.ears.answers import AnswerRules
from voicecoach.ears.intents import load_intent_table

TABLE = load_intent_table()
CORPUS_FILE = Path(__file__).parent / "data" / "answers.csv"


def load_corpus() -> list[dict[str, str]]:
    with CORPUS_FILE.open(newline="") as f:
        return list(csv.DictReader(f))


CORPUS = load_corpus()


def test_the_corpus_is_big_and_covers_every_kind():
    assert len(CORPUS) >= 300
    yesno = [row for row in CORPUS if row["context"] == "yesno"]
    for intent in ("yes", "no", "unsure", "unclear", "stop", "pain", "repeat", "help"):
        assert sum(row["intent"] == intent for row in yesno) >= 2, intent
    kinds = {row["kind"] for row in CORPUS}
    for kind in ("doubt after a no", "symptom after a no", "qualified no", "disconfirm", "affirms with a symptom",
                 "affirms in other words", "memory", "politeness", "filler", "contradiction"):
        assert kind in kinds, kind


@pytest.mark.parametrize("row", CORPUS, ids=[f"{r['context']}:{r['phrase']}" for r in CORPUS])
def test_corpus_phrase(row):
    intent = TABLE.parse(row["phrase"], row["context"])
    got = "" if intent is None else intent.name
    assert got == row["intent"], f"{row['phrase']!r} ({row['kind']}) in {row['context']}"


def test_the_corpus_catches_a_loosened_parser():
    # Mutation check: with the old, loose rule (the first yes/no phrase found wins, other words
    # skipped) many rows must fail, or the corpus would not be guarding anything.
    loose = loosened_table()
    broken = [row["phrase"] for row in CORPUS if row["context"] == "yesno" and row["intent"] not in ("no", "")
              and loose.parse(row["phrase"], "yesno").name == "no"]
    assert len(broken) >= 30, broken
    assert "No, I don't know" in broken and "No, but my legs are numb" in broken


class LooseAnswerRules(AnswerRules):
    """The loose judge the issue found in use: the first yes, no or doubt phrase decides."""

    def judge(self, tokens: list[str]) -> str:
        for kind in self.units(tokens):
            if kind == "denials":
                return "no"
            if kind in ("affirmations", "admissions", "partial"):
                return "yes"
            if kind == "doubts":
                return "unsure"
        return "unclear"


def loosened_table():
    return dataclasses.replace(TABLE, answers=LooseAnswerRules(TABLE.answers.kinds, TABLE.answers.longest))
