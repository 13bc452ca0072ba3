#!/usr/bin/env python3
"""Piper benchmark: what rendering the whole line set ahead of time costs, and what playing from
the cache costs.

    python scripts/bench_piper.py [--sample N] [--seed S] [--gets N]

Prints the line count; load time; render time per line and real-time factor (median, p95,
95% bootstrap interval of the aggregate); the time to render the whole set (measured on a
seeded random sample and extrapolated by word count when the whole set would take more than
5 minutes, else rendered whole), with a Raspberry Pi 4 estimate (x6-x8); the cache size on
disk; first audio for a cached line (TtsCache.get); and the peak RSS of a process that only
plays from the cache against one that loads Piper.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicecoach.assemble import voices_to_prepare
from voicecoach.coach.line_set import every_line
from voicecoach.store.config import build_config
from voicecoach.store.content import load_content
from voicecoach.types import History
from voicecoach.voice.cache import TtsCache, cache_key
from voicecoach.voice.renderers import VoiceSettings

WHOLE_SET_LIMIT_S = 300.0  # render everything only when it takes at most this
PI4_SLOWER = (6, 8)


def pct(values, q: float) -> float:
    return float(np.percentile(values, q))


def spread(values, unit: str = "s", scale: float = 1.0) -> str:
    v = [x * scale for x in values]
    u = f" {unit}" if unit else ""
    return f"median {statistics.median(v):.3f}{u}, p95 {pct(v, 95):.3f}{u} (n={len(v)})"


def bootstrap_ratio(num, den, rng: np.random.Generator, rounds: int = 2000) -> tuple[float, float]:
    """95% percentile-bootstrap interval of sum(num)/sum(den), resampling lines."""
    num, den = np.asarray(num), np.asarray(den)
    idx = rng.integers(0, len(num), size=(rounds, len(num)))
    ratios = num[idx].sum(axis=1) / den[idx].sum(axis=1)
    return float(np.percentile(ratios, 2.5)), float(np.percentile(ratios, 97.5))


RSS_CHILD = r"""
import sys
sys.path.insert(0, sys.argv[1])
from voicecoach.voice.renderers import VoiceSettings
from voicecoach.voice.cache import TtsCache, cache_key
cache, engine_id, mode = TtsCache(sys.argv[2]), sys.argv[3], sys.argv[4]
lines = sys.argv[5:]
if mode == "piper":
    from voicecoach.voice.piper import PiperRenderer
    renderer = PiperRenderer()
    for text in lines[:3]:
        renderer.render(text, VoiceSettings())
else:
    for text in lines:
        assert cache.get(cache_key(text, VoiceSettings(), engine_id)) is not None
print(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
"""


def peak_rss_kib(mode: str, cache_dir: Path, engine_id: str, lines: list[str]) -> int:
    """VmHWM of a fresh process (not ru_maxrss: Linux carries that over exec from the forking parent)."""
    done = subprocess.run([sys.executable, "-c", RSS_CHILD, str(ROOT), str(cache_dir), engine_id, mode, *lines],
                          capture_output=True, text=True, check=True)
    return int(done.stdout.split()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=150, help="lines rendered when extrapolating (default 150)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--gets", type=int, default=500, help="cached reads timed (default 500)")
    args = parser.parse_args()
    rng, boot = random.Random(args.seed), np.random.default_rng(args.seed)
    voice = VoiceSettings()

    content = load_content()
    every = every_line(content)
    lines = every_line(content, History())  # what `voicecoach prepare` renders: one progress sentence, not all
    rates_prepared = [v.rate_wpm for v in voices_to_prepare(build_config({}, content.routine, "bench"))]
    words = {t: len(t.split()) for t in lines}
    total_words = sum(words.values())
    print(f"line set: {len(lines)} lines, {total_words} words (coach/line_set.every_line with the journal's history; "
          f"{len(every)} with every progress sentence any history could give)")

    started = time.perf_counter()
    from voicecoach.voice.piper import PiperRenderer

    renderer = PiperRenderer()
    renderer.render("Hello.", voice)  # the first line loads the voice
    print(f"Piper load + first short line: {time.perf_counter() - started:.2f} s; engine {renderer.engine_id}")

    with tempfile.TemporaryDirectory(prefix="bench-piper-") as tmp:
        cache = TtsCache(Path(tmp) / "tts")
        sample = rng.sample(lines, min(args.sample, len(lines)))
        render_s, audio_s = [], []
        for text in sample:
            t0 = time.perf_counter()
            chunk = renderer.render(text, voice)
            render_s.append(time.perf_counter() - t0)
            audio_s.append(chunk.duration_s)
            cache.put(cache_key(text, voice, renderer.engine_id), chunk)
        sample_words = [words[t] for t in sample]
        rtf = [r / a for r, a in zip(render_s, audio_s, strict=True)]
        rtf_lo, rtf_hi = bootstrap_ratio(render_s, audio_s, boot)
        print(f"\nsample: {len(sample)} lines drawn with seed {args.seed}, {sum(sample_words)} words, "
              f"{sum(audio_s):.1f} s of audio")
        print(f"render time per line: {spread(render_s)}")
        print(f"real-time factor per line: {spread(rtf, '')}; aggregate {sum(render_s) / sum(audio_s):.3f} "
              f"(95% interval {rtf_lo:.3f}-{rtf_hi:.3f})")
        wpm = sum(sample_words) / (sum(audio_s) / 60)
        print(f"speaking rate at the default {voice.rate_wpm} wpm setting: {wpm:.0f} words per minute of audio "
              "(sentence gaps included)")

        per_word = sum(render_s) / sum(sample_words)
        lo, hi = bootstrap_ratio(render_s, sample_words, boot)
        estimate_s = per_word * total_words
        if estimate_s > WHOLE_SET_LIMIT_S:
            print(f"\nwhole set: EXTRAPOLATED from the sample by word count (it would take more than "
                  f"{WHOLE_SET_LIMIT_S / 60:.0f} min): {estimate_s / 60:.1f} min "
                  f"(95% interval {lo * total_words / 60:.1f}-{hi * total_words / 60:.1f} min)")
            whole_s, whole_lo, whole_hi = estimate_s, lo * total_words, hi * total_words
        else:
            rest = [t for t in lines if t not in set(sample)]
            t0 = time.perf_counter()
            for text in rest:
                cache.put(cache_key(text, voice, renderer.engine_id), renderer.render(text, voice))
            whole_s = sum(render_s) + time.perf_counter() - t0
            whole_lo = whole_hi = whole_s
            print(f"\nwhole set: MEASURED, every line rendered: {whole_s / 60:.1f} min")
        a, b = PI4_SLOWER
        print(f"Raspberry Pi 4 estimate (x{a}-x{b}): {whole_lo * a / 60:.0f}-{whole_hi * b / 60:.0f} min "
              f"(central {whole_s * a / 60:.0f}-{whole_s * b / 60:.0f} min)")
        rates = len(rates_prepared)
        print(f"with one rate slower and one faster too ({rates} rates, `assemble.voices_to_prepare`; ESTIMATED as "
              f"{rates}x this rate, the slower lines as much longer as the faster are shorter): here "
              f"{rates * whole_s / 60:.1f} min, Pi 4 {rates * whole_s * a / 60:.0f}-{rates * whole_s * b / 60:.0f} min; "
              f"the session's own rate is prepared first")

        files = list((Path(tmp) / "tts").rglob("*.wav"))
        in_cache = [t for t in lines if cache.path_for(cache_key(t, voice, renderer.engine_id)).exists()]
        size = sum(f.stat().st_size for f in files)
        per_line = size / len(files)
        print(f"\ncache on disk: {size / 2**20:.1f} MiB for {len(files)} lines "
              f"({per_line / 1024:.0f} KiB a line); whole set ~ {per_line * len(lines) / 2**20:.0f} MiB "
              f"(by line count), {size / sum(words[t] for t in in_cache) * total_words / 2**20:.0f} MiB (by word count); "
              f"x{len(rates_prepared)} with the neighbouring rates")

        cached = [t for t in lines if cache.path_for(cache_key(t, voice, renderer.engine_id)).exists()]
        gets = []
        for _ in range(args.gets):
            key = cache_key(rng.choice(cached), voice, renderer.engine_id)
            t0 = time.perf_counter()
            chunk = cache.get(key)
            gets.append(time.perf_counter() - t0)
            assert chunk is not None
        print(f"first audio for a cached line (TtsCache.get, key to samples, warm page cache): "
              f"{spread(gets, 'ms', 1000)}")

        few = cached[:20]
        play = peak_rss_kib("cache", Path(tmp) / "tts", renderer.engine_id, few)
        piper = peak_rss_kib("piper", Path(tmp) / "tts", renderer.engine_id, few)
        print(f"\npeak RSS (VmHWM), one fresh process each: plays {len(few)} lines from the cache "
              f"{play / 1024:.0f} MiB; loads Piper and renders 3 lines {piper / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
