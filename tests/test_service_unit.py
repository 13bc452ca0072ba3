"""The systemd unit that scripts/install-pi.sh installs: accepted by systemd, locked down, never root."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTALL = ROOT / "scripts" / "install-pi.sh"
# The installer and systemd-analyze each answer in under 0.1 s unloaded: the 30-120 s limits are only
# against a hang.


def _printed_unit(tmp_path: Path, **env: str) -> Path:
    # The prefix is this checkout, so `verify` finds an executable ExecStart.
    done = subprocess.run(["bash", str(INSTALL), "--print-unit"], capture_output=True, text=True, timeout=30,
                          check=True, env={**os.environ, "VOICECOACH_PREFIX": str(ROOT), **env})
    path = tmp_path / "voicecoach.service"
    path.write_text(done.stdout)
    return path


def _systemd_analyze() -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")


def test_the_installed_unit_is_valid_and_runs_the_coach_as_its_own_user_in_the_audio_group(tmp_path):
    unit = _printed_unit(tmp_path).read_text()
    assert f"ExecStart={ROOT}/.venv/bin/voicecoach run --wait-for-devices\n" in unit
    assert "User=voicecoach\n" in unit and "SupplementaryGroups=audio\n" in unit and "@USER@" not in unit and "@ROOT@" not in unit
    assert "Restart=always\n" in unit
    _systemd_analyze()
    done = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "voicecoach.service")],
                          capture_output=True, text=True, timeout=60)
    complaints = [line for line in done.stderr.splitlines() if "voicecoach" in line]
    assert done.returncode == 0 and not complaints, done.stderr


def test_the_unit_keeps_its_data_in_its_own_folders_and_is_rated_safe_by_systemd(tmp_path):
    path = _printed_unit(tmp_path)
    unit = path.read_text()
    for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                 "PrivateNetwork=yes", "RestrictAddressFamilies=AF_UNIX", "UMask=0077",
                 "SystemCallFilter=@system-service", "DeviceAllow=char-alsa rw", "StateDirectory=voicecoach",
                 "CacheDirectory=voicecoach", "ReadWritePaths=/var/lib/voicecoach /var/cache/voicecoach"):
        assert f"\n{line}\n" in unit, line
    assert re.search(r"^MemoryMax=\d+M$", unit, re.M)
    assert "XDG_DATA_HOME=/var/lib" in unit and "XDG_CACHE_HOME=/var/cache" in unit
    _systemd_analyze()
    done = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(path)],
                          capture_output=True, text=True, timeout=120)
    found = re.search(r"Overall exposure level for voicecoach\.service: (\d+\.\d)", done.stdout)
    assert found, done.stdout + done.stderr
    assert float(found.group(1)) <= 3.0, done.stdout


def test_the_installer_refuses_to_run_the_service_as_root(tmp_path):
    done = subprocess.run(["bash", str(INSTALL), "--print-unit"], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "VOICECOACH_USER": "root"})
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "root" in done.stderr


def test_the_installer_puts_the_code_where_the_service_can_read_it_but_not_write_it(tmp_path):
    done = subprocess.run(["bash", str(INSTALL), "--print-unit"], capture_output=True, text=True, timeout=30,
                          env={k: v for k, v in os.environ.items() if k != "VOICECOACH_PREFIX"}, check=True)
    assert "ExecStart=/opt/voicecoach/.venv/bin/voicecoach run --wait-for-devices\n" in done.stdout
