"""Shared fixtures: every test gets its own XDG directories, so no test touches a real journal."""

import pytest

from voicecoach.store.content import load_content


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    return tmp_path


@pytest.fixture(scope="session")
def content():
    return load_content()
