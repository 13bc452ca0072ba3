"""Text to speech: render one coach line into an AudioChunk (the player plays it, not the engine).

Two renderers share one small interface (`Renderer`): `EspeakRenderer` runs the espeak-ng
command line (fast, one process per line); `Pyttsx3Renderer` drives pyttsx3 (espeak-ng
underneath on Linux) on one dedicated worker thread, one line at a time, with a time-out,
re-creating the engine when it fails. Both give 16-bit mono audio at 22050 Hz.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from voicecoach.audio.chunks import AudioChunk, AudioFileError, read_wav
from voicecoach.settings import DEFAULT_RATE_WPM, RATE_WPM

log = logging.getLogger(__name__)

MIN_RATE_WPM = int(RATE_WPM.low)  # the comfortable range, stated once in settings.py
MAX_RATE_WPM = int(RATE_WPM.high)
ESPEAK_RATE_HZ = 22050  # what espeak-ng (and so pyttsx3 on Linux) produces
INSTALL_HINT = "install it: apt-get install espeak-ng"


class TtsError(Exception):
    """Rendering a line failed; the message is one line saying what to do."""


class TtsUnavailable(TtsError):
    """No speech backend is installed."""


class TtsTimeout(TtsError):
    """The engine took longer than its time-out to render a line."""


def clamp_rate_wpm(rate_wpm: float) -> int:
    """A speech rate (words per minute) brought into the comfortable range."""
    return int(round(min(MAX_RATE_WPM, max(MIN_RATE_WPM, rate_wpm))))


@dataclass(frozen=True)
class VoiceSettings:
    """How a line sounds: an espeak-ng voice name and a rate in words per minute (clamped)."""

    voice: str = "en-us"
    rate_wpm: int = DEFAULT_RATE_WPM

    def __post_init__(self) -> None:
        if not self.voice or not self.voice.strip():
            raise ValueError("voice must be a non-empty espeak-ng voice name, e.g. 'en-us'")
        object.__setattr__(self, "rate_wpm", clamp_rate_wpm(self.rate_wpm))

    def with_rate(self, rate_wpm: float | None) -> VoiceSettings:
        """The same voice at another rate (None keeps this one)."""
        return self if rate_wpm is None else replace(self, rate_wpm=clamp_rate_wpm(rate_wpm))


class Renderer(Protocol):
    """Turns one line of text into audio. `engine_id` names engine and version (cache key)."""

    @property
    def engine_id(self) -> str: ...

    def render(self, text: str, voice: VoiceSettings) -> AudioChunk: ...


def _empty() -> AudioChunk:
    return AudioChunk(np.zeros(0, dtype=np.int16), ESPEAK_RATE_HZ)


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _read_rendered(path: Path, engine: str, text: str) -> AudioChunk:
    try:
        chunk = read_wav(path)
    except AudioFileError as exc:
        raise TtsError(f"{engine} wrote no usable audio for {_short(text)} ({exc})") from exc
    if len(chunk.samples) == 0:
        raise TtsError(f"{engine} rendered no audio for {_short(text)}")
    return chunk


# --- espeak-ng command line -------------------------------------------------------------


@dataclass(frozen=True)
class EspeakSettings:
    """Where the espeak-ng program is, and how long one line may take to render (seconds)."""

    binary: str = "espeak-ng"
    timeout_s: float = 10.0


class EspeakRenderer:
    """Renders with the espeak-ng command line (`-w file.wav`), text passed on stdin."""

    def __init__(self, settings: EspeakSettings = EspeakSettings()) -> None:
        self.settings = settings
        self._engine_id: str | None = None

    @property
    def engine_id(self) -> str:
        if self._engine_id is None:
            self._engine_id = "espeak-ng-cli " + _espeak_version(self.settings.binary)
        return self._engine_id

    def render(self, text: str, voice: VoiceSettings) -> AudioChunk:
        """Render `text` at 22050 Hz; raises TtsUnavailable, TtsTimeout or TtsError."""
        if not text.strip():
            return _empty()
        with tempfile.TemporaryDirectory(prefix="voicecoach-tts-") as tmp:
            out = Path(tmp) / "line.wav"
            command = [self.settings.binary, "-v", voice.voice, "-s", str(voice.rate_wpm), "-w", str(out)]
            try:
                done = subprocess.run(
                    command, input=text.encode("utf-8"), capture_output=True, timeout=self.settings.timeout_s
                )
            except FileNotFoundError as exc:
                raise TtsUnavailable(f"espeak-ng not found ({self.settings.binary!r}); {INSTALL_HINT}") from exc
            except subprocess.TimeoutExpired as exc:
                raise TtsTimeout(
                    f"espeak-ng took longer than {self.settings.timeout_s:g} s to render {_short(text)}"
                ) from exc
            if done.returncode != 0:
                why = done.stderr.decode("utf-8", "replace").strip().splitlines()
                raise TtsError(f"espeak-ng failed (exit {done.returncode}): {why[0] if why else 'no message'}")
            return _read_rendered(out, "espeak-ng", text)


def _espeak_version(binary: str) -> str:
    try:
        done = subprocess.run([binary, "--version"], capture_output=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    words = done.stdout.decode("utf-8", "replace").split()
    return next((w for w in words if w[:1].isdigit()), "unknown")


# --- pyttsx3 ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pyttsx3Settings:
    """The pyttsx3 driver (None: the platform default, espeak on Linux) and a per-line time-out (s)."""

    driver: str | None = None
    timeout_s: float = 10.0


@dataclass
class _Job:
    text: str
    voice: VoiceSettings
    done: threading.Event = field(default_factory=threading.Event)
    result: AudioChunk | None = None
    error: BaseException | None = None


class _QuietStdout:
    """Drops pyttsx3's "Audio saved to ..." lines (printed from espeak's own thread) from stdout."""

    _NOISE = "Audio saved to "

    def __init__(self, target) -> None:
        self._target = target
        self._drop_newline = False

    def write(self, text: str) -> int:
        if text.startswith(self._NOISE) or (self._drop_newline and text == "\n"):
            self._drop_newline = text != "\n"
            return len(text)
        self._drop_newline = False
        return self._target.write(text)

    def __getattr__(self, name: str):
        return getattr(self._target, name)


class _EngineWorker:
    """One thread owning one pyttsx3 engine; renders queued jobs one at a time."""

    def __init__(self, driver: str | None) -> None:
        self.driver = driver
        self._jobs: list[_Job | None] = []
        self._wake = threading.Condition()
        self._engine: Any = None  # a pyttsx3.Engine: pyttsx3 is untyped
        self._errors: list[BaseException] = []
        self.retired = False
        self.thread = threading.Thread(target=self._run, name="voicecoach-pyttsx3", daemon=True)
        self.thread.start()

    def submit(self, job: _Job | None) -> None:
        """Queue a line; None asks the thread to end."""
        with self._wake:
            self._jobs.append(job)
            self._wake.notify()

    def retire(self) -> None:
        """Let the thread end: unstick a hung runAndWait if possible, then ask it to exit."""
        self.retired = True
        engine = self._engine
        if engine is not None:
            try:
                engine.endLoop()
            except Exception:  # noqa: BLE001 - best effort on an engine already misbehaving
                pass
        self.submit(None)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._jobs:
                    self._wake.wait()
                job = self._jobs.pop(0)
            if job is None:
                return
            try:
                job.result = self._render(job)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                job.error = exc
            job.done.set()

    def _render(self, job: _Job) -> AudioChunk:
        import pyttsx3

        if self._engine is None:
            # pyttsx3.init() hands back a cached engine; a fresh Engine is what "re-create" needs.
            self._engine = pyttsx3.Engine(self.driver)
            self._engine.connect("error", lambda name=None, exception=None: self._errors.append(exception))
        engine = self._engine
        self._errors.clear()
        with tempfile.TemporaryDirectory(prefix="voicecoach-pyttsx3-") as tmp:
            out = Path(tmp) / "line.wav"
            # pyttsx3's loop sometimes ends before the line is fully synthesized (a Cancel left
            # over from the previous line; seen more under load), leaving an empty or a cut-short
            # file; and under load it sometimes speaks at the previous line's rate (13 of 60 renders
            # beside two CPU hogs, after a line at another rate). The espeak-ng program, the same
            # engine, gives the right length at once: a render is accepted within 3% of it (they
            # match to 0.1% when all is well; one rate step is 7-14%) and once two renders agree;
            # else the program's own audio is used.
            try:
                reference: AudioChunk | None = EspeakRenderer().render(job.text, job.voice)
            except TtsError:  # no espeak-ng program (only the library): two agreeing renders it is
                reference = None
            best: AudioChunk | None = None
            for _ in range(_PYTTSX3_ATTEMPTS):
                out.unlink(missing_ok=True)
                self._run_once(engine, job, out)
                if self._errors:
                    raise TtsError(f"pyttsx3 failed to render {_short(job.text)}: {self._errors[0]}")
                if self.retired:
                    break
                if out.exists() and out.stat().st_size > 44:
                    chunk = _read_rendered(out, "pyttsx3", job.text)
                    if reference is not None and \
                            abs(len(chunk.samples) - len(reference.samples)) > 0.03 * len(reference.samples):
                        continue  # cut short, or at another rate
                    if best is not None and abs(len(chunk.samples) - len(best.samples)) <= 0.02 * len(best.samples):
                        return chunk if len(chunk.samples) > len(best.samples) else best
                    if best is None or len(chunk.samples) > len(best.samples):
                        best = chunk
            if best is not None:
                return best
            if reference is not None:
                log.info("pyttsx3 did not render %s at its length; the espeak-ng program's audio is used",
                         _short(job.text))
                return reference
            return _read_rendered(out, "pyttsx3", job.text)

    @staticmethod
    def _run_once(engine, job: _Job, out: Path) -> None:
        engine.setProperty("voice", job.voice.voice)
        engine.setProperty("rate", job.voice.rate_wpm)
        engine.save_to_file(job.text, str(out))
        saved_stdout = sys.stdout
        sys.stdout = _QuietStdout(saved_stdout)
        try:
            engine.runAndWait()
        finally:
            if isinstance(sys.stdout, _QuietStdout):
                sys.stdout = saved_stdout


_PYTTSX3_ATTEMPTS = 4


class Pyttsx3Renderer:
    """Renders with pyttsx3's save_to_file on one process-wide worker thread, with a time-out.

    libespeak-ng keeps one synthesis callback per process, so all instances share one engine
    thread; a failed or timed-out engine is retired and the next line gets a fresh one.
    """

    _lock = threading.Lock()  # one line at a time, process-wide
    _worker: _EngineWorker | None = None
    _retired: _EngineWorker | None = None

    def __init__(self, settings: Pyttsx3Settings = Pyttsx3Settings()) -> None:
        self.settings = settings
        self._engine_id: str | None = None
        _import_pyttsx3(settings.driver)  # fail now, with the install command, rather than on the first line

    @property
    def engine_id(self) -> str:
        if self._engine_id is None:
            driver = self.settings.driver or "default"
            version = f"{metadata.version('pyttsx3')}-{driver}"
            self._engine_id = f"pyttsx3-{version} espeak-ng {_espeak_version('espeak-ng')}"
        return self._engine_id

    def render(self, text: str, voice: VoiceSettings) -> AudioChunk:
        """Render `text` (22050 Hz with espeak); raises TtsTimeout or TtsError."""
        if not text.strip():
            return _empty()
        cls = Pyttsx3Renderer
        with cls._lock:
            worker = self._live_worker()
            job = _Job(text, voice)
            worker.submit(job)
            if not job.done.wait(self.settings.timeout_s):
                self._retire(worker)
                raise TtsTimeout(f"pyttsx3 took longer than {self.settings.timeout_s:g} s to render {_short(text)}")
            if job.error is not None:
                self._retire(worker)
                if isinstance(job.error, TtsError):
                    raise job.error
                raise TtsError(f"pyttsx3 failed to render {_short(text)}: {job.error}") from job.error
            assert job.result is not None
            return job.result

    def _live_worker(self) -> _EngineWorker:
        cls = Pyttsx3Renderer
        if cls._retired is not None:
            # Two engines at once share libespeak's global state and deadlock: wait for the old one.
            cls._retired.thread.join(max(self.settings.timeout_s, 1.0))
            if cls._retired.thread.is_alive():
                raise TtsError("the previous pyttsx3 engine is stuck; restart voicecoach or use the espeak renderer")
            cls._retired = None
        if cls._worker is not None and cls._worker.driver != self.settings.driver:
            self._retire(cls._worker)  # another driver: one engine at a time
            return self._live_worker()
        if cls._worker is None:
            cls._worker = _EngineWorker(self.settings.driver)
        return cls._worker

    def _retire(self, worker: _EngineWorker) -> None:
        cls = Pyttsx3Renderer
        worker.retire()
        cls._worker, cls._retired = None, worker


def _import_pyttsx3(driver: str | None) -> None:
    """Import pyttsx3 and, for its espeak driver, load libespeak-ng: missing pieces say what to install."""
    try:
        import pyttsx3  # noqa: F401
        from pyttsx3.engine import default_engine_by_sys_platform
    except ImportError as exc:
        raise TtsUnavailable("pyttsx3 is not installed; install it: pip install pyttsx3") from exc
    if (driver or default_engine_by_sys_platform()) != "espeak":
        return
    try:
        import pyttsx3.drivers._espeak  # noqa: F401 - loads libespeak-ng at import
    except (OSError, RuntimeError) as exc:
        raise TtsUnavailable(f"pyttsx3 found no espeak-ng library ({exc}); {INSTALL_HINT}") from exc


class FallbackRenderer:
    """Renders with `primary` until it fails (error or time-out), then with `backup`.

    pyttsx3 runs in this process and the espeak-ng program in its own, so one stuck or
    crashed engine does not leave someone in a stretch waiting in silence. Both speak with
    espeak-ng's voices, so a line from the backup sounds the same and may share the cache.
    """

    def __init__(self, primary: Renderer, backup: Renderer) -> None:
        self.primary, self.backup = primary, backup
        self.fallbacks = 0  # lines the backup rendered

    @property
    def engine_id(self) -> str:
        return self.primary.engine_id

    def render(self, text: str, voice: VoiceSettings) -> AudioChunk:
        if not self.fallbacks:
            try:
                return self.primary.render(text, voice)
            except TtsError as exc:
                # From now on the backup: a stuck pyttsx3 would make every later line wait its time-out.
                log.warning("speech: %s; the backup engine says the lines from now on", exc)
        self.fallbacks += 1
        return self.backup.render(text, voice)


def default_renderer(engine: str = "auto") -> Renderer:
    """The renderer for `engine`: "pyttsx3", "espeak" (the espeak-ng program), or "auto":
    pyttsx3 with the espeak-ng program as its backup, or whichever of the two is there."""
    if engine not in ("auto", "pyttsx3", "espeak"):
        raise ValueError(f"unknown speech engine {engine!r}: use pyttsx3, espeak or auto")
    has_cli = shutil.which("espeak-ng") is not None
    if engine in ("auto", "pyttsx3"):
        try:
            primary = Pyttsx3Renderer()
        except TtsUnavailable:
            if engine == "pyttsx3":
                raise
        else:
            return FallbackRenderer(primary, EspeakRenderer()) if engine == "auto" and has_cli else primary
    if not has_cli:
        raise TtsUnavailable(f"no speech engine found (espeak-ng missing); {INSTALL_HINT}")
    return EspeakRenderer()


__all__ = [
    "DEFAULT_RATE_WPM",
    "MAX_RATE_WPM",
    "MIN_RATE_WPM",
    "EspeakRenderer",
    "EspeakSettings",
    "FallbackRenderer",
    "Pyttsx3Renderer",
    "Pyttsx3Settings",
    "Renderer",
    "TtsError",
    "TtsTimeout",
    "TtsUnavailable",
    "VoiceSettings",
    "clamp_rate_wpm",
    "default_renderer",
]
