"""Judging a spoken answer to a yes/no question the way a careful clinician would.

Only a plain "no" clears a red flag (PRODUCT.md §1.3). The answer is cut into phrases of the
[answers] table of data/intents.toml, longest first; a word that is none of them stays "other",
never skipped, so "no, but my legs are numb" cannot pass for "no". The rules, in order:

1. a doubt or memory phrase anywhere           -> unsure   ("no, I don't know", "I don't remember")
2. affirming and denying phrases together       -> unclear  ("yes and no", "no I do")
3. an affirming or partly affirming phrase      -> yes      ("yes, the pain goes down my leg", "a bit")
4. denials and fillers, and nothing else        -> no       ("no", "no, never", "no I haven't, thanks")
5. anything else                                -> unclear  ("no, but my legs are numb", "never, until now")

A negator right before an affirming phrase turns it into a denial ("not correct", "not true");
before a doubt it is still a doubt ("not as far as I know"); before a denial or a partial phrase
it makes the answer unclear ("not never", "not often").

An answer that clears something must be plain: a "no" to a red flag always is (rule 4), and a
"yes" that confirms a read-back of a "no" must be too (`plain`), since "not correct" misheard as
"that correct" would otherwise confirm a "no" that was never said. Only affirmations ("yes",
"that's right") are plain; admissions ("I do", "not anymore") say the symptom is or was there:
a yes to the question, never to "I heard no. Is that right?".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

YES, NO, UNSURE, UNCLEAR = "yes", "no", "unsure", "unclear"
KINDS = ("fillers", "denials", "affirmations", "admissions", "partial", "doubts", "negators")
AFFIRMING = ("affirmations", "admissions", "partial")  # a yes to a red-flag question


@dataclass(frozen=True)
class AnswerRules:
    """The [answers] phrase sets, each a set of normalized word tuples."""

    kinds: dict[tuple[str, ...], str]  # phrase -> its kind (one of KINDS)
    longest: int

    @classmethod
    def from_phrases(cls, phrases: Mapping[str, Iterable[tuple[str, ...]]]) -> AnswerRules:
        kinds: dict[tuple[str, ...], str] = {}
        for kind in KINDS:
            for phrase in phrases.get(kind, ()):
                if phrase in kinds and kinds[phrase] != kind:
                    raise ValueError(f"{' '.join(phrase)!r} is both {kinds[phrase]} and {kind}")
                kinds[phrase] = kind
        return cls(kinds, max((len(p) for p in kinds), default=1))

    def units(self, tokens: list[str]) -> list[str]:
        """The kind of each phrase of `tokens`, longest match first; "other" for an unknown word."""
        return [kind for kind, _ in self._phrases(tokens)]

    def without_fillers(self, tokens: list[str]) -> list[str]:
        """The words of `tokens` that are not fillers or politeness."""
        return [w for kind, words in self._phrases(tokens) if kind != "fillers" for w in words]

    def _phrases(self, tokens: list[str]) -> list[tuple[str, tuple[str, ...]]]:
        out, i = [], 0
        while i < len(tokens):
            for length in range(min(self.longest, len(tokens) - i), 0, -1):
                words = tuple(tokens[i:i + length])
                kind = self.kinds.get(words)
                if kind is not None:
                    out.append((kind, words))
                    i += length
                    break
            else:
                out.append(("other", (tokens[i],)))
                i += 1
        return out

    def judge(self, tokens: list[str]) -> str:
        """yes, no, unsure or unclear for a whole answer (normalized words, at least one)."""
        return self._judge(self._apply_negators(self.units(tokens)))

    def plain(self, tokens: list[str]) -> bool:
        """Whether the answer is nothing but yes (or nothing but no) words and fillers. A yes that
        clears something (a read-back of a "no") must be plain, as a no that clears must be:
        "that correct" (a misheard "not correct") confirms nothing."""
        units = self._apply_negators(self.units(tokens))
        return all(u in ("fillers", "affirmations") for u in units) or \
            all(u in ("fillers", "denials") for u in units)

    @staticmethod
    def _judge(units: list[str]) -> str:
        if "doubts" in units:
            return UNSURE
        affirms = any(u in AFFIRMING for u in units)
        denies = "denials" in units
        if affirms and denies:
            return UNCLEAR
        if affirms:
            return YES
        if denies and all(u in ("denials", "fillers") for u in units):
            return NO
        return UNCLEAR

    @staticmethod
    def _apply_negators(units: list[str]) -> list[str]:
        out: list[str] = []
        for unit in units:
            if out and out[-1] == "negators":
                out.pop()
                unit = {"affirmations": "denials", "doubts": "doubts", "fillers": "negators"}.get(unit, "other")
            out.append(unit)
        # A negator left standing negates nothing we understood: it is an unknown word.
        return ["other" if u == "negators" else u for u in out]
