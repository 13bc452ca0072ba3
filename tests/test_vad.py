"""Energy VAD and end-pointing: segments found, cut soon after speech ends, chunk-size invariant."""

from __future__ import annotations

import numpy as np
import pytest
from speech_audio import noise, place, speech, tone

from voicecoach.audio.chunks import AudioChunk
from voicecoach.audio.sources import split_chunk
from voicecoach.ears.vad import EnergyVad, utterances
from voicecoach.settings import VadSettings


def _events(chunk: AudioChunk, frame_samples: int, settings: VadSettings = VadSettings()):
    vad = EnergyVad(settings)
    out = []
    for part in split_chunk(chunk, frame_samples):
        out += [(e.kind, round(e.at_s, 4)) for e in vad.feed(part) if e.kind != "audio"]
    return out + [(e.kind, round(e.at_s, 4)) for e in vad.flush()]


def two_bursts() -> AudioChunk:
    """0.5 s quiet, 0.4 s tone, 1 s quiet, 0.3 s tone, 1 s quiet (with a -60 dBFS floor)."""
    z = lambda s: np.zeros(int(s * 16000), np.int16)  # noqa: E731
    return place([z(0.5), tone(0.4, level_db=-25), z(1.0), tone(0.3, freq_hz=300, level_db=-30), z(1.0)])


def test_two_bursts_give_two_segments_cut_soon_after_they_end():
    ev = _events(two_bursts(), 480)
    assert [k for k, _ in ev] == ["start", "end", "start", "end"]
    (_, s1), (_, e1), (_, s2), (_, e2) = ev
    assert s1 == pytest.approx(0.5, abs=0.02) and s2 == pytest.approx(1.9, abs=0.02)
    # end-pointing: decided 0.35 s (the configured silence) after the sound stops
    assert e1 - 0.9 == pytest.approx(0.35, abs=0.03) and e2 - 2.2 == pytest.approx(0.35, abs=0.03)


@pytest.mark.parametrize("frame_samples", [160, 512, 4000, 7777])
def test_chunk_size_invariance(frame_samples):
    chunk = two_bursts()
    assert _events(chunk, frame_samples) == _events(chunk, 480)


def test_utterances_carry_preroll_and_timestamps():
    segs = list(utterances(split_chunk(two_bursts(), 512)))
    assert len(segs) == 2
    assert segs[0].start_s == pytest.approx(0.5 - 0.25, abs=0.02)  # pre-roll keeps the onset
    assert segs[0].duration_s == pytest.approx(0.25 + 0.4 + 0.35, abs=0.03)


@pytest.mark.parametrize("level_db", [-70, -50, -40])
def test_steady_noise_alone_is_not_speech(level_db):
    # The floor adapts: steady fan noise at any level opens no segment after the first second.
    chunk = AudioChunk(noise(6.0, level_db=level_db, seed=3), 16000)
    ev = [e for e in _events(chunk, 480) if e[0] == "start" and e[1] > 1.0]
    assert ev == []


def test_speech_over_moderate_noise_is_found():
    # A fan starts with the stream: at most one spurious segment while the floor learns it.
    room = place([noise(3.0, level_db=-45, seed=1), tone(0.5, level_db=-25), noise(1.5, level_db=-45, seed=2)])
    ev = _events(room, 480)
    late = [(k, t) for k, t in ev if t > 2.6]
    assert [k for k, _ in late] == ["start", "end"]
    assert late[0][1] == pytest.approx(3.0, abs=0.05) and late[1][1] == pytest.approx(3.85, abs=0.05)


def test_long_sound_is_cut_at_max_utterance():
    chunk = place([tone(3.0, level_db=-20)])
    ev = _events(chunk, 480, VadSettings(max_utterance_s=1.0))
    ends = [t for k, t in ev if k == "end"]
    assert ends and ends[0] == pytest.approx(1.0, abs=0.02)


@pytest.mark.slow
def test_spoken_phrase_is_one_segment():
    chunk = speech("stop it hurts", lead_s=0.8, tail_s=1.0)
    segs = list(utterances(split_chunk(chunk, 480)))
    assert len(segs) == 1
    assert 0.5 < segs[0].start_s < 0.9 and segs[0].end_s < chunk.duration_s


@pytest.mark.parametrize("frame_samples", [160, 512, 4000])
def test_start_and_audio_events_carry_exactly_the_segment(frame_samples):
    vad = EnergyVad()
    streamed, whole = [], []
    for part in split_chunk(two_bursts(), frame_samples):
        for ev in vad.feed(part):
            if ev.kind in ("start", "audio"):
                streamed.append(ev.utterance.samples)
            elif ev.kind == "end":
                whole.append(ev.utterance.samples)
                assert np.array_equal(np.concatenate(streamed), ev.utterance.samples)
                streamed = []
    assert len(whole) == 2


def test_voiced_time_counts_a_voice_and_not_noise_or_a_cough():
    from speech_audio import cough

    from voicecoach.ears.voicing import voiced_s

    said = speech("no", lead_s=0.3, tail_s=0.3)
    assert voiced_s(said.samples, said.rate_hz) >= 0.1  # the vowel of "no"
    assert voiced_s(noise(1.0, level_db=-30, seed=3), 16000) == 0
    burst = cough(1)
    assert voiced_s(burst.samples, burst.rate_hz) == 0


def test_frames_that_say_nothing_about_the_room_leave_its_noise_floor_alone():
    # The echo gate turns the coach's voice down to far below the room; the floor must not sink
    # to it, or the room's own noise opens a segment the moment the coach stops.
    room, turned_down = noise(3.0, level_db=-40.0), noise(3.0, level_db=-90.0, seed=1)
    vad = EnergyVad()
    for frame in split_chunk(AudioChunk(room, 16000, 0.0), 480):
        vad.feed(frame)
    assert vad.floor_db == pytest.approx(-40, abs=2)
    for frame in split_chunk(AudioChunk(turned_down, 16000, 3.0), 480):
        vad.feed(frame, learn_floor=False)
    assert vad.floor_db == pytest.approx(-40, abs=2)
    events = [e for frame in split_chunk(AudioChunk(room, 16000, 6.0), 480) for e in vad.feed(frame)]
    assert events == []  # the room again: no speech
    for frame in split_chunk(AudioChunk(turned_down, 16000, 9.0), 480):
        vad.feed(frame)
    assert vad.floor_db < -80  # had it learned from those frames


def test_listening_that_begins_with_the_coach_talking_learns_the_room_at_its_first_pause():
    # The floor is assumed at -60 dBFS until it has been heard; when listening begins under the
    # coach's voice (frames that teach nothing), the first pause must not take a fan for speech.
    turned_down, fan = noise(2.0, level_db=-90.0, seed=1), noise(3.0, level_db=-40.0, seed=2)
    vad = EnergyVad()
    for frame in split_chunk(AudioChunk(turned_down, 16000, 0.0), 480):
        assert vad.feed(frame, learn_floor=False) == []
    events = [e for frame in split_chunk(AudioChunk(fan, 16000, 2.0), 480) for e in vad.feed(frame)]
    assert events == [] and vad.floor_db == pytest.approx(-40, abs=2)
    said = speech("stop", level_db=-20.0, floor_db=-40.0, seed=4)  # the user, over the fan
    events = [e for frame in split_chunk(AudioChunk(said.samples, 16000, 5.0), 480) for e in vad.feed(frame)]
    assert [e.kind for e in events if e.kind != "audio"] == ["start", "end"]


def test_a_file_that_begins_with_speech_is_still_heard_from_its_first_frame():
    # Without the coach (every frame teaches the floor), the assumed floor stays until a full
    # window has been heard: speech at the very start is speech.
    said = speech("stop", lead_s=0.0, level_db=-20.0)
    vad = EnergyVad()
    events = [e for frame in split_chunk(said, 480) for e in vad.feed(frame)]
    assert events and events[0].kind == "start" and events[0].at_s < 0.1
