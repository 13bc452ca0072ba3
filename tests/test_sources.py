"""The WAV-file source (timing, frame sizes, clock pacing) and the microphone's clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from speech_audio import noise, place, tone

from voicecoach.audio.chunks import AudioChunk, write_wav
from voicecoach.audio.sources import AudioDeviceError, FileSource, MicrophoneSettings, MicrophoneSource
from voicecoach.clock import SimulatedClock


@pytest.fixture
def one_second_wav(tmp_path):
    path = tmp_path / "tone_then_noise.wav"
    write_wav(path, place([tone(0.5), noise(0.5, level_db=-50)]))
    return path


@pytest.mark.parametrize("frame_samples", [160, 480, 512, 4000])
def test_file_source_frames_cover_the_file_in_order(one_second_wav, frame_samples):
    frames = list(FileSource(one_second_wav, frame_samples=frame_samples))
    assert all(len(f.samples) == frame_samples for f in frames[:-1])
    assert sum(len(f.samples) for f in frames) == 16000
    assert [f.start_s for f in frames] == pytest.approx([i * frame_samples / 16000 for i in range(len(frames))])
    whole = np.concatenate([f.samples for f in frames])
    assert np.array_equal(whole, FileSource(one_second_wav, frame_samples=16000).chunk.samples)


def test_file_source_paced_by_simulated_clock_takes_no_wall_time(one_second_wav):
    clock = SimulatedClock()
    seen = []
    for frame in FileSource(one_second_wav, frame_samples=480, clock=clock):
        seen.append((frame.end_s, clock.now()))
    # Each frame is handed out exactly when its last sample would have been recorded.
    assert all(now == pytest.approx(end) for end, now in seen)
    assert clock.now() == pytest.approx(1.0)


def test_file_source_resamples_to_16k(tmp_path):
    path = tmp_path / "tone_8k.wav"
    write_wav(path, AudioChunk(tone(1.0)[::2].copy(), 8000))
    src = FileSource(path)
    assert src.chunk.rate_hz == 16000 and src.duration_s == pytest.approx(1.0)


class _NoSoundCard:
    """A stand-in for the sounddevice module on a machine without any audio device."""

    class PortAudioError(Exception):
        pass

    def query_devices(self, device=None, kind=None):
        raise self.PortAudioError("Error querying device -1")

    def RawInputStream(self, **kwargs):  # pragma: no cover - never reached
        raise AssertionError


def test_microphone_without_sound_card_gives_one_line_error():
    mic = MicrophoneSource(MicrophoneSettings(device="USB"), sounddevice_module=_NoSoundCard())
    with pytest.raises(AudioDeviceError) as err:
        next(iter(mic))
    msg = str(err.value)
    assert "\n" not in msg and "'USB'" in msg and "microphone" in msg


class _FakeStream:
    def __init__(self, callback, blocks):
        self.callback, self.blocks = callback, blocks

    def __enter__(self):
        for b in self.blocks:
            self.callback(b, len(b) // 2, None, None)
        return self

    def __exit__(self, *exc):
        return False


class _FakeSoundDevice:
    """Records what was opened; the "device" delivers a few blocks through the callback."""

    def __init__(self, blocks):
        self.blocks, self.opened = blocks, {}

    def query_devices(self, device=None, kind=None):
        return {"index": 3, "name": "fake mic"}

    def RawInputStream(self, **kwargs):
        self.opened = kwargs
        return _FakeStream(kwargs["callback"], self.blocks)


def test_microphone_frames_and_overflow_count():
    blocks = [np.full(480, i, dtype="<i2").tobytes() for i in range(5)]
    sd = _FakeSoundDevice(blocks)
    mic = MicrophoneSource(MicrophoneSettings(device=3, queue_frames=3, read_timeout_s=0.05), sounddevice_module=sd)
    got = []
    with pytest.raises(AudioDeviceError, match="sent nothing"):
        for chunk in mic:
            got.append(chunk)
    assert sd.opened["samplerate"] == 16000 and sd.opened["channels"] == 1 and sd.opened["dtype"] == "int16"
    assert [int(c.samples[0]) for c in got] == [0, 1, 2]  # the queue held 3; 2 were dropped, not blocked on
    assert mic.overflows == 2
    assert [c.start_s for c in got] == pytest.approx([0.0, 0.03, 0.06])
