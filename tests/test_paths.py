"""Where voicecoach finds its folders: XDG data, config and cache, the speech cache, and models
($VOICECOACH_MODELS, else a source checkout's models/, else XDG data)."""

from pathlib import Path

import pytest

from voicecoach.store import paths

CHECKOUT = Path(__file__).resolve().parents[1]


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """The package as if installed: its parent folder (site-packages) has no pyproject.toml."""
    package = tmp_path / "site-packages" / "voicecoach"
    package.mkdir(parents=True)
    monkeypatch.setattr(paths, "PACKAGE_DIR", package)
    return package


def test_every_folder_follows_the_xdg_variables(isolated_home):
    assert paths.data_dir() == isolated_home / "xdg_data_home" / "voicecoach"
    assert paths.config_dir() == isolated_home / "xdg_config_home" / "voicecoach"
    assert paths.cache_dir() == isolated_home / "xdg_cache_home" / "voicecoach"
    assert paths.speech_cache_dir() == isolated_home / "xdg_cache_home" / "voicecoach" / "tts"


def test_without_xdg_variables_the_folders_are_under_home(tmp_path, monkeypatch):
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, "")  # set but empty counts as unset (XDG spec)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.data_dir() == tmp_path / ".local/share/voicecoach"
    assert paths.config_path() == tmp_path / ".config/voicecoach/config.toml"
    assert paths.speech_cache_dir() == tmp_path / ".cache/voicecoach/tts"


def test_the_speech_cache_and_the_recognizer_use_these_folders(isolated_home, monkeypatch, tmp_path):
    from voicecoach.ears.engines import RecognizerError, load_vocabularies, make_recognizer
    from voicecoach.voice.cache import TtsCache, default_cache_dir

    assert default_cache_dir() == paths.speech_cache_dir() == TtsCache().directory
    monkeypatch.setenv(paths.MODELS_ENV, str(tmp_path / "no-models-here"))
    with pytest.raises(RecognizerError, match="no-models-here"):  # looked up when made, not at import
        make_recognizer(load_vocabularies(), engine="vosk")


def test_running_from_this_checkout_models_are_its_models_folder(monkeypatch):
    monkeypatch.delenv(paths.MODELS_ENV, raising=False)
    assert paths.PACKAGE_DIR == CHECKOUT / "voicecoach"
    assert paths.source_checkout() == CHECKOUT
    assert paths.models_dir() == CHECKOUT / "models"


def test_the_models_variable_wins_everywhere(monkeypatch, tmp_path, installed):
    monkeypatch.setenv(paths.MODELS_ENV, str(tmp_path / "mine"))
    assert paths.models_dir() == tmp_path / "mine"
    monkeypatch.setattr(paths, "PACKAGE_DIR", CHECKOUT / "voicecoach")
    assert paths.models_dir() == tmp_path / "mine"
    monkeypatch.setenv(paths.MODELS_ENV, "~/models")
    assert paths.models_dir() == Path.home() / "models"


def test_installed_models_are_in_xdg_data(monkeypatch, isolated_home, installed):
    monkeypatch.setenv(paths.MODELS_ENV, "")  # empty: unset
    (installed.parent / "models").mkdir()  # a models folder beside the package is not a checkout
    assert paths.source_checkout() is None
    assert paths.models_dir() == isolated_home / "xdg_data_home" / "voicecoach" / "models"


@pytest.mark.parametrize("pyproject", [
    '[project]\nname = "someone-else"\n',  # another project's checkout
    '[tool.voicecoach]\nname = "voicecoach"\n',  # names voicecoach, but not as the project
    '[project\nname = "voicecoach"\n',  # not TOML
    b"\xff\xfe[project]",  # not text
])
def test_only_a_pyproject_naming_voicecoach_makes_a_checkout(monkeypatch, isolated_home, installed, pyproject):
    monkeypatch.delenv(paths.MODELS_ENV, raising=False)
    target = installed.parent / "pyproject.toml"
    target.write_bytes(pyproject) if isinstance(pyproject, bytes) else target.write_text(pyproject)
    assert paths.source_checkout() is None
    assert paths.models_dir() == isolated_home / "xdg_data_home" / "voicecoach" / "models"
    target.write_text('[project]\nname = "voicecoach"\nversion = "0.1.0"\n')
    assert paths.source_checkout() == installed.parent
    assert paths.models_dir() == installed.parent / "models"
