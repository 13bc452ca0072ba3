"""Finding and opening the bedside's sound devices, which may not be there yet.

A service can start before its USB microphone or speaker exists, and PortAudio lists the
devices only when it is initialized. So opening is retried with back-off, and PortAudio is
re-initialized between attempts to see a card plugged in since. A device can also be named
as ALSA names it, by card (`plughw:CARD=Device,DEV=0`): that name stays the same when the
card's number changes from one boot to the next.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from voicecoach.clock import Clock

log = logging.getLogger(__name__)

ALSA_CARDS = Path("/proc/asound/cards")
_BY_CARD = re.compile(r"^(?:plug)?hw:CARD=(?P<card>[^,\s]+)(?:,DEV=(?P<dev>\d+))?$")
_CARD_LINE = re.compile(r"^\s*(?P<number>\d+)\s+\[(?P<id>[^\]]+?)\s*\]:", re.MULTILINE)

T = TypeVar("T")


def load_sounddevice():
    """Import sounddevice (which initializes PortAudio) with ALSA hardware opened through `plughw`.

    PA_ALSA_PLUGHW makes PortAudio open a card through ALSA's plug layer, which converts the
    rate: most USB microphones record only at 44.1 or 48 kHz, and the recognizer wants 16 kHz.
    """
    os.environ.setdefault("PA_ALSA_PLUGHW", "1")
    import sounddevice

    return sounddevice


def alsa_cards(text: str) -> dict[str, int]:
    """Card id -> card number, from the text of /proc/asound/cards."""
    return {m["id"]: int(m["number"]) for m in _CARD_LINE.finditer(text)}


def resolve_device(choice: str | int | None, kind: str, sd, cards_file: Path = ALSA_CARDS) -> str | int | None:
    """The PortAudio device for a configured choice (`kind` is "input" or "output").

    An ALSA card name becomes the index of that card's device, found by the "(hw:N,D)" or
    "(plughw:N,D)" that PortAudio puts at the end of a card's device names; any other choice
    (None, an index, part of a name) is returned as it is. Raises ValueError when the card is
    not there (yet).
    """
    match = _BY_CARD.match(choice) if isinstance(choice, str) else None
    if match is None:
        return choice
    card, dev = match["card"], int(match["dev"] or 0)
    cards = alsa_cards(cards_file.read_text() if cards_file.exists() else "")
    if card not in cards:
        raise ValueError(f"no sound card named {card!r} (cards now: {', '.join(cards) or 'none'})")
    ending = re.compile(rf"\((?:plug)?hw:{cards[card]},{dev}\)$")
    channels = "max_input_channels" if kind == "input" else "max_output_channels"
    for device in sd.query_devices():
        if ending.search(device["name"]) and device[channels] > 0:
            return device["index"]
    raise ValueError(f"sound card {card!r} (card {cards[card]}) has no {kind} device {dev}")


def busy_hint(exc: Exception) -> str:
    """What to add to an error from PortAudio when the device is held by another program."""
    text = str(exc)
    if "-9985" in text or "Device unavailable" in text or "busy" in text.lower():
        return "; another program is using it (the voicecoach service? `sudo systemctl stop voicecoach`)"
    return ""


def rescan(sd) -> None:
    """Re-initialize PortAudio so that it lists the devices there now.

    This closes every open stream, so call it only with none open. It is the sounddevice
    maintainers' advice for seeing hot-plugged devices (python-sounddevice issue #125).
    """
    sd._terminate()
    sd._initialize()


@dataclass(frozen=True)
class Backoff:
    """Waits between attempts: doubling from `first_s` up to `longest_s`, for `give_up_after_s` in all."""

    first_s: float = 0.5
    longest_s: float = 8.0
    give_up_after_s: float = 30.0

    def waits(self) -> Iterator[float]:
        waited, wait = 0.0, self.first_s
        while waited + wait <= self.give_up_after_s:
            yield wait
            waited += wait
            wait = min(2 * wait, self.longest_s)


def open_with_backoff(open_devices: Callable[[], T], *, retry_on: tuple[type[Exception], ...], backoff: Backoff,
                      clock: Clock, before_retry: Callable[[], None]) -> T:
    """`open_devices()`, tried again after each wait while it raises one of `retry_on`.

    `open_devices` must close what it opened before it raises, so that `before_retry` (a
    rescan) finds no stream open. The last attempt's error goes to the caller.
    """
    for wait in backoff.waits():
        try:
            return open_devices()
        except retry_on as exc:
            log.warning("audio devices not ready (%s); trying again in %.1f s", exc, wait)
        clock.sleep(wait)
        before_retry()
    return open_devices()
