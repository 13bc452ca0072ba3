"""Recognized text to intents: the phrase table of PRODUCT.md §2, per context."""

import pytest

from voicecoach.ears.intents import CONTEXTS, INTENT_NAMES, load_intent_table

TABLE = load_intent_table()

# (text, context, intent name or None for nothing heard, number value)
CASES = [
    # stop, in every context where a session is running
    ("stop", "exercise", "stop", None), ("Stop.", "exercise", "stop", None), ("STOP!", "exercise", "stop", None),
    ("stop stop", "exercise", "stop", None), ("um, stop please", "exercise", "stop", None),
    ("cancel", "exercise", "stop", None), ("enough", "exercise", "stop", None), ("please stop", "exercise", "stop", None),
    ("stop now", "exercise", "stop", None), ("halt", "exercise", "stop", None), ("stop", "yesno", "stop", None),
    ("stop", "rating", "stop", None), ("no, stop", "yesno", "stop", None), ("no stop", "exercise", "stop", None),
    ("okay stop", "exercise", "stop", None), ("stop, I'm tired", "exercise", "stop", None),
    ("next, no, stop", "exercise", "stop", None), ("stop the next one", "exercise", "stop", None),
    # pain beats stop beats everything
    ("stop it hurts", "exercise", "pain", None), ("Stop, it hurts!", "exercise", "pain", None),
    ("ouch", "exercise", "pain", None), ("ow", "exercise", "pain", None), ("Ow!", "exercise", "pain", None),
    ("that hurts", "exercise", "pain", None), ("it hurts", "exercise", "pain", None), ("pain", "exercise", "pain", None),
    ("it's painful", "exercise", "pain", None), ("sharp pain", "exercise", "pain", None),
    ("yes but it hurts", "yesno", "pain", None), ("no, it hurts", "yesno", "pain", None),
    ("ouch", "yesno", "pain", None), ("ouch", "rating", "pain", None), ("five, ouch", "rating", "pain", None),
    ("don't stop, it hurts", "exercise", "pain", None), ("hurts", "exercise", "pain", None),
    ("this hurts", "exercise", "pain", None), ("too much", "exercise", "pain", None),
    ("pause, ow", "exercise", "pain", None), ("it's sore", "exercise", "pain", None),
    # pause and resume
    ("pause", "exercise", "pause", None), ("wait", "exercise", "pause", None), ("hold on", "exercise", "pause", None),
    ("Hang on.", "exercise", "pause", None), ("one moment", "exercise", "pause", None),
    ("wait a moment please", "exercise", "pause", None), ("give me a second", "exercise", "pause", None),
    ("resume", "exercise", "resume", None), ("continue", "exercise", "resume", None), ("go on", "exercise", "resume", None),
    ("carry on", "exercise", "resume", None), ("ready", "exercise", "resume", None), ("I'm ready", "exercise", "resume", None),
    ("Ready.", "exercise", "resume", None), ("keep going", "exercise", "resume", None), ("go ahead", "exercise", "resume", None),
    # next, repeat
    ("next", "exercise", "next", None), ("skip", "exercise", "next", None), ("done", "exercise", "next", None),
    ("next one please", "exercise", "next", None), ("move on", "exercise", "next", None), ("skip", "rating", "next", None),
    ("repeat", "exercise", "repeat", None), ("again", "exercise", "repeat", None), ("what?", "exercise", "repeat", None),
    ("say that again", "exercise", "repeat", None), ("pardon", "exercise", "repeat", None), ("repeat", "yesno", "repeat", None),
    ("what did you say", "yesno", "repeat", None), ("sorry what", "exercise", "repeat", None),
    # voice and hold
    ("slower", "exercise", "slower", None), ("slow down", "exercise", "slower", None), ("too fast", "exercise", "slower", None),
    ("faster", "exercise", "faster", None), ("speed up", "exercise", "faster", None), ("too slow", "exercise", "faster", None),
    ("louder", "exercise", "louder", None), ("speak up", "exercise", "louder", None),
    ("I can't hear you", "exercise", "louder", None), ("quieter", "exercise", "quieter", None),
    ("too loud", "exercise", "quieter", None), ("softer please", "exercise", "quieter", None),
    ("longer", "exercise", "longer", None), ("hold longer", "exercise", "longer", None), ("more time", "exercise", "longer", None),
    ("shorter", "exercise", "shorter", None), ("less time", "exercise", "shorter", None),
    ("how long", "exercise", "how_long", None), ("how much longer", "exercise", "how_long", None),
    ("How long left?", "exercise", "how_long", None), ("how many seconds", "exercise", "how_long", None),
    # help, why, progress, end
    ("help", "exercise", "help", None), ("what can I say", "exercise", "help", None), ("help", "yesno", "help", None),
    ("help", "rating", "help", None), ("why does it crack", "exercise", "why", None), ("why", "exercise", "why", None),
    ("why does my back crack?", "exercise", "why", None), ("what was that pop", "exercise", "why", None),
    ("how am I doing", "exercise", "progress", None), ("how am I doing?", "exercise", "progress", None),
    ("progress", "exercise", "progress", None), ("that's enough", "exercise", "end", None),
    ("finish", "exercise", "end", None), ("end the session", "exercise", "end", None), ("finish for today", "exercise", "end", None),
    ("I'm finished", "exercise", "end", None), ("goodbye", "exercise", "end", None),
    # answers
    ("yes", "yesno", "yes", None), ("Yes.", "yesno", "yes", None), ("yeah", "yesno", "yes", None), ("yep", "yesno", "yes", None),
    ("yes I do", "yesno", "yes", None), ("I have", "yesno", "yes", None), ("yes yes", "yesno", "yes", None),
    ("um yes", "yesno", "yes", None), ("sure", "yesno", "yes", None), ("correct", "yesno", "yes", None),
    ("no", "yesno", "no", None), ("No.", "yesno", "no", None), ("nope", "yesno", "no", None), ("nah", "yesno", "no", None),
    ("no I don't", "yesno", "no", None), ("not really", "yesno", "unclear", None), ("no no", "yesno", "no", None),
    ("never", "yesno", "no", None), ("no, never", "yesno", "no", None), ("not at all", "yesno", "no", None),
    ("I don't know", "yesno", "unsure", None), ("not sure", "yesno", "unsure", None), ("I'm not sure", "yesno", "unsure", None),
    ("maybe", "yesno", "unsure", None), ("no idea", "yesno", "unsure", None), ("sometimes", "yesno", "yes", None),
    ("a little", "yesno", "yes", None), ("dunno", "yesno", "unsure", None), ("I don't know", "rating", "unsure", None),
    # numbers, only as a rating
    ("zero", "rating", "number", 0), ("one", "rating", "number", 1), ("two", "rating", "number", 2),
    ("three", "rating", "number", 3), ("four", "rating", "number", 4), ("five", "rating", "number", 5),
    ("six", "rating", "number", 6), ("seven", "rating", "number", 7), ("eight", "rating", "number", 8),
    ("nine", "rating", "number", 9), ("ten", "rating", "number", 10), ("7", "rating", "number", 7),
    ("10", "rating", "number", 10), ("about a five", "rating", "number", 5), ("five out of ten", "rating", "number", 5),
    ("Six.", "rating", "number", 6),
    # start
    ("start", "idle", "start", None), ("good morning coach", "idle", "start", None), ("start stretching", "idle", "start", None),
    ("Good morning, coach!", "idle", "start", None), ("let's begin", "idle", "start", None), ("hey coach", "idle", "start", None),
    # near misses and words outside the context: unclear, never a command
    ("top", "exercise", "unclear", None), ("stopwatch", "exercise", "unclear", None), ("wow", "exercise", "unclear", None),
    ("shop", "exercise", "unclear", None), ("stomp", "exercise", "unclear", None), ("up", "exercise", "unclear", None),
    ("off", "exercise", "unclear", None), ("go", "yesno", "unclear", None), ("know", "yesno", "unclear", None),
    ("now", "yesno", "unclear", None), ("yesterday", "yesno", "unclear", None), ("nobody", "yesno", "unclear", None),
    ("how", "exercise", "unclear", None), ("bed", "exercise", "unclear", None), ("marvin", "exercise", "unclear", None),
    ("five", "exercise", "unclear", None), ("ten", "yesno", "unclear", None), ("five", "idle", "unclear", None),
    ("eleven", "rating", "unclear", None), ("11", "rating", "unclear", None), ("five or six", "rating", "unclear", None),
    ("yes", "exercise", "unclear", None), ("no", "rating", "unclear", None), ("next", "yesno", "unclear", None),
    ("pause", "yesno", "unclear", None), ("stop", "idle", "unclear", None), ("start", "exercise", "unclear", None),
    ("don't stop", "exercise", "unclear", None), ("do not stop", "exercise", "unclear", None),
    ("never stop", "exercise", "unclear", None), ("it doesn't hurt", "exercise", "unclear", None),
    ("yes and no", "yesno", "unclear", None), ("yes no", "yesno", "unclear", None), ("pause, resume", "exercise", "unclear", None),
    ("right", "yesno", "unclear", None), ("left", "exercise", "unclear", None), ("happy", "yesno", "unclear", None),
    ("uh", "exercise", "unclear", None), ("hmm", "yesno", "unclear", None), ("sheila", "idle", "unclear", None),
    # nothing heard at all
    ("", "exercise", None, None), ("   ", "yesno", None, None), ("...", "rating", None, None), ("?!", "idle", None, None),
]


def test_the_table_is_big_enough():
    assert len(CASES) >= 150


@pytest.mark.parametrize("text,context,name,value", CASES)
def test_phrase_to_intent(text, context, name, value):
    intent = TABLE.parse(text, context)
    if name is None:
        assert intent is None
    else:
        assert (intent.name, intent.value) == (name, value)
        assert intent.text == text


def test_every_context_vocabulary_comes_from_the_data():
    for context in CONTEXTS:
        words = TABLE.vocabulary(context)
        assert words, context
        for phrase in words:  # what the recognizer listens for parses back to an intent of the context
            intent = TABLE.parse(phrase, context)
            assert intent is not None and intent.name in TABLE.contexts[context], (context, phrase)


def test_stop_and_pain_are_heard_wherever_a_session_listens():
    for context in ("yesno", "rating", "exercise"):
        assert {"stop", "pain"} <= set(TABLE.contexts[context])


def test_intent_names_are_those_of_the_product():
    assert set(TABLE.phrases.values()) | {"number"} <= set(INTENT_NAMES)


def test_unknown_context_is_an_error():
    with pytest.raises(ValueError, match="unknown recognition context"):
        TABLE.parse("stop", "kitchen")
