"""Shared fixtures: every test gets its own XDG directories, so no test touches a real journal; the voice
demo (a whole session by voice, ~30 s) runs once per test run and the tests that need it share its outputs."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from voicecoach.store.content import load_content

# A whole voice session (speech rendering + decoding of every answer): 22-28 s measured unloaded on the
# 2-core dev machine (Whisper; PocketSphinx 5 s). A limit only against a hang, far above a loaded run.
VOICE_DEMO_TIMEOUT_S = 900

IN_CREATE, IN_MOVED_TO, IN_NONBLOCK = 0x100, 0x80, 0o4000


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    return tmp_path


@pytest.fixture(autouse=True)
def signal_handlers_restored():
    """`voicecoach run` called in-process installs its SIGTERM/SIGINT handlers: put pytest's back after
    each test, so a later Ctrl-C or SIGTERM stops the test run instead of raising inside some other test."""
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


@pytest.fixture(scope="session")
def content():
    return load_content()


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


@dataclass(frozen=True)
class VoiceDemo:
    """What one `voicecoach demo` run left: its exit code and output, and what it wrote where."""

    returncode: int
    stdout: str
    stderr: str
    root: Path  # holds every folder below, and nothing else
    dirs: dict[str, Path]  # tmp, run, cache, data, config, home (the child's TMPDIR, XDG folders, HOME), out
    before: set[Path]  # files under root before the run
    after: set[Path]  # and right after it, before any test looked
    created: list[Path]  # names created in the tmp and run folders during the run, even if deleted at once

    @property
    def out(self) -> Path:
        return self.dirs["out"]


def run_voice_demo(root: Path, *args: str) -> VoiceDemo:
    """`voicecoach demo --out root/out [args]` in a child whose temporary, XDG and home folders are fresh
    folders under root (a first use, a cold speech cache), watching what it creates in the shared ones."""
    dirs = {name: root / name for name in ("tmp", "run", "cache", "data", "config", "home", "out")}
    for folder in dirs.values():
        folder.mkdir(mode=0o700)
    env = {**os.environ, "TMPDIR": str(dirs["tmp"]), "XDG_RUNTIME_DIR": str(dirs["run"]),
           "XDG_CACHE_HOME": str(dirs["cache"]), "XDG_DATA_HOME": str(dirs["data"]),
           "XDG_CONFIG_HOME": str(dirs["config"]), "HOME": str(dirs["home"])}
    before = tree(root)
    watch = CreatedFiles(dirs["tmp"], dirs["run"])
    done = subprocess.run([sys.executable, "-m", "voicecoach.cli", "demo", "--out", str(dirs["out"]), *args],
                          capture_output=True, text=True, timeout=VOICE_DEMO_TIMEOUT_S, env=env)
    return VoiceDemo(done.returncode, done.stdout, done.stderr, root, dirs, before, tree(root), watch.names())


@pytest.fixture(scope="session")
def voice_demo(tmp_path_factory) -> VoiceDemo:
    """The voice demo as a user runs it (`voicecoach demo`: the default engine, Whisper), once per test
    run; every test that needs a whole session by voice asserts on these outputs and leaves them be."""
    return run_voice_demo(tmp_path_factory.mktemp("voice-demo"))
