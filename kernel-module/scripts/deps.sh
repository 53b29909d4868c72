#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Make sure everything the guest tests need is present, then print the
# kernel version the module is built for.
#
#   deps.sh <build-dir>
#
# Needs: gcc, make, static libc, Debian's kernel headers (linux-headers-amd64),
# qemu-system-x86, busybox-static, kmod (depmod), cpio, xz-utils, dpkg-deb.
# When something is missing and we run as root on Debian, the packages are
# installed (apt-get update first); otherwise the exact list is printed and
# the script fails.  The matching kernel image is downloaded with
# "apt-get download" and unpacked into <build-dir>/image (never installed),
# and its uncompressed vmlinux is extracted for a fast PVH boot.
set -eu

build=${1:?usage: deps.sh <build-dir>}
mkdir -p "$build"

PKGS="gcc make libc6-dev qemu-system-x86 busybox-static linux-headers-amd64 kmod cpio xz-utils"

missing=""
need() {
	# need <command-or-file> <package>
	case "$1" in
	/*) [ -e "$1" ] || missing="$missing $2" ;;
	*) command -v "$1" >/dev/null 2>&1 || missing="$missing $2" ;;
	esac
}

check() {
	missing=""
	need gcc gcc
	need make make
	need /usr/lib/x86_64-linux-gnu/libc.a libc6-dev
	need qemu-system-x86_64 qemu-system-x86
	need /bin/busybox busybox-static
	need depmod kmod
	need cpio cpio
	need xz xz-utils
	need dpkg-deb dpkg
	dpkg-query -W -f='${Status}\n' linux-headers-amd64 2>/dev/null |
		grep -q 'install ok installed' || missing="$missing linux-headers-amd64"
	# the static busybox must really be the static one
	if [ -e /bin/busybox ] && ! dpkg-query -W -f='${Status}\n' busybox-static 2>/dev/null |
		grep -q 'install ok installed'; then
		missing="$missing busybox-static"
	fi
}

check
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "deps: installing$missing" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >&2
		# shellcheck disable=SC2086
		apt-get install -y -qq --no-install-recommends $missing >&2
		check
	fi
	if [ -n "$missing" ]; then
		echo "deps: missing Debian packages:$missing" >&2
		echo "deps: run as root: apt-get update && apt-get install -y$missing" >&2
		exit 2
	fi
fi

# "linux-headers-6.1.0-56-amd64 (= 6.1.192-2)" -> 6.1.0-56-amd64
kver=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 |
	sed -n 's/.*linux-headers-\([^ ,]*\).*/\1/p')
if [ -z "$kver" ] || [ ! -d "/usr/src/linux-headers-$kver" ]; then
	echo "deps: cannot derive the kernel version from linux-headers-amd64" >&2
	exit 2
fi

img="$build/image"
mods="$img/lib/modules/$kver"

# the package itself, downloaded once into <build-dir>/deb
fetch_deb() {
	deb=$(ls "$build"/deb/linux-image-"$kver"_*.deb 2>/dev/null | head -1)
	[ -z "$deb" ] || return 0
	echo "deps: fetching linux-image-$kver (unpacked, not installed)" >&2
	rm -rf "$build/deb"
	mkdir -p "$build/deb"
	if ! (cd "$build/deb" && apt-get download "linux-image-$kver" >&2 2>/dev/null); then
		if [ "$(id -u)" = 0 ]; then
			apt-get update -qq >&2
			(cd "$build/deb" && apt-get download "linux-image-$kver" >&2)
		else
			echo "deps: apt-get download linux-image-$kver failed" >&2
			exit 2
		fi
	fi
	deb=$(ls "$build"/deb/linux-image-"$kver"_*.deb | head -1)
}

if [ ! -f "$img/boot/vmlinuz-$kver" ] || [ ! -f "$mods/modules.dep" ]; then
	fetch_deb
	rm -rf "$img"
	dpkg-deb -x "$deb" "$img"
	depmod -b "$img" "$kver"
fi

# The virtio and 9p modules of the java mode (run-guest.sh java); put back
# from the package if the unpacked image lost them.
want=""
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev \
	virtio_pci 9pnet 9pnet_virtio netfs fscache 9p; do
	f=$(grep "/$m\.ko:" "$mods/modules.dep" | cut -d: -f1)
	if [ -z "$f" ]; then
		echo "deps: $m.ko is not in $mods/modules.dep" >&2
		exit 2
	fi
	[ -f "$mods/$f" ] || want="$want ./lib/modules/$kver/$f"
done
if [ -n "$want" ]; then
	fetch_deb
	# shellcheck disable=SC2086
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$img" $want
fi

# Uncompressed kernel: find the xz stream inside the bzImage and unpack it
# (the same idea as the kernel tree's scripts/extract-vmlinux).
if [ ! -s "$build/vmlinux-$kver" ]; then
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$img/boot/vmlinuz-$kver" |
		head -1 | cut -d: -f1)
	if [ -z "$off" ]; then
		echo "deps: no xz stream in vmlinuz-$kver" >&2
		exit 2
	fi
	tail -c +"$((off + 1))" "$img/boot/vmlinuz-$kver" |
		xz -dcq 2>/dev/null >"$build/vmlinux-$kver.tmp" || true
	if ! head -c 4 "$build/vmlinux-$kver.tmp" | grep -q ELF; then
		echo "deps: could not extract vmlinux" >&2
		exit 2
	fi
	mv "$build/vmlinux-$kver.tmp" "$build/vmlinux-$kver"
fi

echo "$kver"
