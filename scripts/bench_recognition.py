#!/usr/bin/env python3
"""Recognition accuracy benchmark: real human clips, widened variants, synthesized phrases.

Usage:
    .venv/bin/python scripts/bench_recognition.py [--data DIR] [--engine whisper|pocketsphinx|vosk]
        [--threads N] [--quick] [--no-synth] [--jobs N] [--set threshold=0.8 --set boost=12 ...] [--json OUT]
    .venv/bin/python scripts/bench_recognition.py --engines whisper,pocketsphinx [--quick] ...
        (each engine in its own run, then the report-half figures side by side)

Real clips come from ../shared/data/speech_commands_sample (one-second words, many speakers;
never copied into the repository). Speakers are split into two halves (tune / report) by a
fixed procedure that balances "stop", "yes" and "no" clips; thresholds were tuned on the tune
half, so the report half is the honest figure. Every rate is printed with its count and a 95%
Wilson interval. A false accept is any utterance that the intent parser turns into a command
(an intent other than none or "unclear").
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voicecoach.audio.chunks import AudioChunk, read_wav, resample  # noqa: E402
from voicecoach.stats import rate  # noqa: E402

NUMBERS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine".split())}
CONTEXTS = ("exercise", "yesno", "rating", "idle")
RATE_HZ = 16000


# ----------------------------------------------------------------------------- statistics
# ----------------------------------------------------------------------------- data
def speaker(path: str) -> str:
    return os.path.basename(path).split("_nohash_")[0]


def speaker_split(files: list[str]) -> set[str]:
    """The "tune" speakers: the first of 2,000 seeded random halves that best balances the
    stop/yes/no clip counts and the total (depends only on file names, not on results)."""
    spk = sorted({speaker(f) for f in files})
    by_word = defaultdict(list)
    for f in files:
        by_word[Path(f).parent.name].append(speaker(f))
    best = None
    for seed in range(2000):
        r = random.Random(seed)
        tune = {s for s in spk if r.random() < 0.5}
        score = sum(3 * abs(2 * sum(s in tune for s in by_word[w]) - len(by_word[w])) for w in ("stop", "yes", "no"))
        score += abs(2 * sum(speaker(f) in tune for f in files) - len(files)) / 10
        if best is None or score < best[0]:
            best = (score, tune)
    return best[1]


def noise_like(n: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS noise of a few room-like kinds."""
    x = rng.standard_normal(n)
    if kind == "brown":
        x = np.cumsum(x)
        x -= np.convolve(x, np.ones(400) / 400, "same")
    elif kind == "bursts":  # cough/knock-like on-off bursts
        x = x * (np.abs(np.sin(np.arange(n) / RATE_HZ * 2 * np.pi * rng.uniform(1.5, 4))) > 0.8)
    elif kind == "hum":
        x = np.sin(2 * np.pi * rng.uniform(50, 250) * np.arange(n) / RATE_HZ) + 0.2 * x
    return x / (np.sqrt(np.mean(x**2)) + 1e-9)


def noise_clips(count: int, seed: int = 7) -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    kinds = ["white", "brown", "bursts", "hum"]
    out = []
    for i in range(count):
        kind = kinds[i % 4]
        level_db = rng.uniform(-50, -15)
        x = noise_like(RATE_HZ, kind, rng) * 32768 * 10 ** (level_db / 20)
        out.append((f"noise:{kind}:{i}", np.clip(x, -32768, 32767).astype(np.int16)))
    return out


def variant(x: np.ndarray, name: str, rng: np.random.Generator) -> np.ndarray:
    """Widen the sample: additive noise at an SNR, a level change, or a speed change."""
    y = x.astype(np.float64)
    if name.startswith("snr"):
        snr_db = float(name[3:])
        sig = np.sqrt(np.mean(y**2)) + 1e-9
        y = y + noise_like(len(y), "white" if snr_db >= 15 else "brown", rng) * sig / 10 ** (snr_db / 20)
    elif name.startswith("gain"):
        y = y * 10 ** (float(name[4:]) / 20)
    elif name.startswith("speed"):
        factor = float(name[5:])
        y = resample(AudioChunk(x, RATE_HZ), int(round(RATE_HZ / factor))).samples.astype(np.float64)
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)


# ----------------------------------------------------------------------------- synthesized phrases
SYNTH = {  # context -> [(phrase, expected intent or None for out-of-vocabulary)]
    "exercise": [("stop", "stop"), ("stop it hurts", "pain"), ("that hurts", "pain"), ("pause", "pause"),
                 ("next", "next"), ("how long", "how_long"), ("repeat", "repeat"), ("louder", "louder"),
                 ("why does it crack", "why"), ("how am i doing", "progress"), ("resume", "resume"),
                 ("the weather is nice today", None), ("telephone", None), ("banana", None)],
    "yesno": [("yes", "yes"), ("no", "no"), ("i don't know", "unsure"), ("not sure", "unsure"), ("stop", "stop"),
              ("tomorrow morning", None), ("purple", None)],
    "rating": [("zero", "number"), ("three", "number"), ("five", "number"), ("seven", "number"), ("ten", "number"),
               ("skip", "next"), ("stop", "stop"), ("banana", None)],
    "idle": [("start", "start"), ("good morning coach", "start"), ("start stretching", "start"),
             ("hello there", None), ("what time is it", None)],
}
VOICES = [("en-us", 150), ("en", 130), ("en+f3", 170), ("en-us+m3", 120)]
SYNTH_SNRS = [None, 20.0, 10.0]


def espeak(text: str, voice: str, rate_wpm: int) -> np.ndarray:
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate_wpm), "--stdout", text],
                         check=True, capture_output=True).stdout
    import io
    import wave

    with wave.open(io.BytesIO(wav)) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        rate_hz = w.getframerate()
    x = resample(AudioChunk(x, rate_hz), RATE_HZ).samples.astype(np.float64)
    x = x * (32768 * 0.1) / (np.sqrt(np.mean(x**2)) + 1e-9)  # -20 dBFS
    return np.clip(x, -32768, 32767).astype(np.int16)


# ----------------------------------------------------------------------------- decoding
@dataclass
class Job:
    context: str
    items: list = field(default_factory=list)  # (label, samples)


_worker = {}


def _make(engine: str, overrides: dict, threads: int, context: str = "exercise"):
    from voicecoach.ears.engines import load_vocabularies, make_recognizer
    from voicecoach.ears.engines.pocketsphinx_engine import PocketSphinxSettings
    from voicecoach.ears.engines.whisper_settings import load_whisper_settings

    ps = PocketSphinxSettings(**overrides) if engine == "pocketsphinx" else None
    ws = load_whisper_settings(intra_threads=threads) if engine == "whisper" else None
    return make_recognizer(load_vocabularies(), engine=engine, context=context, pocketsphinx_settings=ps,
                           whisper_settings=ws)


def _init_worker(engine: str, overrides: dict, threads: int = 1) -> None:
    from voicecoach.ears.intents import load_intent_table

    t0 = time.perf_counter()
    _worker["rec"] = _make(engine, overrides, threads)
    _worker["load_s"] = time.perf_counter() - t0
    _worker["table"] = load_intent_table()


def _run(job: Job) -> list[tuple[str, str | None, int | None, str, float, float, float]]:
    rec, table = _worker["rec"], _worker["table"]
    rec.set_context(job.context)
    out = []
    for label, x in job.items:
        t = time.perf_counter()
        hyp = rec.decode(AudioChunk(x, RATE_HZ))
        dt = time.perf_counter() - t
        it = table.parse(hyp.text, job.context)
        out.append((label, it.name if it else None, it.value if it else None, hyp.text, dt, len(x) / RATE_HZ,
                    hyp.confidence))
    return out


def is_command(name: str | None) -> bool:
    return name not in (None, "unclear")


def expected_real(word: str, context: str) -> tuple[str, int | None] | None:
    if word == "stop" and context != "idle":
        return ("stop", None)
    if context == "yesno" and word in ("yes", "no"):
        return (word, None)
    if context == "rating" and word in NUMBERS:
        return ("number", NUMBERS[word])
    return None


def summarize_real(results, tune: set[str]) -> dict:
    """Per context and half: per-command recall, false accepts on other words and on noise, yes/no swaps."""
    table = {}
    for (context, label), (name, value, _text) in results.items():
        src, variant_name, path = label.split("|", 2)
        if src == "noise":
            halves = ["all"]
            key_word = "NOISE"
        else:
            halves = ["all", "tune" if speaker(path) in tune else "report"]
            key_word = Path(path).parent.name
        for half in halves:
            s = table.setdefault((context, half), defaultdict(lambda: [0, 0]))
            exp = expected_real(key_word, context) if key_word != "NOISE" else None
            if key_word == "NOISE":
                s["fa_noise"][0] += is_command(name)
                s["fa_noise"][1] += 1
            elif exp:
                s[f"recall:{key_word}"][0] += (name, value) == exp
                s[f"recall:{key_word}"][1] += 1
                if context == "yesno" and key_word in ("yes", "no"):
                    s["yesno_swap"][0] += name == ("no" if key_word == "yes" else "yes")
                    s["yesno_swap"][1] += 1
            else:
                s["fa_words"][0] += is_command(name)
                s["fa_words"][1] += 1
                if context == "yesno":  # "no" to a red-flag question is the dangerous one (a false clear)
                    for answer in ("yes", "no"):
                        s[f"fa_words_as_{answer}"][0] += name == answer
                        s[f"fa_words_as_{answer}"][1] += 1
    return table


def _default_field(name: str) -> dict:
    from voicecoach.ears.engines.pocketsphinx_engine import PocketSphinxSettings

    return dict(getattr(PocketSphinxSettings(), name))


IDLE_PROBE = r"""
import sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
from voicecoach.audio.chunks import AudioChunk
from voicecoach.ears.streaming import listen
from voicecoach.ears.engines import load_vocabularies, make_recognizer
from voicecoach.audio.sources import split_chunk
t_load = time.perf_counter()
rec = make_recognizer(load_vocabularies(), engine=sys.argv[2], context="idle")
t_load = time.perf_counter() - t_load
rng = np.random.default_rng(0)
n = 16000 * 120
x = rng.standard_normal(n) * 32768 * 10 ** (-55 / 20)          # quiet bedroom
for start in range(0, n, 16000 * 15):                           # a knock or cough every 15 s
    x[start + 8000 : start + 8000 + 2400] += rng.standard_normal(2400) * 3000
x = np.clip(x, -32768, 32767).astype(np.int16)
t0 = time.process_time()
events = list(listen(split_chunk(AudioChunk(x, 16000), 480), rec))
cpu = time.process_time() - t0
texts = sum(1 for e in events if e.hypothesis.final and e.hypothesis.text)
# VmHWM, not ru_maxrss: ru_maxrss survives exec and would report the benchmark's own size
hwm_kb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(cpu / (n / 16000), hwm_kb / 1024, len(events), texts, t_load)
"""


def partial_stop(engine: str, overrides: dict, clips, tune: set[str]) -> dict:
    """Streaming through the real listening loop (exercise context): how often a *partial*
    result already contains "stop" (the early stop), on "stop" clips and on all other words."""
    from voicecoach.audio.sources import split_chunk
    from voicecoach.ears.streaming import listen

    rec = _make(engine, overrides, 1)
    counts: dict = defaultdict(lambda: [0, 0])
    lead = np.zeros(4000, np.int16)  # 0.25 s of quiet before the word, as in a live stream
    rng = np.random.default_rng(3)
    for path, x in clips:
        y = np.concatenate([lead, x, np.zeros(8000, np.int16)]).astype(np.float64)
        y = np.clip(y + rng.standard_normal(len(y)) * 30, -32768, 32767).astype(np.int16)
        events = list(listen(split_chunk(AudioChunk(y, RATE_HZ), 480), rec))
        early = any(not e.hypothesis.final and "stop" in e.hypothesis.text.split() for e in events)
        key = "partial_stop_recall" if Path(path).parent.name == "stop" else "partial_stop_false"
        half = "tune" if speaker(path) in tune else "report"
        for h in (half, "all"):
            counts[(h, key)][0] += early
            counts[(h, key)][1] += 1
    return counts


def idle_cost(engine: str) -> tuple[float, float, int, int, float]:
    """(CPU real-time factor, peak RSS MB, results, non-empty final texts, load s) of 120 s of
    idle listening, in a fresh process."""
    out = subprocess.run([sys.executable, "-c", IDLE_PROBE, str(ROOT), engine], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1]), int(out[2]), int(out[3]), float(out[4])


def confidence_report(real: dict, confs: dict, tune: set[str]) -> dict:
    """Confidence of real "yes"/"no" heard right in yesno (report half), and of other words heard as one:
    where a read-back threshold (confirm_below) would fall."""
    out: dict = {}
    for (context, label), (name, _, _) in real.items():
        src, v, path = label.split("|", 2)
        if context != "yesno" or src != "real" or speaker(path) in tune or name not in ("yes", "no"):
            continue
        word = Path(path).parent.name
        kind = f"{name} (right)" if word == name else (f"{name} (swap)" if word in ("yes", "no") else f"{name} (other word)")
        out.setdefault(kind, []).append(confs[(context, label)])
    print("\n## confidence in yesno, report half (median, 10th/90th percentile, n), with share below 0.85")
    for kind, c in sorted(out.items()):
        print(f"    {kind:18s} {np.median(c):.2f} ({np.percentile(c, 10):.2f}/{np.percentile(c, 90):.2f}, n={len(c)}); "
              + ", ".join(f"<{t}: {rate(sum(x < t for x in c), len(c))}" for t in (0.85, 0.5, 0.4, 0.35)))
    return out


COMPARE_ROWS = [  # (label, context, key)
    ('"stop" heard', "exercise", "recall:stop"), ('"yes" heard', "yesno", "recall:yes"),
    ('"no" heard', "yesno", "recall:no"), ("numbers heard", "rating", None),
    ("other words -> command, exercise", "exercise", "fa_words"), ("other words -> command, yesno", "yesno", "fa_words"),
    ('other words -> "no", yesno', "yesno", "fa_words_as_no"), ("other words -> command, rating", "rating", "fa_words"),
    ("other words -> command, idle", "idle", "fa_words"), ("noise -> command, exercise", "exercise", "fa_noise"),
    ("noise -> command, yesno", "yesno", "fa_noise"), ("yes<->no swaps", "yesno", "yesno_swap"),
]


def compare(engines: list[str], argv: list[str]) -> int:
    """Run this benchmark once per engine (its own process) and print the report halves side by side."""
    import tempfile

    rest, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--engines":
            skip = True
        elif not a.startswith("--engines=") and not a.startswith("--json"):
            rest.append(a)
    reports = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine in engines:
            out = Path(tmp) / f"{engine}.json"
            subprocess.run([sys.executable, __file__, "--engine", engine, "--json", str(out), *rest], check=True)
            reports[engine] = json.loads(out.read_text())
    print("\n# side by side (report half; noise: all clips)\n")
    print("| measure | " + " | ".join(engines) + " |")
    print("| --- |" + " --- |" * len(engines))
    for label, context, key in COMPARE_ROWS:
        cells = []
        for e in engines:
            s = reports[e]["real"].get(f"{context}/{'all' if key == 'fa_noise' else 'report'}", {})
            if key is None:
                kn = [sum(v[i] for k, v in s.items() if k.startswith("recall:") and k[7:] in NUMBERS) for i in (0, 1)]
            else:
                kn = s.get(key, [0, 0])
            cells.append(rate(*kn).strip())
        print(f"| {label} | " + " | ".join(cells) + " |")
    for label, key, fmt in [("ms per utterance, median (p95)", "ms_median", "{:.0f}"), ("idle real-time factor", "idle_rtf", "{:.4f}"),
                            ("peak RSS while idle, MB", "idle_peak_rss_mb", "{:.0f}"), ("model load, s", "idle_load_s", "{:.2f}")]:
        cells = [fmt.format(reports[e].get(key, float("nan"))) + (f" ({reports[e]['ms_p95']:.0f})" if key == "ms_median" else "")
                 for e in engines]
        print(f"| {label} | " + " | ".join(cells) + " |")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "speech_commands_sample"))
    ap.add_argument("--engine", default="whisper", choices=["whisper", "pocketsphinx", "vosk"])
    ap.add_argument("--engines", help="comma-separated engines: run each, then compare the report halves")
    ap.add_argument("--threads", type=int, default=1, help="Whisper: CTranslate2 threads per decode")
    ap.add_argument("--quick", action="store_true", help="clean clips only (no noise/level/speed variants)")
    ap.add_argument("--no-synth", action="store_true", help="skip the synthesized-phrase section")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (RTF is measured per process)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a PocketSphinxSettings field, e.g. --set threshold=0.8")
    ap.add_argument("--json", help="write all figures as JSON here")
    ap.add_argument("--contexts", default=",".join(CONTEXTS), help="comma-separated contexts to measure")
    ap.add_argument("--show-errors", action="store_true", help="list every miss and false accept (clean clips)")
    args = ap.parse_args()
    if args.engines:
        return compare(args.engines.split(","), sys.argv[1:])

    overrides: dict = {}
    for kv in args.set:
        k, v = kv.split("=", 1)
        if "." in k:  # context_thresholds.exercise=0.9
            field_name, key = k.split(".", 1)
            overrides.setdefault(field_name, _default_field(field_name))[key] = float(v)
        else:
            overrides[k] = int(v) if k in ("filler_count", "stream_block_samples") else float(v)

    data = Path(args.data)
    files = sorted(str(p) for p in data.glob("*/*.wav")) if data.is_dir() else []
    if not files:
        print(f"bench_recognition: no data at {data} (expected <word>/*.wav); skipping the real-voice section",
              file=sys.stderr)
    variants = ["clean"] if args.quick else ["clean", "snr20", "snr10", "gain-15", "speed0.9", "speed1.1"]
    clips = [(f, read_wav(f).samples) for f in files]
    noise = noise_clips(40 if args.quick else 120)

    jobs: list[Job] = []
    contexts = [c for c in args.contexts.split(",") if c]
    for context in contexts:
        for v in variants:
            # the same noise for a clip and variant in every context and run
            items = [(f"real|{v}|{f}", variant(x, v, np.random.default_rng([i, len(v)] + [ord(c) for c in v]))
                      if v != "clean" else x) for i, (f, x) in enumerate(clips)]
            # chunk each job so several workers can share it
            for i in range(0, len(items), 150):
                jobs.append(Job(context, items[i : i + 150]))
        jobs.append(Job(context, [(f"noise|clean|{n}", x) for n, x in noise]))

    synth_meta = {}
    if not args.no_synth:
        if shutil.which("espeak-ng") is None:
            print("bench_recognition: espeak-ng missing (apt-get install espeak-ng); skipping synthesized phrases",
                  file=sys.stderr)
        else:
            srng = np.random.default_rng(2)
            for context, phrases in ((c, SYNTH[c]) for c in contexts):
                items = []
                for phrase, want in phrases:
                    for voice, wpm in VOICES:
                        x = espeak(phrase, voice, wpm)
                        pad = lambda s: (noise_like(int(s * RATE_HZ), "white", srng) * 32768 * 10 ** (-60 / 20))  # noqa: E731
                        x = np.concatenate([pad(0.3), x.astype(np.float64), pad(0.4)])
                        for snr in SYNTH_SNRS:
                            y = variant(x.astype(np.int16), f"snr{snr}", srng) if snr is not None else x.astype(np.int16)
                            label = f"synth|{voice}@{wpm}|snr={snr}|{phrase}"
                            synth_meta[(context, label)] = (phrase, want, snr)
                            items.append((label, y))
                jobs.append(Job(context, items))

    t0 = time.perf_counter()
    if args.jobs > 1:
        with Pool(args.jobs, initializer=_init_worker, initargs=(args.engine, overrides, args.threads)) as pool:
            outs = pool.map(_run, jobs)
    else:
        _init_worker(args.engine, overrides, args.threads)
        outs = [_run(j) for j in jobs]
    wall = time.perf_counter() - t0

    results, dec_s, audio_s, times, confs = {}, 0.0, 0.0, [], {}
    for job, out in zip(jobs, outs, strict=True):
        for label, name, value, text, dt, dur, conf in out:
            results[(job.context, label)] = (name, value, text)
            confs[(job.context, label)] = conf
            dec_s += dt
            audio_s += dur
            times.append(dt)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    print(f"# Recognition benchmark: engine={args.engine} settings={overrides or 'defaults'} threads={args.threads}")
    print(f"# variants: {', '.join(variants)}; noise clips: {len(noise)}; data: {data if files else 'absent'}")
    report: dict = {"engine": args.engine, "overrides": overrides, "variants": variants}
    tune = speaker_split(files) if files else set()
    if files:
        print(f"# speaker split: {len(tune)} tune speakers / {len({speaker(f) for f in files}) - len(tune)} report "
              f"speakers (tune half used to choose thresholds; report half = held-out figures)")
    # real clips (when present) and noise clips (always)
    real = {k: v for k, v in results.items() if not k[1].startswith("synth|")}
    summary = summarize_real(real, tune)
    report["real"] = {f"{c}/{h}": {k: v for k, v in s.items()} for (c, h), s in summary.items()}
    for context in CONTEXTS:
        print(f"\n## context {context}")
        for half in ("tune", "report", "all"):
            s = summary.get((context, half))
            if not s:
                continue
            print(f"  [{half}]")
            for key in sorted(s):
                print(f"    {key:22s} {rate(*s[key])}")
    if args.show_errors:
        print("\n## errors on clean clips (context, clip, heard text -> intent)")
        for (context, label), (name, value, text) in sorted(real.items()):
            src, v, path = label.split("|", 2)
            if v != "clean":
                continue
            w = Path(path).parent.name if src == "real" else "NOISE"
            exp = expected_real(w, context) if src == "real" else None
            if (exp and (name, value) != exp) or (not exp and is_command(name)):
                kind = "MISS" if exp else "FA"
                print(f"    {kind:4s} {context:8s} {w}/{Path(path).name} {text!r} -> {name} {value if value is not None else ''}")
    if files:
        report["confidence"] = confidence_report(real, confs, tune)
    if files and not args.quick and args.engine in ("pocketsphinx", "whisper"):
        print("\n## partial results (streaming loop, exercise context, clean clips)")
        for (h, key), kn in sorted(partial_stop(args.engine, overrides, clips, tune).items()):
            print(f"    [{h}] {key:22s} {rate(*kn)}")
            report.setdefault("partial", {})[f"{h}/{key}"] = kn
    by_variant = defaultdict(lambda: [0, 0])
    for (context, label), (name, _value, _) in real.items() if files else []:
        src, v, path = label.split("|", 2)
        if src == "real" and Path(path).parent.name == "stop" and context == "exercise":
            by_variant[v][0] += name == "stop"
            by_variant[v][1] += 1
    if files:
        print("\n## 'stop' recall in exercise context, by variant (both halves)")
        for v in variants:
            print(f"    {v:10s} {rate(*by_variant[v])}")
    if synth_meta:
        print("\n## synthesized phrases (espeak-ng voices x rates x SNR)")
        per = defaultdict(lambda: [0, 0])
        per_snr = defaultdict(lambda: [0, 0])
        fa = defaultdict(lambda: [0, 0])
        for (context, label), (phrase, want, snr) in synth_meta.items():
            name = results[(context, label)][0]
            if want is None:
                fa[context][0] += is_command(name)
                fa[context][1] += 1
            else:
                per[(context, phrase)][0] += name == want
                per[(context, phrase)][1] += 1
                per_snr[snr][0] += name == want
                per_snr[snr][1] += 1
        for (context, phrase), kn in sorted(per.items()):
            print(f"    {context:9s} {phrase!r:24s} recall {rate(*kn)}")
        for context, kn in sorted(fa.items()):
            print(f"    {context:9s} out-of-vocabulary phrases -> command {rate(*kn)}")
        for snr, kn in per_snr.items():
            print(f"    SNR {str(snr):5s} dB: all phrases recall {rate(*kn)}")
        report["synth"] = {f"{c}/{p}": v for (c, p), v in per.items()}
    rtf = dec_s / audio_s if audio_s else 0.0
    ms_median, ms_p95 = (1000 * float(np.percentile(times, q)) for q in (50, 95))
    load_s = _worker.get("load_s", float("nan"))
    print(f"\n## cost: {audio_s:.0f} s of audio decoded in {dec_s:.1f} s of decoder time "
          f"(real-time factor {rtf:.3f} per process); per utterance median {ms_median:.0f} ms, p95 {ms_p95:.0f} ms "
          f"(n={len(times)}, {args.threads} thread(s), {args.jobs} process(es)); "
          f"wall {wall:.0f} s; peak RSS {peak_mb:.0f} MB (workers {peak_children_mb:.0f} MB)")
    report.update(ms_median=ms_median, ms_p95=ms_p95, threads=args.threads, load_s=load_s)
    idle_rtf, idle_mb, idle_events, idle_texts, idle_load_s = idle_cost(args.engine)
    print(f"## idle listening (120 s quiet room + a knock every 15 s, VAD + recognizer, one process): "
          f"CPU real-time factor {idle_rtf:.4f}; peak RSS {idle_mb:.0f} MB (recognizer loaded); "
          f"{idle_events} results, {idle_texts} with any text; model load {idle_load_s:.2f} s")
    report.update(rtf=rtf, peak_rss_mb=max(peak_mb, peak_children_mb), utterances=len(results),
                  idle_rtf=idle_rtf, idle_peak_rss_mb=idle_mb, idle_load_s=idle_load_s)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=list))
    return 0


if __name__ == "__main__":
    sys.exit(main())
