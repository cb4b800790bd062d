#!/bin/sh
# Install the Debian packages fotos needs, only those that are missing.
# Runs as root on a fresh Debian 12 (as the README says); elsewhere it only
# reports what is missing.
set -e
PKGS="build-essential pkg-config liburing-dev libsodium-dev libjemalloc-dev libcmocka-dev clang iproute2 iptables procps spin"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "fotos: missing Debian packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "fotos: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq $missing >/dev/null
