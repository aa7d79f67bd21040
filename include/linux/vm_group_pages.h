/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VM_GROUP_PAGES: vmalloc pages taken from a cache carved out of PMD-order
 * blocks, so that permission changes on such areas (module text, BPF
 * images) split the direct map in few places.  See
 * Documentation/mm/vm_group_pages.rst.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */
#ifndef _LINUX_VM_GROUP_PAGES_H
#define _LINUX_VM_GROUP_PAGES_H

#include <linux/gfp.h>
#include <linux/types.h>

struct page;

#ifdef CONFIG_VM_GROUP_PAGES
unsigned int vm_group_alloc_pages(gfp_t gfp, int nid, unsigned int nr,
				  struct page **pages);
bool vm_group_free_page(struct page *page);
unsigned long vm_group_cached_pages(void);

/* For the benchmark module (CONFIG_SPARSE_MM_BENCH): mm/vm_group_pages_bench.c */
void *vm_group_bench_vmalloc(unsigned long size, unsigned long vm_flags);
int vm_group_bench_protect(void *addr, int text_pages, int data_pages);
int vm_group_bench_unprotect(void *addr, int text_pages);
void vm_group_bench_shrink(void);
#else
static inline unsigned int vm_group_alloc_pages(gfp_t gfp, int nid,
						unsigned int nr,
						struct page **pages)
{
	return 0;
}

static inline bool vm_group_free_page(struct page *page)
{
	return false;
}

static inline unsigned long vm_group_cached_pages(void)
{
	return 0;
}
#endif

#endif /* _LINUX_VM_GROUP_PAGES_H */
