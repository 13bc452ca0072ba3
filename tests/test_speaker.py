"""The speaker: lines rendered with real espeak-ng, through the cache, onto the WAV timeline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from voicecoach.audio.chunks import AudioChunk
from voicecoach.audio.players import WavTimelinePlayer
from voicecoach.clock import SimulatedClock
from voicecoach.voice.cache import TtsCache
from voicecoach.voice.renderers import MAX_RATE_WPM, MIN_RATE_WPM, EspeakRenderer, TtsError, VoiceSettings
from voicecoach.voice.speaker import MAX_VOLUME, MIN_VOLUME, Speaker, SpeakerSettings


class CountingRenderer:
    """A real espeak-ng renderer that counts the lines it renders."""

    def __init__(self) -> None:
        self.inner, self.calls = EspeakRenderer(), 0
        self.engine_id = self.inner.engine_id

    def render(self, text: str, voice: VoiceSettings) -> AudioChunk:
        self.calls += 1
        return self.inner.render(text, voice)


@pytest.fixture
def bedside():
    clock = SimulatedClock()
    return clock, WavTimelinePlayer(clock, rate_hz=22050)


def test_say_queues_the_line_and_returns_its_duration(bedside):
    clock, player = bedside
    speaker = Speaker(EspeakRenderer(), player)
    duration_s = speaker.say("Breathe in slowly.")
    assert 0.5 < duration_s < 3.0
    assert speaker.busy()
    second_s = speaker.say("And out.")
    assert player.end_s() == pytest.approx(duration_s + second_s, abs=1e-4)
    clock.advance(duration_s + second_s + 0.01)
    assert not speaker.busy()
    assert np.abs(player.timeline().samples).max() > 1000


def test_stop_silences_the_line_being_said(bedside):
    clock, player = bedside
    speaker = Speaker(EspeakRenderer(), player)
    duration_s = speaker.say("Slowly bring your knee toward your chest.")
    clock.advance(0.5)
    speaker.stop()
    assert not speaker.busy()
    clock.advance(duration_s)
    out = player.timeline().samples
    assert not out[int(0.5 * 22050) :].any()


def test_rate_and_volume_stay_within_comfortable_bounds(bedside):
    _, player = bedside
    speaker = Speaker(EspeakRenderer(), player, settings=SpeakerSettings(volume=3.0))
    assert speaker.volume == MAX_VOLUME
    speaker.volume = 0.0
    assert speaker.volume == MIN_VOLUME
    speaker.rate_wpm = 1000
    assert speaker.rate_wpm == MAX_RATE_WPM
    speaker.rate_wpm = 10
    assert speaker.rate_wpm == MIN_RATE_WPM


def test_faster_rate_takes_effect_on_the_next_line(bedside):
    _, player = bedside
    speaker = Speaker(EspeakRenderer(), player)
    line = "Let both knees drop slowly to one side."
    speaker.rate_wpm = MIN_RATE_WPM
    slow_s = speaker.say(line)
    speaker.rate_wpm = MAX_RATE_WPM
    fast_s = speaker.say(line)
    once_s = speaker.say(line, rate_wpm=MIN_RATE_WPM)  # a one-line override
    assert fast_s < 0.8 * slow_s
    assert once_s == pytest.approx(slow_s)
    assert speaker.rate_wpm == MAX_RATE_WPM


def test_volume_scales_the_samples(bedside):
    clock, player = bedside
    speaker = Speaker(EspeakRenderer(), player, settings=SpeakerSettings(volume=1.0))
    loud_s = speaker.say("Breathe in.")
    clock.advance(loud_s + 1.0)
    start = int(round(clock.now() * 22050))
    speaker.say("Breathe in.", volume=0.5)
    clock.advance(loud_s + 1.0)
    out = player.timeline().samples.astype(np.int32)
    loud = out[: start]
    quiet = out[start:]
    assert np.abs(quiet).max() == pytest.approx(np.abs(loud).max() * 0.5, abs=2)


def test_cached_lines_are_not_rendered_again(bedside, tmp_path):
    _, player = bedside
    renderer = CountingRenderer()
    speaker = Speaker(renderer, player, cache=TtsCache(tmp_path))
    assert speaker.prerender(["Breathe in.", "And out."]) == 2
    speaker.say("Breathe in.")
    speaker.say("And out.")
    speaker.say("Breathe in.")
    assert renderer.calls == 2
    speaker.say("Breathe in.", rate_wpm=120)  # another rate is another recording
    assert renderer.calls == 3


def test_render_failure_reaches_the_caller_and_queues_nothing(bedside):
    from voicecoach.voice.renderers import EspeakSettings

    _, player = bedside
    speaker = Speaker(EspeakRenderer(EspeakSettings(binary="/nonexistent/espeak-ng")), player)
    with pytest.raises(TtsError, match="apt-get install espeak-ng"):
        speaker.say("Breathe in.")
    assert not speaker.busy()


def _devices_text(env: dict[str, str]) -> str:
    code = "import json; from voicecoach.voice.speaker import list_devices; print(json.dumps(list_devices()))"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_device_list_marks_the_defaults(tmp_path):
    conf = tmp_path / "asound.conf"
    conf.write_text("pcm.!default { type null }\nctl.!default { type hw card 0 }\n")
    text = _devices_text({"ALSA_CONFIG_PATH": str(conf), "PATH": "/usr/bin:/bin"})
    assert "Input devices:" in text and "Output devices:" in text
    assert text.count("*  0  default") == 2


@pytest.mark.skipif(
    Path("/proc/asound/cards").exists() and "no soundcards" not in Path("/proc/asound/cards").read_text(),
    reason="needs a machine without a sound card",
)
def test_device_list_without_devices_says_what_to_do():
    text = _devices_text({"ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf", "PATH": "/usr/bin:/bin"})
    assert text.startswith("No audio devices found")
    assert "voicecoach say --out" in text and "voicecoach demo" in text
