"""Whisper's log-mel front end in numpy: 16 kHz audio -> 80 x frames features, no torch.

Matches openai-whisper's `log_mel_spectrogram`: periodic Hann window of 400 samples, hop 160
(10 ms), centred frames with reflect padding, power spectrum, Slaney-style mel filters up to
8 kHz, log10 clamped to (max - 8), then (x + 4) / 4. The last STFT frame is dropped, as
Whisper does, so N samples give N // 160 frames.

faster-whisper has a numpy feature extractor too, but the package pulls in onnxruntime and
PyAV (tens of MB) that nothing else here needs, so these ~50 lines are kept instead.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SAMPLE_RATE_HZ = 16000
N_FFT = 400
HOP = 160  # samples per frame: 10 ms
N_MELS = 80


@lru_cache(maxsize=2)
def mel_filters(n_mels: int = N_MELS) -> np.ndarray:
    """(n_mels, N_FFT // 2 + 1) Slaney mel filterbank, area-normalized (librosa's default)."""
    fft_hz = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE_HZ)
    f_sp, min_log_hz = 200.0 / 3, 1000.0  # linear below 1 kHz, logarithmic above
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0

    def hz_to_mel(hz: float) -> float:
        return hz / f_sp if hz < min_log_hz else min_log_mel + np.log(hz / min_log_hz) / logstep

    mels = np.linspace(0.0, hz_to_mel(SAMPLE_RATE_HZ / 2), n_mels + 2)
    edges_hz = np.where(mels < min_log_mel, f_sp * mels, min_log_hz * np.exp(logstep * (mels - min_log_mel)))
    widths = np.diff(edges_hz)
    ramps = edges_hz[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges_hz[2:] - edges_hz[:-2]))[:, None]
    return weights.astype(np.float32)


@lru_cache(maxsize=1)
def _window() -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic Hann


def log_mel(samples: np.ndarray) -> np.ndarray:
    """Features (N_MELS, len(samples) // HOP) float32 of int16 or float (-1..1) 16 kHz samples."""
    x = np.asarray(samples)
    x = x.astype(np.float32) / 32768.0 if x.dtype == np.int16 else x.astype(np.float32)
    if len(x) < HOP:
        raise ValueError(f"need at least {HOP} samples, got {len(x)}")
    pad = N_FFT // 2
    x = np.pad(x, (pad, pad), mode="reflect")
    n_frames = 1 + (len(x) - N_FFT) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP][:n_frames]
    power = np.abs(np.fft.rfft(frames * _window(), axis=1)) ** 2
    mel = mel_filters() @ power[:-1].T  # Whisper drops the last frame
    log_spec = np.log10(np.maximum(mel, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return ((log_spec + 4.0) / 4.0).astype(np.float32)
