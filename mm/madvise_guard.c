// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guard regions: madvise(MADV_GUARD_INSTALL) and madvise(MADV_GUARD_REMOVE).
 *
 * A guard is a PTE marker (PTE_MARKER_GUARD) in the page table of an
 * anonymous range.  Touching a guarded page faults with SIGSEGV (the fault
 * handler returns VM_FAULT_SIGSEGV, GUP returns -EFAULT); no VMA is created
 * or split, so a process can put thousands of guards into one mapping
 * without the cost of mprotect(PROT_NONE) VMAs.
 *
 * The rules (Documentation/mm/pagewalk_install.rst has the full list):
 *  - anonymous private VMAs only: file, shmem, hugetlb, VM_PFNMAP, VM_IO,
 *    VM_MIXEDMAP (VM_SPECIAL) are refused with -EINVAL, by both calls;
 *  - installing into a VM_LOCKED VMA is refused with -EINVAL (it would
 *    free locked pages); removing from one is allowed;
 *  - pages present in the range are zapped and replaced by guards;
 *  - guards survive MADV_DONTNEED and MADV_FREE, are copied by fork,
 *    moved by mremap, left alone by mprotect, dropped by munmap and exit;
 *  - an allocation failure returns -ENOMEM with a prefix of the range
 *    guarded, which the caller may retry or remove.
 *
 * Installation is built on the PTE-installing page walk
 * (walk_page_range_mm() with ->install_pte): the walker allocates missing
 * page tables and calls guard_install_pte() for every empty PTE under the
 * PTE lock, so a racing fault either sees the guard or has already put a
 * page there, which ->pte_entry reports and a zap then removes.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <linux/mm.h>
#include <linux/pagewalk.h>
#include <linux/rmap.h>
#include <linux/sched/signal.h>
#include <linux/swap.h>
#include <linux/swapops.h>

#include "internal.h"
#include "madvise_guard.h"

/* Walks that meet racing faults before giving the CPU back to user space. */
#define GUARD_INSTALL_TRIES	3

static bool guard_vma_ok(struct vm_area_struct *vma, bool install)
{
	vm_flags_t refused = VM_SPECIAL | VM_HUGETLB;

	/* Installing would free the pages of a locked range. */
	if (install)
		refused |= VM_LOCKED;
	return vma_is_anonymous(vma) && !(vma->vm_flags & refused);
}

static bool guard_pmd_is_leaf(pmd_t *pmd)
{
	pmd_t val = READ_ONCE(*pmd);

	return pmd_trans_huge(val) || pmd_devmap(val) || is_swap_pmd(val);
}

/* A huge page is in the way: stop the walk (> 0) so the caller zaps it. */
static int guard_install_pmd_entry(pmd_t *pmd, unsigned long addr,
				   unsigned long next, struct mm_walk *walk)
{
	return guard_pmd_is_leaf(pmd);
}

/* A non-empty PTE: count a guard already there, else ask for a zap. */
static int guard_install_pte_entry(pte_t *pte, unsigned long addr,
				   unsigned long next, struct mm_walk *walk)
{
	unsigned long *nr = walk->private;

	if (is_guard_pte_marker(ptep_get(pte))) {
		(*nr)++;
		return 0;
	}
	return 1;
}

/* An empty PTE: the walker installs the guard marker under the PTE lock. */
static int guard_install_pte(unsigned long addr, unsigned long next,
			     pte_t *ptep, struct mm_walk *walk)
{
	unsigned long *nr = walk->private;

	*ptep = make_pte_marker(PTE_MARKER_GUARD);
	(*nr)++;
	return 0;
}

static const struct mm_walk_ops guard_install_ops = {
	.pmd_entry	= guard_install_pmd_entry,
	.pte_entry	= guard_install_pte_entry,
	.install_pte	= guard_install_pte,
};

/* A huge page holds no guard: skip it without splitting it. */
static int guard_remove_pmd_entry(pmd_t *pmd, unsigned long addr,
				  unsigned long next, struct mm_walk *walk)
{
	if (guard_pmd_is_leaf(pmd))
		walk->action = ACTION_CONTINUE;
	return 0;
}

static int guard_remove_pte_entry(pte_t *pte, unsigned long addr,
				  unsigned long next, struct mm_walk *walk)
{
	/* Not present, so never in a TLB: clearing it needs no flush. */
	if (is_guard_pte_marker(ptep_get(pte)))
		pte_clear_not_present_full(walk->mm, addr, pte, false);
	return 0;
}

static const struct mm_walk_ops guard_remove_ops = {
	.pmd_entry	= guard_remove_pmd_entry,
	.pte_entry	= guard_remove_pte_entry,
};

/**
 * madvise_guard_install - MADV_GUARD_INSTALL on one VMA
 * @vma:	the VMA holding [@start, @end)
 * @prev:	set to @vma, as madvise_walk_vmas() expects
 * @start:	page-aligned start of the range, inside @vma
 * @end:	page-aligned end of the range, inside @vma
 *
 * Puts a guard marker into every PTE of the range.  Pages present there
 * (and huge pages overlapping it) are zapped first: their contents are
 * lost, as with MADV_DONTNEED.  Guards already there stay.
 *
 * Context: process context, may sleep; mmap_lock held for read.
 * Return: 0; -EINVAL if @vma is not an anonymous private VMA or is
 * VM_LOCKED, VM_PFNMAP, VM_IO, VM_MIXEDMAP or hugetlb; -ENOMEM if the
 * anon_vma or a page table cannot be allocated, in which case a prefix of
 * the range may be guarded; -ERESTARTNOINTR if faults kept racing with
 * the install (the syscall is restarted transparently).
 */
int madvise_guard_install(struct vm_area_struct *vma,
			  struct vm_area_struct **prev,
			  unsigned long start, unsigned long end)
{
	int i, err;

	*prev = vma;
	if (!guard_vma_ok(vma, true))
		return -EINVAL;
	/*
	 * Page tables holding guards must be copied on fork, and fork copies
	 * an anonymous VMA's page tables only when it has an anon_vma.
	 */
	err = anon_vma_prepare(vma);
	if (err)
		return err;

	for (i = 0; i < GUARD_INSTALL_TRIES; i++) {
		unsigned long nr = 0;

		/* < 0: error, 0: every page guarded, > 0: something to zap. */
		err = walk_page_range_mm(vma->vm_mm, start, end,
					 &guard_install_ops, &nr);
		if (err < 0)
			return err;
		if (!err) {
			VM_WARN_ON_ONCE(nr != PHYS_PFN(end - start));
			return 0;
		}
		/* Zapping frees pages and huge pages, and keeps guards. */
		zap_page_range_single(vma, start, end - start, NULL);
	}
	/* Faults keep refilling the range: let them run, then try again. */
	return restart_syscall();
}

/**
 * madvise_guard_remove - MADV_GUARD_REMOVE on one VMA
 * @vma:	the VMA holding [@start, @end)
 * @prev:	set to @vma, as madvise_walk_vmas() expects
 * @start:	page-aligned start of the range, inside @vma
 * @end:	page-aligned end of the range, inside @vma
 *
 * Clears every guard marker in the range; the pages read as zero on next
 * access.  Pages and holes in the range are left as they are, and no page
 * table is allocated.  Allowed on VM_LOCKED VMAs: it frees nothing.
 *
 * Context: process context, may sleep; mmap_lock held for read.
 * Return: 0, or -EINVAL if @vma is not an anonymous private VMA or is
 * VM_PFNMAP, VM_IO, VM_MIXEDMAP or hugetlb.
 */
int madvise_guard_remove(struct vm_area_struct *vma,
			 struct vm_area_struct **prev,
			 unsigned long start, unsigned long end)
{
	*prev = vma;
	if (!guard_vma_ok(vma, false))
		return -EINVAL;
	return walk_page_range(vma->vm_mm, start, end, &guard_remove_ops, NULL);
}
