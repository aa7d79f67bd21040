// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sparse kernel virtual areas.
 *
 * A sparse area is a vm_struct created with %VM_SPARSE: get_vm_area() hands
 * out the address range (plus the usual guard page) and nothing else.  The
 * owner maps its own pages into the range and unmaps them again whenever it
 * likes; the area never allocates, owns or frees data pages.
 *
 * Two kinds exist.  An ordinary sparse area allocates page-table pages on
 * demand inside vm_area_map_pages(), which may therefore sleep.  A prebuilt
 * sparse area, from get_prebuilt_sparse_vm_area(), has every page-table
 * level down to the PTE pages allocated when it is created;
 * vm_area_map_pages_atomic() then only writes PTEs and can be called with
 * interrupts disabled.
 *
 * Kernel page-table pages in the vmalloc range are not freed when an area
 * is, exactly as for vmalloc() itself: the next area placed at those
 * addresses reuses them.  An owner that filled a large range can give back
 * the tables that only its area uses with vm_area_free_pgtables() once
 * nothing is mapped in it.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <linux/kmsan.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/vm_sparse.h>
#include <asm/cacheflush.h>
#include <asm/pgalloc.h>
#include <asm/tlbflush.h>

#include "internal.h"
#include "pgalloc-track.h"

static unsigned long sparse_base(const struct vm_struct *area)
{
	return (unsigned long)area->addr;
}

/* End of the usable range: the guard page, if any, lies beyond it. */
static unsigned long sparse_limit(const struct vm_struct *area)
{
	return sparse_base(area) + get_vm_area_size(area);
}

/*
 * Checks, in this order: alignment and direction (-ERANGE), a length that
 * cannot fit in the area at all or, for a map (@map), that is longer than
 * all of RAM (-E2BIG), bounds (-ERANGE).  A map reads one page pointer per
 * page of the range, and no caller has more pages than RAM: refusing such
 * a range before the array is read keeps a short array from being read
 * past its end.
 */
static int sparse_check_range(const struct vm_struct *area,
			      unsigned long start, unsigned long end, bool map)
{
	if (!PAGE_ALIGNED(start) || !PAGE_ALIGNED(end) || end < start)
		return -ERANGE;
	if (end - start > get_vm_area_size(area))
		return -E2BIG;
	if (map && (end - start) >> PAGE_SHIFT > totalram_pages())
		return -E2BIG;
	if (start < sparse_base(area) || end > sparse_limit(area))
		return -ERANGE;
	return 0;
}

/*
 * Flags a sparse area must not carry, as upstream: without a guard page the
 * next area would start right after a page the owner mapped, and
 * VM_FLUSH_RESET_PERMS would make vfree() reset the direct map of pages
 * that still belong to the owner.
 */
#define VM_SPARSE_REFUSED	(VM_NO_GUARD | VM_FLUSH_RESET_PERMS)

static __always_inline int sparse_validate(const struct vm_struct *area,
					   unsigned long start,
					   unsigned long end,
					   struct page **pages)
{
	int err;

	if (!area)
		return -EINVAL;
	if (WARN_ON_ONCE(!(area->flags & VM_SPARSE)))
		return -EINVAL;
	if (WARN_ON_ONCE(area->flags & VM_SPARSE_REFUSED))
		return -EINVAL;
	err = sparse_check_range(area, start, end, true);
	if (err)
		return err;
	if (start != end && !pages)
		return -EINVAL;
	return 0;
}

/*
 * Find the kernel PTE for @addr without allocating anything.  Returns NULL
 * when a level above the PTE page is missing.  A leaf entry above PTE level
 * never belongs to a sparse area (it maps only PAGE_SIZE pages); it is
 * reported through @leaf so that callers can refuse the range.
 */
static pte_t *sparse_pte_offset(unsigned long addr, bool *leaf)
{
	pgd_t *pgd = pgd_offset_k(addr);
	p4d_t *p4d, p4dval;
	pud_t *pud, pudval;
	pmd_t *pmd, pmdval;

	*leaf = false;
	if (pgd_none(READ_ONCE(*pgd)))
		return NULL;
	p4d = p4d_offset(pgd, addr);
	p4dval = READ_ONCE(*p4d);
	if (p4d_none(p4dval))
		return NULL;
	if (p4d_leaf(p4dval))
		goto leaf;
	pud = pud_offset(p4d, addr);
	pudval = READ_ONCE(*pud);
	if (pud_none(pudval))
		return NULL;
	if (pud_leaf(pudval))
		goto leaf;
	pmd = pmd_offset(pud, addr);
	pmdval = READ_ONCE(*pmd);
	if (pmd_none(pmdval))
		return NULL;
	if (pmd_leaf(pmdval))
		goto leaf;
	return pte_offset_kernel(pmd, addr);
leaf:
	*leaf = true;
	return NULL;
}

/*
 * Call @fn for every PTE slot of [start, end) whose page table exists.
 * Where a table is missing, return @missing if it is non-zero, else skip
 * the hole.  Always inlined so that @fn is a direct call.
 */
static __always_inline int
sparse_walk_ptes(unsigned long start, unsigned long end,
		 int (*fn)(pte_t *pte, unsigned long addr, void *data),
		 void *data, int missing)
{
	unsigned long addr = start;

	while (addr < end) {
		unsigned long next = pmd_addr_end(addr, end);
		bool leaf;
		pte_t *pte = sparse_pte_offset(addr, &leaf);
		int err;

		if (leaf)
			return -EBUSY;
		if (!pte) {
			if (missing)
				return missing;
			addr = next;
			continue;
		}
		for (; addr < next; addr += PAGE_SIZE, pte++) {
			err = fn(pte, addr, data);
			if (err)
				return err;
		}
	}
	return 0;
}

struct sparse_fill {
	unsigned long start;
	struct page **pages;
};

static struct page *sparse_fill_page(struct sparse_fill *fill,
				     unsigned long addr)
{
	return fill->pages[(addr - fill->start) >> PAGE_SHIFT];
}

/* First pass of the atomic map: may this slot be filled? */
static int sparse_pte_check(pte_t *pte, unsigned long addr, void *data)
{
	if (!sparse_fill_page(data, addr))
		return -EINVAL;
	return pte_none(ptep_get(pte)) ? 0 : -EBUSY;
}

static int sparse_pte_fill(pte_t *pte, unsigned long addr, void *data)
{
	set_pte_at(&init_mm, addr, pte,
		   mk_pte(sparse_fill_page(data, addr), PAGE_KERNEL));
	return 0;
}

/* Find or allocate the PTE page for @addr; NULL with *err set on failure. */
static pte_t *sparse_pte_alloc(unsigned long addr, pgtbl_mod_mask *mask,
			       int *err)
{
	pgd_t *pgd = pgd_offset_k(addr);
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;
	pte_t *pte;

	*err = -ENOMEM;
	p4d = p4d_alloc_track(&init_mm, pgd, addr, mask);
	if (!p4d)
		return NULL;
	pud = pud_alloc_track(&init_mm, p4d, addr, mask);
	if (!pud)
		return NULL;
	if (pud_leaf(READ_ONCE(*pud)))
		goto busy;
	pmd = pmd_alloc_track(&init_mm, pud, addr, mask);
	if (!pmd)
		return NULL;
	if (pmd_leaf(READ_ONCE(*pmd)))
		goto busy;
	pte = pte_alloc_kernel_track(pmd, addr, mask);
	if (pte)
		*err = 0;
	return pte;
busy:
	*err = -EBUSY;
	return NULL;
}

/*
 * Install PTEs for [start, end) in one pass, allocating page tables as
 * needed.  Stops at the first slot that is already mapped (-EBUSY) or has
 * no page (-EINVAL), or when a table cannot be allocated (-ENOMEM), and
 * reports in *@done where it stopped: [start, *done) is what it installed.
 */
static int sparse_fill_range(unsigned long start, unsigned long end,
			     struct page **pages, unsigned long *done)
{
	struct sparse_fill fill = { .start = start, .pages = pages };
	pgtbl_mod_mask mask = 0;
	unsigned long addr = start;
	int err = 0;

	while (addr < end && !err) {
		unsigned long next = pmd_addr_end(addr, end);
		pte_t *pte = sparse_pte_alloc(addr, &mask, &err);

		if (!pte)
			break;
		for (; addr < next; addr += PAGE_SIZE, pte++) {
			struct page *page = sparse_fill_page(&fill, addr);

			if (unlikely(!page)) {
				err = -EINVAL;
				break;
			}
			if (unlikely(!pte_none(ptep_get(pte)))) {
				err = -EBUSY;
				break;
			}
			set_pte_at(&init_mm, addr, pte, mk_pte(page, PAGE_KERNEL));
		}
		mask |= PGTBL_PTE_MODIFIED;
	}
	if (mask & ARCH_PAGE_TABLE_SYNC_MASK)
		arch_sync_kernel_mappings(start, end);
	*done = addr;
	return err;
}

/**
 * vm_area_map_pages - map caller-owned pages into a sparse area
 * @area: an area from get_vm_area(size, %VM_SPARSE) or
 *	get_prebuilt_sparse_vm_area()
 * @start: first address to map, page aligned, inside @area
 * @end: end of the range (exclusive), page aligned, at most the end of the
 *	usable part of @area (the guard page is never mappable)
 * @pages: (@end - @start) / PAGE_SIZE pages; @pages[0] is mapped at @start
 *
 * Maps the pages with %PAGE_KERNEL protection, allocating page-table pages
 * as needed.  No reference is taken on the pages: the caller keeps
 * ownership and must unmap them with vm_area_unmap_pages() (or free the
 * area) before freeing them.  Callers serialise map and unmap calls on
 * overlapping ranges; calls on disjoint ranges of one area may run
 * concurrently.  An empty range (@start == @end) succeeds and does nothing.
 *
 * On failure nothing in [@start, @end) is left mapped that was not mapped
 * before the call.
 *
 * Declared in <linux/vmalloc.h>, as upstream.
 *
 * Context: Process context; may sleep.
 * Return: 0 on success; -EINVAL if @area is %NULL, is not a sparse area,
 * or carries %VM_NO_GUARD or %VM_FLUSH_RESET_PERMS (each with a one-time
 * warning), or @pages or one of its entries is %NULL; -ERANGE if @start or
 * @end is not page aligned, @end < @start, or the range is not inside the
 * usable part of @area; -E2BIG if the range is longer than the area or
 * than all of RAM (totalram_pages()), decided before @pages is read;
 * -EBUSY if a page in the range is already mapped; -ENOMEM if a page
 * table could not be allocated.  The range checks come first; between a
 * %NULL entry and a mapped slot, the lower address wins.
 */
int vm_area_map_pages(struct vm_struct *area, unsigned long start,
		      unsigned long end, struct page **pages)
{
	unsigned long done;
	int err;

	might_sleep();
	err = sparse_validate(area, start, end, pages);
	if (err || start == end)
		return err;
	if (IS_ENABLED(CONFIG_KMSAN)) {
		unsigned long i;

		/* KMSAN maps metadata for every page before we look at them. */
		for (i = 0; i < (end - start) >> PAGE_SHIFT; i++)
			if (!pages[i])
				return -EINVAL;
		err = kmsan_vmap_pages_range_noflush(start, end, PAGE_KERNEL,
						     pages, PAGE_SHIFT);
		if (err)
			return err;
	}

	err = sparse_fill_range(start, end, pages, &done);
	flush_cache_vmap(start, done);
	if (err) {
		/* Take out exactly what this call installed, nothing else. */
		if (done > start)
			vunmap_range(start, done);
		kmsan_vunmap_range_noflush(done, end);
	}
	return err;
}
EXPORT_SYMBOL_GPL(vm_area_map_pages);

/*
 * The checks of both unmap calls: true if [@start, @end) may be unmapped.
 * Always inlined so that a warning names the API function called.
 */
static __always_inline bool sparse_unmap_ok(const struct vm_struct *area,
					    unsigned long start,
					    unsigned long end)
{
	int err;

	if (!area)
		return false;
	if (WARN_ON_ONCE(!(area->flags & VM_SPARSE)))
		return false;
	if (WARN_ON_ONCE(area->flags & VM_SPARSE_REFUSED))
		return false;
	err = sparse_check_range(area, start, end, false);
	if (WARN_ONCE(err, "bad range [%#lx, %#lx) relative to sparse area of %lu bytes: %d\n",
		      start - sparse_base(area), end - sparse_base(area),
		      get_vm_area_size(area), err))
		return false;
	return start != end;
}

/**
 * vm_area_unmap_pages - unmap a range of a sparse area
 * @area: the sparse area, or %NULL (nothing happens)
 * @start: first address to unmap, page aligned, inside @area
 * @end: end of the range (exclusive), page aligned, inside @area
 *
 * Clears every PTE in [@start, @end) and flushes the TLB for the range on
 * all CPUs.  Holes in the range are fine.  The pages themselves are never
 * freed or released: they belong to the caller, who may free them as soon
 * as this returns.  A non-sparse @area, one with %VM_NO_GUARD or
 * %VM_FLUSH_RESET_PERMS, or an invalid range (see vm_area_map_pages() for
 * the rules; a range longer than RAM is fine here) changes nothing and
 * triggers a one-time warning.  Declared in <linux/vmalloc.h>.
 *
 * Context: Process context; may sleep (it reschedules between page tables
 * of large ranges and the TLB flush waits for other CPUs).
 */
void vm_area_unmap_pages(struct vm_struct *area, unsigned long start,
			 unsigned long end)
{
	might_sleep();
	if (sparse_unmap_ok(area, start, end))
		vunmap_range(start, end);
}
EXPORT_SYMBOL_GPL(vm_area_unmap_pages);

/**
 * vm_area_unmap_pages_noflush - unmap a range of a sparse area, lazily
 * @area: the sparse area, or %NULL (nothing happens)
 * @start: first address to unmap, page aligned, inside @area
 * @end: end of the range (exclusive), page aligned, inside @area
 *
 * Clears every PTE in [@start, @end) as vm_area_unmap_pages() does, with
 * the same checks and warnings, but flushes no TLB, on this CPU or any
 * other.  Until the caller has called flush_tlb_kernel_range() over the
 * range, any CPU may still reach the old pages through the addresses, so
 * the caller must neither free nor reuse those pages, nor map a different
 * page at any of those addresses, before that flush.  Mapping the same
 * page again at the same address needs no flush: a stale entry then
 * translates exactly as the new one.  This lets an owner batch the
 * flushes of many unmaps into one, as vmalloc's lazy purge does.
 *
 * Context: Process context; may sleep (it reschedules between page tables
 * of large ranges), but never waits for another CPU and allocates nothing.
 */
void vm_area_unmap_pages_noflush(struct vm_struct *area, unsigned long start,
				 unsigned long end)
{
	might_sleep();
	if (sparse_unmap_ok(area, start, end)) {
		flush_cache_vunmap(start, end);
		vunmap_range_noflush(start, end);
	}
}
EXPORT_SYMBOL_GPL(vm_area_unmap_pages_noflush);

/**
 * get_sparse_vm_area - reserve a sparse area
 * @size: size of the area in bytes; rounded up to a page multiple
 *
 * The same as get_vm_area(@size, %VM_SPARSE), which built-in code may call
 * directly; this one is exported so that modules can create sparse areas
 * without access to the rest of get_vm_area()'s flags.  Kernel virtual
 * address space is reserved, with a guard page after it, and nothing is
 * mapped.  Free the area with free_vm_area(), which also unmaps anything
 * still mapped in it.
 *
 * Context: Process context; may sleep.
 * Return: the area, or %NULL if @size is 0 or no address space is left.
 */
struct vm_struct *get_sparse_vm_area(unsigned long size)
{
	return get_vm_area_caller(size, VM_SPARSE, __builtin_return_address(0));
}
EXPORT_SYMBOL_GPL(get_sparse_vm_area);

static int sparse_prebuild_pte(pte_t *pte, unsigned long addr, void *data)
{
	return 0;
}

/**
 * get_prebuilt_sparse_vm_area - reserve a sparse area with its page tables
 * @size: size of the area in bytes; rounded up to a page multiple
 *
 * Like get_vm_area(@size, %VM_SPARSE), but every page-table level that
 * covers the area is allocated now, down to and including the PTE pages,
 * so that vm_area_map_pages_atomic() never needs to allocate.  The cost is
 * one PTE page per 2 MiB of area plus one PMD page per 1 GiB (x86-64 with
 * 4 KiB pages: 2052 KiB of page tables per GiB, about 0.2%, plus at most
 * one extra page at each end when the area is not 2 MiB aligned).  These
 * pages stay in the kernel page tables after the area is freed, as all
 * vmalloc page tables do, unless vm_area_free_pgtables() gives them back
 * first.  Free the area with free_vm_area().
 *
 * Not available with KMSAN, whose shadow mappings cannot be set up without
 * allocating.
 *
 * Context: Process context; may sleep.
 * Return: the area, or %NULL if @size is 0 or memory or address space ran
 * out.
 */
struct vm_struct *get_prebuilt_sparse_vm_area(unsigned long size)
{
	struct vm_struct *area;

	might_sleep();
	if (IS_ENABLED(CONFIG_KMSAN))
		return NULL;
	area = get_vm_area_caller(size, VM_SPARSE | VM_SPARSE_PREBUILT,
				  __builtin_return_address(0));
	if (!area)
		return NULL;
	if (apply_to_page_range(&init_mm, sparse_base(area),
				get_vm_area_size(area), sparse_prebuild_pte,
				NULL)) {
		/* Give back the tables built before memory ran out. */
		vm_area_free_pgtables(area);
		free_vm_area(area);
		return NULL;
	}
	return area;
}
EXPORT_SYMBOL_GPL(get_prebuilt_sparse_vm_area);

/**
 * vm_area_map_pages_atomic - map pages into a prebuilt sparse area
 * @area: an area from get_prebuilt_sparse_vm_area()
 * @start: first address to map, page aligned, inside @area
 * @end: end of the range (exclusive), page aligned, inside @area
 * @pages: (@end - @start) / PAGE_SIZE pages; @pages[0] is mapped at @start
 *
 * Same contract as vm_area_map_pages(), but it only writes PTEs into the
 * page tables built when the area was created: it never allocates memory,
 * never sleeps and takes no lock.  Either every page is mapped or, on
 * error, none is.  Unmap with vm_area_unmap_pages().
 *
 * Context: Any context, including hard interrupts and with interrupts
 * disabled.
 * Return: 0 on success; -EINVAL if @area is %NULL, not sparse or carrying
 * %VM_NO_GUARD or %VM_FLUSH_RESET_PERMS (with a one-time warning) or not
 * prebuilt, or @pages or an entry is %NULL; -ERANGE or -E2BIG for a bad
 * range as for vm_area_map_pages(), checked before the area kind; -EBUSY if
 * a page in the range is already mapped; -EFAULT if a page table is
 * missing, which means the area was not built by
 * get_prebuilt_sparse_vm_area() (with a one-time warning).
 */
int vm_area_map_pages_atomic(struct vm_struct *area, unsigned long start,
			     unsigned long end, struct page **pages)
{
	struct sparse_fill fill = { .start = start, .pages = pages };
	int err;

	err = sparse_validate(area, start, end, pages);
	if (err || start == end)
		return err;
	if (!(area->flags & VM_SPARSE_PREBUILT))
		return -EINVAL;

	/*
	 * Check every slot first so that the fill cannot fail half-way: an
	 * undo would need a TLB flush, which cannot be done with interrupts
	 * disabled.
	 */
	err = sparse_walk_ptes(start, end, sparse_pte_check, &fill, -EFAULT);
	if (WARN_ON_ONCE(err == -EFAULT) || err)
		return err;
	sparse_walk_ptes(start, end, sparse_pte_fill, &fill, -EFAULT);
	flush_cache_vmap(start, end);
	return 0;
}
EXPORT_SYMBOL_GPL(vm_area_map_pages_atomic);

/**
 * vm_area_pgtable_pages - count the page-table pages behind a sparse area
 * @area: a sparse area
 *
 * Counts the PMD pages and PTE pages that the kernel page tables currently
 * use to cover the usable part of @area, whether this area or an earlier
 * user of the same addresses allocated them.  The shared upper levels
 * (PGD, P4D, PUD pages of the vmalloc range) are not counted.  A PMD or
 * PTE page that also covers a neighbouring area is counted in both.  Meant
 * for tests, benchmarks and debugging.
 *
 * Context: Any context.
 * Return: the number of pages, or 0 if @area is not a sparse area.
 */
unsigned long vm_area_pgtable_pages(const struct vm_struct *area)
{
	unsigned long addr, end, next, nr = 0;

	if (!vm_area_is_sparse(area))
		return 0;

	end = sparse_limit(area);
	for (addr = sparse_base(area); addr < end; addr = next) {
		pgd_t *pgd = pgd_offset_k(addr);
		unsigned long a, pmd_next;
		p4d_t *p4d;
		pud_t *pud, pudval;

		next = pud_addr_end(addr, end);
		if (pgd_none(READ_ONCE(*pgd)))
			continue;
		p4d = p4d_offset(pgd, addr);
		if (p4d_none(READ_ONCE(*p4d)) || p4d_leaf(READ_ONCE(*p4d)))
			continue;
		pud = pud_offset(p4d, addr);
		pudval = READ_ONCE(*pud);
		if (pud_none(pudval) || pud_leaf(pudval))
			continue;
		nr++;				/* the PMD page */
		for (a = addr; a < next; a = pmd_next) {
			pmd_t pmdval = READ_ONCE(*pmd_offset(pud, a));

			pmd_next = pmd_addr_end(a, next);
			if (!pmd_none(pmdval) && !pmd_leaf(pmdval))
				nr++;		/* a PTE page */
		}
	}
	return nr;
}
EXPORT_SYMBOL_GPL(vm_area_pgtable_pages);

static int sparse_pte_unused(pte_t *pte, unsigned long addr, void *data)
{
	return pte_none(ptep_get(pte)) ? 0 : -EBUSY;
}

/*
 * A PTE page may be taken out of the kernel page tables if the PMD entry
 * pointing to it lives in a PMD page (not folded into an upper level) of
 * which the architecture keeps no copies in other page tables; likewise a
 * PMD page, one level up.  PGD and P4D entries are never cleared: x86-64
 * preallocates those levels for the whole vmalloc space.
 */
static bool sparse_can_free_pte_pages(void)
{
	return PTRS_PER_PMD > 1 &&
	       !(ARCH_PAGE_TABLE_SYNC_MASK & PGTBL_PMD_MODIFIED);
}

static bool sparse_can_free_pmd_pages(void)
{
	return sparse_can_free_pte_pages() && PTRS_PER_PUD > 1 &&
	       !(ARCH_PAGE_TABLE_SYNC_MASK & PGTBL_PUD_MODIFIED);
}

/* The PUD entry covering @addr, or NULL if there is no PMD page below it. */
static pud_t *sparse_pud_with_table(unsigned long addr)
{
	pgd_t *pgd = pgd_offset_k(addr);
	p4d_t *p4d;
	pud_t *pud, pudval;

	if (pgd_none(READ_ONCE(*pgd)))
		return NULL;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(READ_ONCE(*p4d)) || p4d_leaf(READ_ONCE(*p4d)))
		return NULL;
	pud = pud_offset(p4d, addr);
	pudval = READ_ONCE(*pud);
	if (pud_none(pudval) || pud_leaf(pudval))
		return NULL;
	return pud;
}

/*
 * [@addr, @end) lies inside one PUD entry's range and inside the area.
 * Clear the entries pointing to every table that lies wholly inside it,
 * flush the kernel TLB (and with it the paging-structure caches) for the
 * range, then free those tables.  Return: the number of pages freed.
 */
static unsigned long sparse_free_pud_range(unsigned long addr,
					   unsigned long end)
{
	pud_t *pud = sparse_pud_with_table(addr);
	struct page *page, *tmp;
	unsigned long a, next, nr = 0;
	LIST_HEAD(ptes);
	pmd_t *pmd;
	int i;

	if (!pud)
		return 0;
	if (IS_ALIGNED(addr, PUD_SIZE) && end - addr == PUD_SIZE &&
	    sparse_can_free_pmd_pages()) {
		/* The whole PMD page is ours: detach it in one go. */
		pmd = pud_pgtable(READ_ONCE(*pud));
		spin_lock(&init_mm.page_table_lock);
		pud_clear(pud);
		spin_unlock(&init_mm.page_table_lock);
		flush_tlb_kernel_range(addr, end);
		for (i = 0; i < PTRS_PER_PMD; i++) {
			pmd_t pmdval = pmd[i];

			if (pmd_none(pmdval) || WARN_ON_ONCE(pmd_leaf(pmdval)))
				continue;
			pte_free_kernel(&init_mm,
					(pte_t *)pmd_page_vaddr(pmdval));
			nr++;
		}
		pmd_free(&init_mm, pmd);
		mm_dec_nr_pmds(&init_mm);
		return nr + 1;
	}

	/* Part of a PMD page: only the PTE pages of whole 2 MiB blocks. */
	for (a = addr; a < end; a = next) {
		pmd_t pmdval;

		next = pmd_addr_end(a, end);
		if (!IS_ALIGNED(a, PMD_SIZE) || next - a != PMD_SIZE)
			continue;
		pmd = pmd_offset(pud, a);
		pmdval = READ_ONCE(*pmd);
		if (pmd_none(pmdval) || pmd_leaf(pmdval))
			continue;
		spin_lock(&init_mm.page_table_lock);
		pmd_clear(pmd);
		spin_unlock(&init_mm.page_table_lock);
		/* Kernel PTE pages have no constructor: ->lru is free. */
		list_add_tail(&pmd_page(pmdval)->lru, &ptes);
	}
	if (list_empty(&ptes))
		return 0;
	flush_tlb_kernel_range(addr, end);
	list_for_each_entry_safe(page, tmp, &ptes, lru) {
		list_del(&page->lru);
		pte_free_kernel(&init_mm, page_address(page));
		nr++;
	}
	return nr;
}

/**
 * vm_area_free_pgtables - give back the page tables only a sparse area uses
 * @area: a sparse area (either kind) with nothing mapped in it
 *
 * Frees the kernel page-table pages that lie wholly inside the address
 * range @area reserved (its usable part and its guard page): every PTE
 * page whose 2 MiB block (on x86-64 with 4 KiB pages) is inside the
 * range, and every PMD page whose 1 GiB block is.  A table that also
 * covers addresses outside the range may serve another area and is kept,
 * as are the PUD, P4D and PGD levels.  For each table the upper entry is
 * cleared first, then the kernel TLB is flushed for the range on every
 * CPU, and only then the page is freed.
 *
 * Nothing in @area may be mapped, and nothing may map into it while this
 * runs (the owner serialises it with its own map calls).  @area stays
 * valid: a later vm_area_map_pages() allocates tables again, but a
 * prebuilt area stops being prebuilt (vm_area_map_pages_atomic() then
 * fails with -EINVAL).  Meant to be called just before free_vm_area() by
 * owners that may have touched a large range.  The kernel page-table dump
 * (ptdump) is kept out by taking init_mm's mmap_lock for reading.
 *
 * Context: Process context; may sleep.  Takes init_mm's mmap_lock for
 * reading and its page_table_lock.
 * Return: the number of page-table pages freed (0 if the architecture's
 * page tables cannot be trimmed); -EINVAL if @area is %NULL or not
 * sparse; -EBUSY if a page is still mapped in @area, in which case
 * nothing was changed.
 */
long vm_area_free_pgtables(struct vm_struct *area)
{
	unsigned long start, end, addr, next;
	long nr = 0;
	int err;

	might_sleep();
	if (!vm_area_is_sparse(area))
		return -EINVAL;
	start = sparse_base(area);
	end = start + area->size;

	for (addr = start; addr < sparse_limit(area); addr = next) {
		next = pud_addr_end(addr, sparse_limit(area));
		err = sparse_walk_ptes(addr, next, sparse_pte_unused, NULL, 0);
		if (err)
			return err;
		cond_resched();
	}
	if (!sparse_can_free_pte_pages())
		return 0;

	mmap_read_lock(&init_mm);
	for (addr = start; addr < end; addr = next) {
		next = pud_addr_end(addr, end);
		nr += sparse_free_pud_range(addr, next);
		cond_resched();
	}
	mmap_read_unlock(&init_mm);
	area->flags &= ~VM_SPARSE_PREBUILT;
	return nr;
}
EXPORT_SYMBOL_GPL(vm_area_free_pgtables);
