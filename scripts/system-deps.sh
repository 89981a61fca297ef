#!/usr/bin/env bash
# Debian packages the product and its tests need: Pango for WeasyPrint, Noto CJK so Chinese never
# renders as tofu, Chromium for the Playwright tests, poppler for looking at PDFs, gettext for
# translators. Installs what is missing when run as root; otherwise says what to install.
#   scripts/system-deps.sh          everything the test suite needs (missing and not root: fails)
#   scripts/system-deps.sh runtime  what the product needs to make PDFs (missing: one line, go on —
#                                   OMS runs without them and says why PDFs are unavailable)
set -euo pipefail
mode=${1:-test}
if [ "$mode" = runtime ]; then
  packages=(libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk)
else
  packages=(libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk chromium poppler-utils gettext)
fi
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

give_up() {
  if [ "$mode" = runtime ]; then
    echo "PDFs (invoices, labels) need Debian packages that are missing; OMS runs without them. Install: sudo apt-get install -y ${missing[*]}" >&2
    exit 0
  fi
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
}

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  give_up
fi
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; }; then
  give_up
fi
