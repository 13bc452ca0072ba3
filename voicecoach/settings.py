"""Every tunable of the coach in one tree, each with its unit and its allowed range beside it.

`SessionSettings` paces the session, `ListenerSettings` (with `VadSettings`) shapes how the coach
hears, `HoldPacing` places counts and cues in a hold. The config file's `[session]` and
`[listening]` tables are read into them by one validator, `load`, which checks every value
against the range written next to its field; a field without a range is not settable from the
file. It imports only the TOML input helpers: every stage can depend on it.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

from voicecoach.store.toml_input import InputError, number, unknown_key


class Range(NamedTuple):
    low: float
    high: float


RATE_WPM = Range(110, 200)  # slower drags; faster is no longer calm (words per minute)
DEFAULT_RATE_WPM = 150
VOLUME = Range(0.2, 1.0)  # quieter is missed: a coach that cannot be heard cannot warn (0..1 gain)
DEFAULT_VOLUME = 0.8


def tunable(default: Any, low: float | None = None, high: float | None = None, unit: str = "") -> Any:
    """A settings field: its default, the range a config file may set it to, and its unit."""
    meta = {"range": Range(low, high) if low is not None and high is not None else None, "unit": unit}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class SessionSettings:
    """How the coach paces a session."""

    hold_s: dict[str, int] = tunable({}, unit="s")  # exercise id -> hold, clamped to its safe range
    rounds: dict[str, int] = tunable({})  # exercise id -> rounds (sides x rounds holds)
    rate_wpm: int = tunable(DEFAULT_RATE_WPM, *RATE_WPM, unit="wpm")
    min_rate_wpm: int = int(RATE_WPM.low)  # "slower" goes no lower
    max_rate_wpm: int = int(RATE_WPM.high)
    rate_step_wpm: int = tunable(15, 5, 40, unit="wpm")  # what "slower" and "faster" change
    volume: float = tunable(DEFAULT_VOLUME, *VOLUME)
    min_volume: float = VOLUME.low
    max_volume: float = VOLUME.high
    volume_step: float = tunable(0.15, 0.05, 0.4)
    hold_step_s: int = tunable(5, 1, 10, unit="s")  # what "longer" and "shorter" change
    answer_wait_s: float = tunable(8.0, 2, 60, unit="s")  # for a yes/no or a rating
    position_wait_s: float = tunable(15.0, 3, 120, unit="s")  # to get into position before the coach goes on
    move_wait_s: float = tunable(8.0, 2, 60, unit="s")  # to move into the stretch
    release_wait_s: float = tunable(4.0, 1, 30, unit="s")
    pause_wait_s: float = tunable(90.0, 10, 600, unit="s")  # paused with no word before the coach checks in
    asleep_after_s: float = tunable(180.0, 30, 1800, unit="s")  # silence before "are you still with me?"
    # The one "ask again in other words, then end safely" rule (coach/asking.py), two counts:
    max_attempts: int = tunable(3, 1, 6)  # a safety question (red flag, read-back, reminder), asked in all
    other_attempts: int = tunable(2, 1, 6)  # a rating, "do you want to stop?", "carry on or finish?", "still there?"
    free_repeats: int = tunable(1, 0, 3)  # requests to hear a question again that do not count as a try
    confirm_below: float = tunable(0.85, 0, 1)  # a red-flag "no" heard with less confidence is read back
    rate_stiffness: bool = tunable(True)  # ask the 0-10 stiffness rating before and after


@dataclass(frozen=True)
class HoldPacing:
    """Where counts and breathing cues fall in a hold, and how replies are fitted around them."""

    cue_clear_of_count_s: float = 1.5  # no breathing cue this close to a count
    cue_clear_of_end_s: float = 2.0  # ... nor this close to the release
    due_window_s: float = 0.75  # a wake-up this close to a count or cue says it
    end_early_s: float = 0.25  # the hold is over this close to its end (clock granularity)
    quiet_before_s: float = 0.5  # a reply must end this long before the next count or the release
    words_per_minute_margin: float = 1.25  # a reply's length is guessed generously ...
    reply_pad_s: float = 0.5  # ... plus this
    # rough seconds of talk per step, for "how long is left?"
    talk_s: dict[str, int] = field(default_factory=lambda: {"position": 25, "move": 15, "release": 8})


@dataclass(frozen=True)
class VadSettings:
    """End-pointing by energy above an adaptive noise floor. Levels in dBFS, times in seconds."""

    threshold_db: float = tunable(10.0, 3, 30, unit="dB")  # a loud frame is this far above the noise floor
    min_level_db: float = tunable(-55.0, -80, -20, unit="dBFS")  # never call anything quieter than this speech
    initial_floor_db: float = tunable(-60.0, -90, -20, unit="dBFS")  # assumed before a full window has been heard
    floor_window_s: float = tunable(2.0, 0.5, 10, unit="s")  # the floor is the quietest frame level in this window
    start_s: float = tunable(0.06, 0.02, 0.5, unit="s")  # loud time needed to open a segment
    end_silence_s: float = tunable(0.35, 0.1, 2, unit="s")  # quiet time that closes a segment
    preroll_s: float = tunable(0.25, 0, 1, unit="s")  # audio kept from before the start
    max_utterance_s: float = tunable(8.0, 2, 30, unit="s")  # force a cut (steady noise must not hold the mic open)


@dataclass(frozen=True)
class ListenerSettings:
    """How the listener turns microphone frames into utterances and barge-in events."""

    vad: VadSettings = field(default_factory=VadSettings)
    echo_margin_s: float = tunable(0.5, 0, 2, unit="s")  # an utterance this close to the coach's speech may be its echo
    # Loud time, after the end-pointer has opened, before an onset is reported (the end-pointer
    # itself needs 60 ms). Measured in scripts/bench_bargein.py: see docs/benchmarks.md, "Barge-in".
    onset_confirm_s: float = tunable(0.0, 0, 0.5, unit="s")
    # Speech the recognizer could not place counts as words (unclear) only with this much voicing;
    # a cough or a bump has none (scripts/bench_bargein.py, tests/test_bargein.py).
    min_voiced_s: float = tunable(0.02, 0, 0.5, unit="s")
    # 10 dB. 12 kept a soft "s" over the coach shut until its vowel; 8 opened on it about 100 ms
    # sooner, but one prepared set of the neural voice's lines, at twice the demo's echo, rose
    # 10-12 dB above its usual leftovers for 60-80 ms twice a session (the coach cut itself off);
    # 10 gives 0 there, at the price of 10-90 ms more onset latency at -6 dB SER
    # (scripts/bench_bargein.py; docs/benchmarks.md, "Barge-in").
    echo_gate_margin_db: float = tunable(10.0, 0, 30, unit="dB")
    # The gate also lets a frame through when the band from this frequency up is this far above
    # the leftovers there (0 Hz: no band test). It opens on the "s" of "stop", 100-150 ms before
    # its vowel: 6 dB under the coach, onset to silence went from a median of 160-220 ms to
    # 60-130. 8 dB, or 4 kHz up, let the neural voice cut itself off at three times the demo's
    # echo; even so, fresh sets of it do that 12-20 times a session there, 0 at 1x and 2x
    # (scripts/bench_bargein.py; docs/benchmarks.md, "Barge-in").
    echo_gate_band_low_hz: float = tunable(3000.0, 0, 7000, unit="Hz")
    echo_gate_band_margin_db: float = tunable(10.0, 0, 30, unit="dB")
    # What the gate leaves of a frame it takes for the coach's echo. -30 dB (the old value) left
    # the loudest neural-voice echo at twice the demo's level just above the end-pointer's
    # -55 dBFS floor: two self-onsets a session; -40 and -50 dB gave none (docs/benchmarks.md).
    echo_gated_gain_db: float = tunable(-45.0, -80, 0, unit="dB")


class SettingsError(ValueError):
    """A config value outside its range, of the wrong kind, or unknown; the message names it."""


S = TypeVar("S")


def load(cls: type[S], table: object, where: str, *, base: S | None = None, also: tuple[str, ...] = ()) -> S:
    """`cls` with the values of a config table laid over `base` (or the defaults), each checked
    against its field's range and kind. Unknown keys, and fields without a range, are refused
    (`also`: keys the caller reads itself, named in the hint)."""
    current = base if base is not None else cls()
    if not isinstance(table, dict):
        raise SettingsError(f"{where}: must be a table of settings, got {type(table).__name__}")
    fields = {f.name: f for f in dataclasses.fields(current)}  # type: ignore[arg-type]
    hints = typing.get_type_hints(cls)
    settable = [name for name, f in fields.items() if _settable(f, hints[name])]
    changes: dict[str, object] = {}
    for key, value in table.items():
        name = str(key)
        if name not in settable:
            raise SettingsError(f"{where}: {unknown_key(name, [*settable, *also])}")
        changes[name] = _value(hints[name], fields[name], value, f"{where}.{name}", getattr(current, name))
    return dataclasses.replace(current, **changes)  # type: ignore[type-var]


def _settable(f: dataclasses.Field[Any], hint: object) -> bool:
    return dataclasses.is_dataclass(hint) or f.metadata.get("range") is not None or hint is bool


def _value(hint: object, f: dataclasses.Field[Any], value: object, where: str, current: object) -> object:
    if dataclasses.is_dataclass(hint):
        return load(typing.cast(type, hint), value, where, base=current)
    if hint is bool:
        if not isinstance(value, bool):
            raise SettingsError(f"{where}: must be true or false")
        return value
    low, high = f.metadata["range"]
    try:
        checked = number(value, where, low, high, whole=hint is int)
    except InputError as exc:
        raise SettingsError(str(exc)) from None
    return int(checked) if hint is int else float(checked)
