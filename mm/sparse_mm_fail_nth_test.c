// SPDX-License-Identifier: GPL-2.0-only
/*
 * Systematic fault injection for sparse-mm: for each operation, fail its
 * first slab or page allocation, then its second, and so on, until the
 * operation runs to the end without reaching the injected failure.  After
 * every injected failure the operation must have returned a documented
 * error (or succeeded, where it can do without the allocation), and the
 * state must be exactly what it was before: pages in use, index entries,
 * page reference counts, index memory, no area left in /proc/vmallocinfo,
 * bounded drift of free pages.  Each case prints, for each operation,
 *
 *   # fail-nth: <operation> points=<distinct failure points reached>
 *
 * The injection is current->fail_nth (what /proc/thread-self/fail-nth
 * sets from user space): the Nth failslab or fail_page_alloc decision of
 * this task fails.  failslab and fail_page_alloc skip allocations that may
 * reclaim, and fail_page_alloc order-0 ones, unless told otherwise, so
 * before loading this module user space arms them (probability 0: only
 * fail_nth fails anything):
 *
 *   for d in failslab fail_page_alloc; do
 *     echo 0 > /sys/kernel/debug/$d/probability
 *     echo 0 > /sys/kernel/debug/$d/verbose
 *     echo N > /sys/kernel/debug/$d/ignore-gfp-wait
 *   done
 *   echo 0 > /sys/kernel/debug/fail_page_alloc/min-order
 *   echo N > /sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem
 *
 * The harness's /init does this (scripts/init.sh, kunit_fail_nth).
 *
 * Operations that allocate page tables get fresh addresses at every try,
 * so that each try reaches the same allocations: kernel page tables of the
 * vmalloc range are never freed.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <kunit/test.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vm_arena.h>
#include <linux/vm_group_pages.h>
#include <linux/vm_object.h>
#include <linux/vm_sparse.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

/*
 * Kernel page tables of the vmalloc range are never freed, and the next
 * area placed at the same addresses finds them.  So that each try of a
 * sweep reaches the page-table allocations a first use makes, the big
 * areas and arenas of the sweeps stay reserved until the suite ends (the
 * next one is placed elsewhere), and tries use 2 MiB regions from the top
 * of them down (away from what a reused hole below may have seen).  With
 * KASAN_VMALLOC a reservation costs 1/8 of its size in shadow pages, so
 * the arenas are smaller and the regions are reused once they run out.
 */
#ifdef CONFIG_KASAN_VMALLOC
#define FN_ARENA_SIZE	SZ_128M
#define FN_CREATE_SIZE	SZ_4M		/* each shadow page is a point */
#define FN_CREATE_NAME	"vm_arena_create(4 MiB)"
#else
#define FN_ARENA_SIZE	SZ_512M
#define FN_CREATE_SIZE	SZ_64M
#define FN_CREATE_NAME	"vm_arena_create(64 MiB)"
#endif
#define FN_SPARSE_SIZE	FN_ARENA_SIZE
#define FN_KEEP		8

static struct vm_struct *fn_kept_areas[FN_KEEP];
static struct vm_arena *fn_kept_arenas[FN_KEEP];

static void fn_keep_area(struct vm_struct *area)
{
	int i;

	for (i = 0; i < FN_KEEP; i++) {
		if (!fn_kept_areas[i]) {
			fn_kept_areas[i] = area;
			return;
		}
	}
	free_vm_area(area);
}

static void fn_keep_arena(struct vm_arena *arena)
{
	int i;

	for (i = 0; i < FN_KEEP; i++) {
		if (!fn_kept_arenas[i]) {
			fn_kept_arenas[i] = arena;
			return;
		}
	}
	vm_arena_put(arena);
}

static void fn_suite_exit(struct kunit_suite *suite)
{
	int i;

	for (i = 0; i < FN_KEEP; i++) {
		if (fn_kept_areas[i])
			free_vm_area(fn_kept_areas[i]);
		fn_kept_areas[i] = NULL;
		vm_arena_put(fn_kept_arenas[i]);
		fn_kept_arenas[i] = NULL;
	}
}

/*
 * More free pages than this missing after a sweep is a leak: above what
 * the per-cpu free lists of two CPUs hold, below what leaking the pages
 * of every failed try of the 64-page sweep adds up to (about 4400).
 * KASAN's quarantine holds freed objects back (up to 1/32 of memory).
 */
#ifdef CONFIG_KASAN
#define FN_DRIFT_PAGES	((long)totalram_pages() / 16)
#else
#define FN_DRIFT_PAGES	3072L
#endif
#define FN_INFO_SIZE	SZ_1M

struct fn_ctx;

/**
 * struct fn_op - one operation to sweep
 * @name: for the "# fail-nth:" line
 * @max: tries before giving up (the sweep must end before)
 * @prepare: set up try @n and record the state, outside the injection
 * @run: the operation, with the Nth allocation failing
 * @check: assert the result and the state, undo a success; false stops
 * @held: pages a cache of the operation keeps by design, if any: their
 *	growth over the sweep is not counted as free pages gone
 */
struct fn_op {
	const char *name;
	unsigned int max;
	void (*prepare)(struct kunit *test, struct fn_ctx *c, unsigned int n);
	int (*run)(struct fn_ctx *c, unsigned int n);
	bool (*check)(struct kunit *test, struct fn_ctx *c, unsigned int n,
		      int err);
	long (*held)(struct fn_ctx *c);
};

struct fn_ctx {
	char *info;			/* /proc/vmallocinfo buffer */
	/* vm_object */
	struct vm_object *obj;
	struct page *pages[8];
	int refs[8];
	struct page **arg;
	unsigned long nr;
	unsigned long want_cpu;
	unsigned long want_device;
	u32 digest;
	size_t memory;
	/* sparse areas */
	struct vm_struct *area;
	struct vm_struct *made;
	int sparse_lines;
	/* arenas */
	struct vm_arena *arena;
	struct vm_arena *created;
	u64 create_size;
	unsigned int create_flags;
	unsigned long count;
	unsigned int alloc_flags;
	bool atomic;
	int arena_lines;
	struct page *lazy[2];		/* freed lazily, with our reference */
	/* VM_GROUP_PAGES */
	unsigned long group_cached;
	unsigned long group_got;
};

/* Lines of /proc/vmallocinfo that contain @needle. */
static int fn_vmallocinfo(struct kunit *test, struct fn_ctx *c,
			  const char *needle)
{
	struct file *f = filp_open("/proc/vmallocinfo", O_RDONLY, 0);
	loff_t pos = 0;
	ssize_t len = 0, n;
	char *p;
	int lines = 0;

	KUNIT_ASSERT_FALSE(test, IS_ERR(f));
	while (len < FN_INFO_SIZE - 1) {
		n = kernel_read(f, c->info + len, FN_INFO_SIZE - 1 - len, &pos);
		if (n <= 0)
			break;
		len += n;
	}
	fput(f);
	KUNIT_ASSERT_LT(test, len, (ssize_t)FN_INFO_SIZE - 1);
	c->info[len] = '\0';
	for (p = c->info; (p = strstr(p, needle)); p++)
		lines++;
	return lines;
}

static void fn_sweep(struct kunit *test, struct fn_ctx *c,
		     const struct fn_op *op)
{
	long free0 = global_zone_page_state(NR_FREE_PAGES), drift;
	long held0 = op->held ? op->held(c) : 0;
	unsigned int n, left, points = 0;
	bool done = false;
	int err;

	for (n = 1; n <= op->max && !done; n++) {
		op->prepare(test, c, n);
		current->fail_nth = n;
		err = op->run(c, n);
		left = current->fail_nth;
		current->fail_nth = 0;
		if (!left)
			points++;
		/* Fewer than n decisions: the operation ran to its end. */
		done = left;
		if (done)
			KUNIT_EXPECT_EQ_MSG(test, err, 0,
					    "%s failed with no failure injected",
					    op->name);
		if (!op->check(test, c, n, err))
			break;
	}
	KUNIT_EXPECT_TRUE_MSG(test, done, "%s: no clean run in %u tries",
			      op->name, op->max);
	drift = free0 - (long)global_zone_page_state(NR_FREE_PAGES);
	if (op->held)
		drift -= op->held(c) - held0;
	KUNIT_EXPECT_LT_MSG(test, drift, FN_DRIFT_PAGES,
			    "%s: %ld free pages gone", op->name, drift);
	kunit_log(KERN_INFO, test, KUNIT_SUBTEST_INDENT
		  "# fail-nth: %s points=%u free_page_drift=%ld\n",
		  op->name, points, drift);
}

/* An injected failure must give one of the documented errors. */
static bool fn_err_ok(struct kunit *test, const struct fn_op *op,
		      unsigned int n, int err)
{
	KUNIT_EXPECT_TRUE_MSG(test, err == 0 || err == -ENOMEM,
			      "%s, allocation %u failing: error %d", op->name,
			      n, err);
	return err == 0 || err == -ENOMEM;
}

static int fn_init(struct kunit *test)
{
	struct fn_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	int i;

	if (!c)
		return -ENOMEM;
	c->info = kunit_kmalloc(test, FN_INFO_SIZE, GFP_KERNEL);
	if (!c->info)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(c->pages); i++) {
		c->pages[i] = alloc_page(GFP_KERNEL);
		if (!c->pages[i])
			return -ENOMEM;
		c->refs[i] = page_ref_count(c->pages[i]);
	}
	test->priv = c;
	return 0;
}

static void fn_exit(struct kunit *test)
{
	struct fn_ctx *c = test->priv;
	int i;

	if (!c)
		return;
	for (i = 0; i < ARRAY_SIZE(c->pages); i++) {
		if (!c->pages[i])
			continue;
		KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[i]), c->refs[i]);
		__free_page(c->pages[i]);
	}
	kvfree(c->arg);
}

/* ---- vm_object range updates ---- */

#define FN_VO_SIZE	20000UL

static int fn_vo_digest_fn(unsigned long index,
			   const struct vm_object_entry *e, void *data)
{
	u32 *sum = data;

	*sum = (*sum * 31) ^ index ^ (e->state << 20) ^ e->will_need ^
	       (u32)(unsigned long)e->page ^ (u32)e->dev_pfn;
	return 0;
}

static u32 fn_vo_digest(struct vm_object *obj)
{
	u32 sum = 0;

	vm_object_for_each(obj, 0, FN_VO_SIZE - 1, fn_vo_digest_fn, &sum);
	return sum;
}

/* A fresh object with entries in and around the range to update. */
static void fn_vo_prepare(struct kunit *test, struct fn_ctx *c, unsigned int n)
{
	c->obj = vm_object_create(0, FN_VO_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->obj);
	KUNIT_ASSERT_EQ(test, vm_object_set_page(c->obj, 100, c->pages[1],
						 GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, vm_object_set_device(c->obj, c->nr + 3, 10, c,
						   77, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, vm_object_set_will_need(c->obj, 200, 70, true,
						      GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, vm_object_set_page(c->obj, FN_VO_SIZE - 1,
						 c->pages[2], GFP_KERNEL), 0);
	c->digest = fn_vo_digest(c->obj);
	c->memory = vm_object_memory(c->obj);
}

static int fn_vo_set_pages(struct fn_ctx *c, unsigned int n)
{
	return vm_object_set_pages(c->obj, 0, c->nr, c->arg, GFP_KERNEL);
}

static int fn_vo_set_device(struct fn_ctx *c, unsigned int n)
{
	return vm_object_set_device(c->obj, 0, c->nr, c, 1000, GFP_KERNEL);
}

static int fn_vo_will_need(struct fn_ctx *c, unsigned int n)
{
	return vm_object_set_will_need(c->obj, 0, c->nr, true, GFP_KERNEL);
}

static const struct fn_op fn_vo_ops[];

static bool vo_hint(struct vm_object *obj, unsigned long index)
{
	struct vm_object_entry e;

	return !vm_object_lookup(obj, index, &e) && e.will_need;
}

static bool fn_vo_check(struct kunit *test, struct fn_ctx *c, unsigned int n,
			int err)
{
	/* fn_vo_ops[0] stands for all three: same errors. */
	bool ok = fn_err_ok(test, &fn_vo_ops[0], n, err);
	unsigned long cpu = vm_object_nr_pages(c->obj, VMO_CPU);
	int i;

	if (ok && err) {
		KUNIT_EXPECT_EQ(test, fn_vo_digest(c->obj), c->digest);
		KUNIT_EXPECT_EQ(test, vm_object_memory(c->obj), c->memory);
		KUNIT_EXPECT_EQ(test, cpu, 2UL);
		KUNIT_EXPECT_EQ(test, vm_object_nr_pages(c->obj, VMO_DEVICE),
				10UL);
		KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[1]),
				c->refs[1] + 1);
		for (i = 3; i < ARRAY_SIZE(c->pages); i++)
			KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[i]),
					c->refs[i]);
		ok = fn_vo_digest(c->obj) == c->digest &&
		     vm_object_memory(c->obj) == c->memory;
	} else if (ok) {
		/* All of the update, whichever allocation failed. */
		KUNIT_EXPECT_EQ(test, cpu, c->want_cpu);
		KUNIT_EXPECT_EQ(test, vm_object_nr_pages(c->obj, VMO_DEVICE),
				c->want_device);
		KUNIT_EXPECT_EQ(test, vo_hint(c->obj, 230), true);
	}
	vm_object_destroy(c->obj);
	c->obj = NULL;
	for (i = 0; i < ARRAY_SIZE(c->pages); i++)
		KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[i]), c->refs[i]);
	return ok;
}

static const struct fn_op fn_vo_ops[] = {
	{ "vm_object_set_pages", 2000, fn_vo_prepare, fn_vo_set_pages,
	  fn_vo_check },
	{ "vm_object_set_device", 2000, fn_vo_prepare, fn_vo_set_device,
	  fn_vo_check },
	{ "vm_object_set_will_need", 2000, fn_vo_prepare, fn_vo_will_need,
	  fn_vo_check },
};

static void fn_vo_sweep(struct kunit *test, unsigned long nr, int first,
			int last)
{
	struct fn_ctx *c = test->priv;
	unsigned long i;
	int k;

	c->nr = nr;
	c->arg = kvmalloc_array(nr, sizeof(*c->arg), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->arg);
	for (i = 0; i < nr; i++)
		c->arg[i] = c->pages[3 + i % 5];
	for (k = first; k <= last; k++) {
		/* Pages at 100 and at the end; 10 device pages past the range. */
		c->want_cpu = k == 0 ? nr + 1 : k == 1 ? 1 : 2;
		c->want_device = k == 1 ? nr + 10 : 10;
		fn_sweep(test, c, &fn_vo_ops[k]);
	}
}

/* 12 leaf nodes: the reservation bitmap on the stack. */
static void fn_vm_object(struct kunit *test)
{
	fn_vo_sweep(test, 64 * 12, 0, 2);
}

/* 257 leaf nodes: the reservation bitmap is allocated too. */
static void fn_vm_object_large(struct kunit *test)
{
	fn_vo_sweep(test, 64 * 257, 0, 0);
}

/* ---- sparse areas ---- */

/* Tries per sweep; each maps two pages across a fresh 2 MiB boundary. */
#define FN_SPARSE_TRIES	16

static unsigned long fn_sparse_addr(struct fn_ctx *c, unsigned int n)
{
	unsigned long top = (unsigned long)c->area->addr +
			    get_vm_area_size(c->area);

	/* The prebuilt area has every page table: anywhere will do. */
	if (vm_area_is_prebuilt(c->area))
		return (unsigned long)c->area->addr + PAGE_SIZE;
	/* Across the boundary of regions 2n - 1 and 2n from the top. */
	return ALIGN_DOWN(top, SZ_2M) - 2 * n * SZ_2M - PAGE_SIZE;
}

static void fn_sparse_prepare(struct kunit *test, struct fn_ctx *c,
			      unsigned int n)
{
	KUNIT_ASSERT_GE(test, fn_sparse_addr(c, n),
			(unsigned long)c->area->addr);
	c->sparse_lines = fn_vmallocinfo(test, c, " sparse");
}

static int fn_sparse_map(struct fn_ctx *c, unsigned int n)
{
	unsigned long addr = fn_sparse_addr(c, n);

	return vm_area_map_pages(c->area, addr, addr + 2 * PAGE_SIZE,
				 c->pages);
}

static int fn_sparse_map_atomic(struct fn_ctx *c, unsigned int n)
{
	unsigned long addr = fn_sparse_addr(c, n), flags;
	int err;

	local_irq_save(flags);
	err = vm_area_map_pages_atomic(c->area, addr, addr + 2 * PAGE_SIZE,
				       c->pages);
	local_irq_restore(flags);
	return err;
}

static bool fn_sparse_check(struct kunit *test, struct fn_ctx *c,
			    unsigned int n, int err)
{
	static const struct fn_op op = { .name = "vm_area_map_pages" };
	void *addr = (void *)fn_sparse_addr(c, n);
	bool ok = fn_err_ok(test, &op, n, err);

	if (!err) {
		KUNIT_EXPECT_PTR_EQ(test, vmalloc_to_page(addr), c->pages[0]);
		KUNIT_EXPECT_PTR_EQ(test, vmalloc_to_page(addr + PAGE_SIZE),
				    c->pages[1]);
		vm_area_unmap_pages(c->area, (unsigned long)addr,
				    (unsigned long)addr + 2 * PAGE_SIZE);
	}
	/* Nothing left mapped, no area gained or lost. */
	KUNIT_EXPECT_NULL(test, vmalloc_to_page(addr));
	KUNIT_EXPECT_NULL(test, vmalloc_to_page(addr + PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, fn_vmallocinfo(test, c, " sparse"),
			c->sparse_lines);
	return ok;
}

static const struct fn_op fn_sparse_ops[] = {
	{ "vm_area_map_pages", FN_SPARSE_TRIES, fn_sparse_prepare,
	  fn_sparse_map, fn_sparse_check },
	{ "vm_area_map_pages_atomic", FN_SPARSE_TRIES, fn_sparse_prepare,
	  fn_sparse_map_atomic, fn_sparse_check },
};

static void fn_sparse_map_sweep(struct kunit *test)
{
	struct fn_ctx *c = test->priv;

	c->area = get_sparse_vm_area(FN_SPARSE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, c->area);
	fn_sweep(test, c, &fn_sparse_ops[0]);
	fn_keep_area(c->area);

	c->area = get_prebuilt_sparse_vm_area(SZ_4M);
	KUNIT_ASSERT_NOT_NULL(test, c->area);
	fn_sweep(test, c, &fn_sparse_ops[1]);
	free_vm_area(c->area);
}

static void fn_prebuilt_prepare(struct kunit *test, struct fn_ctx *c,
				unsigned int n)
{
	c->sparse_lines = fn_vmallocinfo(test, c, " sparse prebuilt");
}

static int fn_prebuilt_create(struct fn_ctx *c, unsigned int n)
{
	/* 4 MiB and a page: two or three PTE pages to build. */
	c->made = get_prebuilt_sparse_vm_area(SZ_4M + PAGE_SIZE);
	return c->made ? 0 : -ENOMEM;
}

static bool fn_prebuilt_check(struct kunit *test, struct fn_ctx *c,
			      unsigned int n, int err)
{
	static const struct fn_op op = { .name = "get_prebuilt_sparse_vm_area" };
	bool ok = fn_err_ok(test, &op, n, err);

	if (c->made) {
		KUNIT_EXPECT_TRUE(test, vm_area_is_prebuilt(c->made));
		KUNIT_EXPECT_EQ(test, fn_vmallocinfo(test, c, " sparse prebuilt"),
				c->sparse_lines + 1);
		free_vm_area(c->made);
		c->made = NULL;
	}
	KUNIT_EXPECT_EQ(test, fn_vmallocinfo(test, c, " sparse prebuilt"),
			c->sparse_lines);
	return ok;
}

static void fn_sparse_create_sweep(struct kunit *test)
{
	static const struct fn_op op = {
		"get_prebuilt_sparse_vm_area", 400, fn_prebuilt_prepare,
		fn_prebuilt_create, fn_prebuilt_check,
	};

	fn_sweep(test, test->priv, &op);
}

/* ---- arenas ---- */

/*
 * Try n allocates in 2 MiB region n from the top of a big arena, so that
 * it needs a new kernel PTE page like the first allocation of a region
 * does; the first and last pages are allocated once first so that the
 * PMD pages exist.
 */
#define FN_ARENA_REGIONS	(FN_ARENA_SIZE / SZ_2M)
#define FN_REGION_PAGES		(SZ_2M / PAGE_SIZE)

static void *fn_region(struct fn_ctx *c, unsigned int n)
{
	n = 1 + (n - 1) % (FN_ARENA_REGIONS - 2);
	return vm_arena_base(c->arena) + FN_ARENA_SIZE -
	       (unsigned long)(n + 1) * SZ_2M;
}

static void fn_arena_new(struct kunit *test, struct fn_ctx *c,
			 unsigned int flags)
{
	unsigned long last = FN_ARENA_REGIONS * FN_REGION_PAGES - 1;
	void *p;

	c->arena = vm_arena_create(FN_ARENA_SIZE, flags, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c->arena));
	p = vm_arena_base(c->arena);
	KUNIT_ASSERT_PTR_EQ(test, vm_arena_alloc_pages(c->arena, p, 1,
						       NUMA_NO_NODE, 0), p);
	KUNIT_ASSERT_FALSE(test, IS_ERR(p));
	KUNIT_ASSERT_EQ(test, vm_arena_free_pages(c->arena, p, 1), 0);
	p = vm_arena_base(c->arena) + last * PAGE_SIZE;
	KUNIT_ASSERT_PTR_EQ(test, vm_arena_alloc_pages(c->arena, p, 1,
						       NUMA_NO_NODE, 0), p);
	KUNIT_ASSERT_EQ(test, vm_arena_free_pages(c->arena, p, 1), 0);
}

static void fn_arena_prepare(struct kunit *test, struct fn_ctx *c,
			     unsigned int n)
{
	c->arena_lines = fn_vmallocinfo(test, c, "vm_arena_create");
}

static int fn_arena_alloc(struct fn_ctx *c, unsigned int n)
{
	unsigned long flags;
	void *p;

	if (!c->atomic)
		return PTR_ERR_OR_ZERO(vm_arena_alloc_pages(c->arena,
							    fn_region(c, n),
							    c->count,
							    NUMA_NO_NODE,
							    c->alloc_flags));
	local_irq_save(flags);
	p = vm_arena_alloc_pages_atomic(c->arena, fn_region(c, n), c->count,
					NUMA_NO_NODE);
	local_irq_restore(flags);
	return PTR_ERR_OR_ZERO(p);
}

static bool fn_arena_check(struct kunit *test, struct fn_ctx *c,
			   unsigned int n, int err)
{
	static const struct fn_op op = { .name = "vm_arena_alloc_pages" };
	bool ok = fn_err_ok(test, &op, n, err);
	unsigned long i;

	/* An undo that needed a sleeping unmap went to the work item. */
	vm_arena_flush_frees(c->arena);
	if (!err) {
		KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(c->arena), c->count);
		for (i = 0; i < c->count; i++)
			KUNIT_EXPECT_EQ(test, *(u64 *)(fn_region(c, n) +
						       i * PAGE_SIZE), 0ULL);
		KUNIT_EXPECT_EQ(test, vm_arena_free_pages(c->arena,
							  fn_region(c, n),
							  c->count), 0);
	}
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(c->arena), 0UL);
	for (i = 0; i < c->count; i++)
		KUNIT_EXPECT_NULL(test, vmalloc_to_page(fn_region(c, n) +
							i * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(c->arena, fn_region(c, n), 1),
			-ENOENT);
	/* The range is free again: it can be allocated and freed. */
	KUNIT_EXPECT_PTR_EQ(test, vm_arena_alloc_pages(c->arena, fn_region(c, n),
						       c->count, NUMA_NO_NODE, 0),
			    fn_region(c, n));
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(c->arena, fn_region(c, n),
						  c->count), 0);
	KUNIT_EXPECT_EQ(test, fn_vmallocinfo(test, c, "vm_arena_create"),
			c->arena_lines);
	return ok;
}

static void fn_arena_alloc_sweep(struct kunit *test, const char *name,
				 unsigned long count, unsigned int flags,
				 bool atomic)
{
	struct fn_ctx *c = test->priv;
	struct fn_op op = {
		name, 200, fn_arena_prepare, fn_arena_alloc, fn_arena_check,
	};

	c->count = count;
	c->alloc_flags = flags;
	c->atomic = atomic;
	fn_arena_new(test, c, atomic ? VM_ARENA_F_ATOMIC : 0);
	fn_sweep(test, c, &op);
	fn_keep_arena(c->arena);
	c->arena = NULL;
}

static void fn_arena_alloc_1(struct kunit *test)
{
	fn_arena_alloc_sweep(test, "vm_arena_alloc_pages(1)", 1, 0, false);
	fn_arena_alloc_sweep(test, "vm_arena_alloc_pages(1, POPULATE)", 1,
			     VM_ARENA_ALLOC_POPULATE, false);
	fn_arena_alloc_sweep(test, "vm_arena_alloc_pages_atomic(1)", 1, 0,
			     true);
}

static void fn_arena_alloc_64(struct kunit *test)
{
	fn_arena_alloc_sweep(test, "vm_arena_alloc_pages(64)", 64, 0, false);
	fn_arena_alloc_sweep(test, "vm_arena_alloc_pages_atomic(16)", 16, 0,
			     true);
}

/*
 * An allocation over lazily freed pages: two pages of region n are
 * allocated and freed first, so that the four-page allocation takes them
 * back (zeroed) and allocates two new ones.  After an injected failure
 * the two must still be the arena's exactly once -- lazy again, or
 * released by a purge -- and after vm_arena_flush_frees() released
 * (only our reference left), whatever happened.
 */
static unsigned long fn_lazy_pages(struct fn_ctx *c)
{
	struct vm_arena_cost cost;

	vm_arena_memory(c->arena, &cost);
	return cost.lazy_pages;
}

static void fn_arena_lazy_prepare(struct kunit *test, struct fn_ctx *c,
				  unsigned int n)
{
	void *p = fn_region(c, n);
	int i;

	c->arena_lines = fn_vmallocinfo(test, c, "vm_arena_create");
	vm_arena_flush_frees(c->arena);
	KUNIT_ASSERT_PTR_EQ(test, vm_arena_alloc_pages(c->arena, p, 2,
						       NUMA_NO_NODE, 0), p);
	for (i = 0; i < 2; i++) {
		c->lazy[i] = vmalloc_to_page(p + i * PAGE_SIZE);
		memset(p + i * PAGE_SIZE, 0x6b, PAGE_SIZE);
	}
	KUNIT_ASSERT_EQ(test, vm_arena_free_pages(c->arena, p, 2), 0);
	KUNIT_ASSERT_EQ(test, fn_lazy_pages(c), 2UL);
	/* Only now: a page held by anyone else when freed is not kept. */
	for (i = 0; i < 2; i++)
		KUNIT_ASSERT_TRUE(test, get_page_unless_zero(c->lazy[i]));
}

static bool fn_arena_lazy_check(struct kunit *test, struct fn_ctx *c,
				unsigned int n, int err)
{
	static const struct fn_op op = { .name = "vm_arena_alloc_pages(lazy)" };
	bool ok = fn_err_ok(test, &op, n, err);
	void *p = fn_region(c, n);
	unsigned long i;

	if (err) {
		KUNIT_EXPECT_LE(test, fn_lazy_pages(c), 2UL);
		for (i = 0; i < 2; i++)
			KUNIT_EXPECT_LE(test, page_count(c->lazy[i]), 2);
	} else {
		KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(c->arena), 4UL);
		for (i = 0; i < 4; i++)
			KUNIT_EXPECT_NULL(test, memchr_inv(p + i * PAGE_SIZE, 0,
							   PAGE_SIZE));
		KUNIT_EXPECT_EQ(test, vm_arena_free_pages(c->arena, p, 4), 0);
	}
	vm_arena_flush_frees(c->arena);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(c->arena), 0UL);
	KUNIT_EXPECT_EQ(test, fn_lazy_pages(c), 0UL);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_NULL(test, vmalloc_to_page(p + i * PAGE_SIZE));
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_EQ(test, page_count(c->lazy[i]), 1);
		put_page(c->lazy[i]);
	}
	KUNIT_EXPECT_EQ(test, fn_vmallocinfo(test, c, "vm_arena_create"),
			c->arena_lines);
	return ok;
}

static void fn_arena_alloc_lazy(struct kunit *test)
{
	struct fn_ctx *c = test->priv;
	struct fn_op op = {
		"vm_arena_alloc_pages(4 over 2 lazy)", 200,
		fn_arena_lazy_prepare, fn_arena_alloc, fn_arena_lazy_check,
	};
	int k;

	c->count = 4;
	c->alloc_flags = 0;
	for (k = 0; k < 2; k++) {
		c->atomic = k;
		if (k)
			op.name = "vm_arena_alloc_pages_atomic(4 over 2 lazy)";
		fn_arena_new(test, c, k ? VM_ARENA_F_ATOMIC : 0);
		fn_sweep(test, c, &op);
		fn_keep_arena(c->arena);
		c->arena = NULL;
	}
}

static void fn_arena_create_prepare(struct kunit *test, struct fn_ctx *c,
				    unsigned int n)
{
	c->arena_lines = fn_vmallocinfo(test, c, "vm_arena_create");
}

static int fn_arena_create(struct fn_ctx *c, unsigned int n)
{
	c->created = vm_arena_create(c->create_size, c->create_flags, 0);
	return PTR_ERR_OR_ZERO(c->created);
}

static bool fn_arena_create_check(struct kunit *test, struct fn_ctx *c,
				  unsigned int n, int err)
{
	static const struct fn_op op = { .name = "vm_arena_create" };
	bool ok = fn_err_ok(test, &op, n, err);

	if (!err) {
		KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(c->created), 0UL);
		KUNIT_EXPECT_EQ(test, fn_vmallocinfo(test, c, "vm_arena_create"),
				c->arena_lines + 1);
		vm_arena_put(c->created);
	}
	c->created = NULL;
	KUNIT_EXPECT_EQ(test, fn_vmallocinfo(test, c, "vm_arena_create"),
			c->arena_lines);
	return ok;
}

static void fn_arena_create_sweep(struct kunit *test)
{
	struct fn_ctx *c = test->priv;
	static const struct fn_op op[] = {
		{ FN_CREATE_NAME, 400, fn_arena_create_prepare,
		  fn_arena_create, fn_arena_create_check },
		{ "vm_arena_create(4 MiB, ATOMIC)", 400, fn_arena_create_prepare,
		  fn_arena_create, fn_arena_create_check },
	};

	/* Bitmaps of at most a page: kvcalloc() never falls back to vmalloc. */
	c->create_size = FN_CREATE_SIZE;
	c->create_flags = 0;
	fn_sweep(test, c, &op[0]);
	c->create_size = SZ_4M;
	c->create_flags = VM_ARENA_F_ATOMIC;
	fn_sweep(test, c, &op[1]);
}

static void fn_arena_free_prepare(struct kunit *test, struct fn_ctx *c,
				  unsigned int n)
{
	void *p = vm_arena_base(c->arena);

	KUNIT_ASSERT_PTR_EQ(test, vm_arena_alloc_pages(c->arena, p, 64,
						       NUMA_NO_NODE, 0), p);
}

static int fn_arena_free(struct fn_ctx *c, unsigned int n)
{
	return vm_arena_free_pages(c->arena, vm_arena_base(c->arena), 64);
}

static bool fn_arena_free_check(struct kunit *test, struct fn_ctx *c,
				unsigned int n, int err)
{
	/* A free needs no memory: it never fails. */
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(c->arena), 0UL);
	KUNIT_EXPECT_NULL(test, vmalloc_to_page(vm_arena_base(c->arena)));
	return !err;
}

static void fn_arena_free_sweep(struct kunit *test)
{
	struct fn_ctx *c = test->priv;
	static const struct fn_op op = {
		"vm_arena_free_pages(64)", 40, fn_arena_free_prepare,
		fn_arena_free, fn_arena_free_check,
	};

	c->arena = vm_arena_create(SZ_4M, 0, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c->arena));
	fn_sweep(test, c, &op);
	vm_arena_put(c->arena);
	c->arena = NULL;
}

/* ---- VM_GROUP_PAGES: the cache refill ---- */

#ifdef CONFIG_VM_GROUP_PAGES
#define FN_GROUP_BLOCK	(1UL << (PMD_SHIFT - PAGE_SHIFT))

/*
 * Ask for what the cache holds plus two blocks and a few pages, so that
 * the request needs three refills: each injected failure stops the fill at
 * a block boundary, and the pages handed out so far must be exactly the
 * cached ones plus the blocks that did come.
 */
static void fn_group_prepare(struct kunit *test, struct fn_ctx *c,
			     unsigned int n)
{
	c->group_cached = vm_group_cached_pages();
	c->nr = c->group_cached + 2 * FN_GROUP_BLOCK + 5;
	kvfree(c->arg);
	c->arg = kvcalloc(c->nr, sizeof(*c->arg), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->arg);
}

static int fn_group_alloc(struct fn_ctx *c, unsigned int n)
{
	c->group_got = vm_group_alloc_pages(GFP_KERNEL, numa_mem_id(), c->nr,
					    c->arg);
	return 0;
}

/*
 * The request makes exactly three allocation decisions, one per block, so
 * try @n <= 3 fails refill @n and try 4 runs clean.
 */
static bool fn_group_check(struct kunit *test, struct fn_ctx *c,
			   unsigned int n, int err)
{
	unsigned long got = c->group_got, want, cached, i, kept = 0;
	bool failed = n <= 3;

	KUNIT_EXPECT_EQ(test, err, 0);
	/* Refill n failed: the cached pages and the n - 1 blocks before. */
	want = failed ? c->group_cached + (n - 1) * FN_GROUP_BLOCK : c->nr;
	KUNIT_EXPECT_EQ_MSG(test, got, want, "refill %u failing", n);
	/* A failed fill used up the cache; a clean one keeps block 3's tail. */
	cached = failed ? 0 : FN_GROUP_BLOCK - 5;
	KUNIT_EXPECT_EQ(test, vm_group_cached_pages(), cached);
	/*
	 * Every page goes back to the cache, as vfree() would put it: the
	 * sweep counts the cache's growth apart from free pages gone.
	 */
	for (i = 0; i < got; i++) {
		KUNIT_EXPECT_EQ(test, page_ref_count(c->arg[i]), 1);
		KUNIT_EXPECT_FALSE(test, PageHWPoison(c->arg[i]));
		if (vm_group_free_page(c->arg[i]))
			kept++;
		else
			__free_page(c->arg[i]);
	}
	KUNIT_EXPECT_EQ(test, kept, got);
	KUNIT_EXPECT_EQ(test, vm_group_cached_pages(), cached + got);
	return got == want;
}

static long fn_group_held(struct fn_ctx *c)
{
	return vm_group_cached_pages();
}

static void fn_group_refill_sweep(struct kunit *test)
{
	static const struct fn_op op = {
		"vm_group_alloc_pages(cached + 2 blocks + 5)", 8,
		fn_group_prepare, fn_group_alloc, fn_group_check,
		fn_group_held,
	};

	fn_sweep(test, test->priv, &op);
}
#endif

static struct kunit_case sparse_mm_fail_nth_cases[] = {
	KUNIT_CASE(fn_vm_object),
	KUNIT_CASE(fn_vm_object_large),
	KUNIT_CASE(fn_sparse_map_sweep),
	KUNIT_CASE(fn_arena_alloc_1),
	KUNIT_CASE(fn_arena_alloc_64),
	KUNIT_CASE(fn_arena_alloc_lazy),
	KUNIT_CASE(fn_arena_free_sweep),
	KUNIT_CASE(fn_arena_create_sweep),
	KUNIT_CASE(fn_sparse_create_sweep),
#ifdef CONFIG_VM_GROUP_PAGES
	KUNIT_CASE(fn_group_refill_sweep),
#endif
	{}
};

static struct kunit_suite sparse_mm_fail_nth_suite = {
	.name = "sparse_mm_fail_nth",
	.init = fn_init,
	.exit = fn_exit,
	.suite_exit = fn_suite_exit,
	.test_cases = sparse_mm_fail_nth_cases,
};

kunit_test_suites(&sparse_mm_fail_nth_suite);

MODULE_DESCRIPTION("sparse-mm systematic fault-injection KUnit sweep");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(SPARSE_MM_BENCH);
MODULE_IMPORT_NS(SPARSE_MM_KUNIT);
