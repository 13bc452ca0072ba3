"""Reading WAV files that come from outside (a user's recording, a scenario's clip) safely.

The header is parsed here rather than by the `wave` module, so that every field is checked
before anything is allocated: a rate of 0 or 4e9, a channel count of 60,000 or a data chunk
that is not a whole number of frames is a one-line AudioFileError, never a ZeroDivisionError,
an IndexError or a 1 GiB array. 8/16/24/32-bit integer PCM and 32/64-bit float PCM are
converted to mono 16-bit; other encodings (A-law, ADPCM, MP3 in WAV) are refused.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

MIN_RATE_HZ, MAX_RATE_HZ = 8000, 48000  # Hertz; telephone to studio, what speech comes in
MAX_CHANNELS = 8
MAX_DURATION_S = 600.0  # ten minutes: far longer than any answer or scenario line
MAX_DATA_BYTES = 64 * 2**20  # bytes of samples read at most (ten minutes of 48 kHz stereo 16-bit is 110 MiB)
PCM, IEEE_FLOAT, EXTENSIBLE = 0x0001, 0x0003, 0xFFFE
PCM_BITS, FLOAT_BITS = (8, 16, 24, 32), (32, 64)


class AudioFileError(ValueError):
    """A WAV file that cannot be read as audio: the message is one line that names the file."""


def read_wav_file(path: str | Path, *, whole: bool = False) -> tuple[np.ndarray, int]:
    """Mono int16 samples and their rate (Hertz), read and checked from a WAV file.

    whole: a data chunk cut short is an error too (for files we wrote ourselves, e.g. the cache)."""
    try:
        with open(path, "rb") as f:
            return parse_wav(f, str(path), whole=whole)
    except OSError as exc:
        raise AudioFileError(f"{path}: {exc.strerror or exc}") from None


def check_wav_file(path: str | Path) -> None:
    """Every check of read_wav_file, without reading the audio: to refuse a bad file before a model loads."""
    try:
        with open(path, "rb") as f:
            parse_wav(f, str(path), header_only=True)
    except OSError as exc:
        raise AudioFileError(f"{path}: {exc.strerror or exc}") from None


def parse_wav(f: BinaryIO, name: str, *, whole: bool = False,
              header_only: bool = False) -> tuple[np.ndarray, int]:
    """Walk the chunks with seeks, so only the header and the checked audio are ever read."""
    head = f.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        found = {b"RIFX": "RIFX (big-endian)", b"RF64": "RF64"}.get(head[:4], "something else")
        raise AudioFileError(f"{name}: not a readable WAV file (expected a RIFF/WAVE header, found {found})")
    fmt = None
    while len(header := f.read(8)) == 8:
        chunk_id, size = header[:4], struct.unpack("<I", header[4:])[0]
        if chunk_id == b"fmt ":
            fmt = _format(f.read(min(size, 64)), name)
            f.seek(max(size - 64, 0) + (size & 1), 1)
        elif chunk_id == b"data":
            if fmt is None:
                raise AudioFileError(f"{name}: not a readable WAV file (data comes before its format)")
            return _data(f, size, fmt, name, whole, header_only)
        else:  # LIST, fact, cue, ...: skipped; chunks are padded to an even length
            f.seek(size + (size & 1), 1)
    raise AudioFileError(f"{name}: not a readable WAV file ({'no format chunk' if fmt is None else 'no data chunk'})")


def _data(f: BinaryIO, size: int, fmt: tuple[int, int, int, int, int], name: str,
          whole: bool, header_only: bool) -> tuple[np.ndarray, int]:
    encoding, channels, rate_hz, block_align, bits = fmt
    here = f.tell()
    available = f.seek(0, 2) - here
    f.seek(here)
    if size <= available and size % block_align:
        raise AudioFileError(f"{name}: the data is not a whole number of frames ({size} bytes, "
                             f"{block_align} per frame)")
    if whole and size > available:
        raise AudioFileError(f"{name}: cut short ({available} of {size} bytes of audio)")
    # A data chunk cut short (a recording that was never closed) is read as far as it goes.
    frames = min(size, available) // block_align
    if frames == 0:
        raise AudioFileError(f"{name}: holds no audio (empty data chunk)")
    if frames / rate_hz > MAX_DURATION_S or frames * block_align > MAX_DATA_BYTES:
        raise AudioFileError(f"{name}: {frames / rate_hz / 60:.1f} minutes of audio "
                             f"({frames * block_align / 2**20:.0f} MiB); at most {MAX_DURATION_S / 60:.0f} "
                             f"minutes and {MAX_DATA_BYTES // 2**20} MiB are read")
    if header_only:
        return np.zeros(0, dtype=np.int16), rate_hz
    samples = _decode(f.read(frames * block_align), encoding, bits // 8)
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return np.clip(np.round(samples), -32768, 32767).astype(np.int16), rate_hz


def _format(body: bytes, name: str) -> tuple[int, int, int, int, int]:
    if len(body) < 16:
        raise AudioFileError(f"{name}: not a readable WAV file (format chunk of {len(body)} bytes)")
    encoding, channels, rate_hz, _, block_align, bits = struct.unpack_from("<HHIIHH", body)
    if encoding == EXTENSIBLE and len(body) >= 26:
        encoding = struct.unpack_from("<H", body, 24)[0]  # the first two bytes of the sub-format GUID
    if encoding not in (PCM, IEEE_FLOAT):
        raise AudioFileError(f"{name}: compressed or unusual WAV encoding (format tag {encoding:#06x}); "
                             f"convert it to PCM, e.g. `sox in.wav -e signed -b 16 out.wav`")
    if not MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:
        raise AudioFileError(f"{name}: sample rate {rate_hz} Hz is outside {MIN_RATE_HZ}-{MAX_RATE_HZ} Hz")
    if not 1 <= channels <= MAX_CHANNELS:
        raise AudioFileError(f"{name}: {channels} channels; 1 to {MAX_CHANNELS} are read")
    allowed = PCM_BITS if encoding == PCM else FLOAT_BITS
    if bits not in allowed:
        kind = "PCM" if encoding == PCM else "float"
        raise AudioFileError(f"{name}: {bits}-bit {kind} samples; {kind} is read at "
                             f"{'/'.join(map(str, allowed))} bits")
    if block_align != channels * bits // 8:
        raise AudioFileError(f"{name}: inconsistent header ({block_align} bytes per frame for "
                             f"{channels} x {bits}-bit)")
    return encoding, channels, rate_hz, block_align, bits


def _decode(payload: bytes, encoding: int, width: int) -> np.ndarray:
    """Samples on the 16-bit scale, as float32 (mixing channels cannot overflow; half float64's memory)."""
    if encoding == IEEE_FLOAT:
        x = np.frombuffer(payload, dtype="<f4" if width == 4 else "<f8").astype(np.float32)
        return np.clip(np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0) * np.float32(32767.0)
    if width == 1:  # 8-bit WAV is unsigned, centred on 128
        return (np.frombuffer(payload, dtype=np.uint8).astype(np.float32) - np.float32(128.0)) * np.float32(256.0)
    if width == 2:
        return np.frombuffer(payload, dtype="<i2").astype(np.float32)
    if width == 3:  # little-endian 24-bit: put each sample in the top of an int32
        raw = np.frombuffer(payload, dtype=np.uint8).reshape(-1, 3)
        wide = np.zeros((len(raw), 4), dtype=np.uint8)
        wide[:, 1:] = raw
        return wide.view("<i4").ravel().astype(np.float32) / np.float32(65536.0)
    return np.frombuffer(payload, dtype="<i4").astype(np.float32) / np.float32(65536.0)
