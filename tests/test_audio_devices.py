"""Opening the bedside's sound devices: ALSA card names, back-off, rescans, busy and late devices.

The busy device is a fake sound card (the hardware edge); its real twin is PortAudio itself
in a child Python whose ALSA configuration has no device at first and gains one while the
coach waits, which is how a USB card plugged in late looks to PortAudio.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from voicecoach.assemble import open_voice
from voicecoach.audio.devices import Backoff, alsa_cards, open_with_backoff, resolve_device
from voicecoach.audio.players import PlayerError
from voicecoach.audio.sources import AudioDeviceError
from voicecoach.clock import SimulatedClock
from voicecoach.store.config import AppConfig

ROOT = Path(__file__).resolve().parents[1]

PI_CARDS = """\
 0 [Headphones     ]: bcm2835_headpho - bcm2835 Headphones
                      bcm2835 Headphones
 1 [Device         ]: USB-Audio - USB PnP Sound Device
                      C-Media Electronics Inc. USB PnP Sound Device at usb-0000:01:00.0-1.3, full speed
 2 [vc4hdmi0       ]: vc4-hdmi - vc4-hdmi-0
                      vc4-hdmi-0
"""

PI_DEVICES = [  # as PortAudio lists them on a Raspberry Pi 4 with a USB sound card (PA_ALSA_PLUGHW=1)
    {"index": 0, "name": "bcm2835 Headphones: - (plughw:0,0)", "max_input_channels": 0, "max_output_channels": 8},
    {"index": 1, "name": "USB PnP Sound Device: Audio (plughw:1,0)", "max_input_channels": 1,
     "max_output_channels": 2},
    {"index": 2, "name": "vc4-hdmi-0: MAI PCM i2s-hifi-0 (plughw:2,0)", "max_input_channels": 0,
     "max_output_channels": 2},
    {"index": 3, "name": "default", "max_input_channels": 0, "max_output_channels": 128},
]


def test_alsa_cards_are_read_by_name():
    assert alsa_cards(PI_CARDS) == {"Headphones": 0, "Device": 1, "vc4hdmi0": 2}
    assert alsa_cards("--- no soundcards ---\n") == {}


def test_an_alsa_card_name_finds_that_cards_device(tmp_path):
    cards = tmp_path / "cards"
    cards.write_text(PI_CARDS)
    sd = SimpleNamespace(query_devices=lambda: PI_DEVICES)
    assert resolve_device("plughw:CARD=Device,DEV=0", "input", sd, cards) == 1
    assert resolve_device("hw:CARD=Device", "output", sd, cards) == 1
    assert resolve_device("plughw:CARD=Headphones", "output", sd, cards) == 0
    for other in (None, 3, "USB PnP"):  # not ALSA names: PortAudio's own matching decides
        assert resolve_device(other, "input", sd, cards) == other
    with pytest.raises(ValueError, match="has no input device 0"):
        resolve_device("plughw:CARD=Headphones", "input", sd, cards)
    with pytest.raises(ValueError, match=r"no sound card named 'Mic' \(cards now: Headphones, Device, vc4hdmi0\)"):
        resolve_device("plughw:CARD=Mic", "input", sd, cards)
    # After a reboot the USB card may come first: the name still finds it.
    cards.write_text(PI_CARDS.replace(" 0 [Headphones", " 9 [Headphones").replace(" 1 [Device", " 0 [Device"))
    renumbered = [{**d, "name": d["name"].replace("(plughw:1,0)", "(hw:0,0)")} for d in PI_DEVICES[1:]]
    assert resolve_device("plughw:CARD=Device", "input", SimpleNamespace(query_devices=lambda: renumbered), cards) == 1
    with pytest.raises(ValueError, match="cards now: none"):
        resolve_device("plughw:CARD=Device", "input", sd, tmp_path / "absent")


def test_backoff_doubles_up_to_a_ceiling_and_gives_up_in_time():
    assert list(Backoff(first_s=0.5, longest_s=4, give_up_after_s=20).waits()) == [0.5, 1, 2, 4, 4, 4, 4]
    assert list(Backoff(give_up_after_s=0).waits()) == []


def test_open_with_backoff_rescans_between_tries_and_gives_the_last_error():
    clock, tries, rescans = SimulatedClock(), [], []

    def flaky():
        tries.append(clock.now())
        if len(tries) < 4:
            raise AudioDeviceError(f"busy {len(tries)}")
        return "open"

    backoff = Backoff(first_s=1, longest_s=2, give_up_after_s=10)
    got = open_with_backoff(flaky, retry_on=(AudioDeviceError,), backoff=backoff, clock=clock,
                            before_retry=lambda: rescans.append(clock.now()))
    assert got == "open" and tries == [0, 1, 3, 5] and rescans == [1, 3, 5]

    tries.clear()
    with pytest.raises(AudioDeviceError, match="busy 2"):  # one wait, two tries
        open_with_backoff(flaky, retry_on=(AudioDeviceError,), backoff=Backoff(first_s=1, give_up_after_s=1.5),
                          clock=clock, before_retry=lambda: None)

    def broken():
        raise KeyError("a bug, not a device")

    with pytest.raises(KeyError):  # only device errors are worth waiting for
        open_with_backoff(broken, retry_on=(AudioDeviceError,), backoff=backoff, clock=clock, before_retry=lambda: None)


# --- a fake sound card with a busy microphone -----------------------------------------------


class FakePortAudioError(Exception):
    pass


class FakeStream:
    def __init__(self, card: FakeSoundCard, kind: str, kwargs: dict) -> None:
        self.card, self.kind, self.kwargs = card, kind, kwargs
        self.samplerate, self.latency, self.active = kwargs["samplerate"], 0.05, False
        card.open_streams.append(self)

    def start(self) -> None:  # output: the "device" takes all queued audio at once
        self.active = True
        status = SimpleNamespace(output_underflow=False)
        for _ in range(400):
            out = np.zeros((1024, 1), dtype=np.int16)
            self.kwargs["callback"](out, 1024, None, status)
            self.card.played.append(out[:, 0].copy())

    def abort(self) -> None:
        self.active = False

    def close(self) -> None:
        if self in self.card.open_streams:
            self.card.open_streams.remove(self)

    def __enter__(self):  # input: the microphone delivers a few marked frames
        for i in range(5):
            self.kwargs["callback"](np.full(480, 100 + i, dtype="<i2").tobytes(), 480, None, None)
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class FakeSoundCard:
    """sounddevice with one USB card whose microphone or speaker is busy for the first opens."""

    PortAudioError = FakePortAudioError

    def __init__(self, *, input_busy: float = 0, output_busy: float = 0) -> None:
        self.input_busy, self.output_busy = input_busy, output_busy
        self.open_streams: list[FakeStream] = []
        self.played: list[np.ndarray] = []
        self.rescans = 0

    def query_devices(self, device=None, kind=None):
        card = {"index": 0, "name": "USB PnP Sound Device: Audio (plughw:1,0)", "max_input_channels": 1,
                "max_output_channels": 2, "default_samplerate": 48000.0}
        return [card] if device is None and kind is None else card

    def _busy(self, which: str) -> bool:
        left = getattr(self, which)
        setattr(self, which, left - 1)
        return left > 0

    def RawInputStream(self, **kwargs):
        if self._busy("input_busy"):
            raise FakePortAudioError("Error opening RawInputStream: Device unavailable [PaErrorCode -9985]")
        return FakeStream(self, "input", kwargs)

    def OutputStream(self, **kwargs):
        if self._busy("output_busy"):
            raise FakePortAudioError("Error opening OutputStream: Device unavailable [PaErrorCode -9985]")
        return FakeStream(self, "output", kwargs)

    def _terminate(self) -> None:
        assert not self.open_streams, "PortAudio re-initialized with a stream still open"

    def _initialize(self) -> None:
        self.rescans += 1


@pytest.mark.slow
def test_a_busy_microphone_at_start_is_waited_for_and_then_used(content):
    card, clock = FakeSoundCard(input_busy=3), SimulatedClock()
    voice = open_voice(content, AppConfig(wait_for_devices_s=30), clock, sounddevice_module=card)
    assert card.rescans == 3 and clock.now() == pytest.approx(0.5 + 1 + 2)
    assert sorted(s.kind for s in card.open_streams) == ["input", "output"]  # failed tries left nothing open
    assert int(next(voice.source.frames).samples[0]) == 100  # the microphone's first frame reaches the listener
    voice.close()


@pytest.mark.slow
def test_a_microphone_busy_for_good_is_told_on_the_speaker_and_nothing_stays_open(content):
    card, clock = FakeSoundCard(input_busy=float("inf")), SimulatedClock()
    with pytest.raises(AudioDeviceError, match="Device unavailable.*another program is using it") as error:
        open_voice(content, AppConfig(wait_for_devices_s=10), clock, tell_user=True, sounddevice_module=card)
    assert "\n" not in str(error.value)
    assert card.rescans == 4  # it kept trying for the configured time: waits of 0.5, 1, 2 and 4 s fit in 10 s
    spoken = np.concatenate(card.played)
    voiced_s = np.count_nonzero(np.abs(spoken) > 300) / 48000
    assert voiced_s > 2.0  # the "can't hear you" line was said (it is about 6 s of speech)
    assert card.open_streams == []


@pytest.mark.slow
def test_without_someone_waiting_a_missing_microphone_says_nothing(content):
    card = FakeSoundCard(input_busy=float("inf"))
    with pytest.raises(AudioDeviceError):
        open_voice(content, AppConfig(wait_for_devices_s=2), SimulatedClock(), sounddevice_module=card)
    assert not any(np.any(block) for block in card.played) and card.open_streams == []


@pytest.mark.slow
def test_a_busy_speaker_for_good_is_a_player_error_and_nothing_stays_open(content):
    card = FakeSoundCard(output_busy=float("inf"))
    with pytest.raises(PlayerError, match="Device unavailable.*another program is using it"):
        open_voice(content, AppConfig(wait_for_devices_s=2), SimulatedClock(), tell_user=True,
                   sounddevice_module=card)
    assert card.open_streams == [] and card.played == []


# --- the real twin: PortAudio and ALSA, with a device that appears late ----------------------

NO_DEVICE_CONF = "pcm.!default { type hw card 7 }\nctl.!default { type hw card 7 }\n"
NULL_DEVICE_CONF = "pcm.!default { type null }\nctl.!default { type hw card 0 }\n"


def _alsa_env(conf: Path) -> dict[str, str]:
    home = conf.parent  # the child's journal and speech cache stay in the test's folder
    return {**os.environ, "ALSA_CONFIG_PATH": str(conf), "PATH": "/usr/bin:/bin",
            "XDG_DATA_HOME": str(home / "data"), "XDG_CACHE_HOME": str(home / "cache")}


@pytest.mark.slow
def test_a_device_that_appears_while_the_coach_waits_is_opened(tmp_path):
    conf = tmp_path / "asound.conf"
    conf.write_text(NO_DEVICE_CONF)
    code = """
        import json, logging, time
        from voicecoach.clock import RealClock
        from voicecoach.store.config import AppConfig
        from voicecoach.store.content import load_content
        from voicecoach.assemble import open_voice
        logging.basicConfig()
        t0 = time.monotonic()
        voice = open_voice(load_content(), AppConfig(wait_for_devices_s=30), RealClock())
        print(json.dumps({"opened_after_s": time.monotonic() - t0, "rate_hz": voice.player.rate_hz}))
        voice.close()
    """
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=_alsa_env(conf), cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    waiting = ""
    deadline = time.monotonic() + 60  # the whole test: 3.2 s measured unloaded; 60 s only against a hang
    while "audio devices not ready" not in waiting and time.monotonic() < deadline:
        line = child.stderr.readline()
        if not line:
            break
        waiting += line
    conf.write_text(NULL_DEVICE_CONF)  # the "card" is plugged in
    out, err = child.communicate(timeout=60)
    assert "audio devices not ready" in waiting, waiting + err
    assert child.returncode == 0, err
    assert json.loads(out.splitlines()[-1])["rate_hz"] > 0


@pytest.mark.slow
def test_run_with_no_device_at_all_gives_up_with_one_line_and_keeps_the_journal(tmp_path):
    from voicecoach.store import paths
    from voicecoach.store.journal import Journal

    earlier = Journal(paths.journal_path())
    earlier.close_session(earlier.open_session(), "completed")
    earlier.close()
    conf = tmp_path / "asound.conf"
    conf.write_text(NO_DEVICE_CONF)
    config = tmp_path / "config.toml"
    config.write_text("[audio]\nwait_for_devices_s = 1\n")
    done = subprocess.run([sys.executable, "-m", "voicecoach.cli", "run", "--now", "--wait-for-devices",
                           "--config", str(config)],
                          env=_alsa_env(conf), cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # 3.0 s measured unloaded (a 1 s wait for devices, then retries)
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("voicecoach: error: no audio output device found"), done.stderr
    assert "audio devices not ready" in done.stderr  # it did wait and retry first
    (row,) = Journal(paths.journal_path()).sessions()
    assert row.outcome == "completed"
