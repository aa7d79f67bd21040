// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for VM_GROUP_PAGES.  It sees the cache and its counters
 * through mm/vm_group_pages.h, and makes block refills fail with the
 * fail_vm_group_refill fault attribute.
 *
 * The suite assumes nothing else uses the cache while it runs (true in the
 * KUnit boot: no modules are loaded).  NUMA placement is checked on every
 * node with memory; the harness runs the suite once more on a two-node
 * QEMU machine (scripts/smm, kunit-numa.log).
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <kunit/test.h>
#include <linux/fault-inject.h>
#include <linux/highmem.h>
#include <linux/list_lru.h>
#include <linux/mm.h>
#include <linux/moduleloader.h>
#include <linux/page-flags.h>
#include <linux/set_memory.h>
#include <linux/vm_group_pages.h>
#include <linux/vmalloc.h>

#include "vm_group_pages.h"

#define VG_BLOCK(page)	(page_to_pfn(page) >> VM_GROUP_ORDER)

static void *vg_vmalloc(unsigned long pages, int nid, gfp_t gfp)
{
	return __vmalloc_node_range(pages * PAGE_SIZE, 1, VMALLOC_START,
				    VMALLOC_END, gfp, PAGE_KERNEL,
				    VM_GROUP_PAGES, nid,
				    __builtin_return_address(0));
}

static struct page **vg_pages(struct kunit *test, void *p)
{
	struct vm_struct *area = find_vm_area(p);

	KUNIT_ASSERT_NOT_NULL(test, area);
	return area->pages;
}

/* Give every cached page back, through the shrinker's own scan. */
static void vg_drain(void)
{
	int nid;

	for_each_node_state(nid, N_MEMORY) {
		struct shrink_control sc = {
			.gfp_mask = GFP_KERNEL,
			.nid = nid,
			.nr_to_scan = ULONG_MAX,
		};

		vm_group_scan(&vm_group_shrinker, &sc);
	}
}

static long vg_stat(atomic_long_t *v)
{
	return atomic_long_read(v);
}

/* Write through the vmalloc mapping, read back through the direct map. */
static void vg_check_data(struct kunit *test, void *p, unsigned long pages)
{
	struct page **pg = vg_pages(test, p);
	unsigned long i;

	for (i = 0; i < pages; i++)
		memset(p + i * PAGE_SIZE, 0x40 + (i & 0x3f), PAGE_SIZE);
	for (i = 0; i < pages; i++) {
		u8 *d = page_address(pg[i]);

		KUNIT_EXPECT_EQ(test, d[0], (u8)(0x40 + (i & 0x3f)));
		KUNIT_EXPECT_EQ(test, d[PAGE_SIZE - 1], (u8)(0x40 + (i & 0x3f)));
	}
}

/* Make the next @n block refills fail (0: none), quietly. */
static void vg_fail_refills(int n)
{
	fail_vm_group_refill.verbose = 0;
	fail_vm_group_refill.interval = 1;
	atomic_set(&fail_vm_group_refill.times, n);
	WRITE_ONCE(fail_vm_group_refill.probability, n ? 100 : 0);
}

static int vg_init(struct kunit *test)
{
	if (!READ_ONCE(vm_group_ready) || !READ_ONCE(vm_group_enabled))
		return -ENODEV;
	vg_drain();
	return 0;
}

static void vg_exit(struct kunit *test)
{
	vg_fail_refills(0);
	WRITE_ONCE(vm_group_enabled, true);
	vg_drain();
}

/* Pages of one allocation, and of the next, come from one 2 MiB block. */
static void vg_one_block(struct kunit *test)
{
	int nid = numa_node_id();
	long blocks = vg_stat(&vm_group_stats.blocks);
	long fallback = vg_stat(&vm_group_stats.fallback);
	struct page **a, **b;
	void *p, *q;
	int i;

	p = vg_vmalloc(16, nid, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	q = vg_vmalloc(8, nid, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	a = vg_pages(test, p);
	b = vg_pages(test, q);
	KUNIT_EXPECT_EQ(test, vg_stat(&vm_group_stats.blocks), blocks + 1);
	for (i = 0; i < 16; i++) {
		KUNIT_EXPECT_EQ(test, VG_BLOCK(a[i]), VG_BLOCK(a[0]));
		/* A fresh block is handed out in pfn order. */
		KUNIT_EXPECT_EQ(test, page_to_pfn(a[i]), page_to_pfn(a[0]) + i);
		KUNIT_EXPECT_EQ(test, page_to_nid(a[i]), nid);
	}
	for (i = 0; i < 8; i++) {
		KUNIT_EXPECT_EQ(test, VG_BLOCK(b[i]), VG_BLOCK(a[0]));
		KUNIT_EXPECT_EQ(test, page_to_pfn(b[i]), page_to_pfn(a[0]) + 16 + i);
	}
	KUNIT_EXPECT_EQ(test, list_lru_count_node(&vm_group_lru, nid),
			(unsigned long)VM_GROUP_BLOCK_PAGES - 24);
	vg_check_data(test, p, 16);
	vg_check_data(test, q, 8);
	vfree(p);
	vfree(q);
	KUNIT_EXPECT_EQ(test, list_lru_count_node(&vm_group_lru, nid),
			(unsigned long)VM_GROUP_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, vg_stat(&vm_group_stats.fallback), fallback);
}

/* vfree() returns pages to the cache; the next allocation reuses them. */
static void vg_reuse(struct kunit *test)
{
	int nid = numa_node_id();
	struct page *old[8], **n;
	long blocks;
	void *p;
	int i, j, found;

	p = vg_vmalloc(8, nid, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memcpy(old, vg_pages(test, p), sizeof(old));
	vfree(p);
	blocks = vg_stat(&vm_group_stats.blocks);
	p = vg_vmalloc(8, nid, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	n = vg_pages(test, p);
	/* Most recently freed first. */
	KUNIT_EXPECT_PTR_EQ(test, n[0], old[7]);
	for (i = 0; i < 8; i++) {
		found = 0;
		for (j = 0; j < 8; j++)
			found += n[i] == old[j];
		KUNIT_EXPECT_EQ(test, found, 1);
	}
	KUNIT_EXPECT_EQ(test, vg_stat(&vm_group_stats.blocks), blocks);
	vg_check_data(test, p, 8);
	vfree(p);
}

/* An allocation larger than a block takes several blocks. */
static void vg_multi_block(struct kunit *test)
{
	unsigned long n = VM_GROUP_BLOCK_PAGES + VM_GROUP_BLOCK_PAGES / 2;
	long blocks = vg_stat(&vm_group_stats.blocks);
	long fallback = vg_stat(&vm_group_stats.fallback);
	struct page **pg;
	unsigned long i, runs = 1;
	void *p;

	p = vg_vmalloc(n, numa_node_id(), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	pg = vg_pages(test, p);
	KUNIT_EXPECT_EQ(test, vg_stat(&vm_group_stats.blocks), blocks + 2);
	KUNIT_EXPECT_EQ(test, vg_stat(&vm_group_stats.fallback), fallback);
	for (i = 1; i < n; i++)
		runs += VG_BLOCK(pg[i]) != VG_BLOCK(pg[i - 1]);
	KUNIT_EXPECT_EQ(test, runs, 2UL);
	vg_check_data(test, p, n);
	vfree(p);
}

/* No PMD-order block: the ordinary path serves, the area works. */
static void vg_fallback(struct kunit *test)
{
	int nid = numa_node_id();
	long blocks = vg_stat(&vm_group_stats.blocks);
	long fallback = vg_stat(&vm_group_stats.fallback);
	struct page *pages[8];
	void *p;

	vg_fail_refills(1000);
	KUNIT_EXPECT_EQ(test, vm_group_alloc_pages(GFP_KERNEL, nid, 8, pages), 0U);
	KUNIT_EXPECT_EQ(test, vg_stat(&vm_group_stats.fallback), fallback + 8);

	p = vg_vmalloc(8, nid, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, vg_stat(&vm_group_stats.fallback), fallback + 16);
	KUNIT_EXPECT_EQ(test, vg_stat(&vm_group_stats.blocks), blocks);
	vg_check_data(test, p, 8);
	/* Fallback pages are kept too: their direct map may be split. */
	vfree(p);
	KUNIT_EXPECT_EQ(test, list_lru_count_node(&vm_group_lru, nid), 8UL);

	/* Partly from the cache: 8 cached, 4 more from the ordinary path. */
	p = vg_vmalloc(12, nid, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, vg_stat(&vm_group_stats.fallback), fallback + 20);
	KUNIT_EXPECT_EQ(test, list_lru_count_node(&vm_group_lru, nid), 0UL);
	vg_check_data(test, p, 12);
	vfree(p);
	vg_fail_refills(0);
}

/* Requests the cache cannot honour go to the ordinary path. */
static void vg_gfp_policy(struct kunit *test)
{
	long bypass = vg_stat(&vm_group_stats.gfp_bypass);
	long blocks = vg_stat(&vm_group_stats.blocks);
	struct page **pg;
	void *p;
	int i;

	p = vg_vmalloc(4, NUMA_NO_NODE, GFP_KERNEL | __GFP_ACCOUNT);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, vg_stat(&vm_group_stats.gfp_bypass), bypass + 4);
	KUNIT_EXPECT_EQ(test, vm_group_cached_pages(), 0UL);
	vfree(p);

	p = vg_vmalloc(4, NUMA_NO_NODE, GFP_KERNEL | GFP_DMA32);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, vg_stat(&vm_group_stats.gfp_bypass), bypass + 8);
	pg = vg_pages(test, p);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_LE(test, page_zonenum(pg[i]), ZONE_DMA32);
	vfree(p);
	KUNIT_EXPECT_EQ(test, vg_stat(&vm_group_stats.blocks), blocks);

	/* __GFP_ZERO: a dirty cached page comes back cleared. */
	vg_drain();
	p = vg_vmalloc(1, numa_node_id(), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0xa5, PAGE_SIZE);
	pg = vg_pages(test, p);
	{
		struct page *dirty = pg[0];
		u8 *z;

		vfree(p);
		p = vg_vmalloc(1, numa_node_id(), GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_PTR_EQ(test, vg_pages(test, p)[0], dirty);
		z = p;
		KUNIT_EXPECT_EQ(test, z[0], 0);
		KUNIT_EXPECT_EQ(test, z[PAGE_SIZE - 1], 0);
		KUNIT_EXPECT_NULL(test, memchr_inv(z, 0, PAGE_SIZE));
		vfree(p);
	}
}

/* The shrinker empties the cache and the pages go back to the buddy. */
static void vg_shrinker(struct kunit *test)
{
	long shrunk = vg_stat(&vm_group_stats.shrunk);
	unsigned long free0, free1, cached, i, in_buddy = 0;
	struct page *first;
	void *p;

	p = vg_vmalloc(1, numa_node_id(), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	first = vg_pages(test, p)[0];
	vfree(p);
	cached = vm_group_cached_pages();
	KUNIT_ASSERT_EQ(test, cached, (unsigned long)VM_GROUP_BLOCK_PAGES);

	drain_all_pages(NULL);
	free0 = global_zone_page_state(NR_FREE_PAGES);
	drop_slab();		/* every shrinker, every node */
	drain_all_pages(NULL);
	free1 = global_zone_page_state(NR_FREE_PAGES);

	KUNIT_EXPECT_EQ(test, vm_group_cached_pages(), 0UL);
	KUNIT_EXPECT_GE(test, vg_stat(&vm_group_stats.shrunk),
			shrunk + (long)cached);
	KUNIT_EXPECT_GE(test, free1 + 64, free0 + cached);
	/* The block is whole again, or nearly: its pages are buddy pages. */
	for (i = 0; i < VM_GROUP_BLOCK_PAGES; i++)
		in_buddy += is_free_buddy_page(first + i);
	kunit_info(test, "free pages +%lu, block pages in buddy %lu/%lu",
		   free1 - free0, in_buddy, VM_GROUP_BLOCK_PAGES);
	KUNIT_EXPECT_GE(test, in_buddy, (unsigned long)VM_GROUP_BLOCK_PAGES - 32);
}

/*
 * NUMA_NO_NODE is placed as vmalloc() places it: on the node of the CPU the
 * task runs on (its mempolicy aside); a node-specific request stays there.
 */
static void vg_numa(struct kunit *test)
{
	int nodes = num_node_state(N_MEMORY), i, j, nid;
	cpumask_var_t saved;
	struct page **pg;
	void *p;

	kunit_info(test, "nodes with memory: %d", nodes);
	KUNIT_ASSERT_TRUE(test, alloc_cpumask_var(&saved, GFP_KERNEL));
	cpumask_copy(saved, current->cpus_ptr);
	for_each_node_state(nid, N_MEMORY) {
		const struct cpumask *cpus = cpumask_of_node(nid);

		if (!cpumask_intersects(cpus, cpu_online_mask)) {
			kunit_info(test, "node %d has no CPU to run on", nid);
			continue;
		}
		if (set_cpus_allowed_ptr(current, cpus)) {
			KUNIT_FAIL(test, "cannot run on node %d", nid);
			continue;
		}
		KUNIT_EXPECT_EQ(test, numa_node_id(), nid);
		for (i = 0; i < 2 * nodes; i++) {
			p = vg_vmalloc(4, NUMA_NO_NODE, GFP_KERNEL);
			KUNIT_EXPECT_NOT_NULL(test, p);
			if (!p)
				break;
			pg = vg_pages(test, p);
			for (j = 0; j < 4; j++)
				KUNIT_EXPECT_EQ_MSG(test, page_to_nid(pg[j]),
						    nid, "task on node %d", nid);
			vfree(p);
		}
	}
	set_cpus_allowed_ptr(current, saved);
	free_cpumask_var(saved);

	for_each_node_state(nid, N_MEMORY) {
		unsigned long before = list_lru_count_node(&vm_group_lru, nid);

		p = vg_vmalloc(8, nid, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		pg = vg_pages(test, p);
		for (j = 0; j < 8; j++)
			KUNIT_EXPECT_EQ(test, page_to_nid(pg[j]), nid);
		kunit_info(test, "node %d: request landed on node %d", nid,
			   page_to_nid(pg[0]));
		vfree(p);
		KUNIT_EXPECT_GE(test, list_lru_count_node(&vm_group_lru, nid),
				before);
	}
}

/* Cached pages are hidden like free pages: unmapped under DEBUG_PAGEALLOC. */
static void vg_debug_hidden(struct kunit *test)
{
	struct page *page;
	void *p;

	p = vg_vmalloc(1, numa_node_id(), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	page = vg_pages(test, p)[0];
	KUNIT_EXPECT_TRUE(test, kernel_page_present(page));
	vfree(p);
	if (debug_pagealloc_enabled_static())
		KUNIT_EXPECT_FALSE(test, kernel_page_present(page));
	else
		KUNIT_EXPECT_TRUE(test, kernel_page_present(page));
	p = vg_vmalloc(1, numa_node_id(), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_PTR_EQ(test, vg_pages(test, p)[0], page);
	KUNIT_EXPECT_TRUE(test, kernel_page_present(page));
	vg_check_data(test, p, 1);
	vfree(p);
}

/* Disabled (debugfs "enabled" / vm_group_pages=off): ordinary path. */
static void vg_disabled(struct kunit *test)
{
	long blocks = vg_stat(&vm_group_stats.blocks);
	void *p;

	WRITE_ONCE(vm_group_enabled, false);
	p = vg_vmalloc(4, NUMA_NO_NODE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	vg_check_data(test, p, 4);
	vfree(p);
	KUNIT_EXPECT_EQ(test, vg_stat(&vm_group_stats.blocks), blocks);
	KUNIT_EXPECT_EQ(test, vm_group_cached_pages(), 0UL);
	WRITE_ONCE(vm_group_enabled, true);
}

/* x86 module_alloc() asks for grouped pages. */
static void vg_module_alloc(struct kunit *test)
{
#ifdef CONFIG_MODULES
	long blocks = vg_stat(&vm_group_stats.blocks);
	struct vm_struct *area;
	void *p = module_alloc(3 * PAGE_SIZE);

	KUNIT_ASSERT_NOT_NULL(test, p);
	area = find_vm_area(p);
	KUNIT_ASSERT_NOT_NULL(test, area);
	KUNIT_EXPECT_TRUE(test, area->flags & VM_GROUP_PAGES);
	KUNIT_EXPECT_EQ(test, VG_BLOCK(area->pages[2]), VG_BLOCK(area->pages[0]));
	/* Like the module loader: text read-only, then back, then free. */
	KUNIT_EXPECT_EQ(test, set_memory_ro((unsigned long)p, 3), 0);
	KUNIT_EXPECT_EQ(test, set_memory_rw((unsigned long)p, 3), 0);
	module_memfree(p);
	/* Cold cache: one block, all of it cached again after the free. */
	KUNIT_EXPECT_EQ(test, vg_stat(&vm_group_stats.blocks), blocks + 1);
	KUNIT_EXPECT_EQ(test, vm_group_cached_pages(),
			(unsigned long)VM_GROUP_BLOCK_PAGES);
#else
	kunit_skip(test, "needs CONFIG_MODULES");
#endif
}

/*
 * A recycled page is cleared whenever the page allocator would have
 * cleared a fresh one: init_on_alloc=1, init_on_free=1 (the harness runs
 * the suite once more with init_on_free=1) or __GFP_ZERO.
 */
static void vg_init_recycled(struct kunit *test)
{
	bool init = want_init_on_alloc(GFP_KERNEL) || want_init_on_free();
	int nid = numa_node_id(), i, j, found;
	struct page *old[4], **n;
	void *p;

	kunit_info(test, "init_on_alloc %d, init_on_free %d",
		   want_init_on_alloc(GFP_KERNEL), want_init_on_free());
	p = vg_vmalloc(4, nid, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0xa5, 4 * PAGE_SIZE);
	memcpy(old, vg_pages(test, p), sizeof(old));
	vfree(p);

	p = vg_vmalloc(4, nid, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	n = vg_pages(test, p);
	for (i = 0; i < 4; i++) {
		found = 0;
		for (j = 0; j < 4; j++)
			found += n[i] == old[j];
		KUNIT_EXPECT_EQ(test, found, 1);
	}
	if (init)
		KUNIT_EXPECT_NULL_MSG(test, memchr_inv(p, 0, 4 * PAGE_SIZE),
				      "the previous user's bytes came back");
	vfree(p);
}

/*
 * A hardware-poisoned page is never cached and never handed out again,
 * whether it was poisoned before its vfree() or while it sat in the cache.
 * The test marks pages it owns and clears the mark before freeing them.
 */
static void vg_hwpoison(struct kunit *test)
{
	int nid = numa_node_id(), j, served = 0;
	struct page *page, **pg;
	void *p;

	KUNIT_ASSERT_TRUE_MSG(test, IS_ENABLED(CONFIG_MEMORY_FAILURE),
			      "PG_hwpoison needs CONFIG_MEMORY_FAILURE");
	/* Poisoned while in use: vfree() must not cache it. */
	page = alloc_pages_node(nid, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	SetPageHWPoison(page);
	if (vm_group_free_page(page)) {
		KUNIT_FAIL(test, "the cache took a poisoned page");
		list_lru_del_node(&vm_group_lru, &page->lru, page_to_nid(page));
		vm_group_uncache_page(page);
	}
	ClearPageHWPoison(page);
	__free_page(page);

	/* Poisoned while cached: never served. */
	p = vg_vmalloc(1, nid, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	page = vg_pages(test, p)[0];
	vfree(p);
	SetPageHWPoison(page);
	p = vg_vmalloc(4, nid, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	pg = vg_pages(test, p);
	for (j = 0; j < 4; j++)
		served += pg[j] == page;
	KUNIT_EXPECT_EQ_MSG(test, served, 0, "a poisoned page was served");
	if (served) {
		ClearPageHWPoison(page);
		vfree(p);
		return;
	}
	vfree(p);
	/* The cache gave it to the page allocator, which keeps it out. */
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 0);
	KUNIT_EXPECT_TRUE(test, PageHWPoison(page));
	KUNIT_EXPECT_FALSE(test, is_free_buddy_page(page));
	/* Unpoison it, as unpoison_memory() would, and free it for real. */
	ClearPageHWPoison(page);
	set_page_count(page, 1);
	__free_page(page);
}

static struct kunit_case vg_cases[] = {
	KUNIT_CASE(vg_one_block),
	KUNIT_CASE(vg_reuse),
	KUNIT_CASE(vg_multi_block),
	KUNIT_CASE(vg_fallback),
	KUNIT_CASE(vg_gfp_policy),
	KUNIT_CASE(vg_shrinker),
	KUNIT_CASE(vg_numa),
	KUNIT_CASE(vg_debug_hidden),
	KUNIT_CASE(vg_disabled),
	KUNIT_CASE(vg_module_alloc),
	KUNIT_CASE(vg_init_recycled),
	KUNIT_CASE(vg_hwpoison),
	{}
};

static struct kunit_suite vg_suite = {
	.name = "vm_group_pages",
	.init = vg_init,
	.exit = vg_exit,
	.test_cases = vg_cases,
};

kunit_test_suites(&vg_suite);
