"""The coach's content, loaded from TOML and checked before anything is spoken.

Routines, screening questions and phrases are data (data/*.toml). A malformed file is
rejected with a ContentError naming the file, the field and what is wrong.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from voicecoach.ears.intents import IntentTable, load_intent_table
from voicecoach.store.content_errors import ContentError
from voicecoach.store.toml_input import InputError, parse_toml, read_toml, short, unknown_key

TIER_ORDER = ("emergency", "professional", "avoid")  # most urgent first
LONGEST_HOLD_S = 30  # no exercise, built in or a user's own, holds longer (product choice)


@dataclass(frozen=True)
class HoldRange:
    """The safe range of a hold, in seconds."""

    min_s: int
    max_s: int
    default_s: int

    def clamp(self, seconds: float) -> int:
        return int(min(self.max_s, max(self.min_s, round(seconds))))


@dataclass(frozen=True)
class Exercise:
    id: str
    name: str
    intro: str
    position: tuple[str, ...]  # lines that get the user into the start position
    move: str  # "{side}" is filled in
    hold: str  # "{seconds}" is filled in
    release: str  # "{side}" is filled in
    sides: tuple[str, ...]
    rounds: int
    hold_s: HoldRange
    cues: tuple[str, ...]  # short breathing cues spoken during a hold


@dataclass(frozen=True)
class Routine:
    name: str
    cue_interval_s: float
    count_at_s: tuple[int, ...]
    exercises: tuple[Exercise, ...]


@dataclass(frozen=True)
class Tier:
    id: str
    label: str
    advice: str


@dataclass(frozen=True)
class Question:
    id: str
    tier: str
    ask: tuple[str, ...]  # first wording, then the wordings used to ask again
    topic: str  # a few words naming what was asked, for the reminder after a screen-out


@dataclass(frozen=True)
class Screening:
    intro_full: tuple[str, ...]
    intro_short: tuple[str, ...]
    changed: tuple[str, ...]
    changed_full_intro: str
    cleared: str
    unsure_advice: str
    no_answer: str
    confirm_no: tuple[str, ...]
    remind_yes: str  # {topic}, {advice}
    remind_unsure: str
    remind_ask: tuple[str, ...]
    remind_kept: str
    remind_retracted: str
    tiers: dict[str, Tier]
    questions: tuple[Question, ...]  # emergency tier first

    def tier_of(self, question: Question) -> Tier:
        return self.tiers[question.tier]

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True)
class Phrases:
    lines: dict[str, tuple[str, ...]]
    teaching: frozenset[str]  # keys of lines allowed to contain command words

    def say(self, key: str, attempt: int = 0, /, **fields: object) -> str:
        """Wording number `attempt` of line `key` (cycling), with its fields filled in."""
        wordings = self.lines[key]
        return wordings[attempt % len(wordings)].format(**fields)


@dataclass(frozen=True)
class Content:
    routine: Routine
    screening: Screening
    phrases: Phrases
    intents: IntentTable


class _Fields:
    """Reads one TOML table and reports faults as file: field: problem."""

    def __init__(self, data: object, source: str, prefix: str = "") -> None:
        if not isinstance(data, dict):
            raise ContentError(source, prefix or "(file)", "must be a table")
        self.data, self.source, self.prefix = data, source, prefix

    def _name(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def fail(self, key: str, problem: str) -> ContentError:
        return ContentError(self.source, self._name(key), problem)

    def only(self, *known: str) -> _Fields:
        """Refuse a key this table does not have, naming the nearest known one."""
        for key in self.data:
            if key not in known:
                raise ContentError(self.source, self.prefix or "(file)", unknown_key(key, known))
        return self

    def get(self, key: str) -> object:
        if key not in self.data:
            raise self.fail(key, "missing")
        return self.data[key]

    def text(self, key: str, fields: tuple[str, ...] = ()) -> str:
        value = self.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        self._check_fields(key, value, fields)
        return value

    def texts(self, key: str, fields: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(key, "must be a non-empty list of non-empty strings")
        for v in value:
            self._check_fields(key, v, fields)
        return tuple(value)

    def number(self, key: str, low: float, high: float, integer: bool = False) -> float:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
            raise self.fail(key, f"must be {'a whole number' if integer else 'a number'}, got {short(value)}")
        if not low <= value <= high:
            raise self.fail(key, f"must be between {low} and {high}, got {value}")
        return value

    def table(self, key: str) -> _Fields:
        return _Fields(self.get(key), self.source, self._name(key))

    def _check_fields(self, key: str, text: str, allowed: tuple[str, ...]) -> None:
        try:
            parts = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text)
                     if name is not None]
        except ValueError as exc:
            raise self.fail(key, f"bad placeholder in {text[:60]!r}: {exc}") from None
        for name, spec, conversion in parts:
            if spec or conversion or not name.isidentifier():
                # "{seconds:>1000000000}" would build a gigabyte; "{seconds.x}" fails only when spoken
                raise self.fail(key, f"placeholders are plain names such as {{seconds}}, got {{{name[:20]}...}}")
        used = {name for name, _, _ in parts}
        unknown = used - set(allowed)
        if unknown:
            allowed_text = ", ".join("{" + a + "}" for a in allowed) or "none"
            raise self.fail(key, f"unknown placeholder {{{sorted(unknown)[0]}}} (allowed: {allowed_text})")


def _read_toml(path: Path | None, packaged: str) -> tuple[dict, str]:
    try:
        if path is None:
            return parse_toml(resources.files("voicecoach.data").joinpath(packaged).read_bytes()), packaged
        return read_toml(Path(path)), str(path)
    except InputError as exc:
        raise ContentError(str(path or packaged), "(file)", str(exc)) from None


def load_routine(path: str | Path | None = None) -> Routine:
    """The packaged default routine, or a user's routine file in the same format."""
    data, source = _read_toml(Path(path) if path else None, "routine.toml")
    top = _Fields(data, source).only("name", "cue_interval_s", "count_at_s", "exercises")
    raw_exercises = top.get("exercises")
    if not isinstance(raw_exercises, list) or not raw_exercises or len(raw_exercises) > 20:
        raise top.fail("exercises", "must list one to twenty exercises ([[exercises]])")
    exercises = tuple(_exercise(_Fields(e, source, f"exercises[{i}]")) for i, e in enumerate(raw_exercises))
    ids = [e.id for e in exercises]
    if len(set(ids)) != len(ids):
        raise top.fail("exercises", "exercise ids must be unique")
    counts = top.get("count_at_s") if "count_at_s" in data else []
    if not isinstance(counts, list) or len(counts) > 10 or \
            not all(isinstance(c, int) and not isinstance(c, bool) and 0 < c <= 60 for c in counts):
        raise top.fail("count_at_s", "must be a short list of whole seconds, 1 to 60")
    if path is not None:
        _check_safe_ranges(exercises, top)
    return Routine(
        name=top.text("name"),
        cue_interval_s=top.number("cue_interval_s", 2, 30),
        count_at_s=tuple(sorted(counts, reverse=True)),
        exercises=exercises,
    )


def _check_safe_ranges(exercises: tuple[Exercise, ...], top: _Fields) -> None:
    """A user's routine keeps the built-in exercises within the source document's hold ranges."""
    built_in = {e.id: e.hold_s for e in load_routine().exercises}
    for i, exercise in enumerate(exercises):
        safe = built_in.get(exercise.id)
        held = exercise.hold_s
        if safe is not None and not (safe.min_s <= held.min_s and held.max_s <= safe.max_s):
            raise top.fail(f"exercises[{i}].hold_s", f"{exercise.id} holds for {safe.min_s}-{safe.max_s} s, the "
                           f"source's safe range; got {held.min_s}-{held.max_s}")


def _exercise(f: _Fields) -> Exercise:
    f.only("id", "name", "intro", "position", "move", "hold", "release", "sides", "rounds", "hold_s", "cues")
    hold = f.table("hold_s").only("min", "max", "default")
    low = hold.number("min", 1, LONGEST_HOLD_S, integer=True)
    high = hold.number("max", 1, LONGEST_HOLD_S, integer=True)
    default = hold.number("default", low, high, integer=True)
    if low > high:
        raise hold.fail("min", f"must not be above max ({low} > {high})")
    return Exercise(
        id=f.text("id"),
        name=f.text("name"),
        intro=f.text("intro"),
        position=f.texts("position"),
        move=f.text("move", ("side",)),
        hold=f.text("hold", ("seconds",)),
        release=f.text("release", ("side",)),
        sides=f.texts("sides"),
        rounds=int(f.number("rounds", 1, 10, integer=True)),
        hold_s=HoldRange(int(low), int(high), int(default)),
        cues=f.texts("cues"),
    )


def load_screening(path: str | Path | None = None) -> Screening:
    data, source = _read_toml(Path(path) if path else None, "screening.toml")
    top = _Fields(data, source).only(
        "intro_full", "intro_short", "changed", "changed_full_intro", "cleared", "unsure_advice", "no_answer",
        "confirm_no", "remind_yes", "remind_unsure", "remind_ask", "remind_kept", "remind_retracted", "tiers",
        "questions")
    tiers_table = top.table("tiers").only(*TIER_ORDER)
    tiers = {}
    for tier_id in TIER_ORDER:
        t = tiers_table.table(tier_id).only("label", "advice")
        tiers[tier_id] = Tier(tier_id, t.text("label"), t.text("advice"))
    raw_questions = top.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions or len(raw_questions) > 50:
        raise top.fail("questions", "must list one to fifty questions ([[questions]])")
    questions = []
    for i, raw in enumerate(raw_questions):
        q = _Fields(raw, source, f"questions[{i}]").only("id", "topic", "tier", "ask")
        tier = q.text("tier")
        if tier not in tiers:
            raise q.fail("tier", f"must be one of {', '.join(TIER_ORDER)}, got {short(tier)}")
        questions.append(Question(q.text("id"), tier, q.texts("ask"), q.text("topic")))
    if not any(q.tier == "emergency" for q in questions):
        raise top.fail("questions", "needs at least one emergency question")
    questions.sort(key=lambda q: TIER_ORDER.index(q.tier))  # emergency first, then the rest in file order
    return Screening(
        intro_full=top.texts("intro_full"),
        intro_short=top.texts("intro_short"),
        changed=top.texts("changed"),
        changed_full_intro=top.text("changed_full_intro"),
        cleared=top.text("cleared"),
        unsure_advice=top.text("unsure_advice"),
        no_answer=top.text("no_answer"),
        confirm_no=top.texts("confirm_no"),
        remind_yes=top.text("remind_yes", ("topic", "advice")),
        remind_unsure=top.text("remind_unsure", ("topic", "advice")),
        remind_ask=top.texts("remind_ask"),
        remind_kept=top.text("remind_kept"),
        remind_retracted=top.text("remind_retracted"),
        tiers=tiers,
        questions=tuple(questions),
    )


# Every phrase key the session uses, with the placeholders each may contain.
PHRASE_FIELDS: dict[str, tuple[str, ...]] = {
    "rating_ack": ("value",), "hold_count": ("seconds",), "longer": ("seconds",), "shorter": ("seconds",),
    "longest": ("seconds",), "shortest": ("seconds",), "how_long_hold": ("seconds",),
    "how_long_session": ("minutes",), "how_long_nearly_done": ("minutes",), "how_long_screening": ("index", "count"),
    "longer_next": ("seconds",), "shorter_next": ("seconds",),
    "progress_one": ("before", "after"), "progress_trend": ("count", "before", "after"),
    "progress_change": ("count", "first", "last"),
}
PHRASE_KEYS = (
    "waiting", "start", "disclaimer", "how_to_talk", "rating_before", "rating_after", "rating_ack",
    "rating_skipped", "rules_intro", "rules", "rules_pain", "ready_prompt", "check_in", "asleep_end",
    "hold_count", "hold_done", "side_change", "round_next", "pause_ack", "resume_ack", "stop_ack",
    "stop_menu", "restart_side", "confirm_stop", "not_heard_end", "lost_hearing", "shutting_down",
    "check_prompt", "no_microphone", "internal_error", "pain_release", "pain_question",
    "pain_advice_serious", "pain_advice", "help_exercise", "help_yesno", "help_rating", "why", "unclear",
    "slower", "faster", "slowest", "fastest", "louder", "quieter", "loudest", "quietest", "longer",
    "shorter", "longest", "shortest", "how_long_hold", "how_long_session", "how_long_screening",
    "progress_none", "progress_one", "progress_trend", "progress_change", "end_early", "praise",
    "close_reminder", "goodbye", "answer_after_hold", "journal_failed", "how_long_nearly_done",
    "longer_next", "shorter_next", "shutting_down_resting", "lost_hearing_resting", "why_screening",
)


def load_phrases(path: str | Path | None = None) -> Phrases:
    data, source = _read_toml(Path(path) if path else None, "phrases.toml")
    top = _Fields(data, source).only("teaching", "lines")
    lines_table = top.table("lines").only(*PHRASE_KEYS)
    lines = {key: lines_table.texts(key, PHRASE_FIELDS.get(key, ())) for key in PHRASE_KEYS}
    teaching = top.texts("teaching")
    for key in teaching:
        if key not in lines:
            raise top.fail("teaching", f"{short(key)} is not a phrase key")
    return Phrases(lines=lines, teaching=frozenset(teaching))


def load_content(routine_path: str | Path | None = None) -> Content:
    """All content, checked: the packaged files, with the user's routine if one is given."""
    return Content(
        routine=load_routine(routine_path),
        screening=load_screening(),
        phrases=load_phrases(),
        intents=load_intent_table(),
    )
