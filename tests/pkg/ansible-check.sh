#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Ansible role packaging/ansible/roles/zufs against the package-test VM,
# over SSH on its loopback port forward: the first run installs zufs-dkms
# and zus from the VM's local apt repository, writes /etc/zufs.conf, adds
# a mount bound to zusd and leaves zusd running; the second run must
# report changed=0.
#
#   tests/pkg/ansible-check.sh [--results FILE]            own VM
#   tests/pkg/ansible-check.sh --attach [--results FILE]   the VM of e2e.sh
#     (PKG_VM_PORT and PKG_KEY in the environment; zus not installed)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=tests/pkg/vm-lib.sh
. "$here/vm-lib.sh"

attach=0
results=$PKG_BUILD/results.txt
while [ $# -gt 0 ]; do
	case "$1" in
	--attach) attach=1; shift ;;
	--results) results=$2; shift 2 ;;
	*) echo "usage: $0 [--attach] [--results FILE]" >&2; exit 2 ;;
	esac
done
fails=0
result() {
	local line="$1 pkg/$2${3:+ ($3)}"
	echo "$line"
	echo "$line" >> "$results"
	[ "$1" != FAIL ] || fails=$((fails + 1))
}
log=$PKG_RUN/ansible.log
mkdir -p "$PKG_BUILD" "$PKG_RUN"
: > "$log"

if ! command -v ansible-playbook > /dev/null; then
	result SKIP ansible "ansible-playbook missing (apt-get install ansible)"
	exit 0
fi

if [ $attach = 0 ]; then
	trap 'pkg_vm_kill' EXIT
	debs=$(find "$PKG_BUILD/zufs-debs" "$top/build/deb" -maxdepth 1 -name 'zufs-dkms_*.deb' 2>/dev/null | head -n 1)
	[ -n "$debs" ] || { result SKIP ansible "no zufs .debs (run tests/pkg/e2e.sh or make deb first)"; exit 0; }
	d=$(dirname "$debs")
	pkg_image >> "$log" 2>&1 || { result FAIL ansible "guest image"; exit 1; }
	pkg_repo_disk "$PKG_RUN/repo.img" "$d"/zufs-dkms_*.deb "$d"/zus_*.deb >> "$log" 2>&1 || { result FAIL ansible "repo disk"; exit 1; }
	if ! pkg_vm_new || ! pkg_vm_start "$PKG_KERNEL" "$PKG_INITRD" "$PKG_RUN/repo.img" 600 >> "$log" 2>&1; then
		result FAIL ansible "VM boot, see $log"
		exit 1
	fi
else
	: "${PKG_VM_PORT:?} ${PKG_KEY:?}"
fi

# A tmpfs stands in for a pmemfs line: the role writes every mount the same
# way (x-systemd.requires=zusd.service added); pmemfs itself is e2e.sh's.
mounts='[{"src": "zufs-canary", "path": "/mnt/zufs-canary", "fstype": "tmpfs", "opts": "size=1M"}]'
# The repository disk is a nofail mount that a slow boot can miss.
pkg_ssh 'mountpoint -q /srv/repo || mount /srv/repo' >> "$log" 2>&1 || true
work=$(mktemp -d "${TMPDIR:-/tmp}/zufs-ansible.XXXXXX")
trap 'rm -rf "$work"; [ $attach = 1 ] || pkg_vm_kill' EXIT
cat > "$work/inventory" <<EOF
[zufs]
zufs-vm ansible_host=127.0.0.1 ansible_port=$PKG_VM_PORT ansible_user=root ansible_ssh_private_key_file=$PKG_KEY ansible_python_interpreter=/usr/bin/python3 ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR'
EOF
cat > "$work/vars.json" <<EOF
{
  "zufs_apt_repo": "deb [trusted=yes] file:/srv/repo ./",
  "zufs_conf": { "channels": 1, "log_level": "info" },
  "zufs_mounts": $mounts
}
EOF
export ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_RETRY_FILES_ENABLED=0 \
	ANSIBLE_STDOUT_CALLBACK=default ANSIBLE_LOCAL_TEMP="$work/tmp"

play() {	# N: run the playbook, print its recap line
	ansible-playbook -i "$work/inventory" -e "@$work/vars.json" \
		"$top/packaging/ansible/site.yml" > "$work/run$1.log" 2>&1
	local rc=$?
	{ echo "== run $1 (rc $rc)"; cat "$work/run$1.log"; } >> "$log"
	grep -E '^zufs-vm +:' "$work/run$1.log" | tail -n 1
	return $rc
}

t=$SECONDS
if recap=$(play 1); then
	st=$(pkg_ssh 'systemctl is-active zusd; findmnt -n -o FSTYPE /mnt/zufs-canary; systemctl show -p Requires --value mnt-zufs\\x2dcanary.mount' 2>> "$log" | tr '\n' ' ')
	if echo "$st" | grep -q '^active tmpfs .*zusd.service'; then
		result PASS ansible-apply "$((SECONDS - t))s, $(echo "$recap" | grep -o 'changed=[0-9]*'), zusd active, bound mount up"
	else
		result FAIL ansible-apply "after the run: $st"
	fi
else
	result FAIL ansible-apply "ansible-playbook failed: ${recap:-see $log}"
fi
t=$SECONDS
if recap=$(play 2) && echo "$recap" | grep -q 'changed=0 ' && echo "$recap" | grep -q 'failed=0 '; then
	result PASS ansible-idempotent "second run: $(echo "$recap" | sed 's/^zufs-vm *: *//; s/  */ /g')"
else
	result FAIL ansible-idempotent "second run: ${recap:-failed, see $log}"
fi
[ $fails = 0 ]
