"""`voicecoach say`: checked as `run` checks its voice, and never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from voicecoach.audio.chunks import read_wav


def voicecoach(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    # Each `say` here takes under 0.5 s unloaded: the limit is only against a hang.
    return subprocess.run([sys.executable, "-m", "voicecoach.cli", *args], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    return done.stderr


def test_say_into_a_folder_that_does_not_exist_is_one_line_and_exit_2():
    message = one_line_error(voicecoach("say", "--out", "/nonexistent/dir/a.wav", "hello"))
    assert "/nonexistent/dir" in message


@pytest.mark.parametrize("flags, words", [
    (["--rate", "500"], "rate_wpm"), (["--rate", "50"], "rate_wpm"), (["--volume", "5"], "volume"),
    (["--voice", "nosuch"], "no espeak-ng voice called 'nosuch'"),
    (["--voice", "en+nosuch"], "no espeak-ng voice variant called 'nosuch'"),
])
def test_say_refuses_what_run_refuses(tmp_path, flags, words):
    assert words in one_line_error(voicecoach("say", *flags, "--out", str(tmp_path / "a.wav"), "hello"))
    assert not (tmp_path / "a.wav").exists()


def test_say_refuses_empty_text(tmp_path):
    assert "empty" in one_line_error(voicecoach("say", "--out", str(tmp_path / "a.wav"), "   "))


def test_run_refuses_a_voice_espeak_ng_does_not_have_before_saying_anything(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[voice]\nname = "en-nosuch"\n')
    message = one_line_error(voicecoach("run", "--text", "--now", "--config", str(config)))
    assert "voice.name: no espeak-ng voice called 'en-nosuch'" in message


def test_say_takes_the_voice_and_rate_from_the_config_and_writes_real_speech(tmp_path):
    (tmp_path / "cfg" / "voicecoach").mkdir(parents=True)
    (tmp_path / "cfg" / "voicecoach" / "config.toml").write_text('[voice]\nname = "en-gb"\nrate_wpm = 120\n')
    out = tmp_path / "a.wav"
    done = voicecoach("say", "--tts", "espeak", "--voice", "en+f3", "--out", str(out), "Breathe in.",
                      env={"XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    assert done.returncode == 0 and done.stderr == "", done.stderr
    chunk = read_wav(out)
    assert chunk.duration_s > 0.3 and abs(chunk.samples).max() > 1000
