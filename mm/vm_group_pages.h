/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VM_GROUP_PAGES internals, shared by mm/vm_group_pages.c with its KUnit
 * suite (mm/vm_group_pages_test.c) only.  Users include
 * <linux/vm_group_pages.h>.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */
#ifndef _MM_VM_GROUP_PAGES_H
#define _MM_VM_GROUP_PAGES_H

#include <linux/atomic.h>
#include <linux/fault-inject.h>
#include <linux/list_lru.h>
#include <linux/pgtable.h>
#include <linux/shrinker.h>

#define VM_GROUP_ORDER		(PMD_SHIFT - PAGE_SHIFT)
#define VM_GROUP_BLOCK_PAGES	BIT(VM_GROUP_ORDER)

struct vm_group_stats {
	atomic_long_t blocks;		/* PMD-order blocks taken */
	atomic_long_t fallback;		/* pages left to the ordinary path: no block */
	atomic_long_t gfp_bypass;	/* pages left to the ordinary path: gfp */
	atomic_long_t shrunk;		/* pages given back by the shrinker */
	atomic_long_t freed;		/* pages vfree() sent to the buddy allocator */
	atomic_long_t hwpoison;		/* poisoned pages kept out of the cache */
};

/*
 * Static unless the KUnit suite is built, which then sees them (as 6.2's
 * VISIBLE_IF_KUNIT would do).
 */
#if IS_ENABLED(CONFIG_VM_GROUP_PAGES_KUNIT_TEST)
#define VM_GROUP_VISIBLE_IF_KUNIT

extern struct list_lru vm_group_lru;
extern struct vm_group_stats vm_group_stats;
extern bool vm_group_ready;
extern bool vm_group_enabled;
extern struct shrinker vm_group_shrinker;
void vm_group_uncache_page(struct page *page);
unsigned long vm_group_scan(struct shrinker *s, struct shrink_control *sc);
#else
#define VM_GROUP_VISIBLE_IF_KUNIT static
#endif

#ifdef CONFIG_FAULT_INJECTION
/* fail_vm_group_refill=: fail block refills (fault-injection.rst). */
extern struct fault_attr fail_vm_group_refill;
#endif

#endif /* _MM_VM_GROUP_PAGES_H */
