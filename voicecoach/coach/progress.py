"""The one-sentence answer to "how am I doing?", from past stiffness ratings."""

from __future__ import annotations

from voicecoach.store.content import Phrases


def progress_sentence(phrases: Phrases, ratings: list[tuple[int | None, int | None]]) -> str:
    """`ratings` holds (before, after) per past session, oldest first; None where skipped."""
    rated = [(b, a) for b, a in ratings if b is not None or a is not None]
    if not rated:
        return phrases.say("progress_none")
    befores = [b for b, _ in rated if b is not None]
    if len(befores) >= 3 and befores[0] != befores[-1]:
        return phrases.say("progress_change", count=len(rated), first=befores[0], last=befores[-1])
    pairs = [(b, a) for b, a in rated if b is not None and a is not None]
    if len(pairs) == 1 or (pairs and len(rated) == 1):
        before, after = pairs[-1]
        return phrases.say("progress_one", before=before, after=after)
    if pairs:
        mean_before = round(sum(b for b, _ in pairs) / len(pairs))
        mean_after = round(sum(a for _, a in pairs) / len(pairs))
        return phrases.say("progress_trend", count=len(pairs), before=mean_before, after=mean_after)
    return phrases.say("progress_none")
