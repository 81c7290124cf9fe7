#!/usr/bin/env bash
# Installs the Debian packages the site itself needs at run time, only when they are missing:
# libexempi8 (Exempi, the XMP library python-xmp-toolkit loads to write the exports' XMP sidecars
# and read the imports' XMP metadata). Needs root or sudo when something is missing.
set -euo pipefail
need=()
dpkg -s libexempi8 >/dev/null 2>&1 || need+=(libexempi8)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "Installing Debian packages: ${need[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}"
fi
