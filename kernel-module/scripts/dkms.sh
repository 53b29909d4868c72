#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dkms from a clean copy of the module's sources.  "dkms add <dir>" copies
# everything in <dir>, and this directory's build/ holds the test guest's
# kernel image and initramfs (hundreds of MB): never add the working
# directory itself.
#
#   dkms.sh source <dir>	the committed sources (git archive of HEAD, so
#				nothing untracked, ignored or built) as
#				<dir>/comsock-<version>, where "dkms install
#				comsock/<version>" finds them when <dir> is
#				/usr/src
#   dkms.sh check [<kver>]	"dkms add", "dkms build" and "dkms remove" of
#				such a copy for kernel <kver> (default: the
#				one linux-headers-amd64 is for, as the test
#				guest's), with every dkms tree and the signing
#				key in a temporary directory: nothing outside
#				it is written, nothing is installed
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
name=$(sed -n 's/^PACKAGE_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$here/dkms.conf")
version=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$here/dkms.conf")
if [ -z "$name" ] || [ -z "$version" ]; then
	echo "dkms: no PACKAGE_NAME or PACKAGE_VERSION in $here/dkms.conf" >&2
	exit 2
fi

# copy_source <dir>: the committed sources as <dir>/$name-$version
copy_source() {
	if ! top=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null) ||
		! prefix=$(git -C "$here" rev-parse --show-prefix); then
		echo "dkms: $here is not in a git checkout (the copy is a git archive of HEAD)" >&2
		exit 2
	fi
	dest=$1/$name-$version
	if [ -e "$dest" ]; then
		echo "dkms: $dest exists already" >&2
		exit 2
	fi
	mkdir -p "$dest"
	# from the top: run in a subdirectory, git archive keeps to it
	git -C "$top" archive --format=tar "HEAD:${prefix%/}" | tar -x -C "$dest"
	if [ -n "$(git -C "$here" status --porcelain -- .)" ]; then
		echo "dkms: note: uncommitted changes in $here are not in the copy" >&2
	fi
	echo "dkms: $dest: the sources of $(git -C "$here" rev-parse --short HEAD)"
}

case "${1:-}" in
source)
	[ $# -eq 2 ] || { echo "usage: dkms.sh source <dir>" >&2; exit 2; }
	copy_source "$2"
	echo "dkms: next, as root: dkms install $name/$version"
	exit 0
	;;
check)
	[ $# -le 2 ] || { echo "usage: dkms.sh check [<kver>]" >&2; exit 2; }
	kver=${2:-}
	;;
*)
	echo "usage: dkms.sh source <dir> | check [<kver>]" >&2
	exit 2
	;;
esac

if ! command -v dkms >/dev/null 2>&1; then
	echo "dkms-check: dkms is not installed; on Debian, as root: apt-get install dkms" >&2
	exit 2
fi
if [ "$(id -u)" != 0 ]; then
	echo "dkms-check: dkms add needs root" >&2
	exit 2
fi
if [ -z "$kver" ]; then
	# as scripts/deps.sh: "linux-headers-6.1.0-56-amd64 (= ...)" -> 6.1.0-56-amd64
	kver=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
		sed -n 's/.*linux-headers-\([^ ,]*\).*/\1/p')
fi
kdir=/usr/src/linux-headers-$kver
if [ -z "$kver" ] || [ ! -f "$kdir/Makefile" ]; then
	echo "dkms-check: no kernel headers${kver:+ for $kver}; on Debian, as root: apt-get install linux-headers-amd64" >&2
	exit 2
fi

tmp=$(mktemp -d /tmp/comsock-dkms.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/source" "$tmp/dkms" "$tmp/install"
pass=0
fail=0
ok() {
	echo "ok - dkms: $*"
	pass=$((pass + 1))
}
not_ok() {
	echo "not ok - dkms: $*"
	fail=$((fail + 1))
}

copy_source "$tmp/source"
src=$tmp/source/$name-$version
# the copy holds sources only: no test guest, no build products
extra=$(cd "$src" && find . \( -name build -o -name '*.ko' -o -name '*.o' \
	-o -name '*.cpio' -o -name 'vmlinux*' \) -print | head -5)
kb=$(du -sk "$src" | cut -f1)
if [ -z "$extra" ] && [ "$kb" -lt 2048 ]; then
	ok "the source copy is sources only ($(find "$src" -type f | wc -l) files, $kb KB)"
else
	not_ok "the source copy holds more than sources ($kb KB):" $extra
fi

# dkms's own trees, and a throwaway signing key instead of /var/lib/dkms's
opts="--dkmstree $tmp/dkms --sourcetree $tmp/source --installtree $tmp/install"
export mok_signing_key="$tmp/mok.key" mok_certificate="$tmp/mok.pub"
log=$tmp/dkms.log
# shellcheck disable=SC2086
if dkms add $opts "$src" >"$log" 2>&1; then
	ok "add $name/$version"
else
	cat "$log"
	not_ok "add $name/$version"
fi
t0=$(date +%s)
# shellcheck disable=SC2086
if dkms build $opts -m "$name" -v "$version" -k "$kver" \
	--kernelsourcedir "$kdir" >"$log" 2>&1; then
	ok "build $name/$version for $kver ($(($(date +%s) - t0)) s)"
else
	cat "$log"
	find "$tmp/dkms" -name make.log -exec cat {} +
	not_ok "build $name/$version for $kver"
fi
ko=$(find "$tmp/dkms/$name/$version/$kver" -path '*/module/*' -name "$name.ko*" 2>/dev/null | head -1)
if [ -n "$ko" ] && modinfo -F vermagic "$ko" | grep -q "^$kver "; then
	ok "$(basename "$ko") built for $(modinfo -F vermagic "$ko")"
else
	not_ok "no $name.ko for $kver in the dkms tree"
fi
if grep -qi 'warning:' "$tmp/dkms/$name/$version/$kver/"*/log/make.log 2>/dev/null; then
	grep -i 'warning:' "$tmp/dkms/$name/$version/$kver/"*/log/make.log
	not_ok "the dkms build has compiler warnings"
fi
# shellcheck disable=SC2086
if dkms remove $opts "$name/$version" --all >"$log" 2>&1 &&
	[ ! -e "$tmp/dkms/$name/$version" ]; then
	ok "remove $name/$version"
else
	cat "$log"
	not_ok "remove $name/$version"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
