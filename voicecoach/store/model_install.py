"""The explicit model-install step: fetch the small English Vosk model, check it, unpack it.

This is the only code that touches the network, and only when asked to. Any failure (no
network, wrong checksum, not a model) leaves nothing behind in models/, and the coach keeps
working with the embedded PocketSphinx model.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from voicecoach.ears.engines.vosk_engine import is_vosk_model_dir

# The small US-English model (about 40 MB) and its SHA-256 as pinned by other public install
# scripts of this archive; it could not be checked from here (no route to the model host).
SMALL_EN_US = "vosk-model-small-en-us-0.15"
SMALL_EN_US_URL = f"https://alphacephei.com/vosk/models/{SMALL_EN_US}.zip"
SMALL_EN_US_SHA256 = "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"


class ModelInstallError(RuntimeError):
    """The model could not be installed; the message says why, in one line."""


@dataclass(frozen=True)
class ModelSource:
    url: str = SMALL_EN_US_URL
    sha256: str = SMALL_EN_US_SHA256
    timeout_s: float = 30.0


def install_model(models_dir: Path, source: ModelSource = ModelSource()) -> Path:
    """Download, verify and unpack a Vosk model into `models_dir`; returns its directory.

    All work happens in a temporary folder inside `models_dir`, moved into place only
    when complete, so an interrupted or failed install leaves nothing half-made."""
    models_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".installing-", dir=models_dir))
    try:
        archive = work / "model.zip"
        digest = _download(source, archive)
        if digest != source.sha256.lower():
            raise ModelInstallError(f"{source.url}: checksum mismatch (got {digest[:12]}..., expected "
                                    f"{source.sha256[:12]}...); nothing was installed")
        model = _unpack(archive, work / "unpacked", source.url)
        target = models_dir / model.name
        if target.exists():
            if is_vosk_model_dir(target):
                return target  # installed already: safe to run again
            raise ModelInstallError(f"{target} exists but is not a Vosk model; move it away and try again")
        model.rename(target)
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _download(source: ModelSource, path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(source.url, timeout=source.timeout_s) as response, open(path, "wb") as out:
            while block := response.read(1 << 16):
                digest.update(block)
                out.write(block)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ModelInstallError(f"cannot download {source.url} ({reason}); no network? The coach keeps "
                                "working with the embedded PocketSphinx model") from None
    return digest.hexdigest()


def _unpack(archive: Path, into: Path, url: str) -> Path:
    try:
        with zipfile.ZipFile(archive) as zipped:
            for name in zipped.namelist():  # no absolute paths or ".." escaping the folder
                if name.startswith("/") or ".." in Path(name).parts:
                    raise ModelInstallError(f"{url}: unsafe path {name!r} in the archive; nothing was installed")
            zipped.extractall(into)
    except zipfile.BadZipFile:
        raise ModelInstallError(f"{url}: not a zip archive; nothing was installed") from None
    candidates = [into] + sorted(p for p in into.iterdir() if p.is_dir())
    model = next((p for p in candidates if is_vosk_model_dir(p)), None)
    if model is None or model == into:
        raise ModelInstallError(f"{url}: the archive holds no Vosk model folder (am/, conf/model.conf); "
                                "nothing was installed")
    return model
