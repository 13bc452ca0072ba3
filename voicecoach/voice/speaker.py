"""The coach's voice: render a line (through the cache when there is one) and queue it on a player.

Rate (words per minute) and volume (0..1 gain) stay within comfortable bounds and take effect
on the next line. Also lists the audio devices, for `voicecoach devices`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from voicecoach.audio.devices import ALSA_CARDS, alsa_cards
from voicecoach.audio.players import NO_DEVICE_HINT, Player, import_sounddevice
from voicecoach.clock import Clock
from voicecoach.settings import DEFAULT_VOLUME, VOLUME
from voicecoach.voice.cache import TtsCache
from voicecoach.voice.renderers import Renderer, VoiceSettings, clamp_rate_wpm

MIN_VOLUME, MAX_VOLUME = VOLUME  # the range, stated once in settings.py


def clamp_volume(volume: float) -> float:
    """A volume (0..1 gain) brought into the comfortable range."""
    return float(min(MAX_VOLUME, max(MIN_VOLUME, volume)))


@dataclass(frozen=True)
class SpeakerSettings:
    """The starting voice (name, rate in words per minute) and volume (0..1 gain)."""

    voice: VoiceSettings = field(default_factory=VoiceSettings)
    volume: float = DEFAULT_VOLUME


class Speaker:
    """Says lines: text -> renderer (or cache) -> player. `say` returns at once."""

    def __init__(
        self,
        renderer: Renderer,
        player: Player,
        cache: TtsCache | None = None,
        settings: SpeakerSettings = SpeakerSettings(),
    ) -> None:
        self.renderer = renderer
        self.player = player
        self.cache = cache
        self._voice = settings.voice
        self._volume = clamp_volume(settings.volume)

    @property
    def rate_wpm(self) -> int:
        """Speech rate for the next lines, words per minute (setting it clamps it)."""
        return self._voice.rate_wpm

    @rate_wpm.setter
    def rate_wpm(self, rate_wpm: float) -> None:
        self._voice = self._voice.with_rate(rate_wpm)

    @property
    def volume(self) -> float:
        """Gain (0..1) for the next lines (setting it clamps it)."""
        return self._volume

    @volume.setter
    def volume(self, volume: float) -> None:
        self._volume = clamp_volume(volume)

    def say(self, text: str, *, rate_wpm: float | None = None, volume: float | None = None) -> float:
        """Queue `text` after what is playing; returns the duration (s) of the queued audio.

        rate_wpm and volume override the speaker's settings for this line only (clamped).
        Raises TtsError when the line cannot be rendered.
        """
        voice = self._voice.with_rate(rate_wpm)
        chunk = self.cache.render(self.renderer, text, voice) if self.cache else self.renderer.render(text, voice)
        if len(chunk.samples) == 0:
            return 0.0
        self.player.volume = clamp_volume(self._volume if volume is None else volume)
        self.player.play(chunk)
        return chunk.duration_s

    def prerender(self, lines: Iterable[str]) -> int:
        """Render lines into the cache ahead of time; returns how many were rendered now."""
        if self.cache is None:
            return 0
        return self.cache.prerender(self.renderer, lines, self._voice)

    def stop(self) -> None:
        """Silence the coach now; returns once silent."""
        self.player.stop()

    def busy(self) -> bool:
        """True while the coach is still speaking."""
        return self.player.busy()

    def wait_until_said(self, clock: Clock, longest_s: float = 30.0) -> None:
        """Wait on `clock` until what is queued has been played, for at most `longest_s`."""
        deadline = clock.now() + longest_s
        while self.busy() and clock.now() < deadline:
            clock.sleep(0.05)


def list_devices() -> str:
    """Input and output audio devices as text, defaults marked, or what to do when there are none.

    Raises PlayerError when PortAudio itself is missing (the message names the apt package).
    """
    sd = import_sounddevice()
    try:
        devices = list(sd.query_devices())
    except sd.PortAudioError:
        devices = []
    if not devices:
        return f"No audio devices found. Without a sound card, {NO_DEVICE_HINT}."
    default_in, default_out = _defaults(sd)
    lines = []
    kinds = (("Input", "max_input_channels", default_in), ("Output", "max_output_channels", default_out))
    for kind, channels_key, default in kinds:
        found = [d for d in devices if d[channels_key] > 0]
        lines.append(f"{kind} devices:")
        if not found:
            lines.append(f"  (none){'  - ' + NO_DEVICE_HINT if kind == 'Output' else ''}")
        for d in found:
            mark = "*" if d["index"] == default else " "
            rate = int(d["default_samplerate"])
            lines.append(f"  {mark} {d['index']:>2}  {d['name']}  ({d[channels_key]} ch, {rate} Hz)")
    lines.append("* = default. Choose one by index or by part of its name.")
    cards = alsa_cards(ALSA_CARDS.read_text()) if ALSA_CARDS.exists() else {}
    if cards:  # a card's name survives reboots and re-plugging; its number and index may not
        lines.append("Or by sound card: " + ", ".join(f"plughw:CARD={card}" for card in cards))
    return "\n".join(lines)


def _defaults(sd) -> tuple[int, int]:
    try:
        default_in, default_out = sd.default.device
    except (TypeError, ValueError):
        return -1, -1
    return int(default_in if default_in is not None else -1), int(default_out if default_out is not None else -1)


__all__ = ["Speaker", "SpeakerSettings", "clamp_volume", "clamp_rate_wpm", "list_devices"]
