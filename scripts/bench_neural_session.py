#!/usr/bin/env python3
"""A whole demo session by voice as the live coach runs it with the neural voice: the lines
prepared ahead in a low-priority child process, then the session in this process, playing them
from the cache (espeak-ng for any that is not ready), with Whisper listening.

    python scripts/bench_neural_session.py [--no-prepare] [--gains 1,2]

Prints: lines prepared and how long that took; per echo gain, the share of the session's lines
that espeak-ng said instead (target 0 after preparing), self-triggers (the coach cut off with
nobody speaking), the outcome; and the session process's peak memory (VmHWM, the neural voice
never loaded here).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicecoach import assemble  # noqa: E402
from voicecoach.ears.engines import make_recognizer, vocabularies_from_table  # noqa: E402
from voicecoach.sim.bedside import BedsideParts, run_bedside  # noqa: E402
from voicecoach.sim.scenario import load_scenario  # noqa: E402
from voicecoach.stats import rate  # noqa: E402
from voicecoach.store.config import build_config  # noqa: E402
from voicecoach.store.content import load_content  # noqa: E402
from voicecoach.types import History  # noqa: E402
from voicecoach.voice.cache import TtsCache  # noqa: E402
from voicecoach.voice.prepare import prepare_in_background  # noqa: E402
from voicecoach.voice.prepared import PreparedVoice  # noqa: E402
from voicecoach.voice.renderers import EspeakRenderer  # noqa: E402


def peak_mb() -> float:
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM"))
    return int(line.split()[1]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-prepare", action="store_true", help="start with nothing prepared (all espeak-ng)")
    parser.add_argument("--gains", default="1,2", help="echo gains, times the demo's")
    parser.add_argument("--cache", type=Path, default=None, help="speech cache folder (default: a fresh one)")
    args = parser.parse_args()
    content = load_content()
    config = build_config({}, content.routine, "defaults")
    with tempfile.TemporaryDirectory() as tmp:
        cache = TtsCache(args.cache or Path(tmp))
        if not args.no_prepare:
            lines = assemble.lines_to_prepare(content, History())
            started = time.perf_counter()
            job = prepare_in_background(lines, cache.directory, assemble.voice_settings(config))
            job.wait()
            print(f"prepared {job.progress()} lines in a child at {job.priority} priority: "
                  f"{time.perf_counter() - started:.0f} s" + (f" (error: {job.error})" if job.error else ""))
        scenario = load_scenario()
        recognizer = make_recognizer(vocabularies_from_table(content.intents))
        for gain in [float(g) for g in args.gains.split(",")]:
            voice = assemble.session_voice("auto", cache)
            assert isinstance(voice, PreparedVoice), "no neural voice installed"
            room = dataclasses.replace(scenario.room, echo_gain=scenario.room.echo_gain * gain)
            parts = BedsideParts(recognizer=recognizer, coach_renderer=voice, user_renderer=EspeakRenderer(),
                                 cache=None, coach_voice=assemble.voice_settings(config))
            result = run_bedside(content, dataclasses.replace(scenario, room=room), parts, settings=config.session)
            said = voice.prepared + len(voice.not_ready)
            fell_back = rate(len(voice.not_ready), said)
            print(f"echo {gain:g}x the demo's: outcome {result.outcome.outcome if result.outcome else None}; "
                  f"lines said by espeak-ng instead {fell_back}; self-triggers {len(result.self_triggers())}; "
                  f"taken for the coach's own voice {len(result.ignored)}")
        print(f"session process peak memory (VmHWM): {peak_mb():.0f} MB; "
              f"neural voice loaded here: {'piper' in sys.modules}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
