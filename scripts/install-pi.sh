#!/usr/bin/env bash
# Installs voicecoach as an always-on service on a Raspberry Pi (64-bit Raspberry Pi OS:
# PocketSphinx has no 32-bit ARM wheel). Safe to run again. Steps:
#   1. a dedicated system user (`voicecoach`, in the audio group): the service never runs as root
#      or as the person who installs it, so it cannot read their home;
#   2. the project copied to /opt/voicecoach (read-only for the service), the Debian packages and
#      its virtual environment (scripts/_bootstrap.sh);
#   3. the small English Vosk model into models/, checksum verified. Without network this step
#      fails cleanly and the coach keeps its embedded model;
#   4. a hardened systemd unit: the journal lives in /var/lib/voicecoach, the speech cache in
#      /var/cache/voicecoach, the config in /etc/voicecoach/config.toml; restarts on failure and
#      retries until the audio devices are there.
# `scripts/install-pi.sh --print-unit` only prints the unit it would install.
# VOICECOACH_USER and VOICECOACH_PREFIX choose another user name and install folder.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${VOICECOACH_PREFIX:-/opt/voicecoach}
user=${VOICECOACH_USER:-voicecoach}
if [ "$user" = root ] || [ "$(id -u "$user" 2>/dev/null)" = 0 ]; then
  echo "voicecoach: error: refusing to install the service for root; use a user of its own (default: voicecoach)" >&2
  exit 2
fi
unit=$(sed -e "s#@USER@#$user#g" -e "s#@ROOT@#$PREFIX#g" "$SRC/scripts/voicecoach.service")
if [ "${1:-}" = "--print-unit" ]; then printf '%s\n' "$unit"; exit 0; fi

if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
umask 022  # the code is readable by the service user, writable only by root
if id "$user" >/dev/null 2>&1; then
  "${sudo[@]}" usermod -a -G audio "$user"
else
  "${sudo[@]}" useradd --system --user-group --groups audio --home-dir /var/lib/voicecoach --no-create-home \
    --shell /usr/sbin/nologin "$user"
fi

if [ "$SRC" != "$PREFIX" ]; then
  "${sudo[@]}" mkdir -p "$PREFIX"
  "${sudo[@]}" rm -rf "$PREFIX/voicecoach" "$PREFIX/scripts"  # an update leaves no stale module behind
  tar -C "$SRC" --exclude=./.venv --exclude=./.git --exclude=./out --exclude=__pycache__ --exclude=.pytest_cache \
    -cf - . | "${sudo[@]}" tar -C "$PREFIX" --no-same-owner -xf -
fi
# The venv is built by root inside $PREFIX: the service user can run it but not change it.
# (Each step on its own line: `set -e` does not reach into a `source` that is part of an && list.)
"${sudo[@]}" bash -c "set -euo pipefail
  source '$PREFIX/scripts/_bootstrap.sh'
  cd '$PREFIX'
  python -m compileall -q voicecoach >/dev/null
  if voicecoach install-model; then echo 'voicecoach: Vosk model installed'
  else echo 'voicecoach: no Vosk model (see the line above); the coach uses its embedded model' >&2; fi"

# The neural voice's lines, rendered ahead into the service's speech cache as the service user, at
# the lowest priority (about 25 minutes on a Pi 4 for three rates, the session's own first: docs/benchmarks.md).
# Ctrl-C is safe: the service goes on
# preparing in the background, and espeak-ng says any line that is not ready yet.
# VOICECOACH_PREPARE=0 leaves it all to the service (scripts/test-arm64: emulation is too slow).
"${sudo[@]}" install -d -o "$user" -g "$user" -m 0700 /var/cache/voicecoach
if [ "${VOICECOACH_PREPARE:-1}" != 0 ]; then
  "${sudo[@]}" runuser -u "$user" -- env XDG_CACHE_HOME=/var/cache XDG_DATA_HOME=/var/lib XDG_CONFIG_HOME=/etc \
    "$PREFIX/.venv/bin/voicecoach" prepare ||
    echo "voicecoach: the voice is not fully prepared yet; the service goes on preparing it in the background" >&2
fi

if ! command -v systemctl >/dev/null 2>&1 || [ ! -d /run/systemd/system ]; then
  echo "voicecoach: no systemd here; run it by hand as $user: $PREFIX/.venv/bin/voicecoach run" >&2
  exit 0
fi
printf '%s\n' "$unit" | "${sudo[@]}" tee /etc/systemd/system/voicecoach.service.new >/dev/null
"${sudo[@]}" mv /etc/systemd/system/voicecoach.service.new /etc/systemd/system/voicecoach.service
"${sudo[@]}" systemctl daemon-reload
"${sudo[@]}" systemctl enable --now voicecoach.service
echo "voicecoach: service running as $user; logs: journalctl -u voicecoach -f"
