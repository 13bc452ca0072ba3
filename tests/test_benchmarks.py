"""The device benchmarks still run and print their figures (tiny settings; the figures are in docs/benchmarks.md and docs/nightstand.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def bench(*args: str) -> str:
    # Measured unloaded: bench_session 126-203 s of wall time but 18 s of CPU (it now waits in real time;
    # 28 s at d0d70ea), bench_device 5 s.
    # The limit is only against a hang. The figures asserted below are CPU-time ratios (process time over
    # audio time), not wall-clock ones.
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_bench_device_counts_false_starts_over_a_short_night():
    out = bench("scripts/bench_device.py", "--hours", "0.05", "--every", "20")
    assert re.search(r"false starts: +0\.0% \(0/\d+", out), out
    assert re.search(r"CPU real-time factor \(one core\): 0\.\d+", out), out


@pytest.mark.slow
def test_bench_session_measures_start_up_idle_and_a_whole_session():
    out = bench("scripts/bench_session.py", "--engines", "pocketsphinx", "--idle-minutes", "0.5", "--starts", "1")
    assert re.search(r"start-up to the first word: \d+\.\d+ s cold, \d+\.\d+ s warm", out), out
    assert re.search(r"idle \(\d+ min\): CPU real-time factor 0\.\d+", out), out
    assert re.search(r"session \(\d+ s, completed\): whole process 0\.\d+", out), out


DATA = ROOT.parent / "shared" / "data" / "speech_commands_sample"


@pytest.mark.slow
@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/speech_commands_sample is absent")
def test_bench_screening_clears_a_screening_answered_by_human_voices():
    # About 15 s a session unloaded: one session of the 20 the figure in docs/benchmarks.md is from.
    out = bench("scripts/bench_screening.py", "--sessions", "1", "--seed", "3")
    assert re.search(r"screenings cleared: 100\.0% \(1/1", out), out
    assert re.search(r"coach lines median \d+ \(range \d+-\d+, 15 questions\)", out), out
    assert re.search(r"answer to the coach's reply.*: median \d+ ms \(95% CI \d+-\d+\), p95 \d+ ms, n=(1[5-9]|[2-9]\d)", out), out
