"""Property: whatever the user says, a red flag answered yes, not sure or unclearly never leads to a stretch."""

from hypothesis import given, settings
from hypothesis import strategies as st

from voicecoach.actions import Say
from voicecoach.content import load_content
from voicecoach.intents import INTENT_NAMES, Intent
from voicecoach.session import History, Session, State

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
