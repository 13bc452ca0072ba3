#!/usr/bin/env python3
"""Barge-in and false-clear benchmark, in the virtual bedside.

Usage:
    .venv/bin/python scripts/bench_bargein.py [--data DIR] [--ser 6,0,-6] [--only bargein|self|clears]

1. Barge-in: human "stop" recordings (../shared/data, never copied) said over the coach's
   narration in the middle of a move instruction, at several signal-to-echo ratios (the
   user's level at the microphone against the coach's): stop recall, and latency from the
   end of the spoken word to the coach's silence (median, p95).
2. Self-triggering: a whole default session answered by a synthesized user, with the coach's
   own narration fed back into the microphone: commands the listener took from anything but
   the user (target zero), and what the echo handling ignored.
3. False clears: the first red-flag question answered "yes" by human recordings (and any
   read-back answered "no"), under noise and echo: how often the session goes on as if the
   answer were no (target zero).
Every rate comes with its count and a 95% Wilson interval.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voicecoach.bedside import BedsideParts, run_bedside  # noqa: E402
from voicecoach.content import load_content  # noqa: E402
from voicecoach.recognizers import make_recognizer, vocabularies_from_table  # noqa: E402
from voicecoach.room import RoomSettings  # noqa: E402
from voicecoach.scenario import Cue, Scenario, UserVoice, load_scenario  # noqa: E402
from voicecoach.session import History  # noqa: E402
from voicecoach.stats import rate  # noqa: E402
from voicecoach.tts import EspeakRenderer  # noqa: E402
from voicecoach.tts_cache import TtsCache  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "speech_commands_sample"
COACH_LEVEL_DBFS = -26.0  # the coach's voice at the microphone, roughly, at the default volume and room


def parts(content, cache, **kw) -> BedsideParts:
    recognizer = make_recognizer(vocabularies_from_table(content.intents), engine="pocketsphinx")
    return BedsideParts(recognizer=recognizer, coach_renderer=EspeakRenderer(), user_renderer=EspeakRenderer(),
                        cache=cache, **kw)


DEMO_USER = UserVoice(voice="en-us+f2", rate_wpm=160)  # the demo's user: heard well by the embedded engine
CLEARING = (Cue("no never", after="question:"), Cue("yes", after="confirm_no"), Cue("i'm ready", after="ready_prompt"),
            Cue("yes", after="confirm_stop"))


def bargein(content, cache, clips: list[Path], sers: list[float]) -> None:
    print("## barge-in: human 'stop' over the coach's move instruction")
    returning = History(first_use=False, full_screening_due=False)
    for ser in sers:
        as_stop, as_unclear, latencies = 0, 0, []
        for clip in clips:
            cues = [Cue("skip", after="rating_before"),
                    Cue("stop", during="move:knee_to_chest", offset_s=2.0, wav=str(clip),
                        level_dbfs=COACH_LEVEL_DBFS + ser)]
            result = run_bedside(content, Scenario(cues, RoomSettings(), DEMO_USER, replies=CLEARING),
                                 parts(content, cache), history=returning, start_now=True)
            said = next((c for c in result.user if c.text == "stop"), None)
            if said is None:
                continue  # the session never got to the stretch
            after = [l for l in result.timeline if said.start_s <= l.start_s <= said.end_s + 2.0]
            notes = [l.note for l in after if l.who == "you"]
            silenced = [t - said.end_s for t in result.silenced_at if said.start_s <= t <= said.end_s + 2.0]
            if silenced and "stop" in notes:
                as_stop += 1
            elif silenced and "unclear" in notes:
                as_unclear += 1
            if silenced:
                latencies.append(silenced[0])
        n = len(clips)
        med = f"{1000 * statistics.median(latencies):.0f} ms" if latencies else "n/a"
        p95 = f"{1000 * sorted(latencies)[int(0.95 * (len(latencies) - 1))]:.0f} ms" if latencies else "n/a"
        print(f"  SER {ser:+4.0f} dB: heard as stop {rate(as_stop, n)}; as unclear (paused, asked) "
              f"{rate(as_unclear, n)}; end of word to silence median {med}, p95 {p95} (n={len(latencies)})")


def self_triggering(content, cache) -> None:
    print("## self-triggering: a whole default session with the coach's voice fed back")
    scenario = load_scenario()
    started = time.perf_counter()
    result = run_bedside(content, scenario, parts(content, cache))
    user_times = [(c.start_s, c.end_s + 1.0) for c in result.user]
    heard = [l for l in result.timeline if l.who == "you"]
    foreign = [l for l in heard if not any(a <= l.start_s <= b for a, b in user_times)]
    commands = [l for l in foreign if l.note not in ("unclear",)]
    length = max((l.end_s for l in result.timeline), default=0.0)
    print(f"  session of {length:.0f} s, outcome {result.outcome.outcome if result.outcome else None}; "
          f"wall {time.perf_counter() - started:.1f} s")
    print(f"  commands not from the user: {len(commands)} {[(round(l.start_s, 1), l.text) for l in commands]}")
    print(f"  unclear not from the user: {len(foreign) - len(commands)}; ignored as the coach's own words: "
          f"{len(result.ignored)}")


def false_clears(content, cache, yes_clips: list[Path], no_clips: list[Path]) -> None:
    print("## false clears: first red flag answered 'yes' by human voices, read-backs answered 'no'")
    returning = History(first_use=False, full_screening_due=True)
    first = content.screening.questions[0]
    conditions = [("quiet", RoomSettings(noise_dbfs=-60)), ("noisy", RoomSettings(noise_dbfs=-40)),
                  ("loud echo", RoomSettings(echo_gain=1.0, noise_dbfs=-50))]
    for name, room in conditions:
        cleared = screened = other = 0
        for i, clip in enumerate(yes_clips):
            no_clip = no_clips[i % len(no_clips)]
            replies = (Cue("yes", after=f"question:{first.id}", wav=str(clip), level_dbfs=-24.0),
                       Cue("no", after="confirm_no", wav=str(no_clip), level_dbfs=-24.0))
            result = run_bedside(content, Scenario([], room, DEMO_USER, replies=replies), parts(content, cache),
                                 history=returning, start_now=True, listen_at_least_s=90.0)
            asked = [l.key for l in result.timeline if l.who == "coach" and l.key.startswith("question:")]
            if any(k != f"question:{first.id}" for k in asked):
                cleared += 1
            elif result.outcome and result.outcome.outcome == "screened_out":
                screened += 1
            else:
                other += 1
        n = len(yes_clips)
        print(f"  {name:9s}: went on as if cleared {rate(cleared, n)}; screened out {rate(screened, n)}; "
              f"ended without an answer {rate(other, n)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--ser", default="6,0,-6", help="signal-to-echo ratios, dB")
    parser.add_argument("--only", choices=("bargein", "self", "clears"))
    args = parser.parse_args()
    content = load_content()
    cache = TtsCache()
    if args.only in (None, "self"):
        self_triggering(content, cache)
    if args.only in (None, "bargein", "clears"):
        if not args.data.is_dir():
            print(f"no recordings at {args.data}: skipping the human-voice parts")
            return 0
        if args.only in (None, "bargein"):
            bargein(content, cache, sorted((args.data / "stop").glob("*.wav")),
                    [float(s) for s in args.ser.split(",")])
        if args.only in (None, "clears"):
            false_clears(content, cache, sorted((args.data / "yes").glob("*.wav")),
                         sorted((args.data / "no").glob("*.wav")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
