"""Barge-in on speech onset: the coach falls silent as soon as the user starts to speak over it,
then acts on what was said; speech without words (a cough) lets it carry on with the cut line.

The runner's part runs on a fake source (the microphone edge) in text; the listener's part on
real PocketSphinx hearing espeak-ng speech; the whole path in the virtual bedside.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from speech_audio import cough, place, speech

from voicecoach.audio.chunks import AudioChunk, write_wav
from voicecoach.audio.sources import split_chunk
from voicecoach.clock import SimulatedClock
from voicecoach.coach.runner import SessionRunner, TextSpeaker
from voicecoach.ears.engines import make_recognizer, vocabularies_from_table
from voicecoach.ears.listener import UNCLEAR_TEXT, Listener
from voicecoach.settings import ListenerSettings
from voicecoach.sim.bedside import BedsideParts, run_bedside, speech_start_s
from voicecoach.sim.room import RoomSettings
from voicecoach.sim.scenario import Cue, Scenario, UserVoice
from voicecoach.types import History, Intent, NothingSaid, SpeechOnset, Utterance
from voicecoach.voice.cache import TtsCache
from voicecoach.voice.renderers import EspeakRenderer

RETURNING = History(first_use=False, full_screening_due=False)  # the short safety check
USER = UserVoice(voice="en-us+f2", rate_wpm=160)
CLEARING = (Cue("no never", after="question:"), Cue("yes", after="confirm_no"), Cue("i'm ready", after="ready_prompt"),
            Cue("yes", after="confirm_stop"))
MOVE = "move:knee_to_chest"
HUMAN_STOPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech_commands_sample" / "stop"
ONSET_BAR_S = 0.15  # PRODUCT.md §6: speech onset over the coach to silence


# ---- the runner: onset events from a fake microphone edge, in text ---------------------------

class EventSource:
    """Gives the runner each event `offset_s` after the start (or the end) of the first coach line
    whose key starts with `key`; afterwards it stays silent until each deadline, like a quiet room."""

    def __init__(self, clock: SimulatedClock, events: list[tuple[str, str, float, object]]) -> None:
        self.clock, self.events, self.finished = clock, list(events), False

    def wait(self, deadline_s, timeline, context="idle"):
        if self.events:
            key, edge, offset_s, make = self.events[0]
            line = next((l for l in timeline if l.who == "coach" and l.key.startswith(key)), None)
            at_s = None if line is None else (line.start_s if edge == "start" else line.end_s) + offset_s
            if at_s is not None and (deadline_s is None or at_s <= deadline_s):
                self.events.pop(0)
                self.clock.advance_to(at_s)
                return make(self.clock.now())
        if deadline_s is None:
            self.finished = True
            return None
        self.clock.advance_to(deadline_s)
        return None


def run_events(content, events):
    clock = SimulatedClock()
    runner = SessionRunner(content, clock=clock, speaker=TextSpeaker(), source=EventSource(clock, events),
                           history=RETURNING)
    runner.run(start_now=True)
    return runner.timeline


def coach(timeline):
    return [l for l in timeline if l.who == "coach" and not l.dropped]


def test_an_onset_silences_the_coach_and_no_words_bring_back_the_cut_lines(content):
    timeline = run_events(content, [("start", "start", 2.0, SpeechOnset), ("start", "start", 2.6, NothingSaid)])
    spoken = coach(timeline)
    cut = next(i for i, l in enumerate(spoken) if l.note == "cut off")
    assert spoken[cut].key == "start" and spoken[cut].end_s == pytest.approx(spoken[cut].start_s + 2.0)
    dropped = [l.key for l in timeline if l.dropped]
    assert dropped  # the lines queued behind it were silenced too ...
    again = [l.key for l in spoken[cut + 1:]][: 1 + len(dropped)]
    assert again == [spoken[cut].key] + dropped  # ... and all come back, the cut one from its start
    assert spoken[cut + 1].start_s == pytest.approx(spoken[cut].start_s + 2.6)


def test_words_after_an_onset_are_acted_on_and_the_cut_line_is_not_said_again(content):
    events = [("question:", "start", 1.0, SpeechOnset), ("question:", "start", 1.5, lambda t: Utterance("no", t, Intent("no", text="no")))]
    timeline = run_events(content, events)
    cut = next(l for l in timeline if l.note == "cut off")
    assert cut.key.startswith("question:")  # the answer was spoken over the question
    heard = next(l for l in timeline if l.who == "you")
    assert heard.note == "no"
    assert [l.key for l in coach(timeline) if l.start_s >= heard.start_s][:1] != [cut.key]


def test_an_onset_while_the_coach_is_silent_cuts_nothing(content):
    events = [("question:", "end", 2.0, SpeechOnset), ("question:", "end", 2.5, NothingSaid)]
    timeline = run_events(content, events)
    assert not any(l.note == "cut off" for l in timeline)
    first = next(l for l in timeline if l.key.startswith("question:"))
    assert [l.text for l in timeline].count(first.text) == 1


# ---- the listener: onsets before recognition, and no words in a cough -----------------------

@pytest.fixture(scope="module")
def recognizer(content):
    return make_recognizer(vocabularies_from_table(content.intents), engine="pocketsphinx")


def hear(recognizer, content, audio: AudioChunk, context: str = "exercise"):
    listener = Listener(recognizer, content.intents)
    listener.set_context(context)
    events = []
    for frame in split_chunk(audio, 320):
        heard = listener.process(frame)
        onset = listener.take_onset()
        events += ([("onset", onset)] if onset is not None else []) + [("heard", u) for u in heard]
    return events


def test_the_onset_of_speech_is_reported_before_anything_is_recognized(recognizer, content):
    audio = speech("stop", voice="en-us+f2", rate_wpm=160)
    events = hear(recognizer, content, audio)
    assert [kind for kind, _ in events][:2] == ["onset", "heard"]
    assert 0.0 < events[0][1] - speech_start_s(audio) <= ONSET_BAR_S


@pytest.mark.parametrize("seed", range(3))
def test_a_cough_has_an_onset_but_no_words(recognizer, content, seed):
    events = hear(recognizer, content, place([np.zeros(8000, np.int16), cough(seed).samples,
                                              np.zeros(16000, np.int16)]))
    assert [kind for kind, _ in events] == ["onset"]


def test_voiced_speech_that_is_no_command_is_still_unclear(recognizer, content):
    events = hear(recognizer, content, speech("banana pudding", voice="en-us+f2", rate_wpm=160))
    assert [e[1].text for e in events if e[0] == "heard"] == [UNCLEAR_TEXT]


# ---- the virtual bedside: the whole path, over the coach's voice ----------------------------

@pytest.fixture(scope="module")
def parts(content, tmp_path_factory):
    recognizer = make_recognizer(vocabularies_from_table(content.intents), engine="pocketsphinx")
    return BedsideParts(recognizer=recognizer, coach_renderer=EspeakRenderer(), user_renderer=EspeakRenderer(),
                        cache=TtsCache(tmp_path_factory.mktemp("tts")))


def over_the_move(content, parts, cue: Cue, **kw):
    scenario = Scenario([Cue("skip", after="rating_before"), cue], RoomSettings(), USER, replies=CLEARING)
    return run_bedside(content, scenario, parts, history=RETURNING, start_now=True, **kw)


def assert_stopped_at_onset(result, text: str = "stop"):
    said = next(c for c in result.user if c.text == text)
    silenced = [t for t in result.silenced_at if said.start_s <= t <= said.end_s + 2.0]
    assert silenced and silenced[0] - said.onset_s <= ONSET_BAR_S
    heard = next(l for l in result.timeline if l.who == "you" and l.start_s >= said.start_s)
    assert silenced[0] < heard.start_s  # silent before anything was recognized
    cut = next(l for l in result.timeline if l.key == MOVE)
    assert cut.note == "cut off" and cut.end_s == pytest.approx(silenced[0])
    after = [l.key for l in result.timeline if l.who == "coach" and not l.dropped and l.start_s > said.start_s]
    assert after[0] in ("stop_ack", "confirm_stop")  # heard as stop, or as unclear: paused and asked


@pytest.mark.slow
def test_a_synthesized_stop_over_the_coach_silences_it_at_onset(content, parts):
    result = over_the_move(content, parts, Cue("stop", during=MOVE, offset_s=2.0, level_dbfs=-20.0))
    assert_stopped_at_onset(result)


@pytest.mark.slow
@pytest.mark.skipif(not HUMAN_STOPS.is_dir(), reason="no human recordings in ../shared/data")
def test_a_human_stop_over_the_coach_silences_it_at_onset(content, parts):
    clip = sorted(HUMAN_STOPS.glob("*.wav"))[0]
    result = over_the_move(content, parts, Cue("stop", during=MOVE, offset_s=2.0, wav=str(clip), level_dbfs=-20.0))
    assert_stopped_at_onset(result)


@pytest.mark.slow
@pytest.mark.parametrize("source", ["espeak-ng", "human"])
def test_a_stop_6_db_under_the_coach_silences_it_on_its_s(content, parts, source):
    # The "s" is soft over the whole band but stands out above 3 kHz, where the coach's vowels
    # leave little: the gate's band test opens on it, the whole band only on the vowel after it.
    if source == "human" and not HUMAN_STOPS.is_dir():
        pytest.skip("no human recordings in ../shared/data")
    clip = {"wav": str(HUMAN_STOPS / "a9abc695_nohash_1.wav")} if source == "human" else {}  # a tune-half speaker
    cue = Cue("stop", during=MOVE, offset_s=2.0, level_dbfs=-32.0, **clip)  # the coach is at about -26 dBFS

    def onset_to_silence(listener: ListenerSettings) -> float:
        result = over_the_move(content, dataclasses.replace(parts, listener=listener), cue)
        said = next(c for c in result.user if c.text == "stop")
        return next(t for t in result.silenced_at if t >= said.start_s) - said.onset_s

    with_band = onset_to_silence(ListenerSettings())
    assert with_band <= ONSET_BAR_S
    assert onset_to_silence(ListenerSettings(echo_gate_band_low_hz=0)) > with_band + 0.03


@pytest.mark.slow
def test_a_noisy_room_is_not_taken_for_speech_each_time_the_coach_pauses(content, parts):
    # Steady noise 16 dB under the user's voice. The gate's turned-down frames once pulled the
    # end-pointer's noise floor far under the room's, so the room opened a segment whenever the
    # coach paused: it cut its line, heard no words, said it again, and never heard an answer.
    first = content.screening.questions[0]
    scenario = Scenario([], RoomSettings(noise_dbfs=-40.0), USER,
                        replies=(Cue("yes", after=f"question:{first.id}", level_dbfs=-24.0),))
    result = run_bedside(content, scenario, parts, history=History(first_use=False, full_screening_due=True),
                         start_now=True, listen_at_least_s=90.0)
    assert result.outcome is not None and result.outcome.outcome == "screened_out"
    cut = [l.key for l in result.timeline if l.note == "cut off"]
    assert cut == []  # not even the first line, said before the end-pointer had heard the room


@pytest.fixture(scope="module")
def whisper_parts(content, parts):
    recognizer = make_recognizer(vocabularies_from_table(content.intents), engine="whisper")
    return dataclasses.replace(parts, recognizer=recognizer)


@pytest.mark.slow
@pytest.mark.skipif(not HUMAN_STOPS.is_dir(), reason="no human recordings in ../shared/data")
def test_every_human_stop_over_the_coach_stops_or_asks_with_the_default_engine(content, whisper_parts):
    # Whisper took one speaker's "stop" under the coach's echo for no speech: the coach carried on
    # as after a cough. A voice Whisper rejects is now unclear, and an exercise pauses and asks.
    for clip in sorted(HUMAN_STOPS.glob("*.wav")):
        cue = Cue("stop", during=MOVE, offset_s=2.0, wav=str(clip), level_dbfs=-20.0)  # 6 dB over the coach
        scenario = Scenario([Cue("skip", after="rating_before"), cue], RoomSettings(), USER,
                            replies=(Cue("no", after="question:"),) + CLEARING[1:])  # Whisper: "no never" is "no number"
        result = run_bedside(content, scenario, whisper_parts, history=RETURNING, start_now=True)
        said = next(c for c in result.user if c.text == "stop")
        after = [l.key for l in result.timeline if l.who == "coach" and not l.dropped and l.start_s > said.start_s]
        assert after[:1] in (["stop_ack"], ["confirm_stop"]), (clip.name, after[:3])


@pytest.mark.slow
def test_a_cough_over_the_coach_silences_it_then_the_cut_line_is_said_again(content, parts, tmp_path):
    wav = tmp_path / "cough.wav"
    write_wav(wav, cough(0, level_dbfs=-20.0))
    result = over_the_move(content, parts, Cue("cough", during=MOVE, offset_s=2.0, wav=str(wav)),
                           listen_at_least_s=170.0)
    said = next(c for c in result.user if c.text == "cough")
    assert any(said.start_s <= t <= said.end_s + 0.3 for t in result.silenced_at)
    moves = [l for l in result.timeline if l.who == "coach" and l.key == MOVE and not l.dropped]
    assert [m.note for m in moves[:2]] == ["cut off", ""]  # said again, from its start, in full
    keys = [l.key for l in result.timeline if l.who == "coach" and not l.dropped and l.start_s > moves[1].start_s]
    assert "confirm_stop" not in keys and "stop_ack" not in keys
    assert any(k.startswith("hold:knee_to_chest") for k in keys)  # the session carried on into the hold
    next_cue_s = min([c.start_s for c in result.user if c.start_s > said.start_s], default=float("inf"))
    assert not any(l.who == "you" and said.start_s <= l.start_s < next_cue_s for l in result.timeline)  # no words


@pytest.mark.slow
def test_an_answer_spoken_over_a_question_is_the_answer(content, parts):
    scenario = Scenario([Cue("no never", during="question:", offset_s=1.5)], RoomSettings(), USER,
                        replies=CLEARING)
    result = run_bedside(content, scenario, parts, history=RETURNING, start_now=True)
    first = next(l for l in result.timeline if l.key.startswith("question:"))
    said = result.user[0]
    assert said.start_s < first.end_s and first.note == "cut off"
    heard = next(l for l in result.timeline if l.who == "you")
    assert heard.note == "no" and heard.start_s >= said.start_s
    later = [l.key for l in result.timeline if l.who == "coach" and not l.dropped and l.start_s > heard.start_s]
    assert later[:1] != [first.key]  # not asked again: read back or the next question


@pytest.mark.slow
@pytest.mark.parametrize("voice", ["espeak-ng", "piper"])
def test_a_whole_session_of_narration_at_twice_the_demo_echo_never_triggers_an_onset(content, parts, voice):
    from voicecoach.sim.echo_replay import replay_narration

    if voice == "piper":  # the neural voice's spectrum and loudness differ: its echo is gated too
        pytest.importorskip("piper", reason="piper-tts is not installed")
        from voicecoach.voice.piper import PiperRenderer

        renderer = PiperRenderer()
    else:
        renderer = parts.coach_renderer
    from voicecoach.sim.scenario import ScriptedSource, load_scenario

    clock, scenario = SimulatedClock(), load_scenario()
    runner = SessionRunner(content, clock=clock, speaker=TextSpeaker(),
                           source=ScriptedSource(scenario.cues, clock, scenario.replies))
    assert runner.run(start_now=False).outcome == "completed"
    lines = [l.text for l in coach(runner.timeline)]
    room = RoomSettings(echo_gain=2 * scenario.room.echo_gain, noise_dbfs=scenario.room.noise_dbfs)
    result = replay_narration(lines, content, parts.recognizer, renderer, room=room, cache=parts.cache)
    assert result.narration_s > 300  # the whole session: disclaimer, full screening, both exercises
    assert result.heard == []  # the coach never acts on its own voice
    if voice == "piper":
        # Piper renders each line a little differently every time: at twice the demo's echo one
        # whole-session replay in about 19 measured had one self-onset (a cut line, said again).
        # Zero is required at the demo's own echo; at twice it, an onset is the open item in
        # docs/notes.md, not a flaky failure here.
        demo = replay_narration(lines, content, parts.recognizer, renderer, cache=parts.cache,
                                room=RoomSettings(echo_gain=scenario.room.echo_gain, noise_dbfs=scenario.room.noise_dbfs))
        assert (demo.onsets, demo.heard) == ([], [])
        assert len(result.onsets) <= 1
    else:
        assert result.onsets == []
