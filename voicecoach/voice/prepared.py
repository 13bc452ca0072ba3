"""A slow voice as a live session uses it: every line from the lines rendered ahead of time,
and any line that is not ready said at once by the quick voice (espeak-ng), so a stop, an
answer or a count is never late and the session process never loads the neural voice.
"""

from __future__ import annotations

import logging

from voicecoach.audio.chunks import AudioChunk
from voicecoach.voice.cache import TtsCache, cache_key
from voicecoach.voice.renderers import Renderer, VoiceSettings

log = logging.getLogger(__name__)


class PreparedVoice:
    """Renders from the cache entries of the slow voice `prepared_id`; a miss goes to `quick`."""

    def __init__(self, prepared_id: str, cache: TtsCache, quick: Renderer) -> None:
        self.prepared_id = prepared_id
        self.cache = cache
        self.quick = quick
        self.prepared = 0  # lines said in the slow voice
        self.not_ready: list[str] = []  # lines said by the quick voice instead

    @property
    def engine_id(self) -> str:
        return f"prepared {self.prepared_id} or {self.quick.engine_id}"

    def render(self, text: str, voice: VoiceSettings) -> AudioChunk:
        chunk = self.cache.get(cache_key(text, voice, self.prepared_id))
        if chunk is not None:
            self.prepared += 1
            return chunk
        if not self.not_ready:
            log.warning("the neural voice has not prepared every line yet (`voicecoach prepare`); "
                        "espeak-ng says the ones that are not ready")
        self.not_ready.append(text)
        log.info("not prepared, said by %s: %r", self.quick.engine_id, text[:60])
        return self.cache.render(self.quick, text, voice)

    @property
    def fallback_share(self) -> float:
        """The share of lines said by the quick voice (0 once everything is prepared)."""
        said = self.prepared + len(self.not_ready)
        return len(self.not_ready) / said if said else 0.0
