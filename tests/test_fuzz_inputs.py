"""No file a person can write crashes, hangs or exhausts the coach (PRODUCT.md §3).

The fuzzer (tests/fuzz_inputs.py) runs in a child process with a memory limit, so a blow-up is a
finding and not a dead test run; then each malformed input the issue found goes through the CLI.
"""

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROUTINE = (HERE.parent / "voicecoach" / "data" / "routine.toml").read_text()
DEMO = (HERE.parent / "voicecoach" / "data" / "demo.toml").read_text()
SEED = int(os.environ.get("VOICECOACH_FUZZ_SEED", "20261201"))
CASES = 1200


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))  # 1.5 GiB: far above a normal run


def test_a_thousand_mutated_files_are_each_accepted_or_one_clear_line():
    # 9.7 s measured unloaded: the 900 s limit is only against a hang.
    done = subprocess.run([sys.executable, str(HERE / "fuzz_inputs.py"), str(SEED), str(CASES)], capture_output=True,
                          text=True, timeout=900, preexec_fn=_limit_memory)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["cases"] >= 1000 and report["byte"] >= 300 and report["structure"] >= 300
    assert report["accepted"] >= 50 and report["refused"] >= 300  # both sides are really exercised
    assert report["failures"] == [], json.dumps(report["failures"][:5], indent=1)


def voicecoach(*args, stdin=""):
    # Each refusal here takes under 0.6 s unloaded: the limit is only against a hang.
    return subprocess.run([sys.executable, "-m", "voicecoach.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=60, preexec_fn=_limit_memory)


def refused(done, *expected):
    lines = [l for l in done.stderr.splitlines() if l.strip()]
    assert done.returncode == 2, done.stderr[-1500:]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-1500:]
    assert "coach:" not in done.stdout  # nothing was said: nothing half-started
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def write(tmp_path, name, text: str | bytes):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


@pytest.mark.parametrize("config,expected", [
    (b"[voice]\nname = \"en\xff\"\n", ("is not UTF-8 text",)),
    ("x = " + "[" * 5000 + "\n", ("c.toml",)),
    ("voice = 3\n", ("[voice] must be a table",)),
    ("[[session]]\nanswer_wait_s = 8\n", ("[session] must be a table",)),
    ("audio = 1\n", ("[audio] must be a table",)),
    ("[session]\nrounds = { lumbar_rotation = 1.5 }\n", ("session.rounds.lumbar_rotation: must be a whole number",)),
    ("[session]\nquiet_hours = \"00:00-00:00\"\n", ("quiet_hours: must leave at least an hour",)),
    ("[voice]\nrat_wpm = 150\n", ("did you mean 'rate_wpm'?",)),
    ("[session]\nanswer_wait_s = inf\n", ("session.answer_wait_s: must be between",)),
    ("[session]\nmax_attempts = 2.5\n", ("max_attempts: must be a whole number",)),
])
def test_a_malformed_config_is_one_line_naming_the_file_and_field(tmp_path, config, expected):
    refused(voicecoach("run", "--text", "--now", "--config", write(tmp_path, "c.toml", config)), "c.toml", *expected)


@pytest.mark.parametrize("change,expected", [
    (("{seconds} seconds.", "{seconds:q} seconds."), "placeholders are plain names"),
    (("{seconds} seconds.", "{seconds:>1000000000} seconds."), "placeholders are plain names"),
    (("{seconds} seconds.", "{seconds!r} seconds."), "placeholders are plain names"),
    (("rounds = 2", "rounds = 1.5"), "rounds: must be a whole number"),
    (("cue_interval_s = 4", "cue_intervals = 4"), "did you mean 'cue_interval_s'?"),
    (("name = \"knee drop\"", "nam = \"knee drop\""), "did you mean 'name'?"),
])
def test_a_malformed_routine_is_one_line(tmp_path, change, expected):
    assert change[0] in ROUTINE
    routine = write(tmp_path, "r.toml", ROUTINE.replace(change[0], change[1], 1))
    refused(voicecoach("run", "--text", "--now", "--routine", routine), "r.toml", expected)


def test_a_device_file_as_routine_is_refused_at_once():
    refused(voicecoach("run", "--text", "--now", "--routine", "/dev/zero"), "/dev/zero", "not a regular file")


@pytest.mark.parametrize("change,expected", [
    (('at_s = 1.0', 'at_s = "soon"'), "say[0].at_s: must be a number"),
    (('at_s = 1.0', 'at_s = inf'), "say[0].at_s: must be between"),
    (('delay_s = 0.5', 'delay_s = "x"'), "delay_s: must be a number"),
    (('text = "wait"', 'text = "wait"\nconfidence = "high"'), "confidence: must be a number"),
    (('text = "wait"', 'text = "wait"\nrepeat = 100000000'), "repeat: must be between 1 and"),
    (('noise_dbfs = -60.0', 'nois_dbfs = -60.0'), "did you mean 'noise_dbfs'?"),
])
def test_a_malformed_scenario_is_one_line(tmp_path, change, expected):
    assert change[0] in DEMO
    scenario = write(tmp_path, "s.toml", DEMO.replace(change[0], change[1], 1))
    refused(voicecoach("demo", "--text", "--scenario", scenario, "--out", str(tmp_path / "out")), "s.toml", expected)


def test_a_flag_error_names_the_flag_not_a_config_file():
    line = refused(voicecoach("run", "--text", "--now", "--hold", "knee_to_chest=100"), "--hold knee_to_chest")
    assert "config.toml" not in line


def test_a_scenario_with_a_bad_recording_is_refused_before_anything_starts(tmp_path):
    bad = tmp_path / "answer.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 20)
    scenario = write(tmp_path, "s.toml", DEMO.replace('text = "three"', f'text = "three"\nwav = "{bad}"', 1))
    refused(voicecoach("demo", "--scenario", scenario, "--out", str(tmp_path / "out")), "s.toml", "answer.wav")
