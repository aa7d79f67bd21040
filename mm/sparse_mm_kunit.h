/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the sparse-mm KUnit suites.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */
#ifndef _MM_SPARSE_MM_KUNIT_H
#define _MM_SPARSE_MM_KUNIT_H

#include <linux/hrtimer.h>
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

/*
 * How late an hrtimer pinned to this CPU fires, every 100 us: a section
 * with interrupts disabled on this CPU delays it by its whole length.
 * Start and stop it on one CPU (migrate_disable()).  Under TCG a loaded
 * host also delays a vCPU: bounds in tests must allow tens of ms.
 */
struct smm_latency {
	struct hrtimer timer;
	s64 max_ns;
};

static inline enum hrtimer_restart smm_latency_fn(struct hrtimer *t)
{
	struct smm_latency *l = container_of(t, struct smm_latency, timer);
	s64 late = ktime_to_ns(ktime_sub(ktime_get(), hrtimer_get_expires(t)));

	l->max_ns = max(l->max_ns, late);
	hrtimer_forward_now(t, ns_to_ktime(100 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static inline void smm_latency_start(struct smm_latency *l)
{
	l->max_ns = 0;
	hrtimer_init(&l->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED);
	l->timer.function = smm_latency_fn;
	hrtimer_start(&l->timer, ns_to_ktime(100 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_PINNED);
}

/* Return: the largest lateness seen since smm_latency_start(), in ns. */
static inline s64 smm_latency_stop(struct smm_latency *l)
{
	hrtimer_cancel(&l->timer);
	return l->max_ns;
}

#endif /* _MM_SPARSE_MM_KUNIT_H */
