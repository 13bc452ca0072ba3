"""The systemd unit that scripts/install-pi.sh installs is one systemd itself accepts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_installed_unit_is_valid_and_runs_the_coach_as_a_user_in_the_audio_group(tmp_path):
    unit = subprocess.run(["bash", str(ROOT / "scripts" / "install-pi.sh"), "--print-unit"], capture_output=True,
                          text=True, timeout=30, check=True).stdout
    assert f"ExecStart={ROOT}/.venv/bin/voicecoach run\n" in unit
    assert "Restart=always\n" in unit and "SupplementaryGroups=audio\n" in unit and "@" not in unit
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    path = tmp_path / "voicecoach.service"
    path.write_text(unit)
    done = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60)
    complaints = [line for line in done.stderr.splitlines() if "voicecoach" in line]
    assert done.returncode == 0 and not complaints, done.stderr
