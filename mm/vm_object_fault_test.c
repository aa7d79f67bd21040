// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit fault-injection tests for vm_object: -ENOMEM in the middle of a
 * range update must leave the object exactly as it was; and for arenas,
 * which build on it: a failed allocation must leave nothing behind.
 *
 * A module, because failslab is configured through debugfs, which only user
 * space can write in 6.1.  Before loading it, arm failslab so that only
 * tasks that ask for failures get them, and only after an allowance of a
 * few index nodes:
 *
 *   cd /sys/kernel/debug/failslab
 *   echo 0 > verbose; echo Y > task-filter; echo N > ignore-gfp-wait
 *   echo 1000000 > times; echo 1 > interval; echo 5760 > space
 *   echo 100 > probability
 *
 * The test sets current->make_it_fail around the update it wants to fail.
 * The harness's /init does this (scripts/init.sh).
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vm_arena.h>
#include <linux/vm_object.h>
#include <linux/vmalloc.h>

#include "vm_object_kunit.h"

static int vo_record(unsigned long index, const struct vm_object_entry *e,
		     void *data)
{
	u32 *sum = data;

	/* An order-sensitive digest of (index, state, page, hint). */
	*sum = (*sum * 31) ^ index ^ (e->state << 20) ^ e->will_need ^
	       (u32)(unsigned long)e->page ^ (u32)e->dev_pfn;
	return 0;
}

/*
 * -ENOMEM half-way through a range update leaves the object exactly as it
 * was: same entries, same references, same memory.
 */
static void vo_enomem_midway(struct kunit *test)
{
	struct vo_ctx *c = test->priv;
	const unsigned long nr = 64 * 40;	/* 40 leaf nodes to create */
	struct page **pages;
	u32 before = 0, after = 0;
	size_t mem_before;
	unsigned long i;
	int err, ref1;

	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (i = 0; i < nr; i++)
		pages[i] = c->pages[i % VO_PAGES];
	/* Existing state in and around the range. */
	KUNIT_ASSERT_EQ(test, vm_object_set_page(c->obj, VO_FIRST + 100,
						 c->pages[1], GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, vm_object_set_device(c->obj, VO_FIRST + 1000, 10,
						   c, 77, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, vm_object_set_will_need(c->obj, VO_FIRST + 2000,
						      5, true, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, vm_object_set_page(c->obj, VO_FIRST + nr + 5,
						 c->pages[2], GFP_KERNEL), 0);
	vm_object_for_each(c->obj, VO_FIRST, VO_FIRST + VO_NR - 1, vo_record,
			   &before);
	mem_before = vm_object_memory(c->obj);
	ref1 = page_ref_count(c->pages[1]);

	/*
	 * failslab is armed by user space (see the file comment): from here
	 * on, this thread's slab allocations fail once the allowance is used.
	 */
	current->make_it_fail = 1;
	err = vm_object_set_pages(c->obj, VO_FIRST, nr, pages, GFP_KERNEL);
	current->make_it_fail = 0;
	KUNIT_EXPECT_EQ(test, err, -ENOMEM);

	vm_object_for_each(c->obj, VO_FIRST, VO_FIRST + VO_NR - 1, vo_record,
			   &after);
	KUNIT_EXPECT_EQ(test, after, before);
	KUNIT_EXPECT_EQ(test, vm_object_memory(c->obj), mem_before);
	KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[1]), ref1);
	KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[5]), c->refs[5]);
	KUNIT_EXPECT_EQ(test, vm_object_nr_pages(c->obj, VMO_CPU), 2UL);

	/* Without the fault, the same update goes through. */
	KUNIT_EXPECT_EQ(test, vm_object_set_pages(c->obj, VO_FIRST, nr, pages,
						  GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, vm_object_nr_pages(c->obj, VMO_CPU), nr + 1);
	KUNIT_EXPECT_TRUE(test, vo_get(test, c->obj, VO_FIRST + 2000).will_need);
}

#ifdef CONFIG_VM_ARENA
/*
 * An arena allocation whose index update runs out of memory after the
 * pages were allocated and mapped in the kernel gives everything back:
 * pages, kernel PTEs, the claimed range.
 */
static void va_enomem_leaves_nothing(struct kunit *test)
{
	const unsigned long nr = 64 * 40;
	struct vm_arena *a = vm_arena_create(nr * PAGE_SIZE, 0, 0);
	void *p;

	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	current->make_it_fail = 1;
	p = vm_arena_alloc_pages(a, NULL, nr, NUMA_NO_NODE, 0);
	current->make_it_fail = 0;
	KUNIT_EXPECT_EQ(test, PTR_ERR(p), -ENOMEM);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), 0UL);
	KUNIT_EXPECT_NULL(test, vmalloc_to_page(vm_arena_base(a)));
	KUNIT_EXPECT_NULL(test, vmalloc_to_page(vm_arena_base(a) +
						(nr - 1) * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, vm_arena_base(a), 1),
			-ENOENT);
	/* The whole range is free again. */
	p = vm_arena_alloc_pages(a, NULL, nr, NUMA_NO_NODE, 0);
	KUNIT_EXPECT_PTR_EQ(test, p, vm_arena_base(a));
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), nr);
	vm_arena_put(a);
}
#endif

static struct kunit_case vm_object_fault_cases[] = {
	KUNIT_CASE(vo_enomem_midway),
#ifdef CONFIG_VM_ARENA
	KUNIT_CASE(va_enomem_leaves_nothing),
#endif
	{}
};

static struct kunit_suite vm_object_fault_suite = {
	.name = "vm_object_faults",
	.init = vo_init,
	.exit = vo_exit,
	.test_cases = vm_object_fault_cases,
};

kunit_test_suites(&vm_object_fault_suite);

MODULE_DESCRIPTION("vm_object fault-injection KUnit test");
MODULE_LICENSE("GPL");
