// SPDX-License-Identifier: GPL-2.0-only
/*
 * User-space arena benchmarks, run by `make bench` in QEMU.  Each figure
 * is the median over interleaved rounds of (arena time / baseline time),
 * printed as a KTAP "# bench:" line followed by ok / not ok against the
 * target:
 *
 *  - fault-in of an arena page vs an anonymous private page;
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

static uint64_t time_arena_faults(int fd, char *base)
{
	uint64_t t = now_ns();

	touch(base, FAULT_PAGES);
	t = now_ns() - t;
	if (free_all(fd, FAULT_PAGES))
		return 0;
	return t;
}

/* Faults on pages the kernel already allocated: mapping only. */
static uint64_t time_map_faults(int fd, char *base)
{
	struct arena_alloc a = { .offset = 0, .count = FAULT_PAGES,
				 .node = -1 };
	uint64_t t;

	if (ioctl(fd, ARENA_IOC_ALLOC, &a))
		return 0;
	t = now_ns();
	touch(base, FAULT_PAGES);
	t = now_ns() - t;
	return free_all(fd, FAULT_PAGES) ? 0 : t;
}

static uint64_t time_anon(size_t pages)
{
	char *p = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t t;

	if (p == MAP_FAILED)
		return 0;
	t = now_ns();
	touch(p, pages);
	t = now_ns() - t;
	munmap(p, pages * PG);
	return t;
}

static uint64_t time_anon_faults(void)
{
	return time_anon(FAULT_PAGES);
}

/*
 * A new arena of @pages: open, set up, map (untimed); then, timed, an
 * optional populate of all of it and a touch of every page; then close
 * (untimed).  0 on any failure.
 */
static uint64_t time_fresh_arena(size_t pages, int populate)
{
	struct arena_alloc a = { .offset = 0, .count = pages, .node = -1,
				 .flags = VM_ARENA_ALLOC_POPULATE };
	uint64_t t = 0;
	char *p;
	int fd;

	fd = open_dev();
	if (fd < 0)
		return 0;
	p = map_arena(fd, pages * PG);
	if (p) {
		t = now_ns();
		if (populate && ioctl(fd, ARENA_IOC_ALLOC, &a)) {
			t = 0;
		} else {
			touch(p, pages);
			t = now_ns() - t;
		}
		munmap(p, pages * PG);
	}
	close(fd);
	return t;
}

static uint64_t time_bulk(int fd, char *base)
{
	struct arena_alloc a = { .offset = 0, .count = BULK_PAGES, .node = -1,
				 .flags = VM_ARENA_ALLOC_POPULATE };
	uint64_t t = now_ns();

	if (ioctl(fd, ARENA_IOC_ALLOC, &a))
		return 0;
	touch(base, BULK_PAGES);
	t = now_ns() - t;
	return free_all(fd, BULK_PAGES) ? 0 : t;
}

static uint64_t time_lazy(int fd, char *base)
{
	uint64_t t = now_ns();

	touch(base, BULK_PAGES);
	t = now_ns() - t;
	return free_all(fd, BULK_PAGES) ? 0 : t;
}

/*
 * Fault-in, fresh: a new arena per round against a new anonymous mapping
 * per round, BULK_PAGES each, interleaved.
 */
static int bench_fresh_faults(void)
{
	double ratio[ROUNDS];
	uint64_t a_ns[ROUNDS], b_ns[ROUNDS];
	char detail[160];
	int r;

	for (r = 0; r < ROUNDS; r++) {
		if (r & 1) {
			b_ns[r] = time_anon(BULK_PAGES);
			a_ns[r] = time_fresh_arena(BULK_PAGES, 0);
		} else {
			a_ns[r] = time_fresh_arena(BULK_PAGES, 0);
			b_ns[r] = time_anon(BULK_PAGES);
		}
		if (!a_ns[r] || !b_ns[r])
			return -1;
		ratio[r] = (double)a_ns[r] / b_ns[r];
	}
	snprintf(detail, sizeof(detail),
		 "arena_ns=%llu anon_ns=%llu per fault (round 0), %lu pages, new arena and mapping per round, rounds=%d",
		 (unsigned long long)(a_ns[0] / BULK_PAGES),
		 (unsigned long long)(b_ns[0] / BULK_PAGES), BULK_PAGES,
		 ROUNDS);
	report("arena_fault_vs_anon_fault_fresh", median(ratio), 1.5, 1,
	       detail);
	return 0;
}

/* Populate + touch vs lazy faults, each on a new arena per round. */
static int bench_fresh_populate(void)
{
	double ratio[ROUNDS];
	uint64_t a_ns[ROUNDS], b_ns[ROUNDS];
	char detail[160];
	int r;

	for (r = 0; r < ROUNDS; r++) {
		if (r & 1) {
			b_ns[r] = time_fresh_arena(BULK_PAGES, 0);
			a_ns[r] = time_fresh_arena(BULK_PAGES, 1);
		} else {
			a_ns[r] = time_fresh_arena(BULK_PAGES, 1);
			b_ns[r] = time_fresh_arena(BULK_PAGES, 0);
		}
		if (!a_ns[r] || !b_ns[r])
			return -1;
		ratio[r] = (double)b_ns[r] / a_ns[r];
	}
	snprintf(detail, sizeof(detail),
		 "populate+touch_us=%llu lazy_faults_us=%llu for 4096 pages of a new arena (round 0), rounds=%d",
		 (unsigned long long)(a_ns[0] / 1000),
		 (unsigned long long)(b_ns[0] / 1000), ROUNDS);
	report("arena_populate_4096_speedup_vs_lazy_faults_fresh",
	       median(ratio), 5.0, 0, detail);
	return 0;
}

int main(void)
{
	double ratio[ROUNDS];
	uint64_t a_ns[ROUNDS], b_ns[ROUNDS];
	char detail[160], *base;
	int fd, r;

	fd = open_dev();
	base = fd < 0 ? NULL : map_arena(fd, BULK_PAGES * PG);
	if (!base) {
		printf("not ok 1 arena_bench_setup # %s\n", strerror(errno));
		return 1;
	}
	printf("TAP version 13\n1..4\n");

	if (bench_fresh_faults()) {
		printf("not ok 1 arena_fault_vs_anon_fault_fresh # failed\n");
		return 1;
	}
	if (bench_fresh_populate()) {
		printf("not ok 2 arena_populate_4096_speedup_vs_lazy_faults_fresh # failed\n");
		return 1;
	}

	for (r = 0; r < ROUNDS; r++) {
		if (r & 1) {
			b_ns[r] = time_anon_faults();
			a_ns[r] = time_arena_faults(fd, base);
		} else {
			a_ns[r] = time_arena_faults(fd, base);
			b_ns[r] = time_anon_faults();
		}
		if (!a_ns[r] || !b_ns[r]) {
			printf("not ok 3 arena_fault_vs_anon_fault_warm # failed\n");
			return 1;
		}
		ratio[r] = (double)a_ns[r] / b_ns[r];
	}
	snprintf(detail, sizeof(detail),
		 "arena_ns=%llu anon_ns=%llu per fault (round 0), rounds=%d",
		 (unsigned long long)(a_ns[0] / FAULT_PAGES),
		 (unsigned long long)(b_ns[0] / FAULT_PAGES), ROUNDS);
	report("arena_fault_vs_anon_fault_warm", median(ratio), 1.25, 1,
	       detail);

	/* Where the time goes: the same faults on pre-allocated pages. */
	for (r = 0; r < ROUNDS; r++) {
		a_ns[r] = time_map_faults(fd, base);
		b_ns[r] = time_anon_faults();
		ratio[r] = b_ns[r] ? (double)a_ns[r] / b_ns[r] : 0;
	}
	printf("# bench: arena_fault_breakdown_warm map_only_vs_anon_fault ratio=%.3f",
	       median(ratio));
	printf(" (faults on pages the kernel allocated beforehand)\n");

	for (r = 0; r < ROUNDS; r++) {
		if (r & 1) {
			b_ns[r] = time_lazy(fd, base);
			a_ns[r] = time_bulk(fd, base);
		} else {
			a_ns[r] = time_bulk(fd, base);
			b_ns[r] = time_lazy(fd, base);
		}
		if (!a_ns[r] || !b_ns[r]) {
			printf("not ok 4 %s # failed\n",
			       "arena_populate_4096_speedup_vs_lazy_faults_warm");
			return 1;
		}
		/* A speed-up: lazy time over populated time. */
		ratio[r] = (double)b_ns[r] / a_ns[r];
	}
	snprintf(detail, sizeof(detail),
		 "populate+touch_us=%llu lazy_faults_us=%llu for 4096 pages (round 0), rounds=%d",
		 (unsigned long long)(a_ns[0] / 1000),
		 (unsigned long long)(b_ns[0] / 1000), ROUNDS);
	report("arena_populate_4096_speedup_vs_lazy_faults_warm",
	       median(ratio), 3.0, 0, detail);
	return failed;
}
