#!/usr/bin/env bash
# The Debian packages the test suite drives as real programs, installed when missing.
# `make test` runs this before pytest, and `.ci/run` calls `make test`, so a fresh machine and CI
# take the same path. Add a package by adding a line to PACKAGES: "<package> <file it provides>".
set -euo pipefail

PACKAGES=(
  "chromium /usr/bin/chromium"      # the dashboard's browser tests (Playwright, executable_path)
  "shellcheck /usr/bin/shellcheck"  # the deploy scripts' lint test
  "prometheus /usr/bin/promtool"    # the alert rules' promtool tests and the real-Prometheus test
)

missing=()
for entry in "${PACKAGES[@]}"; do
  read -r package provides <<<"$entry"
  [ -x "$provides" ] || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "system-packages: missing ${missing[*]} and no apt-get here; install them by hand" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "system-packages: missing ${missing[*]}; run as root or install sudo" >&2; exit 1; }
  sudo=(sudo)
fi
echo "system-packages: installing ${missing[*]} from Debian's archive" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
