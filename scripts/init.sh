#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
# /init of the sparse-mm test initramfs.  /mode says what to do:
#   test   run every selftest in /tests, bracketed by ==== markers
#   run    the demo a driver author reads
#   bench  load the benchmark module
#   stress soak both arena drivers with arena_stress (arguments: /stress.args)
#   irqsoff the longest interrupts-off section during a 64 GiB arena stress
#   trinity only the trinity runs of the test mode
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# devtmpfs has no /dev/fd or /dev/std*; kselftest's runner writes to /dev/stdout.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t debugfs debugfs /sys/kernel/debug
# Root sees real kernel addresses in /proc/vmallocinfo and module sections.
echo 1 > /proc/sys/kernel/kptr_restrict
mode=$(cat /mode)
echo "==== sparse-mm initramfs: mode=$mode cpus=$(nproc)" \
     "mem=$(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)" \
     "kernel=$(uname -r)"

section() {	# section NAME COMMAND...: run, then print the output bracketed
	name=$1; shift
	# Append mode: kselftest's runner reopens /dev/stdout for its output.
	: > /tmp/section.out
	"$@" >> /tmp/section.out 2>&1
	rc=$?
	echo "==== BEGIN $name"
	cat /tmp/section.out
	echo "==== END $name rc=$rc"
}

# Module-based KUnit suites: their KTAP is taken from the kernel log.
# vm_object_faults needs failslab armed for the tasks that ask for it.
kunit_modules() {
	fs=/sys/kernel/debug/failslab
	if [ -d $fs ]; then
		echo 0 > $fs/verbose
		echo Y > $fs/task-filter
		echo N > $fs/ignore-gfp-wait
		echo 1000000 > $fs/times
		echo 1 > $fs/interval
		echo 5760 > $fs/space
		echo 100 > $fs/probability
	fi
	dmesg -c > /dev/null
	insmod /lib/modules/vm_object_fault_test.ko
	rc=$?
	if [ -d $fs ]; then
		echo 0 > $fs/probability
		echo 0 > $fs/space
	fi
	dmesg | sed -n '/KTAP version/,$p'
	rmmod vm_object_fault_test
	return $rc
}

# Systematic fault injection (fail-nth): with probability 0 nothing fails
# unless a task sets /proc/thread-self/fail-nth (current->fail_nth in the
# KUnit sweep); then every slab and page allocation of that task counts,
# sleeping and order-0 ones included, and the Nth one fails, silently.
arm_fail_nth() {
	for d in failslab fail_page_alloc; do
		fs=/sys/kernel/debug/$d
		[ -d $fs ] || continue
		echo 0 > $fs/probability
		echo 0 > $fs/space
		echo 0 > $fs/verbose
		echo N > $fs/ignore-gfp-wait
	done
	fs=/sys/kernel/debug/fail_page_alloc
	if [ -d $fs ]; then
		echo 0 > $fs/min-order
		echo N > $fs/ignore-gfp-highmem
	fi
}

# The module KUnit sweep sparse_mm_fail_nth, after arming fail-nth.
kunit_fail_nth() {
	arm_fail_nth
	dmesg -c > /dev/null
	insmod /lib/modules/sparse_mm_fail_nth_test.ko
	rc=$?
	dmesg | sed -n '/KTAP version/,$p'
	rmmod sparse_mm_fail_nth_test
	return $rc
}

dm4k() { awk '/^DirectMap4k:/ {print $2}' /proc/meminfo; }

# Load and unload the sample modules 16 times, the page cache taking 4 MiB
# after each unload, with VM_GROUP_PAGES on and then off; print the new
# DirectMap4k of each.  $1: on or off.
group_modules_run() {
	echo 2 > /proc/sys/vm/drop_caches
	[ "$1" = on ] && echo Y > /sys/kernel/debug/vm_group_pages/enabled
	[ "$1" = off ] && echo N > /sys/kernel/debug/vm_group_pages/enabled
	before=$(dm4k)
	i=0
	while [ $i -lt 16 ]; do
		for m in $(sed -n 's/^sample //p' /samples.list); do
			insmod /lib/modules/$m.ko > /dev/null 2>&1
			rmmod $m
		done
		dd if=/dev/zero of=/tmp/fill.$1.$i bs=1M count=4 2> /dev/null
		i=$((i + 1))
	done
	echo "# bench: group_pages_sample_modules grouping=$1 new_directmap4k_kb=$(($(dm4k) - before)) (16 rounds of: $(sed -n 's/^sample //p' /samples.list | tr '\n' ' ')load+unload, 4 MiB page cache after each)"
	rm -f /tmp/fill.$1.*
	echo Y > /sys/kernel/debug/vm_group_pages/enabled
}

group_modules() {
	dmesg -n 1
	group_modules_run on
	group_modules_run off
	cat /sys/kernel/debug/vm_group_pages/stats | sed 's/^/# vm_group_pages: /'
	dmesg -n 7
}

# arena_stress against both drivers, loaded as arena_test loads them.
arena_stress_both() {
	section arena_stress /bin/arena_stress --dev /dev/arena \
		--ko /lib/modules/arena_sample.ko $(cat /stress.args)
	section arena_stress-rust /bin/arena_stress --dev /dev/rust_arena \
		--ko /lib/modules/rust_arena.ko $(cat /stress.args)
}

# trinity against one arena device (its victim file), the vm syscall
# group, as root (--dangerous), a fixed count and seed from /trinity.args.
# One TAP result: ok when trinity ran its count and exited 0 and the
# kernel logged no report meanwhile (results.py checks the whole log too).
# $1: device, $2: its module.
trinity_run() {
	set -- "$1" "$2" $(cat /trinity.args)
	# The selftests before may have left the driver loaded.
	grep -q "^$(basename "$2" .ko) " /proc/modules || insmod "$2" ||
		{ echo "1..1"; echo "not ok 1 trinity $1: insmod $2"; return 1; }
	mkdir -p /tmp/trinity && cd /tmp/trinity || return 1
	dmesg -c > /dev/null
	# Progress on the console now (a section prints at its end).
	echo "# trinity: $1 started at $(cut -d' ' -f1 /proc/uptime) s" > /dev/console
	# A time bound too ($5 s): a trinity that stops making progress is
	# killed and fails the run.
	# No sockets: the kernel has no networking, and trinity retries
	# socket() at start-up for ever without it.
	timeout -s KILL "$5" trinity --dangerous -q -l off -V "$1" -g vm \
		--disable-fds=sockets -N "$3" -s "$4" -C 2 > /tmp/trinity.out 2>&1
	rc=$?
	# Its children (trinity-cN) outlive a killed parent: end every
	# process but this one and init, or the module stays in use.
	kill -9 -1 2>/dev/null
	sleep 1
	[ "$rc" = 137 ] && echo "# trinity: killed after $5 s"
	echo "# trinity: $1 ended at $(cut -d' ' -f1 /proc/uptime) s, exit $rc" > /dev/console
	cd /
	tail -20 /tmp/trinity.out
	ran=$(sed -n 's/.*Ran \([0-9]*\) syscalls.*/\1/p' /tmp/trinity.out | tail -1)
	rmmod "$(basename "$2" .ko)" || rc=1
	echo "1..1"
	if [ "$rc" = 0 ] && [ "${ran:-0}" -ge "$3" ] &&
	   ! dmesg | grep -qE 'BUG:|WARNING:|Oops|Call Trace:|KASAN|kernel BUG'; then
		echo "ok 1 trinity $1 -g vm -N $3 -s $4: ran ${ran} syscalls, kernel log clean"
	else
		echo "not ok 1 trinity $1 -g vm -N $3 -s $4: exit $rc, ran ${ran:-?} syscalls"
		dmesg | grep -E -A5 'BUG:|WARNING:|Oops|KASAN|kernel BUG' | head -40
	fi
}

trinity_both() {
	section trinity-arena trinity_run /dev/arena \
		/lib/modules/arena_sample.ko
	section trinity-rust_arena trinity_run /dev/rust_arena \
		/lib/modules/rust_arena.ko
}

# The longest interrupts-off section (irqsoff tracer) while arena_stress
# runs its big_arena case on a 64 GiB arena and its race cases.  KCSAN
# (this is the KCSAN build) is switched off first; its instrumentation
# stays compiled in.  The stress output goes to a file: console writes
# hold the UART lock with interrupts off and would be what is measured.
irqsoff_run() {
	t=/sys/kernel/tracing
	mount -t tracefs tracefs $t
	[ -e /sys/kernel/debug/kcsan ] && echo off > /sys/kernel/debug/kcsan
	dmesg -n 1
	echo irqsoff > $t/current_tracer
	echo 0 > $t/tracing_max_latency
	echo 1 > $t/tracing_on
	/bin/arena_stress --dev /dev/arena --ko /lib/modules/arena_sample.ko \
		$(cat /stress.args) > /tmp/irqsoff-stress.out 2>&1
	rc=$?
	echo 0 > $t/tracing_on
	lat=$(cat $t/tracing_max_latency)
	cp $t/trace /tmp/irqsoff.trace
	echo nop > $t/current_tracer
	dmesg -n 7
	echo "==== BEGIN arena_stress-irqsoff"
	cat /tmp/irqsoff-stress.out
	echo "==== END arena_stress-irqsoff rc=$rc"
	echo "# irqsoff: max_latency_us=$lat tracer=irqsoff config=kcsan (KCSAN off at run time, instrumentation compiled in: an upper bound) load=arena_stress $(cat /stress.args)"
	grep -v '^#\s*$' /tmp/irqsoff.trace | head -40 | sed 's/^/# irqsoff: | /'
}

kmemleak_check() {
	[ -e /sys/kernel/debug/kmemleak ] || return 0
	echo scan > /sys/kernel/debug/kmemleak
	sleep 1
	echo scan > /sys/kernel/debug/kmemleak
	section kmemleak cat /sys/kernel/debug/kmemleak
}

case "$mode" in
test)
	section kunit-modules kunit_modules
	# Stays armed for the user-space fail-nth sweeps below.
	section kunit-fail-nth kunit_fail_nth
	# Every test of kselftest's list, one section each, run by kselftest's
	# own runner; arena_parity_test loads both arena drivers
	# (arena_sample.ko and rust_arena.ko) and compares them case by case.
	ksft=/kselftest/run_kselftest.sh
	for t in $(cat /tests); do
		section "$t" $ksft -t "sparse_mm:$t"
	done
	# The arena selftests again, unchanged, against the Rust driver.
	section arena_test-rust env ARENA_DEV=/dev/rust_arena \
		ARENA_KO=/lib/modules/rust_arena.ko $ksft -t sparse_mm:arena_test
	section fail_nth_test-rust env ARENA_DEV=/dev/rust_arena \
		ARENA_KO=/lib/modules/rust_arena.ko $ksft -t sparse_mm:fail_nth_test
	arena_stress_both
	[ -e /trinity.args ] && trinity_both
	kmemleak_check
	;;
trinity)
	trinity_both
	kmemleak_check
	;;
irqsoff)
	irqsoff_run
	;;
stress)
	arena_stress_both
	kmemleak_check
	;;
run)
	cat /demo.txt
	echo
	echo "\$ insmod vm_sparse_demo.ko"
	insmod /lib/modules/vm_sparse_demo.ko
	sleep 1
	echo
	echo "\$ grep vm_sparse_demo /proc/vmallocinfo"
	grep vm_sparse_demo /proc/vmallocinfo
	echo
	echo "\$ rmmod vm_sparse_demo"
	rmmod vm_sparse_demo
	sleep 1
	echo "sparse areas the module left behind: $(grep vm_sparse_demo /proc/vmallocinfo | grep -c sparse)"
	echo
	echo "\$ vm_sparse_test    # the user-space selftests against the module"
	dmesg -n 1
	vm_sparse_test 2>&1 | grep -E '^(ok|not ok|# (PASSED|FAILED|Totals))'
	dmesg -n 7
	echo
	echo "======== arenas: memory shared by a driver and user space ========"
	echo "\$ insmod arena_sample.ko     # the C sample driver: /dev/arena"
	insmod /lib/modules/arena_sample.ko
	sleep 1
	ls -l /dev/arena
	echo
	echo "\$ arena_demo"
	arena_demo /dev/arena
	echo
	echo "\$ arena_test    # the user-space selftests against /dev/arena"
	dmesg -n 1
	arena_test 2>&1 | grep -E '^(ok|not ok|# (PASSED|FAILED|Totals))'
	dmesg -n 7
	echo
	echo "\$ rmmod arena_sample"
	rmmod arena_sample && echo "unloaded; arenas left in /proc/vmallocinfo: $(grep -c vm_arena_create /proc/vmallocinfo)"
	if [ -e /lib/modules/rust_arena.ko ]; then
		echo
		echo "======== the same demo against the Rust sample driver ========"
		echo "\$ insmod rust_arena.ko     # samples/rust/rust_arena.rs: /dev/rust_arena"
		insmod /lib/modules/rust_arena.ko
		sleep 1
		echo "\$ arena_demo /dev/rust_arena"
		arena_demo /dev/rust_arena
		echo
		echo "\$ ARENA_DEV=/dev/rust_arena arena_test    # the same selftests"
		dmesg -n 1
		ARENA_DEV=/dev/rust_arena arena_test 2>&1 | grep -E '^(not ok|# (PASSED|FAILED|Totals))'
		dmesg -n 7
		echo "\$ rmmod rust_arena"
		rmmod rust_arena && echo "unloaded; arenas left in /proc/vmallocinfo: $(grep -c vm_arena_create /proc/vmallocinfo)"
	fi
	;;
bench)
	section bench insmod /lib/modules/sparse_mm_bench.ko
	rmmod sparse_mm_bench 2>/dev/null
	for b in /bin/*_bench; do
		section "$(basename "$b")" "$b"
	done
	# The user-side arena figures through the Rust driver too.
	section arena_bench-rust_arena env ARENA_DEV=/dev/rust_arena \
		ARENA_KO=/lib/modules/rust_arena.ko arena_bench
	[ -d /sys/kernel/debug/vm_group_pages ] && section group-modules group_modules
	;;
esac
echo "==== DONE"
sync
reboot -f
