"""Privacy (PRODUCT.md §3): what the recognizer heard and what the microphone picked up never reach a
shared temporary folder or the disk; only the output folder that was asked for holds a recording."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_voice_demo

from voicecoach.store.private_files import runtime_dir, scratch_path


def test_the_scratch_folder_is_private_and_scratch_files_are_gone_at_once(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    (tmp_path / "run").mkdir(mode=0o755)
    folder = runtime_dir()
    assert folder == tmp_path / "run" / "voicecoach" and (folder.stat().st_mode & 0o777) == 0o700
    with scratch_path("voicecoach-lattice") as path:
        with open(path, "w") as f:
            f.write("N=1 L=0\n")
        assert open(path).read() == "N=1 L=0\n"
    assert not list(folder.iterdir()) and not list(Path(path).parent.glob("voicecoach-lattice*"))


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["pocketsphinx", "auto"])  # auto: Whisper, the suite's one voice demo
def test_a_voice_session_in_the_virtual_bedside_writes_nothing_heard_outside_its_output_folder(
        request, tmp_path, engine):
    if engine == "auto":
        done = request.getfixturevalue("voice_demo")  # run once, shared with the other tests that need it
    else:
        done = run_voice_demo(tmp_path, "--engine", engine)
    dirs = done.dirs
    assert done.returncode == 0, done.stderr
    assert "session outcome:" in done.stdout
    created = done.created
    # Temporary folders saw only speech rendering (the coach's lines) and the language model built from
    # the content at start-up: no lattice, nothing per utterance from the recognizer.
    assert not [p for p in created if "lattice" in p.name], created
    rendering = ("voicecoach-tts-", "voicecoach-pyttsx3-", "voicecoach-lm-")
    others = [p for p in created if not p.name.startswith(rendering)]
    # Libraries' own start-up files (PulseAudio's client folder, ctypes' library search): a few, once,
    # not one per utterance.
    assert len(others) <= 3, others
    assert done.stdout.count("you: ") >= 3  # several utterances were decoded
    new = done.after - done.before
    cache_tts = dirs["cache"] / "voicecoach" / "tts"
    weights_checked = dirs["cache"] / "voicecoach" / "whisper-verified.json"  # size, time, hash of the model file
    outside = [p for p in new if dirs["out"] not in p.parents and cache_tts not in p.parents
               and p != weights_checked]
    assert outside == [], outside
    assert all(p.suffix == ".wav" for p in new if cache_tts in p.parents)  # rendered lines only
    assert not list(dirs["tmp"].iterdir()) and not [p for p in dirs["run"].rglob("*") if p.is_file()]
