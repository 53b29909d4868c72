#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test guest: load the module, run the suite (or the
# benchmark), check the kernel log, power off.  The kernel command line's
# comtest=check|bench arrives here as $comtest.
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

echo "guest: Linux $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpu(s)"
if insmod /comsock.ko; then
	echo "ok - module: insmod comsock.ko"
	case "$comtest" in
	bench)
		/com_bench || echo "not ok - bench: failed"
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
pat='WARNING:|BUG:|Oops|general protection|Call Trace|corruption|refcount_t|UBSAN|hung_task|soft lockup|stall|Kernel panic|kmemleak'
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
