"""`voicecoach recognize`: what the coach hears in WAV files, whole or as a live stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from voicecoach.assemble import build_listener, recognizer_for
from voicecoach.audio.chunks import SAMPLE_RATE_HZ, read_wav
from voicecoach.audio.sources import FileSource
from voicecoach.audio.wav_file import check_wav_file
from voicecoach.ears.intents import IntentTable
from voicecoach.ears.listener import UNCLEAR_TEXT
from voicecoach.ears.voicing import voiced_s
from voicecoach.settings import ListenerSettings


def recognize_files(table: IntentTable, files: list[Path], *, engine: str | None, context: str, as_json: bool,
                    stream: bool, echo: Path | None = None) -> Iterator[str]:
    """One line per file (JSON or readable); the model is loaded once for all of them."""
    for path in [*files, *([echo] if echo else [])]:  # a bad file is refused before the model loads
        check_wav_file(path)
    recognizer = recognizer_for(table, engine=engine or "auto", context=context)
    for path in files:
        if stream:
            yield _stream(table, recognizer, path, context, as_json, echo)
        else:
            yield _whole(table, recognizer, path, context, as_json)


def _whole(table, recognizer, path: Path, context: str, as_json: bool) -> str:
    recognizer.set_context(context)
    audio = read_wav(path, SAMPLE_RATE_HZ)
    hypothesis = recognizer.decode(audio)
    intent = table.parse(hypothesis.text, context) if hypothesis.text else None
    # As the listener does: speech with no words placed is unclear only if there is a voice in it.
    if intent is None and hypothesis.heard_other and \
            voiced_s(audio.samples, audio.rate_hz) >= ListenerSettings().min_voiced_s - 1e-9:
        intent = table.parse(UNCLEAR_TEXT, context)
    record = {"file": str(path), "text": hypothesis.text, "intent": intent.name if intent else None,
              "value": intent.value if intent else None, "confidence": round(float(hypothesis.confidence), 3)}
    if as_json:
        return json.dumps(record)
    heard = record["intent"] or "nothing"
    value = f" {record['value']}" if record["value"] is not None else ""
    return f"{path}: {heard}{value}  ({hypothesis.text or '-'}, confidence {record['confidence']:.2f})"


def _stream(table, recognizer, path: Path, context: str, as_json: bool, echo: Path | None) -> str:
    reference = read_wav(echo, SAMPLE_RATE_HZ).samples if echo else None
    listener = build_listener(recognizer, table, echo_cancellation=echo is not None, echo_gate=echo is not None)
    listener.set_context(context)
    events = []
    for frame in FileSource(path, frame_samples=320):
        ref = None
        if reference is not None:
            first = int(round(frame.start_s * SAMPLE_RATE_HZ))
            ref = np.zeros(len(frame.samples), dtype=np.int16)
            piece = reference[first:first + len(frame.samples)]
            ref[:len(piece)] = piece
        for heard in listener.process(frame, ref):
            intent = heard.intent
            if intent is not None:
                events.append({"intent": intent.name, "value": intent.value, "text": heard.text,
                               "at": round(heard.at_s, 2)})
    if as_json:
        return json.dumps({"file": str(path), "events": events})
    found = ", ".join(f"{e['intent']} at {e['at']:.2f} s" for e in events) or "nothing"
    return f"{path}: {found}"
