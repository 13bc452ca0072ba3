"""WAV files from outside: every header is checked, odd encodings converted, bad ones refused in one line."""

from __future__ import annotations

import io
import os
import random
import struct
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from voicecoach.audio.chunks import SAMPLE_RATE_HZ, AudioChunk, read_wav, write_wav
from voicecoach.audio.wav_file import MAX_DATA_BYTES, AudioFileError, parse_wav

TONE = (8000 * np.sin(2 * np.pi * 440 * np.arange(1600) / 16000)).astype(np.int16)  # 0.1 s at 16 kHz


def wav(data: bytes, rate: int = 16000, channels: int = 1, bits: int = 16, tag: int = 1,
        align: int | None = None, size: int | None = None, extra: bytes = b"") -> bytes:
    """A WAV file put together by hand, so every header field can be wrong on purpose."""
    align = channels * bits // 8 if align is None else align
    fmt = struct.pack("<HHIIHH", tag, channels, rate, (rate * align) & 0xFFFFFFFF, align & 0xFFFF, bits) + extra
    size = len(data) if size is None else size
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", size) + data
    return b"RIFF" + struct.pack("<I", len(body) & 0xFFFFFFFF) + body


def parse(data: bytes) -> tuple[np.ndarray, int]:
    return parse_wav(io.BytesIO(data), "test.wav")


@pytest.mark.parametrize("rate", [0, 1, 7999, 48001, 4_000_000_000])
def test_a_sample_rate_outside_8_to_48_khz_is_refused_in_one_line(rate):
    # Seen: rate 0 raised ZeroDivisionError, rate 1 allocated 1.19 GiB, rate 4e9 an IndexError.
    with pytest.raises(AudioFileError, match=f"sample rate {rate} Hz is outside 8000-48000 Hz"):
        parse(wav(TONE.tobytes(), rate=rate))


def test_an_empty_data_chunk_is_refused():
    with pytest.raises(AudioFileError, match="holds no audio"):
        parse(wav(b""))


def test_data_that_is_not_a_whole_number_of_frames_is_refused():
    with pytest.raises(AudioFileError, match="not a whole number of frames"):
        parse(wav(TONE.tobytes() + b"\x01"))


@pytest.mark.parametrize("fault, match", [
    (dict(channels=0), "0 channels"), (dict(channels=60000), "60000 channels"),
    (dict(bits=12), "12-bit PCM"), (dict(tag=3, bits=16), "16-bit float"),
    (dict(tag=6, bits=8), "format tag 0x0006"), (dict(align=3), "inconsistent header"),
])
def test_impossible_or_unsupported_formats_are_refused_with_what_is_wrong(fault, match):
    with pytest.raises(AudioFileError, match=match):
        parse(wav(TONE.tobytes(), **fault))


def test_8_24_and_32_bit_and_float_pcm_are_converted_to_16_bit():
    x = TONE.astype(np.int32)
    u8 = (x // 256 + 128).astype(np.uint8).tobytes()
    s24 = b"".join(int(v * 256).to_bytes(3, "little", signed=True) for v in x)
    s32 = (x * 65536).astype("<i4").tobytes()
    f32 = (x / 32767).astype("<f4").tobytes()
    f64 = (x / 32767).astype("<f8").tobytes()
    for data, bits, tag, tolerance in [(u8, 8, 1, 256), (s24, 24, 1, 1), (s32, 32, 1, 1), (f32, 32, 3, 1),
                                       (f64, 64, 3, 1)]:
        samples, rate = parse(wav(data, bits=bits, tag=tag))
        assert rate == 16000 and samples.dtype == np.int16
        assert np.max(np.abs(samples.astype(np.int32) - x)) <= tolerance, (bits, tag)


def test_wave_format_extensible_stereo_is_mixed_to_mono():
    stereo = np.stack([TONE, TONE], axis=1).astype("<i2").tobytes()
    guid_pcm = struct.pack("<HHIH", 22, 16, 3, 1) + bytes(14)  # cbSize, valid bits, mask, sub-format tag
    samples, _ = parse(wav(stereo, channels=2, tag=0xFFFE, extra=guid_pcm))
    assert np.array_equal(samples, TONE)


def test_a_recording_that_was_never_closed_is_read_as_far_as_it_goes():
    samples, _ = parse(wav(TONE.tobytes() + b"\x05", size=0xFFFFFFFF))  # the size a streaming writer leaves
    assert np.array_equal(samples, TONE)


def test_a_file_at_44_1_khz_is_resampled_to_16_khz_without_aliasing(tmp_path):
    t = np.arange(44100) / 44100
    # 1 kHz belongs to speech; 12 kHz must be filtered out, not folded down to 4 kHz.
    x = (6000 * np.sin(2 * np.pi * 1000 * t) + 6000 * np.sin(2 * np.pi * 12000 * t)).astype(np.int16)
    write_wav(tmp_path / "a.wav", AudioChunk(x, 44100))
    chunk = read_wav(tmp_path / "a.wav", SAMPLE_RATE_HZ)
    assert chunk.rate_hz == SAMPLE_RATE_HZ and abs(len(chunk.samples) - 16000) <= 1
    spectrum = np.abs(np.fft.rfft(chunk.samples.astype(np.float64)))
    assert spectrum[4000] < 0.01 * spectrum[1000]


def test_more_audio_than_the_cap_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "long.wav"
    frames = MAX_DATA_BYTES // 2 + 8000
    path.write_bytes(wav(b"", size=2 * frames))
    with open(path, "ab") as f:  # a sparse file: the size is real, the disk barely used
        f.truncate(os.path.getsize(path) + 2 * frames)
    tracemalloc.start()
    with pytest.raises(AudioFileError, match="minutes of audio"):
        read_wav(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2**20


def _mutations(valid: bytes, rng: random.Random):
    """Byte-level damage to a valid file: flipped bytes, cuts, inserted junk, extreme header fields."""
    yield from (valid[:n] for n in range(0, 60))
    for _ in range(1100):
        data = bytearray(valid)
        for _ in range(rng.choice((1, 1, 2, 4, 16))):
            kind = rng.random()
            pos = rng.randrange(min(len(data), 64) if rng.random() < 0.8 else len(data))
            if kind < 0.5:
                data[pos] = rng.randrange(256)
            elif kind < 0.7:
                struct.pack_into("<I", data, min(pos, len(data) - 4),
                                 rng.choice((0, 1, 0x7FFFFFFF, 0xFFFFFFFF, rng.randrange(2**32))))
            elif kind < 0.85:
                del data[pos:pos + rng.randrange(1, 9)]
            else:
                data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
        yield bytes(data)


def test_fuzzed_wav_headers_are_either_read_or_a_one_line_error():
    rng = random.Random(20261201)
    valid = wav(TONE[:400].tobytes(), extra=b"")
    cases = list(_mutations(valid, rng))
    assert len(cases) >= 1000
    outcomes = {"read": 0, "refused": 0}
    tracemalloc.start()
    for data in cases:
        try:
            samples, rate = parse(data)
        except AudioFileError as exc:
            message = str(exc)
            assert message and "\n" not in message and message.startswith("test.wav: "), message
            outcomes["refused"] += 1
        else:  # anything else escapes and fails the test, with its traceback
            assert samples.dtype == np.int16 and len(samples) > 0 and 8000 <= rate <= 48000
            outcomes["read"] += 1
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 * 2**20  # no case allocated more than a few MiB
    assert outcomes["read"] > 50 and outcomes["refused"] > 50, outcomes


@pytest.mark.slow
@pytest.mark.parametrize("name, data", [
    ("rate0", wav(TONE.tobytes(), rate=0)), ("rate1", wav(TONE.tobytes(), rate=1)),
    ("rate4e9", wav(TONE.tobytes(), rate=4_000_000_000)), ("empty", wav(b"")),
    ("odd", wav(TONE.tobytes() + b"\x01")), ("garbage", b"RIFF\xff\xff\xff\xffWAVEjunk"),
])
def test_recognize_answers_a_bad_wav_with_one_line_and_exit_code_2(tmp_path, name, data):
    path = tmp_path / f"{name}.wav"
    path.write_bytes(data)
    good = tmp_path / "good.wav"
    good.write_bytes(wav(TONE.tobytes()))
    # The bad file comes second: it is refused before the (default) model loads, so this is quick.
    done = subprocess.run([sys.executable, "-m", "voicecoach.cli", "recognize", str(good), str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and str(path) in done.stderr, done.stderr


def test_every_check_is_made_without_reading_the_audio_too(tmp_path):
    from voicecoach.audio.wav_file import check_wav_file

    for i, data in enumerate((wav(TONE.tobytes(), rate=0), wav(b""), wav(TONE.tobytes() + b"\x01"))):
        (tmp_path / f"{i}.wav").write_bytes(data)
        with pytest.raises(AudioFileError):
            check_wav_file(tmp_path / f"{i}.wav")
    (tmp_path / "good.wav").write_bytes(wav(TONE.tobytes()))
    check_wav_file(tmp_path / "good.wav")
    with pytest.raises(AudioFileError, match="No such file"):
        check_wav_file(tmp_path / "absent.wav")
