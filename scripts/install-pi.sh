#!/usr/bin/env bash
# Installs voicecoach as an always-on service on a Raspberry Pi (64-bit Raspberry Pi OS:
# PocketSphinx has no 32-bit ARM wheel). Safe to run again. Steps:
#   1. Debian packages and the virtual environment (scripts/_bootstrap.sh);
#   2. the small English Vosk model into models/, checksum verified. Without network this step
#      fails cleanly and the coach keeps the embedded PocketSphinx model;
#   3. a systemd service that runs `voicecoach run` as this user (in the audio group),
#      restarts it on failure and retries until the audio devices are there.
# `scripts/install-pi.sh --print-unit` only prints the unit it would install.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
user=${SUDO_USER:-$(id -un)}
unit=$(sed -e "s#@USER@#$user#g" -e "s#@ROOT@#$ROOT#g" "$ROOT/scripts/voicecoach.service")
if [ "${1:-}" = "--print-unit" ]; then printf '%s\n' "$unit"; exit 0; fi

source "$ROOT/scripts/_bootstrap.sh"
cd "$ROOT"

if voicecoach install-model; then
  echo "voicecoach: Vosk model installed"
else
  echo "voicecoach: no Vosk model (see the line above); the coach uses PocketSphinx" >&2
fi

if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
if ! command -v systemctl >/dev/null 2>&1 || [ ! -d /run/systemd/system ]; then
  echo "voicecoach: no systemd here; run it by hand: $ROOT/.venv/bin/voicecoach run" >&2
  exit 0
fi
"${sudo[@]}" usermod -a -G audio "$user"
printf '%s\n' "$unit" | "${sudo[@]}" tee /etc/systemd/system/voicecoach.service.new >/dev/null
"${sudo[@]}" mv /etc/systemd/system/voicecoach.service.new /etc/systemd/system/voicecoach.service
"${sudo[@]}" systemctl daemon-reload
"${sudo[@]}" systemctl enable --now voicecoach.service
echo "voicecoach: service running; logs: journalctl -u voicecoach -f"
