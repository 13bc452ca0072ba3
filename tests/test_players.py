"""Players: the WAV timeline against the simulated clock, and sounddevice through ALSA's null device.

PortAudio reads the ALSA configuration once, when sounddevice is imported, so the
sounddevice checks run in a child Python with ALSA_CONFIG_PATH pointing at a config whose
default output is a `null` pcm. That device runs far faster than real time: every check
there counts samples, never wall time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from voicecoach.audio.chunks import AudioChunk, read_wav
from voicecoach.audio.players import WavTimelinePlayer
from voicecoach.clock import RealClock, SimulatedClock

RATE = 22050


def tone(seconds: float, rate_hz: int = RATE, amplitude: int = 10000) -> AudioChunk:
    """A 440 Hz tone that never hits zero exactly (so silence and tone are told apart)."""
    n = int(round(seconds * rate_hz))
    samples = amplitude * (0.6 + 0.4 * np.sin(2 * np.pi * 440 * np.arange(n) / rate_hz))
    return AudioChunk(samples.astype(np.int16), rate_hz)


# --- WAV timeline ----------------------------------------------------------------------------


def test_lines_land_at_their_clock_time_with_silence_between(tmp_path):
    clock = SimulatedClock()
    player = WavTimelinePlayer(clock, rate_hz=RATE)
    first, second = tone(0.5), tone(0.25, amplitude=5000)
    player.play(first)
    clock.advance(2.0)
    player.play(second)
    clock.advance(3.0)
    player.save(tmp_path / "session.wav")

    out = read_wav(tmp_path / "session.wav")
    assert out.rate_hz == RATE
    assert len(out.samples) == 5 * RATE  # up to the clock's now: the trailing wait is kept
    np.testing.assert_array_equal(out.samples[: len(first.samples)], first.samples)
    assert not out.samples[len(first.samples) : 2 * RATE].any()
    np.testing.assert_array_equal(out.samples[2 * RATE : 2 * RATE + len(second.samples)], second.samples)
    assert not out.samples[2 * RATE + len(second.samples) :].any()


def test_a_line_queues_after_what_is_still_playing():
    clock = SimulatedClock(start_s=10.0)
    player = WavTimelinePlayer(clock, rate_hz=RATE)
    player.play(tone(1.0))
    clock.advance(0.4)
    player.play(tone(0.5))
    assert player.end_s() == pytest.approx(11.5)
    starts = [c.start_s for c in player.played()]
    assert starts == [10.0]  # the second line has not started yet at 10.4 s
    clock.advance_to(11.2)
    assert [c.start_s for c in player.played()] == [10.0, 11.0]
    assert [len(c.samples) for c in player.played()] == [RATE, int(round(0.2 * RATE))]


def test_busy_while_the_clock_is_inside_queued_audio():
    clock = SimulatedClock()
    player = WavTimelinePlayer(clock, rate_hz=RATE)
    assert not player.busy()
    player.play(tone(0.5))
    clock.advance(0.49)
    assert player.busy()
    clock.advance(0.02)
    assert not player.busy()


@pytest.mark.parametrize("stop_at_s", [1.3, 1.0 + 1 / RATE, 1.77])
def test_stop_mid_line_cuts_the_timeline_at_that_sample(stop_at_s):
    clock = SimulatedClock()
    player = WavTimelinePlayer(clock, rate_hz=RATE)
    clock.advance_to(1.0)
    player.play(tone(1.0))
    player.play(tone(1.0))  # queued behind: must be dropped too
    clock.advance_to(stop_at_s)
    player.stop()
    assert not player.busy()
    clock.advance_to(4.0)
    out = player.timeline().samples
    cut = int(round(stop_at_s * RATE))
    assert out[RATE:cut].all()  # tone up to the cut
    assert not out[cut:].any()  # silence from the very next sample on
    assert sum(len(c.samples) for c in player.played()) == cut - RATE


def test_stop_when_idle_changes_nothing():
    clock = SimulatedClock()
    player = WavTimelinePlayer(clock, rate_hz=RATE)
    player.play(tone(0.5))
    clock.advance(1.0)
    player.stop()
    assert sum(len(c.samples) for c in player.played()) == RATE // 2


def test_volume_is_a_gain_and_other_rates_are_resampled():
    clock = SimulatedClock()
    player = WavTimelinePlayer(clock, rate_hz=RATE)
    player.volume = 0.5
    loud = tone(0.1)
    player.play(loud)
    clock.advance(1.0)
    player.volume = 1.0
    player.play(tone(0.5, rate_hz=16000))
    clock.advance(1.0)
    out = player.timeline().samples
    np.testing.assert_allclose(out[: len(loud.samples)], loud.samples * 0.5, atol=1)
    assert np.count_nonzero(out[RATE:]) == int(round(0.5 * RATE))


def test_works_against_the_real_clock():
    clock = RealClock()
    player = WavTimelinePlayer(clock, rate_hz=RATE)
    player.play(tone(0.3))
    busy, elapsed_s = player.busy(), clock.now() - player.origin_s
    assert busy or elapsed_s >= 0.3
    time.sleep(0.35)
    assert not player.busy()
    assert sum(len(c.samples) for c in player.played()) == len(tone(0.3).samples)


# --- sounddevice through ALSA's null device --------------------------------------------------

NULL_ALSA_CONF = """
pcm.!default { type null }
ctl.!default { type hw card 0 }
"""


@pytest.fixture
def null_audio_env(tmp_path):
    """Environment for a child Python whose PortAudio sees one `null` ALSA output."""
    conf = tmp_path / "asound.conf"
    conf.write_text(NULL_ALSA_CONF)
    return {"ALSA_CONFIG_PATH": str(conf), "PATH": "/usr/bin:/bin"}


def run_child(code: str, env: dict[str, str]) -> dict:
    """Run `code` in a fresh Python with `env`; it prints one JSON object as its last line.
    Each child here takes at most 1.0 s unloaded: the 60 s limit is only against a hang."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


CHILD_PRELUDE = """
    import json, time
    import numpy as np
    from voicecoach.audio.chunks import AudioChunk
    from voicecoach.audio.players import SoundDevicePlayer, SoundDeviceSettings, PlayerError

    def tone(seconds, rate_hz=22050):
        n = int(round(seconds * rate_hz))
        return AudioChunk((8000 + 2000 * np.sin(np.arange(n) * 0.1)).astype(np.int16), rate_hz)

    def wait_idle(player, limit_s=10.0):  # 14 times the longest wait (0.7 s of audio)
        end = time.monotonic() + limit_s
        while player.busy() and time.monotonic() < end:
            time.sleep(0.001)
"""


def test_sounddevice_plays_every_sample_resampled_to_the_device_rate(null_audio_env):
    result = run_child(
        CHILD_PRELUDE
        + """
    with SoundDevicePlayer(SoundDeviceSettings(device="default", rate_hz=48000)) as player:
        player.play(tone(0.5))
        player.play(tone(0.2))
        wait_idle(player)
        chunks = player.played()
        print(json.dumps({
            "rate": player.rate_hz, "frames": player.played_frames(),
            "lengths": [len(c.samples) for c in chunks],
            "gap_s": chunks[1].start_s - chunks[0].start_s,
            "min": int(min(c.samples.min() for c in chunks)),
        }))
    """,
        null_audio_env,
    )
    assert result["rate"] == 48000
    assert result["lengths"] == [24000, 9600]
    assert result["frames"] == 33600
    # The null device may run on (in silence) before the second play(): never an overlap.
    assert result["gap_s"] >= 0.5 - 1e-9
    assert result["min"] > 5000  # the samples themselves, not silence


def test_sounddevice_stop_silences_within_one_block(null_audio_env):
    result = run_child(
        CHILD_PRELUDE
        + """
    with SoundDevicePlayer(SoundDeviceSettings(rate_hz=22050, block_frames=512)) as player:
        long_line = tone(600.0)  # 600 s: far more than the null device plays before stop()
        player.play(long_line)
        while player.played_frames() == 0:
            pass
        player.stop()
        at_return = player.played_frames()
        busy = player.busy()
        time.sleep(0.05)
        after = player.played_frames()
        played = sum(len(c.samples) for c in player.played())
        player.play(tone(0.5))  # the stream restarts after a stop
        wait_idle(player)
        print(json.dumps({
            "total": len(long_line.samples), "at_return": at_return, "after": after,
            "played": played, "busy": busy,
            "frames_after_call": player.last_stop.frames_after_call,
            "stop_s": player.last_stop.duration_s,
            "replayed": player.played_frames() - after,
        }))
    """,
        null_audio_env,
    )
    assert 0 < result["at_return"] < result["total"], "stop() did not land mid-line"
    assert not result["busy"]
    assert result["after"] == result["at_return"]  # nothing more once stop() returned
    assert result["played"] == result["at_return"]  # played() reports exactly what was sent
    assert result["frames_after_call"] <= 512  # within one block of the call
    assert result["replayed"] == 11025


def test_sounddevice_unknown_device_name_is_a_clear_error(null_audio_env):
    result = run_child(
        CHILD_PRELUDE
        + """
    from voicecoach.audio.players import NoAudioDevice
    errors = []
    for device in ("no-such-card", 42):
        try:
            SoundDevicePlayer(SoundDeviceSettings(device=device))
        except NoAudioDevice as exc:
            errors.append(str(exc))
    print(json.dumps(errors))
    """,
        null_audio_env,
    )
    assert len(result) == 2
    assert all("voicecoach devices" in e and "\\n" not in e for e in result)


def _has_sound_card() -> bool:
    cards = Path("/proc/asound/cards")
    return cards.exists() and "no soundcards" not in cards.read_text()


@pytest.mark.skipif(_has_sound_card(), reason="needs a machine without a sound card")
def test_no_sound_card_points_to_the_file_and_demo_paths():
    result = run_child(
        CHILD_PRELUDE
        + """
    from voicecoach.audio.players import NoAudioDevice
    try:
        SoundDevicePlayer()
        print(json.dumps("opened"))
    except NoAudioDevice as exc:
        print(json.dumps(str(exc)))
    """,
        {"PATH": "/usr/bin:/bin", "ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf"},
    )
    assert "voicecoach say --out" in result and "voicecoach demo" in result
    assert "\n" not in result


def test_played_window_is_the_echo_reference_at_the_microphone_rate():
    from voicecoach.audio.chunks import resample
    from voicecoach.audio.players import played_window

    clock = SimulatedClock()
    player = WavTimelinePlayer(clock, rate_hz=RATE)
    clock.advance(0.5)
    player.play(tone(0.3))
    clock.advance(2.0)
    whole = resample(player.timeline(), 16000).samples
    played = player.played()
    for first, n in [(0, 320), (7990, 320), (8000, 4800), (12700, 640), (20000, 320)]:
        window = played_window(played, first / 16000, n, 16000)
        np.testing.assert_allclose(window, whole[first : first + n], atol=40)
    assert not played_window(played, 0.0, 7990, 16000).any()
