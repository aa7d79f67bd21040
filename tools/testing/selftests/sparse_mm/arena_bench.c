// SPDX-License-Identifier: GPL-2.0-only
/*
 * User-space arena benchmarks, run by `make bench` in QEMU.  Each figure
 * is the median over interleaved rounds of (arena time / baseline time),
 * printed as a KTAP "# bench:" line followed by ok / not ok against the
 * target:
 *
 *  - fault-in of an arena page vs an anonymous private page (4 KiB
 *    pages: MADV_NOHUGEPAGE; the THP-always figure is printed too);
 *  - ARENA_IOC_ALLOC with VM_ARENA_ALLOC_POPULATE of 4096 pages and a
 *    touch of each vs touching the same 4096 pages lazily (each fault
 *    allocates one).
 *
 * Each is measured two ways, both printed:
 *
 *  - fresh, as an application meets it: every round opens a new arena,
 *    sets it up and maps it, so the kernel page tables of its range, the
 *    user page tables and the index nodes do not exist yet; the
 *    anonymous baseline is a new mapping per round too.  Setup and
 *    teardown are outside the timed part.  The targets apply to these.
 *  - warm: one arena reused round after round (its page tables and index
 *    nodes stay), reported with its own, older target.
 *
 * ARENA_DEV / ARENA_KO select the driver as for arena_test.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/vm_arena.h>

#include "../kselftest.h"

#define PG		4096UL
#define ROUNDS		21
#define FAULT_PAGES	256UL
#define BULK_PAGES	4096UL

static int nr_figures;
static int failed;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, ROUNDS, sizeof(*v), cmp);
	return v[ROUNDS / 2];
}

static void report(const char *name, double ratio, double target,
		   int at_most, const char *detail)
{
	int ok = at_most ? ratio <= target : ratio >= target;

	nr_figures++;
	printf("# bench: %s ratio=%.3f target%s%.3f %s\n", name, ratio,
	       at_most ? "<=" : ">=", target, detail);
	printf("%sok %d %s\n", ok ? "" : "not ", nr_figures, name);
	if (!ok)
		failed = 1;
}

static int open_dev(void)
{
	const char *dev = getenv("ARENA_DEV"), *ko = getenv("ARENA_KO");
	int fd, i;

	dev = dev ? dev : "/dev/arena";
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	fd = open(ko ? ko : "/lib/modules/arena_sample.ko", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST))
		return -1;
	close(fd);
	for (i = 0; i < 100; i++) {
		fd = open(dev, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			return fd;
		usleep(10000);
	}
	return -1;
}

static char *map_arena(int fd, size_t size)
{
	struct arena_setup s = { .size = size };
	char *p;

	if (ioctl(fd, ARENA_IOC_SETUP, &s))
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int free_all(int fd, size_t pages)
{
	struct arena_range r = { .offset = 0, .count = pages };

	return ioctl(fd, ARENA_IOC_FREE, &r);
}

static void touch(volatile char *p, size_t pages)
{
	size_t i;

	for (i = 0; i < pages; i++)
		p[i * PG] = 1;
}

/*
 * One timed operation: @fn with its arguments.  @fd and @base are the
 * warm arena; @pages and @populate parameterise the fresh ones.
 */
struct op {
	uint64_t (*fn)(const struct op *op);
	int fd;
	char *base;
	size_t pages;
	int populate;
	int thp;
};

static uint64_t time_arena_faults(const struct op *op)
{
	uint64_t t = now_ns();

	touch(op->base, FAULT_PAGES);
	t = now_ns() - t;
	if (free_all(op->fd, FAULT_PAGES))
		return 0;
	return t;
}

/* Faults on pages the kernel already allocated: mapping only. */
static uint64_t time_map_faults(const struct op *op)
{
	struct arena_alloc a = { .offset = 0, .count = FAULT_PAGES,
				 .node = -1 };
	uint64_t t;

	if (ioctl(op->fd, ARENA_IOC_ALLOC, &a))
		return 0;
	t = now_ns();
	touch(op->base, FAULT_PAGES);
	t = now_ns() - t;
	return free_all(op->fd, FAULT_PAGES) ? 0 : t;
}

/*
 * A new anonymous private mapping of @pages, touched.  4 KiB faults
 * unless @thp: the kernel has THP "always", and a 16 MiB mapping would
 * otherwise take 2 MiB pages for most of it, which is not the fault an
 * arena page is compared with (the THP figure is printed apart).
 */
static uint64_t time_anon(const struct op *op)
{
	char *p = mmap(NULL, op->pages * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t t;

	if (p == MAP_FAILED)
		return 0;
	if (!op->thp && madvise(p, op->pages * PG, MADV_NOHUGEPAGE)) {
		munmap(p, op->pages * PG);
		return 0;
	}
	t = now_ns();
	touch(p, op->pages);
	t = now_ns() - t;
	munmap(p, op->pages * PG);
	return t;
}

/*
 * A new arena of @pages: open, set up, map (untimed); then, timed, an
 * optional populate of all of it and a touch of every page; then close
 * (untimed).  0 on any failure.
 */
static uint64_t time_fresh_arena(const struct op *op)
{
	struct arena_alloc a = { .offset = 0, .count = op->pages,
				 .node = -1, .flags = VM_ARENA_ALLOC_POPULATE };
	uint64_t t = 0;
	char *p;
	int fd;

	fd = open_dev();
	if (fd < 0)
		return 0;
	p = map_arena(fd, op->pages * PG);
	if (p) {
		t = now_ns();
		if (op->populate && ioctl(fd, ARENA_IOC_ALLOC, &a)) {
			t = 0;
		} else {
			touch(p, op->pages);
			t = now_ns() - t;
		}
		munmap(p, op->pages * PG);
	}
	close(fd);
	return t;
}

static uint64_t time_bulk(const struct op *op)
{
	struct arena_alloc a = { .offset = 0, .count = BULK_PAGES, .node = -1,
				 .flags = VM_ARENA_ALLOC_POPULATE };
	uint64_t t = now_ns();

	if (ioctl(op->fd, ARENA_IOC_ALLOC, &a))
		return 0;
	touch(op->base, BULK_PAGES);
	t = now_ns() - t;
	return free_all(op->fd, BULK_PAGES) ? 0 : t;
}

static uint64_t time_lazy(const struct op *op)
{
	uint64_t t = now_ns();

	touch(op->base, BULK_PAGES);
	t = now_ns() - t;
	return free_all(op->fd, BULK_PAGES) ? 0 : t;
}

static uint64_t a_ns[ROUNDS], b_ns[ROUNDS];

/*
 * Time @a and @b over the rounds, alternating which goes first, into
 * a_ns and b_ns; the median of a/b (or of b/a with @speedup) is the
 * figure.  Return: -1 if an operation failed.
 */
static int interleave(const struct op *a, const struct op *b, int speedup,
		      double *figure)
{
	double ratio[ROUNDS];
	int r;

	for (r = 0; r < ROUNDS; r++) {
		if (r & 1) {
			b_ns[r] = b->fn(b);
			a_ns[r] = a->fn(a);
		} else {
			a_ns[r] = a->fn(a);
			b_ns[r] = b->fn(b);
		}
		if (!a_ns[r] || !b_ns[r])
			return -1;
		ratio[r] = speedup ? (double)b_ns[r] / a_ns[r] :
				     (double)a_ns[r] / b_ns[r];
	}
	*figure = median(ratio);
	return 0;
}

int main(void)
{
	struct op fresh_fault = { .fn = time_fresh_arena, .pages = BULK_PAGES };
	struct op fresh_populate = { .fn = time_fresh_arena,
				     .pages = BULK_PAGES, .populate = 1 };
	struct op anon_bulk = { .fn = time_anon, .pages = BULK_PAGES };
	struct op anon_thp = { .fn = time_anon, .pages = BULK_PAGES, .thp = 1 };
	struct op anon_fault = { .fn = time_anon, .pages = FAULT_PAGES };
	struct op warm_fault = { .fn = time_arena_faults };
	struct op warm_map = { .fn = time_map_faults };
	struct op warm_bulk = { .fn = time_bulk };
	struct op warm_lazy = { .fn = time_lazy };
	struct op *warm[] = { &warm_fault, &warm_map, &warm_bulk, &warm_lazy };
	char detail[192], *base;
	double fig;
	int fd, i;

	fd = open_dev();
	base = fd < 0 ? NULL : map_arena(fd, BULK_PAGES * PG);
	if (!base) {
		printf("not ok 1 arena_bench_setup # %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < (int)ARRAY_SIZE(warm); i++) {
		warm[i]->fd = fd;
		warm[i]->base = base;
	}
	printf("TAP version 13\n1..4\n");

	/* Fresh: a new arena per round against a new anonymous mapping. */
	if (interleave(&fresh_fault, &anon_bulk, 0, &fig)) {
		printf("not ok 1 arena_fault_vs_anon_fault_fresh # failed\n");
		return 1;
	}
	snprintf(detail, sizeof(detail),
		 "arena_ns=%llu anon_ns=%llu per fault (round 0), %lu pages, new arena and mapping per round, rounds=%d",
		 (unsigned long long)(a_ns[0] / BULK_PAGES),
		 (unsigned long long)(b_ns[0] / BULK_PAGES), BULK_PAGES,
		 ROUNDS);
	report("arena_fault_vs_anon_fault_fresh", fig, 1.5, 1, detail);
	/* For comparison: the same mapping as THP "always" serves it. */
	if (!interleave(&fresh_fault, &anon_thp, 0, &fig))
		printf("# bench: arena_fault_vs_anon_thp_always_fresh ratio=%.3f %s\n",
		       fig, "(anonymous baseline with 2 MiB pages where aligned)");

	/* Populate + touch vs lazy faults, each on a new arena per round. */
	if (interleave(&fresh_populate, &fresh_fault, 1, &fig)) {
		printf("not ok 2 %s # failed\n",
		       "arena_populate_4096_speedup_vs_lazy_faults_fresh");
		return 1;
	}
	snprintf(detail, sizeof(detail),
		 "populate+touch_us=%llu lazy_faults_us=%llu for 4096 pages of a new arena (round 0), rounds=%d",
		 (unsigned long long)(a_ns[0] / 1000),
		 (unsigned long long)(b_ns[0] / 1000), ROUNDS);
	report("arena_populate_4096_speedup_vs_lazy_faults_fresh", fig, 5.0,
	       0, detail);

	/* Warm: one arena, its page tables and index nodes kept. */
	if (interleave(&warm_fault, &anon_fault, 0, &fig)) {
		printf("not ok 3 arena_fault_vs_anon_fault_warm # failed\n");
		return 1;
	}
	snprintf(detail, sizeof(detail),
		 "arena_ns=%llu anon_ns=%llu per fault (round 0), rounds=%d",
		 (unsigned long long)(a_ns[0] / FAULT_PAGES),
		 (unsigned long long)(b_ns[0] / FAULT_PAGES), ROUNDS);
	report("arena_fault_vs_anon_fault_warm", fig, 1.25, 1, detail);

	/* Where the time goes: the same faults on pre-allocated pages. */
	if (!interleave(&warm_map, &anon_fault, 0, &fig))
		printf("# bench: arena_fault_breakdown_warm %s ratio=%.3f %s\n",
		       "map_only_vs_anon_fault", fig,
		       "(faults on pages the kernel allocated beforehand)");

	if (interleave(&warm_bulk, &warm_lazy, 1, &fig)) {
		printf("not ok 4 %s # failed\n",
		       "arena_populate_4096_speedup_vs_lazy_faults_warm");
		return 1;
	}
	snprintf(detail, sizeof(detail),
		 "populate+touch_us=%llu lazy_faults_us=%llu for 4096 pages (round 0), rounds=%d",
		 (unsigned long long)(a_ns[0] / 1000),
		 (unsigned long long)(b_ns[0] / 1000), ROUNDS);
	report("arena_populate_4096_speedup_vs_lazy_faults_warm", fig, 3.0, 0,
	       detail);
	return failed;
}
