"""The listener while waiting for the start phrase: said alone it starts; inside a sentence it does not.

Real PocketSphinx hearing espeak-ng speech. Without the rule, each of these sentences was
heard as "start stretching" or "start" (measured when the rule was added).
"""

from __future__ import annotations

import pytest
from speech_audio import speech

from voicecoach.audio.sources import split_chunk
from voicecoach.ears.engines import make_recognizer, vocabularies_from_table
from voicecoach.ears.listener import Listener

VOICES = [("en-us+f2", 160), ("en-us", 150), ("en-us+m3", 140)]
SENTENCES = ["yesterday we wanted to start stretching but the children were far too loud",
             "the new season will start stretching the budget of every family",
             "you really need to start stretching after running every morning",
             "it is time to start the car"]


@pytest.fixture(scope="module")
def recognizer(content):
    return make_recognizer(vocabularies_from_table(content.intents), engine="pocketsphinx", context="idle")


def starts_heard(recognizer, content, text: str, voice: str, rate_wpm: int) -> list[str]:
    listener = Listener(recognizer, content.intents)
    listener.set_context("idle")
    heard = [u for frame in split_chunk(speech(text, voice=voice, rate_wpm=rate_wpm), 480)
             for u in listener.process(frame)]
    return [u.text for u in heard if (i := content.intents.parse(u.text, "idle")) and i.name == "start"]


@pytest.mark.parametrize(("voice", "rate_wpm"), VOICES)
def test_a_start_phrase_said_alone_starts(recognizer, content, voice, rate_wpm):
    # Two renditions: PocketSphinx itself differs between processes (about 1 in 30 processes heard
    # en-us+f2's "start stretching" as "stretching" alone; the same audio, decoded again in one
    # process, always gives the same result). The rule under test must pass either.
    heard = [starts_heard(recognizer, content, "start stretching", voice, r) for r in (rate_wpm, rate_wpm + 10)]
    assert 1 in [len(h) for h in heard], heard  # "start" is enough


@pytest.mark.slow
@pytest.mark.parametrize(("voice", "rate_wpm"), VOICES)
@pytest.mark.parametrize("sentence", SENTENCES)
def test_a_start_phrase_inside_a_sentence_starts_nothing(recognizer, content, sentence, voice, rate_wpm):
    assert starts_heard(recognizer, content, sentence, voice, rate_wpm) == []


@pytest.fixture(scope="module")
def default_recognizer(content):
    return make_recognizer(vocabularies_from_table(content.intents), context="exercise")  # the default engine


@pytest.mark.slow
@pytest.mark.parametrize(("voice", "rate_wpm"), VOICES)
def test_stop_it_hurts_reaches_the_session_as_pain_after_an_early_stop(default_recognizer, content, voice, rate_wpm):
    listener = Listener(default_recognizer, content.intents)
    listener.set_context("exercise")
    heard = [u for frame in split_chunk(speech("stop, it hurts", voice=voice, rate_wpm=rate_wpm, tail_s=1.0), 320)
             for u in listener.process(frame)]
    names = [content.intents.parse(u.text, "exercise").name for u in heard]
    assert "pain" in names, [u.text for u in heard]  # an early "stop" must not swallow the pain that follows
    assert names.index("pain") == len(names) - 1
