#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copy the DKMS source of zuf.ko (dkms.conf, VERSION, src/ without build
# products) into DEST, the layout of /usr/src/zufs-<version>/.
#   packaging/stage-dkms.sh [--literal] DEST [TOPDIR]
# --literal: write dkms.conf with the version as a literal (packages);
# default: the top-level dkms.conf as is (it reads ../VERSION itself).
set -eu
literal=0
if [ "${1:-}" = --literal ]; then literal=1; shift; fi
[ $# -ge 1 ] || { echo "usage: $0 [--literal] DEST [TOPDIR]" >&2; exit 2; }
dest=$1
here=$(cd "$(dirname "$0")" && pwd)
top=${2:-$(cd "$here/.." && pwd)}

mkdir -p "$dest"
if [ $literal = 1 ]; then
	sh "$here/dkms-conf.sh" "$top" > "$dest/dkms.conf"
else
	cp "$top/dkms.conf" "$dest/dkms.conf"
fi
cp "$top/VERSION" "$dest/VERSION"
# src/ minus what kbuild and probe.sh generate.
(cd "$top" && find src \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
	-o -name '*.mod.c' -o -name '.*.cmd' -o -name '*.tmp' \
	-o -name Module.symvers -o -name modules.order -o -name zuf_config.h \
	-o -name '*.dwo' -o -name '.*.d' -o -name '*.ko.*' -o -name '.tmp_versions' \) -prune \
	-o -type f -print) | sort | while read -r f; do
	mkdir -p "$dest/$(dirname "$f")"
	cp -p "$top/$f" "$dest/$f"
done
chmod -R u+rwX,go+rX,go-w "$dest"
