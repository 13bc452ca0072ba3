"""Recognized text to intents, per recognition context (PRODUCT.md §2 and §4).

The phrases live in data/intents.toml. Matching is on whole words, longest phrase
first, so "stopwatch" is not "stop", "wow" is not "ow" and "not sure" is not "sure".
Safety order for mixed utterances: pain beats stop, stop beats everything else.
In the yesno context the whole utterance is judged as an answer (answers.py): only a
plain "no" is a no.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from voicecoach.ears.answers import KINDS as ANSWER_KINDS
from voicecoach.ears.answers import AnswerRules
from voicecoach.store.content_errors import ContentError
from voicecoach.store.toml_input import InputError, check_keys, parse_toml, read_toml, short, unknown_key
from voicecoach.types import CONTEXTS, Intent

INTENT_NAMES = (
    "stop", "pain", "pause", "resume", "next", "repeat", "slower", "faster", "louder", "quieter",
    "longer", "shorter", "how_long", "help", "why", "progress", "end", "yes", "no", "unsure",
    "start", "number",
)
# While waiting, more words than this around a start phrase mean it was part of a sentence
# ("it is time to start the car"). Said alone, start phrases came with 0-2 stray words
# (a misheard "good" of "good morning coach"); in radio sentences, 3-14 (scripts/bench_device.py).
START_AMID_WORDS = 2
UNCLEAR = "unclear"


def normalize(text: str) -> list[str]:
    """Lower-case words without punctuation; apostrophes dropped ("Don't" -> "dont")."""
    text = text.lower().replace("\u2019", "'").replace("'", "")
    return re.findall(r"[a-z0-9]+", text)


@dataclass(frozen=True)
class IntentTable:
    """Phrases of each intent and the intents each context listens for."""

    phrases: dict[tuple[str, ...], str]  # normalized phrase -> intent name
    spoken: dict[str, tuple[str, ...]]  # intent name -> its phrases as written, lower-case
    contexts: dict[str, tuple[str, ...]]  # context -> intent names
    negators: frozenset[tuple[str, ...]]
    ignore: frozenset[tuple[str, ...]]
    numbers: dict[str, int]  # number word -> value
    answers: AnswerRules  # how a yes/no answer is judged
    symptoms: frozenset[tuple[str, ...]]  # pain phrases that, inside an answer, describe a symptom

    def vocabulary(self, context: str) -> list[str]:
        """The phrases a recognizer should listen for in `context`, lower-case words."""
        allowed = self._intents_of(context)
        words = [phrase for name in allowed for phrase in self.spoken.get(name, ())]
        if "number" in allowed:
            words += list(self.numbers)
        return sorted(set(words))

    def parse(self, text: str, context: str) -> Intent | None:
        """The intent of `text` in `context`; None when nothing was said at all."""
        allowed = self._intents_of(context)
        tokens = normalize(text)
        if not tokens:
            return None
        if context == "yesno":
            return self._parse_answer(tokens, text, allowed)
        found, negated = self._commands(tokens, text, allowed)
        return self._decide(found, negated, text)

    def _commands(self, tokens: list[str], text: str, allowed: tuple[str, ...]) -> tuple[list[Intent], bool]:
        """The intents of `allowed` found in `tokens`, and whether one of them was negated."""
        found: list[Intent] = []
        negated = False
        i = 0
        while i < len(tokens):
            length, name, value = self._longest_match(tokens, i)
            if length == 0:
                i += 1
                continue
            if name in allowed and self._negated_before(tokens, i) and name not in ("yes", "no", "unsure", "number"):
                # "don't stop": not a command. Only its first word is used up, so the
                # rest can still count ("don't stop, it hurts" is pain).
                negated = True
                i += 1
                continue
            if name in allowed:
                found.append(Intent(name, value, text, tuple(tokens[i:i + length])))
            i += length
        return found, negated

    def _parse_answer(self, tokens: list[str], text: str, allowed: tuple[str, ...]) -> Intent:
        """An answer to a yes/no question: stop and pain first, then the whole answer judged."""
        commands = [c for c in self._commands(tokens, text, allowed)[0] if c.name not in ("yes", "no", "unsure")]
        said = self.answers.without_fillers(tokens)
        whole = [c for c in self._commands(said, text, allowed)[0] if list(c.words) == said]
        alone = bool(whole)  # one command is all that was said, fillers aside
        for urgent in ("pain", "stop"):
            hits = [c for c in commands if c.name == urgent]
            if urgent == "pain" and not alone:
                # "yes, the pain goes down my leg" answers the question; "it hurts" still stops.
                hits = [c for c in hits if c.words not in self.symptoms]
            if hits:
                return Intent(urgent, None, text)
        if alone and whole[0].name in ("repeat", "help", "why"):
            return Intent(whole[0].name, None, text, whole[0].words)
        name = self.answers.judge(tokens)
        return Intent(name, None, text, plain=self.answers.plain(tokens))

    def _intents_of(self, context: str) -> tuple[str, ...]:
        try:
            return self.contexts[context]
        except KeyError:
            raise ValueError(f"unknown recognition context {context!r}; one of {', '.join(CONTEXTS)}") from None

    def _longest_match(self, tokens: list[str], start: int) -> tuple[int, str | None, int | None]:
        for length in range(min(6, len(tokens) - start), 0, -1):
            words = tuple(tokens[start:start + length])
            if words in self.ignore:
                return length, None, None
            if words in self.phrases:
                return length, self.phrases[words], None
        word = tokens[start]
        if word in self.numbers:
            return 1, "number", self.numbers[word]
        if word.isdigit() and int(word) <= 10:
            return 1, "number", int(word)
        return 0, None, None

    def _negated_before(self, tokens: list[str], start: int) -> bool:
        return any(tuple(tokens[max(0, start - len(n)):start]) == n for n in self.negators)

    @staticmethod
    def _decide(found: list[Intent], negated: bool, text: str) -> Intent:
        names = {intent.name for intent in found}
        for urgent in ("pain", "stop"):  # safety first, whatever else was said
            if urgent in names:
                return Intent(urgent, None, text)
        if negated or len(names) != 1:
            return Intent(UNCLEAR, None, text)
        values = {intent.value for intent in found}
        if len(values) != 1:  # "five or six"
            return Intent(UNCLEAR, None, text)
        return found[0]


@functools.cache
def packaged_intent_table() -> IntentTable:
    """The packaged intent table, loaded once (what text sources parse with by default)."""
    return load_intent_table()


def load_intent_table(path: str | Path | None = None) -> IntentTable:
    """Load and check the intent phrases; the packaged data/intents.toml by default."""
    source = "intents.toml" if path is None else str(path)
    try:
        data = (parse_toml(resources.files("voicecoach.data").joinpath("intents.toml").read_bytes()) if path is None
                else read_toml(Path(path)))
        check_keys(data, ("negators", "ignore", "contexts", "intents", "numbers", "answers"), "")
    except InputError as exc:
        raise ContentError(source, "(file)", str(exc)) from None
    phrases: dict[tuple[str, ...], str] = {}
    spoken: dict[str, tuple[str, ...]] = {}
    for name, examples in _table(data, "intents", source).items():
        if name not in INTENT_NAMES:
            raise ContentError(source, f"intents.{name}", "not an intent name of PRODUCT.md §2")
        for phrase in _strings(examples, f"intents.{name}", source):
            key = tuple(normalize(phrase))
            if key in phrases and phrases[key] != name:
                raise ContentError(source, f"intents.{name}", f"{short(phrase)} is also a phrase of {phrases[key]!r}")
            phrases[key] = name
        spoken[name] = tuple(" ".join(phrase.lower().replace("\u2019", "'").split()) for phrase in examples)
    contexts = {}
    for context, names in _table(data, "contexts", source).items():
        if context not in CONTEXTS:
            raise ContentError(source, "contexts", unknown_key(context, CONTEXTS))
        for name in _strings(names, f"contexts.{context}", source):
            if name not in INTENT_NAMES:
                raise ContentError(source, f"contexts.{context}", f"unknown intent {short(name)}")
        contexts[context] = tuple(names)
    missing = set(CONTEXTS) - set(contexts)
    if missing:
        raise ContentError(source, "contexts", f"missing {', '.join(sorted(missing))}")
    numbers = {}
    for word, value in _table(data, "numbers", source).items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
            raise ContentError(source, f"numbers.{word}", "must be a whole number from 0 to 10")
        numbers[str(word)] = value
    answers_table = _table(data, "answers", source)
    answer_phrases = {kind: [tuple(normalize(p)) for p in _strings(answers_table.get(kind), f"answers.{kind}", source)]
                      for kind in ANSWER_KINDS}
    for key in answers_table:
        if key not in (*ANSWER_KINDS, "symptoms"):
            raise ContentError(source, f"answers.{key}", f"unknown key (known: {', '.join(ANSWER_KINDS)}, symptoms)")
    try:
        answers = AnswerRules.from_phrases(answer_phrases)
    except ValueError as exc:
        raise ContentError(source, "answers", str(exc)) from None
    symptoms = frozenset(tuple(normalize(p)) for p in _strings(answers_table.get("symptoms"), "answers.symptoms", source))
    return IntentTable(
        phrases=phrases,
        spoken=spoken,
        contexts=contexts,
        negators=frozenset(tuple(normalize(n)) for n in _strings(data.get("negators", []), "negators", source)),
        ignore=frozenset(tuple(normalize(n)) for n in _strings(data.get("ignore", []), "ignore", source)),
        numbers=numbers,
        answers=answers,
        symptoms=symptoms,
    )


def _table(data: dict, key: str, source: str) -> dict:
    value = data.get(key)
    if not isinstance(value, dict) or not value:
        raise ContentError(source, key, "missing or empty table")
    return value


def _strings(value: object, field: str, source: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and normalize(v) for v in value):
        raise ContentError(source, field, "must be a list of phrases, each with at least one word")
    return value
