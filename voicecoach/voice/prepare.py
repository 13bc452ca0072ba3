"""Render the coach's lines into the speech cache ahead of time, in a low-priority child process.

A neural voice is too slow on a Pi to render a line when it is needed, so every line
(line_set.every_line) is rendered once, beforehand; the session plays them from the cache
and lets espeak-ng say any line that is not ready yet. Each line is stored atomically as it
is rendered, so a run that is stopped (power cut, kill, a session starting) resumes where
it was: lines already in the cache are not rendered again.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from voicecoach.voice.cache import TtsCache, cache_key
from voicecoach.voice.renderers import Renderer, TtsError, TtsUnavailable, VoiceSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    """How far a preparation is: `done` of `total` lines are in the cache (str: "done/total")."""

    done: int
    total: int
    rendered: int = 0  # rendered by this run (the rest were cached already)
    failed: int = 0  # lines the renderer could not render (logged)

    def __str__(self) -> str:
        return f"{self.done}/{self.total}"


def prepare_lines(lines: Iterable[str], renderer: Renderer, cache: TtsCache,
                  voices: VoiceSettings | Sequence[VoiceSettings], *,
                  progress: Callable[[Progress], None] | None = None) -> Progress:
    """Render every line not in `cache` yet, for each of `voices` in turn (the first is the one a
    session starts with); `progress` hears at the start and after each line. TtsUnavailable
    stops the run (nothing can be rendered); another TtsError skips that line."""
    todo = list(dict.fromkeys(line for line in lines if line.strip()))
    voices = [voices] if isinstance(voices, VoiceSettings) else list(dict.fromkeys(voices))
    engine_id = renderer.engine_id
    state = Progress(0, len(todo) * len(voices))
    if progress is not None:
        progress(state)
    for voice in voices:
        for text in todo:
            key = cache_key(text, voice, engine_id)
            # Only whether it exists: reading every entry would cost a minute on a Pi. A damaged
            # entry is deleted by TtsCache.get when played, and the next run renders it again.
            if not cache.path_for(key).exists():
                try:
                    chunk = renderer.render(text, voice)
                except TtsUnavailable:
                    raise
                except TtsError as exc:
                    log.warning("prepare: %s", exc)
                    state = Progress(state.done, state.total, state.rendered, state.failed + 1)
                    continue
                cache.put(key, chunk)
                state = Progress(state.done, state.total, state.rendered + 1, state.failed)
            state = Progress(state.done + 1, state.total, state.rendered, state.failed)
            if progress is not None:
                progress(state)
    return state


def lower_priority() -> str:
    """Make this process yield the CPU to everything else: nice 19, the lowest share (about 1.5%
    of a core against one busy normal process), so a session never waits for it. Not SCHED_IDLE:
    that never runs while any other process is busy, and beside a CPU-heavy task the voice would
    never be prepared. Returns "nice N"."""
    return f"nice {os.nice(19 - os.nice(0))}"


def piper_renderer(model_path: str | None = None) -> Renderer:
    """The default renderer of a preparation (imported in the child: the parent never loads it)."""
    from voicecoach.voice.piper import PiperRenderer, PiperSettings

    return PiperRenderer(PiperSettings(model_path=model_path))


class BackgroundPrepare:
    """A preparation running in a child process: its progress, and how to wait for or stop it."""

    def __init__(self, process, shared) -> None:
        self.process = process
        self._done, self._total, self._rendered, self._error, self._priority = shared

    def progress(self) -> Progress:
        return Progress(self._done.value, self._total.value, self._rendered.value)

    @property
    def priority(self) -> str:
        """What the child set: "idle" or "nice N" ("" until it has started)."""
        return self._priority.value.decode()

    @property
    def error(self) -> str:
        """The child's one-line error, if it failed."""
        return self._error.value.decode("utf-8", "replace")

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait for the child to end; True if it finished (whatever its exit code)."""
        self.process.join(timeout_s)
        return not self.process.is_alive()

    def stop(self) -> None:
        """End the child now; what it stored stays, and the next run resumes from there."""
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)


def prepare_in_background(lines: Iterable[str], cache_dir: str | Path, voices: VoiceSettings | Sequence[VoiceSettings], *,
                          make_renderer: Callable[..., Renderer] = piper_renderer,
                          renderer_args: tuple = ()) -> BackgroundPrepare:
    """Start prepare_lines in a fresh (spawned) low-priority process, which builds its own renderer
    with `make_renderer(*renderer_args)` (picklable), so this process never loads the voice."""
    ctx = mp.get_context("spawn")  # not fork: the parent has audio threads, and must not share the model
    shared = (ctx.Value("i", 0), ctx.Value("i", 0), ctx.Value("i", 0), ctx.Array("c", 300), ctx.Array("c", 20))
    process = ctx.Process(target=_child, name="voicecoach-prepare", daemon=True,
                          args=(list(lines), str(cache_dir), voices, make_renderer, renderer_args, shared, os.getpid()))
    process.start()
    return BackgroundPrepare(process, shared)


def end_with_parent(parent_pid: int) -> None:
    """Have the kernel end this process when its parent dies (Linux), however the parent ended:
    a preparation nobody will use must not keep the CPU, nor the parent's output pipes, open."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the daemon flag ends it with a parent that exits normally
        pass
    if os.getppid() != parent_pid:  # the parent died before the line above: nobody to prepare for
        os._exit(0)


def _child(lines, cache_dir, voices, make_renderer, renderer_args, shared, parent_pid) -> None:
    end_with_parent(parent_pid)
    done, total, rendered, error, priority = shared
    priority.value = lower_priority().encode()[:20]

    def report(state: Progress) -> None:
        done.value, total.value, rendered.value = state.done, state.total, state.rendered

    try:
        prepare_lines(lines, make_renderer(*renderer_args), TtsCache(cache_dir), voices, progress=report)
    except TtsError as exc:
        error.value = str(exc).encode("utf-8")[:299]
        raise SystemExit(1) from None


__all__ = ["BackgroundPrepare", "Progress", "lower_priority", "piper_renderer", "prepare_in_background",
           "prepare_lines"]
