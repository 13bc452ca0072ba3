"""Property: whatever the user says, a red flag answered yes, not sure or unclearly never leads to a stretch."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voicecoach.coach.session import Session, State
from voicecoach.ears.intents import INTENT_NAMES
from voicecoach.store.content import load_content
from voicecoach.types import History, Intent, Say

CONTENT = load_content()
EXERCISE_KEYS = ("position:", "move:", "hold:", "release:", "intro:")

# Weighted towards answers so that sessions get deep into the screening.
answer = st.sampled_from(["no"] * 6 + ["yes", "unsure", "unclear", "repeat", "help"])
any_intent = st.sampled_from(list(INTENT_NAMES) + ["unclear"])
event = st.one_of(
    st.tuples(st.just("hear"), answer, st.sampled_from([0.3, 0.9, 1.0])),
    st.tuples(st.just("hear"), any_intent, st.sampled_from([0.3, 1.0])),
    st.tuples(st.just("timeout"), st.just(""), st.just(1.0)),
)

# Runs of clear "no" answers around one random event, so that many sessions reach the end of
# the screening with something odd said on the way, then anything at all.
NO = ("hear", "no", 1.0)
sequence = st.builds(lambda k1, odd, k2, rest: [NO] * k1 + [odd] + [NO] * k2 + rest,
                     st.integers(0, 15), event, st.integers(0, 16), st.lists(event, max_size=50))


def _run(events, history):
    session = Session(CONTENT, history=history)
    said = list(session.begin(0.0))
    flagged = False  # a yes or not-sure answer was given to a red-flag question
    cleared: set[str] = set()  # questions that got a "no" (or a confirmed no) while they were asked
    asked: set[str] = set()
    now = 0.0
    for kind, name, confidence in events:
        now += 3.0
        if session.finished:
            break
        question = _current_question(said)  # what the coach asked last, from what it said
        state = session.state
        if kind == "timeout":
            out = session.timeout(now)
        else:
            value = 5 if name == "number" else None
            out = session.hear(Intent(name, value), now, confidence)
            if question and name in ("yes", "unsure") and state is State.SCREENING:
                flagged = True
            if question and ((state is State.SCREENING and name == "no") or
                             (state is State.CONFIRM_NO and name == "yes")):
                cleared.add(question)
        for action in out:
            if isinstance(action, Say) and action.key.startswith("question:") and action.key != "question:changed":
                asked.add(action.key.split(":", 1)[1])
            if isinstance(action, Say) and action.key.startswith(EXERCISE_KEYS):
                assert not flagged, "an exercise instruction after a red flag"
                assert asked <= cleared, f"exercise before these questions were answered no: {asked - cleared}"
        said.extend(out)
    return session, said


def _current_question(said) -> str | None:
    for action in reversed(said):
        if isinstance(action, Say) and action.key.startswith("question:"):
            key = action.key.split(":", 1)[1]
            return None if key == "changed" else key
    return None


def test_the_property_is_not_vacuous():
    # Sixteen clear "no"s and a skipped rating reach the stretches: the checks above do run.
    session, said = _run([("hear", "no", 1.0)] * 15 + [("hear", "next", 1.0)], History())
    assert any(isinstance(a, Say) and a.key.startswith(EXERCISE_KEYS) for a in said)


@settings(max_examples=400, deadline=None)
@given(sequence)
def test_no_red_flag_answer_leads_to_an_exercise_full_screening(events):
    _run(events, History(first_use=True, full_screening_due=True))


@settings(max_examples=200, deadline=None)
@given(sequence)
def test_no_red_flag_answer_leads_to_an_exercise_short_check(events):
    _run(events, History(first_use=False, full_screening_due=False))


@settings(max_examples=200, deadline=None)
@given(st.lists(event, min_size=1, max_size=80))
def test_no_input_sequence_crashes_the_session(events):
    session, _ = _run(events, History(first_use=True, full_screening_due=False))
    assert session.state is State.DONE or session.context in ("yesno", "rating", "exercise")


# ---- the same safety property, from the user's words: the labelled corpus through the real parser --

import dataclasses  # noqa: E402

from test_answers import CORPUS, loosened_table  # noqa: E402

ANSWER_ROWS = [r for r in CORPUS if r["context"] == "yesno" and r["phrase"].strip(" .?!")]
PLAIN_NO = [r for r in ANSWER_ROWS if r["intent"] == "no" and r["kind"] != "disconfirm"]
NOT_NO = [r for r in ANSWER_ROWS if r["intent"] in ("yes", "unsure", "unclear")]
SAID = [r for r in ANSWER_ROWS if r["intent"] in ("repeat", "help", "stop")]
SCREENING_STATES = (State.SCREENING, State.CONFIRM_NO, State.CHANGED)

# Mostly plain "no"s, so that dialogues get deep; a "no" is heard with low confidence a third of
# the time, which makes the coach read it back; the read-back gets any answer of the corpus.
spoken = st.one_of(
    st.tuples(st.sampled_from(PLAIN_NO), st.sampled_from([0.4, 0.95, 1.0])),
    st.tuples(st.sampled_from(PLAIN_NO), st.sampled_from([0.4, 0.95, 1.0])),
    st.tuples(st.sampled_from(PLAIN_NO), st.sampled_from([0.4, 0.95, 1.0])),
    st.tuples(st.sampled_from(NOT_NO + SAID), st.sampled_from([0.4, 1.0])),
    st.tuples(st.sampled_from(NOT_NO), st.just(1.0)),  # the risky class, weighted up
    st.tuples(st.sampled_from(NOT_NO), st.just(1.0)),
    st.tuples(st.sampled_from(ANSWER_ROWS), st.sampled_from([0.4, 1.0])),
    st.none(),  # silence until the deadline
)
# Runs of clear plain "no"s around two odd answers (a read-back and its answer, say), so that many
# dialogues get to the end of the screening with something else said on the way, then anything.
clear_no = st.tuples(st.sampled_from(PLAIN_NO), st.just(1.0))
dialogue = st.builds(lambda no, k1, odd, k2, rest: [no] * k1 + odd + [no] * k2 + rest, clear_no,
                     st.integers(0, 15), st.lists(spoken, min_size=1, max_size=3), st.integers(0, 18),
                     st.lists(spoken, max_size=40))


def run_dialogue(content, events, history):
    """Drive the real session with phrases parsed by the real parser; check the property with the
    corpus labels (what the person meant), never with the parser's own output."""
    session = Session(content, history=history)
    out = session.begin(0.0)
    flagged: list[str] = []  # phrases meaning yes or not sure, said to a red-flag question
    meant_no: set[str] = set()  # questions the person plainly answered no (and confirmed, if read back)
    pending = None  # a question whose plain "no" is being read back
    asked: set[str] = set()
    now = 0.0

    def check(actions):
        for action in actions:
            if isinstance(action, Say) and action.key.startswith("question:") and action.key != "question:changed":
                asked.add(action.key.split(":", 1)[1])
            if isinstance(action, Say) and action.key.startswith(EXERCISE_KEYS):
                assert not flagged, f"an exercise instruction after {flagged}"
                assert asked <= meant_no, f"an exercise before a plain no to {asked - meant_no}"

    check(out)
    said = list(out)
    for event in events:
        if session.finished:
            break
        now += 3.0
        question, state = _current_question(said), session.state
        if event is None:
            out = session.timeout(now)
        else:
            row, confidence = event
            intent = content.intents.parse(row["phrase"], session.context or "idle")
            if intent is None:
                continue
            out = session.hear(intent, now, confidence)
            if state is State.SCREENING and question:
                if row["intent"] in ("yes", "unsure"):
                    flagged.append(row["phrase"])
                elif row["intent"] == "no":
                    meant_no.add(question) if confidence >= session.settings.confirm_below else None
                    pending = question
            elif state is State.CONFIRM_NO and pending and row["intent"] == "yes" and \
                    row["kind"] in ("plain yes", "affirms in other words", "confirm"):
                meant_no.add(pending)
        check(out)
        said.extend(out)
    return session


@settings(max_examples=500, deadline=None)
@given(dialogue)
def test_words_that_are_not_a_plain_no_never_lead_to_an_exercise(events):
    run_dialogue(CONTENT, events, History(first_use=True, full_screening_due=True))


@settings(max_examples=200, deadline=None)
@given(dialogue)
def test_words_that_are_not_a_plain_no_never_lead_to_an_exercise_short_check(events):
    run_dialogue(CONTENT, events, History(first_use=False, full_screening_due=False))


def test_not_anymore_to_a_read_back_never_confirms_the_no():
    # Found by the property above (a random run): "not anymore" parsed as a plain yes, so it
    # accepted "I heard no. Is that right?" and the screening went on to a stretch.
    row = next(r for r in ANSWER_ROWS if r["phrase"] == "not anymore")
    events = [(PLAIN_NO[0], 0.4), (row, 1.0)] + [(PLAIN_NO[0], 1.0)] * 16
    run_dialogue(CONTENT, events, History(first_use=True, full_screening_due=True))


def test_the_text_property_is_not_vacuous():
    events = [(PLAIN_NO[0], 1.0)] * 15 + [({"phrase": "skip", "intent": "next"}, 1.0)]
    said = run_dialogue(CONTENT, events, History())
    assert said.state not in SCREENING_STATES and said.context == "exercise"


def test_the_text_property_fails_when_the_parser_is_loosened():
    # Mutation check: the same property, with the loose parser the issue found, must find a dialogue
    # that reaches a stretch on words that were not a plain no.
    loose = dataclasses.replace(CONTENT, intents=loosened_table())

    # derandomize: a fixed sequence of examples, so this check cannot pass or fail by luck (with
    # random ones, 500 examples missed the loose parser about 1 run in 25).
    @settings(max_examples=500, deadline=None, database=None, report_multiple_bugs=False, derandomize=True)
    @given(dialogue)
    def property_with_loose_parser(events):
        run_dialogue(loose, events, History(first_use=True, full_screening_due=True))

    with pytest.raises(AssertionError, match="exercise"):
        property_with_loose_parser()
