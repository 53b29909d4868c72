#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the module and the guest programs, boot Debian's kernel under qemu
# (software emulation, no network device), and report.
#
#   run-guest.sh check	the test suite; exit status 0 only if every test
#			passed and the guest's kernel log is clean
#   run-guest.sh bench	the benchmark (Fig. 4 of the paper)
#
# COMSOCK_GUEST_TIMEOUT: seconds the guest may run (default 540).
# COMSOCK_GUEST_SMP: virtual CPUs of the guest (default 2).
set -eu

mode=${1:-check}
here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build
t0=$(date +%s)

kver=$(sh "$here/scripts/deps.sh" "$build")
kdir=/usr/src/linux-headers-$kver
echo "kernel-module: building against $kver"

# the module: any compiler warning fails the run
if ! make -C "$kdir" M="$here" modules >"$build/module-build.log" 2>&1; then
	cat "$build/module-build.log"
	echo "kernel-module: module build failed"
	exit 1
fi
if grep -i 'warning:' "$build/module-build.log" | grep -v 'Skipping BTF'; then
	echo "kernel-module: module build has warnings"
	exit 1
fi

cflags="-static -O2 -Wall -Wextra -Wno-unused-parameter -Werror -I$here/include/uapi"
# shellcheck disable=SC2086
gcc $cflags -o "$build/com_test" "$here/test/com_test.c" -lpthread
progs="$build/com_test"
if [ "$mode" = bench ]; then
	# shellcheck disable=SC2086
	gcc $cflags -o "$build/com_bench" "$here/test/com_bench.c" -lpthread -lm
	progs="$progs $build/com_bench"
fi

# initramfs: static busybox, the module, the programs
root=$build/initramfs
rm -rf "$root"
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for a in sh mount insmod rmmod lsmod dmesg grep sed cat echo poweroff \
	sleep uname ls; do
	ln -s busybox "$root/bin/$a"
done
# shellcheck disable=SC2086
cp "$here/comsock.ko" $progs "$root/"
cp "$here/scripts/guest-init.sh" "$root/init"
chmod 755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$build/initramfs.cpio"

bios=""
[ -f /usr/share/qemu/qboot.rom ] && bios="-bios /usr/share/qemu/qboot.rom"
log=$build/guest-$mode.log
echo "kernel-module: booting the guest ($mode), log in $log"
rm -f "$build/qemu.status"
# shellcheck disable=SC2086
{
	timeout "${COMSOCK_GUEST_TIMEOUT:-540}" qemu-system-x86_64 \
		-accel tcg,thread=multi -cpu max -smp "${COMSOCK_GUEST_SMP:-2}" \
		-m 1G -nographic -nic none -no-reboot $bios \
		-kernel "$build/vmlinux-$kver" -initrd "$build/initramfs.cpio" \
		-append "console=ttyS0 quiet panic=-1 slub_debug=FZP comtest=$mode" \
		</dev/null 2>&1
	echo $? >"$build/qemu.status"
} | tr -d '\r' | tee "$log" | grep -v '^dmesg: ' || true
status=$(cat "$build/qemu.status" 2>/dev/null || echo unknown)

pass=$(grep -c '^ok - ' "$log" || true)
fail=$(grep -c '^not ok - ' "$log" || true)
if ! grep -q '^guest: done' "$log"; then
	echo "not ok - guest: did not finish (qemu exit status $status, 124: time limit)"
	fail=$((fail + 1))
fi
if grep -E '^(\[ *[0-9.]+\] )?(BUG:|Oops|Kernel panic|general protection)' "$log" >/dev/null; then
	echo "not ok - guest console: oops, BUG or panic"
	fail=$((fail + 1))
fi
echo "kernel-module: $mode took $(($(date +%s) - t0)) s"
if [ "$mode" = check ]; then
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
