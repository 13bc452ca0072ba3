# Shared set-up for scripts/demo and scripts/test (sourced, not run): installs the Debian
# packages the product needs, then creates or refreshes the project's virtual environment.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"

missing=()
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
ldconfig -p 2>/dev/null | grep -q 'libportaudio.so.2' || missing+=(libportaudio2)
# vosk's aarch64 wheel links libatomic, which a minimal Raspberry Pi OS or Debian may lack.
ldconfig -p 2>/dev/null | grep -q 'libatomic.so.1' || missing+=(libatomic1)
# The tests check the service unit with systemd-analyze (scripts/test asks for it; a Pi has it).
if [ "${VOICECOACH_FOR_TESTS:-}" = 1 ]; then command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd); fi
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
    echo "voicecoach: missing Debian packages: ${missing[*]}; install them with: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "voicecoach: installing Debian packages: ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "voicecoach: needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
# The demo installs the product; the tests add the test extra (pytest, a Korean Vosk model, ...).
# Reinstall only when pyproject.toml changed since the last install of that set.
hash=$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)
if [ "${VOICECOACH_FOR_TESTS:-}" = 1 ]; then extras="[test]" stamps=("$VENV/.installed-$hash-test")
else extras="" stamps=("$VENV/.installed-$hash" "$VENV/.installed-$hash-test"); fi
if [ ! -f "${stamps[0]}" ] && { [ ${#stamps[@]} = 1 ] || [ ! -f "${stamps[1]}" ]; }; then
  echo "voicecoach: installing Python packages into $VENV" >&2
  "$VENV/bin/python" -m pip install -q --upgrade pip >&2
  "$VENV/bin/python" -m pip install -q -e "$ROOT$extras" >&2
  find "$VENV" -maxdepth 1 -name '.installed-*' ! -name ".installed-$hash*" -delete
  touch "${stamps[0]}"
fi
export PATH="$VENV/bin:$PATH"
