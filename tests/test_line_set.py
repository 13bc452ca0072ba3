"""every_line(): whatever the real session says must be in it, and every phrase must be there."""

import random
import re
from dataclasses import replace

import pytest
from driver import answers, run_script

from voicecoach.coach.line_set import every_line, placeholders
from voicecoach.coach.session import Session
from voicecoach.settings import SessionSettings
from voicecoach.sim.scenario import Cue
from voicecoach.store.content import PHRASE_KEYS
from voicecoach.types import History, Intent, Listen, Say, ScreenOut

RETURNING = History(first_use=False, full_screening_due=False)
CLEARED = answers("no", 15)


@pytest.fixture(scope="module")
def lines(content):
    return set(every_line(content))


def full_session(extra=(), rating="five"):
    return CLEARED + [Cue(rating, after="rating_before"), Cue("ready", after="ready_prompt"), *extra,
                      Cue("ready", after="ready_prompt"), Cue("three", after="rating_after")]


def hold(exercise="knee_to_chest", offset=6.0):
    return {"during": f"hold:{exercise}", "offset_s": offset}


SCRIPTS = {
    "complete": (full_session(), None),
    "stop, carry on": (full_session([Cue("stop", **hold()), Cue("carry on", after="stop_menu")]), None),
    "stop, finish": (full_session([Cue("stop", **hold()), Cue("finish", after="stop_menu")]), None),
    "pain": (full_session([Cue("stop it hurts", **hold()), Cue("no", after="pain_question")]), None),
    "pain, serious": (full_session([Cue("ouch", **hold("lumbar_rotation", 2)), Cue("yes", after="pain_question")]), None),
    "pause, resume": (full_session([Cue("pause", **hold(offset=7.3)), Cue("resume", after="pause_ack", delay_s=30)]), None),
    "repeat late in a hold": (full_session([Cue("repeat", **hold(offset=11))]), None),  # fewer seconds than the range
    "longer": (full_session([Cue("longer", **hold(offset=1))] + [Cue("longer", after="longer")] * 3
                            + [Cue("longer", after="longest")]), None),
    "shorter": (full_session([Cue("shorter", **hold("lumbar_rotation", 0.5)), Cue("shorter", after="shorter")]), None),
    "longer between holds": (full_session([Cue("longer", after="release:knee_to_chest", delay_s=0.5)]), None),
    "how long": (full_session([Cue("how long", **hold(offset=3.7)), Cue("how long", after="intro:lumbar_rotation"),
                               Cue("how much longer", **hold("lumbar_rotation", 2.2))]), None),
    "help, why, progress": (full_session([Cue("how long", **hold(offset=5)), Cue("why does it crack", after="how_long_hold"),
                                          Cue("what can I say", after="why"), Cue("how am I doing", after="help_exercise")]),
                            History(first_use=False, full_screening_due=True, ratings=((6, 4), (5, 3)))),
    "progress, change": (full_session([Cue("how am I doing", after="ready_prompt")]),
                         History(first_use=False, ratings=((7, 5), (6, None), (4, 3), (3, 2)))),
    "progress, one": (full_session([Cue("how am I doing", after="ready_prompt")]),
                      History(first_use=False, ratings=((9, 2),))),
    "slower, faster": (full_session([Cue("slower", after="ready_prompt")] * 1 + [Cue("slower", after="slower")] * 4
                                    + [Cue("faster", after="slowest")]), None),
    "louder, quieter": (full_session([Cue("louder", after="ready_prompt"), Cue("louder", after="louder"),
                                      Cue("quieter", after="loudest")]), None),
    "unclear in hold": (full_session([Cue("banana", **hold()), Cue("no", after="confirm_stop")]), None),
    "unclear, silence": (full_session([Cue("banana", **hold())]), None),
    "red flag": (answers("no", 3) + [Cue("yes", after="question:")], None),
    "not sure": (answers("no", 7) + [Cue("I'm not sure", after="question:")], None),
    "unclear screening": ([Cue("hmm", after="question:")] * 3, None),
    "faint no": ([Cue("no", after="question:", confidence=0.5), Cue("yes", after="confirm_no"), *full_session()[1:]], None),
    "short check": (answers("no", 5) + [Cue("no", after="question:changed"), Cue("skip", after="rating_before")], RETURNING),
    "changed": (answers("no", 5) + [Cue("yes", after="question:changed")] + answers("no", 10)
                + [Cue("skip", after="rating_before")], RETURNING),
    "reminder kept": ([Cue("no", after="remind_ask")], replace(RETURNING, screen_out=ScreenOut("sciatica", "yes"))),
    "reminder unsure": ([Cue("hmm", after="remind_ask")] * 3, replace(RETURNING, screen_out=ScreenOut("osteoporosis", "unsure"))),
    "reminder retracted": ([Cue("yes", after="remind_ask"), *full_session()],
                           replace(RETURNING, screen_out=ScreenOut("bladder_bowel", "yes"))),
    "help in screening": ([Cue("help", after="question:"), Cue("why", after="help_yesno"), Cue("stop", after="question:")], None),
}


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_line_a_scripted_session_says_is_in_the_line_set(content, lines, name):
    cues, history = SCRIPTS[name]
    result = run_script(content, cues, history=history)
    missing = [(l.key, l.text) for l in result.spoken if l.text not in lines]
    assert not missing, f"{name}: said but not in every_line(): {missing[:5]}"


INTENTS = ("yes", "no", "unsure", "stop", "pain", "pause", "resume", "next", "repeat", "slower", "faster",
           "louder", "quieter", "longer", "shorter", "how_long", "help", "why", "progress", "end", "unclear",
           "number", "start")


# Mostly the answers that carry a session on, so the walk reaches the holds and the close;
# now and then anything at all.
GO_ON = {"yesno": ("no",), "rating": ("number",), "idle": ("start",),
         "exercise": ("resume", "next", "longer", "shorter", "how_long", "repeat", "slower", "faster", "progress",
                      "pause", "help", "why", "unclear")}


def _pick_intent(context, rng):
    if rng.random() < 0.93:
        return rng.choice(GO_ON.get(context, INTENTS))
    return rng.choice(INTENTS)


def _random_session(content, rng):
    """A session walked by random answers at random times: every Say it emits, collected."""
    exercises = content.routine.exercises
    ratings = tuple((rng.choice([None, *range(11)]), rng.choice([None, *range(11)])) for _ in range(rng.randint(0, 10)))
    screen_out = rng.choice([None, None, ScreenOut(rng.choice(content.screening.questions).id, rng.choice(["yes", "unsure"]))])
    history = History(first_use=rng.random() < 0.5, full_screening_due=rng.random() < 0.5, ratings=ratings,
                      screen_out=screen_out)
    settings = SessionSettings(hold_s={e.id: rng.randint(e.hold_s.min_s, e.hold_s.max_s) for e in exercises},
                               rounds={e.id: rng.randint(1, 2) for e in exercises})
    session = Session(content, settings, history)
    said, now = [], 0.0
    actions = session.start(now) + session.begin(now)
    for _ in range(300):
        said += [a.text for a in actions if isinstance(a, Say)]
        if session.finished:
            break
        listens = [a for a in actions if isinstance(a, Listen)]
        listen = listens[-1] if listens else Listen("exercise", timeout_s=5.0)
        deadline = listen.until_s if listen.until_s is not None else now + (listen.timeout_s or 5.0)
        if rng.random() < 0.45:
            now = max(now, deadline)
            actions = session.timeout(now)
        else:
            now = rng.uniform(now, max(now, deadline))
            name = _pick_intent(session.context, rng)
            intent = Intent(name, rng.randint(0, 10) if name == "number" else None,
                            words=rng.choice([("why",), ("why", "does", "it", "crack")]) if name == "why" else (),
                            plain=rng.random() < 0.8)
            actions = session.hear(intent, now, rng.choice([1.0, 1.0, 0.5]))
    return said


def test_every_line_a_randomly_walked_session_says_is_in_the_line_set(content, lines):
    rng = random.Random(15)
    missing = {}
    for _ in range(600):
        for text in _random_session(content, rng):
            if text not in lines:
                missing.setdefault(text, 0)
                missing[text] += 1
    assert not missing, f"said but not in every_line(): {sorted(missing)[:5]}"


def _pattern(wording: str) -> re.Pattern:
    parts = re.split(r"\{\w+\}", wording)
    return re.compile(r"\d+".join(re.escape(p) for p in parts))


def test_every_wording_of_every_phrase_key_is_in_the_line_set(content, lines):
    assert set(content.phrases.lines) == set(PHRASE_KEYS)
    for key, wordings in content.phrases.lines.items():
        for wording in wordings:
            pattern = _pattern(wording)
            assert any(pattern.fullmatch(line) for line in lines), f"phrase {key!r} wording {wording!r} is missing"


def test_every_value_of_the_numbered_lines_is_there(content, lines):
    say = content.phrases.say
    assert {say("rating_ack", value=v) for v in range(11)} <= lines
    for e in content.routine.exercises:
        assert {e.hold.format(seconds=s) for s in range(e.hold_s.min_s, e.hold_s.max_s + 1)} <= lines
        assert {say("longer", seconds=s) for s in range(e.hold_s.min_s, e.hold_s.max_s + 1)} <= lines
    assert {say("hold_count", seconds=s) for s in content.routine.count_at_s} <= lines
    assert {say("progress_change", count=10, first=0, last=10), say("progress_trend", count=2, before=10, after=0)} <= lines
    assert say("progress_change", count=2, first=0, last=10) not in lines  # a change needs three sessions


def test_a_new_placeholder_without_values_is_refused(content):
    phrases = replace(content.phrases, lines={**content.phrases.lines, "goodbye": ("See you in {days} days.",)})
    assert placeholders(phrases.lines["goodbye"][0]) == {"days"}
    with pytest.raises(KeyError, match="goodbye"):
        every_line(replace(content, phrases=phrases))


def test_lines_are_distinct_and_stable(content):
    first, again = every_line(content), every_line(content)
    assert first == again and len(first) == len(set(first))
