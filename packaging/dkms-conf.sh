#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the top-level dkms.conf with PACKAGE_VERSION as a literal (the
# tree's VERSION), for the packages: dh_dkms and the rpm scriptlets read
# the version from the installed file instead of sourcing it.
#   packaging/dkms-conf.sh [TOPDIR] > dkms.conf
set -eu
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
ver=$(sed -n '1{s/[[:space:]]//g;p;q}' "$top/VERSION")
case "$ver" in
[0-9]*) ;;
*) echo "dkms-conf: no usable version in $top/VERSION" >&2; exit 1 ;;
esac
grep -q '^PACKAGE_VERSION=' "$top/dkms.conf" || {
	echo "dkms-conf: no PACKAGE_VERSION line in $top/dkms.conf" >&2
	exit 1
}
sed "s|^PACKAGE_VERSION=.*|PACKAGE_VERSION=\"$ver\"|" "$top/dkms.conf"
