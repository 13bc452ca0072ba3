"""Seeded fuzzing of every loader: mutated copies of the shipped data files and hand-made configs.

Run as a program (tests/test_fuzz_inputs.py starts it in a child process with a memory limit):
    python tests/fuzz_inputs.py SEED CASES
Prints one JSON line: counts per outcome and the failures. A case passes when it is either
accepted and a text session then runs to its end, or refused with the loader's one-line error.
Anything else (another exception, a multi-line message, an internal error in the session, a
case that takes more than a few seconds) is a failure.
"""

from __future__ import annotations

import json
import math
import random
import signal
import sys
import tempfile
from dataclasses import replace
from importlib import resources
from pathlib import Path

import tomli_w

sys.path.insert(0, str(Path(__file__).parent))

from voicecoach.ears.intents import load_intent_table  # noqa: E402
from voicecoach.sim.scenario import ScenarioError, load_scenario  # noqa: E402
from voicecoach.store.config import ConfigError, build_config, read_config_file  # noqa: E402
from voicecoach.store.content import Content, load_content, load_phrases, load_routine, load_screening  # noqa: E402
from voicecoach.store.content_errors import ContentError  # noqa: E402

SHIPPED = ("routine.toml", "screening.toml", "phrases.toml", "intents.toml", "demo.toml")
CONFIGS = [
    "[session]\nanswer_wait_s = 8\nhold_s = { knee_to_chest = 20 }\nrounds = { lumbar_rotation = 2 }\n"
    "quiet_hours = \"23:00-06:00\"\n[voice]\nrate_wpm = 150\nvolume = 0.8\nnight_volume = 0.5\n"
    "night_hours = \"21:00-07:00\"\n[recognizer]\nengine = \"auto\"\n[audio]\nwait_for_devices_s = 30\n",
    "[session]\nmax_attempts = 3\nconfirm_below = 0.5\nrate_stiffness = false\n",
    "[voice]\nname = \"en-us\"\n",
]
ODD_VALUES = [0, -1, 1.5, 10**30, math.inf, -math.inf, math.nan, True, "", "x" * 3000, "{seconds:>1000000000}",
              "{seconds!r}", "{seconds.real}", "{nope}", "{", "}", "\u00e9\u0000", [], [[[[[1]]]]], {}, {"x": 1},
              ["a"] * 50, "00:00-00:00", "25:00-07:00", 3, "soon", "high", None]
REFUSALS = (ContentError, ConfigError, ScenarioError)


class TooSlow(Exception):
    pass


def _alarm(signum, frame):
    raise TooSlow()


def shipped(name: str) -> bytes:
    return resources.files("voicecoach.data").joinpath(name).read_bytes()


# ---- mutations ---------------------------------------------------------------------------

def byte_mutation(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        at = rng.randrange(len(data) + 1)
        if op == 0 and data:  # flip a byte, often to one that is not UTF-8
            data[min(at, len(data) - 1)] = rng.choice([0x80, 0xff, 0xc3, 0x00, rng.randrange(256)])
        elif op == 1:  # insert junk
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 2:  # cut
            del data[at:at + rng.randint(1, 200)]
        elif op == 3:  # truncate
            del data[at:]
        elif op == 4:  # repeat a stretch
            data[at:at] = data[at:at + rng.randint(1, 120)]
        else:  # deep nesting
            data[at:at] = b"\nx = " + b"[" * rng.choice([10, 500, 5000]) + b"\n"
    return bytes(data)


def structure_mutation(data: object, rng: random.Random) -> object:
    """Change, remove or add one value somewhere in the tree (tables and lists)."""
    if isinstance(data, dict) and data:
        key = rng.choice(list(data))
        op = rng.randrange(5)
        if op == 0:
            return {k: v for k, v in data.items() if k != key}
        if op == 1:
            return {**data, key: rng.choice(ODD_VALUES)}
        if op == 2:
            return {**data, rng.choice(["extra", "rat_wpm", "hold", key + "s"]): rng.choice(ODD_VALUES)}
        return {**data, key: structure_mutation(data[key], rng)}
    if isinstance(data, list) and data:
        i = rng.randrange(len(data))
        op = rng.randrange(4)
        if op == 0:
            return data[:i] + data[i + 1:]
        if op == 1:
            return data[:i] + [rng.choice(ODD_VALUES)] + data[i + 1:]
        if op == 2:
            return data + data[:rng.randint(1, 3)] * rng.choice([1, 30])
        return data[:i] + [structure_mutation(data[i], rng)] + data[i + 1:]
    return rng.choice(ODD_VALUES)


def to_toml(data: object) -> bytes | None:
    try:
        return tomli_w.dumps(data).encode() if isinstance(data, dict) else None
    except (TypeError, ValueError):
        return None  # None and some mixed lists have no TOML form: fall back to a byte mutation


# ---- one case ----------------------------------------------------------------------------

def run_case(target: str, raw: bytes, folder: Path) -> str:
    """ "accepted", "refused", or raises on a failure."""
    path = folder / target.replace(".toml", "-case.toml")
    path.write_bytes(raw)
    try:
        if target == "config":
            config = build_config(read_config_file(path, required=True), load_routine(), str(path))
            session_text(load_content(), config.session)
        elif target == "routine.toml":
            session_text(load_content(path))
        elif target == "demo.toml":
            scenario = load_scenario(path)
            session_text(load_content(), cues=scenario.cues, replies=scenario.replies)
        else:
            content = load_content()
            loader = {"screening.toml": ("screening", load_screening), "phrases.toml": ("phrases", load_phrases),
                      "intents.toml": ("intents", load_intent_table)}[target]
            session_text(replace(content, **{loader[0]: loader[1](path)}))
    except REFUSALS as exc:
        message = str(exc)
        if "\n" in message or len(message) > 600 or str(path) not in message and "command line" not in message:
            raise AssertionError(f"not one clear line naming the file: {message[:300]!r}") from None
        return "refused"
    return "accepted"


def session_text(content: Content, settings=None, cues=None, replies=()):
    from driver import answers, run_script

    from voicecoach.sim.scenario import Cue

    cues = cues if cues is not None else answers("no", 16) + [
        Cue("skip", after="rating_before"), Cue("ready", after="ready_prompt"), Cue("ready", after="ready_prompt"),
        Cue("skip", after="rating_after")]
    if replies:
        from voicecoach.clock import SimulatedClock
        from voicecoach.coach.runner import SessionRunner, TextSpeaker
        from voicecoach.sim.scenario import ScriptedSource

        clock = SimulatedClock()
        runner = SessionRunner(content, clock=clock, speaker=TextSpeaker(),
                               source=ScriptedSource(cues, clock, replies), settings=settings)
        outcome = runner.run(start_now=False)
    else:
        outcome = run_script(content, cues, settings=settings).outcome
    if outcome is not None and outcome.outcome == "error":
        raise AssertionError(f"the session hit an internal error: {outcome.detail}")


def main(seed: int, cases: int) -> dict:
    import logging

    logging.disable(logging.CRITICAL)  # the session logs the errors it survives; only outcomes count here
    signal.signal(signal.SIGALRM, _alarm)
    rng = random.Random(seed)
    counts = {"accepted": 0, "refused": 0, "byte": 0, "structure": 0}
    failures = []
    targets = [*SHIPPED, "config"]
    with tempfile.TemporaryDirectory() as folder:
        for case in range(cases):
            target = targets[case % len(targets)]
            original = CONFIGS[rng.randrange(len(CONFIGS))].encode() if target == "config" else shipped(target)
            raw = None
            if rng.random() < 0.5:
                import tomllib

                raw = to_toml(structure_mutation(tomllib.loads(original.decode()), rng))
            kind = "structure" if raw is not None else "byte"
            raw = raw if raw is not None else byte_mutation(original, rng)
            counts[kind] += 1
            signal.alarm(10)
            try:
                counts[run_case(target, raw, Path(folder))] += 1
            except BaseException as exc:  # noqa: BLE001 - every escape is a finding
                failures.append({"case": case, "target": target, "kind": kind,
                                 "error": f"{type(exc).__name__}: {str(exc)[:300]}",
                                 "input": raw[:400].decode("utf-8", "replace")})
            finally:
                signal.alarm(0)
    return {"seed": seed, "cases": cases, **counts, "failures": failures}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2]))))
