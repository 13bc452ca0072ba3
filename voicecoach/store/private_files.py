"""Scratch files for things that must not reach a shared folder (what the recognizer heard).

A scratch file lives in memory (a Linux memfd, reached by C libraries through /proc/self/fd/N),
or, where that is not possible, in the user's private runtime folder: $XDG_RUNTIME_DIR/voicecoach,
falling back to <cache dir>/run; both mode 0700 and owned by the user. It is removed at once.
Never the shared /tmp (PRODUCT.md §3: nothing recognized goes to shared temporary folders).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from voicecoach.store import paths


class PrivateFolderError(OSError):
    """No folder that only this user can read."""


def runtime_dir() -> Path:
    """A folder only this user can enter: made 0700 if new, refused if someone else can get in."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    candidates = ([Path(base) / "voicecoach"] if base else []) + [paths.cache_dir() / "run"]
    problems = []
    for folder in candidates:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = folder.stat()
            if info.st_uid != os.getuid():
                problems.append(f"{folder} belongs to another user")
                continue
            if stat.S_IMODE(info.st_mode) & 0o077:
                folder.chmod(0o700)  # ours: make it private again
            return folder
        except OSError as exc:
            problems.append(f"{folder}: {exc.strerror or exc}")
    raise PrivateFolderError("no private folder for scratch files (" + "; ".join(problems) + ")")


@contextlib.contextmanager
def scratch_path(name: str) -> Iterator[str]:
    """A path a C library can write to and Python read back; gone when the block ends."""
    fd = _memfd(name)
    if fd is not None:
        try:
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    fd, path = tempfile.mkstemp(prefix=f"{name}-", dir=runtime_dir())
    os.close(fd)
    try:
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _memfd(name: str) -> int | None:
    if not hasattr(os, "memfd_create") or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.memfd_create(name, os.MFD_CLOEXEC)
    except OSError:  # e.g. a seccomp filter without memfd_create
        return None
