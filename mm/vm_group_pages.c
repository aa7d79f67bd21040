// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM_GROUP_PAGES: vmalloc pages grouped in PMD-order blocks.
 *
 * Changing the permissions of a vmalloc area on x86 (module text, BPF
 * images, trampolines) also changes the direct-map alias of its pages,
 * which splits the 2 MiB direct-map page around each of them for good.
 * Areas allocated with VM_GROUP_PAGES take their pages from this cache
 * instead: one free list per node, refilled by allocating one PMD-order
 * block and splitting it into order-0 pages, so those splits cluster in a
 * few blocks; vfree() gives the pages back to the cache, where the next
 * such area reuses them (already split, so no new split), and a NUMA-aware
 * shrinker returns them to the buddy allocator under memory pressure.
 *
 * The free-list linkage is page->lru, never the page contents: a cached
 * page is poisoned for KASAN and unmapped from the direct map under
 * DEBUG_PAGEALLOC, exactly like a page in the buddy allocator, so a stray
 * access through a stale pointer is still caught.
 *
 * GFP policy: the cache serves only requests it can honour exactly.  A
 * request for a zone other than the normal kernel zones (__GFP_DMA,
 * __GFP_DMA32, __GFP_MOVABLE) or charged to a memory cgroup
 * (__GFP_ACCOUNT) goes to the ordinary vmalloc path untouched, counted as
 * "gfp_bypass"; nothing is refused and nothing warns.  __GFP_ZERO is
 * honoured by clearing each page handed out; the reclaim and retry
 * modifiers apply to the block refill (which never uses __GFP_NOFAIL and
 * never retries hard: the ordinary path, with the caller's own gfp,
 * serves what the cache could not).
 *
 * Page-allocator duties the cache takes over, since its pages skip the
 * buddy allocator between two users:
 *  - memory initialisation: with init_on_free a page is cleared when it
 *    enters the cache, so every cached page is clear; otherwise a page is
 *    cleared when it leaves the cache if want_init_on_alloc() (init_on_alloc
 *    or __GFP_ZERO) asks for it.  Pages of a fresh block are already clear
 *    whenever the buddy allocator cleared the block.
 *  - hardware poison: a page with PG_hwpoison is never cached and never
 *    handed out; one found in the cache goes to the page allocator, which
 *    keeps it out of use.
 *  - placement: a NUMA_NO_NODE request takes pages from the node vmalloc()
 *    would use, the one the task's mempolicy names (the local node by
 *    default), and leaves the rest to the ordinary path, which applies the
 *    mempolicy's own fallback.
 * See Documentation/mm/vm_group_pages.rst.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#define pr_fmt(fmt) "vm_group_pages: " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/highmem.h>
#include <linux/init.h>
#include <linux/kasan.h>
#include <linux/list_lru.h>
#include <linux/memcontrol.h>
#include <linux/mempolicy.h>
#include <linux/moduleparam.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/page-flags.h>
#include <linux/pgtable.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/shrinker.h>
#include <linux/vm_group_pages.h>

#include "vm_group_pages.h"

VM_GROUP_VISIBLE_IF_KUNIT struct list_lru vm_group_lru;
VM_GROUP_VISIBLE_IF_KUNIT struct vm_group_stats vm_group_stats;
VM_GROUP_VISIBLE_IF_KUNIT bool vm_group_ready __read_mostly;
VM_GROUP_VISIBLE_IF_KUNIT bool vm_group_enabled __read_mostly = true;

#ifdef CONFIG_FAULT_INJECTION
/*
 * fail_vm_group_refill: make block refills fail, as if no PMD-order block
 * were free, to exercise the fallback to the ordinary vmalloc path
 * (/sys/kernel/debug/fail_vm_group_refill/, as for the kernel's other
 * fault attributes).  Unarmed (probability 0) it takes no part in a
 * task's fail-nth count, which then belongs to the block allocation
 * itself (fail_page_alloc).
 */
DECLARE_FAULT_ATTR(fail_vm_group_refill);

static bool vm_group_refill_should_fail(void)
{
	if (!READ_ONCE(fail_vm_group_refill.probability))
		return false;
	return should_fail(&fail_vm_group_refill,
			   VM_GROUP_BLOCK_PAGES * PAGE_SIZE);
}
#else
static inline bool vm_group_refill_should_fail(void)
{
	return false;
}
#endif

/*
 * Exported only for the fail-nth KUnit module, which sweeps the refill's
 * allocations, and only when it is configured (as 6.2's
 * EXPORT_SYMBOL_IF_KUNIT() would): modules are not users of these.
 */
#if IS_ENABLED(CONFIG_SPARSE_MM_FAIL_NTH_KUNIT_TEST)
#define EXPORT_SYMBOL_FOR_SPARSE_MM_TEST(sym) \
	EXPORT_SYMBOL_NS_GPL(sym, SPARSE_MM_KUNIT)
#else
#define EXPORT_SYMBOL_FOR_SPARSE_MM_TEST(sym)
#endif

/* vm_group_pages=off on the command line; debugfs "enabled" at run time. */
core_param(vm_group_pages, vm_group_enabled, bool, 0444);

/* A page enters the cache: hide it from everyone, as the buddy would. */
static void vm_group_cache_page(struct page *page)
{
	kasan_poison_pages(page, 0, false);
	debug_pagealloc_unmap_pages(page, 1);
	INIT_LIST_HEAD(&page->lru);
	list_lru_add_node(&vm_group_lru, &page->lru, page_to_nid(page));
}

/* A page leaves the cache, to a vmalloc area or to the buddy allocator. */
VM_GROUP_VISIBLE_IF_KUNIT void vm_group_uncache_page(struct page *page)
{
	debug_pagealloc_map_pages(page, 1);
	kasan_unpoison_pages(page, 0, false);
}

/* The cache holds pages of the normal kernel zones, uncharged. */
static bool vm_group_gfp_ok(gfp_t gfp)
{
	return !(gfp & __GFP_ACCOUNT) && gfp_zone(gfp) == ZONE_NORMAL;
}

/*
 * Allocate one PMD-order block on @nid, split it, hand its first pages to
 * @pages (up to @want) and cache the rest, lowest pfn most recently used
 * so that later requests continue in pfn order.  The pages handed out are
 * cleared if @gfp asks for it and the buddy allocator did not already
 * clear the block.  Returns the number of pages placed in @pages, or
 * -ENOMEM if no block was available.
 */
static int vm_group_refill(gfp_t gfp, int nid, unsigned int want,
			   struct page **pages)
{
	gfp_t block_gfp = (gfp & ~(GFP_ZONEMASK | __GFP_ZERO | __GFP_NOFAIL |
				   __GFP_RETRY_MAYFAIL | __GFP_COMP)) |
			  __GFP_THISNODE | __GFP_NOWARN | __GFP_NORETRY;
	bool clear = want_init_on_alloc(gfp) && !want_init_on_free() &&
		     !want_init_on_alloc(block_gfp);
	struct page *block;
	int i, n;

	if (vm_group_refill_should_fail())
		return -ENOMEM;
	block = alloc_pages_node(nid, block_gfp, VM_GROUP_ORDER);
	if (!block)
		return -ENOMEM;
	split_page(block, VM_GROUP_ORDER);
	atomic_long_inc(&vm_group_stats.blocks);

	n = min_t(unsigned int, want, VM_GROUP_BLOCK_PAGES);
	for (i = 0; i < n; i++) {
		pages[i] = block + i;
		if (clear)
			clear_highpage(pages[i]);
	}
	for (i = VM_GROUP_BLOCK_PAGES - 1; i >= n; i--)
		vm_group_cache_page(block + i);
	return n;
}

/*
 * A poisoned page leaves the cache for good: the page allocator's free
 * path keeps a PG_hwpoison page out of the free lists, as it does for
 * every other owner that frees one.
 */
static void vm_group_drop_poisoned(struct page *page)
{
	atomic_long_inc(&vm_group_stats.hwpoison);
	__free_page(page);
}

/* Take up to @nr pages from @nid's list and, when it runs dry, new blocks. */
static unsigned int vm_group_fill_from_node(gfp_t gfp, int nid,
					    unsigned int nr,
					    struct page **pages)
{
	/* With init_on_free every cached page was cleared on its way in. */
	bool clear = want_init_on_alloc(gfp) && !want_init_on_free();
	unsigned int got = 0;
	struct list_head *item;
	int n;

	while (got < nr) {
		item = list_lru_get_mru(&vm_group_lru, nid);
		if (item) {
			struct page *page = list_entry(item, struct page, lru);

			vm_group_uncache_page(page);
			if (unlikely(PageHWPoison(page))) {
				vm_group_drop_poisoned(page);
				continue;
			}
			if (clear)
				clear_highpage(page);
			pages[got++] = page;
			continue;
		}
		n = vm_group_refill(gfp, nid, nr - got, pages + got);
		if (n < 0)
			break;
		got += n;
	}
	return got;
}

/*
 * The node vmalloc() would take the next NUMA_NO_NODE page from: the one
 * the task's mempolicy names (the next one in turn for interleave), else
 * the nearest node with memory.
 */
static int vm_group_policy_node(void)
{
#ifdef CONFIG_NUMA
	return mempolicy_slab_node();
#else
	return numa_mem_id();
#endif
}

/* Does the task interleave its pages over several nodes? */
static bool vm_group_interleaved(void)
{
#ifdef CONFIG_NUMA
	struct mempolicy *pol = current->mempolicy;

	return in_task() && pol && pol->mode == MPOL_INTERLEAVE;
#else
	return false;
#endif
}

/**
 * vm_group_alloc_pages() - take order-0 pages for a VM_GROUP_PAGES area
 * @gfp: the vmalloc request's gfp mask
 * @nid: the node to allocate on, or NUMA_NO_NODE
 * @nr: how many pages are wanted
 * @pages: where to store them
 *
 * Serves what it can from the grouped-page cache, refilling it with
 * PMD-order blocks.  A request for @nid uses that node only.  A request on
 * NUMA_NO_NODE is placed as vmalloc() places it: on the node the task's
 * mempolicy names, by default the local node, page by page in turn under
 * an interleave policy; it never spills to another node, the ordinary path
 * does that under the mempolicy's own rules.  Returns fewer than @nr pages
 * (possibly 0) when no block is available or the cache cannot honour @gfp
 * (see the GFP policy in the file comment); the caller allocates the rest
 * the ordinary way.  Pages are cleared when want_init_on_alloc(@gfp) says
 * a fresh page would be (init_on_alloc, __GFP_ZERO); no page with
 * PG_hwpoison is ever returned.
 *
 * Context: process context; may sleep if @gfp allows.
 * Return: the number of pages stored in @pages.
 */
unsigned int vm_group_alloc_pages(gfp_t gfp, int nid, unsigned int nr,
				  struct page **pages)
{
	unsigned int got = 0;

	if (!READ_ONCE(vm_group_ready) || !READ_ONCE(vm_group_enabled) || !nr)
		return 0;
	if (!vm_group_gfp_ok(gfp)) {
		atomic_long_add(nr, &vm_group_stats.gfp_bypass);
		return 0;
	}
	if (nid != NUMA_NO_NODE) {
		if (node_state(nid, N_MEMORY))
			got = vm_group_fill_from_node(gfp, nid, nr, pages);
	} else if (vm_group_interleaved()) {
		while (got < nr) {
			nid = vm_group_policy_node();
			if (!node_state(nid, N_MEMORY) ||
			    !vm_group_fill_from_node(gfp, nid, 1, pages + got))
				break;
			got++;
		}
	} else {
		nid = vm_group_policy_node();
		if (node_state(nid, N_MEMORY))
			got = vm_group_fill_from_node(gfp, nid, nr, pages);
	}
	if (got < nr)
		atomic_long_add(nr - got, &vm_group_stats.fallback);
	return got;
}
EXPORT_SYMBOL_FOR_SPARSE_MM_TEST(vm_group_alloc_pages);

/*
 * Only a page vfree() could free outright goes in the cache: nobody else
 * holds a reference or maps it, no state a free would check is left, it
 * is not charged to a memcg, not in ZONE_MOVABLE (which must stay free
 * for hot-remove and CMA) and not hardware-poisoned (the page allocator's
 * free path keeps such a page out of use).
 */
static bool vm_group_reusable(struct page *page)
{
	if (unlikely(PageHWPoison(page))) {
		atomic_long_inc(&vm_group_stats.hwpoison);
		return false;
	}
	return page_ref_count(page) == 1 && !page_mapped(page) &&
	       !page->mapping && !(page->flags & PAGE_FLAGS_CHECK_AT_FREE) &&
	       !PageMemcgKmem(page) && page_zonenum(page) != ZONE_MOVABLE;
}

/**
 * vm_group_free_page() - offer a page of a VM_GROUP_PAGES area to the cache
 * @page: an order-0 page the caller owns (reference count one)
 *
 * Keeps the page for the next VM_GROUP_PAGES allocation on its node,
 * whether it came from a block or from the ordinary fallback path: its
 * direct-map alias may already be split, so reusing it is what keeps new
 * splits rare.  With init_on_free the page is cleared first, as the page
 * allocator would clear it.  Pages the cache must not keep (see
 * vm_group_reusable(), poisoned pages included) are left to the caller.
 *
 * Context: process context; takes a spinlock.
 * Return: true if the cache took the page, false if the caller must free it.
 */
bool vm_group_free_page(struct page *page)
{
	if (!READ_ONCE(vm_group_ready) || !READ_ONCE(vm_group_enabled) ||
	    !vm_group_reusable(page)) {
		atomic_long_inc(&vm_group_stats.freed);
		return false;
	}
	if (want_init_on_free())
		clear_highpage(page);
	vm_group_cache_page(page);
	return true;
}
EXPORT_SYMBOL_FOR_SPARSE_MM_TEST(vm_group_free_page);

static unsigned long vm_group_count(struct shrinker *s,
				    struct shrink_control *sc)
{
	unsigned long n = list_lru_shrink_count(&vm_group_lru, sc);

	return n ? n : SHRINK_EMPTY;
}

static enum lru_status vm_group_isolate(struct list_head *item,
					struct list_lru_one *list,
					spinlock_t *lock, void *arg)
{
	list_lru_isolate_move(list, item, arg);
	return LRU_REMOVED;
}

VM_GROUP_VISIBLE_IF_KUNIT unsigned long vm_group_scan(struct shrinker *s,
						      struct shrink_control *sc)
{
	struct page *page, *next;
	unsigned long freed = 0;
	LIST_HEAD(dispose);

	list_lru_shrink_walk(&vm_group_lru, sc, vm_group_isolate, &dispose);
	list_for_each_entry_safe(page, next, &dispose, lru) {
		list_del(&page->lru);
		vm_group_uncache_page(page);
		__free_page(page);
		freed++;
	}
	atomic_long_add(freed, &vm_group_stats.shrunk);
	return freed;
}

VM_GROUP_VISIBLE_IF_KUNIT struct shrinker vm_group_shrinker = {
	.count_objects	= vm_group_count,
	.scan_objects	= vm_group_scan,
	.seeks		= DEFAULT_SEEKS,
	.flags		= SHRINKER_NUMA_AWARE,
};

static int vm_group_stats_show(struct seq_file *m, void *v)
{
	unsigned long total = 0, n;
	int nid;

	for_each_node_state(nid, N_MEMORY) {
		n = list_lru_count_node(&vm_group_lru, nid);
		total += n;
		seq_printf(m, "node%d_cached_pages %lu\n", nid, n);
	}
	seq_printf(m, "cached_pages %lu\n", total);
	seq_printf(m, "blocks_taken %ld\n",
		   atomic_long_read(&vm_group_stats.blocks));
	seq_printf(m, "fallback_pages %ld\n",
		   atomic_long_read(&vm_group_stats.fallback));
	seq_printf(m, "gfp_bypass_pages %ld\n",
		   atomic_long_read(&vm_group_stats.gfp_bypass));
	seq_printf(m, "shrinker_freed_pages %ld\n",
		   atomic_long_read(&vm_group_stats.shrunk));
	seq_printf(m, "vfree_freed_pages %ld\n",
		   atomic_long_read(&vm_group_stats.freed));
	seq_printf(m, "hwpoison_pages %ld\n",
		   atomic_long_read(&vm_group_stats.hwpoison));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vm_group_stats);

/**
 * vm_group_cached_pages() - how many pages the cache holds, all nodes
 *
 * Context: any; the sum is not atomic with respect to concurrent updates.
 * Return: the number of cached pages.
 */
unsigned long vm_group_cached_pages(void)
{
	return READ_ONCE(vm_group_ready) ? list_lru_count(&vm_group_lru) : 0;
}
EXPORT_SYMBOL_NS_GPL(vm_group_cached_pages, SPARSE_MM_BENCH);

static int __init vm_group_pages_init(void)
{
	struct dentry *dir;
	int err;

	err = list_lru_init(&vm_group_lru);
	if (err)
		return err;
	err = register_shrinker(&vm_group_shrinker, "vm-group-pages");
	if (err) {
		list_lru_destroy(&vm_group_lru);
		return err;
	}
	dir = debugfs_create_dir("vm_group_pages", NULL);
	debugfs_create_file("stats", 0444, dir, NULL, &vm_group_stats_fops);
	debugfs_create_bool("enabled", 0644, dir, &vm_group_enabled);
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	fault_create_debugfs_attr("fail_vm_group_refill", NULL,
				  &fail_vm_group_refill);
#endif
	WRITE_ONCE(vm_group_ready, true);
	return 0;
}
subsys_initcall(vm_group_pages_init);
