"""The `voicecoach` command: run, demo, history."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from voicecoach.clock import RealClock, SimulatedClock
from voicecoach.coach.runner import InputSource, SessionRunner, Speaker, TextSpeaker, transcript
from voicecoach.sim.scenario import ScenarioError, ScriptedSource, load_scenario
from voicecoach.store import history_report, paths
from voicecoach.store.config import AppConfig, ConfigError, build_config, merge, read_config_file, starting_volume, within
from voicecoach.store.content import Content, load_content, load_routine
from voicecoach.store.content_errors import ContentError
from voicecoach.store.journal import CSV_HEADER, Journal, JournalError
from voicecoach.terminal import TerminalSource, TextConsole
from voicecoach.voice.espeak_voices import check_voice

log = logging.getLogger("voicecoach")


class UsageError(Exception):
    """Bad input from the command line: one line on stderr, exit code 2."""


def _key_value(text: str) -> tuple[str, int]:
    name, sep, value = text.partition("=")
    if not sep or not value.strip().lstrip("-").isdigit():
        raise argparse.ArgumentTypeError(f"expected EXERCISE=NUMBER, got {text!r}")
    return name.strip(), int(value)


class _HelpWithDefaults(argparse.HelpFormatter):
    """Shows an option's default where it means something (not for flags or empty values)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.option_strings and "%(default)" not in text and "default" not in text and \
                action.default not in (None, False, [], argparse.SUPPRESS):
            text += " (default: %(default)s)"
        return text


def build_parser() -> argparse.ArgumentParser:
    exercises = ", ".join(e.id for e in load_routine().exercises)
    formatter = _HelpWithDefaults
    verbose = argparse.ArgumentParser(add_help=False)  # accepted before or after the command
    verbose.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                         help="log details to stderr")
    parser = argparse.ArgumentParser(prog="voicecoach", description="A bedside voice coach for gentle back stretches.",
                                     parents=[verbose], formatter_class=formatter)
    parser.add_argument("--version", action="version", version=f"voicecoach {_version()}")
    settings = argparse.ArgumentParser(add_help=False)
    settings.add_argument("--config", type=Path, help="config file (default: $XDG_CONFIG_HOME/voicecoach/config.toml)")
    voice = argparse.ArgumentParser(add_help=False)
    voice.add_argument("--rate", type=int, metavar="WPM", help="speech rate, words per minute (110-200)")
    voice.add_argument("--volume", type=float, help="speech volume, 0.2 to 1")
    voice.add_argument("--tts", choices=("auto", "piper", "pyttsx3", "espeak"),
                       help="the coach's voice (auto: the neural Piper voice where installed; default: the config's)")
    engine = argparse.ArgumentParser(add_help=False)
    engine.add_argument("--engine", choices=("auto", "whisper", "vosk", "pocketsphinx"),
                        help="speech recognizer (auto: whisper; default: the config's, else auto)")
    routine = argparse.ArgumentParser(add_help=False)
    routine.add_argument("--routine", type=Path, help="a routine file of your own, in the format of data/routine.toml")
    routine.add_argument("--hold", type=_key_value, action="append", default=[], metavar="EXERCISE=SECONDS",
                         help=f"hold time for one exercise, within its safe range; EXERCISE: {exercises}")
    routine.add_argument("--rounds", type=_key_value, action="append", default=[], metavar="EXERCISE=N",
                         help=f"rounds of one exercise, 1 to 10; EXERCISE: {exercises}")
    common = [verbose, settings, routine, voice, engine]
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", parents=common, formatter_class=formatter,
                         help="wait for the start phrase, then coach a session")
    run.add_argument("--text", action="store_true", help="type instead of talking, read instead of listening")
    run.add_argument("--now", action="store_true", help="start a session at once")
    run.add_argument("--wait-for-devices", action="store_true",
                     help="keep trying absent or busy sound devices for [audio] wait_for_devices_s (the service "
                          "does); otherwise try once")

    demo = sub.add_parser("demo", parents=common, formatter_class=formatter,
                          help="a complete session by voice in the virtual bedside: audio, transcript, journal")
    demo.add_argument("--scenario", type=Path, help="what the simulated user says (TOML); default: built in")
    demo.add_argument("--out", type=Path, default=Path("out/demo"), help="where the audio, transcript and journal go")
    demo.add_argument("--text", action="store_true", help="text only: no speech, no recognition (fast)")

    say = sub.add_parser("say", parents=[verbose], formatter_class=formatter,
                         help="speak a line on the speaker, or write it to a WAV file")
    say.add_argument("text")
    say.add_argument("--out", type=Path, help="write a WAV file instead of playing")
    say.add_argument("--rate", type=int, default=None, metavar="WPM", help="words per minute (110-200)")
    say.add_argument("--voice", default=None, help="espeak-ng voice, e.g. en-us, en+f3")
    say.add_argument("--volume", type=float, default=None, help="0.2 to 1")
    say.add_argument("--tts", choices=("auto", "piper", "pyttsx3", "espeak"), default="auto",
                     help="speech renderer (auto: the neural Piper voice where installed)")
    say.add_argument("--device", default=None, help="output device, name or index (see `voicecoach devices`)")
    sub.add_parser("devices", parents=[verbose], help="list audio input and output devices")
    check = sub.add_parser("check", parents=[verbose, settings, voice, engine], formatter_class=formatter,
                           help="play a phrase, record, and report levels and what was heard")
    check.add_argument("--seconds", type=float, default=4.0, help="how long to record")
    sub.add_parser("prepare", parents=[verbose, settings, routine, voice], formatter_class=formatter,
                   help="render the neural voice's lines ahead of time (after install, and after a change of "
                        "routine, voice or rate)")

    install = sub.add_parser("install-model", parents=[verbose], formatter_class=formatter,
                             help="download, check and unpack the small English Vosk model")
    install.add_argument("--url", default=None, help="another model archive (zip)")
    install.add_argument("--sha256", default=None, help="its SHA-256 (required with --url)")
    install.add_argument("--models", type=Path, default=None,
                         help="where models live (default: $VOICECOACH_MODELS, the checkout's models/, "
                              "or ~/.local/share/voicecoach/models)")

    recognize = sub.add_parser("recognize", parents=[verbose], formatter_class=formatter,
                               help="what the coach hears in WAV files")
    recognize.add_argument("files", nargs="+", type=Path, metavar="FILE")
    recognize.add_argument("--engine", choices=("auto", "whisper", "vosk", "pocketsphinx"), default=None,
                           help="speech recognizer (auto: whisper; default: auto)")
    recognize.add_argument("--context", choices=("idle", "yesno", "rating", "exercise"), default="exercise",
                           help="what the coach would be listening for")
    recognize.add_argument("--json", action="store_true", help="JSON Lines, one object per file")
    recognize.add_argument("--stream", action="store_true", help="feed each file as a live stream; report each detection")
    recognize.add_argument("--echo", type=Path, metavar="REF.wav",
                           help="with --stream and one FILE: what the speaker played, aligned with FILE's start")

    history = sub.add_parser("history", parents=[verbose], formatter_class=formatter,
                             help="recent sessions from the journal")
    history.add_argument("--csv", action="store_true", help="export every session as CSV, for a clinician")
    history.add_argument("--events", action="store_true",
                         help="with --csv: one row per hold, pause, stop and pain event instead of per session")
    history.add_argument("--chart", type=Path, metavar="FILE",
                         help="draw stiffness before and after each session, with holds completed (.png or .svg)")
    history.add_argument("--delete", action="store_true", help="erase the whole journal (asks first)")
    history.add_argument("--yes", action="store_true", help="with --delete: do not ask")
    history.add_argument("--limit", type=int, default=20, help="how many sessions to list")
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("voicecoach")
    except PackageNotFoundError:  # run from a checkout without installing
        return "unknown"


def load_settings(args: argparse.Namespace) -> tuple[Content, AppConfig]:
    """Content and configuration, both checked before anything is spoken."""
    args.routine, args.hold, args.rounds = (getattr(args, k, d) for k, d in (("routine", None), ("hold", []),
                                                                            ("rounds", [])))
    content = load_content(args.routine)
    path = args.config or paths.config_path()
    raw = read_config_file(path, required=args.config is not None)
    flags: dict[str, dict] = {"session": {}, "voice": {}, "recognizer": {}}
    if args.hold:
        flags["session"]["hold_s"] = dict(args.hold)
    if args.rounds:
        flags["session"]["rounds"] = dict(args.rounds)
    if args.rate is not None:
        flags["voice"]["rate_wpm"] = args.rate
    if args.volume is not None:
        flags["voice"]["volume"] = args.volume
    if getattr(args, "engine", None):
        flags["recognizer"]["engine"] = args.engine
    if getattr(args, "tts", None):
        flags["voice"]["engine"] = args.tts
    flags = {k: v for k, v in flags.items() if v}
    try:  # the flags alone first, so that their errors name the flag, not a config file
        build_config(flags, content.routine, "command line")
    except ConfigError as exc:
        raise UsageError(_name_the_flag(str(exc))) from None
    config = build_config(merge(raw, flags), content.routine, str(path))
    check_voice(config.voice, where=f"{path}: voice.name")  # espeak-ng would fail only at the first line
    return content, config


FLAG_OF = {"session.hold_s": "--hold", "session.rounds": "--rounds", "voice.rate_wpm": "--rate",
           "voice.volume": "--volume", "recognizer.engine": "--engine"}


def _name_the_flag(message: str) -> str:
    """ "command line: session.hold_s.knee_to_chest: ..." -> "--hold knee_to_chest: ..." """
    message = message.removeprefix("command line: ")
    for setting, flag in FLAG_OF.items():
        if message.startswith(setting):
            rest = message[len(setting):]
            return flag + (" " + rest[1:] if rest.startswith(".") else rest)
    return message


def cmd_run(args: argparse.Namespace) -> int:
    content, config = load_settings(args)
    clock = RealClock()
    journal: Journal | None = None  # opened by the runner; a journal that fails is tried again next session
    voice = console = None
    speaker: Speaker  # the terminal, or real speech
    source: InputSource
    if args.text:
        person = sys.stdin.isatty()  # a person reads and types; a piped script neither reads nor waits
        speaker = console = TextConsole(sys.stdout, clock, paced=person)
        source = TerminalSource(sys.stdin, clock, on_listen=console.prompt, barge_in=person)
        print("(type what you would say; Ctrl-D quits)" + ("" if args.now else "; say 'start' to begin"), flush=True)
    else:
        from voicecoach.assemble import open_voice

        voice = open_voice(content, config, clock, tell_user=args.now,  # someone is waiting to hear
                           wait_for_devices_s=None if args.wait_for_devices else 0.0)
        speaker, source = voice.speaker, voice.source
        log.warning("listening%s", "" if args.now else " for the start phrase")
    for signum in (signal.SIGTERM, signal.SIGINT):  # systemd stops the service with SIGTERM; Ctrl-C is SIGINT
        signal.signal(signum, _raise_terminated)
    runner = None
    try:
        start_now = args.now
        while True:
            settings = replace(config.session, volume=starting_volume(config, datetime.now().time()))
            runner = SessionRunner(content, clock=clock, speaker=speaker, source=source, settings=settings,
                                   journal=journal, open_journal=lambda: Journal(paths.journal_path()),
                                   accepts_start=lambda: config.quiet_hours is None or
                                   not within(config.quiet_hours, datetime.now().time()))
            outcome = runner.run(start_now=start_now)
            journal = runner.journal if runner.journal_error is None else None
            if runner.journal_error is not None and start_now:
                # It said it cannot keep its records (the error is logged); the service keeps waiting instead.
                if voice is not None:
                    voice.speaker.wait_until_said(clock, longest_s=15.0)
                return 2
            if outcome is None or source.finished:
                return 0 if getattr(source, "failure", None) is None else 1
            if console is not None:
                console.wait_until_shown()
            print(f"(session ended: {outcome.outcome}; waiting for the start phrase)", flush=True)
            start_now = False
    except Terminated as stop:
        if runner is not None:
            runner.shut_down("terminated by the system" if stop.signum == signal.SIGTERM else "stopped with Ctrl-C")
            if voice is not None:  # let the last words play out, briefly
                voice.speaker.wait_until_said(clock, longest_s=8.0)
        return 0 if stop.signum == signal.SIGTERM else 130
    finally:
        if console is not None:  # the last lines appear before the program ends
            console.wait_until_shown()
        if voice is not None:
            voice.close()
        if _stopping:
            _ignore_stops_for_good()


class Terminated(BaseException):
    """SIGTERM or SIGINT arrived: not an Exception, so nothing on the way mistakes it for an internal error."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_stopping = False  # a stop signal arrived: shutting down


def _raise_terminated(signum, frame) -> None:
    global _stopping
    _stopping = True
    # Once: a second signal (systemd's stop and an impatient Ctrl-C) must not cut the polite
    # shutdown short with a traceback and an unjournaled session.
    # (A Python no-op, not SIG_IGN: a signal already pending would then raise "ignored due to race condition".)
    for other in (signal.SIGTERM, signal.SIGINT):
        signal.signal(other, _already_stopping)
    raise Terminated(signum)


def _already_stopping(signum, frame) -> None:
    log.info("signal %d ignored: already shutting down", signum)


def _ignore_stops_for_good() -> None:
    """SIG_IGN at the end: Python puts every handler of its own back to the default on exit, and a
    late SIGINT would then kill the finishing process (exit -2, no journal flush)."""
    for _ in range(3):
        try:  # a signal that slips in while switching is reported as an OSError: switch again
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, signal.SIG_IGN)
            return
        except OSError:
            continue


def cmd_demo(args: argparse.Namespace) -> int:
    content, config = load_settings(args)
    scenario = load_scenario(args.scenario)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    journal_file = out / "journal.sqlite3"
    journal_file.unlink(missing_ok=True)  # every demo is a first use
    journal = Journal(journal_file)
    if args.text:
        clock = SimulatedClock()
        runner = SessionRunner(content, clock=clock, speaker=TextSpeaker(),
                               source=ScriptedSource(scenario.cues, clock, scenario.replies),
                               settings=config.session, journal=journal)
        outcome = runner.run(start_now=False)
        lines, files, extra = transcript(runner.timeline, runner.session_start_s), {}, []
    else:
        outcome, lines, files, extra = _voice_demo(content, config, scenario, journal, out)
    text = "\n".join(lines) + "\n"
    (out / "transcript.txt").write_text(text)
    print(text, end="")
    result = outcome.outcome if outcome else "never started"
    print(f"\nsession outcome: {result}")
    for line in extra:
        print(line)
    for name, path in {**files, "transcript": out / "transcript.txt", "journal": journal_file}.items():
        print(f"{name}: {path}")
    return 0 if outcome else 1


def _voice_demo(content: Content, config: AppConfig, scenario, journal: Journal, out: Path):
    """The virtual bedside: real speech out, a synthesized user in a simulated room, real recognition."""
    import time

    from voicecoach.assemble import configured_recognizer, voice_renderer
    from voicecoach.sim.bedside import BedsideParts, run_bedside, save_outputs
    from voicecoach.stats import timing
    from voicecoach.voice.cache import TtsCache
    from voicecoach.voice.renderers import EspeakRenderer, VoiceSettings

    started = time.perf_counter()
    recognizer = configured_recognizer(content, config, context="idle")
    # The neural voice renders each line when first needed: the simulated clock waits for it.
    coach_voice = voice_renderer(config.voice_engine)
    parts = BedsideParts(recognizer=recognizer, coach_renderer=coach_voice,
                         user_renderer=EspeakRenderer(), cache=TtsCache(),
                         coach_voice=VoiceSettings(voice=config.voice))
    result = run_bedside(content, scenario, parts, settings=config.session, journal=journal)
    files = save_outputs(result, out)
    latencies = ", ".join(f"{1000 * s:.0f} ms" for s in result.stop_latencies_s()) or "none measured"
    extra = [screening_summary(result.timeline, content),
             f"stop said over the coach, end of the word to silence: {latencies}",
             f"end of an answer to the coach's reply (decoding time included): {timing(result.reply_latencies_s())}",
             f"heard but taken for the coach's own voice: {len(result.ignored)}",
             f"coach cut off with nobody speaking (self-triggers): {len(result.self_triggers())}",
             f"coach's voice: {coach_voice.engine_id}",
             f"simulated {max(l.end_s for l in result.timeline):.0f} s in {time.perf_counter() - started:.0f} s"]
    return result.outcome, result.transcript(), {"audio": files["audio"]}, extra


def screening_figures(timeline) -> tuple[int, int, int, float] | None:
    """(coach lines, questions, read-backs, seconds) of the safety screening; None if not reached."""
    said = [l for l in timeline if l.who == "coach" and not l.dropped]
    keys = [l.key for l in said]
    if "screening_intro" not in keys:
        return None
    first = keys.index("screening_intro") + 1
    last = next((i for i, k in enumerate(keys) if i >= first and not (k.startswith("question:") or k == "confirm_no")),
                len(keys))
    asked = {k for k in keys[first:last] if k.startswith("question:")}
    readbacks = keys[first:last].count("confirm_no")
    seconds = (said[last].start_s if last < len(said) else said[-1].end_s) - said[first].start_s
    return last - first, len(asked), readbacks, seconds


def screening_summary(timeline, content: Content) -> str:
    """ "screening: 16 coach lines for 15 questions (1 read-back), 90 s" """
    figures = screening_figures(timeline)
    if figures is None:
        return "screening: not reached"
    lines, questions, readbacks, seconds = figures
    return f"screening: {lines} coach lines for {questions} questions ({readbacks} read-backs), {seconds:.0f} s"


def cmd_history(args: argparse.Namespace) -> int:
    path = paths.journal_path()
    if not path.exists():  # reading the history creates nothing
        if args.csv:
            print(",".join(CSV_HEADER))
        else:
            print("nothing to delete" if args.delete else "no sessions yet")
        return 0
    try:
        journal = Journal(path)
    except JournalError:
        if not args.delete:
            raise
        if not args.yes and not _confirm(f"The journal {path} cannot be read. Erase it?"):
            print("voicecoach: nothing deleted", file=sys.stderr)
            return 1
        Journal.erase_file(path)
        print(f"erased the damaged journal {path}")
        return 0
    if args.delete:
        count = len(journal.sessions())
        if not args.yes:
            if not _confirm(f"Delete the whole journal ({count} sessions)?"):
                print("voicecoach: nothing deleted", file=sys.stderr)
                return 1
        journal.delete_all()
        print(f"deleted {count} sessions from {journal.path}")
        return 0
    if args.chart:
        try:
            count = history_report.draw_chart(journal, args.chart)
        except (history_report.ChartError, OSError) as exc:
            raise UsageError(str(exc)) from None
        print(f"{args.chart}: {count} sessions")
        return 0
    if args.csv:
        sys.stdout.write(history_report.events_csv(journal) if args.events else journal.to_csv())
        return 0
    lines = history_report.listing(journal, args.limit)
    print("\n".join(lines) if lines else "no sessions yet")
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    from voicecoach.commands.prepare import prepare_voice
    from voicecoach.voice.prepare import lower_priority

    content, config = load_settings(args)
    priority = lower_priority()  # the whole command yields the CPU: a session on this device goes first
    print(prepare_voice(content, config, show=sys.stdout, priority=priority))
    return 0


def cmd_say(args: argparse.Namespace) -> int:
    from voicecoach.commands.say import say

    line = say(args.text, out=args.out, rate_wpm=args.rate, voice=args.voice, volume=args.volume, tts=args.tts,
               device=args.device)
    if line:
        print(line)
    return 0


def cmd_recognize(args: argparse.Namespace) -> int:
    from voicecoach.commands.recognize import recognize_files

    if args.echo and (not args.stream or len(args.files) != 1):
        raise UsageError("--echo needs --stream and exactly one FILE")
    content = load_content()
    for line in recognize_files(content.intents, args.files, engine=args.engine, context=args.context,
                                as_json=args.json, stream=args.stream, echo=args.echo):
        print(line, flush=True)
    return 0


def cmd_install_model(args: argparse.Namespace) -> int:
    from voicecoach.store.model_install import ModelSource, install_model
    from voicecoach.store.paths import models_dir

    if args.url and not args.sha256:
        raise UsageError("--url needs --sha256: a model is never installed unchecked")
    source = ModelSource(url=args.url, sha256=args.sha256) if args.url else ModelSource()
    path = install_model(args.models or models_dir(), source)
    print(f"Vosk model ready: {path}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from voicecoach.commands.check import run_check

    content, config = load_settings(args)
    for line in run_check(content, config, seconds=args.seconds):
        print(line, flush=True)
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    from voicecoach.voice.speaker import list_devices

    print(list_devices())
    return 0


def _confirm(question: str) -> bool:
    print(f"{question} Type yes to confirm: ", end="", flush=True)
    return sys.stdin.readline().strip().lower() == "yes"


COMMANDS = {"run": cmd_run, "demo": cmd_demo, "history": cmd_history, "say": cmd_say, "devices": cmd_devices,
            "recognize": cmd_recognize, "install-model": cmd_install_model,
            "check": cmd_check, "prepare": cmd_prepare}


def _errors() -> tuple[type[BaseException], ...]:
    """The failures that are the user's to fix: reported in one line, never as a traceback."""
    from voicecoach.audio.chunks import AudioFileError
    from voicecoach.audio.players import PlayerError
    from voicecoach.audio.sources import AudioDeviceError
    from voicecoach.commands.say import SayError
    from voicecoach.ears.engines import RecognizerError
    from voicecoach.store.model_install import ModelInstallError
    from voicecoach.voice.renderers import TtsError

    return (ContentError, ConfigError, ScenarioError, JournalError, UsageError, PlayerError, TtsError,
            RecognizerError, AudioDeviceError, AudioFileError, ModelInstallError, SayError)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING,
                        format="voicecoach: %(levelname)s: %(message)s", stream=sys.stderr)
    try:
        return COMMANDS[args.command](args)
    except _errors() as exc:
        print(f"voicecoach: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
