// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit: sparse areas used the way code written for upstream uses them.
 *
 * Upstream declares vm_area_map_pages() and vm_area_unmap_pages() in
 * <linux/vmalloc.h>.  This file includes that header and not
 * <linux/vm_sparse.h>, so it only builds if ours does the same.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#ifdef _LINUX_VM_SPARSE_H
#error "this test must build without <linux/vm_sparse.h>"
#endif

#define VH_PAGES	4

static void vh_map_unmap(struct kunit *test)
{
	struct page *pages[2] = { };
	struct vm_struct *area;
	unsigned long a;
	int i, err;
	u8 *p;

	area = get_vm_area(VH_PAGES * PAGE_SIZE, VM_SPARSE);
	KUNIT_ASSERT_NOT_NULL(test, area);
	a = (unsigned long)area->addr;
	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_EXPECT_NOT_NULL(test, pages[i]);
	}
	if (!pages[0] || !pages[1])
		goto out;

	/* Map two pages at the second slot, write there, read the pages. */
	err = vm_area_map_pages(area, a + PAGE_SIZE, a + 3 * PAGE_SIZE, pages);
	KUNIT_EXPECT_EQ(test, err, 0);
	if (err)
		goto out;
	KUNIT_EXPECT_NULL(test, vmalloc_to_page(area->addr));
	KUNIT_EXPECT_PTR_EQ(test, vmalloc_to_page(area->addr + PAGE_SIZE),
			    pages[0]);
	KUNIT_EXPECT_PTR_EQ(test, vmalloc_to_page(area->addr + 2 * PAGE_SIZE),
			    pages[1]);
	p = area->addr;
	memset(p + PAGE_SIZE, 0x5a, 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, ((u8 *)page_address(pages[0]))[7], 0x5a);
	KUNIT_EXPECT_EQ(test, ((u8 *)page_address(pages[1]))[PAGE_SIZE - 1],
			0x5a);

	vm_area_unmap_pages(area, a + PAGE_SIZE, a + 3 * PAGE_SIZE);
	KUNIT_EXPECT_NULL(test, vmalloc_to_page(area->addr + PAGE_SIZE));
	KUNIT_EXPECT_NULL(test, vmalloc_to_page(area->addr + 2 * PAGE_SIZE));
out:
	free_vm_area(area);
	for (i = 0; i < ARRAY_SIZE(pages); i++)
		if (pages[i])
			__free_page(pages[i]);
}

static struct kunit_case vh_cases[] = {
	KUNIT_CASE(vh_map_unmap),
	{}
};

static struct kunit_suite vh_suite = {
	.name = "vm_sparse_vmalloc_h",
	.test_cases = vh_cases,
};

kunit_test_suite(vh_suite);

MODULE_DESCRIPTION("KUnit: sparse areas through <linux/vmalloc.h> only");
MODULE_LICENSE("GPL");
