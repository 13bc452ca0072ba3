"""Where voicecoach keeps and finds its files: the one place every folder is worked out.

Data, config and cache follow the XDG base directories (~/.local/share, ~/.config, ~/.cache).
Speech models (Vosk) live in $VOICECOACH_MODELS if set; else, when running from a source
checkout, in the checkout's models/; else in $XDG_DATA_HOME/voicecoach/models.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

MODELS_ENV = "VOICECOACH_MODELS"
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the voicecoach package folder


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / fallback


def data_dir() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / "voicecoach"


def config_dir() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / "voicecoach"


def cache_dir() -> Path:
    return _xdg("XDG_CACHE_HOME", ".cache") / "voicecoach"


def speech_cache_dir() -> Path:
    """Rendered coach lines (voice/cache.py)."""
    return cache_dir() / "tts"


def journal_path() -> Path:
    return data_dir() / "journal.sqlite3"


def config_path() -> Path:
    return config_dir() / "config.toml"


def source_checkout() -> Path | None:
    """The source checkout the package runs from, or None when it is installed.

    A checkout is the package's parent folder with a pyproject.toml whose project is voicecoach;
    an installed package's parent is site-packages, which has none.
    """
    root = PACKAGE_DIR.parent
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8")).get("project")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return root if isinstance(project, dict) and project.get("name") == "voicecoach" else None


def models_dir() -> Path:
    """Where speech models are found and installed: $VOICECOACH_MODELS, the checkout's models/, or XDG data."""
    named = os.environ.get(MODELS_ENV)
    if named:
        return Path(named).expanduser()
    checkout = source_checkout()
    return checkout / "models" if checkout is not None else data_dir() / "models"
