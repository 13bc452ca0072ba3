"""The safe-answer rules where the user's words enter as sound: espeak-ng speech, the default
recognizer (Whisper tiny.en), the real parser and the real session.

A hedge must never come out of the recognizer and the parser as a plain "no", whatever voice says it.
"""

import pytest
from speech_audio import speech

from voicecoach.coach.session import Session, State
from voicecoach.ears.engines import load_vocabularies, make_recognizer
from voicecoach.ears.intents import load_intent_table
from voicecoach.store.config import build_config
from voicecoach.types import History, Say

pytestmark = pytest.mark.slow
RENDITIONS = [("en-us", 150), ("en", 130), ("en+f3", 170), ("en-us+m3", 120)]  # voice, words per minute
NOT_A_NO = ["No, I don't know", "I don't really know", "I don't remember", "I didn't check", "no clue",
            "No, but my legs are numb", "never had that until now", "no, it's getting worse", "no, only when I walk",
            "no, except at night", "I'm not sure", "maybe", "yes, the pain goes down my leg", "I do not know"]
PLAIN_NO = ["no", "nope", "no, never"]


@pytest.fixture(scope="module")
def table():
    return load_intent_table()


@pytest.fixture(scope="module")
def recognizer():
    rec = make_recognizer(load_vocabularies())  # the default engine
    rec.set_context("yesno")
    return rec


def heard_as(recognizer, table, text, voice, rate_wpm):
    hypothesis = recognizer.decode(speech(text, voice=voice, rate_wpm=rate_wpm))
    intent = table.parse(hypothesis.text, "yesno") if hypothesis.text else None
    return intent, hypothesis


@pytest.mark.parametrize("voice,rate_wpm", RENDITIONS)
@pytest.mark.parametrize("text", NOT_A_NO)
def test_a_spoken_hedge_is_never_heard_as_a_no(recognizer, table, text, voice, rate_wpm):
    intent, hypothesis = heard_as(recognizer, table, text, voice, rate_wpm)
    assert intent is None or intent.name != "no", hypothesis.text


@pytest.mark.parametrize("text", PLAIN_NO)
def test_a_spoken_plain_no_is_heard(recognizer, table, text):
    names = [heard_as(recognizer, table, text, v, r)[0] for v, r in RENDITIONS]
    assert sum(i is not None and i.name == "no" for i in names) >= 3, names


@pytest.mark.parametrize("reply", ["not correct", "I do", "not anymore"])
def test_a_spoken_denial_or_admission_never_confirms_a_read_back(recognizer, table, content, reply):
    # Whisper writes some renditions of "not correct" as "that correct": a yes with an extra word.
    # "I do" and "not anymore" say the symptom is or was there: a yes, but not to the read-back.
    for voice, rate_wpm in RENDITIONS:
        settings = build_config({}, content.routine, "defaults").session  # the default engine's read-back bar
        session = Session(content, settings, History())
        session.begin(0.0)
        session.hear(table.parse("no", "yesno"), 5.0, confidence=0.1)  # a faint no: read back
        assert session.state is State.CONFIRM_NO
        intent, hypothesis = heard_as(recognizer, table, reply, voice, rate_wpm)
        out = session.hear(intent, 8.0, hypothesis.confidence) if intent is not None else session.timeout(8.0)
        keys = [a.key for a in out if isinstance(a, Say)]
        assert "question:severe_pain" not in keys, hypothesis.text  # the first question was not cleared
