#!/usr/bin/env bash
# Installs Debian's chromium for the status-page browser test (playwright-core drives it; no browser
# download from Playwright's CDN). Idempotent: does nothing when the binary is already there.
# Usage (CI, as root): bash test/local/ensure-chromium.sh
set -euo pipefail
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
  echo "chromium present: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "chromium installed: $("$CHROMIUM" --version)"
