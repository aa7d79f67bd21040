/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guard regions: madvise(MADV_GUARD_INSTALL) and madvise(MADV_GUARD_REMOVE),
 * called from madvise_vma_behavior() in mm/madvise.c.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */
#ifndef _MM_MADVISE_GUARD_H
#define _MM_MADVISE_GUARD_H

#include <linux/errno.h>

struct vm_area_struct;

#ifdef CONFIG_MADV_GUARD
int madvise_guard_install(struct vm_area_struct *vma,
			  struct vm_area_struct **prev,
			  unsigned long start, unsigned long end);
int madvise_guard_remove(struct vm_area_struct *vma,
			 struct vm_area_struct **prev,
			 unsigned long start, unsigned long end);
#else
static inline int madvise_guard_install(struct vm_area_struct *vma,
					struct vm_area_struct **prev,
					unsigned long start, unsigned long end)
{
	return -EINVAL;
}

static inline int madvise_guard_remove(struct vm_area_struct *vma,
				       struct vm_area_struct **prev,
				       unsigned long start, unsigned long end)
{
	return -EINVAL;
}
#endif

#endif /* _MM_MADVISE_GUARD_H */
