// SPDX-License-Identifier: GPL-2.0-only
/*
 * Systematic fault injection through an arena driver: before each ioctl
 * (and mmap) write N to /proc/thread-self/fail-nth, so that the Nth slab
 * or page allocation the call makes fails, for N = 1, 2, ... until the
 * call runs to its end without reaching the failure.  After every injected
 * failure the call must have failed with a documented errno (or succeeded,
 * where it can do without the allocation) and left the arena as it was:
 * the same pages in use, the same arenas in /proc/vmallocinfo.  Each test
 * prints "# fail-nth: <call> points=<failure points reached>".
 *
 * Needs failslab and fail_page_alloc armed for fail-nth (ignore-gfp-wait
 * N, min-order 0, verbose 0, probability 0): scripts/init.sh does it.
 * ARENA_DEV and ARENA_KO choose the driver, as for arena_test.
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
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/vm_arena.h>

#include "kselftest_harness.h"
#include "arena_util.h"

#define PG		4096UL
#define REGION		(2UL << 20)	/* one kernel PTE page's worth */
#define BIG_SIZE	(512 * REGION)	/* 1 GiB */
#define SMALL_SIZE	(4UL << 20)	/* little KASAN shadow to populate */
#define MAX_TRIES	300U
#define LIST_NODES	1000UL		/* four pages of nodes */

/* ---- /proc/thread-self/fail-nth, opened once: no allocation later ---- */

static int nth_fd = -1;

static int nth_open(void)
{
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	return nth_fd;
}

static void nth_set(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth_fd, buf, len, 0) != len)
		abort();
}

/* Injections still to go: 0 once the Nth allocation has failed. */
static unsigned int nth_left(void)
{
	char buf[16] = { 0 };

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		abort();
	return strtoul(buf, NULL, 10);
}

static int arenas_in_vmallocinfo(void)
{
	FILE *f = fopen("/proc/vmallocinfo", "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += !!strstr(line, "vm_arena_create");
	fclose(f);
	return n;
}

/* One injected call: its return, errno in *err, and whether it ran out. */
struct shot {
	int ret;
	int err;
	bool clean;		/* ran to its end: the injection was not reached */
};

static struct shot fire(unsigned int n, int fd, unsigned long cmd, void *arg)
{
	struct shot s;

	nth_set(n);
	s.ret = ioctl(fd, cmd, arg);
	s.err = errno;
	s.clean = nth_left() != 0;
	nth_set(0);
	return s;
}

static void report(const char *what, unsigned int points)
{
	ksft_print_msg("fail-nth: %s %s points=%u\n", dev_path(), what, points);
	fflush(stdout);		/* the test runs in a child that _exit()s */
}

FIXTURE(big) {
	int fd;
	char *base;
};

FIXTURE_SETUP(big)
{
	struct arena_alloc a = { .offset = BIG_SIZE - PG, .count = 1,
				 .node = -1, .flags = VM_ARENA_ALLOC_POPULATE };

	ASSERT_LE(0, nth_open());
	self->fd = open_dev();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, setup(self->fd, BIG_SIZE, 0));
	self->base = mmap(NULL, BIG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->base);
	/* Page-table levels above the PTE pages exist at both ends. */
	ASSERT_EQ(0, ioctl(self->fd, ARENA_IOC_ALLOC, &a));
	ASSERT_EQ(0, range_op(self->fd, ARENA_IOC_FREE, a.offset, 1));
	a.offset = 0;
	ASSERT_EQ(0, ioctl(self->fd, ARENA_IOC_ALLOC, &a));
	ASSERT_EQ(0, range_op(self->fd, ARENA_IOC_FREE, 0, 1));
	nth_left();
}

FIXTURE_TEARDOWN(big)
{
	munmap(self->base, BIG_SIZE);
	close(self->fd);
	close(nth_fd);
}

/*
 * Byte offset of 2 MiB region n from the top of the arena.  The arena's
 * kernel range may reuse addresses an earlier user of the vmalloc space
 * left page tables behind at, likelier at its bottom than at its top.
 */
static uint64_t region(unsigned int n)
{
	return BIG_SIZE - (n + 1) * REGION;
}

/*
 * ALLOC of @count pages in region n at try n: fresh kernel and user page
 * tables every time, as for the first allocation there.
 */
static void sweep_alloc(struct __test_metadata *_metadata, int fd, char *base,
			uint64_t count, uint32_t flags, const char *what)
{
	unsigned int n, points = 0;
	struct shot s = { 0 };

	for (n = 1; n <= MAX_TRIES; n++) {
		struct arena_alloc a = { .offset = region(n), .count = count,
					 .node = -1, .flags = flags };
		uint64_t used = info(fd).pages_in_use;

		s = fire(n, fd, ARENA_IOC_ALLOC, &a);
		points += !s.clean;
		if (s.ret) {
			ASSERT_FALSE(s.clean) TH_LOG("%s failed uninjected: %d", what, s.err);
			ASSERT_EQ(ENOMEM, s.err) TH_LOG("%s, allocation %u failing", what, n);
			ASSERT_EQ(used, info(fd).pages_in_use);
			ASSERT_EQ(-1, range_op(fd, ARENA_IOC_FREE, region(n), 1));
			ASSERT_EQ(ENOENT, errno);
			continue;
		}
		ASSERT_EQ(region(n), a.offset);
		ASSERT_EQ(used + count, info(fd).pages_in_use);
		/* Zeroed and shared, populated or faulted in. */
		ASSERT_EQ(0, base[a.offset + (count - 1) * PG]);
		base[a.offset] = 1;
		ASSERT_EQ(0, range_op(fd, ARENA_IOC_FREE, a.offset, count));
		ASSERT_EQ(used, info(fd).pages_in_use);
		if (s.clean)
			break;
	}
	ASSERT_TRUE(s.clean);
	report(what, points);
}

TEST_F(big, alloc_1)
{
	sweep_alloc(_metadata, self->fd, self->base, 1, 0, "ALLOC(1)");
}

TEST_F(big, alloc_64)
{
	sweep_alloc(_metadata, self->fd, self->base, 64, 0, "ALLOC(64)");
}

TEST_F(big, alloc_populate)
{
	sweep_alloc(_metadata, self->fd, self->base, 64,
		    VM_ARENA_ALLOC_POPULATE, "ALLOC(64, POPULATE)");
}

static sigjmp_buf bus_jmp;

static void bus_handler(int sig)
{
	siglongjmp(bus_jmp, 1);
}

/*
 * A user fault that allocates a page, with its Nth allocation failing:
 * the read either succeeds (the fault did without the allocation, or was
 * retried) or raises SIGBUS (Documentation/mm/vm_arena.rst: a fault whose
 * page allocation fails), and nothing is left half-allocated.
 */
TEST_F(big, fault)
{
	struct sigaction sa = { .sa_handler = bus_handler,
				.sa_flags = SA_NODEFER };
	unsigned int n, points = 0, sigbus = 0;
	char *p;
	struct shot s = { 0 };

	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	for (n = 1; n <= MAX_TRIES; n++) {
		uint64_t used = info(self->fd).pages_in_use;
		uint64_t faults = info(self->fd).user_faults;
		bool bus = false;
		char v = 1;

		p = self->base + region(n);
		if (sigsetjmp(bus_jmp, 1) == 0) {
			nth_set(n);
			v = __atomic_load_n(p, __ATOMIC_RELAXED);
		} else {
			bus = true;
		}
		s.clean = nth_left() != 0;
		nth_set(0);
		points += !s.clean;
		if (bus) {
			sigbus++;
			ASSERT_FALSE(s.clean);
			ASSERT_EQ(used, info(self->fd).pages_in_use);
			ASSERT_EQ(-1, range_op(self->fd, ARENA_IOC_FREE, region(n), 1));
			ASSERT_EQ(ENOENT, errno);
			continue;
		}
		ASSERT_EQ(0, v);
		ASSERT_EQ(used + 1, info(self->fd).pages_in_use);
		ASSERT_EQ(faults + 1, info(self->fd).user_faults);
		ASSERT_EQ(0, range_op(self->fd, ARENA_IOC_FREE, region(n), 1));
		if (s.clean)
			break;
	}
	ASSERT_TRUE(s.clean);
	ksft_print_msg("fail-nth: %s fault: SIGBUS after %u of the failures\n",
		       dev_path(), sigbus);
	report("fault", points);
}

TEST_F(big, free)
{
	unsigned int n, points = 0;
	struct shot s = { 0 };

	for (n = 1; n <= MAX_TRIES; n++) {
		struct arena_alloc a = { .offset = REGION, .count = 64,
					 .node = -1 };
		struct arena_range r = { .offset = REGION, .count = 64 };

		ASSERT_EQ(0, ioctl(self->fd, ARENA_IOC_ALLOC, &a));
		self->base[REGION] = 1;
		s = fire(n, self->fd, ARENA_IOC_FREE, &r);
		points += !s.clean;
		/* A free needs no memory: it always succeeds. */
		ASSERT_EQ(0, s.ret) TH_LOG("FREE, allocation %u failing: %d", n, s.err);
		ASSERT_EQ(0, info(self->fd).pages_in_use);
		if (s.clean)
			break;
	}
	ASSERT_TRUE(s.clean);
	report("FREE(64)", points);
}

TEST_F(big, reserve)
{
	unsigned int n, points = 0;
	struct shot s = { 0 };

	for (n = 1; n <= MAX_TRIES; n++) {
		struct arena_range r = { .offset = region(n), .count = 4 };

		s = fire(n, self->fd, ARENA_IOC_RESERVE, &r);
		points += !s.clean;
		ASSERT_EQ(0, s.ret) TH_LOG("RESERVE, allocation %u failing: %d", n, s.err);
		ASSERT_EQ(0, info(self->fd).pages_in_use);
		ASSERT_EQ(-1, range_op(self->fd, ARENA_IOC_RESERVE, region(n), 1));
		ASSERT_EQ(EBUSY, errno);
		if (s.clean)
			break;
	}
	ASSERT_TRUE(s.clean);
	report("RESERVE(4)", points);
}

/* Walk a list the kernel built; return the number of nodes. */
static uint64_t walk(uint64_t head, uint64_t *sum)
{
	struct arena_list_node *node;
	uint64_t n = 0;

	*sum = 0;
	for (; head; head = node->next, n++) {
		node = (struct arena_list_node *)(uintptr_t)head;
		*sum += node->value;
	}
	return n;
}

static uint64_t list_sum(uint64_t count)
{
	return count * (3 * count - 1) / 2;
}

TEST_F(big, build_list)
{
	unsigned int n, points = 0;
	struct shot s = { 0 };
	uint64_t user = (uintptr_t)self->base, sum;
	struct arena_build_list w = { .count = LIST_NODES };

	/* Once first, so that every try finds the same page tables. */
	ASSERT_EQ(0, ioctl(self->fd, ARENA_IOC_BUILD_LIST, &w));
	ASSERT_EQ(0, range_op(self->fd, ARENA_IOC_FREE, w.head - user, w.pages));
	for (n = 1; n <= MAX_TRIES; n++) {
		struct arena_build_list b = { .count = LIST_NODES };

		s = fire(n, self->fd, ARENA_IOC_BUILD_LIST, &b);
		points += !s.clean;
		if (s.ret) {
			ASSERT_FALSE(s.clean);
			ASSERT_EQ(ENOMEM, s.err) TH_LOG("BUILD_LIST, allocation %u failing", n);
			ASSERT_EQ(0, info(self->fd).pages_in_use);
			continue;
		}
		ASSERT_EQ(4, b.pages);
		ASSERT_EQ(4, info(self->fd).pages_in_use);
		ASSERT_EQ(LIST_NODES, walk(b.head, &sum));
		ASSERT_EQ(list_sum(LIST_NODES), sum);
		ASSERT_EQ(0, range_op(self->fd, ARENA_IOC_FREE, b.head - user, b.pages));
		if (s.clean)
			break;
	}
	ASSERT_TRUE(s.clean);
	report("BUILD_LIST(1000)", points);
}

TEST_F(big, sum_list)
{
	unsigned int n, points = 0;
	struct shot s = { 0 };
	struct arena_build_list b = { .count = LIST_NODES };

	ASSERT_EQ(0, ioctl(self->fd, ARENA_IOC_BUILD_LIST, &b));
	for (n = 1; n <= MAX_TRIES; n++) {
		struct arena_sum_list q = { .head = b.head };

		s = fire(n, self->fd, ARENA_IOC_SUM_LIST, &q);
		points += !s.clean;
		ASSERT_EQ(0, s.ret) TH_LOG("SUM_LIST, allocation %u failing: %d", n, s.err);
		ASSERT_EQ(LIST_NODES, q.count);
		ASSERT_EQ(list_sum(LIST_NODES), q.sum);
		ASSERT_EQ(4, info(self->fd).pages_in_use);
		if (s.clean)
			break;
	}
	ASSERT_TRUE(s.clean);
	report("SUM_LIST(1000)", points);
}

/* SETUP on a new file at every try: nothing may stay behind a failure. */
TEST(setup_ioctl)
{
	unsigned int n, points = 0;
	struct shot s = { 0 };
	int lines = arenas_in_vmallocinfo();

	ASSERT_LE(0, nth_open());
	nth_left();
	ASSERT_LE(0, lines);
	for (n = 1; n <= MAX_TRIES; n++) {
		struct arena_setup a = { .size = SMALL_SIZE };
		int fd = open_dev();
		struct arena_info i;

		ASSERT_LE(0, fd);
		s = fire(n, fd, ARENA_IOC_SETUP, &a);
		points += !s.clean;
		if (s.ret) {
			ASSERT_FALSE(s.clean);
			ASSERT_EQ(ENOMEM, s.err) TH_LOG("SETUP, allocation %u failing", n);
			ASSERT_EQ(-1, ioctl(fd, ARENA_IOC_INFO, &i));
			ASSERT_EQ(ENXIO, errno);
			ASSERT_EQ(lines, arenas_in_vmallocinfo());
		} else {
			ASSERT_EQ(lines + 1, arenas_in_vmallocinfo());
			ASSERT_EQ(0, info(fd).pages_in_use);
		}
		close(fd);
		ASSERT_EQ(lines, arenas_in_vmallocinfo());
		if (s.clean)
			break;
	}
	ASSERT_TRUE(s.clean);
	report("SETUP(4 MiB)", points);
	close(nth_fd);
}

/* mmap() of a new arena at every try. */
TEST(mmap_arena)
{
	unsigned int n, points = 0;
	struct shot s = { 0 };
	int lines = arenas_in_vmallocinfo();
	unsigned int kept = 0;
	void *warm;

	ASSERT_LE(0, nth_open());
	nth_left();
	/* The mmap() wrapper and its page tables are in place. */
	warm = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, warm);
	munmap(warm, PG);
	for (n = 1; n <= MAX_TRIES; n++) {
		int fd = open_dev();
		char *p;

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, setup(fd, SMALL_SIZE, 0));
		nth_set(n);
		p = mmap(NULL, SMALL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, 0);
		s.err = errno;
		s.clean = nth_left() != 0;
		nth_set(0);
		points += !s.clean;
		if (p == MAP_FAILED) {
			ASSERT_FALSE(s.clean);
			ASSERT_EQ(ENOMEM, s.err) TH_LOG("mmap, allocation %u failing", n);
			ASSERT_EQ(0, info(fd).pages_in_use);
			/* The failed mapping's address may stay the arena's. */
			kept += info(fd).user_addr != 0;
		} else {
			p[5 * PG] = 1;		/* a fault allocates a page */
			ASSERT_EQ(1, info(fd).pages_in_use);
			ASSERT_EQ(0, munmap(p, SMALL_SIZE));
		}
		close(fd);
		ASSERT_EQ(lines, arenas_in_vmallocinfo());
		if (s.clean)
			break;
	}
	ASSERT_TRUE(s.clean);
	ksft_print_msg("fail-nth: %s mmap: user_addr set after %u of the failures\n",
		       dev_path(), kept);
	report("mmap(4 MiB)", points);
	close(nth_fd);
}

TEST_HARNESS_MAIN
