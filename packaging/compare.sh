#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Compare the .debs and the .rpms of one version: same files per package
# (modulo documented path differences), same dependencies on the ABI, same
# conffiles, and maintainer scripts / scriptlets covering the same actions.
#   packaging/compare.sh [--deb DIR] [--rpm DIR] [--results FILE]
# Defaults: build/deb and build/rpm/RPMS. Prints PASS/FAIL lines.
#
# Path differences that are not differences:
#   /usr/lib/<multiarch>/ (deb)      = /usr/lib64/ (rpm)          -> LIBDIR/
#   /lib/systemd/system/ (deb)       = /usr/lib/systemd/system/    -> UNITDIR/
#   /usr/share/doc/<pkg>/, /usr/share/doc/<pkg>-<ver>/, /usr/share/licenses/,
#   /usr/share/lintian/, /usr/lib/.build-id/ and /usr/lib/debug/ (docs,
#   license texts, tool metadata, debug links): ignored
#   man pages: compared without the compression suffix
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
debdir=$top/build/deb
rpmdir=$top/build/rpm/RPMS
results=""
while [ $# -gt 0 ]; do
	case "$1" in
	--deb) debdir=$2; shift 2 ;;
	--rpm) rpmdir=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	*) echo "usage: $0 [--deb DIR] [--rpm DIR] [--results FILE]" >&2; exit 2 ;;
	esac
done
fails=0
result() {	# PASS|FAIL name [detail]
	local line="$1 pkg/compare-$2${3:+ ($3)}"
	echo "$line"
	[ -z "$results" ] || echo "$line" >> "$results"
	[ "$1" != FAIL ] || fails=$((fails + 1))
}

work=$(mktemp -d "${TMPDIR:-/tmp}/zufs-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT

normalize() {	# stdin: paths -> normalized, sorted
	sed -E 's|^\./|/|; s|/$||' |
	sed -E 's|^/usr/lib/[a-z0-9_]+-linux-gnu[a-z0-9_]*/|LIBDIR/|;
		s|^/usr/lib64/|LIBDIR/|;
		s|^/lib/systemd/system/|UNITDIR/|; s|^/usr/lib/systemd/system/|UNITDIR/|;
		s#^(/usr/share/man/.*)\.(gz|bz2|xz|zst)$#\1#' |
	grep -Ev '^(/usr/share/doc(/|$)|/usr/share/licenses(/|$)|/usr/share/lintian(/|$)|/usr/lib/\.build-id(/|$)|/usr/lib/debug(/|$))' |
	grep -Ev '^(|/usr|/usr/lib|/usr/share|/usr/share/man|/usr/share/man/man[0-9]|/lib|/lib/systemd|/usr/lib/systemd|/etc|/usr/src|/usr/sbin|/usr/include|LIBDIR|LIBDIR/pkgconfig|UNITDIR|/usr/lib/modules-load\.d)$' |
	sort -u
}

pairs="zufs-dkms:zufs-dkms zus:zus libzus-dev:zus-devel"
for pair in $pairs; do
	d=${pair%%:*}
	r=${pair##*:}
	deb=$(find "$debdir" -maxdepth 1 -name "${d}_*.deb" | sort | tail -n 1)
	rpm=$(find "$rpmdir" -name "${r}-[0-9]*.rpm" ! -name '*.src.rpm' | sort | tail -n 1)
	if [ -z "$deb" ] || [ -z "$rpm" ]; then
		msg=""
		[ -n "$deb" ] || msg="no $d .deb in $debdir"
		[ -n "$rpm" ] || msg="${msg:+$msg, }no $r .rpm in $rpmdir"
		result FAIL "files-$d" "$msg"
		continue
	fi
	mkdir -p "$work/$d/deb" "$work/$d/rpm" "$work/$d/debctl"
	dpkg-deb -x "$deb" "$work/$d/deb"
	dpkg-deb -e "$deb" "$work/$d/debctl"
	(cd "$work/$d/rpm" && rpm2cpio "$rpm" | cpio -idm --quiet)

	# ---- files ----
	(cd "$work/$d/deb" && find . -mindepth 1 \( -type f -o -type l \) | normalize) > "$work/$d/deb.list"
	(cd "$work/$d/rpm" && find . -mindepth 1 \( -type f -o -type l \) | normalize) > "$work/$d/rpm.list"
	if diff -u "$work/$d/deb.list" "$work/$d/rpm.list" > "$work/$d/files.diff"; then
		result PASS "files-$d" "$(wc -l < "$work/$d/deb.list") files = $r"
	else
		sed 's/^/    /' "$work/$d/files.diff"
		result FAIL "files-$d" "deb $d and rpm $r differ (- deb only, + rpm only)"
	fi

	# ---- ABI provides/depends ----
	dprov=$(dpkg-deb -f "$deb" Provides Depends | { grep -o 'zufs-abi-[0-9]*' || true; } | sort -u | tr '\n' ' ' | sed 's/ $//')
	rprov=$(rpm -qp --provides --requires "$rpm" 2>/dev/null | { grep -o 'zufs-abi-[0-9]*' || true; } | sort -u | tr '\n' ' ' | sed 's/ $//')
	if [ "$dprov" = "$rprov" ]; then
		result PASS "abi-deps-$d" "${dprov:-none}"
	else
		result FAIL "abi-deps-$d" "deb: ${dprov:-none}, rpm: ${rprov:-none}"
	fi

	# ---- conffiles ----
	dconf=$({ sort "$work/$d/debctl/conffiles" 2>/dev/null || true; } | tr '\n' ' ' | sed 's/ $//')
	rconf=$({ rpm -qcp "$rpm" 2>/dev/null || true; } | { grep -v '^(contains no files)$' || true; } | sort | tr '\n' ' ' | sed 's/ $//')
	if [ "$dconf" = "$rconf" ]; then
		result PASS "conffiles-$d" "${dconf:-none}"
	else
		result FAIL "conffiles-$d" "deb: ${dconf:-none}, rpm: ${rconf:-none}"
	fi

	# ---- scripts ----
	cat "$work/$d/debctl"/{preinst,postinst,prerm,postrm,triggers} 2>/dev/null > "$work/$d/deb.scripts" || true
	rpm -qp --scripts "$rpm" > "$work/$d/rpm.scripts" 2>/dev/null || true
	# action | deb regex | rpm regex
	# shellcheck disable=SC2016
	case "$d" in
	zufs-dkms) actions='
dkms builds the module on install|common\.postinst|dkms install
dkms builds for every installed supported kernel|dkms install -m zufs|dkms install -m zufs
module loaded after install|modprobe zuf 2>|modprobe zuf 2>
chroot tolerated|ischroot|chroot
version change notice|/sys/module/zuf/version|/sys/module/zuf/version
zuf-root unmounted on removal|umount /sys/fs/zuf|umount /sys/fs/zuf
module unloaded on removal, busy tolerated|modprobe -r zuf|modprobe -r zuf
dkms forgets the version on removal|dkms remove|dkms remove' ;;
	zus) actions='
zusd enabled on install|deb-systemd-helper enable .zusd\.service|systemctl enable zusd\.service
zusd started on install|_dh_action=start|systemctl start zusd\.service
zusd restarted on upgrade|_dh_action=restart|systemctl try-restart zusd\.service
unbound ZUFS mounts named before restart|x-systemd\.requires=zusd\.service|x-systemd\.requires=zusd\.service
ZUFS mounts unmounted on removal|umount "\$target"|umount "\$target"
zusd stopped on removal|stop .zusd\.service|systemctl stop zusd\.service
zuf-root unmounted on removal|umount /sys/fs/zuf|umount /sys/fs/zuf
systemd reloaded|daemon-reload|daemon-reload
ldconfig|ldconfig|ldconfig
unit state purged|deb-systemd-helper purge|systemctl disable zusd\.service' ;;
	*) actions='' ;;
	esac
	missing=""
	n=0
	while IFS='|' read -r what dre rre; do
		[ -n "$what" ] || continue
		n=$((n + 1))
		grep -Eq -- "$dre" "$work/$d/deb.scripts" || missing="$missing; deb lacks: $what"
		grep -Eq -- "$rre" "$work/$d/rpm.scripts" || missing="$missing; rpm lacks: $what"
	done <<< "$actions"
	if [ $n = 0 ]; then
		if [ ! -s "$work/$d/rpm.scripts" ] && ! ls "$work/$d/debctl"/{preinst,postinst,prerm,postrm} > /dev/null 2>&1; then
			result PASS "scripts-$d" "none in either"
		else
			result FAIL "scripts-$d" "unexpected scripts"
		fi
	elif [ -z "$missing" ]; then
		result PASS "scripts-$d" "$n actions in both"
	else
		result FAIL "scripts-$d" "${missing#; }"
	fi
done
[ $fails = 0 ]
