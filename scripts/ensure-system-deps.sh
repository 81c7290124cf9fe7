#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (headless Chromium for browser tests, Korean
# fonts for its screenshots, GNU gettext for the translation check, real photos without people
# for the detector's false-face tests), only when they are missing. Needs root or sudo.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
command -v msgfmt >/dev/null && command -v xgettext >/dev/null || need+=(gettext)
[ -d /usr/share/fonts/truetype/nanum ] || need+=(fonts-nanum)
command -v pg_isready >/dev/null || need+=(postgresql-client)
command -v redis-cli >/dev/null || need+=(redis-tools)
ldconfig -p 2>/dev/null | grep -q 'libexempi\.so\.8' || need+=(libexempi8)
[ -f /usr/share/backgrounds/friends_by_Aitzol_Berasategi.jpg ] || need+=(lomiri-wallpapers-16.04)
dpkg -s libexempi8 >/dev/null 2>&1 || need+=(libexempi8)  # XMP sidecars of exports (python-xmp-toolkit)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "Installing Debian packages: ${need[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}"
fi
