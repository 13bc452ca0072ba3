"""Privacy (PRODUCT.md §3): what the recognizer heard and what the microphone picked up never reach a
shared temporary folder or the disk; only the output folder that was asked for holds a recording."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from voicecoach.store.private_files import runtime_dir, scratch_path

IN_CREATE, IN_MOVED_TO, IN_NONBLOCK = 0x100, 0x80, 0o4000


class CreatedFiles:
    """Names created in some folders, seen as they happen (inotify), so a file written and deleted at
    once is caught too, not only what is left at the end."""

    def __init__(self, *folders: Path) -> None:
        self.libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self.fd = self.libc.inotify_init1(IN_NONBLOCK)
        assert self.fd >= 0, os.strerror(ctypes.get_errno())
        self.folders = {}
        for folder in folders:
            wd = self.libc.inotify_add_watch(self.fd, str(folder).encode(), IN_CREATE | IN_MOVED_TO)
            assert wd >= 0, os.strerror(ctypes.get_errno())
            self.folders[wd] = folder

    def names(self) -> list[Path]:
        found, data = [], b""
        while True:
            try:
                data += os.read(self.fd, 65536)
            except BlockingIOError:
                break
        pos = 0
        while pos < len(data):
            wd, _, _, length = struct.unpack_from("iIII", data, pos)
            name = data[pos + 16: pos + 16 + length].rstrip(b"\0").decode()
            found.append(self.folders[wd] / name)
            pos += 16 + length
        os.close(self.fd)
        return found


def tree(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


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
@pytest.mark.parametrize("engine", ["pocketsphinx", "auto"])  # auto: Whisper
def test_a_voice_session_in_the_virtual_bedside_writes_nothing_heard_outside_its_output_folder(tmp_path, engine):
    dirs = {name: tmp_path / name for name in ("tmp", "run", "cache", "data", "config", "home", "out")}
    for folder in dirs.values():
        folder.mkdir(mode=0o700)
    env = {**os.environ, "TMPDIR": str(dirs["tmp"]), "XDG_RUNTIME_DIR": str(dirs["run"]),
           "XDG_CACHE_HOME": str(dirs["cache"]), "XDG_DATA_HOME": str(dirs["data"]),
           "XDG_CONFIG_HOME": str(dirs["config"]), "HOME": str(dirs["home"])}
    before = tree(tmp_path)
    watch = CreatedFiles(dirs["tmp"], dirs["run"])
    done = subprocess.run([sys.executable, "-m", "voicecoach.cli", "demo", "--engine", engine,
                           "--out", str(dirs["out"])], capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr
    assert "session outcome:" in done.stdout
    created = watch.names()
    # Temporary folders saw only speech rendering (the coach's lines) and the language model built from
    # the content at start-up: no lattice, nothing per utterance from the recognizer.
    assert not [p for p in created if "lattice" in p.name], created
    rendering = ("voicecoach-tts-", "voicecoach-pyttsx3-", "voicecoach-lm-")
    others = [p for p in created if not p.name.startswith(rendering)]
    # Libraries' own start-up files (PulseAudio's client folder, ctypes' library search): a few, once,
    # not one per utterance.
    assert len(others) <= 3, others
    assert done.stdout.count("you: ") >= 3  # several utterances were decoded
    new = tree(tmp_path) - before
    cache_tts = dirs["cache"] / "voicecoach" / "tts"
    weights_checked = dirs["cache"] / "voicecoach" / "whisper-verified.json"  # size, time, hash of the model file
    outside = [p for p in new if dirs["out"] not in p.parents and cache_tts not in p.parents
               and p != weights_checked]
    assert outside == [], outside
    assert all(p.suffix == ".wav" for p in new if cache_tts in p.parents)  # rendered lines only
    assert not list(dirs["tmp"].iterdir()) and not [p for p in dirs["run"].rglob("*") if p.is_file()]
