"""On-disk cache of rendered coach lines, so common lines start at once.

A line is keyed by its text, voice, rate (words per minute) and the renderer's engine id
(engine and version), and stored as a WAV file under $XDG_CACHE_HOME/voicecoach/tts
(or ~/.cache/voicecoach/tts).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from voicecoach.audio.chunks import AudioChunk, AudioFileError, read_wav, write_wav
from voicecoach.store import paths
from voicecoach.voice.renderers import Renderer, VoiceSettings

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/voicecoach/tts, or ~/.cache/voicecoach/tts (worked out in store/paths.py)."""
    return paths.speech_cache_dir()


def cache_key(text: str, voice: VoiceSettings, engine_id: str) -> str:
    """A stable hex key for one rendered line."""
    fields = {"text": text, "voice": voice.voice, "rate_wpm": voice.rate_wpm, "engine": engine_id}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode("utf-8")).hexdigest()


class TtsCache:
    """Rendered lines on disk; `render` returns the cached audio or renders and stores it."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.hits = 0
        self.misses = 0

    def path_for(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.wav"

    def get(self, key: str) -> AudioChunk | None:
        """The cached audio for `key`, or None. A damaged entry (cut short, garbage, unreadable)
        is deleted, so the cache heals itself: the line is rendered and stored again."""
        path = self.path_for(key)
        if not path.exists():
            return None
        try:
            return read_wav(path, whole=True)
        except AudioFileError as exc:
            log.warning("deleting damaged speech cache entry %s: %s", path, exc)
            try:
                path.unlink(missing_ok=True)
            except OSError as gone:
                log.warning("cannot delete %s: %s", path, gone)
            return None

    def put(self, key: str, chunk: AudioChunk) -> None:
        """Store `chunk` atomically; a cache that cannot be written is logged, not fatal."""
        path = self.path_for(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".wav", dir=path.parent)
            os.close(fd)
            try:
                write_wav(tmp, chunk)
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except (OSError, AudioFileError) as exc:
            log.warning("cannot write speech cache %s: %s", path, exc)

    def render(self, renderer: Renderer, text: str, voice: VoiceSettings) -> AudioChunk:
        """The line's audio: from the cache when present, else rendered now and stored."""
        key = cache_key(text, voice, renderer.engine_id)
        chunk = self.get(key)
        if chunk is not None:
            self.hits += 1
            return chunk
        self.misses += 1
        chunk = renderer.render(text, voice)
        if len(chunk.samples):
            self.put(key, chunk)
        return chunk

    def prerender(self, renderer: Renderer, lines: Iterable[str], voice: VoiceSettings) -> int:
        """Render and store every line not cached yet (e.g. a routine's lines at start-up).

        Returns how many lines were rendered now.
        """
        rendered = 0
        for text in dict.fromkeys(line for line in lines if line.strip()):
            key = cache_key(text, voice, renderer.engine_id)
            if self.get(key) is not None:  # reads the entry: a damaged one is rendered again
                continue
            chunk = renderer.render(text, voice)
            self.put(key, chunk)
            rendered += 1
        return rendered
