// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark: the Rust arena sample (/dev/rust_arena) against the C one
 * (/dev/arena), same boot, interleaved in chunks.  Per page: ALLOC ioctl,
 * FREE ioctl, and a user fault that allocates a page.  Every chunk of 64
 * pages is timed on its own, the drivers alternating chunk by chunk, so
 * that host load hits both alike; the figure is the ratio of the median
 * chunk (ns per page) of Rust to that of C, which a preempted vCPU does
 * not move.  Prints KTAP: one "# bench:" line per figure, then "ok"/"not
 * ok" against the target (at most 1.05x).
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
#define NPAGES		1024UL		/* pages per measurement */
#define ROUNDS		21
#define CHUNK		64UL		/* pages per timed chunk */
#define NCHUNK		(NPAGES / CHUNK)
#define NSAMPLE		(ROUNDS * NCHUNK)
#define TARGET		1.05

enum { C, RUST, NDEV };
enum { ALLOC, FREE, FAULT, NFIG };

static const char * const dev[NDEV] = { "/dev/arena", "/dev/rust_arena" };
static const char * const ko[NDEV] = { "/lib/modules/arena_sample.ko",
				       "/lib/modules/rust_arena.ko" };
static const char * const fig[NFIG] = { "alloc", "free", "fault" };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void load(int d)
{
	int fd = open(ko[d], O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		syscall(SYS_finit_module, fd, "", 0);
		close(fd);
	}
}

static int open_arena(int d, char **base)
{
	struct arena_setup s = { .size = NPAGES * PG };
	int fd, i;

	for (i = 0; i < 100; i++) {
		fd = open(dev[d], O_RDWR | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			break;
		usleep(10000);
	}
	if (fd < 0 || ioctl(fd, ARENA_IOC_SETUP, &s))
		return -1;
	*base = mmap(NULL, s.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return *base == MAP_FAILED ? -1 : fd;
}

/* Page @i: allocate it (anywhere), free it, or fault it in. */
static int one_op(int f, int fd, char *base, unsigned long i)
{
	struct arena_alloc a = { .offset = ARENA_ANY, .count = 1, .node = -1 };
	struct arena_range r = { .offset = i * PG, .count = 1 };

	if (f == ALLOC)
		return ioctl(fd, ARENA_IOC_ALLOC, &a);
	if (f == FREE)
		return ioctl(fd, ARENA_IOC_FREE, &r);
	base[i * PG] = 1;	/* a first touch allocates in the fault */
	return 0;
}

static double ns[NDEV][NFIG][NSAMPLE];

/*
 * One round: both drivers, each figure measured in chunks of CHUNK pages
 * that alternate between the drivers (which goes first alternates too).
 * Each chunk's ns per page goes into ns[][][].
 */
static int round_once(int round)
{
	char *base[NDEV];
	int fd[NDEV], d, f, k;
	unsigned long c, i;

	for (d = 0; d < NDEV; d++) {
		fd[d] = open_arena(d, &base[d]);
		if (fd[d] < 0)
			return -1;
	}
	for (f = 0; f < NFIG; f++) {
		for (c = 0; c < NPAGES / CHUNK; c++) {
			for (k = 0; k < NDEV; k++) {
				uint64_t t0;

				d = (round + c + k) & 1;
				t0 = now_ns();
				for (i = c * CHUNK; i < (c + 1) * CHUNK; i++)
					if (one_op(f, fd[d], base[d], i))
						return -1;
				ns[d][f][round * NCHUNK + c] =
					(double)(now_ns() - t0) / CHUNK;
			}
		}
	}
	for (d = 0; d < NDEV; d++) {
		munmap(base[d], NPAGES * PG);
		close(fd[d]);
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, NSAMPLE, sizeof(*v), cmp_double);
	return v[NSAMPLE / 2];
}

int main(void)
{
	int round, f, fails = 0;

	load(C);
	load(RUST);
	printf("TAP version 13\n1..%d\n", NFIG);
	for (round = 0; round < ROUNDS; round++) {
		if (round_once(round)) {
			printf("Bail out! %s\n", strerror(errno));
			return 1;
		}
	}
	for (f = 0; f < NFIG; f++) {
		double rust = median(ns[RUST][f]), c = median(ns[C][f]);
		double r = rust / c;
		int ok = r <= TARGET;

		printf("# bench: rust_arena_%s ratio=%.3f target<=%.3f ", fig[f], r, TARGET);
		printf("(median ns per page: rust %.0f, c %.0f; ", rust, c);
		printf("%lu chunks of %lu pages each, drivers alternating)\n",
		       NSAMPLE, CHUNK);
		printf("%sok %d rust_arena_%s\n", ok ? "" : "not ", f + 1, fig[f]);
		fails += !ok;
	}
	return fails ? 1 : 0;
}
