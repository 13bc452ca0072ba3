"""Where voicecoach keeps its files, following the XDG base directories."""

from __future__ import annotations

import os
from pathlib import Path


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / fallback


def data_dir() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / "voicecoach"


def config_dir() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / "voicecoach"


def cache_dir() -> Path:
    return _xdg("XDG_CACHE_HOME", ".cache") / "voicecoach"


def journal_path() -> Path:
    return data_dir() / "journal.sqlite3"


def config_path() -> Path:
    return config_dir() / "config.toml"
