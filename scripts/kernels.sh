#!/bin/sh
# List installed kernels of the supported lines, one release per line.
#   scripts/kernels.sh            all supported lines, newest line last
#   scripts/kernels.sh 6.12       only the 6.12 line (newest release of it)
#   scripts/kernels.sh --headers  only kernels whose build headers exist
# Releases are discovered, never hard-coded: Debian bumps the ABI suffix
# with every security update.
set -eu
LINES="6.1 6.12"
want_line=""
need_headers=0
need_image=0
for a in "$@"; do
	case "$a" in
	--headers) need_headers=1 ;;
	--image) need_image=1 ;;
	*) want_line="$a" ;;
	esac
done

candidates() {
	{
		ls -1 /lib/modules 2>/dev/null
		ls -1 /boot 2>/dev/null | sed -n 's/^vmlinuz-//p'
		ls -1d /usr/src/linux-headers-* 2>/dev/null | sed 's|^/usr/src/linux-headers-||'
	} | grep -E -- '-(cloud-)?amd64$' | sort -u
}

for line in $LINES; do
	[ -n "$want_line" ] && [ "$want_line" != "$line" ] && continue
	candidates | while read -r rel; do
		case "$rel" in
		"$line".[0-9]*) ;;
		*) continue ;;
		esac
		if [ $need_headers = 1 ] && [ ! -e "/lib/modules/$rel/build/Makefile" ] &&
		   [ ! -e "/usr/src/linux-headers-$rel/Makefile" ]; then
			continue
		fi
		if [ $need_image = 1 ] && [ ! -e "/boot/vmlinuz-$rel" ]; then
			continue
		fi
		echo "$rel"
	done | sort -V | {
		# With an explicit line, only the newest release of it.
		if [ -n "$want_line" ]; then tail -n 1; else cat; fi
	}
done
