/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the sparse-mm KUnit suites.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */
#ifndef _MM_SPARSE_MM_KUNIT_H
#define _MM_SPARSE_MM_KUNIT_H

#include <asm/sections.h>
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/kallsyms.h>
#include <linux/kthread.h>
#include <linux/printk.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>

/*
 * A test that triggers a kernel warning on purpose runs the call inside
 * SMM_EXPECT_WARN(test, fn, stmt): the case fails unless a WARNING raised
 * in function @fn was printed while @stmt ran (seen through the printk
 * "console" tracepoint, as kfence's test watches the console).  The
 * one-time state of WARN_ON_ONCE() and WARN_ONCE() sites is cleared first,
 * as /sys/kernel/debug/clear_warn_once does, so a site that warned earlier
 * in the boot warns again.  The markers around it tell the harness's log
 * checker to accept a WARNING splat from @fn there; any other splat still
 * fails the run.
 */
struct smm_warn_watch {
	struct tracepoint *tp;
	char needle[KSYM_NAME_LEN + 4];	/* " fn+0x" */
	bool seen;
};

static inline void smm_warn_probe(void *data, const char *text, size_t len)
{
	struct smm_warn_watch *w = data;

	if (len > 9 && !strncmp(text, "WARNING: ", 9) &&
	    strnstr(text, w->needle, len))
		WRITE_ONCE(w->seen, true);
}

static inline void smm_warn_find_console(struct tracepoint *tp, void *data)
{
	struct smm_warn_watch *w = data;

	if (!strcmp(tp->name, "console"))
		w->tp = tp;
}

static inline void smm_expect_warn_begin(struct smm_warn_watch *w,
					 const char *fn)
{
	w->tp = NULL;
	w->seen = false;
	snprintf(w->needle, sizeof(w->needle), " %s+0x", fn);
	generic_bug_clear_once();
	memset(__start_once, 0, __end_once - __start_once);
	for_each_kernel_tracepoint(smm_warn_find_console, w);
	if (w->tp && tracepoint_probe_register(w->tp, smm_warn_probe, w))
		w->tp = NULL;
	pr_info("sparse-mm: expect-warning begin %s\n", fn);
}

/* Return: true if the warning was seen (and the console was watched). */
static inline bool smm_expect_warn_end(struct smm_warn_watch *w,
				       const char *fn)
{
	pr_info("sparse-mm: expect-warning end %s\n", fn);
	if (!w->tp)
		return false;
	tracepoint_probe_unregister(w->tp, smm_warn_probe, w);
	tracepoint_synchronize_unregister();
	return READ_ONCE(w->seen);
}

#define SMM_EXPECT_WARN(test, fn, ...)					\
	do {								\
		const char *__smm_fn = (fn);				\
		struct smm_warn_watch __smm_w;				\
									\
		smm_expect_warn_begin(&__smm_w, __smm_fn);		\
		__VA_ARGS__;						\
		KUNIT_EXPECT_TRUE_MSG(test,				\
				      smm_expect_warn_end(&__smm_w, __smm_fn), \
				      "no WARNING from %s() was printed",	\
				      __smm_fn);			\
	} while (0)

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

/*
 * A kernel thread on another CPU that reads one word through a kernel
 * address when told to, spinning in between so that its TLB keeps what
 * it saw: after an unmap without a flush, a translation to the old page
 * may be left there.  The read has page faults disabled, as a kernel user
 * reading through an address it should no longer use might have.
 */
struct smm_reader {
	struct task_struct *task;
	void *addr;
	atomic_t cmd;		/* 1: read @addr now; back to 0 when done */
	int err;
	u64 val;
};

static inline int smm_reader_fn(void *data)
{
	struct smm_reader *r = data;

	while (!kthread_should_stop()) {
		if (atomic_read_acquire(&r->cmd) != 1) {
			/*
			 * Let ksoftirqd and RCU run here (preempt=none): a
			 * switch between kernel threads keeps the kernel's
			 * TLB entries, so the stale one survives it.
			 */
			cond_resched();
			cpu_relax();
			continue;
		}
		r->err = copy_from_kernel_nofault(&r->val, r->addr,
						  sizeof(r->val));
		atomic_set_release(&r->cmd, 0);
	}
	return 0;
}

/* The word at @addr as the reader's CPU sees it: 0, or -EFAULT. */
static inline int smm_remote_read(struct smm_reader *r, void *addr, u64 *val)
{
	r->addr = addr;
	atomic_set_release(&r->cmd, 1);
	while (atomic_read_acquire(&r->cmd))
		cpu_relax();
	*val = r->val;
	return r->err;
}

static inline int smm_reader_init(struct kunit_resource *res, void *context)
{
	res->data = context;
	return 0;
}

static inline void smm_reader_free(struct kunit_resource *res)
{
	struct smm_reader *r = res->data;

	kthread_stop(r->task);
}

/*
 * Pin the calling test to one CPU and start a reader on another, stopped
 * when the case ends, however it ends.
 */
static inline struct smm_reader *smm_reader_start(struct kunit *test)
{
	struct smm_reader *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	int self, other;

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_GE_MSG(test, num_online_cpus(), 2U,
			    "a second CPU is needed to hold a stale TLB entry");
	self = cpumask_first(cpu_online_mask);
	other = cpumask_next(self, cpu_online_mask);
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(self)),
			0);
	r->task = kthread_create(smm_reader_fn, r, "smm_reader/%d", other);
	KUNIT_ASSERT_FALSE(test, IS_ERR(r->task));
	kthread_bind(r->task, other);
	if (!kunit_alloc_resource(test, smm_reader_init, smm_reader_free,
				  GFP_KERNEL, r)) {
		kthread_stop(r->task);
		KUNIT_ASSERT_FAILURE(test, "no memory for the reader's resource");
	}
	wake_up_process(r->task);
	return r;
}

#endif /* _MM_SPARSE_MM_KUNIT_H */
