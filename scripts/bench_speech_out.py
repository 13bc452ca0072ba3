#!/usr/bin/env python3
"""Speech-out benchmark: time to first audio (cold, cached), render real-time factor, stop latency.

    .venv/bin/python scripts/bench_speech_out.py [--device null|default|NAME] [--trials N]

--device null (the default) gives PortAudio an ALSA `null` output, so the sounddevice
path runs on machines without a sound card (faster than real time: stop latency is then
the stop() call's own cost, and frames counted after it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

LINES = [
    "Lie flat on your back, with your legs straight.",
    "Slowly bend your right knee toward your chest.",
    "Hold it gently with both hands.",
    "Breathe in.",
    "And out.",
    "Ten more seconds.",
    "Slowly release, and let the leg go straight again.",
    "Now the other side.",
    "Let both knees drop slowly to one side.",
    "Keep both shoulders resting on the bed.",
    "Well done. That is all for this morning.",
]


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def fmt_ms(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"median {statistics.median(ms):7.2f} ms   p95 {pct(ms, 95):7.2f} ms   (n={len(ms)})"


def use_null_device(tmp: Path) -> None:
    conf = tmp / "asound.conf"
    conf.write_text("pcm.!default { type null }\nctl.!default { type hw card 0 }\n")
    os.environ["ALSA_CONFIG_PATH"] = str(conf)  # before sounddevice (PortAudio) is imported


def time_to_first_audio(renderer, player, cache, voice) -> list[float]:
    """Seconds from the request to the first sample handed to the device, per line."""
    from voicecoach.voice.speaker import Speaker

    speaker = Speaker(renderer, player, cache=cache)
    speaker.rate_wpm = voice.rate_wpm
    out = []
    for line in LINES:
        before = player.played_frames()
        t0 = time.perf_counter()
        speaker.say(line, volume=1.0)
        while player.played_frames() == before:
            time.sleep(0.0002)
        out.append(time.perf_counter() - t0)
        speaker.stop()
    return out


def render_rtf(renderer, voice) -> list[float]:
    out = []
    for line in LINES:
        t0 = time.perf_counter()
        chunk = renderer.render(line, voice)
        out.append((time.perf_counter() - t0) / chunk.duration_s)
    return out


def sounddevice_stop(player, chunk, trials: int) -> tuple[list[float], list[int]]:
    """stop() wall time (s) and coach frames sent after the call, while a line is playing."""
    durations, frames = [], []
    for _ in range(trials):
        player.play(chunk)
        while player.played_frames() == 0 or not player.busy():
            time.sleep(0.0002)
        time.sleep(0.002)
        player.stop()
        durations.append(player.last_stop.duration_s)
        frames.append(player.last_stop.frames_after_call)
    return durations, frames


def timeline_stop(chunk, trials: int) -> tuple[list[float], list[float]]:
    """WAV timeline on the real clock: stop() wall time, and where the cut lands after the call (s)."""
    from voicecoach.audio.players import WavTimelinePlayer
    from voicecoach.clock import RealClock

    clock = RealClock()
    durations, overshoot = [], []
    for _ in range(trials):
        player = WavTimelinePlayer(clock, rate_hz=chunk.rate_hz)
        player.play(chunk)
        time.sleep(0.003)
        t_call = clock.now()
        t0 = time.perf_counter()
        player.stop()
        durations.append(time.perf_counter() - t0)
        (played,) = player.played()
        overshoot.append(played.end_s - t_call)
    return durations, overshoot


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="null", help="null (ALSA null output), default, or a device name/index")
    parser.add_argument("--trials", type=int, default=50, help="stop() trials per player")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="voicecoach-bench-"))
    if args.device == "null":
        use_null_device(tmp)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from voicecoach.audio.players import SoundDevicePlayer, SoundDeviceSettings
    from voicecoach.voice.cache import TtsCache
    from voicecoach.voice.renderers import EspeakRenderer, Pyttsx3Renderer, VoiceSettings

    device = None if args.device in ("null", "default") else (int(args.device) if args.device.isdigit() else args.device)
    voice = VoiceSettings()
    renderers = {"espeak-ng CLI": EspeakRenderer(), "pyttsx3": Pyttsx3Renderer()}
    print(f"voice {voice.voice}, {voice.rate_wpm} wpm, {len(LINES)} lines, device {args.device}")

    with SoundDevicePlayer(SoundDeviceSettings(device=device)) as player:
        print(f"output: {player.rate_hz} Hz, block {player.settings.block_frames} frames, "
              f"device latency {player.latency_s * 1000:.1f} ms")
        print("\nTime to first audio (request -> first sample handed to the device):")
        for name, renderer in renderers.items():
            renderer.render("Warm up.", voice)  # engine start-up is not per line
            cache = TtsCache(tmp / name.replace(" ", "_"))
            cold = time_to_first_audio(renderer, player, cache, voice)
            cached = time_to_first_audio(renderer, player, cache, voice)
            print(f"  {name:14s} cold    {fmt_ms(cold)}")
            print(f"  {name:14s} cached  {fmt_ms(cached)}")

        print("\nRender real-time factor (render time / audio duration; lower is faster):")
        for name, renderer in renderers.items():
            rtf = render_rtf(renderer, voice)
            print(f"  {name:14s} median {statistics.median(rtf):.4f}   p95 {pct(rtf, 95):.4f}")

        long_line = EspeakRenderer().render(" ".join(LINES * 3), voice)
        print(f"\nStop-to-silence latency (line of {long_line.duration_s:.0f} s playing, {args.trials} trials):")
        durations, frames = sounddevice_stop(player, long_line, args.trials)
        print(f"  sounddevice     stop() call -> silent return  {fmt_ms(durations)}")
        print(f"  sounddevice     coach frames sent after stop() was called: max {max(frames)}")
    durations, overshoot = timeline_stop(long_line, args.trials)
    print(f"  WAV timeline    stop() call -> return         {fmt_ms(durations)}")
    print(f"  WAV timeline    cut lands after the call by   {fmt_ms(overshoot)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
