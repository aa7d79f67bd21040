// SPDX-License-Identifier: GPL-2.0-only
/*
 * User-space tests of BPF_MAP_TYPE_ARENA (kernel/bpf/arena.c) through the
 * bpf() system call: creation accepted and refused with upstream's error
 * codes, the element operations refused, the user-side rules the map
 * shares with the driver arenas (one user address, fault-in or SIGSEGV,
 * no split, no mremap, the fork rule), the low 32 bits of the user
 * address, memory usage in fdinfo and memory cgroup charging, and the
 * map fd and the mapping released in either order with nothing left in
 * /proc/vmallocinfo.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "kselftest_harness.h"
#include "arena_util.h"

#define PG		4096UL
#define NPAGES		64UL
#define SIZE		(NPAGES * PG)
#define SZ_4G		(1ULL << 32)
/* The window arena's largest size: 4 GiB, 1 GiB with KASAN_VMALLOC. */
#define KASAN_MAX_SIZE	(1ULL << 30)
#define CALLER		"vm_arena_create_window"

/* 0 if @call (a syscall returning an fd or -1) succeeded, else errno. */
#define ERRNO_FD(call)	((call) < 0 ? errno : 0)

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int arena_create(uint32_t type, uint32_t key, uint32_t value,
			uint32_t pages, uint32_t flags, uint64_t extra)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = type;
	attr.key_size = key;
	attr.value_size = value;
	attr.max_entries = pages;
	attr.map_flags = flags;
	attr.map_extra = extra;
	return sys_bpf(BPF_MAP_CREATE, &attr);
}

static int arena(uint32_t pages, uint32_t flags, uint64_t extra)
{
	return arena_create(BPF_MAP_TYPE_ARENA, 0, 0, pages,
			    BPF_F_MMAPABLE | flags, extra);
}

static int elem_op(int cmd, int fd)
{
	union bpf_attr attr;
	char key[8] = { 0 }, val[8] = { 0 };

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	/* A key of key_size 0 is NULL; no field past the command's last. */
	attr.key = 0;
	if (cmd == BPF_MAP_LOOKUP_ELEM || cmd == BPF_MAP_UPDATE_ELEM)
		attr.value = (uintptr_t)val;
	else if (cmd == BPF_MAP_GET_NEXT_KEY)
		attr.next_key = (uintptr_t)key;
	return sys_bpf(cmd, &attr);
}

/* ---- catching faults ---- */

static sigjmp_buf fault_jmp;
static volatile int fault_sig;

static void fault_handler(int sig)
{
	fault_sig = sig;
	siglongjmp(fault_jmp, 1);
}

/* Read one byte: 0, or the signal it raised. */
static int read_sig(volatile char *p)
{
	struct sigaction sa = { .sa_handler = fault_handler,
				.sa_flags = SA_NODEFER };
	struct sigaction old_segv, old_bus;

	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	fault_sig = 0;
	if (sigsetjmp(fault_jmp, 1) == 0)
		(void)*p;
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return fault_sig;
}

/*
 * The map's last reference is dropped from a work item: wait for the
 * count to come down, up to five seconds.
 */
static int vmallocinfo_settles(const char *what, int want)
{
	int i, n = -1;

	for (i = 0; i < 500; i++) {
		n = count_vmallocinfo(what);
		if (n == want)
			break;
		usleep(10000);
	}
	return n;
}

/* A number from the fd's fdinfo line "@key:\t<n>" (decimal or 0x), or -1. */
static long long fdinfo_num(int fd, const char *key)
{
	char path[64], buf[2048], *l;
	long long v = -1;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	if (f < 0)
		return -1;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	for (l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
		if (!strncmp(l, key, strlen(key)) && l[strlen(key)] == ':')
			v = strtoll(l + strlen(key) + 1, NULL, 0);
	return v;
}

/*
 * Is this a KASAN kernel?  Its boot log says so.  /dev/kmsg reads from
 * the oldest record kept, whatever "dmesg -c" cleared (the syslog call
 * would start after that).
 */
static bool kasan_kernel(void)
{
	static int known = -1;
	char rec[2048];
	ssize_t n;
	int fd;

	if (known >= 0)
		return known;
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return false;
	known = 0;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* a record overwritten meanwhile */
		if (n <= 0)
			break;
		rec[n] = 0;
		if (strstr(rec, "KernelAddressSanitizer initialized")) {
			known = 1;
			break;
		}
	}
	close(fd);
	return known;
}

static uint64_t max_size(void)
{
	return kasan_kernel() ? KASAN_MAX_SIZE : SZ_4G;
}

static void *map_arena(int fd, void *addr, size_t len, int flags)
{
	return mmap(addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | flags,
		    fd, 0);
}

/* ---- creation ---- */

TEST(create_refused)
{
	const uint32_t max_pages = SZ_4G / PG;

	/* Upstream's checks, with upstream's error codes. */
	EXPECT_EQ(EINVAL, ERRNO_FD(arena_create(BPF_MAP_TYPE_ARENA, 0, 0,
						NPAGES, 0, 0)));
	EXPECT_EQ(EINVAL, ERRNO_FD(arena_create(BPF_MAP_TYPE_ARENA, 4, 0,
						NPAGES, BPF_F_MMAPABLE, 0)));
	EXPECT_EQ(EINVAL, ERRNO_FD(arena_create(BPF_MAP_TYPE_ARENA, 0, 8,
						NPAGES, BPF_F_MMAPABLE, 0)));
	EXPECT_EQ(EINVAL, ERRNO_FD(arena(0, 0, 0)));
	EXPECT_EQ(EINVAL, ERRNO_FD(arena(NPAGES, BPF_F_NO_PREALLOC, 0)));
	EXPECT_EQ(EINVAL, ERRNO_FD(arena(NPAGES, BPF_F_INNER_MAP, 0)));
	EXPECT_EQ(EINVAL, ERRNO_FD(arena(NPAGES, 1U << 19, 0)));
	EXPECT_EQ(EINVAL, ERRNO_FD(arena(NPAGES, 0, 0x7f0000000800ULL)));
	/* More than 4 GiB: page counts past the limit. */
	EXPECT_EQ(E2BIG, ERRNO_FD(arena(max_pages + 1, 0, 0)));
	EXPECT_EQ(E2BIG, ERRNO_FD(arena(0xffffffffU, 0, 0)));
	/* A user range across a 4 GiB boundary. */
	EXPECT_EQ(ERANGE, ERRNO_FD(arena(512, 0, 0x7f00fff00000ULL)));
	EXPECT_EQ(ERANGE, ERRNO_FD(arena(max_pages, 0, 0x7f0000001000ULL)));
	/* The reserved value before ARENA is no map here. */
	EXPECT_EQ(33, BPF_MAP_TYPE_ARENA);
	EXPECT_EQ(32, BPF_MAP_TYPE_CGRP_STORAGE);
	EXPECT_EQ(EINVAL, ERRNO_FD(arena_create(BPF_MAP_TYPE_CGRP_STORAGE, 4,
						8, 0, 0, 0)));
	EXPECT_EQ(EINVAL, ERRNO_FD(arena_create(BPF_MAP_TYPE_CGRP_STORAGE, 0,
						0, NPAGES, BPF_F_MMAPABLE, 0)));
	/* map_extra stays refused for the other map types. */
	EXPECT_EQ(EINVAL, ERRNO_FD(arena_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1,
						BPF_F_MMAPABLE, 0x10000)));
	EXPECT_EQ(1U << 17, BPF_F_SEGV_ON_FAULT);
	EXPECT_EQ(1U << 18, BPF_F_NO_USER_CONV);
}

TEST(create_accepted)
{
	uint64_t max = max_size();
	int fd;

	TH_LOG("largest arena: %llu MiB%s", (unsigned long long)(max >> 20),
	       kasan_kernel() ? " (KASAN_VMALLOC)" : "");
	fd = arena(1, 0, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(BPF_MAP_TYPE_ARENA, fdinfo_num(fd, "map_type"));
	EXPECT_EQ(1, fdinfo_num(fd, "max_entries"));
	EXPECT_EQ(0, fdinfo_num(fd, "key_size"));
	close(fd);

	fd = arena(max / PG, 0, 0);
	ASSERT_LE(0, fd);
	close(fd);
	if (max < SZ_4G)
		EXPECT_EQ(E2BIG, ERRNO_FD(arena(max / PG + 1, 0, 0)));

	/* Every flag, and a user address ending just below 4 GiB. */
	fd = arena(NPAGES, BPF_F_SEGV_ON_FAULT | BPF_F_NO_USER_CONV,
		   0x7f0100000000ULL - SIZE);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0x7f0100000000LL - (long long)SIZE,
		  fdinfo_num(fd, "map_extra"));
	EXPECT_EQ(BPF_F_MMAPABLE | BPF_F_SEGV_ON_FAULT | BPF_F_NO_USER_CONV,
		  fdinfo_num(fd, "map_flags"));
	close(fd);
}

TEST(elements_refused)
{
	int fd = arena(NPAGES, 0, 0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(EINVAL, ERRNO_FD(elem_op(BPF_MAP_LOOKUP_ELEM, fd)));
	EXPECT_EQ(EOPNOTSUPP, ERRNO_FD(elem_op(BPF_MAP_UPDATE_ELEM, fd)));
	EXPECT_EQ(EOPNOTSUPP, ERRNO_FD(elem_op(BPF_MAP_DELETE_ELEM, fd)));
	EXPECT_EQ(EOPNOTSUPP, ERRNO_FD(elem_op(BPF_MAP_GET_NEXT_KEY, fd)));
	close(fd);
}

/* ---- the user side ---- */

TEST(mmap_rules)
{
	int fd = arena(NPAGES, 0, 0);
	char *p, *q;

	ASSERT_LE(0, fd);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE, fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, map_arena(fd, NULL, SIZE / 2, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, PG));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, SIZE, PROT_READ | PROT_EXEC,
				   MAP_SHARED, fd, 0));
	/* A first MAP_FIXED address whose low 32 bits are not 0. */
	EXPECT_EQ(MAP_FAILED, map_arena(fd, (void *)0x7e0000010000ULL, SIZE,
					MAP_FIXED));
	EXPECT_EQ(EBUSY, errno);

	p = map_arena(fd, NULL, SIZE, 0);
	ASSERT_NE(MAP_FAILED, p);
	/* The low 32 bits of a user address are its kernel offset. */
	EXPECT_EQ(0, (uintptr_t)p & 0xffffffffUL);
	/* One user address: a second mapping elsewhere is refused... */
	EXPECT_EQ(MAP_FAILED, map_arena(fd, p + SZ_4G, SIZE, MAP_FIXED));
	EXPECT_EQ(EBUSY, errno);
	/* ...and at the same address without MAP_FIXED too (it is taken). */
	EXPECT_EQ(MAP_FAILED, map_arena(fd, NULL, SIZE, 0));
	EXPECT_EQ(EBUSY, errno);
	/* MAP_FIXED over itself replaces the mapping, same address. */
	q = map_arena(fd, p, SIZE, MAP_FIXED);
	EXPECT_EQ(p, q);

	p[3 * PG] = 42;
	/* No split: partial munmap and mprotect are refused. */
	EXPECT_EQ(EINVAL, ERRNO_FD(munmap(p, PG)));
	EXPECT_EQ(EINVAL, ERRNO_FD(munmap(p + SIZE - PG, PG)));
	EXPECT_EQ(EINVAL, ERRNO_FD(mprotect(p + PG, PG, PROT_READ)));
	/* No mremap: neither moved nor resized. */
	EXPECT_EQ(MAP_FAILED, mremap(p, SIZE, SIZE, MREMAP_MAYMOVE |
				     MREMAP_FIXED, p + SZ_4G));
	EXPECT_EQ(MAP_FAILED, mremap(p, SIZE, 2 * SIZE, MREMAP_MAYMOVE));
	EXPECT_EQ(MAP_FAILED, mremap(p, SIZE, SIZE / 2, 0));
	/* Never executable. */
	EXPECT_EQ(EACCES, ERRNO_FD(mprotect(p, SIZE, PROT_READ | PROT_EXEC)));
	EXPECT_EQ(42, p[3 * PG]);
	EXPECT_EQ(0, munmap(p, SIZE));
	close(fd);
}

TEST(map_extra_is_the_address)
{
	const uint64_t addr = 0x7e1234560000ULL;
	int fd = arena(NPAGES, 0, addr);
	char *p;

	ASSERT_LE(0, fd);
	EXPECT_EQ(MAP_FAILED, map_arena(fd, (void *)(addr + SZ_4G), SIZE,
					MAP_FIXED));
	EXPECT_EQ(EBUSY, errno);
	p = map_arena(fd, NULL, SIZE, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(addr, (uintptr_t)p);
	EXPECT_EQ(0, munmap(p, SIZE));
	p = map_arena(fd, (void *)addr, SIZE, MAP_FIXED);
	EXPECT_EQ(addr, (uintptr_t)p);
	p[SIZE - 1] = 7;
	EXPECT_EQ(7, p[SIZE - 1]);
	EXPECT_EQ(0, munmap(p, SIZE));
	close(fd);
}

TEST(fault_in_zeroed_and_counted)
{
	int fd = arena(NPAGES, 0, 0);
	long long m0, m1;
	char *p;
	int k;

	ASSERT_LE(0, fd);
	p = map_arena(fd, NULL, SIZE, 0);
	ASSERT_NE(MAP_FAILED, p);
	m0 = fdinfo_num(fd, "memlock");
	/* The structures: bitmaps, index, the map; no page yet. */
	EXPECT_LT(0, m0);
	EXPECT_GT(64 * 1024, m0);
	for (k = 0; k < 16; k++) {
		EXPECT_EQ(0, p[k * 4 * PG + 100]);
		p[k * 4 * PG] = k + 1;
	}
	m1 = fdinfo_num(fd, "memlock");
	TH_LOG("memlock %lld -> %lld after 16 pages", m0, m1);
	/*
	 * Sixteen pages, index nodes, and the page tables under them unless
	 * a table a neighbouring area shares was there (and counted) already.
	 */
	EXPECT_LT(m0 + 16 * (long long)PG, m1);
	EXPECT_GT(m0 + 24 * (long long)PG, m1);
	for (k = 0; k < 16; k++)
		EXPECT_EQ(k + 1, p[k * 4 * PG]);
	EXPECT_EQ(0, munmap(p, SIZE));
	close(fd);
}

TEST(segv_on_fault)
{
	int fd = arena(NPAGES, BPF_F_SEGV_ON_FAULT, 0);
	char *p;

	ASSERT_LE(0, fd);
	p = map_arena(fd, NULL, SIZE, 0);
	ASSERT_NE(MAP_FAILED, p);
	/* No page was allocated for it: the touch is a SIGSEGV. */
	EXPECT_EQ(SIGSEGV, read_sig(p));
	EXPECT_EQ(SIGSEGV, read_sig(p + SIZE - 1));
	EXPECT_EQ(0, munmap(p, SIZE));
	close(fd);

	/* Without the flag the same touch allocates a page. */
	fd = arena(NPAGES, 0, 0);
	ASSERT_LE(0, fd);
	p = map_arena(fd, NULL, SIZE, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, read_sig(p));
	EXPECT_EQ(0, munmap(p, SIZE));
	close(fd);
}

/*
 * fork: the mapping is not inherited (the child's touch faults), but the
 * child may map the fd again, at the same address, and sees the parent's
 * pages; with MADV_DOFORK it inherits the mapping.
 */
TEST(fork_rule)
{
	int fd = arena(NPAGES, 0, 0), status;
	pid_t child;
	char *p;

	ASSERT_LE(0, fd);
	p = map_arena(fd, NULL, SIZE, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[5 * PG] = 'p';

	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		char *c;

		if (read_sig(p + 5 * PG) != SIGSEGV)
			_exit(1);
		if (map_arena(fd, p + SZ_4G, SIZE, MAP_FIXED) != MAP_FAILED)
			_exit(2);
		c = map_arena(fd, NULL, SIZE, 0);
		if (c != p)
			_exit(3);
		if (c[5 * PG] != 'p')
			_exit(4);
		c[6 * PG] = 'c';
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ('c', p[6 * PG]);

	ASSERT_EQ(0, madvise(p, SIZE, MADV_DOFORK));
	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		_exit(p[5 * PG] == 'p' && p[6 * PG] == 'c' ? 0 : 1);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, munmap(p, SIZE));
	close(fd);
}

/* ---- lifetime ---- */

/* The map fd closed first: the mapping keeps the arena and its pages. */
TEST(close_then_munmap)
{
	/* Earlier cases' maps are freed from a work item: all gone first. */
	int before = vmallocinfo_settles(CALLER, 0);
	int fd = arena(NPAGES, 0, 0);
	char *p;
	int k;

	ASSERT_EQ(0, before);
	ASSERT_LE(0, fd);
	p = map_arena(fd, NULL, SIZE, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (k = 0; k < 16; k++)
		p[k * PG] = k + 1;
	EXPECT_EQ(before + 1, count_vmallocinfo(CALLER));
	close(fd);
	EXPECT_EQ(before + 1, vmallocinfo_settles(CALLER, before + 1));
	for (k = 0; k < 16; k++)
		EXPECT_EQ(k + 1, p[k * PG]);
	/* Still faults in new pages. */
	EXPECT_EQ(0, p[20 * PG]);
	EXPECT_EQ(0, munmap(p, SIZE));
	EXPECT_EQ(before, vmallocinfo_settles(CALLER, before));
}

/* The mapping gone first: the fd keeps the arena and its pages. */
TEST(munmap_then_close)
{
	/* Earlier cases' maps are freed from a work item: all gone first. */
	int before = vmallocinfo_settles(CALLER, 0);
	int fd = arena(NPAGES, 0, 0);
	char *p;

	ASSERT_EQ(0, before);
	ASSERT_LE(0, fd);
	p = map_arena(fd, NULL, SIZE, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[9 * PG] = 'x';
	EXPECT_EQ(0, munmap(p, SIZE));
	EXPECT_EQ(before + 1, count_vmallocinfo(CALLER));
	/* Mapped again, at the same address, with the same data. */
	p = map_arena(fd, NULL, SIZE, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ('x', p[9 * PG]);
	EXPECT_EQ(0, munmap(p, SIZE));
	close(fd);
	EXPECT_EQ(before, vmallocinfo_settles(CALLER, before));
}

/* Many maps, some mapped, closed in a mix of orders: nothing is left. */
TEST(no_leak)
{
	/* Earlier cases' maps are freed from a work item: all gone first. */
	int before = vmallocinfo_settles(CALLER, 0);
	char *p[16];
	int fd[16], k;

	ASSERT_EQ(0, before);
	for (k = 0; k < 16; k++) {
		fd[k] = arena(NPAGES, 0, 0);
		ASSERT_LE(0, fd[k]);
		p[k] = map_arena(fd[k], NULL, SIZE, 0);
		ASSERT_NE(MAP_FAILED, p[k]);
		p[k][k * PG] = 1;
	}
	EXPECT_EQ(before + 16, count_vmallocinfo(CALLER));
	for (k = 0; k < 16; k++) {
		if (k & 1) {
			close(fd[k]);
			EXPECT_EQ(0, munmap(p[k], SIZE));
		} else {
			EXPECT_EQ(0, munmap(p[k], SIZE));
			close(fd[k]);
		}
	}
	EXPECT_EQ(before, vmallocinfo_settles(CALLER, before));
}

/*
 * The window reservation in /proc/vmallocinfo: 4 GiB and the guards (the
 * arena and the guards under KASAN_VMALLOC), with vmalloc's guard page.
 * The size column, since the addresses may be hidden (%pK).
 */
TEST(window_in_vmallocinfo)
{
	unsigned long long size, want;
	char line[512], *sp;
	FILE *f;
	int fd = arena(NPAGES, 0, 0), found = 0;

	ASSERT_LE(0, fd);
	want = (kasan_kernel() ? SIZE : SZ_4G) + 2 * 65536 + PG;
	f = fopen("/proc/vmallocinfo", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, CALLER))
			continue;
		sp = strchr(line, ' ');
		if (!sp)
			continue;
		size = strtoull(sp, NULL, 10);
		if (size == want)
			found++;
		else
			TH_LOG("other window: %llu bytes", size);
	}
	fclose(f);
	EXPECT_LE(1, found);
	close(fd);
}

/* ---- memory cgroup ---- */

#define CG		"/sys/fs/cgroup"
#define CG_PAGES	1024UL

/*
 * Pages are charged to the memory cgroup of the task that created the
 * map, even when a task in another cgroup faults them in; the map's last
 * reference uncharges them.
 */
TEST(pages_charged_to_creator_cgroup)
{
	long long a0, a1, a2, b0, b1;
	char pid[32];
	int fd, k;
	char *p;

	mkdir(CG, 0755);
	if (access(CG "/cgroup.procs", F_OK))
		ASSERT_EQ(0, mount("none", CG, "cgroup2", 0, NULL));
	ASSERT_EQ(0, write_file(CG "/cgroup.subtree_control", "+memory"));
	mkdir(CG "/bpf_arena_a", 0755);
	mkdir(CG "/bpf_arena_b", 0755);
	snprintf(pid, sizeof(pid), "%d", getpid());

	/* Created in bpf_arena_a... */
	ASSERT_EQ(0, write_file(CG "/bpf_arena_a/cgroup.procs", pid));
	a0 = read_num(CG "/bpf_arena_a/memory.current");
	fd = arena(CG_PAGES, 0, 0);
	ASSERT_LE(0, fd);
	a1 = read_num(CG "/bpf_arena_a/memory.current");
	/* ...faulted in from bpf_arena_b. */
	ASSERT_EQ(0, write_file(CG "/bpf_arena_b/cgroup.procs", pid));
	b0 = read_num(CG "/bpf_arena_b/memory.current");
	p = map_arena(fd, NULL, CG_PAGES * PG, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (k = 0; k < (int)CG_PAGES; k++)
		p[k * PG] = 1;
	a2 = read_num(CG "/bpf_arena_a/memory.current");
	b1 = read_num(CG "/bpf_arena_b/memory.current");
	TH_LOG("creator %lld -> %lld -> %lld, faulting task %lld -> %lld",
	       a0, a1, a2, b0, b1);
	/*
	 * Every page to the creator, less what the per-CPU charge stock
	 * (MEMCG_CHARGE_BATCH, 64 pages) held before: memory.current moves
	 * in batches, so the map's own structures may not show in a1.
	 */
	EXPECT_LE(a0, a1);
	EXPECT_GE(a2 - a0, (long long)((CG_PAGES - 64) * PG));
	/* The faulting task pays only for its page tables. */
	EXPECT_LT(b1 - b0, (long long)(CG_PAGES * PG / 4));
	EXPECT_EQ(0, munmap(p, CG_PAGES * PG));
	close(fd);
	/* The last reference (a work item) uncharges them. */
	for (k = 0; k < 200; k++) {
		if (read_num(CG "/bpf_arena_a/memory.current") <
		    a2 - (long long)(CG_PAGES * PG) / 2)
			break;
		usleep(10000);
	}
	EXPECT_LT(read_num(CG "/bpf_arena_a/memory.current"),
		  a2 - (long long)(CG_PAGES * PG) / 2);
	write_file(CG "/cgroup.procs", "0");
	rmdir(CG "/bpf_arena_a");
	rmdir(CG "/bpf_arena_b");
}

/*
 * memory.max on the creator's cgroup: once it is reached a fault cannot
 * allocate and the touch is a SIGBUS, not an OOM loop.
 */
TEST(memcg_limit_sigbus)
{
	char pid[32];
	int status;
	pid_t child;

	mkdir(CG, 0755);
	if (access(CG "/cgroup.procs", F_OK))
		ASSERT_EQ(0, mount("none", CG, "cgroup2", 0, NULL));
	ASSERT_EQ(0, write_file(CG "/cgroup.subtree_control", "+memory"));
	mkdir(CG "/bpf_arena_lim", 0755);
	ASSERT_EQ(0, write_file(CG "/bpf_arena_lim/memory.max", "8388608"));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		int fd, k, sig = 0;
		char *p;

		snprintf(pid, sizeof(pid), "%d", getpid());
		if (write_file(CG "/bpf_arena_lim/cgroup.procs", pid) ||
		    write_file("/proc/self/oom_score_adj", "-1000"))
			_exit(1);
		fd = arena(4096, 0, 0);
		if (fd < 0)
			_exit(2);
		p = map_arena(fd, NULL, 4096 * PG, 0);
		if (p == MAP_FAILED)
			_exit(3);
		/* 16 MiB of pages against an 8 MiB limit. */
		for (k = 0; k < 4096 && !sig; k++) {
			sig = read_sig(p + k * PG);
			if (!sig)
				p[k * PG] = 1;
		}
		_exit(sig == SIGBUS && k > 16 ? 0 : 4);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	rmdir(CG "/bpf_arena_lim");
}

TEST_HARNESS_MAIN
