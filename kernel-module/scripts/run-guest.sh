#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the module and the guest programs, boot Debian's kernel under qemu
# (software emulation, no network device), and report.
#
#   run-guest.sh check	the test suite; exit status 0 only if every test
#			passed and the guest's kernel log is clean
#   run-guest.sh bench	the benchmark (Fig. 4 of the paper)
#   run-guest.sh java <script>
#			<script> (or $E2E) runs as root in a chroot into the
#			host's root, shared read-only over 9p, with the host's
#			JVMs; it prints "ok - ..." / "not ok - ..." lines and
#			may leave files in $COMSOCK_E2E_OUT, which is
#			build/e2e-out on the host
#
# COMSOCK_GUEST_TIMEOUT: seconds the guest may run (default 540, java 1200).
# COMSOCK_GUEST_SMP: virtual CPUs of the guest (default 2).
# COMSOCK_BENCH_FIXED_KB: bench moves this many KB at every message size
# (default: 32 MB from 1 KB up, less below; see test/com_bench.c).
set -eu

mode=${1:-check}
here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build
t0=$(date +%s)

case "$mode" in
check | bench)
	limit=${COMSOCK_GUEST_TIMEOUT:-540}
	mem=1G
	tcg=multi
	extra=""
	if [ "$mode" = bench ] && [ -n "${COMSOCK_BENCH_FIXED_KB:-}" ]; then
		case "$COMSOCK_BENCH_FIXED_KB" in
		*[!0-9]* | 0*)
			echo "kernel-module: COMSOCK_BENCH_FIXED_KB must be a whole number of KB" >&2
			exit 2
			;;
		esac
		extra="combench=$COMSOCK_BENCH_FIXED_KB"
	fi
	;;
java)
	limit=${COMSOCK_GUEST_TIMEOUT:-1200}
	mem=2G
	# One host thread runs every virtual CPU in turn. With one thread per
	# virtual CPU, qemu does not keep x86's promise for code that another
	# CPU rewrites while it runs: a JIT patches the entry of a compiled
	# method it retires with a jump, and a CPU entering the method then
	# could execute a mix of old and new bytes (JVMs died with SIGSEGV or
	# SIGILL exactly there).
	tcg=single
	e2e=${2:-${E2E:-}}
	if [ -z "$e2e" ]; then
		echo "kernel-module: java mode needs a script: run-guest.sh java /abs/path/script.sh" >&2
		exit 2
	fi
	if [ ! -f "$e2e" ] || [ ! -r "$e2e" ]; then
		echo "kernel-module: $e2e is not a readable file" >&2
		exit 2
	fi
	# the guest sees the host's root, so the script keeps its path, but
	# /tmp, /run, /dev, /proc and /sys are the guest's own
	e2e=$(readlink -f "$e2e")
	case "$e2e" in
	/tmp/* | /run/* | /dev/* | /proc/* | /sys/*)
		echo "kernel-module: $e2e is under a directory the guest mounts over; put it elsewhere" >&2
		exit 2
		;;
	esac
	case "$e2e" in
	*'
'*)
		echo "kernel-module: the script's path contains a newline" >&2
		exit 2
		;;
	esac
	out=$build/e2e-out
	;;
*)
	echo "usage: run-guest.sh check | bench | java <script>" >&2
	exit 2
	;;
esac
case "$limit" in
'' | *[!0-9]*)
	echo "kernel-module: COMSOCK_GUEST_TIMEOUT must be a number of seconds" >&2
	exit 2
	;;
esac

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

if [ "$mode" = java ]; then
	extra=""
	# the virtio and 9p modules of the unpacked image, in load order
	mkdir -p "$root/lib/e2e"
	mdir=$build/image/lib/modules/$kver
	for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev \
		virtio_pci 9pnet 9pnet_virtio netfs fscache 9p; do
		f=$(grep "/$m\.ko:" "$mdir/modules.dep" | cut -d: -f1)
		if [ -z "$f" ] || [ ! -f "$mdir/$f" ]; then
			echo "kernel-module: $m.ko is not in $mdir"
			exit 1
		fi
		cp "$mdir/$f" "$root/lib/e2e/$m.ko"
	done
	nonce=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	printf '%s\n' "$e2e" >"$root/e2e-script"
	echo "$nonce" >"$root/e2e-nonce"
	# the writable share for results, emptied
	mkdir -p "$out"
	find "$out" -mindepth 1 -delete
	# the script gets the time left after boot and before the checks
	slim=$((limit - 45))
	[ "$slim" -ge 10 ] || slim=$((limit / 2))
	extra="comlimit=$slim"
	echo "kernel-module: script $e2e, results in $out"
fi
(cd "$root" && find . | cpio -o -H newc --quiet) >"$build/initramfs.cpio"

bios=""
[ -f /usr/share/qemu/qboot.rom ] && bios="-bios /usr/share/qemu/qboot.rom"
log=$build/guest-$mode.log
echo "kernel-module: booting the guest ($mode), log in $log"
rm -f "$build/qemu.status"
# shellcheck disable=SC2086
{
	if [ "$mode" = java ]; then
		set -- \
			-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
			-virtfs "local,path=$(echo "$out" | sed 's/,/,,/g'),mount_tag=e2eout,security_model=none,multidevs=remap"
	else
		set --
	fi
	timeout "$limit" qemu-system-x86_64 \
		-accel "tcg,thread=$tcg" -cpu max -smp "${COMSOCK_GUEST_SMP:-2}" \
		-m $mem -nographic -nic none -no-reboot $bios "$@" \
		-kernel "$build/vmlinux-$kver" -initrd "$build/initramfs.cpio" \
		-append "console=ttyS0 quiet panic=-1 slub_debug=FZP comtest=$mode $extra" \
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
if [ "$mode" = java ]; then
	# the script's own lines, between the markers
	n=$(sed -n '/^guest: e2e begin$/,/^guest: e2e end$/p' "$log" |
		grep -c -E '^(not )?ok - ' || true)
	if grep -q '^guest: e2e begin$' "$log" && [ "$n" -eq 0 ]; then
		echo "not ok - e2e: the script reported no test"
		fail=$((fail + 1))
	fi
	# results come back through the writable share
	if [ -f "$out/.guest-status" ] &&
		[ "$(cut -d' ' -f1 "$out/.guest-status")" = "$nonce" ]; then
		echo "ok - e2e-out: the guest's status file reached the host"
		pass=$((pass + 1))
	else
		echo "not ok - e2e-out: no status file from this guest in $out"
		fail=$((fail + 1))
	fi
	find "$out" -mindepth 1 ! -name .guest-status -printf '# e2e-out: %P (%s bytes)\n' |
		sort | head -50
fi
echo "kernel-module: $mode took $(($(date +%s) - t0)) s"
if [ "$mode" != bench ]; then
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
