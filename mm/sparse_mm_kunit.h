/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the sparse-mm KUnit suites.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */
#ifndef _MM_SPARSE_MM_KUNIT_H
#define _MM_SPARSE_MM_KUNIT_H

#include <linux/kthread.h>
#include <linux/printk.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>

/*
 * A test that triggers a kernel warning on purpose brackets the call with
 * these markers.  The harness's log checker accepts a WARNING splat between
 * them only if it was raised in function @fn; any other splat fails the run.
 */
#define SMM_EXPECT_WARN_BEGIN(fn) \
	pr_info("sparse-mm: expect-warning begin %s\n", fn)
#define SMM_EXPECT_WARN_END(fn) \
	pr_info("sparse-mm: expect-warning end %s\n", fn)

/*
 * A new user address space, with the mmap layout exec would pick, in use
 * by the calling kernel thread (a KUnit case) until smm_kunit_drop_mm().
 */
static inline struct mm_struct *smm_kunit_use_new_mm(void)
{
	struct mm_struct *mm = mm_alloc();

	if (!mm)
		return NULL;
	arch_pick_mmap_layout(mm, &current->signal->rlim[RLIMIT_STACK]);
	kthread_use_mm(mm);
	return mm;
}

static inline void smm_kunit_drop_mm(struct mm_struct *mm)
{
	kthread_unuse_mm(mm);
	mmput(mm);		/* unmaps and frees the page tables */
}

#endif /* _MM_SPARSE_MM_KUNIT_H */
