#!/usr/bin/env bash
# Installs the Debian packages the site itself needs at run time, only when they are missing:
# Exempi (libexempi8), which python-xmp-toolkit loads to read and write XMP metadata.
set -euo pipefail
need=()
ldconfig -p 2>/dev/null | grep -q 'libexempi\.so\.8' || need+=(libexempi8)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "Installing Debian packages: ${need[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}"
fi
