"""Reading a TOML file a person wrote, so that no file can crash, hang or exhaust the coach.

Every loader (config, routine, screening, phrases, intents, scenario) reads through here: the
path must be a regular file of modest size, in UTF-8, nested only a little, valid TOML. Each
problem is one line that says what to fix. `checked_fields` builds a settings dataclass from a
table with its fields' types, finite numbers and ranges, and names the nearest known key when a
key is misspelt.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import stat
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

SettingsT = TypeVar("SettingsT", bound="DataclassInstance")

MAX_BYTES = 1_000_000  # content and config files are a few kilobytes
MAX_DEPTH = 8  # the deepest table or list a content file needs is 3 levels


class InputError(ValueError):
    """A file or table that cannot be used; the message is one line, without the file's name."""


def read_toml(path: Path) -> dict[str, Any]:
    """The tables of the TOML file at `path`; InputError (one line) for anything else."""
    try:
        info = path.stat()
    except OSError as exc:
        raise InputError(f"cannot read it ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError("is not a regular file")
    if info.st_size > MAX_BYTES:
        raise InputError(f"is too large ({info.st_size} bytes; at most {MAX_BYTES})")
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read it ({exc.strerror or exc})") from None
    return parse_toml(raw)


def parse_toml(raw: bytes) -> dict[str, Any]:
    """Tables from TOML bytes, with the same checks as `read_toml`."""
    if len(raw) > MAX_BYTES:
        raise InputError(f"is too large (more than {MAX_BYTES} bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None
    if "\x00" in text:
        raise InputError("is not text (it holds a NUL byte)")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML ({exc})") from None
    except RecursionError:
        raise InputError(f"nested too deeply (at most {MAX_DEPTH} levels)") from None
    if _depth(data) > MAX_DEPTH:
        raise InputError(f"nested too deeply (at most {MAX_DEPTH} levels)")
    return data


def _depth(value: object, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def unknown_key(key: object, known: Iterable[str]) -> str:
    """ "unknown key 'rat_wpm' (did you mean 'rate_wpm'?)" """
    known = sorted(known)
    close = difflib.get_close_matches(str(key), known, n=1)
    listed = ", ".join(known[:8]) + (f" and {len(known) - 8} more" if len(known) > 8 else "")
    hint = f"did you mean {close[0]!r}?" if close else f"known: {listed}"
    return f"unknown key {str(key)[:40]!r} ({hint})"


def check_keys(table: Mapping[str, object], known: Iterable[str], where: str) -> None:
    known = list(known)
    for key in table:
        if key not in known:
            raise InputError(f"{where}{'.' if where else ''}{unknown_key(key, known)}")


def number(value: object, where: str, low: float, high: float, *, whole: bool = False) -> float:
    """A finite number within [low, high]; `whole` refuses 1.5 where a count is meant."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where}: must be {'a whole number' if whole else 'a number'}, got {short(value)}")
    if whole and not isinstance(value, int):
        raise InputError(f"{where}: must be a whole number, got {value}")
    if not math.isfinite(value) or not low <= value <= high:
        raise InputError(f"{where}: must be between {low} and {high}, got {value}")
    return value


def checked_fields(kind: type[SettingsT], table: object, where: str, ranges: Mapping[str, tuple[float, float]]) -> SettingsT:
    """An instance of the dataclass `kind` from `table`: only its fields, each of its default's type,
    numbers finite and within `ranges` (field -> (low, high); a number field without one is refused)."""
    if not isinstance(table, dict):
        raise InputError(f"{where}: must be a table")
    fields = {f.name: f for f in dataclasses.fields(kind)}
    check_keys(table, fields, where)
    values: dict[str, object] = {}
    for key, value in table.items():
        default = fields[key].default
        at = f"{where}.{key}"
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise InputError(f"{at}: must be true or false, got {short(value)}")
        elif key in ranges:
            value = number(value, at, *ranges[key], whole=isinstance(default, int))
            value = int(value) if isinstance(default, int) else float(value)
        elif isinstance(default, (int, float)):
            raise TypeError(f"{kind.__name__}.{key} has no range")  # a developer's slip, found by the tests
        elif isinstance(default, str) or default is None:
            if not isinstance(value, str) or len(value) > 1000:
                raise InputError(f"{at}: must be a short text, got {short(value)}")
        values[key] = value
    return kind(**values)


def short(value: object) -> str:
    """A value as an error message may quote it: at most 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
