/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sparse kernel virtual areas: a range of vmalloc address space reserved up
 * front and populated with caller-owned pages on demand.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */
#ifndef _LINUX_VM_SPARSE_H
#define _LINUX_VM_SPARSE_H

#include <linux/types.h>
#include <linux/vmalloc.h>

struct page;

/*
 * vm_area_map_pages() and vm_area_unmap_pages() are declared in
 * <linux/vmalloc.h>, as upstream; the rest of the API is ours.
 */
struct vm_struct *get_sparse_vm_area(unsigned long size);

struct vm_struct *get_prebuilt_sparse_vm_area(unsigned long size);
int vm_area_map_pages_atomic(struct vm_struct *area, unsigned long start,
			     unsigned long end, struct page **pages);
void vm_area_unmap_pages_noflush(struct vm_struct *area, unsigned long start,
				 unsigned long end);

unsigned long vm_area_pgtable_pages(const struct vm_struct *area);
long vm_area_free_pgtables(struct vm_struct *area);

/**
 * vm_area_is_sparse - does @area accept vm_area_map_pages()?
 * @area: a vm area, or %NULL
 *
 * Context: Any context.
 * Return: true if @area was created with %VM_SPARSE.
 */
static inline bool vm_area_is_sparse(const struct vm_struct *area)
{
	return area && (area->flags & VM_SPARSE);
}

/**
 * vm_area_is_prebuilt - does @area accept vm_area_map_pages_atomic()?
 * @area: a vm area, or %NULL
 *
 * Context: Any context.
 * Return: true if @area came from get_prebuilt_sparse_vm_area().
 */
static inline bool vm_area_is_prebuilt(const struct vm_struct *area)
{
	return vm_area_is_sparse(area) && (area->flags & VM_SPARSE_PREBUILT);
}

#endif /* _LINUX_VM_SPARSE_H */
