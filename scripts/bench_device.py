#!/usr/bin/env python3
"""Always-on listening: CPU, memory and false starts over a simulated night, faster than real time.

Usage:
    .venv/bin/python scripts/bench_device.py [--hours 8] [--engine pocketsphinx|whisper|vosk] [--data DIR]

The idle listener (VAD + recognizer in the `idle` context, as `voicecoach run` waits for the
start phrase) hears a bedroom: steady noise, and every `--every` seconds some speech that is
not a start phrase (synthesized phrases of a radio or a partner, and human one-word clips
from ../shared/data when present). Reported: false starts (target zero), CPU real-time
factor of one core (target <= 0.05), resident memory at the start and end (growth, target
none), and the time to load the recognizer and render the first line.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voicecoach.audio.chunks import SAMPLE_RATE_HZ, read_wav, resample  # noqa: E402
from voicecoach.clock import SimulatedClock  # noqa: E402
from voicecoach.ears.engines import make_recognizer, vocabularies_from_table  # noqa: E402
from voicecoach.ears.listener import Listener  # noqa: E402
from voicecoach.sim.bedside import scale_to_dbfs  # noqa: E402
from voicecoach.sim.room import RoomSettings, VirtualMicrophone  # noqa: E402
from voicecoach.stats import rate  # noqa: E402
from voicecoach.store.content import load_content  # noqa: E402
from voicecoach.voice.renderers import EspeakRenderer, VoiceSettings, default_renderer  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "speech_commands_sample"
RADIO = ["and now the weather for tomorrow morning", "traffic is heavy on the ring road", "good night everyone",
         "the markets closed higher today", "turn over please", "did you set the alarm", "stop snoring",
         "are you awake", "the news at seven", "coach class tickets are on sale", "it is time to start the car"]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--every", type=float, default=60.0, help="seconds between bursts of speech")
    parser.add_argument("--engine", choices=("whisper", "pocketsphinx", "vosk"), default="whisper")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    content = load_content()
    started = time.perf_counter()
    recognizer = make_recognizer(vocabularies_from_table(content.intents), engine=args.engine, context="idle")
    loaded = time.perf_counter()
    coach = default_renderer("auto")
    coach.render(content.phrases.say("start"), VoiceSettings())
    first_line = time.perf_counter()
    print(f"start-up: recognizer loaded in {loaded - started:.2f} s; first line rendered "
          f"{first_line - loaded:.2f} s later (cold cache)")

    voices, synth = ["en-us", "en+f3", "en-us+m3", "en-gb"], EspeakRenderer()
    sounds = [(f"{text!r} ({v})", scale_to_dbfs(resample(synth.render(text, VoiceSettings(voice=v)), SAMPLE_RATE_HZ),
                                                 -30)) for text in RADIO for v in voices]
    clips = sorted(args.data.glob("*/*.wav")) if args.data.is_dir() else []
    sounds += [(f"{p.parent.name}/{p.name}", scale_to_dbfs(resample(read_wav(p), SAMPLE_RATE_HZ), -28)) for p in clips]
    print(f"night: {args.hours:g} h of -50 dBFS room noise, {len(sounds)} different non-start sounds "
          f"({len(clips)} human clips), one every {args.every:g} s")

    clock = SimulatedClock()
    mic = VirtualMicrophone(None, clock, RoomSettings(noise_dbfs=-50.0))
    listener = Listener(recognizer, content.intents)
    listener.set_context("idle")
    rng = random.Random(0)
    total_s, next_sound, bursts = args.hours * 3600, 5.0, 0
    false_starts, heard, rss_start = [], 0, rss_mb()
    hourly, next_hour = [], 3600.0  # resident memory each simulated hour: a leak climbs, warm-up levels off
    cpu0, wall0 = time.process_time(), time.perf_counter()
    while clock.now() < total_s:
        if clock.now() >= next_hour:
            hourly.append(round(rss_mb()))
            next_hour += 3600.0
        if clock.now() >= next_sound:
            last_sound, chunk = rng.choice(sounds)
            mic.add(chunk, clock.now())
            bursts, next_sound = bursts + 1, next_sound + args.every
        for utterance in listener.process(mic.read_frame()):
            heard += 1
            intent = content.intents.parse(utterance.text, "idle")
            if intent is not None and intent.name == "start":
                false_starts.append((round(utterance.at_s), utterance.text, last_sound))
    cpu = time.process_time() - cpu0
    print(f"false starts: {rate(len(false_starts), bursts)} of the bursts {false_starts[:5]}")
    print(f"utterances decoded: {heard}; CPU real-time factor (one core): {cpu / total_s:.4f} "
          f"({cpu:.0f} s CPU for {total_s:.0f} s of audio; wall {time.perf_counter() - wall0:.0f} s)")
    print(f"resident memory: {rss_start:.0f} MB after start-up, {rss_mb():.0f} MB at the end of the night; "
          f"each hour: {hourly} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
