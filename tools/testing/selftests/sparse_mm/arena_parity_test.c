// SPDX-License-Identifier: GPL-2.0-only
/*
 * The C and the Rust arena sample drivers must behave identically: every
 * error case of every ioctl runs against /dev/arena and /dev/rust_arena
 * (both modules are loaded if their device is missing) and the errno, the
 * argument as the call left it and the arena's state afterwards (INFO)
 * are compared.  Each case also states the errno the ABI contract gives
 * (include/uapi/linux/vm_arena.h), checked against the C driver, so two
 * drivers that agree on a wrong answer still fail.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

#define PG		4096ULL
#define NPAGES		64ULL
#define SIZE		(NPAGES * PG)
/* A user address for SETUP: page aligned, far from anything mapped. */
#define FIXED_UADDR	0x200000000000ULL
/* Longest list the drivers build or walk. */
#define MAX_NODES	0x100000ULL	/* 2^20 */
#define NODE		sizeof(struct arena_list_node)
/* The errno is whatever C says (the case checks parity only). */
#define ANY_ERRNO	(-1)

static const struct driver {
	const char *name;
	const char *dev;
	const char *ko;
	const char *module;
} drivers[] = {
	{ "C", "/dev/arena", "/lib/modules/arena_sample.ko", "arena_sample" },
	{ "Rust", "/dev/rust_arena", "/lib/modules/rust_arena.ko",
	  "rust_arena" },
};

/* Open @d's device with @flags, loading its module first if needed. */
static int open_driver(const struct driver *d, int flags)
{
	return arena_open(d->dev, d->ko, flags);
}

/* The state a case starts from. */
enum prep {
	FRESH,		/* opened O_RDWR, no SETUP */
	RDONLY,		/* opened O_RDONLY (so it can never be set up) */
	WRONLY,		/* opened O_WRONLY and set up (it cannot map) */
	SET,		/* set up (SIZE, flags 0), not mapped */
	SET_UADDR,	/* set up with user_addr FIXED_UADDR, not mapped */
	MAPPED,		/* set up and mapped */
	USED,		/* mapped; pages 0-3 allocated, page 8 reserved */
	LIST,		/* mapped; user space wrote lists on page 0 */
};

/* Where the argument points. */
enum argkind {
	ARG_BUF,	/* a writable copy of the case's argument */
	ARG_RO,		/* a read-only copy: copy_to_user() fails */
	ARG_NULL,	/* NULL */
	ARG_KERNEL,	/* a kernel address */
};

/* Offsets of the lists LIST writes on page 0 (see prepare()). */
#define L_OK		0	/* 3 nodes, values 1, 2, 3 */
#define L_LOOP		64	/* a node pointing at itself */
#define L_HOLE		80	/* next is an unallocated arena page */
#define L_OUTSIDE	96	/* next is outside the arena */
/* Flag in a SUM_LIST head: relative to the mapping, add its address. */
#define REL		0x8000000000000000ULL

union arg {
	struct arena_setup setup;
	struct arena_alloc alloc;
	struct arena_range range;
	struct arena_build_list build;
	struct arena_sum_list sum;
	struct arena_info info;
	uint64_t raw[8];
};

struct pcase {
	const char *name;
	enum prep prep;
	unsigned long cmd;
	enum argkind kind;
	union arg arg;
	int expect;		/* errno by the contract, 0, or ANY_ERRNO */
};

/* What a case did: compared between the drivers. */
struct outcome {
	int err;
	union arg arg;		/* as the call left it, addresses made relative */
	int info_err;
	struct arena_info info;	/* after the call, user_addr made relative */
};

#define SETUP_ARG(sz, fl, ua, res) \
	{ .setup = { .size = (sz), .flags = (fl), .user_addr = (ua), \
		     .__reserved = (res) } }
#define ALLOC_ARG(off, cnt, nd, fl) \
	{ .alloc = { .offset = (off), .count = (cnt), .node = (nd), \
		     .flags = (fl) } }
#define RANGE_ARG(off, cnt)	{ .range = { .offset = (off), .count = (cnt) } }
#define BUILD_ARG(cnt, hd, pg)	{ .build = { .count = (cnt), .head = (hd), \
					     .pages = (pg) } }
#define SUM_ARG(hd, cnt, s)	{ .sum = { .head = (hd), .count = (cnt), \
					   .sum = (s) } }

#define C(n, p, c, k, a, e) \
	{ .name = (n), .prep = (p), .cmd = (c), .kind = (k), .arg = a, \
	  .expect = (e) }

/* Any command, whatever the state: order of the first checks. */
static const struct pcase common_table[] = {
	C("unknown cmd", FRESH, _IO(ARENA_IOC_MAGIC, 0x7f), ARG_BUF, {}, ENOTTY),
	C("unknown cmd set up", SET, _IO(ARENA_IOC_MAGIC, 0x7f), ARG_BUF, {},
	  ENOTTY),
	C("unknown cmd read-only", RDONLY, _IO(ARENA_IOC_MAGIC, 0x7f), ARG_NULL,
	  {}, ENOTTY),
	C("other magic", SET, _IO('x', 1), ARG_BUF, {}, ENOTTY),
	C("setup wrong size", FRESH, _IOW(ARENA_IOC_MAGIC, 0, char[16]),
	  ARG_BUF, SETUP_ARG(SIZE, 0, 0, 0), ENOTTY),
	C("alloc wrong size", SET, _IOWR(ARENA_IOC_MAGIC, 1, char[8]), ARG_BUF,
	  {}, ENOTTY),
	C("info wrong size", SET, _IOR(ARENA_IOC_MAGIC, 5, char[16]), ARG_BUF,
	  {}, ENOTTY),
	C("free wrong direction", USED, _IOR(ARENA_IOC_MAGIC, 2,
					     struct arena_range),
	  ARG_BUF, RANGE_ARG(0, 4), ENOTTY),
	C("sum_list wrong size", LIST, _IOWR(ARENA_IOC_MAGIC, 6, char[16]),
	  ARG_BUF, {}, ENOTTY),
	/* A file without write access may only look. */
	C("setup read-only", RDONLY, ARENA_IOC_SETUP, ARG_BUF,
	  SETUP_ARG(SIZE, 0, 0, 0), EBADF),
	C("setup read-only null", RDONLY, ARENA_IOC_SETUP, ARG_NULL, {}, EBADF),
	C("setup read-only reserved", RDONLY, ARENA_IOC_SETUP, ARG_BUF,
	  SETUP_ARG(SIZE, 0, 0, 1), EBADF),
	C("alloc read-only", RDONLY, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(ARENA_ANY, 1, -1, 0), EBADF),
	C("alloc read-only null", RDONLY, ARENA_IOC_ALLOC, ARG_NULL, {}, EBADF),
	C("free read-only", RDONLY, ARENA_IOC_FREE, ARG_BUF, RANGE_ARG(0, 1),
	  EBADF),
	C("reserve read-only", RDONLY, ARENA_IOC_RESERVE, ARG_KERNEL, {},
	  EBADF),
	C("build_list read-only", RDONLY, ARENA_IOC_BUILD_LIST, ARG_BUF,
	  BUILD_ARG(1, 0, 0), EBADF),
	C("sum_list read-only", RDONLY, ARENA_IOC_SUM_LIST, ARG_BUF,
	  SUM_ARG(0, 0, 0), ENXIO),
	C("info read-only", RDONLY, ARENA_IOC_INFO, ARG_BUF, {}, ENXIO),
	C("info read-only null", RDONLY, ARENA_IOC_INFO, ARG_NULL, {}, ENXIO),
	/* Write-only is enough to change the arena. */
	C("alloc write-only", WRONLY, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(ARENA_ANY, 2, -1, 0), 0),
	C("info write-only", WRONLY, ARENA_IOC_INFO, ARG_BUF, {}, 0),
	/* Nothing but SETUP before SETUP, even with a bad pointer. */
	C("alloc before setup", FRESH, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(ARENA_ANY, 1, -1, 0), ENXIO),
	C("alloc before setup null", FRESH, ARENA_IOC_ALLOC, ARG_NULL, {},
	  ENXIO),
	C("free before setup", FRESH, ARENA_IOC_FREE, ARG_BUF, RANGE_ARG(0, 1),
	  ENXIO),
	C("reserve before setup", FRESH, ARENA_IOC_RESERVE, ARG_KERNEL, {},
	  ENXIO),
	C("build_list before setup", FRESH, ARENA_IOC_BUILD_LIST, ARG_BUF,
	  BUILD_ARG(1, 0, 0), ENXIO),
	C("build_list before setup bad output", FRESH, ARENA_IOC_BUILD_LIST,
	  ARG_BUF, BUILD_ARG(1, 1, 1), ENXIO),
	C("sum_list before setup", FRESH, ARENA_IOC_SUM_LIST, ARG_BUF,
	  SUM_ARG(0, 1, 0), ENXIO),
	C("info before setup", FRESH, ARENA_IOC_INFO, ARG_BUF, {}, ENXIO),
};

static const struct pcase setup_table[] = {
	C("ok", FRESH, ARENA_IOC_SETUP, ARG_BUF, SETUP_ARG(SIZE, 0, 0, 0), 0),
	C("ok segv", FRESH, ARENA_IOC_SETUP, ARG_BUF,
	  SETUP_ARG(SIZE, VM_ARENA_F_SEGV_ON_FAULT, 0, 0), 0),
	C("ok atomic", FRESH, ARENA_IOC_SETUP, ARG_BUF,
	  SETUP_ARG(SIZE, VM_ARENA_F_ATOMIC, 0, 0), 0),
	C("ok user_addr", FRESH, ARENA_IOC_SETUP, ARG_BUF,
	  SETUP_ARG(SIZE, 0, FIXED_UADDR, 0), 0),
	C("ok read-only argument", FRESH, ARENA_IOC_SETUP, ARG_RO,
	  SETUP_ARG(SIZE, 0, 0, 0), 0),
	C("null", FRESH, ARENA_IOC_SETUP, ARG_NULL, {}, EFAULT),
	C("kernel pointer", FRESH, ARENA_IOC_SETUP, ARG_KERNEL, {}, EFAULT),
	C("reserved", FRESH, ARENA_IOC_SETUP, ARG_BUF, SETUP_ARG(SIZE, 0, 0, 1),
	  EINVAL),
	C("reserved high bit", FRESH, ARENA_IOC_SETUP, ARG_BUF,
	  SETUP_ARG(SIZE, 0, 0, 0x80000000U), EINVAL),
	C("size 0", FRESH, ARENA_IOC_SETUP, ARG_BUF, SETUP_ARG(0, 0, 0, 0),
	  EINVAL),
	C("size misaligned", FRESH, ARENA_IOC_SETUP, ARG_BUF,
	  SETUP_ARG(SIZE + 1, 0, 0, 0), EINVAL),
	C("unknown flags", FRESH, ARENA_IOC_SETUP, ARG_BUF,
	  SETUP_ARG(SIZE, 1U << 9, 0, 0), EINVAL),
	C("size too big", FRESH, ARENA_IOC_SETUP, ARG_BUF,
	  SETUP_ARG(1ULL << 40, 0, 0, 0), E2BIG),
	C("size too big atomic", FRESH, ARENA_IOC_SETUP, ARG_BUF,
	  SETUP_ARG(1ULL << 33, VM_ARENA_F_ATOMIC, 0, 0), E2BIG),
	C("size huge", FRESH, ARENA_IOC_SETUP, ARG_BUF,
	  SETUP_ARG(~0ULL & ~(PG - 1), 0, 0, 0), E2BIG),
	C("too big and bad flags", FRESH, ARENA_IOC_SETUP, ARG_BUF,
	  SETUP_ARG(1ULL << 40, 1U << 9, 0, 0), EINVAL),
	C("user_addr misaligned", FRESH, ARENA_IOC_SETUP, ARG_BUF,
	  SETUP_ARG(SIZE, 0, FIXED_UADDR + 1, 0), EINVAL),
	C("user_addr beyond user space", FRESH, ARENA_IOC_SETUP, ARG_BUF,
	  SETUP_ARG(SIZE, 0, 1ULL << 60, 0), EINVAL),
	C("user_addr not a long", FRESH, ARENA_IOC_SETUP, ARG_BUF,
	  SETUP_ARG(SIZE, 0, ~0ULL & ~(PG - 1), 0), EINVAL),
	C("second", SET, ARENA_IOC_SETUP, ARG_BUF, SETUP_ARG(SIZE, 0, 0, 0),
	  EBUSY),
	C("second bad size", SET, ARENA_IOC_SETUP, ARG_BUF,
	  SETUP_ARG(0, 0, 0, 0), EBUSY),
	C("second bad user_addr", SET, ARENA_IOC_SETUP, ARG_BUF,
	  SETUP_ARG(SIZE, 0, 1ULL << 60, 0), EBUSY),
	C("second reserved", SET, ARENA_IOC_SETUP, ARG_BUF,
	  SETUP_ARG(SIZE, 0, 0, 1), EINVAL),
	C("second null", MAPPED, ARENA_IOC_SETUP, ARG_NULL, {}, EFAULT),
};

static const struct pcase alloc_table[] = {
	C("any", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(ARENA_ANY, 3, -1, 0), 0),
	C("any not mapped", SET, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(ARENA_ANY, 1, -1, 0), 0),
	C("fixed populate", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(4 * PG, 2, -1, VM_ARENA_ALLOC_POPULATE), 0),
	C("fixed node 0", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(0, 1, 0, 0), 0),
	C("last page", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(SIZE - PG, 1, -1, 0), 0),
	C("whole arena", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(ARENA_ANY, NPAGES, -1, 0), 0),
	C("any best fit", USED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(ARENA_ANY, 4, -1, 0), 0),
	C("null", MAPPED, ARENA_IOC_ALLOC, ARG_NULL, {}, EFAULT),
	C("kernel pointer", MAPPED, ARENA_IOC_ALLOC, ARG_KERNEL, {}, EFAULT),
	C("read-only argument: undone", MAPPED, ARENA_IOC_ALLOC, ARG_RO,
	  ALLOC_ARG(ARENA_ANY, 2, -1, 0), EFAULT),
	C("read-only argument fixed: undone", USED, ARENA_IOC_ALLOC, ARG_RO,
	  ALLOC_ARG(16 * PG, 2, -1, VM_ARENA_ALLOC_POPULATE), EFAULT),
	C("offset misaligned", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(100, 1, -1, 0), EINVAL),
	C("offset at end count 0", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(SIZE, 0, -1, 0), ERANGE),
	C("offset at end", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(SIZE, 1, -1, 0), ERANGE),
	C("offset huge", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(1ULL << 62, 1, -1, 0), ERANGE),
	C("offset top page", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(~0ULL & ~(PG - 1), 1, -1, 0), ERANGE),
	C("offset top misaligned", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(~0ULL - 1, 1, -1, 0), EINVAL),
	C("offset at end bad flags", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(SIZE, 1, -1, 2), ERANGE),
	C("offset at end bad node", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(SIZE, 1, 12345, 0), ERANGE),
	C("misaligned bad flags", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(100, 0, -1, 2), EINVAL),
	C("count 0 any", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(ARENA_ANY, 0, -1, 0), EINVAL),
	C("count 0 fixed", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(0, 0, -1, 0), EINVAL),
	C("count above arena any", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(ARENA_ANY, NPAGES + 1, -1, 0), E2BIG),
	C("count above arena fixed", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(0, NPAGES + 1, -1, 0), E2BIG),
	C("count huge", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(0, 1ULL << 40, -1, 0), E2BIG),
	C("count top", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(ARENA_ANY, ~0ULL, -1, 0), E2BIG),
	C("range past end", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(SIZE - PG, 2, -1, 0), ERANGE),
	C("count huge bad flags", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(0, 1ULL << 40, -1, 4), EINVAL),
	C("unknown flags", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(ARENA_ANY, 1, -1, 2), EINVAL),
	C("bad node", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(ARENA_ANY, 1, 12345, 0), EINVAL),
	C("negative node", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(ARENA_ANY, 1, -2, 0), EINVAL),
	C("bad node count 0", MAPPED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(ARENA_ANY, 0, 12345, 0), EINVAL),
	C("overlaps allocated", USED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(3 * PG, 2, -1, 0), EBUSY),
	C("overlaps reserved", USED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(8 * PG, 1, -1, 0), EBUSY),
	C("no free run", USED, ARENA_IOC_ALLOC, ARG_BUF,
	  ALLOC_ARG(ARENA_ANY, NPAGES - 4, -1, 0), ENOMEM),
};

static const struct pcase range_table[] = {
	C("free", USED, ARENA_IOC_FREE, ARG_BUF, RANGE_ARG(0, 4), 0),
	C("free part", USED, ARENA_IOC_FREE, ARG_BUF, RANGE_ARG(PG, 2), 0),
	C("free read-only argument", USED, ARENA_IOC_FREE, ARG_RO,
	  RANGE_ARG(0, 4), 0),
	C("free null", USED, ARENA_IOC_FREE, ARG_NULL, {}, EFAULT),
	C("free kernel pointer", USED, ARENA_IOC_FREE, ARG_KERNEL, {}, EFAULT),
	C("free misaligned", USED, ARENA_IOC_FREE, ARG_BUF, RANGE_ARG(1, 1),
	  EINVAL),
	C("free at end", USED, ARENA_IOC_FREE, ARG_BUF, RANGE_ARG(SIZE, 1),
	  ERANGE),
	C("free at end count 0", USED, ARENA_IOC_FREE, ARG_BUF,
	  RANGE_ARG(SIZE, 0), ERANGE),
	C("free huge offset", USED, ARENA_IOC_FREE, ARG_BUF,
	  RANGE_ARG(~0ULL & ~(PG - 1), 1), ERANGE),
	C("free misaligned huge", USED, ARENA_IOC_FREE, ARG_BUF,
	  RANGE_ARG(~0ULL, 1), EINVAL),
	C("free count 0", USED, ARENA_IOC_FREE, ARG_BUF, RANGE_ARG(0, 0),
	  EINVAL),
	C("free count above arena", USED, ARENA_IOC_FREE, ARG_BUF,
	  RANGE_ARG(0, NPAGES + 1), E2BIG),
	C("free count huge", USED, ARENA_IOC_FREE, ARG_BUF,
	  RANGE_ARG(0, 1ULL << 40), E2BIG),
	C("free count top", USED, ARENA_IOC_FREE, ARG_BUF,
	  RANGE_ARG(PG, ~0ULL), E2BIG),
	C("free past end", USED, ARENA_IOC_FREE, ARG_BUF,
	  RANGE_ARG(SIZE - PG, 2), ERANGE),
	C("free not allocated", USED, ARENA_IOC_FREE, ARG_BUF,
	  RANGE_ARG(16 * PG, 1), ENOENT),
	C("free partly allocated", USED, ARENA_IOC_FREE, ARG_BUF,
	  RANGE_ARG(2 * PG, 4), ENOENT),
	C("free reserved", USED, ARENA_IOC_FREE, ARG_BUF, RANGE_ARG(8 * PG, 1),
	  ENOENT),
	C("reserve", USED, ARENA_IOC_RESERVE, ARG_BUF, RANGE_ARG(10 * PG, 3),
	  0),
	C("reserve not mapped", SET, ARENA_IOC_RESERVE, ARG_BUF,
	  RANGE_ARG(0, NPAGES), 0),
	C("reserve null", USED, ARENA_IOC_RESERVE, ARG_NULL, {}, EFAULT),
	C("reserve misaligned", USED, ARENA_IOC_RESERVE, ARG_BUF,
	  RANGE_ARG(PG + 8, 1), EINVAL),
	C("reserve at end", USED, ARENA_IOC_RESERVE, ARG_BUF,
	  RANGE_ARG(SIZE, 0), ERANGE),
	C("reserve count 0", USED, ARENA_IOC_RESERVE, ARG_BUF,
	  RANGE_ARG(10 * PG, 0), EINVAL),
	C("reserve count huge", USED, ARENA_IOC_RESERVE, ARG_BUF,
	  RANGE_ARG(0, 1ULL << 40), E2BIG),
	C("reserve past end", USED, ARENA_IOC_RESERVE, ARG_BUF,
	  RANGE_ARG(SIZE - 2 * PG, 3), ERANGE),
	C("reserve allocated", USED, ARENA_IOC_RESERVE, ARG_BUF,
	  RANGE_ARG(0, 1), EBUSY),
	C("reserve twice", USED, ARENA_IOC_RESERVE, ARG_BUF,
	  RANGE_ARG(7 * PG, 2), EBUSY),
};

static const struct pcase list_table[] = {
	C("build", MAPPED, ARENA_IOC_BUILD_LIST, ARG_BUF, BUILD_ARG(5, 0, 0), 0),
	C("build two pages", USED, ARENA_IOC_BUILD_LIST, ARG_BUF,
	  BUILD_ARG(257, 0, 0), 0),
	C("build longest", SET_UADDR, ARENA_IOC_BUILD_LIST, ARG_BUF,
	  BUILD_ARG(NPAGES * PG / NODE, 0, 0), 0),
	C("build user_addr set, not mapped", SET_UADDR, ARENA_IOC_BUILD_LIST,
	  ARG_BUF, BUILD_ARG(3, 0, 0), 0),
	C("build not mapped", SET, ARENA_IOC_BUILD_LIST, ARG_BUF,
	  BUILD_ARG(3, 0, 0), ENXIO),
	C("build null", MAPPED, ARENA_IOC_BUILD_LIST, ARG_NULL, {}, EFAULT),
	C("build kernel pointer", MAPPED, ARENA_IOC_BUILD_LIST, ARG_KERNEL, {},
	  EFAULT),
	C("build read-only argument: undone", USED, ARENA_IOC_BUILD_LIST,
	  ARG_RO, BUILD_ARG(300, 0, 0), EFAULT),
	C("build count 0", MAPPED, ARENA_IOC_BUILD_LIST, ARG_BUF,
	  BUILD_ARG(0, 0, 0), EINVAL),
	C("build head set", MAPPED, ARENA_IOC_BUILD_LIST, ARG_BUF,
	  BUILD_ARG(3, 1, 0), EINVAL),
	C("build pages set", MAPPED, ARENA_IOC_BUILD_LIST, ARG_BUF,
	  BUILD_ARG(3, 0, 1), EINVAL),
	C("build pages set, too long", MAPPED, ARENA_IOC_BUILD_LIST, ARG_BUF,
	  BUILD_ARG(MAX_NODES + 1, 0, 7), EINVAL),
	C("build pages set, not mapped", SET, ARENA_IOC_BUILD_LIST, ARG_BUF,
	  BUILD_ARG(3, 0, 7), EINVAL),
	C("build too long", MAPPED, ARENA_IOC_BUILD_LIST, ARG_BUF,
	  BUILD_ARG(MAX_NODES + 1, 0, 0), E2BIG),
	C("build too long, not mapped", SET, ARENA_IOC_BUILD_LIST, ARG_BUF,
	  BUILD_ARG(MAX_NODES + 1, 0, 0), E2BIG),
	C("build count top", MAPPED, ARENA_IOC_BUILD_LIST, ARG_BUF,
	  BUILD_ARG(~0ULL, 0, 0), E2BIG),
	C("build longest list, small arena", MAPPED, ARENA_IOC_BUILD_LIST,
	  ARG_BUF, BUILD_ARG(MAX_NODES, 0, 0), E2BIG),
	C("build above arena", MAPPED, ARENA_IOC_BUILD_LIST, ARG_BUF,
	  BUILD_ARG(NPAGES * PG / NODE + 1, 0, 0), E2BIG),
	C("build no free run", USED, ARENA_IOC_BUILD_LIST, ARG_BUF,
	  BUILD_ARG((NPAGES - 4) * PG / NODE, 0, 0), ENOMEM),
	C("sum", LIST, ARENA_IOC_SUM_LIST, ARG_BUF,
	  SUM_ARG(REL | L_OK, 0, 0), 0),
	C("sum middle", LIST, ARENA_IOC_SUM_LIST, ARG_BUF,
	  SUM_ARG(REL | (L_OK + NODE), 0, 0), 0),
	C("sum empty", LIST, ARENA_IOC_SUM_LIST, ARG_BUF, SUM_ARG(0, 0, 0), 0),
	C("sum empty not mapped", SET, ARENA_IOC_SUM_LIST, ARG_BUF,
	  SUM_ARG(0, 0, 0), 0),
	C("sum head on a free page, nothing touched", MAPPED, ARENA_IOC_SUM_LIST, ARG_BUF,
	  SUM_ARG(REL | L_OK, 0, 0), EFAULT),
	C("sum null", LIST, ARENA_IOC_SUM_LIST, ARG_NULL, {}, EFAULT),
	C("sum kernel pointer", LIST, ARENA_IOC_SUM_LIST, ARG_KERNEL, {},
	  EFAULT),
	C("sum read-only argument", LIST, ARENA_IOC_SUM_LIST, ARG_RO,
	  SUM_ARG(REL | L_OK, 0, 0), EFAULT),
	C("sum count set", LIST, ARENA_IOC_SUM_LIST, ARG_BUF,
	  SUM_ARG(REL | L_OK, 1, 0), EINVAL),
	C("sum sum set", LIST, ARENA_IOC_SUM_LIST, ARG_BUF,
	  SUM_ARG(REL | L_OK, 0, 5), EINVAL),
	C("sum sum set, empty", LIST, ARENA_IOC_SUM_LIST, ARG_BUF,
	  SUM_ARG(0, 0, 5), EINVAL),
	C("sum misaligned head", LIST, ARENA_IOC_SUM_LIST, ARG_BUF,
	  SUM_ARG(REL | (L_OK + 4), 0, 0), EINVAL),
	C("sum head across a page", LIST, ARENA_IOC_SUM_LIST, ARG_BUF,
	  SUM_ARG(REL | (PG - 8), 0, 0), EINVAL),
	C("sum head outside arena", LIST, ARENA_IOC_SUM_LIST, ARG_BUF,
	  SUM_ARG(PG, 0, 0), EFAULT),
	C("sum head after arena", LIST, ARENA_IOC_SUM_LIST, ARG_BUF,
	  SUM_ARG(REL | SIZE, 0, 0), EFAULT),
	C("sum head on a free page", LIST, ARENA_IOC_SUM_LIST, ARG_BUF,
	  SUM_ARG(REL | (20 * PG), 0, 0), EFAULT),
	C("sum next on a free page", LIST, ARENA_IOC_SUM_LIST, ARG_BUF,
	  SUM_ARG(REL | L_HOLE, 0, 0), EFAULT),
	C("sum next outside", LIST, ARENA_IOC_SUM_LIST, ARG_BUF,
	  SUM_ARG(REL | L_OUTSIDE, 0, 0), EFAULT),
	C("sum loop", LIST, ARENA_IOC_SUM_LIST, ARG_BUF,
	  SUM_ARG(REL | L_LOOP, 0, 0), ELOOP),
	C("sum head set, not mapped", SET, ARENA_IOC_SUM_LIST, ARG_BUF,
	  SUM_ARG(FIXED_UADDR, 0, 0), EFAULT),
};

static const struct pcase info_table[] = {
	C("info", USED, ARENA_IOC_INFO, ARG_BUF, {}, 0),
	C("info not mapped", SET_UADDR, ARENA_IOC_INFO, ARG_BUF, {}, 0),
	C("info null", SET, ARENA_IOC_INFO, ARG_NULL, {}, EFAULT),
	C("info read-only", SET, ARENA_IOC_INFO, ARG_RO, {}, EFAULT),
	C("info kernel pointer", SET, ARENA_IOC_INFO, ARG_KERNEL, {}, EFAULT),
};

#undef C

struct session {
	int fd;
	char *base;
	uint64_t ubase;	/* what user addresses are made relative to */
};

static void put_node(char *at, uint64_t next, uint64_t value)
{
	struct arena_list_node n = { .next = next, .value = value };

	memcpy(at, &n, sizeof(n));
}

/* Bring a new file of @d to the state @p; 0 or an errno. */
static int prepare(const struct driver *d, enum prep p, struct session *s)
{
	struct arena_setup su = { .size = SIZE };
	struct arena_alloc a = { .offset = 0, .count = 4, .node = -1 };
	struct arena_range r = { .offset = 8 * PG, .count = 1 };
	uint64_t b;

	s->base = NULL;
	s->ubase = 0;
	s->fd = open_driver(d, p == RDONLY ? O_RDONLY :
			    p == WRONLY ? O_WRONLY : O_RDWR);
	if (s->fd < 0)
		return errno;
	if (p == FRESH || p == RDONLY)
		return 0;
	if (p == SET_UADDR) {
		su.user_addr = FIXED_UADDR;
		s->ubase = FIXED_UADDR;
	}
	if (ioctl(s->fd, ARENA_IOC_SETUP, &su))
		return errno;
	if (p == SET || p == SET_UADDR || p == WRONLY)
		return 0;
	s->base = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (s->base == MAP_FAILED) {
		s->base = NULL;
		return errno;
	}
	s->ubase = (uintptr_t)s->base;
	if (p == USED && (ioctl(s->fd, ARENA_IOC_ALLOC, &a) ||
			  ioctl(s->fd, ARENA_IOC_RESERVE, &r)))
		return errno;
	if (p == LIST) {
		b = s->ubase;
		put_node(s->base + L_OK, b + L_OK + NODE, 1);
		put_node(s->base + L_OK + NODE, b + L_OK + 2 * NODE, 2);
		put_node(s->base + L_OK + 2 * NODE, 0, 3);
		put_node(s->base + L_LOOP, b + L_LOOP, 7);
		put_node(s->base + L_HOLE, b + 20 * PG, 11);
		put_node(s->base + L_OUTSIDE, PG, 13);
	}
	return 0;
}

static void finish(struct session *s)
{
	if (s->base)
		munmap(s->base, SIZE);
	if (s->fd >= 0)
		close(s->fd);
}

/* User addresses differ between the drivers: make them relative. */
static uint64_t rel(const struct session *s, uint64_t uaddr)
{
	return uaddr && s->ubase ? uaddr - s->ubase : uaddr;
}

/* Run case @c against driver @d; 0, or an errno if it could not run. */
static int run_case(const struct driver *d, const struct pcase *c,
		    struct outcome *o)
{
	static char *ro_page;
	union arg *argp, local = c->arg;
	struct session s;
	void *ptr;
	int ret;

	memset(o, 0, sizeof(*o));
	ret = prepare(d, c->prep, &s);
	if (ret) {
		finish(&s);
		return ret;
	}
	if (c->cmd == ARENA_IOC_SUM_LIST && (local.sum.head & REL))
		local.sum.head = s.ubase + (local.sum.head & ~REL);
	if (!ro_page) {
		ro_page = mmap(NULL, PG, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ro_page == MAP_FAILED) {
			ro_page = NULL;
			finish(&s);
			return errno;
		}
	}
	switch (c->kind) {
	case ARG_RO:
		mprotect(ro_page, PG, PROT_READ | PROT_WRITE);
		memcpy(ro_page, &local, sizeof(local));
		mprotect(ro_page, PG, PROT_READ);
		argp = (union arg *)ro_page;
		ptr = ro_page;
		break;
	case ARG_NULL:
		argp = NULL;
		ptr = NULL;
		break;
	case ARG_KERNEL:
		argp = NULL;
		ptr = (void *)-4096L;
		break;
	default:
		argp = &local;
		ptr = &local;
		break;
	}
	o->err = ioctl(s.fd, c->cmd, ptr) ? errno : 0;
	if (argp)
		o->arg = *argp;
	/*
	 * User addresses differ between the drivers: compare them relative
	 * to the arena's.  SUM_LIST's head is input; BUILD_LIST's and INFO's
	 * are output, written only on success.
	 */
	if (argp && c->cmd == ARENA_IOC_SUM_LIST)
		o->arg.sum.head = rel(&s, o->arg.sum.head);
	if (argp && !o->err && c->cmd == ARENA_IOC_BUILD_LIST)
		o->arg.build.head = rel(&s, o->arg.build.head);
	if (argp && !o->err && c->cmd == ARENA_IOC_INFO)
		o->arg.info.user_addr = rel(&s, o->arg.info.user_addr);
	memset(&o->info, 0, sizeof(o->info));
	o->info_err = ioctl(s.fd, ARENA_IOC_INFO, &o->info) ? errno : 0;
	o->info.user_addr = rel(&s, o->info.user_addr);
	/* Page tables at the ends may be shared: they follow the address. */
	o->info.mem_pgtable_bytes = 0;
	o->arg.info.mem_pgtable_bytes = 0;
	finish(&s);
	return 0;
}

static void show(struct __test_metadata *_metadata, const char *what,
		 const struct driver *d, const struct pcase *c,
		 const struct outcome *o)
{
	TH_LOG("%s: %s: %s errno %d (%s); arg %llx %llx %llx %llx",
	       what, c->name, d->name, o->err, strerror(o->err),
	       (unsigned long long)o->arg.raw[0],
	       (unsigned long long)o->arg.raw[1],
	       (unsigned long long)o->arg.raw[2],
	       (unsigned long long)o->arg.raw[3]);
	TH_LOG("%s: %s: %s INFO errno %d size %llu flags %u uaddr %llx pages %llu faults %llu",
	       what, c->name, d->name, o->info_err,
	       (unsigned long long)o->info.size, o->info.flags,
	       (unsigned long long)o->info.user_addr,
	       (unsigned long long)o->info.pages_in_use,
	       (unsigned long long)o->info.user_faults);
}

/* Run every case of a table against both drivers; count the failures. */
static int run_table(struct __test_metadata *_metadata,
		     const struct pcase *cases, size_t n)
{
	struct outcome o[2];
	int bad = 0, ret;
	size_t i, k;

	for (i = 0; i < n; i++) {
		const struct pcase *c = &cases[i];

		for (k = 0; k < 2; k++) {
			ret = run_case(&drivers[k], c, &o[k]);
			if (ret) {
				TH_LOG("%s: cannot prepare %s: %s", c->name,
				       drivers[k].dev, strerror(ret));
				return n;
			}
		}
		if (c->expect != ANY_ERRNO && o[0].err != c->expect) {
			TH_LOG("%s: C driver gives errno %d, the contract %d",
			       c->name, o[0].err, c->expect);
			bad++;
		}
		if (o[0].err != o[1].err || o[0].info_err != o[1].info_err ||
		    memcmp(&o[0].arg, &o[1].arg, sizeof(o[0].arg)) ||
		    memcmp(&o[0].info, &o[1].info, sizeof(o[0].info))) {
			show(_metadata, "DIFFERS", &drivers[0], c, &o[0]);
			show(_metadata, "DIFFERS", &drivers[1], c, &o[1]);
			bad++;
		}
	}
	TH_LOG("%zu cases, %d failed", n, bad);
	return bad;
}

TEST(common_parity)
{
	EXPECT_EQ(0, run_table(_metadata, common_table, ARRAY_SIZE(common_table)));
}

TEST(setup_parity)
{
	EXPECT_EQ(0, run_table(_metadata, setup_table, ARRAY_SIZE(setup_table)));
}

TEST(alloc_parity)
{
	EXPECT_EQ(0, run_table(_metadata, alloc_table, ARRAY_SIZE(alloc_table)));
}

TEST(range_parity)
{
	EXPECT_EQ(0, run_table(_metadata, range_table, ARRAY_SIZE(range_table)));
}

TEST(list_parity)
{
	EXPECT_EQ(0, run_table(_metadata, list_table, ARRAY_SIZE(list_table)));
}

TEST(info_parity)
{
	EXPECT_EQ(0, run_table(_metadata, info_table, ARRAY_SIZE(info_table)));
}

/*
 * Concurrent SETUPs of one file: exactly one wins, whatever the others
 * asked for; they all see -EBUSY, even with arguments the core would
 * refuse, because the check for an existing arena comes first and the
 * SETUPs are serialised.
 */
struct setup_race {
	int fd;
	pthread_barrier_t *bar;
	uint64_t size;
	int err;
};

static void *setup_thread(void *p)
{
	struct setup_race *r = p;
	struct arena_setup s = { .size = r->size };

	pthread_barrier_wait(r->bar);
	r->err = ioctl(r->fd, ARENA_IOC_SETUP, &s) ? errno : 0;
	return NULL;
}

#define RACERS	8

TEST(concurrent_setup)
{
	int k, round, won, busy;

	for (k = 0; k < 2; k++) {
		for (round = 0; round < 20; round++) {
			struct setup_race r[RACERS];
			pthread_t t[RACERS];
			pthread_barrier_t bar;
			struct arena_info i;
			int fd = open_driver(&drivers[k], O_RDWR);
			int n;

			ASSERT_LE(0, fd);
			pthread_barrier_init(&bar, NULL, RACERS);
			for (n = 0; n < RACERS; n++) {
				r[n] = (struct setup_race){
					.fd = fd, .bar = &bar,
					.size = (n + 1) * PG };
				pthread_create(&t[n], NULL, setup_thread, &r[n]);
			}
			won = 0;
			busy = 0;
			for (n = 0; n < RACERS; n++) {
				pthread_join(t[n], NULL);
				won += !r[n].err;
				busy += r[n].err == EBUSY;
			}
			pthread_barrier_destroy(&bar);
			EXPECT_EQ(1, won) TH_LOG("%s", drivers[k].name);
			EXPECT_EQ(RACERS - 1, busy) TH_LOG("%s", drivers[k].name);
			ASSERT_EQ(0, ioctl(fd, ARENA_IOC_INFO, &i));
			for (n = 0; n < RACERS; n++)
				if (!r[n].err)
					EXPECT_EQ(r[n].size, i.size);
			close(fd);
		}
	}
}

/*
 * An open file pins its driver's module (file_operations.owner), so the
 * operations table the VFS reads until the file is gone cannot go away.
 */
TEST(open_file_pins_module)
{
	int k, fd, ret;

	for (k = 0; k < 2; k++) {
		fd = open_driver(&drivers[k], O_RDWR);
		ASSERT_LE(0, fd);
		ret = syscall(SYS_delete_module, drivers[k].module, O_NONBLOCK);
		/* In use: refused at once with O_NONBLOCK. */
		EXPECT_EQ(EWOULDBLOCK, ret ? errno : 0)
			TH_LOG("%s", drivers[k].name);
		close(fd);
	}
}

TEST_HARNESS_MAIN
