"""Which espeak-ng voices are installed, so a misspelt voice is a one-line error before anything is said.

espeak-ng itself only half-checks: an unknown voice fails at the first line, an unknown variant
("en+nosuch") is silently ignored. A voice name is a language ("en-us"), a voice file
("gmw/en-US") or a voice's name, optionally "+variant" ("en+f3", "en-us+klatt").
"""

from __future__ import annotations

import functools
import shutil
import subprocess

from voicecoach.store.config import ConfigError


class VoiceError(ConfigError):
    """A voice name that no installed espeak-ng voice answers to."""


@functools.lru_cache(maxsize=1)
def installed_voices() -> tuple[frozenset[str], frozenset[str]] | None:
    """(voice names, variant names), lower case; None when espeak-ng cannot be asked."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        return None
    try:
        voices = _names(subprocess.run([binary, "--voices"], capture_output=True, text=True, timeout=20).stdout)
        variants = _names(subprocess.run([binary, "--voices=variant"], capture_output=True, text=True,
                                         timeout=20).stdout)
    except (OSError, subprocess.SubprocessError):
        return None
    return frozenset(voices), frozenset(variants)


def _names(listing: str) -> set[str]:
    """Every name a voice answers to, from `espeak-ng --voices`' columns (language, name, file)."""
    names: set[str] = set()
    for line in listing.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 5:
            continue
        language, name, file = fields[1], fields[3], fields[4]
        names.update({language, file, file.rsplit("/", 1)[-1]} | ({name} if "(" not in name else set()))
        names.update(extra.strip("()") for extra in fields[5::2])  # "(en 3)": the other languages it covers
    return {n.lower() for n in names if n and n != "variant"}


def check_voice(name: str, where: str = "voice") -> str:
    """`name` if espeak-ng has it (or cannot be asked: then speech itself reports it); else VoiceError."""
    found = installed_voices()
    if found is None:
        return name
    voices, variants = found
    base, _, variant = name.strip().partition("+")
    if not base or base.lower() not in voices:
        raise VoiceError(f"{where}: no espeak-ng voice called {base!r}; `espeak-ng --voices` lists them (e.g. en-us, en-gb)")
    if variant and variant.lower() not in variants:
        raise VoiceError(f"{where}: no espeak-ng voice variant called {variant!r}; `espeak-ng --voices=variant` "
                         f"lists them (e.g. f3, m2)")
    return name
