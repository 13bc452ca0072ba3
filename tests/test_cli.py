"""The command line: demo, run --text, history, and clear one-line errors for bad input."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from voicecoach.cli import main

ROUTINE = (Path(__file__).parents[1] / "voicecoach" / "data" / "routine.toml").read_text()
# One short command (the voice demo is the `voice_demo` fixture's): at most 3.7 s measured unloaded
# (`recognize`, which loads Whisper), most under 1 s. Only against a hang: 30 times that.
COMMAND_TIMEOUT_S = 120


def voicecoach(*args, stdin="", env=None):
    return subprocess.run([sys.executable, "-m", "voicecoach.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=COMMAND_TIMEOUT_S, env={**os.environ, **(env or {})})


def test_demo_text_prints_a_whole_session_with_timestamps(tmp_path):
    done = voicecoach("demo", "--text", "--out", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("[00:00.0] ")
    assert "session outcome: completed" in done.stdout
    assert "  you: stop  [stop]" in done.stdout and "[cut off]" in done.stdout
    assert "  you: wait  [pause]" in done.stdout and "  you: continue  [resume]" in done.stdout
    transcript = (tmp_path / "demo" / "transcript.txt").read_text()
    assert transcript.splitlines() == lines[:len(transcript.splitlines())]
    assert (tmp_path / "demo" / "journal.sqlite3").exists()


@pytest.mark.slow
def test_demo_runs_a_whole_session_by_voice_in_the_virtual_bedside(voice_demo):
    from voicecoach.audio.chunks import read_wav
    from voicecoach.store.journal import Journal

    done = voice_demo  # `voicecoach demo --out DIR`, run once for the suite
    assert done.returncode == 0, done.stderr
    assert "session outcome: completed" in done.stdout
    # Plain "no"s heard the first time: little more than one coach line per question.
    import re
    lines, questions = map(int, re.search(r"screening: (\d+) coach lines for (\d+) questions", done.stdout).groups())
    assert questions == 15 and lines <= 18, done.stdout
    assert "[cut off]" in done.stdout and "coach: Stopped. Relax." in done.stdout
    # In the neural voice where it is installed, and its echo never cut the coach off by itself.
    piper_installed = importlib.util.find_spec("piper") is not None
    assert ("coach's voice: piper" in done.stdout) == piper_installed, done.stdout
    assert "coach cut off with nobody speaking (self-triggers): 0" in done.stdout
    assert "heard but taken for the coach's own voice: 0" in done.stdout
    # Every answer said while the coach was silent has its reply time (the bar is a benchmark's).
    replies = int(re.search(r"answer to the coach's reply \(decoding time included\): median \d+ ms .*n=(\d+)",
                            done.stdout).group(1))
    assert replies >= questions + 2, done.stdout  # the 15 answers, both ratings, "ready"s ...
    audio = read_wav(done.out / "session.wav")
    assert audio.duration_s > 300 and abs(audio.samples.astype(float)).max() > 3000
    journal = Journal(done.out / "journal.sqlite3")
    (row,) = journal.sessions()
    assert row.outcome == "completed" and row.holds_completed == 6
    # Whatever the voice's line lengths, every completed hold lasted its time, from the clock.
    holds = [data for kind, data in journal.events(row.id) if kind == "hold" and data["completed"]]
    assert len(holds) == 6 and all(abs(h["held_s"] - h["target_s"]) <= 0.3 for h in holds), holds


def test_demo_with_a_scenario_of_your_own(tmp_path):
    scenario = tmp_path / "red_flag.toml"
    scenario.write_text('[[say]]\nat_s = 0.5\ntext = "start"\n\n[[say]]\nafter = "question:"\ntext = "yes"\n')
    done = voicecoach("demo", "--text", "--scenario", str(scenario), "--out", str(tmp_path / "o"))
    assert done.returncode == 0
    assert "session outcome: screened_out" in done.stdout
    assert "medical help straight away" in done.stdout


def test_run_text_is_the_real_session_in_a_terminal():
    typed = "\n".join(["no"] * 15 + ["four", "ready", "stop it hurts", "no"]) + "\n"
    done = voicecoach("run", "--text", "--now", "--rate", "200", stdin=typed)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "coach: Good morning." in out
    assert "coach: Is the pain sharp or shooting" in out
    assert "session ended: pain" in out


def test_run_text_waits_for_the_start_phrase(capsys, monkeypatch):
    import io
    monkeypatch.setattr(sys, "stdin", io.StringIO("hello\nstart\nstop\n"))
    assert main(["run", "--text"]) == 0
    out = capsys.readouterr().out
    assert out.count("coach: Good morning.") == 1
    assert "coach: Stopped. Relax." in out
    assert "session ended: stopped" in out


def test_history_lists_exports_and_deletes(capsys, monkeypatch):
    import io
    monkeypatch.setattr(sys, "stdin", io.StringIO("no\n" * 15 + "seven\nstop\nfinish\n"))
    main(["run", "--text", "--now"])
    capsys.readouterr()
    assert main(["history"]) == 0
    assert "stopped" in capsys.readouterr().out
    assert main(["history", "--csv"]) == 0
    csv_text = capsys.readouterr().out
    assert csv_text.splitlines()[0].startswith("session,started_at") and ",7," in csv_text
    monkeypatch.setattr(sys, "stdin", io.StringIO("no\n"))
    assert main(["history", "--delete"]) == 1  # not confirmed: nothing deleted
    assert main(["history"]) == 0 and "stopped" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO("yes\n"))
    assert main(["history", "--delete"]) == 0
    capsys.readouterr()
    main(["history"])
    assert capsys.readouterr().out.strip() == "no sessions yet"


@pytest.mark.parametrize("args,config,message", [
    (["--hold", "knee_to_chest=45"], None, "--hold knee_to_chest: must be between 15 and 30, got 45"),
    (["--hold", "somersault=20"], None, "--hold: no such exercise 'somersault'"),
    (["--rate", "500"], None, "--rate: must be between 110 and 200"),
    ([], "[session]\nanswer_wait_s = 'soon'\n", "session.answer_wait_s: must be a number"),
    ([], "[session]\nhold_seconds = 3\n", "session: unknown key 'hold_seconds' (did you mean 'hold_s"),
    ([], "[recognizer]\nengine = 'kaldi'\n", "recognizer.engine: must be one of auto, whisper, vosk, pocketsphinx"),
    ([], "this is = not toml [", "not valid TOML"),
    ([], "[speakers]\nx = 1\n", "unknown key 'speakers' (known: audio, listening, recognizer, session, voice)"),
])
def test_bad_settings_are_one_clear_line_and_nothing_starts(tmp_path, args, config, message):
    extra = []
    if config is not None:
        (tmp_path / "c.toml").write_text(config)
        extra = ["--config", str(tmp_path / "c.toml")]
    done = voicecoach("run", "--text", "--now", *args, *extra, stdin="no\n")
    assert done.returncode == 2
    assert done.stdout == ""  # nothing was said
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr


def test_a_bad_routine_is_rejected_before_anything_is_spoken(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(ROUTINE.replace("default = 20", "default = 99"))
    done = voicecoach("run", "--text", "--now", "--routine", str(bad), stdin="no\n")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == (f"voicecoach: error: {bad}: exercises[0].hold_s.default: "
                                   "must be between 15 and 30, got 99")
    missing = voicecoach("demo", "--routine", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2 and "nope.toml: (file): cannot read it" in missing.stderr


def test_a_users_routine_and_config_are_used(tmp_path):
    mine = tmp_path / "mine.toml"
    mine.write_text(ROUTINE.replace("rounds = 2", "rounds = 1"))
    config = tmp_path / "c.toml"
    config.write_text("[session]\nhold_s = { knee_to_chest = 25 }\n")
    done = voicecoach("demo", "--text", "--routine", str(mine), "--config", str(config), "--out", str(tmp_path / "o"))
    assert done.returncode == 0
    assert done.stdout.count("Rest there.") == 2 and "Hold it there, gently. 25 seconds." in done.stdout


def test_a_bad_scenario_is_a_clear_error(tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text('[[say]]\ntext = "no"\n')
    done = voicecoach("demo", "--scenario", str(bad))
    assert done.returncode == 2 and "say[0]: needs exactly one of after, during, at_s" in done.stderr


def test_say_writes_real_speech_to_a_file(tmp_path):
    from voicecoach.audio.chunks import read_wav

    out = tmp_path / "line.wav"
    done = voicecoach("say", "Breathe in slowly, and out.", "--out", str(out), "--rate", "130", "--tts", "espeak")
    assert done.returncode == 0, done.stderr
    chunk = read_wav(out)
    assert 1.0 < chunk.duration_s < 5.0 and abs(chunk.samples.astype(float)).max() > 3000
    faster = tmp_path / "fast.wav"
    voicecoach("say", "Breathe in slowly, and out.", "--out", str(faster), "--rate", "200", "--tts", "espeak")
    assert read_wav(faster).duration_s < chunk.duration_s


def test_say_without_a_sound_card_points_to_the_file_and_the_demo():
    from voicecoach.audio.players import NO_DEVICE_HINT

    if Path("/proc/asound/cards").exists() and "no soundcards" not in Path("/proc/asound/cards").read_text():
        pytest.skip("this machine has a sound card")
    done = voicecoach("say", "hello")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "voicecoach say --out" in done.stderr and "voicecoach demo" in done.stderr
    listed = voicecoach("devices")
    assert listed.returncode == 0 and NO_DEVICE_HINT in listed.stdout


@pytest.mark.slow
def test_recognize_reports_intents_as_json_lines_and_streams(tmp_path):
    import json

    from speech_audio import speech

    from voicecoach.audio.chunks import write_wav

    yes, noise_only = tmp_path / "yes.wav", tmp_path / "quiet.wav"
    write_wav(yes, speech("yes", voice="en-us", rate_wpm=150))
    write_wav(noise_only, speech("", lead_s=1.0, tail_s=1.0))
    done = voicecoach("recognize", "--context", "yesno", "--json", str(yes), str(noise_only))
    assert done.returncode == 0, done.stderr
    first, second = [json.loads(line) for line in done.stdout.splitlines()]
    assert set(first) == {"file", "text", "intent", "value", "confidence"}
    assert (first["intent"], first["value"]) == ("yes", None) and 0 < first["confidence"] <= 1
    assert second["intent"] is None and second["text"] == ""
    streamed = voicecoach("recognize", "--context", "yesno", "--json", "--stream", str(yes))
    (record,) = [json.loads(line) for line in streamed.stdout.splitlines()]
    assert [e["intent"] for e in record["events"]] == ["yes"]
    assert 0.5 < record["events"][0]["at"] < 2.0  # soon after the word ends, in file seconds


def test_recognize_a_missing_file_is_one_line(tmp_path):
    done = voicecoach("recognize", str(tmp_path / "absent.wav"))
    assert done.returncode == 2 and done.stderr.strip().endswith("No such file or directory")
    echo = voicecoach("recognize", "--echo", str(tmp_path / "r.wav"), str(tmp_path / "absent.wav"))
    assert echo.returncode == 2 and "--echo needs --stream" in echo.stderr


def test_sigterm_mid_session_ends_it_saying_so_and_keeps_the_journal():
    import signal
    import time

    from voicecoach.store import paths
    from voicecoach.store.journal import Journal

    proc = subprocess.Popen([sys.executable, "-m", "voicecoach.cli", "run", "--text", "--now"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write("no\nno\n")
    proc.stdin.flush()
    deadline = time.monotonic() + 60  # 0.4 s measured unloaded for the whole test: only against a hang
    seen = ""
    while "numbness between your legs" not in seen and time.monotonic() < deadline:
        seen += proc.stdout.readline()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "coach: I'm being switched off now." in out  # during the screening: no stretch to ease out of
    (row,) = Journal(paths.journal_path()).sessions()
    assert (row.outcome, row.detail) == ("interrupted", "terminated by the system")
    assert row.ended_at is not None


def test_check_reports_speaker_microphone_and_what_it_heard(tmp_path):
    from test_players import NULL_ALSA_CONF

    conf = tmp_path / "asound.conf"
    conf.write_text(NULL_ALSA_CONF)  # PortAudio sees one `null` device, for output and for input
    env = {**os.environ, "ALSA_CONFIG_PATH": str(conf), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "voicecoach.cli", "check", "--seconds", "1"], env=env,
                          capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)  # 1.6 s unloaded
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "recognizer: whisper" and lines[1].startswith("speaker: said 'This is your coach.")
    assert any(l.startswith("microphone: 1.0 s recorded; noise floor") for l in lines)
    assert lines[-1].startswith("heard: ")


def test_check_without_a_sound_card_is_one_clear_line():
    if Path("/proc/asound/cards").exists() and "no soundcards" not in Path("/proc/asound/cards").read_text():
        pytest.skip("this machine has a sound card")
    done = voicecoach("check")
    assert done.returncode == 2 and done.stderr.strip().splitlines()[-1].startswith("voicecoach: error: no audio")


def test_run_without_a_sound_card_is_one_line_pointing_to_text_and_demo():
    if Path("/proc/asound/cards").exists() and "no soundcards" not in Path("/proc/asound/cards").read_text():
        pytest.skip("this machine has a sound card")
    done = voicecoach("run")
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert "no sound card" in lines[0] and "run --text" in lines[0] and "voicecoach demo" in lines[0]
    assert "WARNING" not in done.stderr  # no retries: a person at a desk is told at once


def test_version_and_verbose_after_the_command():
    version = voicecoach("--version")
    assert version.returncode == 0 and version.stdout.startswith("voicecoach ")
    assert voicecoach("history", "-v").returncode == 0 and voicecoach("-v", "history").returncode == 0


def test_each_command_takes_only_its_own_options():
    done = voicecoach("check", "--hold", "knee_to_chest=20")
    assert done.returncode == 2 and "unrecognized arguments: --hold" in done.stderr
    assert "knee_to_chest, lumbar_rotation" in voicecoach("run", "--help").stdout
