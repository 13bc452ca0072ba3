#!/usr/bin/env python3
"""Whole-screening benchmark: the first-use safety screening answered by real human voices.

    .venv/bin/python scripts/bench_screening.py [--sessions 10] [--seed 1] [--engine NAME] [--half report|tune]

Each session runs in the virtual bedside with the real recognizer (the default engine unless
--engine), the demo's room (echo at the demo's level, quiet noise) and espeak-ng's coach
voice. Every safety question is answered by a human "no" from ../shared/data (one clip per
question, drawn at random from the chosen half of the speakers, as bench_recognition.py splits
them), and a read-back ("You said no: is that right?") by a human "yes". A question asked again
hears the same clip, so a miss repeats: the figure is pessimistic. After the screening the user
(espeak-ng) skips the rating and says "finish". Printed: how many screenings were cleared (and
how the others ended), coach lines and seconds the screening took (median, range), read-backs,
and the time from the end of each answer to the coach's reply: the virtual bedside's end-pointing
on its clock plus the decoding as timed on this machine (BedsideResult.reply_latencies_s).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_recognition import speaker, speaker_split  # noqa: E402

from voicecoach.cli import screening_figures, screening_summary  # noqa: E402
from voicecoach.ears.engines import make_recognizer, vocabularies_from_table  # noqa: E402
from voicecoach.sim.bedside import BedsideParts, run_bedside  # noqa: E402
from voicecoach.sim.scenario import Cue, Scenario, load_scenario  # noqa: E402
from voicecoach.stats import rate, timing  # noqa: E402
from voicecoach.store.content import load_content  # noqa: E402
from voicecoach.types import History  # noqa: E402
from voicecoach.voice.cache import TtsCache  # noqa: E402
from voicecoach.voice.renderers import EspeakRenderer  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "speech_commands_sample"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engine", default=None, help="recognizer engine (default: make_recognizer's choice)")
    parser.add_argument("--half", choices=("report", "tune"), default="report", help="which speakers answer")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"bench_screening: no recordings at {args.data}; nothing to measure", file=sys.stderr)
        return 0
    files = sorted(str(p) for p in args.data.glob("*/*.wav"))
    tune = speaker_split(files)
    pick = {w: [f for f in files if Path(f).parent.name == w and (speaker(f) in tune) == (args.half == "tune")]
            for w in ("no", "yes")}
    recognizer = make_recognizer(vocabularies_from_table(CONTENT.intents), engine=args.engine)
    parts = BedsideParts(recognizer=recognizer, coach_renderer=EspeakRenderer(), user_renderer=EspeakRenderer(),
                         cache=TtsCache())
    demo = load_scenario()
    questions = [q.id for q in CONTENT.screening.questions]
    print(f"# recognizer: {recognizer.name} (with its own read-back threshold); {args.sessions} sessions; "
          f"{len(questions)} questions answered by {len(pick['no'])} human 'no' clips of the {args.half} half "
          f"({len(pick['yes'])} 'yes' clips for read-backs); seed {args.seed}")
    rng = random.Random(args.seed)
    outcomes, numbers, replies_s = [], [], []
    for i in range(args.sessions):
        replies = tuple(Cue("no", after=f"question:{q}", wav=rng.choice(pick["no"])) for q in questions)
        replies += (Cue("yes", after="confirm_no", wav=rng.choice(pick["yes"])), Cue("skip", after="rating_before"),
                    Cue("finish", after="ready_prompt"))
        started = time.perf_counter()
        result = run_bedside(CONTENT, Scenario([], demo.room, demo.user, replies=replies), parts, history=History(),
                             start_now=True, listen_at_least_s=1200.0)
        said = [l.key for l in result.timeline if l.who == "coach" and not l.dropped]
        cleared = "rating_before" in said or "ready_prompt" in said
        ended = result.outcome.outcome if result.outcome is not None else "still running"
        outcomes.append("cleared" if cleared else ended)
        replies_s += result.reply_latencies_s()
        figures = screening_figures(result.timeline)
        if figures is not None and cleared:
            numbers.append((figures[0], figures[2], figures[3]))
        print(f"  session {i + 1}: {'cleared' if cleared else 'not cleared: ' + ended}; "
              f"{screening_summary(result.timeline, CONTENT)} (wall {time.perf_counter() - started:.0f} s)", flush=True)
    n = len(outcomes)
    print(f"screenings cleared: {rate(outcomes.count('cleared'), n)}; others: "
          f"{ {o: outcomes.count(o) for o in set(outcomes) if o != 'cleared'} or 'none'}")
    if numbers:
        lines, readbacks, seconds = zip(*numbers, strict=True)
        print(f"cleared screenings ({len(numbers)}): coach lines median {statistics.median(lines):.0f} "
              f"(range {min(lines)}-{max(lines)}, {len(questions)} questions); read-backs median "
              f"{statistics.median(readbacks):.0f} (range {min(readbacks)}-{max(readbacks)}); seconds median "
              f"{statistics.median(seconds):.0f} (range {min(seconds):.0f}-{max(seconds):.0f})")
    print(f"end of an answer to the coach's reply, as on this machine in real time (bar: median 400 ms): "
          f"{timing(replies_s)}")
    return 0


CONTENT = load_content()

if __name__ == "__main__":
    sys.exit(main())
