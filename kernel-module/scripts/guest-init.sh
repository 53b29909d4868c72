#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test guest: load the module, run the suite (or the
# benchmark, or a host-provided script), check the kernel log, power off.
# The kernel command line's comtest=check|bench|java arrives here as
# $comtest, comlimit (java only: seconds the script may run) as
# $comlimit, and combench (bench only: KB at every size) as $combench.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp

# a suite reports its own failures (exit status 1); anything else means
# it died
suite() {
	"$@"
	rc=$?
	[ "$rc" -le 1 ] || echo "not ok - suite '$*' died (status $rc)"
}

# java mode: the host's root, read-only, at /host (9p); a writable share
# for results at /host/tmp/e2e-out; the script in a chroot into /host.
e2e_mods='virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
	virtio_pci 9pnet 9pnet_virtio netfs fscache 9p'
e2e_out=/tmp/e2e-out

e2e_mount() {
	for m in $e2e_mods; do
		if ! insmod "/lib/e2e/$m.ko"; then
			echo "not ok - e2e: insmod $m.ko failed"
			return 1
		fi
	done
	mkdir -p /host
	if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 \
		hostroot /host; then
		echo "not ok - e2e: cannot mount the host's root over 9p"
		return 1
	fi
	mount -t proc proc /host/proc &&
	mount -t sysfs sys /host/sys &&
	mount -t devtmpfs dev /host/dev &&
	mkdir -p /host/dev/pts /host/dev/shm &&
	mount -t devpts -o newinstance,ptmxmode=0666 devpts /host/dev/pts &&
	mount -t tmpfs -o mode=1777 shm /host/dev/shm &&
	mount -t tmpfs -o mode=1777 tmp /host/tmp &&
	mount -t tmpfs -o mode=755 run /host/run &&
	mkdir -p "/host$e2e_out" &&
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 \
		e2eout "/host$e2e_out" || {
		echo "not ok - e2e: cannot mount the filesystems inside /host"
		return 1
	}
	echo "# e2e: host root read-only at /host, results at $e2e_out"
}

e2e() {
	e2e_mount || return
	IFS= read -r script </e2e-script
	read -r nonce </e2e-nonce
	lim=${comlimit:-600}
	echo "# e2e: running sh $script (at most $lim s)"
	echo "guest: e2e begin"
	t0=$(date +%s)
	timeout -s KILL "$lim" chroot /host /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/tmp COMSOCK_E2E_OUT="$e2e_out" \
		sh "$script" </dev/null 2>&1
	rc=$?
	t=$(($(date +%s) - t0))
	echo "guest: e2e end"
	# nothing the script started may outlive it (init is spared)
	kill -KILL -1 2>/dev/null
	sleep 1
	if [ "$t" -ge "$lim" ]; then
		echo "not ok - e2e: script did not finish within $lim s"
	elif [ "$rc" -ne 0 ]; then
		echo "not ok - e2e: script exited with status $rc after $t s"
	else
		echo "# e2e: script exited with status 0 after $t s"
	fi
	echo "$nonce $rc $t" >"/host$e2e_out/.guest-status"
	sync
	umount "/host$e2e_out" || echo "# e2e: umount $e2e_out failed"
	echo "# the initial domain after the script:"
	sed 's/^/#   /' /proc/net/comsock_stat
}

echo "guest: Linux $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpu(s)"
if insmod /comsock.ko; then
	echo "ok - module: insmod comsock.ko"
	case "$comtest" in
	bench)
		/com_bench ${combench:+--fixed "$combench"} ||
			echo "not ok - bench: failed"
		;;
	java)
		e2e
		;;
	*)
		suite /com_test local
		suite /com_test --ns 1 local
		suite /com_test --ns 2 local
		suite /com_test cross
		echo "# the initial domain after the suites:"
		sed 's/^/#   /' /proc/net/comsock_stat
		suite /com_test unload /comsock.ko
		;;
	esac
else
	echo "not ok - module: insmod comsock.ko failed"
fi

# The console only shows errors (quiet); warnings are in the log.
dmesg >/tmp/dmesg
pat='WARNING:|BUG:|Oops|general protection|Call Trace|corruption|refcount_t|UBSAN|hung_task|soft lockup|(^|[^A-Za-z])stall|Kernel panic|kmemleak'
if grep -E "$pat" /tmp/dmesg >/tmp/bad; then
	echo "not ok - kernel log: warning, oops or BUG:"
	sed 's/^/#   /' /tmp/bad
else
	echo "ok - kernel log: no warning, oops or BUG"
fi
echo "--- guest kernel log ---"
sed 's/^/dmesg: /' /tmp/dmesg
echo "guest: done"
poweroff -f
