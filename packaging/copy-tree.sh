#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copy a source tree to DEST without build/, .git and build products:
# the input of the package builds.
#   packaging/copy-tree.sh SRC DEST
set -eu
[ $# -eq 2 ] || { echo "usage: $0 SRC DEST" >&2; exit 2; }
src=$1
dest=$2
rm -rf "$dest"
mkdir -p "$dest"
(cd "$src" && tar -c --exclude=./build --exclude=./.git --exclude=./.ci \
	--exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
	--exclude='.*.cmd' --exclude=Module.symvers --exclude=modules.order \
	--exclude=zuf_config.h --exclude='*.so' --exclude='*.so.*' \
	--exclude='*.a' --exclude='*.deb' --exclude='*.rpm' \
	--exclude='.src-build.log' --exclude='.zus-build.log' .) | tar -x -C "$dest"
