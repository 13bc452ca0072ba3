"""Settings from the TOML config file and the command line, checked before anything starts.

File: $XDG_CONFIG_HOME/voicecoach/config.toml (see README, "Configuration"). Command-line flags win.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from voicecoach.settings import VOLUME, ListenerSettings, SessionSettings, SettingsError, load
from voicecoach.store.content import Routine
from voicecoach.store.toml_input import InputError, number, read_toml, short, unknown_key


class ConfigError(ValueError):
    """A setting that cannot be used; the message says which and what to do."""


@dataclass(frozen=True)
class AppConfig:
    """Everything a run needs besides content."""

    session: SessionSettings = field(default_factory=SessionSettings)
    listening: ListenerSettings = field(default_factory=ListenerSettings)
    voice: str = "en-us"  # espeak-ng voice name
    voice_engine: str = "auto"  # auto (= piper where installed, else pyttsx3), piper, pyttsx3 or espeak
    night_volume: float | None = None  # used instead of the volume during the night hours
    night_hours: tuple[dt.time, dt.time] = (dt.time(21, 0), dt.time(7, 0))  # local time, from-to
    quiet_hours: tuple[dt.time, dt.time] | None = None  # no start phrase accepted then (local time)
    engine: str = "auto"  # auto (= whisper), whisper, vosk or pocketsphinx
    vosk_model: str = ""  # a Vosk model directory; empty: look in models/
    input_device: str = ""  # name, index or ALSA card (plughw:CARD=...); empty: the default
    output_device: str = ""
    wait_for_devices_s: float = 30.0  # how long `run` keeps trying to open absent or busy devices


ENGINES = ("auto", "whisper", "vosk", "pocketsphinx")
VOICE_ENGINES = ("auto", "piper", "pyttsx3", "espeak")
# A red-flag "no" (and the "yes" that accepts its read-back) heard with less confidence than
# this is read back, unless [session] confirm_below is set. Whisper's word-token confidence,
# tune speakers (scripts/bench_recognition.py): right "yes"/"no" median 0.75, 10th percentile
# 0.6; other words taken for yes/no 0.07-0.34. PocketSphinx and Vosk keep the session default.
ENGINE_CONFIRM_BELOW = {"auto": 0.4, "whisper": 0.4}


def _number(value: object, where: str, low: float, high: float, *, whole: bool = False) -> float:
    try:
        return number(value, where, low, high, whole=whole)
    except InputError as exc:
        raise ConfigError(str(exc)) from None


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or len(value) > 500 or "\x00" in value:
        raise ConfigError(f"{where}: must be a short text, got {type(value).__name__}")
    return value


def _unknown(where: str, key: object, known) -> ConfigError:
    return ConfigError(f"{where}: {unknown_key(key, known)}")


def _per_exercise(raw: object, where: str, routine: Routine, kind: str) -> dict[str, int]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table of exercise = {kind}")
    exercises = {e.id: e for e in routine.exercises}
    out = {}
    for exercise_id, value in raw.items():
        if exercise_id not in exercises:
            raise ConfigError(f"{where}: no such exercise {str(exercise_id)[:40]!r} (known: {', '.join(exercises)})")
        if kind == "seconds":
            safe = exercises[exercise_id].hold_s
            out[exercise_id] = int(_number(value, f"{where}.{exercise_id}", safe.min_s, safe.max_s, whole=True))
        else:
            out[exercise_id] = int(_number(value, f"{where}.{exercise_id}", 1, 10, whole=True))
    return out


def build_config(raw: dict, routine: Routine, source: str) -> AppConfig:
    """Check a config table (from the file, with flags merged in) and build the settings."""
    known = ("voice", "session", "recognizer", "audio", "listening")
    for key, table in raw.items():
        if key not in known:
            raise _unknown(source, key, known)
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: [{key}] must be a table of settings, got {type(table).__name__}")
    voice, session = raw.get("voice", {}), raw.get("session", {})
    recognizer, audio = raw.get("recognizer", {}), raw.get("audio", {})
    changes: dict[str, Any] = {}  # SessionSettings fields, each value already checked for its field
    numbers: dict[str, object] = {}  # checked against the ranges in settings.py
    for key, value in session.items():
        where = f"{source}: session.{key}"
        if key == "hold_s":
            changes["hold_s"] = _per_exercise(value, where, routine, "seconds")
        elif key == "rounds":
            changes["rounds"] = _per_exercise(value, where, routine, "rounds")
        elif key == "quiet_hours":
            continue  # read below: a device setting, not the session's
        elif key in ("rate_wpm", "volume"):
            raise ConfigError(f"{where}: set it in [voice], not [session]")
        else:
            numbers[key] = value
    for key, value in voice.items():
        if key in ("rate_wpm", "volume"):
            numbers[key] = value
        elif key not in ("name", "engine", "night_volume", "night_hours"):
            raise _unknown(f"{source}: voice", key, ("name", "engine", "rate_wpm", "volume", "night_volume",
                                                     "night_hours"))
    voice_engine = voice.get("engine", "auto")
    if not isinstance(voice_engine, str) or voice_engine not in VOICE_ENGINES:
        raise ConfigError(f"{source}: voice.engine: must be one of {', '.join(VOICE_ENGINES)}, got {short(voice_engine)}")
    try:
        defaults = load(SessionSettings, {k: v for k, v in numbers.items() if k not in ("rate_wpm", "volume")},
                        f"{source}: session", also=("hold_s", "rounds", "quiet_hours"))
        defaults = load(SessionSettings, {k: v for k, v in numbers.items() if k in ("rate_wpm", "volume")},
                        f"{source}: voice", base=defaults)
        listening = load(ListenerSettings, raw.get("listening", {}), f"{source}: listening")
    except SettingsError as exc:
        raise ConfigError(str(exc)) from None
    night = voice.get("night_volume")
    if night is not None:
        night = float(_number(night, f"{source}: voice.night_volume", *VOLUME))
    night_hours = _hours(voice.get("night_hours", "21:00-07:00"), f"{source}: voice.night_hours")
    quiet = session.get("quiet_hours")
    quiet_hours = _hours(quiet, f"{source}: session.quiet_hours") if quiet is not None else None
    if quiet_hours is not None and _minutes_free(quiet_hours) < 60:
        raise ConfigError(f"{source}: session.quiet_hours: must leave at least an hour to start a session in, "
                          f"got {short(quiet)}")
    engine = recognizer.get("engine", "auto")
    if not isinstance(engine, str) or engine not in ENGINES:
        raise ConfigError(f"{source}: recognizer.engine: must be one of {', '.join(ENGINES)}, got {short(engine)}")
    for key in recognizer:
        if key not in ("engine", "vosk_model"):
            raise _unknown(f"{source}: recognizer", key, ("engine", "vosk_model"))
    for section, table, texts in (("voice", voice, ("name",)), ("recognizer", recognizer, ("vosk_model",)),
                                  ("audio", audio, ("input_device", "output_device"))):
        for key in texts:
            if key in table:
                _text(table[key], f"{source}: {section}.{key}")
    if "confirm_below" not in session and engine in ENGINE_CONFIRM_BELOW:
        changes["confirm_below"] = ENGINE_CONFIRM_BELOW[engine]  # each engine's confidence has its own scale
    for key in audio:
        if key not in ("input_device", "output_device", "wait_for_devices_s"):
            raise _unknown(f"{source}: audio", key, ("input_device", "output_device", "wait_for_devices_s"))
    wait_s = float(_number(audio.get("wait_for_devices_s", 30.0), f"{source}: audio.wait_for_devices_s", 0, 3600))
    return AppConfig(
        session=replace(defaults, **changes),
        listening=listening,
        voice=str(voice.get("name", "en-us")),
        voice_engine=voice_engine,
        night_volume=night,
        night_hours=night_hours,
        quiet_hours=quiet_hours,
        engine=engine,
        vosk_model=str(recognizer.get("vosk_model", "")),
        input_device=str(audio.get("input_device", "")),
        output_device=str(audio.get("output_device", "")),
        wait_for_devices_s=wait_s,
    )


def _hours(value: object, where: str) -> tuple[dt.time, dt.time]:
    try:
        if not isinstance(value, str) or len(value) > 40:
            raise ValueError
        start, end = (dt.time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError:
        raise ConfigError(f"{where}: must look like \"21:00-07:00\", got {str(value)[:40]!r}") from None
    return start, end


def _minutes_free(hours: tuple[dt.time, dt.time]) -> int:
    """Minutes of the day outside the span from-to."""
    start, end = (t.hour * 60 + t.minute for t in hours)
    return (start - end) % (24 * 60)


def within(hours: tuple[dt.time, dt.time], now: dt.time) -> bool:
    """Whether `now` falls in the span from-to, which may run past midnight."""
    start, end = hours
    return start <= now < end if start < end else (now >= start or now < end)


def starting_volume(config: AppConfig, now: dt.time) -> float:
    """The volume a session starts at: the night volume during the night hours, if one is set."""
    if config.night_volume is None or not within(config.night_hours, now):
        return config.session.volume
    return config.night_volume


def read_config_file(path: Path, required: bool) -> dict:
    """The raw tables of a config file; an absent default file is an empty config."""
    if not path.exists():
        if required:
            raise ConfigError(f"{path}: no such config file")
        return {}
    try:
        return read_toml(path)
    except InputError as exc:
        raise ConfigError(f"{path}: {exc}; fix it or move it away") from None


def merge(raw: dict, overrides: dict) -> dict:
    """Config tables with command-line values laid over them, section by section."""
    out = {section: dict(values) if isinstance(values, dict) else values for section, values in raw.items()}
    for section, values in overrides.items():
        current = out.setdefault(section, {})
        if not isinstance(current, dict):
            raise ConfigError(f"config: [{section}] must be a table")
        for key, value in values.items():
            if isinstance(value, dict) and isinstance(current.get(key), dict):
                current[key] = {**current[key], **value}
            else:
                current[key] = value
    return out


