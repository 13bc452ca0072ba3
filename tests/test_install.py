"""The package works outside the checkout: build a wheel, install it into a fresh virtual
environment, and run `demo --text` and `recognize` there from a folder that is not the checkout.

Offline: the wheel is built without build isolation (setuptools from the test extra), and the
fresh environment borrows the dev environment's third-party packages through a .pth file, which
adds that site-packages folder without running its .pth files, so the editable voicecoach stays out.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")


def run(*args, cwd: Path, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    done = subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done


def build_wheel(tmp_path: Path) -> Path:
    """A wheel of the checkout as it is now, built from a copy, so nothing is written into the checkout
    and no stale build/ folder can add files that are gone."""
    source = tmp_path / "source"
    shutil.copytree(CHECKOUT / "voicecoach", source / "voicecoach", ignore=SKIP)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(CHECKOUT / name, source / name)
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
        "--wheel-dir", str(tmp_path / "dist"), str(source), cwd=tmp_path, env=os.environ | {"PIP_NO_INPUT": "1"},
        timeout=120)
    (wheel,) = (tmp_path / "dist").glob("voicecoach-*.whl")
    packaged = {n for n in zipfile.ZipFile(wheel).namelist() if not n.startswith("voicecoach-")}
    files = {p.relative_to(source).as_posix() for p in (source / "voicecoach").rglob("*") if p.is_file()}
    assert packaged == files, f"missing from the wheel: {sorted(files - packaged)}; extra: {sorted(packaged - files)}"
    return wheel


def fresh_venv(tmp_path: Path, wheel: Path) -> tuple[Path, dict]:
    """A new virtual environment with the wheel installed and the dev environment's packages visible."""
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=tmp_path, env=dict(os.environ))
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
        str(wheel), cwd=tmp_path, env=dict(os.environ), timeout=120)
    site = Path(run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                    cwd=tmp_path, env=dict(os.environ)).stdout.strip())
    dev_sites = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (site / "dev_site_packages.pth").write_text("".join(f"{path}\n" for path in dev_sites))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env |= {"PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", "PYTHONNOUSERSITE": "1"}
    env.pop("VOICECOACH_MODELS", None)  # the installed rule: models in XDG data
    return python, env


@pytest.mark.slow
def test_a_wheel_installed_in_a_fresh_venv_runs_the_demo_and_recognizes_speech(tmp_path):
    from speech_audio import speech

    from voicecoach.audio.chunks import write_wav

    wheel = build_wheel(tmp_path)
    python, env = fresh_venv(tmp_path, wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert not elsewhere.resolve().is_relative_to(CHECKOUT)

    where = json.loads(run(str(python), "-c", "import json, voicecoach; from voicecoach.store import paths; "
                           "print(json.dumps([voicecoach.__file__, str(paths.source_checkout()), "
                           "str(paths.models_dir())]))", cwd=elsewhere, env=env).stdout)
    assert Path(where[0]).is_relative_to(tmp_path / "venv"), where  # the wheel's copy, not the checkout's
    assert where[1:] == ["None", str(Path(env["XDG_DATA_HOME"]) / "voicecoach" / "models")]

    out = tmp_path / "demo"
    demo = run(str(python), "-m", "voicecoach", "demo", "--text", "--out", str(out), cwd=elsewhere, env=env)
    assert "session outcome: completed" in demo.stdout
    assert (out / "transcript.txt").read_text().splitlines()[0].startswith("[00:00.0] ")
    assert (out / "journal.sqlite3").exists()

    yes = tmp_path / "yes.wav"
    write_wav(yes, speech("yes", voice="en-us", rate_wpm=150))
    heard = run(str(python), "-m", "voicecoach", "recognize", "--context", "yesno", "--json", str(yes),
                cwd=elsewhere, env=env)
    (record,) = [json.loads(line) for line in heard.stdout.splitlines()]
    assert (record["intent"], record["value"]) == ("yes", None), record
    assert str(CHECKOUT) not in heard.stderr + demo.stderr  # nothing read from the checkout

    assert "run" in run(str(python.parent / "voicecoach"), "--help", cwd=elsewhere, env=env).stdout
