#!/usr/bin/env python3
"""Barge-in and false-clear benchmark, in the virtual bedside.

Usage:
    .venv/bin/python scripts/bench_bargein.py [--data DIR] [--ser 6,0,-6] [--gains 1,2]
        [--confirm-ms 0] [--engine NAME] [--only bargein|cough|self|clears]

1. Barge-in: "stop" said over the coach's narration in the middle of a move instruction, at
   several signal-to-echo ratios (the user's level at the microphone against the coach's):
   human recordings (../shared/data, never copied; speakers split into a tune and a report
   half as in bench_recognition.py) and espeak-ng voices. How often the coach fell silent and
   the exercise stopped; latency from the start of the spoken word to silence (the onset
   bar, 150 ms) and from its end to silence (the stop bar, 300 ms), median and p95.
   A cough-like noise burst over the same line: the coach falls silent, then says the line again.
2. Self-triggering: every line of a whole demo session (first use, full screening, both
   exercises) played into the virtual room at the demo's echo gain times each of --gains, with
   nobody else speaking, heard by the listener in the exercise and yes/no contexts: onsets
   (each would silence the coach) and utterances taken for the user's (target zero for both).
3. False clears: the first red-flag question answered "yes" by human recordings (and any
   read-back answered "no"), under noise and echo: how often the session goes on as if the
   answer were no (target zero).
Every rate comes with its count and a 95% Wilson interval. The recognizer is the one
make_recognizer chooses by default (printed).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))  # the test audio helpers: one cough for tests and benchmark

from bench_recognition import speaker, speaker_split  # noqa: E402
from speech_audio import cough  # noqa: E402

from voicecoach.audio.chunks import write_wav  # noqa: E402
from voicecoach.clock import SimulatedClock  # noqa: E402
from voicecoach.coach.runner import SessionRunner, TextSpeaker  # noqa: E402
from voicecoach.ears.engines import make_recognizer, vocabularies_from_table  # noqa: E402
from voicecoach.settings import (
    ListenerSettings,  # noqa: E402
    SessionSettings,
)
from voicecoach.sim.bedside import BedsideParts, run_bedside  # noqa: E402
from voicecoach.sim.echo_replay import replay_narration  # noqa: E402
from voicecoach.sim.room import RoomSettings  # noqa: E402
from voicecoach.sim.scenario import Cue, Scenario, ScriptedSource, UserVoice, load_scenario  # noqa: E402
from voicecoach.stats import rate  # noqa: E402
from voicecoach.store.config import ENGINE_CONFIRM_BELOW  # noqa: E402
from voicecoach.store.content import load_content  # noqa: E402
from voicecoach.types import History  # noqa: E402
from voicecoach.voice.cache import TtsCache  # noqa: E402
from voicecoach.voice.renderers import EspeakRenderer  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "speech_commands_sample"
COACH_LEVEL_DBFS = -26.0  # the coach's voice at the microphone, roughly, at the default volume and room
ESPEAK_VOICES = ("en-us+f2", "en-us", "en-us+m3", "en-gb", "en-us+f4")
MOVE = "move:knee_to_chest"


ENGINE: str | None = None  # None: the engine make_recognizer chooses by default (--engine overrides)
COACH_VOICE = "espeak"  # the coach's voice: espeak (the espeak-ng program) or piper (--voice)


def coach_renderer():
    if COACH_VOICE == "piper":
        from voicecoach.voice.piper import PiperRenderer

        return PiperRenderer()
    return EspeakRenderer()


def parts(content, cache, listener: ListenerSettings = ListenerSettings(), **kw) -> BedsideParts:
    recognizer = make_recognizer(vocabularies_from_table(content.intents), engine=ENGINE)
    return BedsideParts(recognizer=recognizer, coach_renderer=coach_renderer(), user_renderer=EspeakRenderer(),
                        cache=cache, listener=listener, **kw)


def settings() -> SessionSettings:
    """The session settings `run` would use with this engine (each engine's confidence has its own scale)."""
    engine = ENGINE or "auto"
    return SessionSettings(confirm_below=ENGINE_CONFIRM_BELOW[engine]) if engine in ENGINE_CONFIRM_BELOW \
        else SessionSettings()


DEMO_USER = UserVoice(voice="en-us+f2", rate_wpm=160)  # the demo's user: heard well by the embedded engine
CLEARING = (Cue("yes", after="confirm_no"), Cue("i'm ready", after="ready_prompt"), Cue("yes", after="confirm_stop"))


def clearing() -> tuple[Cue, ...]:
    """Standing answers that clear the screening: PocketSphinx hears espeak-ng's "no never" better
    than its "no"; Whisper hears "no never" as "no number"."""
    return (Cue("no never" if ENGINE == "pocketsphinx" else "no", after="question:"),) + CLEARING
RETURNING = History(first_use=False, full_screening_due=False)


def percentiles_ms(values: list[float]) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(np.ceil(0.95 * len(ordered))) - 1)]
    return f"median {1000 * statistics.median(ordered):.0f} ms, p95 {1000 * p95:.0f} ms"


def over_the_move(content, cache, cue: Cue, listener: ListenerSettings, listen_at_least_s: float = 0.0):
    """One session in which `cue` is said 2 s into the knee-to-chest move instruction."""
    cues = [Cue("skip", after="rating_before"), cue]
    return run_bedside(content, Scenario(cues, RoomSettings(), DEMO_USER, replies=clearing()),
                       parts(content, cache, listener), settings=settings(), history=RETURNING, start_now=True,
                       listen_at_least_s=listen_at_least_s)


def one_stop(content, cache, listener: ListenerSettings, ser: float, **cue_kw) -> dict | None:
    cue = Cue("stop", during=MOVE, offset_s=2.0, level_dbfs=COACH_LEVEL_DBFS + ser, **cue_kw)
    result = over_the_move(content, cache, cue, listener)
    said = next((c for c in result.user if c.text == "stop"), None)
    if said is None:
        return None  # the session never got to the stretch
    silenced = [t for t in result.silenced_at if said.start_s <= t <= said.end_s + 2.0]
    after = [l for l in result.timeline if said.start_s <= l.start_s <= said.end_s + 2.0 and l.who == "you"]
    coach_after = [l.key for l in result.timeline if l.who == "coach" and not l.dropped and l.start_s > said.start_s]
    return {"silenced": bool(silenced), "stopped": "stop_ack" in coach_after[:3] or "confirm_stop" in coach_after[:3],
            "as_stop": any(l.note == "stop" for l in after),
            "onset": silenced[0] - said.onset_s if silenced else None,
            "end": silenced[0] - said.end_s if silenced else None}


def bargein(content, cache, listener: ListenerSettings, sources: list[tuple[str, list[dict]]],
            sers: list[float]) -> None:
    print("## barge-in: 'stop' said 2 s into the coach's move instruction")
    for ser in sers:
        for name, cues in sources:
            rows = [r for kw in cues if (r := one_stop(content, cache, listener, ser, **kw)) is not None]
            n = len(rows)
            onset = [r["onset"] for r in rows if r["onset"] is not None]
            end = [r["end"] for r in rows if r["end"] is not None]
            print(f"  SER {ser:+3.0f} dB, {name}: silenced {rate(sum(r['silenced'] for r in rows), n)}; "
                  f"exercise stopped {rate(sum(r['stopped'] for r in rows), n)}; heard as stop "
                  f"{rate(sum(r['as_stop'] for r in rows), n)}")
            print(f"      onset to silence {percentiles_ms(onset)}; end of word to silence {percentiles_ms(end)} "
                  f"(n={len(onset)})")


def coughs(content, cache, listener: ListenerSettings, sers: list[float], count: int = 5) -> None:
    print("## a cough over the coach's move instruction: silenced, then the line said again")
    with tempfile.TemporaryDirectory() as tmp:
        for ser in sers:
            silenced = repeated = asked = onset_n = 0
            onsets = []
            for seed in range(count):
                wav = Path(tmp) / f"cough{seed}.wav"
                write_wav(wav, cough(seed, COACH_LEVEL_DBFS + ser))
                result = over_the_move(content, cache, Cue("cough", during=MOVE, offset_s=2.0, wav=str(wav)), listener,
                                       listen_at_least_s=180.0)  # time to say the line again in full
                said = next((c for c in result.user if c.text == "cough"), None)
                if said is None:
                    continue
                onset_n += 1
                cut = [t for t in result.silenced_at if said.start_s <= t <= said.end_s + 2.0]
                moves = [l for l in result.timeline if l.who == "coach" and l.key == MOVE and not l.dropped]
                keys = [l.key for l in result.timeline if l.who == "coach" and not l.dropped]
                silenced += bool(cut)
                onsets += [cut[0] - said.onset_s] if cut else []
                repeated += [m.note for m in moves[:2]] == ["cut off", ""]  # then the other side's move
                asked += "confirm_stop" in keys
            print(f"  SER {ser:+3.0f} dB: silenced {rate(silenced, onset_n)}; cut line said again "
                  f"{rate(repeated, onset_n)}; asked 'Do you want to stop?' {rate(asked, onset_n)}; "
                  f"onset to silence {percentiles_ms(onsets)}")


def session_lines(content) -> list[str]:
    """Every line the coach says in the demo session (first use: disclaimer, full screening), from a text run."""
    clock = SimulatedClock()
    scenario = load_scenario()
    runner = SessionRunner(content, clock=clock, speaker=TextSpeaker(),
                           source=ScriptedSource(scenario.cues, clock, scenario.replies))
    runner.run(start_now=False)
    return [l.text for l in runner.timeline if l.who == "coach" and not l.dropped]


def self_triggering(content, cache, listener: ListenerSettings, gains: list[float]) -> None:
    print("## self-triggering: a whole session of the coach's narration fed back, nobody else speaking")
    lines = session_lines(content)
    room = load_scenario().room
    recognizer = make_recognizer(vocabularies_from_table(content.intents), engine=ENGINE)
    for gain in gains:
        for context in ("exercise", "yesno"):
            started = time.perf_counter()
            result = replay_narration(lines, content, recognizer, coach_renderer(), cache=cache, context=context,
                                      room=dataclasses.replace(room, echo_gain=room.echo_gain * gain),
                                      settings=listener)
            print(f"  echo gain {room.echo_gain * gain:.2f} ({gain:g}x the demo's), context {context}: "
                  f"{len(lines)} lines, {result.narration_s:.0f} s of narration: self-onsets {len(result.onsets)}, "
                  f"utterances taken for the user's {len(result.heard)} {[u.text for u in result.heard][:6]} "
                  f"(wall {time.perf_counter() - started:.0f} s)")


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
                                 settings=settings(), history=returning, start_now=True, listen_at_least_s=90.0)
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
    parser.add_argument("--gains", default="1,2", help="echo gains for self-triggering, times the demo's")
    parser.add_argument("--confirm-ms", type=float, default=None, help="loud time before an onset counts")
    parser.add_argument("--engine", default=None, help="recognizer engine (default: make_recognizer's choice)")
    parser.add_argument("--voice", choices=("espeak", "piper"), default="espeak", help="the coach's voice")
    parser.add_argument("--gate-db", type=float, default=None, help="echo gate margin, dB (default: the listener's)")
    parser.add_argument("--only", choices=("bargein", "cough", "self", "clears"))
    args = parser.parse_args()
    global ENGINE, COACH_VOICE
    ENGINE, COACH_VOICE = args.engine, args.voice
    try:
        sers = [float(v) for v in args.ser.split(",")]
        gains = [float(v) for v in args.gains.split(",")]
    except ValueError:
        print("bench_bargein: --ser and --gains take numbers separated by commas, e.g. 6,0,-6", file=sys.stderr)
        return 2
    content = load_content()
    cache = TtsCache()
    listener = ListenerSettings() if args.confirm_ms is None else ListenerSettings(onset_confirm_s=args.confirm_ms / 1000)
    if args.gate_db is not None:
        listener = dataclasses.replace(listener, echo_gate_margin_db=args.gate_db)
    print(f"# recognizer: {make_recognizer(vocabularies_from_table(content.intents), engine=ENGINE).name}; coach voice: {COACH_VOICE}; "
          f"onset confirmed after {1000 * listener.onset_confirm_s:.0f} ms of loud speech past the end-pointer's 60 ms; "
          f"echo gate margin {listener.echo_gate_margin_db:g} dB")
    if args.only in (None, "self"):
        self_triggering(content, cache, listener, gains)
    if args.only in (None, "bargein"):
        sources = [("espeak-ng voices", [{"voice": v} for v in ESPEAK_VOICES])]
        if args.data.is_dir():
            files = sorted(str(p) for p in args.data.glob("*/*.wav"))
            tune = speaker_split(files)
            stops = sorted((args.data / "stop").glob("*.wav"))
            for half in ("tune", "report"):
                clips = [p for p in stops if (speaker(str(p)) in tune) == (half == "tune")]
                sources.append((f"human, {half} half", [{"wav": str(p)} for p in clips]))
        else:
            print(f"no recordings at {args.data}: espeak-ng voices only")
        bargein(content, cache, listener, sources, sers)
    if args.only in (None, "bargein", "cough"):
        coughs(content, cache, listener, sers)
    if args.only in (None, "clears"):
        if not args.data.is_dir():
            print(f"no recordings at {args.data}: skipping the false clears")
            return 0
        false_clears(content, cache, sorted((args.data / "yes").glob("*.wav")),
                     sorted((args.data / "no").glob("*.wav")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
