// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for sparse vm areas (mm/vm_sparse.c).
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vm_sparse.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>
#include <asm/tlbflush.h>

#include "sparse_mm_kunit.h"

#define VS_PAGES	64	/* usable pages of the per-test area */
#define VS_SPARE	8	/* extra pages for re-mapping */

struct vs_ctx {
	struct vm_struct *area;
	unsigned long base;
	unsigned long limit;
	struct page *pages[VS_PAGES + VS_SPARE];
};

static int vs_init(struct kunit *test)
{
	struct vs_ctx *c;
	int i;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->area = get_vm_area(VS_PAGES * PAGE_SIZE, VM_SPARSE);
	if (!c->area)
		return -ENOMEM;
	c->base = (unsigned long)c->area->addr;
	c->limit = c->base + get_vm_area_size(c->area);
	for (i = 0; i < VS_PAGES + VS_SPARE; i++) {
		c->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!c->pages[i])
			return -ENOMEM;
	}
	test->priv = c;
	return 0;
}

static void vs_exit(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	int i;

	if (!c)
		return;
	if (c->area)
		free_vm_area(c->area);
	for (i = 0; i < VS_PAGES + VS_SPARE; i++)
		if (c->pages[i])
			__free_page(c->pages[i]);
}

static unsigned long vs_addr(struct vs_ctx *c, unsigned long pg)
{
	return c->base + pg * PAGE_SIZE;
}

static struct page *vs_mapped(unsigned long addr)
{
	return vmalloc_to_page((void *)addr);
}

static unsigned int vs_count_mapped(struct vs_ctx *c)
{
	unsigned int i, n = 0;

	for (i = 0; i < VS_PAGES; i++)
		n += !!vs_mapped(vs_addr(c, i));
	return n;
}

/* Sum of this CPU's page-allocation events (all zones). */
static unsigned long vs_this_cpu_pgalloc(void)
{
	unsigned long n = 0;
	int z;

	for (z = 0; z < MAX_NR_ZONES; z++)
		n += this_cpu_read(vm_event_states.event[PGALLOC_NORMAL - ZONE_NORMAL + z]);
	return n;
}

static void vs_reserve_has_no_pages(struct kunit *test)
{
	struct vs_ctx *c = test->priv;

	KUNIT_EXPECT_TRUE(test, vm_area_is_sparse(c->area));
	KUNIT_EXPECT_FALSE(test, vm_area_is_prebuilt(c->area));
	KUNIT_EXPECT_EQ(test, get_vm_area_size(c->area), VS_PAGES * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, c->area->nr_pages, 0U);
	KUNIT_EXPECT_NULL(test, c->area->pages);
	KUNIT_EXPECT_EQ(test, vs_count_mapped(c), 0U);
	/* The guard page after the area is not mapped either. */
	KUNIT_EXPECT_NULL(test, vs_mapped(c->limit));
}

static void vs_map_roundtrip(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	int refs[VS_PAGES];
	unsigned int i;
	u8 *p = c->area->addr;

	for (i = 0; i < VS_PAGES; i++)
		refs[i] = page_ref_count(c->pages[i]);

	KUNIT_ASSERT_EQ(test, vm_area_map_pages(c->area, c->base, c->limit,
						c->pages), 0);
	for (i = 0; i < VS_PAGES; i++) {
		KUNIT_EXPECT_PTR_EQ(test, vs_mapped(vs_addr(c, i)), c->pages[i]);
		/* No reference is taken: the caller owns the pages. */
		KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[i]), refs[i]);
		memset(p + i * PAGE_SIZE, i + 1, PAGE_SIZE);
	}
	for (i = 0; i < VS_PAGES; i++) {
		u8 *d = page_address(c->pages[i]);

		KUNIT_EXPECT_EQ(test, d[0], (u8)(i + 1));
		KUNIT_EXPECT_EQ(test, d[PAGE_SIZE - 1], (u8)(i + 1));
		/* And the other way: the direct map writes, the area reads. */
		d[17] = 0xa0 ^ i;
		KUNIT_EXPECT_EQ(test, p[i * PAGE_SIZE + 17], (u8)(0xa0 ^ i));
	}

	vm_area_unmap_pages(c->area, c->base, c->limit);
	KUNIT_EXPECT_EQ(test, vs_count_mapped(c), 0U);
	for (i = 0; i < VS_PAGES; i++) {
		u8 *d = page_address(c->pages[i]);

		/* Unmapping neither freed nor changed the pages. */
		KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[i]), refs[i]);
		KUNIT_EXPECT_EQ(test, d[0], (u8)(i + 1));
	}
}

static void vs_first_and_last_page(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	u8 *p = c->area->addr;
	unsigned long last = c->limit - PAGE_SIZE;

	KUNIT_ASSERT_EQ(test, vm_area_map_pages(c->area, c->base,
						c->base + PAGE_SIZE,
						&c->pages[0]), 0);
	KUNIT_ASSERT_EQ(test, vm_area_map_pages(c->area, last, c->limit,
						&c->pages[1]), 0);
	p[0] = 0x11;
	p[get_vm_area_size(c->area) - 1] = 0x22;
	KUNIT_EXPECT_EQ(test, *(u8 *)page_address(c->pages[0]), 0x11);
	KUNIT_EXPECT_EQ(test, ((u8 *)page_address(c->pages[1]))[PAGE_SIZE - 1],
			0x22);
	KUNIT_EXPECT_EQ(test, vs_count_mapped(c), 2U);
	vm_area_unmap_pages(c->area, c->base, c->limit);
	KUNIT_EXPECT_EQ(test, vs_count_mapped(c), 0U);
}

static void vs_guard_page_not_mappable(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	unsigned long last = c->limit - PAGE_SIZE;

	KUNIT_EXPECT_EQ(test, vm_area_map_pages(c->area, c->limit,
						c->limit + PAGE_SIZE, c->pages),
			-ERANGE);
	/* A range that ends on the guard page is refused as a whole. */
	KUNIT_EXPECT_EQ(test, vm_area_map_pages(c->area, last,
						c->limit + PAGE_SIZE, c->pages),
			-ERANGE);
	KUNIT_EXPECT_NULL(test, vs_mapped(last));
	KUNIT_EXPECT_NULL(test, vs_mapped(c->limit));
}

struct vs_range_case {
	const char *what;
	long start;	/* relative to base, in bytes */
	long end;
	int err;
};

static void vs_range_errors(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	long size = get_vm_area_size(c->area);
	const struct vs_range_case cases[] = {
		{ "misaligned start", 1, PAGE_SIZE, -ERANGE },
		{ "misaligned end", 0, PAGE_SIZE + 8, -ERANGE },
		{ "end before start", 2 * PAGE_SIZE, PAGE_SIZE, -ERANGE },
		{ "starts below the area", -PAGE_SIZE, PAGE_SIZE, -ERANGE },
		{ "ends past the guard", size - PAGE_SIZE, size + 2 * PAGE_SIZE,
		  -ERANGE },
		{ "longer than the area", 0, size + PAGE_SIZE, -E2BIG },
		{ "absurd length", -(1L << 30), size + (1L << 30), -E2BIG },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned long s = c->base + cases[i].start;
		unsigned long e = c->base + cases[i].end;

		KUNIT_EXPECT_EQ_MSG(test, vm_area_map_pages(c->area, s, e,
							    c->pages),
				    cases[i].err, "%s", cases[i].what);
	}
	/* Wrap-around: from the base to the top of the address space. */
	KUNIT_EXPECT_EQ(test, vm_area_map_pages(c->area, c->base, PAGE_MASK,
						c->pages), -E2BIG);
	KUNIT_EXPECT_EQ(test, vs_count_mapped(c), 0U);
}

/*
 * A range longer than all of RAM cannot be backed by real pages: it is
 * refused with -E2BIG before the page array is read, even when it fits in
 * the area (as upstream).  The array here is short on purpose: one page,
 * then a NULL that an early read would trip over (-EINVAL).
 */
static void vs_longer_than_ram(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	unsigned long ram = totalram_pages(), a, e;
	struct vm_struct *big;
	struct page **short_array;

	big = get_vm_area((ram + 16) * PAGE_SIZE, VM_SPARSE);
	KUNIT_ASSERT_NOT_NULL(test, big);
	short_array = kunit_kcalloc(test, 2, sizeof(*short_array), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, short_array);
	short_array[0] = c->pages[0];
	a = (unsigned long)big->addr;
	e = a + (ram + 1) * PAGE_SIZE;
	kunit_info(test, "RAM %lu pages, area %lu pages, range %lu pages",
		   ram, get_vm_area_size(big) >> PAGE_SHIFT, ram + 1);

	KUNIT_EXPECT_EQ(test, vm_area_map_pages(big, a, e, short_array),
			-E2BIG);
	KUNIT_EXPECT_NULL(test, vs_mapped(a));
	/* The atomic map checks the range before it looks at the area kind. */
	KUNIT_EXPECT_EQ(test, vm_area_map_pages_atomic(big, a, e, short_array),
			-E2BIG);
	KUNIT_EXPECT_NULL(test, vs_mapped(a));
	/* As much as all of RAM is still a range like any other. */
	KUNIT_EXPECT_EQ(test, vm_area_map_pages(big, a, a + ram * PAGE_SIZE,
						short_array), -EINVAL);
	KUNIT_EXPECT_NULL(test, vs_mapped(a));
	free_vm_area(big);
}

/*
 * Sparse areas created with VM_NO_GUARD (the next area would start right
 * after a mapped page) or VM_FLUSH_RESET_PERMS (vfree() would reset the
 * direct map of pages the owner keeps) are refused with -EINVAL and a
 * one-time warning, as upstream.
 */
static void vs_refused_flags(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	struct vm_struct *nog, *reset;
	unsigned long a;
	int err;

	nog = get_vm_area(4 * PAGE_SIZE, VM_SPARSE | VM_NO_GUARD);
	KUNIT_ASSERT_NOT_NULL(test, nog);
	a = (unsigned long)nog->addr;
	SMM_EXPECT_WARN(test, "vm_area_map_pages",
			err = vm_area_map_pages(nog, a, a + PAGE_SIZE, c->pages));
	KUNIT_EXPECT_EQ(test, err, -EINVAL);
	KUNIT_EXPECT_NULL(test, vs_mapped(a));
	if (!err)
		vm_area_unmap_pages(nog, a, a + PAGE_SIZE);
	free_vm_area(nog);

	reset = get_vm_area(4 * PAGE_SIZE, VM_SPARSE);
	KUNIT_ASSERT_NOT_NULL(test, reset);
	set_vm_flush_reset_perms(reset->addr);
	KUNIT_ASSERT_TRUE(test, reset->flags & VM_FLUSH_RESET_PERMS);
	a = (unsigned long)reset->addr;
	SMM_EXPECT_WARN(test, "vm_area_map_pages",
			err = vm_area_map_pages(reset, a, a + PAGE_SIZE, c->pages));
	KUNIT_EXPECT_EQ(test, err, -EINVAL);
	KUNIT_EXPECT_NULL(test, vs_mapped(a));
	if (!err)
		vm_area_unmap_pages(reset, a, a + PAGE_SIZE);
	reset->flags &= ~VM_FLUSH_RESET_PERMS;
	free_vm_area(reset);
}

static void vs_bad_arguments(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	struct page *holey[4] = { c->pages[0], c->pages[1], NULL, c->pages[3] };

	KUNIT_EXPECT_EQ(test, vm_area_map_pages(NULL, c->base,
						c->base + PAGE_SIZE, c->pages),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vm_area_map_pages(c->area, c->base,
						c->base + PAGE_SIZE, NULL),
			-EINVAL);
	/* A NULL entry anywhere refuses the whole call, before any mapping. */
	KUNIT_EXPECT_EQ(test, vm_area_map_pages(c->area, c->base,
						c->base + 4 * PAGE_SIZE, holey),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vs_count_mapped(c), 0U);
	/* The empty range is accepted and does nothing, even without pages. */
	KUNIT_EXPECT_EQ(test, vm_area_map_pages(c->area, c->base, c->base,
						NULL), 0);
	vm_area_unmap_pages(c->area, c->base, c->base);
	vm_area_unmap_pages(NULL, c->base, c->limit);
	KUNIT_EXPECT_EQ(test, vs_count_mapped(c), 0U);
}

static void vs_not_sparse(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	struct vm_struct *plain = get_vm_area(4 * PAGE_SIZE, VM_MAP);
	unsigned long a;
	int err;

	KUNIT_ASSERT_NOT_NULL(test, plain);
	a = (unsigned long)plain->addr;

	SMM_EXPECT_WARN(test, "vm_area_map_pages",
			err = vm_area_map_pages(plain, a, a + PAGE_SIZE, c->pages));
	KUNIT_EXPECT_EQ(test, err, -EINVAL);
	KUNIT_EXPECT_NULL(test, vs_mapped(a));

	SMM_EXPECT_WARN(test, "vm_area_map_pages_atomic",
			err = vm_area_map_pages_atomic(plain, a, a + PAGE_SIZE, c->pages));
	KUNIT_EXPECT_EQ(test, err, -EINVAL);
	KUNIT_EXPECT_NULL(test, vs_mapped(a));

	free_vm_area(plain);
}

static void vs_unmap_not_sparse(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	void *v = vmap(c->pages, 2, VM_MAP, PAGE_KERNEL);
	unsigned long a = (unsigned long)v;

	KUNIT_ASSERT_NOT_NULL(test, v);
	/* Unmap on a vmap() area warns once and leaves its mappings alone. */
	SMM_EXPECT_WARN(test, "vm_area_unmap_pages",
			vm_area_unmap_pages(find_vm_area(v), a, a + PAGE_SIZE));
	KUNIT_EXPECT_PTR_EQ(test, vs_mapped(a), c->pages[0]);
	KUNIT_EXPECT_PTR_EQ(test, vs_mapped(a + PAGE_SIZE), c->pages[1]);
	vunmap(v);
}

static void vs_busy(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	struct page *saved;

	KUNIT_ASSERT_EQ(test, vm_area_map_pages(c->area, vs_addr(c, 5),
						vs_addr(c, 6), &c->pages[5]), 0);
	/* Overlapping the mapped page: refused, neighbours untouched. */
	KUNIT_EXPECT_EQ(test, vm_area_map_pages(c->area, vs_addr(c, 4),
						vs_addr(c, 7), &c->pages[VS_PAGES]),
			-EBUSY);
	KUNIT_EXPECT_NULL(test, vs_mapped(vs_addr(c, 4)));
	KUNIT_EXPECT_NULL(test, vs_mapped(vs_addr(c, 6)));
	KUNIT_EXPECT_PTR_EQ(test, vs_mapped(vs_addr(c, 5)), c->pages[5]);
	KUNIT_EXPECT_EQ(test, vs_count_mapped(c), 1U);
	/* Busy at the very first page: nothing was installed to undo. */
	KUNIT_EXPECT_EQ(test, vm_area_map_pages(c->area, vs_addr(c, 5),
						vs_addr(c, 9), &c->pages[VS_PAGES]),
			-EBUSY);
	KUNIT_EXPECT_PTR_EQ(test, vs_mapped(vs_addr(c, 5)), c->pages[5]);
	KUNIT_EXPECT_EQ(test, vs_count_mapped(c), 1U);
	/* A NULL first entry likewise. */
	saved = c->pages[VS_PAGES];
	c->pages[VS_PAGES] = NULL;
	KUNIT_EXPECT_EQ(test, vm_area_map_pages(c->area, vs_addr(c, 10),
						vs_addr(c, 12), &c->pages[VS_PAGES]),
			-EINVAL);
	c->pages[VS_PAGES] = saved;
	KUNIT_EXPECT_EQ(test, vs_count_mapped(c), 1U);
}

static void vs_partial_unmap_and_remap(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, vm_area_map_pages(c->area, vs_addr(c, 0),
						vs_addr(c, 16), c->pages), 0);
	vm_area_unmap_pages(c->area, vs_addr(c, 4), vs_addr(c, 8));
	for (i = 0; i < 16; i++) {
		if (i >= 4 && i < 8)
			KUNIT_EXPECT_NULL(test, vs_mapped(vs_addr(c, i)));
		else
			KUNIT_EXPECT_PTR_EQ(test, vs_mapped(vs_addr(c, i)),
					    c->pages[i]);
	}
	/* The hole takes different pages now. */
	KUNIT_ASSERT_EQ(test, vm_area_map_pages(c->area, vs_addr(c, 4),
						vs_addr(c, 8),
						&c->pages[VS_PAGES]), 0);
	for (i = 4; i < 8; i++) {
		KUNIT_EXPECT_PTR_EQ(test, vs_mapped(vs_addr(c, i)),
				    c->pages[VS_PAGES + i - 4]);
		*(u32 *)vs_addr(c, i) = 0xfeed0000 + i;
		KUNIT_EXPECT_EQ(test,
				*(u32 *)page_address(c->pages[VS_PAGES + i - 4]),
				0xfeed0000 + i);
	}
	KUNIT_EXPECT_EQ(test, vs_count_mapped(c), 16U);
	/* Unmapping a range with holes in it is fine. */
	vm_area_unmap_pages(c->area, c->base, c->limit);
	KUNIT_EXPECT_EQ(test, vs_count_mapped(c), 0U);
	vm_area_unmap_pages(c->area, c->base, c->limit);
	KUNIT_EXPECT_EQ(test, vs_count_mapped(c), 0U);
}

static void vs_unmap_bad_range(struct kunit *test)
{
	struct vs_ctx *c = test->priv;

	KUNIT_ASSERT_EQ(test, vm_area_map_pages(c->area, c->base,
						vs_addr(c, 2), c->pages), 0);
	SMM_EXPECT_WARN(test, "vm_area_unmap_pages", {
		vm_area_unmap_pages(c->area, c->base + 1, vs_addr(c, 2));
		vm_area_unmap_pages(c->area, c->base, c->limit + PAGE_SIZE);
		vm_area_unmap_pages(c->area, c->base - PAGE_SIZE, vs_addr(c, 2));
		vm_area_unmap_pages(c->area, vs_addr(c, 2), c->base);
	});
	/* None of the bad calls changed anything. */
	KUNIT_EXPECT_PTR_EQ(test, vs_mapped(c->base), c->pages[0]);
	KUNIT_EXPECT_PTR_EQ(test, vs_mapped(vs_addr(c, 1)), c->pages[1]);
	KUNIT_EXPECT_EQ(test, vs_count_mapped(c), 2U);
}

/*
 * vm_area_unmap_pages_noflush(): the PTEs go at once, the TLB entries
 * only with the caller's flush.  A reader on another CPU reads the page
 * first, so that its TLB holds the translation; the same page mapped
 * again needs no flush; after flush_tlb_kernel_range() the reader faults.
 * The checks are those of vm_area_unmap_pages(), warnings included.
 */
static void vs_unmap_noflush(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	unsigned long a = vs_addr(c, 3);
	struct smm_reader *r = smm_reader_start(test);
	bool stale;
	u64 v;

	KUNIT_ASSERT_EQ(test, vm_area_map_pages(c->area, a, a + PAGE_SIZE,
						&c->pages[3]), 0);
	*(u64 *)a = 0x1234;
	KUNIT_EXPECT_EQ(test, smm_remote_read(r, (void *)a, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 0x1234ULL);

	vm_area_unmap_pages_noflush(c->area, a, a + PAGE_SIZE);
	KUNIT_EXPECT_NULL(test, vs_mapped(a));
	/* A stale entry, if any, still reaches the old page, nothing else. */
	stale = !smm_remote_read(r, (void *)a, &v);
	if (stale)
		KUNIT_EXPECT_EQ(test, v, 0x1234ULL);
	kunit_info(test, "the other CPU %s the old page after the unmap\n",
		   stale ? "still reads" : "no longer reads");

	/* The same page again, no flush needed. */
	KUNIT_ASSERT_EQ(test, vm_area_map_pages(c->area, a, a + PAGE_SIZE,
						&c->pages[3]), 0);
	*(u64 *)a = 0x5678;
	KUNIT_EXPECT_EQ(test, smm_remote_read(r, (void *)a, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 0x5678ULL);

	vm_area_unmap_pages_noflush(c->area, a, a + PAGE_SIZE);
	flush_tlb_kernel_range(a, a + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, smm_remote_read(r, (void *)a, &v), -EFAULT);
	KUNIT_EXPECT_EQ(test, vs_count_mapped(c), 0U);

	/* Nothing at all: a NULL area, an empty range. */
	vm_area_unmap_pages_noflush(NULL, c->base, c->limit);
	vm_area_unmap_pages_noflush(c->area, c->base, c->base);

	KUNIT_ASSERT_EQ(test, vm_area_map_pages(c->area, c->base,
						vs_addr(c, 2), c->pages), 0);
	SMM_EXPECT_WARN(test, "vm_area_unmap_pages_noflush", {
		vm_area_unmap_pages_noflush(c->area, c->base + 1, vs_addr(c, 2));
		vm_area_unmap_pages_noflush(c->area, c->base, c->limit + PAGE_SIZE);
		vm_area_unmap_pages_noflush(c->area, vs_addr(c, 2), c->base);
	});
	KUNIT_EXPECT_EQ(test, vs_count_mapped(c), 2U);
	vm_area_unmap_pages(c->area, c->base, c->limit);
}

static void vs_free_clears_mappings(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	struct vm_struct *area = get_sparse_vm_area(8 * PAGE_SIZE);
	unsigned long a;
	int refs[8];
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, area);
	a = (unsigned long)area->addr;
	for (i = 0; i < 8; i++)
		refs[i] = page_ref_count(c->pages[i]);
	KUNIT_ASSERT_EQ(test, vm_area_map_pages(area, a, a + 8 * PAGE_SIZE,
						c->pages), 0);
	free_vm_area(area);
	/*
	 * The address range is only lazily recycled, so its page tables can
	 * still be inspected: no PTE may survive, and no page was released.
	 */
	for (i = 0; i < 8; i++) {
		KUNIT_EXPECT_NULL(test, vs_mapped(a + i * PAGE_SIZE));
		KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[i]), refs[i]);
	}

	/* Same through vunmap(). */
	area = get_vm_area(8 * PAGE_SIZE, VM_SPARSE);
	KUNIT_ASSERT_NOT_NULL(test, area);
	a = (unsigned long)area->addr;
	KUNIT_ASSERT_EQ(test, vm_area_map_pages(area, a, a + 8 * PAGE_SIZE,
						c->pages), 0);
	vunmap(area->addr);
	for (i = 0; i < 8; i++) {
		KUNIT_EXPECT_NULL(test, vs_mapped(a + i * PAGE_SIZE));
		KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[i]), refs[i]);
	}
}

/*
 * vread() (behind /proc/kcore) returns zeroes for the whole of a sparse
 * area, mapped pages included: the owner may unmap and free a page at any
 * moment without any lock vread() could take, so reading it would race.
 */
static void vs_vread_returns_zeroes(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	char *buf = kunit_kzalloc(test, 3 * PAGE_SIZE, GFP_KERNEL);
	char *plain = vmalloc(PAGE_SIZE);
	long n;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, plain);
	KUNIT_ASSERT_EQ(test, vm_area_map_pages(c->area, c->base,
						vs_addr(c, 2), c->pages), 0);
	memset(c->area->addr, 0xa5, 2 * PAGE_SIZE);

	memset(buf, 0x11, 3 * PAGE_SIZE);
	n = vread(buf, c->area->addr, 3 * PAGE_SIZE);	/* 2 mapped, 1 hole */
	KUNIT_EXPECT_EQ(test, n, 3 * PAGE_SIZE);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(buf, 0, 3 * PAGE_SIZE));

	/* Control: an ordinary vmalloc area reads back its contents. */
	memset(plain, 0xa5, PAGE_SIZE);
	memset(buf, 0, PAGE_SIZE);
	n = vread(buf, plain, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, n, PAGE_SIZE);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(buf, 0xa5, PAGE_SIZE));
	vfree(plain);
}

/* Find a line of /proc/vmallocinfo that contains every string in @want. */
static bool vs_vmallocinfo_has(struct kunit *test, const char *const *want,
			       int nr_want)
{
	struct file_system_type *fs = get_fs_type("proc");
	struct vfsmount *mnt;
	struct file *f;
	size_t cap = SZ_1M;
	char *buf, *cur, *line;
	loff_t pos = 0;
	ssize_t n, len = 0;
	bool found = false;

	KUNIT_ASSERT_NOT_NULL(test, fs);
	mnt = kern_mount(fs);
	put_filesystem(fs);
	KUNIT_ASSERT_FALSE(test, IS_ERR(mnt));
	buf = kvzalloc(cap, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	f = file_open_root_mnt(mnt, "vmallocinfo", O_RDONLY, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f));
	while ((n = kernel_read(f, buf + len, cap - 1 - len, &pos)) > 0)
		len += n;
	fput(f);
	kern_unmount(mnt);

	cur = buf;
	while (!found && (line = strsep(&cur, "\n")) && *line) {
		int i;

		for (i = 0; i < nr_want && strstr(line, want[i]); i++)
			;
		found = i == nr_want;
	}
	kvfree(buf);
	return found;
}

static void vs_vmallocinfo_marks_sparse(struct kunit *test)
{
	/* 37 pages + guard: a size no other area in a test boot has. */
	struct vm_struct *area = get_vm_area(37 * PAGE_SIZE, VM_SPARSE);
	struct vm_struct *pre = get_prebuilt_sparse_vm_area(39 * PAGE_SIZE);
	const char *const want[] = { " 155648 ", "vs_vmallocinfo_marks_sparse",
				     " sparse" };
	const char *const want_pre[] = { " 163840 ", " sparse prebuilt" };
	const char *const not_pre[] = { " 155648 ", " prebuilt" };

	KUNIT_ASSERT_NOT_NULL(test, area);
	KUNIT_ASSERT_NOT_NULL(test, pre);
	KUNIT_EXPECT_TRUE(test, vs_vmallocinfo_has(test, want, 3));
	KUNIT_EXPECT_TRUE(test, vs_vmallocinfo_has(test, want_pre, 2));
	KUNIT_EXPECT_FALSE(test, vs_vmallocinfo_has(test, not_pre, 2));
	free_vm_area(area);
	free_vm_area(pre);
	KUNIT_EXPECT_FALSE(test, vs_vmallocinfo_has(test, want, 3));
}

static void vs_atomic_with_irqs_disabled(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	struct vm_struct *pre = get_prebuilt_sparse_vm_area(SZ_4M);
	unsigned long a, flags, before, after, control;
	struct page *probe;
	spinlock_t lock;	/* stands for a driver's lock */
	int err, err2;

	spin_lock_init(&lock);
	KUNIT_ASSERT_NOT_NULL(test, pre);
	KUNIT_EXPECT_TRUE(test, vm_area_is_prebuilt(pre));
	a = (unsigned long)pre->addr;

	local_irq_save(flags);
	before = vs_this_cpu_pgalloc();
	/* One page, then a run that crosses a 2 MiB page-table boundary. */
	err = vm_area_map_pages_atomic(pre, a, a + PAGE_SIZE, c->pages);
	err2 = vm_area_map_pages_atomic(pre, a + SZ_2M - 2 * PAGE_SIZE,
					a + SZ_2M + 2 * PAGE_SIZE, &c->pages[1]);
	after = vs_this_cpu_pgalloc();
	/* Control: the counter does see an allocation made right here. */
	probe = alloc_page(GFP_ATOMIC);
	control = vs_this_cpu_pgalloc();
	local_irq_restore(flags);

	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, err2, 0);
	KUNIT_EXPECT_EQ_MSG(test, after, before, "atomic map allocated pages");
	if (probe) {
		KUNIT_EXPECT_EQ(test, control, after + 1);
		__free_page(probe);
	}

	spin_lock(&lock);
	err = vm_area_map_pages_atomic(pre, a + SZ_4M - PAGE_SIZE, a + SZ_4M,
				       &c->pages[5]);
	spin_unlock(&lock);
	KUNIT_EXPECT_EQ(test, err, 0);

	*(u8 *)a = 0x42;
	KUNIT_EXPECT_EQ(test, *(u8 *)page_address(c->pages[0]), 0x42);
	KUNIT_EXPECT_PTR_EQ(test, vs_mapped(a + SZ_2M), c->pages[3]);
	KUNIT_EXPECT_PTR_EQ(test, vs_mapped(a + SZ_4M - PAGE_SIZE), c->pages[5]);

	/* The sleeping call works on a prebuilt area too. */
	KUNIT_EXPECT_EQ(test, vm_area_map_pages(pre, a + SZ_1M,
						a + SZ_1M + PAGE_SIZE,
						&c->pages[6]), 0);
	KUNIT_EXPECT_PTR_EQ(test, vs_mapped(a + SZ_1M), c->pages[6]);

	vm_area_unmap_pages(pre, a, a + SZ_4M);
	KUNIT_EXPECT_NULL(test, vs_mapped(a));
	KUNIT_EXPECT_NULL(test, vs_mapped(a + SZ_2M));
	KUNIT_EXPECT_NULL(test, vs_mapped(a + SZ_1M));
	free_vm_area(pre);
}

static void vs_atomic_errors(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	struct vm_struct *pre = get_prebuilt_sparse_vm_area(16 * PAGE_SIZE);
	unsigned long a, flags;
	int busy, range, big, ordinary, i;

	KUNIT_ASSERT_NOT_NULL(test, pre);
	a = (unsigned long)pre->addr;
	KUNIT_ASSERT_EQ(test, vm_area_map_pages_atomic(pre, a + 3 * PAGE_SIZE,
						       a + 4 * PAGE_SIZE,
						       c->pages), 0);

	local_irq_save(flags);
	/* All or nothing: page 3 is busy, so pages 0-2 stay unmapped. */
	busy = vm_area_map_pages_atomic(pre, a, a + 4 * PAGE_SIZE, &c->pages[1]);
	range = vm_area_map_pages_atomic(pre, a + 16 * PAGE_SIZE,
					 a + 17 * PAGE_SIZE, c->pages);
	big = vm_area_map_pages_atomic(pre, a, a + 32 * PAGE_SIZE, c->pages);
	/* Only prebuilt areas take the atomic call. */
	ordinary = vm_area_map_pages_atomic(c->area, c->base,
					    c->base + PAGE_SIZE, c->pages);
	local_irq_restore(flags);

	KUNIT_EXPECT_EQ(test, busy, -EBUSY);
	KUNIT_EXPECT_EQ(test, range, -ERANGE);
	KUNIT_EXPECT_EQ(test, big, -E2BIG);
	KUNIT_EXPECT_EQ(test, ordinary, -EINVAL);
	for (i = 0; i < 16; i++)
		KUNIT_EXPECT_PTR_EQ(test, vs_mapped(a + i * PAGE_SIZE),
				    i == 3 ? c->pages[0] : NULL);
	KUNIT_EXPECT_EQ(test, vs_count_mapped(c), 0U);
	KUNIT_EXPECT_EQ(test, vm_area_map_pages_atomic(NULL, a, a, c->pages),
			-EINVAL);
	free_vm_area(pre);
}

/* A 1 GiB area with one page mapped needs at most a PMD and a PTE page. */
static void vs_pgtable_cost(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	struct vm_struct *big = get_vm_area(SZ_1G, VM_SPARSE);
	struct vm_struct *pre = get_prebuilt_sparse_vm_area(SZ_64M);
	unsigned long a, before, after, pre_tables;

	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_NOT_NULL(test, pre);
	a = (unsigned long)big->addr + SZ_512M;
	before = vm_area_pgtable_pages(big);
	KUNIT_ASSERT_EQ(test, vm_area_map_pages(big, a, a + PAGE_SIZE,
						c->pages), 0);
	after = vm_area_pgtable_pages(big);
	kunit_info(test, "1 GiB sparse area, one page mapped: %lu page-table pages before, %lu after\n",
		   before, after);
	KUNIT_EXPECT_LE(test, after - before, 2UL);
	KUNIT_EXPECT_GE(test, after, 2UL);

	/* Prebuilt: one PTE page per 2 MiB plus the PMD page(s). */
	pre_tables = vm_area_pgtable_pages(pre);
	kunit_info(test, "64 MiB prebuilt area: %lu page-table pages\n",
		   pre_tables);
	KUNIT_EXPECT_GE(test, pre_tables, 32UL + 1);
	KUNIT_EXPECT_LE(test, pre_tables, 32UL + 1 + 2);
	free_vm_area(big);
	free_vm_area(pre);
}

struct vs_worker {
	struct vm_struct *area;
	struct page **pages;
	unsigned int first, nr_pages;
	bool unmap;
	int err;
	struct completion done;
};

/* Map (or unmap) every other page, one call per page. */
static int vs_worker_fn(void *data)
{
	struct vs_worker *w = data;
	unsigned long base = (unsigned long)w->area->addr;
	unsigned int i;

	for (i = w->first; i < w->nr_pages && !w->err; i += 2) {
		unsigned long a = base + i * PAGE_SIZE;

		if (w->unmap)
			vm_area_unmap_pages(w->area, a, a + PAGE_SIZE);
		else
			w->err = vm_area_map_pages(w->area, a, a + PAGE_SIZE,
						   &w->pages[i]);
	}
	complete(&w->done);
	return 0;
}

static void vs_run_workers(struct kunit *test, struct vs_worker *w)
{
	struct task_struct *t[2];
	int i;

	for (i = 0; i < 2; i++) {
		init_completion(&w[i].done);
		t[i] = kthread_run(vs_worker_fn, &w[i], "vs_worker%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t[i]));
	}
	for (i = 0; i < 2; i++)
		wait_for_completion(&w[i].done);
}

/*
 * Two threads map interleaved pages of one area at the same time, so they
 * race to allocate the same page tables and write PTEs in the same PTE
 * pages.  Every page must end up mapped exactly where it was asked to be.
 */
static void vs_concurrent_disjoint(struct kunit *test)
{
	const unsigned int nr = 1024;	/* 4 MiB: spans 2 or 3 PTE pages */
	struct vm_struct *area = get_vm_area(nr * PAGE_SIZE, VM_SPARSE);
	struct page **pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	struct page *shared;
	struct vs_worker w[2];
	unsigned long base;
	unsigned int i, wrong = 0;

	KUNIT_ASSERT_NOT_NULL(test, area);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	base = (unsigned long)area->addr;
	/* Distinct struct pages are not needed: map a few pages repeatedly. */
	shared = alloc_pages(GFP_KERNEL, 3);
	KUNIT_ASSERT_NOT_NULL(test, shared);
	for (i = 0; i < nr; i++)
		pages[i] = shared + (i % 8);

	for (i = 0; i < 2; i++)
		w[i] = (struct vs_worker){ .area = area, .pages = pages,
					   .first = i, .nr_pages = nr };
	vs_run_workers(test, w);
	KUNIT_EXPECT_EQ(test, w[0].err, 0);
	KUNIT_EXPECT_EQ(test, w[1].err, 0);
	for (i = 0; i < nr; i++)
		wrong += vs_mapped(base + i * PAGE_SIZE) != pages[i];
	KUNIT_EXPECT_EQ(test, wrong, 0U);

	for (i = 0; i < 2; i++)
		w[i] = (struct vs_worker){ .area = area, .pages = pages,
					   .first = i, .nr_pages = nr,
					   .unmap = true };
	vs_run_workers(test, w);
	for (i = 0, wrong = 0; i < nr; i++)
		wrong += !!vs_mapped(base + i * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, wrong, 0U);
	free_vm_area(area);
	__free_pages(shared, 3);
}

/*
 * Create, fill and free sparse areas many times.  Freed address space is
 * purged and reused, and with it the page tables, so free memory must not
 * drift down by anything like one page per cycle.
 */
static void vs_no_leak_over_cycles(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	const int cycles = 128;
	long before, after;
	int i;

	vm_unmap_aliases();
	before = global_zone_page_state(NR_FREE_PAGES);
	for (i = 0; i < cycles; i++) {
		struct vm_struct *a = i & 1 ?
			get_vm_area(VS_PAGES * PAGE_SIZE, VM_SPARSE) :
			get_prebuilt_sparse_vm_area(VS_PAGES * PAGE_SIZE);
		unsigned long s;

		KUNIT_ASSERT_NOT_NULL(test, a);
		s = (unsigned long)a->addr;
		KUNIT_ASSERT_EQ(test, vm_area_map_pages(a, s,
							s + VS_PAGES * PAGE_SIZE,
							c->pages), 0);
		free_vm_area(a);
		vm_unmap_aliases();
	}
	after = global_zone_page_state(NR_FREE_PAGES);
	kunit_info(test, "free pages before %ld, after %d cycles %ld\n",
		   before, cycles, after);
	KUNIT_EXPECT_LT(test, before - after, (long)cycles / 2);
}

/* Free pages, with every CPU's per-cpu lists drained into the buddy lists. */
static long vs_free_pages(void)
{
	vm_unmap_aliases();
	drain_all_pages(NULL);
	return global_zone_page_state(NR_FREE_PAGES);
}

/*
 * Map a page into every 2 MiB block of a 2 GiB area (which holds at least
 * one whole 1 GiB block), unmap, give the tables back: free memory comes
 * back, and an area placed at the same address afterwards works.
 */
static void vs_free_pgtables_spread(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	const unsigned long size = SZ_2G;
	unsigned long base, a, before, mapped, tables;
	struct vm_struct *area;
	long freed, after, now;
	int *p;

	area = get_vm_area(size, VM_SPARSE);
	KUNIT_ASSERT_NOT_NULL(test, area);
	/* After the area: KASAN_VMALLOC populates its shadow when it is made. */
	before = vs_free_pages();
	base = (unsigned long)area->addr;
	for (a = base; a < base + size; a = ALIGN(a + 1, PMD_SIZE))
		KUNIT_ASSERT_EQ(test, vm_area_map_pages(area, a, a + PAGE_SIZE,
							c->pages), 0);
	tables = vm_area_pgtable_pages(area);
	mapped = before - vs_free_pages();
	KUNIT_EXPECT_GE(test, tables, size / PMD_SIZE);
	/* Mapped pages cannot have their tables taken away. */
	KUNIT_EXPECT_EQ(test, vm_area_free_pgtables(area), -EBUSY);
	KUNIT_EXPECT_EQ(test, vm_area_pgtable_pages(area), tables);
	vm_area_unmap_pages(area, base, base + size);
	freed = vm_area_free_pgtables(area);
	after = vs_free_pages();
	kunit_info(test, "2 GiB area at %#lx, a page per 2 MiB: %lu tables (%lu pages used), %ld freed, %ld pages still missing\n",
		   base, tables, mapped, freed, (long)before - after);
	/* At most a partial 2 MiB block or 1 GiB block at either end stays. */
	KUNIT_EXPECT_GE(test, freed, (long)tables - 4);
	KUNIT_EXPECT_LE(test, vm_area_pgtable_pages(area), 4UL);
	KUNIT_EXPECT_LT(test, (long)before - after, 64L);
	/* Nothing left to free the second time. */
	KUNIT_EXPECT_EQ(test, vm_area_free_pgtables(area), 0L);
	free_vm_area(area);
	vm_unmap_aliases();

	/* A new area exactly there: tables are allocated again and work. */
	area = __get_vm_area_caller(size, VM_SPARSE, base, base + size + PAGE_SIZE,
				    __builtin_return_address(0));
	KUNIT_ASSERT_NOT_NULL(test, area);
	KUNIT_EXPECT_EQ(test, (unsigned long)area->addr, base);
	for (a = base; a < base + size; a += SZ_256M) {
		KUNIT_ASSERT_EQ(test, vm_area_map_pages(area, a, a + PAGE_SIZE,
							&c->pages[1]), 0);
		p = (int *)a;
		WRITE_ONCE(*p, (int)(a >> 20));
		KUNIT_EXPECT_PTR_EQ(test, vmalloc_to_page(p), c->pages[1]);
	}
	KUNIT_EXPECT_EQ(test, *(int *)page_address(c->pages[1]),
			(int)((base + size - SZ_256M) >> 20));
	vm_area_unmap_pages(area, base, base + size);
	KUNIT_EXPECT_GE(test, vm_area_free_pgtables(area), (long)size / SZ_256M - 2);
	free_vm_area(area);
	now = vs_free_pages();
	KUNIT_EXPECT_LT(test, (long)before - now, 64L);
}

/* A prebuilt area's tables can be given back too; it is then ordinary. */
static void vs_free_pgtables_prebuilt(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	struct vm_struct *pre;
	long before, after, freed;
	unsigned long a, tables;

	before = vs_free_pages();
	pre = get_prebuilt_sparse_vm_area(SZ_1G);
	KUNIT_ASSERT_NOT_NULL(test, pre);
	a = (unsigned long)pre->addr;
	tables = vm_area_pgtable_pages(pre);
	KUNIT_EXPECT_GE(test, tables, SZ_1G / PMD_SIZE);
	KUNIT_EXPECT_EQ(test, vm_area_map_pages_atomic(pre, a, a + PAGE_SIZE,
						       c->pages), 0);
	KUNIT_EXPECT_EQ(test, vm_area_free_pgtables(pre), -EBUSY);
	KUNIT_EXPECT_TRUE(test, vm_area_is_prebuilt(pre));
	vm_area_unmap_pages(pre, a, a + PAGE_SIZE);
	freed = vm_area_free_pgtables(pre);
	KUNIT_EXPECT_GE(test, freed, (long)tables - 4);
	KUNIT_EXPECT_FALSE(test, vm_area_is_prebuilt(pre));
	KUNIT_EXPECT_EQ(test, vm_area_map_pages_atomic(pre, a, a + PAGE_SIZE,
						       c->pages), -EINVAL);
	free_vm_area(pre);
	after = vs_free_pages();
	kunit_info(test, "1 GiB prebuilt area: %lu tables, %ld freed, %ld pages still missing\n",
		   tables, freed, before - after);
	KUNIT_EXPECT_LT(test, before - after, 64L);

	KUNIT_EXPECT_EQ(test, vm_area_free_pgtables(NULL), -EINVAL);
	pre = get_vm_area(SZ_64K, VM_ALLOC);
	KUNIT_ASSERT_NOT_NULL(test, pre);
	KUNIT_EXPECT_EQ(test, vm_area_free_pgtables(pre), -EINVAL);
	free_vm_area(pre);
}

/*
 * Two areas next to each other share the PTE page of a 2 MiB block: the
 * one freeing its tables keeps that page, and the other's mapping there
 * stays intact.  Layout, from a 2 MiB boundary X:
 *   A: [X, X + 1 MiB + guard)            partial block [X, X + 2M)
 *   B: [X + 1M + 4K, X + 4M + 4K + guard) shares block [X, X + 2M),
 *                                        owns [X + 2M, X + 4M)
 */
static void vs_free_pgtables_shared_block(struct kunit *test)
{
	struct vs_ctx *c = test->priv;
	struct vm_struct *probe, *a, *b;
	unsigned long x, bstart;

	probe = get_vm_area(SZ_8M, VM_SPARSE);
	KUNIT_ASSERT_NOT_NULL(test, probe);
	x = ALIGN((unsigned long)probe->addr, PMD_SIZE);
	free_vm_area(probe);
	vm_unmap_aliases();

	a = __get_vm_area_caller(SZ_1M, VM_SPARSE, x, x + SZ_1M + PAGE_SIZE,
				 __builtin_return_address(0));
	KUNIT_ASSERT_NOT_NULL(test, a);
	bstart = x + SZ_1M + PAGE_SIZE;
	b = __get_vm_area_caller((3 * SZ_1M), VM_SPARSE, bstart,
				 bstart + (3 * SZ_1M) + PAGE_SIZE,
				 __builtin_return_address(0));
	if (!b)
		free_vm_area(a);
	KUNIT_ASSERT_NOT_NULL(test, b);

	/* A page of A and a page of B in the shared block; one in B's own. */
	KUNIT_ASSERT_EQ(test, vm_area_map_pages(a, x, x + PAGE_SIZE,
						&c->pages[0]), 0);
	KUNIT_ASSERT_EQ(test, vm_area_map_pages(b, bstart, bstart + PAGE_SIZE,
						&c->pages[1]), 0);
	KUNIT_ASSERT_EQ(test, vm_area_map_pages(b, x + SZ_2M,
						x + SZ_2M + PAGE_SIZE,
						&c->pages[2]), 0);
	*(int *)x = 0xa;

	vm_area_unmap_pages(b, bstart, bstart + (3 * SZ_1M));
	/* Only the PTE page of [X + 2M, X + 4M) is B's alone. */
	KUNIT_EXPECT_EQ(test, vm_area_free_pgtables(b), 1L);
	KUNIT_EXPECT_PTR_EQ(test, vmalloc_to_page((void *)x), c->pages[0]);
	KUNIT_EXPECT_EQ(test, READ_ONCE(*(int *)x), 0xa);
	KUNIT_EXPECT_EQ(test, *(int *)page_address(c->pages[0]), 0xa);
	/* B works again afterwards, in both blocks. */
	KUNIT_EXPECT_EQ(test, vm_area_map_pages(b, x + SZ_2M,
						x + SZ_2M + PAGE_SIZE,
						&c->pages[2]), 0);
	KUNIT_EXPECT_PTR_EQ(test, vmalloc_to_page((void *)(x + SZ_2M)),
			    c->pages[2]);
	vm_area_unmap_pages(b, x + SZ_2M, x + SZ_2M + PAGE_SIZE);
	free_vm_area(b);

	/* A owns no whole block: nothing to free, and its page stays. */
	KUNIT_EXPECT_EQ(test, vm_area_free_pgtables(a), -EBUSY);
	vm_area_unmap_pages(a, x, x + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vm_area_free_pgtables(a), 0L);
	free_vm_area(a);
}

static struct kunit_case vm_sparse_cases[] = {
	KUNIT_CASE(vs_reserve_has_no_pages),
	KUNIT_CASE(vs_map_roundtrip),
	KUNIT_CASE(vs_first_and_last_page),
	KUNIT_CASE(vs_guard_page_not_mappable),
	KUNIT_CASE(vs_range_errors),
	KUNIT_CASE(vs_bad_arguments),
	KUNIT_CASE(vs_longer_than_ram),
	KUNIT_CASE(vs_refused_flags),
	KUNIT_CASE(vs_not_sparse),
	KUNIT_CASE(vs_unmap_not_sparse),
	KUNIT_CASE(vs_busy),
	KUNIT_CASE(vs_partial_unmap_and_remap),
	KUNIT_CASE(vs_unmap_bad_range),
	KUNIT_CASE(vs_unmap_noflush),
	KUNIT_CASE(vs_free_clears_mappings),
	KUNIT_CASE(vs_vread_returns_zeroes),
	KUNIT_CASE(vs_vmallocinfo_marks_sparse),
	KUNIT_CASE(vs_atomic_with_irqs_disabled),
	KUNIT_CASE(vs_atomic_errors),
	KUNIT_CASE(vs_pgtable_cost),
	KUNIT_CASE(vs_concurrent_disjoint),
	KUNIT_CASE(vs_no_leak_over_cycles),
	KUNIT_CASE(vs_free_pgtables_spread),
	KUNIT_CASE(vs_free_pgtables_prebuilt),
	KUNIT_CASE(vs_free_pgtables_shared_block),
	{}
};

static struct kunit_suite vm_sparse_suite = {
	.name = "vm_sparse",
	.init = vs_init,
	.exit = vs_exit,
	.test_cases = vm_sparse_cases,
};

kunit_test_suites(&vm_sparse_suite);

MODULE_DESCRIPTION("KUnit tests for sparse vm areas");
MODULE_LICENSE("GPL");
