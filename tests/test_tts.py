"""Speech rendering (real espeak-ng and pyttsx3) and the on-disk cache of rendered lines."""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach.audio.chunks import AudioChunk
from voicecoach.voice.cache import TtsCache, default_cache_dir
from voicecoach.voice.renderers import (
    MAX_RATE_WPM,
    MIN_RATE_WPM,
    EspeakRenderer,
    EspeakSettings,
    FallbackRenderer,
    Pyttsx3Renderer,
    Pyttsx3Settings,
    TtsError,
    TtsTimeout,
    TtsUnavailable,
    VoiceSettings,
)

LINE = "Slowly bend one knee toward your chest, and breathe out."  # 10 words


def rms(chunk: AudioChunk) -> float:
    return float(np.sqrt(np.mean(chunk.samples.astype(np.float64) ** 2)))


def assert_plausible_speech(chunk: AudioChunk, words: int, rate_wpm: int) -> None:
    assert chunk.rate_hz == 22050
    assert chunk.samples.dtype == np.int16
    assert rms(chunk) > 500, "rendered audio is (nearly) silent"
    expected_s = words / rate_wpm * 60
    assert 0.5 * expected_s < chunk.duration_s < 2.0 * expected_s


# --- espeak-ng command line ---------------------------------------------------------------


def test_espeak_renders_audible_speech_of_plausible_length():
    chunk = EspeakRenderer().render(LINE, VoiceSettings(rate_wpm=150))
    assert_plausible_speech(chunk, words=10, rate_wpm=150)


def test_espeak_faster_rate_gives_shorter_audio():
    renderer = EspeakRenderer()
    slow = renderer.render(LINE, VoiceSettings(rate_wpm=MIN_RATE_WPM))
    fast = renderer.render(LINE, VoiceSettings(rate_wpm=MAX_RATE_WPM))
    assert fast.duration_s < 0.8 * slow.duration_s


def test_espeak_reads_text_that_looks_like_an_option():
    chunk = EspeakRenderer().render("-s 400 --version", VoiceSettings())
    assert rms(chunk) > 500


def test_blank_text_renders_nothing():
    assert len(EspeakRenderer().render("   ", VoiceSettings()).samples) == 0


def test_missing_espeak_binary_says_what_to_install():
    renderer = EspeakRenderer(EspeakSettings(binary="/nonexistent/espeak-ng"))
    with pytest.raises(TtsUnavailable, match="apt-get install espeak-ng") as info:
        renderer.render("hello", VoiceSettings())
    assert "\n" not in str(info.value)


def test_espeak_unknown_voice_is_a_tts_error():
    with pytest.raises(TtsError, match="exit 1"):
        EspeakRenderer().render("hello", VoiceSettings(voice="xq-nonexistent"))


def test_espeak_time_out_is_reported():
    with pytest.raises(TtsTimeout, match="longer than"):
        EspeakRenderer(EspeakSettings(timeout_s=0.0001)).render(LINE, VoiceSettings())


def test_rate_is_clamped_to_a_comfortable_range():
    assert VoiceSettings(rate_wpm=400).rate_wpm == MAX_RATE_WPM
    assert VoiceSettings(rate_wpm=20).rate_wpm == MIN_RATE_WPM
    assert VoiceSettings().with_rate(160.4).rate_wpm == 160
    assert VoiceSettings(rate_wpm=140).with_rate(None).rate_wpm == 140
    with pytest.raises(ValueError):
        VoiceSettings(voice=" ")


# --- pyttsx3 --------------------------------------------------------------------------------


def test_pyttsx3_renders_the_same_speech_as_espeak(capsys):
    voice = VoiceSettings(rate_wpm=150)
    chunk = Pyttsx3Renderer().render(LINE, voice)
    assert_plausible_speech(chunk, words=10, rate_wpm=150)
    # Same engine underneath: the length matches the command line's within 10 %.
    reference = EspeakRenderer().render(LINE, voice)
    assert abs(chunk.duration_s - reference.duration_s) < 0.1 * reference.duration_s
    assert "Audio saved" not in capsys.readouterr().out  # pyttsx3's print is kept off stdout


def test_pyttsx3_speaking_at_a_stale_rate_is_caught(monkeypatch):
    # Under load pyttsx3 sometimes speaks a line at the previous line's rate, and two such renders
    # agree with each other. The espeak-ng program's length (same engine) catches it.
    from pyttsx3.drivers.espeak import EspeakDriver

    real, stale = EspeakDriver.setProperty, [2]

    def set_property(name, value):
        if name == "rate" and stale[0] > 0:  # the first two renders get the old rate
            stale[0] -= 1
            value = 110
        return real(name, value)

    monkeypatch.setattr(EspeakDriver, "setProperty", staticmethod(set_property))
    voice = VoiceSettings(rate_wpm=160)
    chunk = Pyttsx3Renderer().render(LINE + " Once more.", voice)
    reference = EspeakRenderer().render(LINE + " Once more.", voice)
    assert stale == [0] and abs(chunk.duration_s - reference.duration_s) < 0.05 * reference.duration_s


def test_pyttsx3_renders_many_lines_in_a_row():
    renderer = Pyttsx3Renderer()
    durations = [renderer.render(text, VoiceSettings()).duration_s for text in ("In.", "And out.", LINE)]
    assert durations[0] < durations[2] and durations[1] < durations[2]


def test_pyttsx3_time_out_then_a_fresh_engine_renders():
    with pytest.raises(TtsTimeout, match="longer than 0.001 s"):
        Pyttsx3Renderer(Pyttsx3Settings(timeout_s=0.001)).render(LINE, VoiceSettings())
    chunk = Pyttsx3Renderer().render("Breathe in.", VoiceSettings())
    assert rms(chunk) > 500


def test_pyttsx3_unknown_voice_is_a_tts_error_and_the_next_line_works():
    with pytest.raises(TtsError, match="xq-nonexistent"):
        Pyttsx3Renderer().render("hello", VoiceSettings(voice="xq-nonexistent"))
    assert rms(Pyttsx3Renderer().render("hello", VoiceSettings())) > 500


# --- cache -----------------------------------------------------------------------------------


class CountingRenderer:
    """Wraps a renderer and counts the lines it was asked to render."""

    def __init__(self, inner, engine_id: str | None = None) -> None:
        self.inner, self.calls = inner, []
        self.engine_id = engine_id or inner.engine_id

    def render(self, text: str, voice: VoiceSettings) -> AudioChunk:
        self.calls.append((text, voice))
        return self.inner.render(text, voice)


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path


def test_cache_lives_under_xdg_cache_home(cache_home):
    assert default_cache_dir() == cache_home / "voicecoach" / "tts"


def test_cache_miss_renders_then_hit_reads_from_disk(cache_home):
    renderer = CountingRenderer(EspeakRenderer())
    first = TtsCache().render(renderer, "Breathe in.", VoiceSettings())
    again = TtsCache().render(renderer, "Breathe in.", VoiceSettings())  # a new process, same disk
    assert len(renderer.calls) == 1
    assert again.rate_hz == first.rate_hz
    np.testing.assert_array_equal(again.samples, first.samples)
    assert list((cache_home / "voicecoach" / "tts").rglob("*.wav"))


def test_cache_key_includes_text_voice_rate_and_engine(tmp_path):
    cache = TtsCache(tmp_path)
    renderer = CountingRenderer(EspeakRenderer())
    for voice in (VoiceSettings(), VoiceSettings(rate_wpm=120), VoiceSettings(voice="en-gb")):
        cache.render(renderer, "Breathe in.", voice)
    cache.render(renderer, "Breathe out.", VoiceSettings())
    cache.render(CountingRenderer(EspeakRenderer(), engine_id="espeak-ng 9.99"), "Breathe in.", VoiceSettings())
    assert len(renderer.calls) == 4
    assert cache.misses == 5 and cache.hits == 0


def test_damaged_cache_entry_is_rendered_again(tmp_path):
    cache = TtsCache(tmp_path)
    renderer = CountingRenderer(EspeakRenderer())
    cache.render(renderer, "Breathe in.", VoiceSettings())
    for path in tmp_path.rglob("*.wav"):
        path.write_bytes(b"not a wav")
    chunk = cache.render(renderer, "Breathe in.", VoiceSettings())
    assert len(renderer.calls) == 2 and rms(chunk) > 500


@pytest.mark.parametrize("damage", ["truncated", "garbage", "header only"])
def test_a_cache_entry_that_cannot_be_read_is_a_miss_deleted_and_rendered_again(tmp_path, damage):
    cache = TtsCache(tmp_path)
    renderer = CountingRenderer(EspeakRenderer())
    good = cache.render(renderer, "Breathe in.", VoiceSettings())
    [path] = tmp_path.rglob("*.wav")
    data = path.read_bytes()
    path.write_bytes({"truncated": data[: len(data) // 2], "garbage": bytes(range(256)) * 4,
                      "header only": data[:44]}[damage])
    assert cache.get(path.stem) is None and not path.exists()  # a miss, and the entry is gone
    assert cache.prerender(renderer, ["Breathe in."], VoiceSettings()) == 1  # start-up renders it again
    healed = cache.render(renderer, "Breathe in.", VoiceSettings())
    assert len(renderer.calls) == 2 and cache.hits == 1
    np.testing.assert_array_equal(healed.samples, good.samples)


def test_prerender_renders_only_missing_lines(tmp_path):
    cache = TtsCache(tmp_path)
    renderer = CountingRenderer(EspeakRenderer())
    lines = ["Breathe in.", "And out.", "Breathe in.", ""]
    assert cache.prerender(renderer, lines, VoiceSettings()) == 2
    assert cache.prerender(renderer, lines, VoiceSettings()) == 0
    cache.render(renderer, "And out.", VoiceSettings())
    assert len(renderer.calls) == 2 and cache.hits == 1


def test_pyttsx3_driver_that_cannot_save_is_a_tts_error_and_espeak_comes_back():
    with pytest.raises(TtsError, match="pyttsx3 failed"):
        Pyttsx3Renderer(Pyttsx3Settings(driver="dummy", timeout_s=5)).render("hello", VoiceSettings())
    assert rms(Pyttsx3Renderer().render("hello", VoiceSettings())) > 500


def test_default_renderer_choices():
    from voicecoach.voice.renderers import default_renderer

    assert isinstance(default_renderer("espeak"), EspeakRenderer)
    assert isinstance(default_renderer("pyttsx3"), Pyttsx3Renderer)
    auto = default_renderer()  # pyttsx3 first when it works, the espeak-ng program behind it
    assert isinstance(auto, FallbackRenderer) and isinstance(auto.primary, Pyttsx3Renderer)
    assert isinstance(auto.backup, EspeakRenderer) and auto.engine_id == auto.primary.engine_id
    with pytest.raises(ValueError, match="unknown speech engine"):
        default_renderer("festival")


class StuckAfter:
    """A real renderer that gets stuck after a few lines (fault injection)."""

    def __init__(self, renderer, lines: int) -> None:
        self.renderer, self.lines = renderer, lines

    @property
    def engine_id(self) -> str:
        return self.renderer.engine_id

    def render(self, text, voice):
        if self.lines <= 0:
            raise TtsTimeout("pyttsx3 took longer than 10 s")
        self.lines -= 1
        return self.renderer.render(text, voice)


def test_a_failing_speech_engine_is_backed_up_by_the_other_one():
    broken = Pyttsx3Renderer(Pyttsx3Settings(driver="dummy", timeout_s=5))
    fallback = FallbackRenderer(broken, EspeakRenderer())
    assert rms(fallback.render("hello there", VoiceSettings())) > 500 and fallback.fallbacks == 1
    with pytest.raises(TtsError):  # both gone: the caller (the runner) ends the session
        FallbackRenderer(broken, StuckAfter(EspeakRenderer(), 0)).render("hello", VoiceSettings())


def test_a_session_goes_on_in_the_backup_voice_when_pyttsx3_gets_stuck(content):
    from driver import answers

    from voicecoach.audio.players import WavTimelinePlayer
    from voicecoach.clock import SimulatedClock
    from voicecoach.coach.runner import SessionRunner
    from voicecoach.sim.scenario import ScriptedSource
    from voicecoach.voice.speaker import Speaker

    clock = SimulatedClock()
    renderer = FallbackRenderer(StuckAfter(Pyttsx3Renderer(), 2), EspeakRenderer())
    runner = SessionRunner(content, clock=clock, speaker=Speaker(renderer, WavTimelinePlayer(clock)),
                           source=ScriptedSource(answers("not sure", 1), clock))
    outcome = runner.run(start_now=True)
    assert outcome.outcome != "error" and renderer.fallbacks > 3
    said = [line for line in runner.timeline if line.who == "coach"]
    assert len(said) > 5 and all(line.end_s > line.start_s for line in said)  # every line had a voice
