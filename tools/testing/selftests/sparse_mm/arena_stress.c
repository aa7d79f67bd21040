// SPDX-License-Identifier: GPL-2.0-only
/*
 * Adversarial random-operation stress of the arena sample drivers.
 *
 * Drives /dev/arena (C sample) or /dev/rust_arena (Rust sample) with:
 *
 *  - hostile_*: every ioctl with hostile and edge arguments (zero, huge,
 *    misaligned, overlapping, ARENA_ANY, reserved bits, non-zero output
 *    fields, bad and read-only argument pointers, wrong _IOC sizes), on
 *    an O_RDONLY file too, and the refused mm operations; each call is
 *    checked against the exact errno of the contract (error order:
 *    ENOTTY, EBADF, ENXIO, EFAULT, EINVAL for reserved/output fields,
 *    then the per-call checks of Documentation/mm/vm_arena.rst);
 *  - random_*: threads in several processes sharing one fd and one
 *    mapping run random operations against a model.  Each owner thread
 *    has a slice of the arena that only it allocates in; hostile threads
 *    free random ranges of every slice and of the list area, and throw
 *    hostile ioctls, while owners allocate (with and without populate),
 *    free, build and walk kernel lists, read their pages through
 *    /proc/self/mem, process_vm_readv() and vmsplice(), madvise, fork,
 *    and dup/close the fd.  Invariants: a freed page never shows its old
 *    data (it faults or reads zeros), a fresh allocation reads zeros, the
 *    kernel's view of a page (SUM_LIST on a one-node list) equals the
 *    user's, a kernel-built list walks back exactly unless a hostile free
 *    may have hit it, every errno is one the call may return, and at
 *    each quiescent point (all threads at a barrier) INFO's pages in use
 *    equals the model;
 *  - race_*: the same engine with the operation mix narrowed to one race
 *    (BUILD_LIST against FREE, ALLOC|POPULATE against FREE);
 *  - close_frees_everything: after the last close no vm_arena area is
 *    left in /proc/vmallocinfo and MemFree is back within a tolerance;
 *    every other case checks vmallocinfo too.
 *
 * Deterministic for a seed: each thread's operation sequence depends on
 * (seed, process, thread) only; the interleaving is the scheduler's.
 * Every failure prints the seed, process, thread, operation number and
 * the operation with its arguments.  Output is KTAP.
 *
 * Usage: arena_stress [--dev PATH] [--ko PATH] [--seed N]... [--ops N]
 *	  [--seconds S] [--threads T] [--procs P] [--soak S]
 *	  [--case NAME[,NAME...]]   (names or name prefixes)
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/vm_arena.h>

#include "arena_util.h"

#define PG		4096UL
#define SLICE		16UL	/* pages of one owner's slice */
#define STRIDE		(SLICE + 1)	/* a reserved guard page after each */
#define LIST_PAGES	96UL	/* where lists and ANY allocations land */
#define LIST_MIN_PAGES	(SLICE + 1)	/* longer than any hole of a slice */
#define LIST_MAX_PAGES	24UL
#define NODES_PER_PAGE	(PG / sizeof(struct arena_list_node))
#define MAX_PROCS	4
#define MAX_THREADS	8
#define MAX_SLICES	(MAX_PROCS * MAX_THREADS)
#define MAX_SEEDS	16
#define ROUND_OPS	24	/* ops per thread between quiescent points */
#define MAX_REPORTS	12
/*
 * Free memory must come back within this after the last close.  It is
 * read as MemFree plus the pages on the per-CPU free lists (which MemFree
 * does not count: up to pcp->high per CPU and zone, several MiB here),
 * after drop_caches and stat_refresh (which folds every CPU's counter
 * deltas).  Measured in QEMU (2 vCPUs, 2 GiB) on a 16 GiB arena with
 * 8192 sparse pages: 52 kB of drift when nothing leaks (slab noise),
 * 32904 kB when the arena's 8192 kernel page-table pages stay behind.
 */
#define MEMFREE_TOLERANCE_KB	2048L

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BIT(e)		(1ULL << (e))

/* Errors each call may return (vm_arena.h, vm_arena.rst, CONTRACT.md). */
#define E_SETUP		(BIT(EBADF) | BIT(EFAULT) | BIT(EINVAL) | BIT(EBUSY) | \
			 BIT(E2BIG) | BIT(ENOMEM))
#define E_ALLOC		(BIT(EBADF) | BIT(ENXIO) | BIT(EFAULT) | BIT(EINVAL) | \
			 BIT(E2BIG) | BIT(ERANGE) | BIT(EBUSY) | BIT(ENOMEM))
#define E_FREE		(BIT(EBADF) | BIT(ENXIO) | BIT(EFAULT) | BIT(EINVAL) | \
			 BIT(E2BIG) | BIT(ERANGE) | BIT(ENOENT))
#define E_RESERVE	(BIT(EBADF) | BIT(ENXIO) | BIT(EFAULT) | BIT(EINVAL) | \
			 BIT(E2BIG) | BIT(ERANGE) | BIT(EBUSY))
#define E_BUILD		(BIT(EBADF) | BIT(ENXIO) | BIT(EFAULT) | BIT(EINVAL) | \
			 BIT(E2BIG) | BIT(ENOMEM))
#define E_SUM		(BIT(ENXIO) | BIT(EFAULT) | BIT(EINVAL) | BIT(ELOOP))
#define E_INFO		(BIT(ENXIO) | BIT(EFAULT))

enum { VAR_LAZY, VAR_SEGV, VAR_ATOMIC, NR_VARIANTS };
static const char * const variant_name[] = { "lazy", "segv", "atomic" };
static const uint32_t variant_flags[] = {
	0, VM_ARENA_F_SEGV_ON_FAULT, VM_ARENA_F_ATOMIC,
};

enum profile { PROF_MIXED, PROF_RACE_LIST, PROF_RACE_POPULATE };

/* ---- options ---- */

static const char *opt_dev = "/dev/arena";
static const char *opt_ko;
static uint64_t opt_seeds[MAX_SEEDS];
static int opt_nseeds;
static unsigned long opt_ops = 4000;
static double opt_seconds = 2.0;
static int opt_threads = 3;
static int opt_procs = 2;
static double opt_soak;
static const char *opt_case;
static unsigned long opt_arena_gib;

/* ---- output: one write() per line, safe across threads and forks ---- */

static void out(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	if (buf[n - 1] != '\n')
		buf[n++] = '\n';
	if (write(1, buf, n) < 0)
		_exit(99);
}

/* ---- PRNG: splitmix64, one stream per thread ---- */

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned long below(uint64_t *s, unsigned long n)
{
	return n ? rnd(s) % n : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- catching SIGSEGV/SIGBUS on purpose ---- */

static __thread sigjmp_buf * volatile probe_jmp;
static __thread volatile int probe_sig;
static __thread char thread_name[32] = "main";

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	if (probe_jmp) {
		probe_sig = sig;
		siglongjmp(*probe_jmp, 1);
	}
	out("# FAIL unexpected signal %d at %p in %s", sig, si->si_addr,
	    thread_name);
	_exit(3);
}

static void catch_faults(void)
{
	struct sigaction sa = { .sa_sigaction = fault_handler,
				.sa_flags = SA_SIGINFO | SA_NODEFER };

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* Copy @len bytes (a multiple of 8); return 0 or the signal it raised. */
static int probe_copy(void *dst, const volatile void *src, size_t len)
{
	sigjmp_buf jb;
	size_t i;

	probe_sig = 0;
	if (sigsetjmp(jb, 1) == 0) {
		probe_jmp = &jb;
		__sync_synchronize();
		for (i = 0; i < len / 8; i++)
			((uint64_t *)dst)[i] =
				((const volatile uint64_t *)src)[i];
		__sync_synchronize();
	}
	probe_jmp = NULL;
	return probe_sig;
}

static int probe_store(volatile void *dst, const void *src, size_t len)
{
	sigjmp_buf jb;
	size_t i;

	probe_sig = 0;
	if (sigsetjmp(jb, 1) == 0) {
		probe_jmp = &jb;
		__sync_synchronize();
		for (i = 0; i < len / 8; i++)
			((volatile uint64_t *)dst)[i] =
				((const uint64_t *)src)[i];
		__sync_synchronize();
	}
	probe_jmp = NULL;
	return probe_sig;
}

/* ---- the device ---- */

static int open_dev_mode(int mode)
{
	return arena_open(opt_dev, opt_ko, mode);
}

static long long pages_in_use(int fd)
{
	struct arena_info i;

	memset(&i, 0xa5, sizeof(i));
	if (ioctl(fd, ARENA_IOC_INFO, &i))
		return -errno;
	return i.pages_in_use;
}

static void poke(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		if (write(fd, val, strlen(val)) < 0)
			out("# %s: %s", path, strerror(errno));
		close(fd);
	}
}

/*
 * MemFree in kB, plus the pages that wait on the per-CPU free lists (not
 * counted in MemFree, up to pcp->high per CPU and zone), after dropping
 * caches and folding every CPU's counter deltas (stat_refresh).
 */
static long memfree_kb(void)
{
	long kb = -1, pcp = 0, n;
	char line[256];
	FILE *f;

	poke("/proc/sys/vm/drop_caches", "3");
	usleep(200000);
	poke("/proc/sys/vm/stat_refresh", "1");
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			break;
	fclose(f);
	f = fopen("/proc/zoneinfo", "r");
	if (!f)
		return kb;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &n) == 1)
			pcp += n;
	fclose(f);
	return kb + pcp * (PG / 1024);
}

/* ---- test case bookkeeping ---- */

static int nr_cases, nr_failed_cases;
static int case_failures;	/* in the case process */

static void check_fail(const char *fmt, ...)
{
	char buf[800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (case_failures++ < 40)
		out("# FAIL %s", buf);
}

/* Expect errno @want from a call that returned @ret (errno @err). */
#define EXPECT_ERR(want, call, desc) do {				\
	int __w = (want), __r = (call), __e = __r ? errno : 0;		\
	if (__e != __w)							\
		check_fail("%s: got %s (%d), want %s (%d)", (desc),	\
			   __e ? strerror(__e) : "success", __e,	\
			   __w ? strerror(__w) : "success", __w);	\
} while (0)

#define EXPECT_TRUE(cond, ...) do {					\
	if (!(cond))							\
		check_fail(__VA_ARGS__);				\
} while (0)

/*
 * Run @fn in a child process so that a crash or a hang of one case (a
 * thread killed by an oops, a livelock) fails that case only.
 */
/* --case: a comma-separated list of case names or name prefixes. */
static bool case_selected(const char *name)
{
	const char *p = opt_case;

	while (*p) {
		size_t len = strcspn(p, ",");

		if (len && !strncmp(p, name, len))
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

static void run_case(const char *name, int (*fn)(void *), void *arg,
		     double timeout)
{
	int before = count_vmallocinfo("vm_arena");
	int status = 0, after, ok;
	double t0 = now();
	pid_t pid;

	if (opt_case && !case_selected(name))
		return;
	nr_cases++;
	pid = fork();
	if (pid < 0) {
		out("# fork: %s", strerror(errno));
		status = 1 << 8;
	} else if (!pid) {
		case_failures = 0;
		catch_faults();
		status = fn(arg);
		_exit(status || case_failures);
	}
	while (pid > 0) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (now() - t0 > timeout) {
			out("# FAIL %s: no end after %.0f s (a thread died in the kernel, or a livelock): killed",
			    name, timeout);
			kill(pid, SIGKILL);
			for (r = 0; r < 50 && waitpid(pid, &status, WNOHANG) != pid; r++)
				usleep(100000);
			status = 1 << 8;
			break;
		}
		usleep(20000);
	}
	ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (WIFSIGNALED(status))
		out("# FAIL %s: case process killed by signal %d", name,
		    WTERMSIG(status));
	after = count_vmallocinfo("vm_arena");
	if (after != before) {
		out("# FAIL %s: /proc/vmallocinfo has %d vm_arena areas after the last close, %d before",
		    name, after, before);
		ok = 0;
	}
	if (!ok)
		nr_failed_cases++;
	out("%sok %d %s # %.1f s", ok ? "" : "not ", nr_cases, name,
	    now() - t0);
}

/* ==== hostile and edge arguments, one call at a time ==== */

#define HSIZE		(64 * PG)
#define HPAGES		64UL

static char *ro_page;		/* a read-only page holding an argument */
static char *bad_page;		/* PROT_NONE */

/* An argument whose last bytes lie on a PROT_NONE page. */
static void *straddle(size_t size)
{
	return bad_page - size + 8;
}

static void *ro_arg(const void *arg, size_t size)
{
	mprotect(ro_page, PG, PROT_READ | PROT_WRITE);
	memcpy(ro_page, arg, size);
	mprotect(ro_page, PG, PROT_READ);
	return ro_page;
}

static int hostile_before_setup(void *unused)
{
	struct arena_build_list b = { .count = 1 };
	struct arena_sum_list s = { 0 };
	struct arena_info i;
	int fd = open_dev_mode(O_RDWR);

	if (fd < 0) {
		check_fail("open %s: %s", opt_dev, strerror(errno));
		return 1;
	}
	EXPECT_ERR(ENXIO, ioctl(fd, ARENA_IOC_INFO, &i), "INFO before SETUP");
	EXPECT_ERR(ENXIO, alloc_at(fd, ARENA_ANY, 1, 0, NULL),
		   "ALLOC before SETUP");
	EXPECT_ERR(ENXIO, alloc_at(fd, 0, 1, 0, NULL), "ALLOC 0 before SETUP");
	EXPECT_ERR(ENXIO, ioctl(fd, ARENA_IOC_ALLOC, NULL),
		   "ALLOC(NULL) before SETUP (ENXIO comes before EFAULT)");
	EXPECT_ERR(ENXIO, range_op(fd, ARENA_IOC_FREE, 0, 1), "FREE before SETUP");
	EXPECT_ERR(ENXIO, range_op(fd, ARENA_IOC_RESERVE, 0, 1),
		   "RESERVE before SETUP");
	EXPECT_ERR(ENXIO, ioctl(fd, ARENA_IOC_BUILD_LIST, &b),
		   "BUILD_LIST before SETUP");
	EXPECT_ERR(ENXIO, ioctl(fd, ARENA_IOC_SUM_LIST, &s),
		   "SUM_LIST before SETUP");
	EXPECT_ERR(ENOTTY, ioctl(fd, _IO(ARENA_IOC_MAGIC, 0x40)),
		   "unknown command before SETUP");
	EXPECT_TRUE(mmap(NULL, HSIZE, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED &&
		    errno == EINVAL, "mmap before SETUP: want EINVAL");
	close(fd);
	return 0;
}

/* A file opened O_RDONLY: mutating ioctls -EBADF, before anything else. */
static int hostile_rdonly(void *unused)
{
	struct arena_setup st = { .size = HSIZE };
	struct arena_build_list b = { .count = 1 };
	struct arena_sum_list s = { 0 };
	struct arena_info i;
	char buf[64] = { 0 };
	int fd = open_dev_mode(O_RDONLY);
	void *p;

	if (fd < 0) {
		check_fail("open %s O_RDONLY: %s", opt_dev, strerror(errno));
		return 1;
	}
	EXPECT_ERR(ENOTTY, ioctl(fd, _IO(ARENA_IOC_MAGIC, 0x41)),
		   "O_RDONLY: unknown command");
	EXPECT_ERR(ENOTTY, ioctl(fd, _IOW(ARENA_IOC_MAGIC, 0, char[8]), buf),
		   "O_RDONLY: SETUP with a wrong size");
	EXPECT_ERR(EBADF, ioctl(fd, ARENA_IOC_SETUP, &st), "O_RDONLY: SETUP");
	EXPECT_ERR(EBADF, ioctl(fd, ARENA_IOC_SETUP, NULL),
		   "O_RDONLY: SETUP(NULL) (EBADF comes before EFAULT)");
	EXPECT_ERR(EBADF, alloc_at(fd, ARENA_ANY, 1, 0, NULL),
		   "O_RDONLY: ALLOC (EBADF comes before ENXIO)");
	EXPECT_ERR(EBADF, range_op(fd, ARENA_IOC_FREE, 0, 1), "O_RDONLY: FREE");
	EXPECT_ERR(EBADF, range_op(fd, ARENA_IOC_RESERVE, 0, 1),
		   "O_RDONLY: RESERVE");
	EXPECT_ERR(EBADF, ioctl(fd, ARENA_IOC_BUILD_LIST, &b),
		   "O_RDONLY: BUILD_LIST");
	EXPECT_ERR(ENXIO, ioctl(fd, ARENA_IOC_INFO, &i), "O_RDONLY: INFO");
	EXPECT_ERR(ENXIO, ioctl(fd, ARENA_IOC_SUM_LIST, &s), "O_RDONLY: SUM_LIST");
	p = mmap(NULL, HSIZE, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_TRUE(p == MAP_FAILED && (errno == EINVAL || errno == EACCES),
		    "O_RDONLY: mmap: want EINVAL or EACCES, got %s",
		    p == MAP_FAILED ? strerror(errno) : "a mapping");
	/* Still nothing set up: a SETUP that slipped through shows here. */
	EXPECT_ERR(ENXIO, ioctl(fd, ARENA_IOC_INFO, &i),
		   "O_RDONLY: INFO after the refused SETUP");
	close(fd);
	return 0;
}

static int hostile_setup(void *unused)
{
	struct arena_setup s = { .size = HSIZE, .__reserved = 1 };
	struct arena_info i;
	int fd = open_dev_mode(O_RDWR);

	if (fd < 0)
		return 1;
	EXPECT_ERR(EINVAL, setup(fd, 0, 0), "SETUP size 0");
	EXPECT_ERR(EINVAL, setup(fd, PG + 1, 0), "SETUP misaligned size");
	EXPECT_ERR(EINVAL, setup(fd, HSIZE, 1U << 9), "SETUP unknown flag");
	EXPECT_ERR(EINVAL, setup(fd, HSIZE, 1U << 31), "SETUP flag bit 31");
	EXPECT_ERR(E2BIG, setup(fd, 1ULL << 40, 0), "SETUP 1 TiB");
	EXPECT_ERR(E2BIG, setup(fd, ~0ULL << 12, 0), "SETUP huge size");
	EXPECT_ERR(E2BIG, setup(fd, (1ULL << 32) + PG, VM_ARENA_F_ATOMIC),
		   "SETUP atomic above 4 GiB");
	EXPECT_ERR(EINVAL, ioctl(fd, ARENA_IOC_SETUP, &s), "SETUP reserved field");
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_SETUP, NULL), "SETUP(NULL)");
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_SETUP, (void *)-4096L),
		   "SETUP(-4096)");
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_SETUP, straddle(sizeof(s))),
		   "SETUP(argument running into a PROT_NONE page)");
	s.__reserved = 0;
	s.user_addr = 0x12345;
	EXPECT_ERR(EINVAL, ioctl(fd, ARENA_IOC_SETUP, &s),
		   "SETUP misaligned user_addr");
	s.user_addr = 0xffff888000000000ULL;
	EXPECT_ERR(EINVAL, ioctl(fd, ARENA_IOC_SETUP, &s),
		   "SETUP kernel user_addr");
	s.user_addr = (1ULL << 47) - PG;
	EXPECT_ERR(EINVAL, ioctl(fd, ARENA_IOC_SETUP, &s),
		   "SETUP user_addr + size above TASK_SIZE");
	/* The failures left nothing behind; the first good one sticks. */
	EXPECT_ERR(ENXIO, ioctl(fd, ARENA_IOC_INFO, &i), "INFO after failed SETUPs");
	EXPECT_ERR(0, setup(fd, HSIZE, 0), "SETUP");
	EXPECT_ERR(EBUSY, setup(fd, HSIZE, 0), "second SETUP");
	s = (struct arena_setup){ .size = HSIZE, .__reserved = 2 };
	EXPECT_ERR(EINVAL, ioctl(fd, ARENA_IOC_SETUP, &s),
		   "second SETUP with a reserved field (EINVAL before EBUSY)");
	EXPECT_ERR(0, ioctl(fd, ARENA_IOC_INFO, &i), "INFO");
	EXPECT_TRUE(i.size == HSIZE && i.pages_in_use == 0 && i.user_addr == 0,
		    "INFO after SETUP: size %llu pages %llu addr %llx",
		    (unsigned long long)i.size,
		    (unsigned long long)i.pages_in_use,
		    (unsigned long long)i.user_addr);
	close(fd);
	return 0;
}

/* A set-up, mapped 64-page arena with pages 8-11 allocated, 20 reserved. */
static int hostile_arena(char **base)
{
	int fd = open_dev_mode(O_RDWR);

	if (fd < 0 || setup(fd, HSIZE, 0)) {
		check_fail("open/SETUP: %s", strerror(errno));
		return -1;
	}
	*base = mmap(NULL, HSIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*base == MAP_FAILED) {
		check_fail("mmap: %s", strerror(errno));
		return -1;
	}
	if (alloc_at(fd, 8 * PG, 4, 0, NULL) ||
	    range_op(fd, ARENA_IOC_RESERVE, 20 * PG, 1)) {
		check_fail("ALLOC/RESERVE: %s", strerror(errno));
		return -1;
	}
	return fd;
}

static int hostile_alloc(void *unused)
{
	struct arena_alloc a = { .offset = ARENA_ANY, .count = 1, .node = -1 };
	char *base;
	int fd = hostile_arena(&base);
	struct {
		uint64_t off, count;
		int32_t node;
		uint32_t flags;
		int err;
		const char *what;
	} t[] = {
		{ 9 * PG + 8, 1, -1, 0, EINVAL, "misaligned offset" },
		{ 1, 1, -1, 0, EINVAL, "offset 1" },
		{ 30 * PG, 0, -1, 0, EINVAL, "count 0" },
		{ ARENA_ANY, 0, -1, 0, EINVAL, "ARENA_ANY count 0" },
		{ ARENA_ANY, 1, -1, 1U << 7, EINVAL, "unknown alloc flag" },
		{ ARENA_ANY, 1, -1, 1U << 31, EINVAL, "alloc flag bit 31" },
		{ ARENA_ANY, 1, 4096, 0, EINVAL, "node 4096" },
		{ ARENA_ANY, 1, -2, 0, EINVAL, "node -2" },
		{ ARENA_ANY, 1, 0x7fffffff, 0, EINVAL, "node INT_MAX" },
		{ HSIZE, 1, -1, 0, ERANGE, "offset = size" },
		{ HSIZE - PG, 2, -1, 0, ERANGE, "range past the end" },
		{ 1ULL << 62, 1, -1, 0, ERANGE, "offset 2^62" },
		{ ~0ULL << 12, 1, -1, 0, ERANGE, "offset 2^64 - 4096" },
		{ ARENA_ANY, HPAGES + 1, -1, 0, E2BIG, "ARENA_ANY count > size" },
		{ ARENA_ANY, ~0ULL, -1, 0, E2BIG, "ARENA_ANY count ~0" },
		{ 0, ~0ULL, -1, 0, E2BIG, "count ~0" },
		{ 0, 1ULL << 32, -1, 0, E2BIG, "count 2^32" },
		{ 6 * PG, 3, -1, 0, EBUSY, "overlapping the start of an allocation" },
		{ 11 * PG, 1, -1, 0, EBUSY, "inside an allocation" },
		{ 8 * PG, 4, -1, 0, EBUSY, "the same range again" },
		{ 20 * PG, 1, -1, 0, EBUSY, "a reserved page" },
		{ 19 * PG, 3, -1, VM_ARENA_ALLOC_POPULATE, EBUSY,
		  "populate over a reserved page" },
		{ ARENA_ANY, HPAGES - 4, -1, 0, ENOMEM, "ARENA_ANY more than is free" },
	};
	unsigned int k;
	char d[128];

	if (fd < 0)
		return 1;
	for (k = 0; k < ARRAY_SIZE(t); k++) {
		struct arena_alloc x = { .offset = t[k].off,
					 .count = t[k].count,
					 .node = t[k].node,
					 .flags = t[k].flags };

		snprintf(d, sizeof(d), "ALLOC %s", t[k].what);
		EXPECT_ERR(t[k].err, ioctl(fd, ARENA_IOC_ALLOC, &x), d);
	}
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_ALLOC, NULL), "ALLOC(NULL)");
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_ALLOC, (void *)8), "ALLOC(8)");
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_ALLOC, (void *)-4096L),
		   "ALLOC(-4096)");
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_ALLOC,
				 (void *)0xffffffff81000000UL),
		   "ALLOC(kernel text)");
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_ALLOC, bad_page), "ALLOC(PROT_NONE)");
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_ALLOC, straddle(sizeof(a))),
		   "ALLOC(straddling a PROT_NONE page)");
	/* Read-only argument: allocated, copy-out fails, undone. */
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_ALLOC, ro_arg(&a, sizeof(a))),
		   "ALLOC(read-only argument)");
	a.flags = VM_ARENA_ALLOC_POPULATE;
	a.count = 3;
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_ALLOC, ro_arg(&a, sizeof(a))),
		   "ALLOC|POPULATE(read-only argument)");
	EXPECT_TRUE(pages_in_use(fd) == 4,
		    "pages in use after the failed ALLOCs: %lld, want 4",
		    pages_in_use(fd));
	/* The undo left no user PTE: the pages read as free. */
	EXPECT_TRUE(base[0] == 0 && base[PG] == 0 && base[2 * PG] == 0,
		    "pages of an undone ALLOC are not zero");
	close(fd);
	munmap(base, HSIZE);
	return 0;
}

static int hostile_free_reserve(void *unused)
{
	struct arena_range r;
	char *base;
	int fd = hostile_arena(&base);
	unsigned long cmd;
	int k;

	if (fd < 0)
		return 1;
	base[9 * PG] = 7;
	for (k = 0; k < 2; k++) {
		const char *n = k ? "RESERVE" : "FREE";
		char d[128];

		cmd = k ? ARENA_IOC_RESERVE : ARENA_IOC_FREE;
#define R(off, count, err, what) do {					\
		snprintf(d, sizeof(d), "%s %s", n, what);		\
		EXPECT_ERR(err, range_op(fd, cmd, off, count), d);	\
	} while (0)
		R(8 * PG + 1, 1, EINVAL, "misaligned offset");
		R(8 * PG, 0, EINVAL, "count 0");
		R(HSIZE, 1, ERANGE, "offset = size");
		R(ARENA_ANY, 1, EINVAL, "ARENA_ANY");
		R(~0ULL << 12, 1, ERANGE, "offset 2^64 - 4096");
		R(HSIZE - PG, 2, ERANGE, "range past the end");
		R(0, HPAGES + 1, E2BIG, "count > size");
		R(0, ~0ULL, E2BIG, "count ~0");
		R(8 * PG, ~0ULL, E2BIG, "count ~0 from an allocation");
		if (!k) {
			R(0, 1, ENOENT, "a free page");
			R(20 * PG, 1, ENOENT, "a reserved page");
			R(7 * PG, 2, ENOENT, "overlapping the start of an allocation");
			R(11 * PG, 2, ENOENT, "overlapping its end");
			R(8 * PG, 5, ENOENT, "an allocation and one more page");
		} else {
			R(8 * PG, 1, EBUSY, "an allocated page");
			R(20 * PG, 1, EBUSY, "a reserved page");
			R(19 * PG, 2, EBUSY, "overlapping a reserved page");
			R(6 * PG, 4, EBUSY, "overlapping an allocation");
		}
#undef R
		EXPECT_ERR(EFAULT, ioctl(fd, cmd, NULL), k ? "RESERVE(NULL)" : "FREE(NULL)");
		EXPECT_ERR(EFAULT, ioctl(fd, cmd, straddle(sizeof(r))),
			   k ? "RESERVE(straddle)" : "FREE(straddle)");
	}
	/* All or nothing: none of the failed frees freed anything. */
	EXPECT_TRUE(pages_in_use(fd) == 4 && base[9 * PG] == 7,
		    "failed FREEs changed the arena: %lld pages in use",
		    pages_in_use(fd));
	EXPECT_ERR(0, range_op(fd, ARENA_IOC_FREE, 8 * PG, 4), "FREE");
	EXPECT_ERR(ENOENT, range_op(fd, ARENA_IOC_FREE, 8 * PG, 4), "FREE twice");
	EXPECT_ERR(ENOENT, range_op(fd, ARENA_IOC_FREE, 9 * PG, 1),
		   "FREE a page of a freed range");
	EXPECT_TRUE(base[9 * PG] == 0, "freed page reads old data");
	close(fd);
	munmap(base, HSIZE);
	return 0;
}

static int hostile_lists(void *unused)
{
	struct arena_build_list b;
	struct arena_sum_list s;
	struct arena_list_node *n;
	char *base;
	int fd = hostile_arena(&base);
	long long used;

	if (fd < 0)
		return 1;
#define B(cnt, hd, pg, err, what) do {					\
	b = (struct arena_build_list){ .count = cnt, .head = hd,	\
				       .pages = pg };			\
	EXPECT_ERR(err, ioctl(fd, ARENA_IOC_BUILD_LIST, &b), "BUILD_LIST " what); \
} while (0)
	B(0, 0, 0, EINVAL, "count 0");
	B(1ULL << 40, 0, 0, E2BIG, "count 2^40");
	B((1ULL << 20) + 1, 0, 0, E2BIG, "count 2^20 + 1");
	B(~0ULL, 0, 0, E2BIG, "count ~0");
	B(1, 1, 0, EINVAL, "non-zero head (an output field)");
	B(1, 0, 1, EINVAL, "non-zero pages (an output field)");
	B(1, ~0ULL, ~0ULL, EINVAL, "both output fields ~0");
	B(HPAGES * NODES_PER_PAGE, 0, 0, ENOMEM, "more nodes than fit");
#undef B
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_BUILD_LIST, NULL), "BUILD_LIST(NULL)");
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_BUILD_LIST, straddle(sizeof(b))),
		   "BUILD_LIST(straddle)");
	used = pages_in_use(fd);
	b = (struct arena_build_list){ .count = 600 };
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_BUILD_LIST, ro_arg(&b, sizeof(b))),
		   "BUILD_LIST(read-only argument)");
	EXPECT_TRUE(pages_in_use(fd) == used,
		    "BUILD_LIST with a read-only argument left %lld pages, want %lld",
		    pages_in_use(fd), used);

#define S(hd, cnt, sm, err, what) do {					\
	s = (struct arena_sum_list){ .head = hd, .count = cnt,		\
				     .sum = sm };			\
	EXPECT_ERR(err, ioctl(fd, ARENA_IOC_SUM_LIST, &s), "SUM_LIST " what); \
} while (0)
	n = (void *)(base + 8 * PG);
	n[0] = (struct arena_list_node){ .next = (uintptr_t)&n[1], .value = 5 };
	n[1] = (struct arena_list_node){ .next = 0, .value = 6 };
	S(0, 0, 0, 0, "empty list");
	S((uintptr_t)n, 0, 0, 0, "two nodes");
	EXPECT_TRUE(s.count == 2 && s.sum == 11, "SUM_LIST two nodes: %llu %llu",
		    (unsigned long long)s.count, (unsigned long long)s.sum);
	S((uintptr_t)n, 1, 0, EINVAL, "non-zero count (an output field)");
	S((uintptr_t)n, 0, 1, EINVAL, "non-zero sum (an output field)");
	S((uintptr_t)n + 4, 0, 0, EINVAL, "misaligned head");
	S((uintptr_t)(base + 9 * PG - 8), 0, 0, EINVAL, "node across a page end");
	S((uintptr_t)&s, 0, 0, EFAULT, "head outside the arena");
	S(0xffffffff81000000ULL, 0, 0, EFAULT, "kernel address");
	S((uintptr_t)(base + 50 * PG), 0, 0, EFAULT, "head on a free page");
	S((uintptr_t)(base + 20 * PG), 0, 0, EFAULT, "head on a reserved page");
	n[1].next = (uintptr_t)(base + 30 * PG);
	S((uintptr_t)n, 0, 0, EFAULT, "next on a free page");
	n[1].next = (uintptr_t)&n[0];
	S((uintptr_t)n, 0, 0, ELOOP, "cycle");
#undef S
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_SUM_LIST, NULL), "SUM_LIST(NULL)");
	s = (struct arena_sum_list){ .head = 0 };
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_SUM_LIST, ro_arg(&s, sizeof(s))),
		   "SUM_LIST(read-only argument)");
	close(fd);
	munmap(base, HSIZE);
	return 0;
}

static int hostile_ioc_numbers(void *unused)
{
	char buf[256] = { 0 };
	struct arena_info i;
	char *base;
	int fd = hostile_arena(&base);
	unsigned int nr, k;
	static const unsigned int sizes[] = { 0, 8, 16, 23, 25, 31, 33, 40, 255 };

	if (fd < 0)
		return 1;
	/* A wrong size or direction is another command: ENOTTY. */
	for (nr = 0; nr < 16; nr++) {
		for (k = 0; k < ARRAY_SIZE(sizes); k++) {
			unsigned int dirs[] = { _IOC_NONE, _IOC_READ, _IOC_WRITE,
						_IOC_READ | _IOC_WRITE };
			unsigned int d;

			for (d = 0; d < 4; d++) {
				unsigned long cmd = _IOC(dirs[d], ARENA_IOC_MAGIC,
							 nr, sizes[k]);
				char desc[64];

				if (cmd == ARENA_IOC_SETUP || cmd == ARENA_IOC_ALLOC ||
				    cmd == ARENA_IOC_FREE || cmd == ARENA_IOC_RESERVE ||
				    cmd == ARENA_IOC_BUILD_LIST ||
				    cmd == ARENA_IOC_INFO || cmd == ARENA_IOC_SUM_LIST)
					continue;
				snprintf(desc, sizeof(desc), "ioctl %#lx", cmd);
				EXPECT_ERR(ENOTTY, ioctl(fd, cmd, buf), desc);
			}
		}
	}
	EXPECT_ERR(ENOTTY, ioctl(fd, _IOR('x', 5, struct arena_info), &i),
		   "INFO with another magic");
	EXPECT_ERR(ENOTTY, ioctl(fd, 0, buf), "ioctl 0");
	EXPECT_ERR(ENOTTY, ioctl(fd, ~0U, buf), "ioctl ~0");
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_INFO, NULL), "INFO(NULL)");
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_INFO, ro_page), "INFO(read-only)");
	EXPECT_ERR(EFAULT, ioctl(fd, ARENA_IOC_INFO, straddle(sizeof(i))),
		   "INFO(straddle)");
	memset(&i, 0xff, sizeof(i));
	EXPECT_ERR(0, ioctl(fd, ARENA_IOC_INFO, &i), "INFO over garbage");
	EXPECT_TRUE(i.pages_in_use == 4 && i.__reserved == 0 && i.size == HSIZE,
		    "INFO over garbage: %llu pages, reserved %u",
		    (unsigned long long)i.pages_in_use, i.__reserved);
	/* The arena's own memory as an argument: in place, no deadlock. */
	memset(base + 8 * PG, 0, PG);
	*(struct arena_alloc *)(base + 8 * PG) = (struct arena_alloc){
		.offset = 40 * PG, .count = 2, .node = -1,
		.flags = VM_ARENA_ALLOC_POPULATE };
	EXPECT_ERR(0, ioctl(fd, ARENA_IOC_ALLOC, base + 8 * PG),
		   "ALLOC with the argument inside the arena");
	EXPECT_ERR(0, ioctl(fd, ARENA_IOC_INFO, base + 10 * PG),
		   "INFO into the arena");
	EXPECT_TRUE(pages_in_use(fd) == 6, "pages in use %lld, want 6",
		    pages_in_use(fd));
	close(fd);
	munmap(base, HSIZE);
	return 0;
}

/* Random argument bytes to every command: only listed errors, no oops. */
static int hostile_fuzz(void *arg)
{
	static const struct { unsigned long cmd; uint64_t allowed; } c[] = {
		{ ARENA_IOC_SETUP, E_SETUP }, { ARENA_IOC_ALLOC, E_ALLOC },
		{ ARENA_IOC_FREE, E_FREE }, { ARENA_IOC_RESERVE, E_RESERVE },
		{ ARENA_IOC_BUILD_LIST, E_BUILD }, { ARENA_IOC_INFO, E_INFO },
		{ ARENA_IOC_SUM_LIST, E_SUM },
	};
	uint64_t seed = *(uint64_t *)arg, rs = seed;
	uint64_t buf[8];
	char *base;
	int fd = hostile_arena(&base);
	int k, w;

	if (fd < 0)
		return 1;
	for (k = 0; k < 3000; k++) {
		int which = below(&rs, 7), e;

		for (w = 0; w < 8; w++) {
			uint64_t v = rnd(&rs);

			switch (below(&rs, 6)) {
			case 0:
				v = 0;
				break;
			case 1:
				v &= 0xff;
				break;
			case 2:
				v = (v % HPAGES) * PG;
				break;
			case 3:
				v = (uintptr_t)base + (v % HSIZE & ~7ULL);
				break;
			case 4:
				v = ARENA_ANY;
				break;
			}
			buf[w] = v;
		}
		if (c[which].cmd == ARENA_IOC_BUILD_LIST && buf[0] > 4096)
			buf[0] %= 4096;
		e = ERRNO_OF(ioctl(fd, c[which].cmd, buf));
		if (e && !(c[which].allowed & BIT(e)))
			check_fail("seed=%llu op=%d ioctl %#lx args %llx %llx %llx %llx: %s is not a listed error",
				   (unsigned long long)seed, k, c[which].cmd,
				   (unsigned long long)buf[0],
				   (unsigned long long)buf[1],
				   (unsigned long long)buf[2],
				   (unsigned long long)buf[3], strerror(e));
	}
	close(fd);
	munmap(base, HSIZE);
	return 0;
}

static int hostile_mm(void *unused)
{
	char *base, *q;
	int fd = hostile_arena(&base), fd2;

	if (fd < 0)
		return 1;
	/* A second arena, not mapped yet: the mmap rules. */
	fd2 = open_dev_mode(O_RDWR);
	if (fd2 < 0 || setup(fd2, HSIZE, 0))
		return 1;
	EXPECT_TRUE(mmap(NULL, HSIZE, PROT_READ, MAP_PRIVATE, fd2, 0) == MAP_FAILED &&
		    errno == EINVAL, "private mmap: want EINVAL");
	EXPECT_TRUE(mmap(NULL, HSIZE - PG, PROT_READ, MAP_SHARED, fd2, 0) ==
		    MAP_FAILED && errno == EINVAL, "short mmap: want EINVAL");
	EXPECT_TRUE(mmap(NULL, HSIZE, PROT_READ, MAP_SHARED, fd2, PG) ==
		    MAP_FAILED && errno == EINVAL, "mmap at offset: want EINVAL");
	EXPECT_TRUE(mmap(NULL, HSIZE, PROT_READ | PROT_EXEC, MAP_SHARED, fd2, 0) ==
		    MAP_FAILED && errno == EPERM, "PROT_EXEC mmap: want EPERM");
	close(fd2);

	base[8 * PG] = 'a';
	EXPECT_TRUE(mmap(NULL, HSIZE, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED,
		    "private mmap of a mapped arena succeeded");
	EXPECT_TRUE(mmap(NULL, HSIZE, PROT_READ, MAP_SHARED, fd, 0) ==
		    MAP_FAILED && errno == EBUSY, "second mmap: want EBUSY");
	EXPECT_ERR(EINVAL, munmap(base + PG, PG), "partial munmap");
	EXPECT_ERR(EINVAL, munmap(base, HSIZE - PG), "munmap of all but a page");
	EXPECT_ERR(EINVAL, mprotect(base + PG, PG, PROT_READ), "partial mprotect");
	EXPECT_ERR(EACCES, mprotect(base, HSIZE, PROT_READ | PROT_EXEC),
		   "mprotect PROT_EXEC");
	EXPECT_ERR(EINVAL, madvise(base + PG, PG, MADV_DOFORK),
		   "MADV_DOFORK on part (would split)");
	EXPECT_ERR(0, madvise(base, HSIZE, MADV_DONTNEED), "MADV_DONTNEED");
	EXPECT_TRUE(base[8 * PG] == 'a', "MADV_DONTNEED lost arena data");
	EXPECT_ERR(0, madvise(base + 8 * PG, PG, MADV_DONTNEED),
		   "MADV_DONTNEED on one page");
	EXPECT_TRUE(base[8 * PG] == 'a', "MADV_DONTNEED of a page lost its data");
	EXPECT_ERR(0, madvise(base, HSIZE, MADV_DOFORK), "MADV_DOFORK");
	EXPECT_ERR(0, madvise(base, HSIZE, MADV_DONTFORK), "MADV_DONTFORK");
	q = mremap(base, HSIZE, 2 * HSIZE, MREMAP_MAYMOVE);
	EXPECT_TRUE(q == MAP_FAILED && errno == EFAULT, "mremap grow: want EFAULT");
	q = mremap(base, HSIZE, HSIZE / 2, 0);
	EXPECT_TRUE(q == MAP_FAILED && errno == EINVAL, "mremap shrink: want EINVAL");
	q = mremap(base, HSIZE, HSIZE, MREMAP_MAYMOVE | MREMAP_FIXED,
		   (char *)0x300000000UL);
	EXPECT_TRUE(q == MAP_FAILED && (errno == EBUSY || errno == EINVAL),
		    "mremap move: want EBUSY or EINVAL");
	EXPECT_TRUE(base[8 * PG] == 'a', "refused mm calls lost arena data");
	EXPECT_ERR(0, munmap(base, HSIZE), "munmap");
	q = mmap(NULL, HSIZE, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_TRUE(q == base, "remap at another address: %p, want %p", q, base);
	if (q == base)
		EXPECT_TRUE(q[8 * PG] == 'a', "data lost over munmap/mmap");
	close(fd);
	munmap(q, HSIZE);
	return 0;
}

/* ==== the random engine ==== */

struct slice_state {
	pthread_mutex_t lock;	/* hostile FREE vs the owner's resync */
	volatile uint64_t hostile;	/* pages a hostile thread may have freed */
	volatile long in_use;	/* pages the owner's model holds */
};

struct shared {
	pthread_barrier_t bar;
	volatile int stop;
	volatile long failures;
	/* List-area frees: begun so far, and under way now. */
	volatile unsigned long list_frees;
	volatile long list_inflight;
	volatile uint64_t next_tag;
	volatile long ops, tainted, lists, forks, races_seen;
	struct slice_state slice[MAX_SLICES];
};

struct engine {
	enum profile prof;
	int variant;
	uint64_t seed;
	int fd;
	char *base;
	unsigned long npages, nslices, list_off;	/* in pages */
	double deadline;
	struct shared *sh;
};

enum pstate { P_FREE, P_ALLOC };

struct worker {
	struct engine *e;
	int proc, thread, slice;	/* slice < 0: hostile */
	bool leader;
	uint64_t rs;
	unsigned long op;
	char opdesc[200];
	unsigned char state[SLICE];
	uint64_t tag[SLICE];
	bool dofork;
	pthread_t tid;
};

static void wfail(struct worker *w, const char *fmt, ...)
{
	char buf[600];
	va_list ap;
	long n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = __sync_fetch_and_add(&w->e->sh->failures, 1);
	if (n < MAX_REPORTS)
		out("# FAIL seed=%llu proc=%d thread=%d op=%lu [%s]: %s",
		    (unsigned long long)w->e->seed, w->proc, w->thread, w->op,
		    w->opdesc, buf);
}

#define EXPECT_W(w, want, call, desc) do {				\
	int __w = (want), __r = (call), __e = __r ? errno : 0;		\
	if (__e != __w)							\
		wfail(w, "%s: got %s, want %s", (desc),			\
		      __e ? strerror(__e) : "success",			\
		      __w ? strerror(__w) : "success");			\
} while (0)

#define OPDESC(w, ...) snprintf((w)->opdesc, sizeof((w)->opdesc), __VA_ARGS__)

static bool segv_arena(struct worker *w)
{
	return w->e->variant == VAR_SEGV;
}

static uint64_t slice_off(struct engine *e, int slice, unsigned long page)
{
	return ((uint64_t)slice * STRIDE + page) * PG;
}

static volatile char *uaddr(struct engine *e, uint64_t off)
{
	return e->base + off;
}

static bool hostile_hit(struct worker *w, unsigned long first,
			unsigned long count)
{
	uint64_t mask = ((1ULL << count) - 1) << first;

	return w->e->sh->slice[w->slice].hostile & mask;
}

static void check_errno(struct worker *w, int err, uint64_t allowed,
			const char *call)
{
	if (err && !(allowed & BIT(err)))
		wfail(w, "%s: %s is not an error this call may return",
		      call, strerror(err));
}

static void set_in_use(struct worker *w)
{
	long n = 0;
	int i;

	for (i = 0; i < (int)SLICE; i++)
		n += w->state[i] == P_ALLOC;
	w->e->sh->slice[w->slice].in_use = n;
}

/*
 * Forget what hostile threads may have done to our slice: free every page
 * they touched (ENOENT if they freed it), with their frees held off.
 */
static void resync(struct worker *w)
{
	struct slice_state *ss = &w->e->sh->slice[w->slice];
	unsigned long i;
	uint64_t bits;
	int err;

	if (!ss->hostile)
		return;
	pthread_mutex_lock(&ss->lock);
	bits = ss->hostile;
	for (i = 0; i < SLICE; i++) {
		if (!(bits & (1ULL << i)))
			continue;
		OPDESC(w, "owner FREE of slice page %lu after hostile frees", i);
		err = ERRNO_OF(range_op(w->e->fd, ARENA_IOC_FREE,
					slice_off(w->e, w->slice, i), 1));
		if (err && err != ENOENT)
			wfail(w, "FREE of one page: %s, want 0 or ENOENT",
			      strerror(err));
		w->state[i] = P_FREE;
	}
	ss->hostile = 0;
	pthread_mutex_unlock(&ss->lock);
	set_in_use(w);
}

/* A page we just freed, or just got: it must fault or read zeros. */
static void expect_fresh(struct worker *w, unsigned long i, bool after_free,
			 uint64_t old_tag)
{
	uint64_t off = slice_off(w->e, w->slice, i), buf[PG / 8];
	int sig;
	unsigned long k;

	sig = probe_copy(buf, uaddr(w->e, off), PG);
	if (sig) {
		/* SIGSEGV: only where no page is made on a fault. */
		if (!segv_arena(w) || sig != SIGSEGV)
			wfail(w, "page %lu: signal %d reading a %s page", i, sig,
			      after_free ? "freed" : "new");
		else if (!after_free && !hostile_hit(w, i, 1))
			wfail(w, "page %lu: SIGSEGV reading a page ALLOC just returned",
			      i);
		if (!after_free)
			w->state[i] = P_ALLOC;	/* resync frees it */
		return;
	}
	for (k = 0; k < PG / 8; k++)
		if (buf[k])
			break;
	if (k < PG / 8) {
		wfail(w, "page %lu (offset %#llx) %s shows old data: word %lu = %#llx (the page's previous tag %#llx)",
		      i, (unsigned long long)off,
		      after_free ? "after FREE returned 0" : "right after ALLOC returned 0",
		      k, (unsigned long long)buf[k], (unsigned long long)old_tag);
		__sync_fetch_and_add(&w->e->sh->races_seen, 1);
	}
	if (after_free && !segv_arena(w)) {
		/* The read faulted in a fresh page: it is ours now. */
		w->state[i] = P_ALLOC;
		w->tag[i] = 0;
	}
}

/* Write our node into page @i and have the kernel read it back. */
static void tag_and_compare(struct worker *w, unsigned long i)
{
	uint64_t off = slice_off(w->e, w->slice, i);
	uint64_t tag = __sync_add_and_fetch(&w->e->sh->next_tag, 1);
	struct arena_list_node node = { .next = 0, .value = tag };
	struct arena_sum_list s = { .head = (uintptr_t)uaddr(w->e, off) };
	int sig, err;

	w->tag[i] = tag;
	sig = probe_store(uaddr(w->e, off), &node, sizeof(node));
	if (sig) {
		if (!segv_arena(w) || !hostile_hit(w, i, 1))
			wfail(w, "page %lu: signal %d writing an allocated page",
			      i, sig);
		return;
	}
	err = ERRNO_OF(ioctl(w->e->fd, ARENA_IOC_SUM_LIST, &s));
	check_errno(w, err, E_SUM, "SUM_LIST");
	if (hostile_hit(w, i, 1)) {
		__sync_fetch_and_add(&w->e->sh->tainted, 1);
		return;
	}
	if (err || s.count != 1 || s.sum != tag)
		wfail(w, "page %lu: the kernel sees %s count %llu sum %#llx where user space wrote one node of value %#llx",
		      i, err ? strerror(err) : "a list with",
		      (unsigned long long)s.count, (unsigned long long)s.sum,
		      (unsigned long long)tag);
}

static bool find_run(struct worker *w, enum pstate st, unsigned long max,
		     unsigned long *first, unsigned long *count)
{
	unsigned long start = below(&w->rs, SLICE), i, n = 0;

	for (i = 0; i < SLICE; i++) {
		unsigned long p = (start + i) % SLICE;

		if (w->state[p] == st) {
			start = p;
			break;
		}
	}
	if (i == SLICE)
		return false;
	while (start + n < SLICE && n < max && w->state[start + n] == st)
		n++;
	*first = start;
	*count = 1 + below(&w->rs, n);
	return true;
}

static void op_alloc(struct worker *w, unsigned long first, unsigned long count,
		     uint32_t flags)
{
	struct arena_alloc a = {
		.offset = slice_off(w->e, w->slice, first), .count = count,
		.node = below(&w->rs, 4) ? -1 : 0, .flags = flags,
	};
	unsigned long i;
	int err;

	OPDESC(w, "ALLOC offset %#llx count %lu flags %#x node %d",
	       (unsigned long long)a.offset, count, flags, a.node);
	err = ERRNO_OF(ioctl(w->e->fd, ARENA_IOC_ALLOC, &a));
	check_errno(w, err, E_ALLOC, "ALLOC");
	if (err == ENOMEM)
		return;
	if (err) {
		wfail(w, "ALLOC of pages free in the model: %s", strerror(err));
		return;
	}
	if (a.offset != slice_off(w->e, w->slice, first))
		wfail(w, "ALLOC at a fixed offset returned offset %#llx",
		      (unsigned long long)a.offset);
	for (i = first; i < first + count; i++) {
		w->state[i] = P_ALLOC;
		expect_fresh(w, i, false, w->tag[i]);
		tag_and_compare(w, i);
	}
	set_in_use(w);
}

static void op_free(struct worker *w, unsigned long first, unsigned long count)
{
	uint64_t off = slice_off(w->e, w->slice, first);
	unsigned long i;
	int err;

	OPDESC(w, "FREE offset %#llx count %lu", (unsigned long long)off, count);
	err = ERRNO_OF(range_op(w->e->fd, ARENA_IOC_FREE, off, count));
	check_errno(w, err, E_FREE, "FREE");
	if (err == ENOENT && hostile_hit(w, first, count)) {
		__sync_fetch_and_add(&w->e->sh->tainted, 1);
		return;		/* resync sorts it out */
	}
	if (err) {
		wfail(w, "FREE of pages allocated in the model: %s",
		      strerror(err));
		return;
	}
	for (i = first; i < first + count; i++) {
		w->state[i] = P_FREE;
		expect_fresh(w, i, true, w->tag[i]);
	}
	set_in_use(w);
}

/* Read an allocated page by some route; it must hold our tag. */
static void op_read_back(struct worker *w, int how)
{
	static const char * const name[] = { "load", "/proc/self/mem",
		"process_vm_readv", "vmsplice", "MADV_DONTNEED+load" };
	unsigned long i, first, count;
	uint64_t off, buf[2] = { 0, 0 };
	ssize_t n = 0;
	int sig = 0, err = 0;

	if (!find_run(w, P_ALLOC, 1, &first, &count))
		return;
	i = first;
	off = slice_off(w->e, w->slice, i);
	OPDESC(w, "read back page %lu (offset %#llx) by %s", i,
	       (unsigned long long)off, name[how]);
	switch (how) {
	case 0:
		sig = probe_copy(buf, uaddr(w->e, off), 16);
		break;
	case 1: {
		int fd = open("/proc/self/mem", O_RDONLY);

		n = pread(fd, buf, 16, (off_t)(uintptr_t)uaddr(w->e, off));
		err = n < 0 ? errno : 0;
		close(fd);
		break;
	}
	case 2: {
		struct iovec l = { buf, 16 };
		struct iovec r = { (void *)uaddr(w->e, off), 16 };

		n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
		err = n < 0 ? errno : 0;
		break;
	}
	case 3: {
		struct iovec v = { (void *)uaddr(w->e, off), PG };
		int p[2];

		if (pipe(p))
			return;
		n = vmsplice(p[1], &v, 1, SPLICE_F_NONBLOCK);
		err = n < 0 ? errno : 0;
		if (n > 0 && read(p[0], buf, 16) != 16)
			err = EIO;
		close(p[0]);
		close(p[1]);
		break;
	}
	default:
		err = ERRNO_OF(madvise((void *)uaddr(w->e, off), PG,
				       MADV_DONTNEED));
		if (err)
			wfail(w, "MADV_DONTNEED: %s", strerror(err));
		sig = probe_copy(buf, uaddr(w->e, off), 16);
		break;
	}
	if (hostile_hit(w, i, 1)) {
		__sync_fetch_and_add(&w->e->sh->tainted, 1);
		return;
	}
	if (sig || err || (how >= 1 && how <= 3 && n <= 0) ||
	    buf[1] != w->tag[i] || buf[0])
		wfail(w, "%s of an allocated page: signal %d error %s, read %#llx/%#llx, want tag %#llx",
		      name[how], sig, err ? strerror(err) : "none",
		      (unsigned long long)buf[0], (unsigned long long)buf[1],
		      (unsigned long long)w->tag[i]);
}

/*
 * Which list-area frees may have touched a list.  A free counts as under
 * way from before its ioctl until after it returns; a snapshot reads the
 * frees begun, then those under way.  A free whose kernel effect follows
 * the snapshot was either begun after it (the count moved) or under way
 * at it (a begun free raised list_inflight before list_frees).  A parity
 * counter cannot say this: two frees under way at once leave it even, and
 * a hostile FREE blocked behind our BUILD_LIST then frees our page with
 * the counter looking quiet.
 */
struct list_snap {
	unsigned long begun;
	long inflight;
};

static void list_free_begin(struct shared *sh)
{
	__sync_fetch_and_add(&sh->list_inflight, 1);
	__sync_fetch_and_add(&sh->list_frees, 1);
}

static void list_free_end(struct shared *sh)
{
	__sync_fetch_and_sub(&sh->list_inflight, 1);
}

static void list_snapshot(struct shared *sh, struct list_snap *snap)
{
	snap->begun = sh->list_frees;
	__sync_synchronize();
	snap->inflight = sh->list_inflight;
}

/* Did a list-area free other than our own @own ones run since @snap? */
static bool list_freed_since(struct shared *sh, const struct list_snap *snap,
			     unsigned long own)
{
	return snap->inflight || sh->list_frees != snap->begun + own;
}

/* The kernel builds a list in the list area; walk it back. */
static void op_build_list(struct worker *w)
{
	struct engine *e = w->e;
	unsigned long pages = LIST_MIN_PAGES +
		below(&w->rs, LIST_MAX_PAGES - LIST_MIN_PAGES + 1);
	uint64_t count = (pages - 1) * NODES_PER_PAGE + 1 +
		below(&w->rs, NODES_PER_PAGE);
	struct arena_build_list b = { .count = count };
	unsigned long i, got = 0;
	struct list_snap snap;
	uint64_t head, off;
	bool bad = false;
	int err, sig = 0;

	OPDESC(w, "BUILD_LIST count %llu", (unsigned long long)count);
	list_snapshot(e->sh, &snap);
	err = ERRNO_OF(ioctl(e->fd, ARENA_IOC_BUILD_LIST, &b));
	check_errno(w, err, E_BUILD, "BUILD_LIST");
	if (err) {
		if (err != ENOMEM)
			wfail(w, "BUILD_LIST: %s", strerror(err));
		return;
	}
	__sync_fetch_and_add(&e->sh->lists, 1);
	head = b.head;
	off = head - (uintptr_t)e->base;
	if (b.pages != pages || head < (uintptr_t)e->base ||
	    off % PG || off / PG < e->list_off ||
	    off / PG + pages > e->npages) {
		wfail(w, "BUILD_LIST returned head %#llx pages %llu: want %lu pages in the list area",
		      (unsigned long long)head, (unsigned long long)b.pages,
		      pages);
		return;
	}
	OPDESC(w, "BUILD_LIST count %llu -> offset %#llx, walk",
	       (unsigned long long)count, (unsigned long long)off);
	for (i = 0; i < count; i++) {
		struct arena_list_node n;
		uint64_t at = head + i * sizeof(n);

		sig = probe_copy(&n, (volatile void *)(uintptr_t)at, sizeof(n));
		if (sig)
			break;
		got++;
		if (n.value != i * 3 + 1 ||
		    n.next != (i + 1 < count ? at + sizeof(n) : 0)) {
			bad = true;
			break;
		}
	}
	if ((sig || bad) && list_freed_since(e->sh, &snap, 0)) {
		__sync_fetch_and_add(&e->sh->tainted, 1);
	} else if (sig || bad) {
		wfail(w, "kernel-built list (head %#llx, %llu nodes) walks back wrong at node %lu (%s) with no free in the list area meanwhile",
		      (unsigned long long)head, (unsigned long long)count, got,
		      sig ? "signal" : "value or next");
	}
	OPDESC(w, "FREE list offset %#llx count %lu", (unsigned long long)off,
	       pages);
	/*
	 * A page of ours that a hostile thread freed may belong to another
	 * thread's list by now: this free may take it, so it counts as a
	 * list-area free for the others' checks.
	 */
	list_free_begin(e->sh);
	err = ERRNO_OF(range_op(e->fd, ARENA_IOC_FREE, off, pages));
	list_free_end(e->sh);
	check_errno(w, err, E_FREE, "FREE");
	if (err == ENOENT && list_freed_since(e->sh, &snap, 1))
		return;		/* a hostile free took part of it; sweep later */
	if (err)
		wfail(w, "FREE of our own list: %s", strerror(err));
}

/* Calls that must fail the same way whatever the others do. */
static void op_refused(struct worker *w)
{
	struct engine *e = w->e;
	uint64_t size = e->npages * PG, guard;
	/* Too long for a slice hole, should a driver accept it. */
	struct arena_build_list b = {
		.count = LIST_MIN_PAGES * NODES_PER_PAGE, .head = 8 };
	struct arena_sum_list s = { 0 };
	char *q;
	int k = below(&w->rs, 12);

	guard = slice_off(e, below(&w->rs, e->nslices), SLICE);
	OPDESC(w, "refused call %d", k);
	switch (k) {
	case 0:
		EXPECT_W(w, EBUSY, range_op(e->fd, ARENA_IOC_RESERVE, guard, 1),
			 "RESERVE a guard page");
		break;
	case 1:
		EXPECT_W(w, ENOENT, range_op(e->fd, ARENA_IOC_FREE, guard, 1),
			 "FREE a guard page");
		break;
	case 2:
		EXPECT_W(w, EBUSY, alloc_at(e->fd, guard - PG, 2, 1, NULL),
			 "ALLOC|POPULATE over a guard page");
		break;
	case 3:
		EXPECT_W(w, E2BIG, alloc_at(e->fd, ARENA_ANY, ~0ULL >> 1, 0, NULL),
			 "ALLOC huge");
		break;
	case 4:
		EXPECT_W(w, EINVAL, alloc_at(e->fd, guard + 8, 1, 0, NULL),
			 "ALLOC misaligned");
		break;
	case 5:
		EXPECT_W(w, ERANGE, range_op(e->fd, ARENA_IOC_FREE, size - PG, 2),
			 "FREE past the end");
		break;
	case 6:
		EXPECT_W(w, EINVAL, ioctl(e->fd, ARENA_IOC_BUILD_LIST, &b),
			 "BUILD_LIST with non-zero head");
		break;
	case 7:
		s.head = (uintptr_t)uaddr(e, guard);
		s.sum = 1;
		EXPECT_W(w, EINVAL, ioctl(e->fd, ARENA_IOC_SUM_LIST, &s),
			 "SUM_LIST with non-zero sum");
		break;
	case 8:
		s.head = (uintptr_t)uaddr(e, guard);
		EXPECT_W(w, EFAULT, ioctl(e->fd, ARENA_IOC_SUM_LIST, &s),
			 "SUM_LIST of a guard page");
		break;
	case 9:
		EXPECT_W(w, EINVAL, munmap(e->base + PG, PG), "partial munmap");
		break;
	case 10:
		EXPECT_W(w, EACCES, mprotect(e->base, size, PROT_READ | PROT_EXEC),
			 "mprotect PROT_EXEC");
		break;
	default:
		q = mremap(e->base, size, 2 * size, MREMAP_MAYMOVE);
		EXPECT_W(w, EFAULT, q == MAP_FAILED ? -1 : 0, "mremap grow");
		break;
	}
}

/* Hostile: free a random range of someone's slice. */
static void op_hostile_free_slice(struct worker *w, bool low)
{
	struct engine *e = w->e;
	int slice = below(&w->rs, e->nslices);
	struct slice_state *ss = &e->sh->slice[slice];
	unsigned long first = below(&w->rs, low ? 4 : SLICE);
	unsigned long count = below(&w->rs, 4) ? 1 : 1 + below(&w->rs, 3);
	int err;

	if (first + count > SLICE)
		count = SLICE - first;
	OPDESC(w, "hostile FREE slice %d pages %lu+%lu", slice, first, count);
	pthread_mutex_lock(&ss->lock);
	__sync_fetch_and_or(&ss->hostile, ((1ULL << count) - 1) << first);
	err = ERRNO_OF(range_op(e->fd, ARENA_IOC_FREE,
				slice_off(e, slice, first), count));
	pthread_mutex_unlock(&ss->lock);
	check_errno(w, err, E_FREE, "FREE");
	if (err && err != ENOENT)
		wfail(w, "hostile FREE: %s, want 0 or ENOENT", strerror(err));
}

/* Hostile: free a random range of the list area. */
static void op_hostile_free_list(struct worker *w, unsigned long span)
{
	struct engine *e = w->e;
	unsigned long first = e->list_off + below(&w->rs, span);
	unsigned long count = 1 + below(&w->rs, 2);
	int err;

	OPDESC(w, "hostile FREE list area offset %#lx count %lu", first * PG,
	       count);
	list_free_begin(e->sh);
	err = ERRNO_OF(range_op(e->fd, ARENA_IOC_FREE, first * PG, count));
	list_free_end(e->sh);
	check_errno(w, err, E_FREE, "FREE");
	if (err && err != ENOENT && !(err == ERANGE && first + count > e->npages))
		wfail(w, "hostile FREE in the list area: %s", strerror(err));
}

/* Hostile: garbage heads for SUM_LIST; only listed errors. */
static void op_sum_garbage(struct worker *w)
{
	struct engine *e = w->e;
	struct arena_sum_list s = { 0 };
	int err;

	switch (below(&w->rs, 4)) {
	case 0:
		s.head = rnd(&w->rs);
		break;
	case 1:
		s.head = (uintptr_t)e->base + below(&w->rs, e->npages * PG);
		break;
	case 2:
		s.head = (uintptr_t)e->base + below(&w->rs, e->npages) * PG;
		break;
	default:
		s.head = (uintptr_t)e->base + e->npages * PG;
		break;
	}
	OPDESC(w, "SUM_LIST head %#llx", (unsigned long long)s.head);
	err = ERRNO_OF(ioctl(e->fd, ARENA_IOC_SUM_LIST, &s));
	check_errno(w, err, E_SUM, "SUM_LIST");
}

/* A dup of the shared fd, used and closed while the others work. */
static void op_dup_close(struct worker *w)
{
	struct arena_info i;
	int d = dup(w->e->fd);

	OPDESC(w, "dup, INFO, close");
	if (d < 0)
		return;
	if (ioctl(d, ARENA_IOC_INFO, &i) || i.size != w->e->npages * PG)
		wfail(w, "INFO through a dup: %s", strerror(errno));
	close(d);
}

/*
 * fork() with the mapping inherited (MADV_DOFORK) or not: the child sees
 * our data at the same address, and a free we make meanwhile zaps its
 * mapping too; without DOFORK it has no mapping there.
 */
static void op_fork(struct worker *w)
{
	struct engine *e = w->e;
	unsigned long i, first, count;
	int c2p[2], p2c[2], status, err;
	uint64_t off, tag;
	bool dofork = below(&w->rs, 2);
	pid_t pid;
	char c;

	if (!find_run(w, P_ALLOC, 1, &first, &count))
		return;
	i = first;
	off = slice_off(e, w->slice, i);
	tag = w->tag[i];
	OPDESC(w, "fork with MADV_%s, child reads page %lu then parent frees it",
	       dofork ? "DOFORK" : "DONTFORK", i);
	err = ERRNO_OF(madvise(e->base, e->npages * PG,
			       dofork ? MADV_DOFORK : MADV_DONTFORK));
	if (err) {
		wfail(w, "madvise: %s", strerror(err));
		return;
	}
	if (pipe(c2p) || pipe(p2c))
		return;
	__sync_fetch_and_add(&e->sh->forks, 1);
	pid = fork();
	if (!pid) {
		uint64_t buf[2];
		int sig;

		/* Our ends only: a side that exits early gives the other EOF. */
		close(c2p[0]);
		close(p2c[1]);
		sig = probe_copy(buf, uaddr(e, off), 16);
		if (!dofork)
			_exit(sig == SIGSEGV ? 0 : 10);
		if (sig)
			_exit(11);
		if (buf[1] != tag)
			_exit(12);
		if (write(c2p[1], "r", 1) != 1 || read(p2c[0], &c, 1) != 1)
			_exit(13);
		sig = probe_copy(buf, uaddr(e, off), 16);
		if (!sig && (buf[0] || buf[1]))
			_exit(14);	/* the free did not zap the child */
		_exit(0);
	}
	close(c2p[1]);
	close(p2c[0]);
	if (pid < 0) {
		close(c2p[0]);
		close(p2c[1]);
		return;
	}
	if (dofork && read(c2p[0], &c, 1) == 1) {
		op_free(w, i, 1);
		/* A lazy child fault made a page: resync frees it. */
		__sync_fetch_and_or(&e->sh->slice[w->slice].hostile, 1ULL << i);
		if (write(p2c[1], "f", 1) != 1)
			wfail(w, "pipe to child");
	}
	close(c2p[0]);
	close(p2c[1]);
	waitpid(pid, &status, 0);
	madvise(e->base, e->npages * PG, MADV_DONTFORK);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (WIFEXITED(status) && (WEXITSTATUS(status) == 11 ||
					  WEXITSTATUS(status) == 12) &&
		    hostile_hit(w, i, 1))
			return;
		wfail(w, "child %s %d (10: mapping inherited without DOFORK, 11/12: no or wrong data with DOFORK, 14: old data after the parent's free)",
		      WIFEXITED(status) ? "exit" : "signal",
		      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
}

static void owner_op(struct worker *w)
{
	struct engine *e = w->e;
	unsigned long first, count, r;

	resync(w);
	if (e->prof == PROF_RACE_LIST) {
		op_build_list(w);
		return;
	}
	if (e->prof == PROF_RACE_POPULATE) {
		/* ALLOC|POPULATE pages 0-3, which the hostile frees target. */
		for (first = 0; first < 4; first++)
			if (w->state[first] == P_ALLOC)
				op_free(w, first, 1);
		resync(w);
		for (first = 0; first < 4; first++)
			if (w->state[first] == P_FREE)
				op_alloc(w, first, 1, VM_ARENA_ALLOC_POPULATE);
		return;
	}
	r = below(&w->rs, 100);
	if (r < 24) {
		if (find_run(w, P_FREE, 4, &first, &count))
			op_alloc(w, first, count,
				 below(&w->rs, 2) ? VM_ARENA_ALLOC_POPULATE : 0);
	} else if (r < 42) {
		if (find_run(w, P_ALLOC, 4, &first, &count))
			op_free(w, first, count);
	} else if (r < 62) {
		op_read_back(w, below(&w->rs, 5));
	} else if (r < 70) {
		op_build_list(w);
	} else if (r < 76) {
		op_sum_garbage(w);
	} else if (r < 84) {
		op_refused(w);
	} else if (r < 88) {
		op_dup_close(w);
	} else if (r < 90 && w->leader) {
		op_fork(w);
	} else {
		if (find_run(w, P_ALLOC, 1, &first, &count)) {
			OPDESC(w, "SUM_LIST of own page %lu", first);
			tag_and_compare(w, first);
		}
	}
}

static void hostile_op(struct worker *w)
{
	struct engine *e = w->e;
	unsigned long r;

	if (e->prof == PROF_RACE_LIST) {
		op_hostile_free_list(w, 2 * LIST_MAX_PAGES);
		return;
	}
	if (e->prof == PROF_RACE_POPULATE) {
		op_hostile_free_slice(w, true);
		return;
	}
	r = below(&w->rs, 100);
	if (r < 45)
		op_hostile_free_slice(w, false);
	else if (r < 75)
		op_hostile_free_list(w, LIST_PAGES);
	else if (r < 85)
		op_sum_garbage(w);
	else
		op_refused(w);
}

/* Every thread of every process: all ops done, no hostile running. */
static void quiesce(struct worker *w)
{
	struct engine *e = w->e;
	unsigned long i;
	long long used;
	long model = 0;
	int k;

	pthread_barrier_wait(&e->sh->bar);
	if (w->slice >= 0) {
		resync(w);
		/* Nothing races now: every page holds exactly its tag. */
		for (i = 0; i < SLICE; i++) {
			uint64_t buf[2];

			if (w->state[i] != P_ALLOC)
				continue;
			OPDESC(w, "quiescent check of page %lu", i);
			if (probe_copy(buf, uaddr(e, slice_off(e, w->slice, i)), 16) ||
			    buf[1] != w->tag[i])
				wfail(w, "page %lu at a quiescent point: %#llx, want tag %#llx",
				      i, (unsigned long long)buf[1],
				      (unsigned long long)w->tag[i]);
		}
	}
	pthread_barrier_wait(&e->sh->bar);
	if (w->leader) {
		/* Lists a hostile free cut short, lazy faults in the area. */
		for (i = e->list_off; i < e->npages; i++)
			range_op(e->fd, ARENA_IOC_FREE, i * PG, 1);
		for (k = 0; k < (int)e->nslices; k++)
			model += e->sh->slice[k].in_use;
		used = pages_in_use(e->fd);
		OPDESC(w, "quiescent INFO");
		if (used != model)
			wfail(w, "INFO pages_in_use %lld at a quiescent point, the model has %ld",
			      used, model);
		if (now() > e->deadline || w->op >= opt_ops)
			e->sh->stop = 1;
	}
	pthread_barrier_wait(&e->sh->bar);
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	unsigned long k;

	snprintf(thread_name, sizeof(thread_name), "proc %d thread %d",
		 w->proc, w->thread);
	while (!w->e->sh->stop) {
		for (k = 0; k < ROUND_OPS; k++) {
			w->op++;
			if (w->slice >= 0)
				owner_op(w);
			else
				hostile_op(w);
		}
		__sync_fetch_and_add(&w->e->sh->ops, ROUND_OPS);
		quiesce(w);
	}
	return NULL;
}

/*
 * Owner threads per process: all but one in the random mix, one in the
 * race profiles (the others are hostile, to hit the window more often).
 */
static int owners_per_proc(enum profile prof)
{
	if (opt_threads == 1)
		return 1;
	return prof == PROF_MIXED ? opt_threads - 1 : 1;
}

/* One process: its threads; the first also owns slice 0 and leads. */
static int run_proc(struct engine *e, int proc)
{
	struct worker *w = calloc(opt_threads, sizeof(*w));
	int owners = owners_per_proc(e->prof);
	int t;

	for (t = 0; t < opt_threads; t++) {
		w[t] = (struct worker){ .e = e, .proc = proc, .thread = t,
			.slice = t < owners ? proc * owners + t : -1,
			.leader = !proc && !t,
			.rs = e->seed * 1000003 + proc * 101 + t };
		if (pthread_create(&w[t].tid, NULL, worker_fn, &w[t])) {
			out("# FAIL pthread_create");
			_exit(4);
		}
	}
	for (t = 0; t < opt_threads; t++)
		pthread_join(w[t].tid, NULL);
	free(w);
	return 0;
}

struct case_arg {
	enum profile prof;
	int variant;
	uint64_t seed;
	double seconds;
};

static int random_case(void *arg)
{
	struct case_arg *ca = arg;
	int owners = owners_per_proc(ca->prof);
	struct engine e = { .prof = ca->prof, .variant = ca->variant,
			    .seed = ca->seed };
	pthread_barrierattr_t ba;
	pthread_mutexattr_t ma;
	pid_t pids[MAX_PROCS];
	unsigned long k;
	int p, status, ret = 0;

	e.nslices = opt_procs * owners;
	e.list_off = e.nslices * STRIDE;
	e.npages = e.list_off + LIST_PAGES;
	e.deadline = now() + ca->seconds;
	e.sh = mmap(NULL, sizeof(*e.sh), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (e.sh == MAP_FAILED)
		return 1;
	pthread_barrierattr_init(&ba);
	pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
	pthread_barrier_init(&e.sh->bar, &ba, opt_procs * opt_threads);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	for (k = 0; k < MAX_SLICES; k++)
		pthread_mutex_init(&e.sh->slice[k].lock, &ma);
	e.sh->next_tag = ca->seed << 32;

	e.fd = open_dev_mode(O_RDWR);
	if (e.fd < 0 || setup(e.fd, e.npages * PG, variant_flags[ca->variant])) {
		out("# FAIL open/SETUP %s: %s", opt_dev, strerror(errno));
		return 1;
	}
	e.base = mmap(NULL, e.npages * PG, PROT_READ | PROT_WRITE, MAP_SHARED,
		      e.fd, 0);
	if (e.base == MAP_FAILED) {
		out("# FAIL mmap: %s", strerror(errno));
		return 1;
	}
	for (k = 0; k < e.nslices; k++)
		if (range_op(e.fd, ARENA_IOC_RESERVE,
			     slice_off(&e, k, SLICE), 1)) {
			out("# FAIL RESERVE guard: %s", strerror(errno));
			return 1;
		}
	out("# %s seed=%llu dev=%s arena=%lu pages procs=%d threads=%d (%d owners + %d hostile each)",
	    variant_name[ca->variant], (unsigned long long)ca->seed, opt_dev,
	    e.npages, opt_procs, opt_threads, owners, opt_threads - owners);
	for (p = 1; p < opt_procs; p++) {
		pids[p] = fork();
		if (!pids[p]) {
			/* Not inherited (VM_DONTCOPY): map it again, same place. */
			char *b = mmap(NULL, e.npages * PG, PROT_READ | PROT_WRITE,
				       MAP_SHARED, e.fd, 0);

			if (b != e.base) {
				out("# FAIL proc %d: mapped at %p, not %p", p, b,
				    e.base);
				_exit(1);
			}
			run_proc(&e, p);
			_exit(e.sh->failures ? 1 : 0);
		}
	}
	run_proc(&e, 0);
	for (p = 1; p < opt_procs; p++) {
		if (waitpid(pids[p], &status, 0) != pids[p] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			ret = 1;
	}
	out("# %s: %ld ops, %ld lists, %ld forks, %ld checks waived after a hostile free, %ld stale pages seen, %ld failures",
	    variant_name[ca->variant], e.sh->ops, e.sh->lists, e.sh->forks,
	    e.sh->tainted, e.sh->races_seen, e.sh->failures);
	if (e.sh->failures > MAX_REPORTS)
		out("# (%ld more failures not shown)",
		    e.sh->failures - MAX_REPORTS);
	munmap(e.base, e.npages * PG);
	close(e.fd);
	return ret || e.sh->failures;
}

/* ==== the last close gives everything back ==== */

static int close_frees_everything(void *unused)
{
	uint64_t size = 16ULL << 30, span, k, touched = 0;
	long before, after;
	char *p;
	int fd;

	before = memfree_kb();
	fd = open_dev_mode(O_RDWR);
	if (fd < 0)
		return 1;
	while (size > (64ULL << 20) && setup(fd, size, 0))
		size >>= 1;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		check_fail("mmap %llu: %s", (unsigned long long)size,
			   strerror(errno));
		return 1;
	}
	/* One page per 2 MiB: a page-table page for each, kernel and user. */
	span = size < (16ULL << 30) ? size : 16ULL << 30;
	for (k = 0; k < span; k += 2 << 20, touched++)
		p[k] = 1;
	EXPECT_ERR(0, alloc_at(fd, PG, 64, VM_ARENA_ALLOC_POPULATE, NULL),
		   "ALLOC|POPULATE");
	{
		struct arena_build_list b = { .count = 5000 };

		EXPECT_ERR(0, ioctl(fd, ARENA_IOC_BUILD_LIST, &b), "BUILD_LIST");
	}
	EXPECT_TRUE(pages_in_use(fd) >= (long long)touched + 64,
		    "pages in use %lld", pages_in_use(fd));
	munmap(p, size);
	close(fd);
	after = memfree_kb();
	out("# close: arena %llu GiB, %llu pages touched one per 2 MiB; MemFree %ld kB before, %ld kB after the last close: drift %ld kB (tolerance %ld kB)",
	    (unsigned long long)(size >> 30), (unsigned long long)touched,
	    before, after, before - after, MEMFREE_TOLERANCE_KB);
	EXPECT_TRUE(before - after <= MEMFREE_TOLERANCE_KB,
		    "MemFree is %ld kB lower after the last close (tolerance %ld kB)",
		    before - after, MEMFREE_TOLERANCE_KB);
	return 0;
}

/* ==== a big arena (--arena-gib N): scans and frees at scale ==== */

/*
 * Threads of one process allocate fixed ranges anywhere in an N GiB arena
 * and ARENA_ANY runs (a best fit over a fragmented bitmap: 65536
 * one-page holes are reserved first), write and check their pages, free
 * them, and free huge random ranges that always hold a free page (so they
 * must fail with ENOENT and free nothing, after marking and unmarking a
 * batch at a time).  Checked: no page is handed out twice, a fresh page
 * reads zero and keeps what was written until freed, every errno is
 * documented, own frees succeed, and pages in use are back to zero at
 * the end.  This is the load of the irqsoff figure (scripts/smm irqsoff).
 */
#define BIG_EXTENTS	1024	/* extents a thread holds at most */
#define BIG_PAGES	8192UL	/* pages a thread holds at most */
#define BIG_HOLES	65536UL

struct big_arena {
	int fd;
	char *base;
	uint64_t npages;
	uint64_t *map;		/* a bit per page: handed out, not yet freed */
	double deadline;
	long ops, busy, nomem, enoent;
};

struct big_worker {
	struct big_arena *a;
	pthread_t tid;
	uint64_t rs;
	unsigned long held, n;
	uint64_t off[BIG_EXTENTS], count[BIG_EXTENTS], tag[BIG_EXTENTS];
};

/* Mark (or unmark) pages; false if a page was already in that state. */
static bool big_mark(struct big_arena *a, uint64_t off, uint64_t count,
		     bool set)
{
	bool ok = true;
	uint64_t i;

	for (i = off; i < off + count; i++) {
		uint64_t bit = 1ULL << (i % 64), old;

		if (set)
			old = __sync_fetch_and_or(&a->map[i / 64], bit);
		else
			old = __sync_fetch_and_and(&a->map[i / 64], ~bit);
		if (!!(old & bit) == set)
			ok = false;
	}
	return ok;
}

static void big_alloc(struct big_worker *w, bool any)
{
	struct big_arena *a = w->a;
	uint64_t count = 1 + below(&w->rs, any ? 64 : 512), off, *p;
	uint32_t flags = below(&w->rs, 2) ? VM_ARENA_ALLOC_POPULATE : 0;
	int err;

	if (w->n == BIG_EXTENTS || w->held + count > BIG_PAGES)
		return;
	off = any ? ARENA_ANY : below(&w->rs, a->npages - count) * PG;
	err = ERRNO_OF(alloc_at(a->fd, off, count, flags, &off));
	if (err) {
		if (!(BIT(err) & E_ALLOC) ||
		    (err != EBUSY && err != ENOMEM))
			check_fail("big ALLOC %s count %llu: %s",
				   any ? "ANY" : "fixed",
				   (unsigned long long)count, strerror(err));
		__sync_fetch_and_add(err == EBUSY ? &a->busy : &a->nomem, 1);
		return;
	}
	if (off % PG || off / PG + count > a->npages) {
		check_fail("big ALLOC returned offset %#llx count %llu",
			   (unsigned long long)off, (unsigned long long)count);
		return;
	}
	off /= PG;
	if (!big_mark(a, off, count, true))
		check_fail("big ALLOC: a page of %#llx+%llu was handed out twice",
			   (unsigned long long)off * PG,
			   (unsigned long long)count);
	p = (uint64_t *)(a->base + off * PG);
	if (*p)
		check_fail("big ALLOC: fresh page %#llx reads %#llx",
			   (unsigned long long)off * PG,
			   (unsigned long long)*p);
	w->tag[w->n] = rnd(&w->rs) | 1;
	*p = w->tag[w->n];
	w->off[w->n] = off;
	w->count[w->n++] = count;
	w->held += count;
}

static void big_free(struct big_worker *w, unsigned long k)
{
	struct big_arena *a = w->a;
	uint64_t off = w->off[k], count = w->count[k];
	uint64_t v = *(uint64_t *)(a->base + off * PG);
	int err;

	if (v != w->tag[k])
		check_fail("big: page %#llx reads %#llx, wrote %#llx",
			   (unsigned long long)off * PG, (unsigned long long)v,
			   (unsigned long long)w->tag[k]);
	/* Unmark first: the range may be handed out again once freed. */
	big_mark(a, off, count, false);
	err = ERRNO_OF(range_op(a->fd, ARENA_IOC_FREE, off * PG, count));
	if (err)
		check_fail("big FREE of own %#llx+%llu: %s",
			   (unsigned long long)off * PG,
			   (unsigned long long)count, strerror(err));
	w->held -= count;
	w->off[k] = w->off[--w->n];
	w->count[k] = w->count[w->n];
	w->tag[k] = w->tag[w->n];
}

/* A range of at least 2^16 pages: more than all threads hold together. */
static void big_hostile_free(struct big_worker *w)
{
	struct big_arena *a = w->a;
	uint64_t count = (1ULL << 16) + below(&w->rs, 1UL << 18);
	uint64_t first = below(&w->rs, a->npages);
	int err;

	err = ERRNO_OF(range_op(a->fd, ARENA_IOC_FREE, first * PG, count));
	if (err == ENOENT)
		__sync_fetch_and_add(&a->enoent, 1);
	else if (!(err == ERANGE && first + count > a->npages))
		check_fail("big hostile FREE %#llx+%llu: %s, want ENOENT",
			   (unsigned long long)first * PG,
			   (unsigned long long)count,
			   err ? strerror(err) : "success");
}

static void *big_worker_fn(void *arg)
{
	struct big_worker *w = arg;
	long ops = 0;

	while (now() < w->a->deadline) {
		unsigned long r = below(&w->rs, 100);

		if (r < 35)
			big_alloc(w, false);
		else if (r < 60)
			big_alloc(w, true);
		else if (r < 97 && w->n)
			big_free(w, below(&w->rs, w->n));
		else if (r >= 97)
			big_hostile_free(w);
		ops++;
	}
	while (w->n)
		big_free(w, w->n - 1);
	__sync_fetch_and_add(&w->a->ops, ops);
	return NULL;
}

static int big_arena_case(void *arg)
{
	struct big_arena a = { .npages = (uint64_t)opt_arena_gib << 18 };
	uint64_t seed = *(uint64_t *)arg, k;
	struct big_worker *w;
	long long used;
	int t;

	a.fd = open_dev_mode(O_RDWR);
	if (a.fd < 0 || setup(a.fd, a.npages * PG, 0)) {
		check_fail("open/SETUP of %lu GiB: %s", opt_arena_gib,
			   strerror(errno));
		return 1;
	}
	a.base = mmap(NULL, a.npages * PG, PROT_READ | PROT_WRITE, MAP_SHARED,
		      a.fd, 0);
	a.map = calloc(a.npages / 64 + 1, sizeof(*a.map));
	w = calloc(opt_threads, sizeof(*w));
	if (a.base == MAP_FAILED || !a.map || !w) {
		check_fail("mmap/calloc for %lu GiB: %s", opt_arena_gib,
			   strerror(errno));
		return 1;
	}
	/* Holes for the best fit: every other page of the first 512 MiB. */
	for (k = 0; k < 2 * BIG_HOLES && k < a.npages; k += 2)
		EXPECT_ERR(0, range_op(a.fd, ARENA_IOC_RESERVE, (k + 1) * PG, 1),
			   "big RESERVE");
	a.deadline = now() + 5 * opt_seconds;
	for (t = 0; t < opt_threads; t++) {
		w[t].a = &a;
		w[t].rs = seed * 1000003 + t;
		if (pthread_create(&w[t].tid, NULL, big_worker_fn, &w[t])) {
			check_fail("pthread_create");
			return 1;
		}
	}
	for (t = 0; t < opt_threads; t++)
		pthread_join(w[t].tid, NULL);
	used = pages_in_use(a.fd);
	EXPECT_TRUE(used == 0, "big: %lld pages in use after every free", used);
	out("# big_arena: %lu GiB, %d threads, %ld ops, %ld EBUSY, %ld ENOMEM, %ld hostile frees refused",
	    opt_arena_gib, opt_threads, a.ops, a.busy, a.nomem, a.enoent);
	munmap(a.base, a.npages * PG);
	close(a.fd);
	free(a.map);
	free(w);
	return 0;
}

/* ==== main ==== */

static void print_usage(void)
{
	out("usage: arena_stress [--dev PATH] [--ko PATH] [--seed N]... [--ops N] [--seconds S] [--threads T] [--procs P] [--soak S] [--case NAME[,NAME...]] [--arena-gib N]");
	exit(2);
}

static void random_cases(uint64_t seed, double seconds)
{
	struct case_arg ca = { .prof = PROF_MIXED, .seed = seed,
			       .seconds = seconds };
	char name[96];

	for (ca.variant = 0; ca.variant < NR_VARIANTS; ca.variant++) {
		snprintf(name, sizeof(name), "random_%s_seed_%llu",
			 variant_name[ca.variant], (unsigned long long)seed);
		run_case(name, random_case, &ca, seconds * 2 + 20);
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", 1, NULL, 'd' }, { "ko", 1, NULL, 'k' },
		{ "seed", 1, NULL, 's' }, { "ops", 1, NULL, 'o' },
		{ "seconds", 1, NULL, 'S' }, { "threads", 1, NULL, 't' },
		{ "procs", 1, NULL, 'p' }, { "soak", 1, NULL, 'K' },
		{ "case", 1, NULL, 'c' }, { "arena-gib", 1, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	struct case_arg race;
	uint64_t fuzz_seed;
	double t0 = now();
	int c, k;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			opt_dev = optarg;
			break;
		case 'k':
			opt_ko = optarg;
			break;
		case 's':
			if (opt_nseeds < MAX_SEEDS)
				opt_seeds[opt_nseeds++] = strtoull(optarg, NULL, 0);
			break;
		case 'o':
			opt_ops = strtoul(optarg, NULL, 0);
			break;
		case 'S':
			opt_seconds = atof(optarg);
			break;
		case 't':
			opt_threads = atoi(optarg);
			break;
		case 'p':
			opt_procs = atoi(optarg);
			break;
		case 'K':
			opt_soak = atof(optarg);
			break;
		case 'c':
			opt_case = optarg;
			break;
		case 'g':
			opt_arena_gib = strtoul(optarg, NULL, 0);
			break;
		default:
			print_usage();
		}
	}
	if (opt_threads < 1 || opt_threads > MAX_THREADS || opt_procs < 1 ||
	    opt_procs > MAX_PROCS)
		print_usage();
	if (!opt_nseeds)
		opt_seeds[opt_nseeds++] = 1;
	setvbuf(stdout, NULL, _IONBF, 0);
	ro_page = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bad_page = ro_page + PG;
	mprotect(bad_page, PG, PROT_NONE);
	mprotect(ro_page, PG, PROT_READ);
	out("TAP version 13");
	out("# arena_stress dev=%s seeds=%d threads=%d procs=%d seconds=%.1f ops=%lu soak=%.0f",
	    opt_dev, opt_nseeds, opt_threads, opt_procs, opt_seconds, opt_ops,
	    opt_soak);
	for (k = 0; k < opt_nseeds; k++)
		out("# seed %d: %llu", k, (unsigned long long)opt_seeds[k]);

	run_case("hostile_before_setup", hostile_before_setup, NULL, 30);
	run_case("hostile_rdonly", hostile_rdonly, NULL, 30);
	run_case("hostile_setup", hostile_setup, NULL, 30);
	run_case("hostile_alloc", hostile_alloc, NULL, 30);
	run_case("hostile_free_reserve", hostile_free_reserve, NULL, 30);
	run_case("hostile_lists", hostile_lists, NULL, 30);
	run_case("hostile_ioc_numbers", hostile_ioc_numbers, NULL, 30);
	fuzz_seed = opt_seeds[0];
	run_case("hostile_fuzz", hostile_fuzz, &fuzz_seed, 60);
	run_case("hostile_mm", hostile_mm, NULL, 30);

	race = (struct case_arg){ .prof = PROF_RACE_LIST, .variant = VAR_LAZY,
				  .seed = opt_seeds[0],
				  .seconds = 5 * opt_seconds };
	run_case("race_build_list_vs_free", random_case, &race,
		 race.seconds * 2 + 20);
	/* SIGSEGV arenas: reading a freed page does not bring it back. */
	race.prof = PROF_RACE_POPULATE;
	race.variant = VAR_SEGV;
	run_case("race_populate_vs_free", random_case, &race,
		 race.seconds * 2 + 20);

	for (k = 0; k < opt_nseeds; k++)
		random_cases(opt_seeds[k], opt_seconds);
	for (k = 0; opt_soak && now() - t0 < opt_soak; k++)
		random_cases(opt_seeds[0] + 1000 + k, opt_seconds);

	/* Only on request: a big arena needs a config without KASAN_VMALLOC. */
	if (opt_arena_gib)
		run_case("big_arena", big_arena_case, &opt_seeds[0],
			 5 * opt_seconds * 2 + 120);
	run_case("close_frees_everything", close_frees_everything, NULL, 120);
	out("1..%d", nr_cases);
	out("# arena_stress: %d cases, %d failed, %.1f s", nr_cases,
	    nr_failed_cases, now() - t0);
	return nr_failed_cases ? 1 : 0;
}
