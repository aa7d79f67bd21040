// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for vm_object (mm/vm_object.c).
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/vm_object.h>

#include "sparse_mm_kunit.h"
#include "vm_object_kunit.h"

static void vo_create_and_bounds(struct kunit *test)
{
	struct vo_ctx *c = test->priv;
	struct vm_object_entry e;

	KUNIT_EXPECT_NULL(test, vm_object_create(0, 0, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, vm_object_create(ULONG_MAX, 2, GFP_KERNEL));
	e = vo_get(test, c->obj, VO_FIRST);
	KUNIT_EXPECT_EQ(test, e.state, VMO_NONE);
	KUNIT_EXPECT_FALSE(test, e.will_need);
	e = vo_get(test, c->obj, VO_FIRST + VO_NR - 1);
	KUNIT_EXPECT_EQ(test, e.state, VMO_NONE);
	KUNIT_EXPECT_EQ(test, vm_object_lookup(c->obj, VO_FIRST - 1, &e), -ERANGE);
	KUNIT_EXPECT_EQ(test, vm_object_lookup(c->obj, VO_FIRST + VO_NR, &e),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, vm_object_lookup(NULL, VO_FIRST, &e), -EINVAL);
	KUNIT_EXPECT_EQ(test, vm_object_set_page(c->obj, VO_FIRST + VO_NR,
						 c->pages[0], GFP_KERNEL),
			-ERANGE);
	/* A range that starts inside and runs past the end. */
	KUNIT_EXPECT_EQ(test, vm_object_set_pages(c->obj, VO_FIRST + VO_NR - 2,
						  4, c->pages, GFP_KERNEL),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, vm_object_clear(c->obj, VO_FIRST - 1, 2), -ERANGE);
	KUNIT_EXPECT_EQ(test, vm_object_clear(c->obj, VO_FIRST, ULONG_MAX),
			-ERANGE);
	/* Empty ranges are fine anywhere inside. */
	KUNIT_EXPECT_EQ(test, vm_object_set_pages(c->obj, VO_FIRST, 0, NULL,
						  GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, vm_object_nr_pages(c->obj, VMO_CPU), 0UL);
	KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[0]), c->refs[0]);
}

static void vo_cpu_page_refs(struct kunit *test)
{
	struct vo_ctx *c = test->priv;
	unsigned long i = VO_FIRST + 5;
	struct vm_object_entry e;
	struct page *got;

	KUNIT_ASSERT_EQ(test, vm_object_set_page(c->obj, i, c->pages[0],
						 GFP_KERNEL), 0);
	e = vo_get(test, c->obj, i);
	KUNIT_EXPECT_EQ(test, e.state, VMO_CPU);
	KUNIT_EXPECT_PTR_EQ(test, e.page, c->pages[0]);
	KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[0]), c->refs[0] + 1);

	got = vm_object_get_page(c->obj, i);
	KUNIT_EXPECT_PTR_EQ(test, got, c->pages[0]);
	KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[0]), c->refs[0] + 2);
	put_page(got);
	KUNIT_EXPECT_NULL(test, vm_object_get_page(c->obj, i + 1));

	/* Replacing puts the old page and takes the new one. */
	KUNIT_ASSERT_EQ(test, vm_object_set_page(c->obj, i, c->pages[1],
						 GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[0]), c->refs[0]);
	KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[1]), c->refs[1] + 1);
	/* Setting the same page again changes nothing. */
	KUNIT_ASSERT_EQ(test, vm_object_set_page(c->obj, i, c->pages[1],
						 GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[1]), c->refs[1] + 1);
	KUNIT_EXPECT_EQ(test, vm_object_nr_pages(c->obj, VMO_CPU), 1UL);

	KUNIT_ASSERT_EQ(test, vm_object_set_none(c->obj, i, 1), 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[1]), c->refs[1]);
	KUNIT_EXPECT_EQ(test, vo_get(test, c->obj, i).state, VMO_NONE);
	KUNIT_EXPECT_EQ(test, vm_object_nr_pages(c->obj, VMO_CPU), 0UL);
}

/*
 * Watchdog for vo_compound_tail: if vm_object_get_page() still spins after
 * VO_SPIN_LIMIT_MS, give the tail page a reference count of its own so that
 * the spin ends and the test can fail instead of stalling RCU for good.
 */
#define VO_SPIN_LIMIT_MS	2000

struct vo_spin_watch {
	struct hrtimer timer;
	struct page *tail;
	bool fired;
};

static enum hrtimer_restart vo_spin_rescue(struct hrtimer *t)
{
	struct vo_spin_watch *w = container_of(t, struct vo_spin_watch, timer);

	WRITE_ONCE(w->fired, true);
	set_page_count(w->tail, 1);
	return HRTIMER_NORESTART;
}

/*
 * A tail page of a compound page has no reference count of its own (it is
 * 0; references go to the folio), yet it is a valid page to record.
 * vm_object_get_page() must return it, holding a reference on its folio,
 * in bounded time.
 */
static void vo_compound_tail(struct kunit *test)
{
	struct vo_ctx *c = test->priv;
	unsigned long i = VO_FIRST + 9;
	struct vo_spin_watch w = { };
	struct page *head, *tail, *got;
	struct folio *folio;
	int refs;

	head = alloc_pages(GFP_KERNEL | __GFP_COMP, 2);
	KUNIT_ASSERT_NOT_NULL(test, head);
	tail = head + 1;
	folio = page_folio(tail);
	KUNIT_ASSERT_PTR_EQ(test, &folio->page, head);
	KUNIT_ASSERT_EQ(test, page_ref_count(tail), 0);
	refs = folio_ref_count(folio);

	KUNIT_ASSERT_EQ(test, vm_object_set_page(c->obj, i, tail, GFP_KERNEL),
			0);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), refs + 1);
	KUNIT_EXPECT_PTR_EQ(test, vo_get(test, c->obj, i).page, tail);

	w.tail = tail;
	hrtimer_init_on_stack(&w.timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	w.timer.function = vo_spin_rescue;
	hrtimer_start(&w.timer, ms_to_ktime(VO_SPIN_LIMIT_MS),
		      HRTIMER_MODE_REL);
	got = vm_object_get_page(c->obj, i);
	hrtimer_cancel(&w.timer);
	destroy_hrtimer_on_stack(&w.timer);
	if (READ_ONCE(w.fired)) {
		KUNIT_FAIL(test, "vm_object_get_page() spun %d ms on a tail page",
			   VO_SPIN_LIMIT_MS);
		/* It took its reference on the tail: give the tail its 0 back. */
		set_page_count(tail, 0);
		got = NULL;
	}
	KUNIT_EXPECT_PTR_EQ(test, got, tail);
	KUNIT_EXPECT_EQ(test, page_ref_count(tail), 0);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), refs + (got ? 2 : 1));
	if (got)
		put_page(got);

	KUNIT_EXPECT_EQ(test, vm_object_clear(c->obj, i, 1), 0);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), refs);
	__free_pages(head, 2);
}

static void vo_range_set_clear(struct kunit *test)
{
	struct vo_ctx *c = test->priv;
	unsigned long base = VO_FIRST + 60;	/* straddles 64-slot nodes */
	size_t empty = vm_object_memory(c->obj);
	struct page *saved;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, vm_object_set_pages(c->obj, base, VO_PAGES,
						  c->pages, GFP_KERNEL), 0);
	for (i = 0; i < VO_PAGES; i++) {
		KUNIT_EXPECT_PTR_EQ(test, vo_get(test, c->obj, base + i).page,
				    c->pages[i]);
		KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[i]),
				c->refs[i] + 1);
	}
	KUNIT_EXPECT_EQ(test, vo_get(test, c->obj, base - 1).state, VMO_NONE);
	KUNIT_EXPECT_EQ(test, vo_get(test, c->obj, base + VO_PAGES).state,
			VMO_NONE);
	KUNIT_EXPECT_EQ(test, vm_object_nr_pages(c->obj, VMO_CPU),
			(unsigned long)VO_PAGES);

	/* Clear the middle half; the ends keep their pages. */
	KUNIT_ASSERT_EQ(test, vm_object_clear(c->obj, base + 16, 32), 0);
	for (i = 0; i < VO_PAGES; i++) {
		bool cleared = i >= 16 && i < 48;

		KUNIT_EXPECT_EQ(test, vo_get(test, c->obj, base + i).state,
				cleared ? VMO_NONE : VMO_CPU);
		KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[i]),
				c->refs[i] + !cleared);
	}
	KUNIT_ASSERT_EQ(test, vm_object_clear(c->obj, VO_FIRST, VO_NR), 0);
	for (i = 0; i < VO_PAGES; i++)
		KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[i]), c->refs[i]);
	/* Clearing frees the index nodes again. */
	KUNIT_EXPECT_EQ(test, vm_object_memory(c->obj), empty);

	/* NULL pages: refused before anything changes. */
	saved = c->pages[7];
	c->pages[7] = NULL;
	KUNIT_EXPECT_EQ(test, vm_object_set_pages(c->obj, base, VO_PAGES,
						  c->pages, GFP_KERNEL), -EINVAL);
	c->pages[7] = saved;
	KUNIT_EXPECT_EQ(test, vm_object_set_pages(c->obj, base, 1, NULL,
						  GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, vm_object_nr_pages(c->obj, VMO_CPU), 0UL);
	for (i = 0; i < VO_PAGES; i++)
		KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[i]), c->refs[i]);
}

static void vo_device_entries(struct kunit *test)
{
	struct vo_ctx *c = test->priv;
	static int devs[VM_OBJECT_MAX_DEVICES + 1];
	struct vm_object_entry e;
	unsigned long i;

	KUNIT_ASSERT_EQ(test, vm_object_set_device(c->obj, VO_FIRST + 10, 100,
						   &devs[0], 0x1000, GFP_KERNEL),
			0);
	for (i = 0; i < 100; i++) {
		e = vo_get(test, c->obj, VO_FIRST + 10 + i);
		KUNIT_EXPECT_EQ(test, e.state, VMO_DEVICE);
		KUNIT_EXPECT_PTR_EQ(test, e.dev, (void *)&devs[0]);
		KUNIT_EXPECT_EQ(test, e.dev_pfn, 0x1000 + i);
	}
	KUNIT_EXPECT_EQ(test, vm_object_nr_pages(c->obj, VMO_DEVICE), 100UL);

	/* A CPU page replaced by a device page is put. */
	KUNIT_ASSERT_EQ(test, vm_object_set_page(c->obj, VO_FIRST + 200,
						 c->pages[0], GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, vm_object_set_device(c->obj, VO_FIRST + 200, 1,
						   &devs[1], 7, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[0]), c->refs[0]);
	KUNIT_EXPECT_PTR_EQ(test, vo_get(test, c->obj, VO_FIRST + 200).dev,
			    (void *)&devs[1]);

	/* The device table holds 16 handles; the 17th is refused. */
	for (i = 2; i < VM_OBJECT_MAX_DEVICES; i++)
		KUNIT_ASSERT_EQ(test, vm_object_set_device(c->obj, VO_FIRST + 300 + i,
							   1, &devs[i], i,
							   GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, vm_object_set_device(c->obj, VO_FIRST + 400, 1,
						   &devs[VM_OBJECT_MAX_DEVICES],
						   1, GFP_KERNEL), -ENOSPC);
	KUNIT_EXPECT_EQ(test, vo_get(test, c->obj, VO_FIRST + 400).state,
			VMO_NONE);
	/* A known handle still works. */
	KUNIT_EXPECT_EQ(test, vm_object_set_device(c->obj, VO_FIRST + 400, 1,
						   &devs[3], 1, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, vm_object_set_device(c->obj, VO_FIRST, 1, NULL,
						   1, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, vm_object_set_device(c->obj, VO_FIRST, 2,
						   &devs[0], LONG_MAX, GFP_KERNEL),
			-EINVAL);
}

static void vo_will_need(struct kunit *test)
{
	struct vo_ctx *c = test->priv;
	size_t empty = vm_object_memory(c->obj);
	struct vm_object_entry e;

	KUNIT_ASSERT_EQ(test, vm_object_set_will_need(c->obj, VO_FIRST, 10,
						      true, GFP_KERNEL), 0);
	e = vo_get(test, c->obj, VO_FIRST + 3);
	KUNIT_EXPECT_EQ(test, e.state, VMO_NONE);
	KUNIT_EXPECT_TRUE(test, e.will_need);
	KUNIT_EXPECT_FALSE(test, vo_get(test, c->obj, VO_FIRST + 10).will_need);

	/* A page set over a hint keeps the hint; set_none keeps it too. */
	KUNIT_ASSERT_EQ(test, vm_object_set_page(c->obj, VO_FIRST + 3,
						 c->pages[0], GFP_KERNEL), 0);
	e = vo_get(test, c->obj, VO_FIRST + 3);
	KUNIT_EXPECT_EQ(test, e.state, VMO_CPU);
	KUNIT_EXPECT_TRUE(test, e.will_need);
	KUNIT_ASSERT_EQ(test, vm_object_set_none(c->obj, VO_FIRST + 3, 1), 0);
	e = vo_get(test, c->obj, VO_FIRST + 3);
	KUNIT_EXPECT_EQ(test, e.state, VMO_NONE);
	KUNIT_EXPECT_TRUE(test, e.will_need);

	/* Clearing the hint of a page that is mapped keeps the page. */
	KUNIT_ASSERT_EQ(test, vm_object_set_page(c->obj, VO_FIRST + 4,
						 c->pages[1], GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, vm_object_set_will_need(c->obj, VO_FIRST, 10,
						      false, GFP_KERNEL), 0);
	e = vo_get(test, c->obj, VO_FIRST + 4);
	KUNIT_EXPECT_EQ(test, e.state, VMO_CPU);
	KUNIT_EXPECT_FALSE(test, e.will_need);
	KUNIT_EXPECT_FALSE(test, vo_get(test, c->obj, VO_FIRST + 3).will_need);
	KUNIT_ASSERT_EQ(test, vm_object_clear(c->obj, VO_FIRST, 10), 0);
	KUNIT_EXPECT_EQ(test, vm_object_memory(c->obj), empty);
}

struct vo_visit {
	unsigned long idx[16];
	int n;
	int stop_after;
};

static int vo_visit_fn(unsigned long index, const struct vm_object_entry *e,
		       void *data)
{
	struct vo_visit *v = data;

	if (v->n < ARRAY_SIZE(v->idx))
		v->idx[v->n] = index;
	v->n++;
	return v->stop_after && v->n == v->stop_after ? 42 : 0;
}

static void vo_iteration(struct kunit *test)
{
	struct vo_ctx *c = test->priv;
	const unsigned long last = VO_FIRST + VO_NR - 1;
	const unsigned long want[] = { VO_FIRST, VO_FIRST + 63, VO_FIRST + 64,
				       VO_FIRST + 4000, last };
	struct vo_visit v = {};
	unsigned int i;

	/* Set in reverse order: iteration must still be in index order. */
	for (i = ARRAY_SIZE(want); i-- > 0; )
		KUNIT_ASSERT_EQ(test, vm_object_set_page(c->obj, want[i],
							 c->pages[i], GFP_KERNEL),
				0);
	KUNIT_ASSERT_EQ(test, vm_object_for_each(c->obj, VO_FIRST, last,
						 vo_visit_fn, &v), 0);
	KUNIT_ASSERT_EQ(test, v.n, (int)ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want); i++)
		KUNIT_EXPECT_EQ(test, v.idx[i], want[i]);

	/* Bounds are inclusive on both ends. */
	memset(&v, 0, sizeof(v));
	vm_object_for_each(c->obj, VO_FIRST + 63, VO_FIRST + 64, vo_visit_fn, &v);
	KUNIT_EXPECT_EQ(test, v.n, 2);
	memset(&v, 0, sizeof(v));
	vm_object_for_each(c->obj, last, last, vo_visit_fn, &v);
	KUNIT_EXPECT_EQ(test, v.n, 1);
	/* An empty stretch visits nothing. */
	memset(&v, 0, sizeof(v));
	vm_object_for_each(c->obj, VO_FIRST + 65, VO_FIRST + 3999, vo_visit_fn,
			   &v);
	KUNIT_EXPECT_EQ(test, v.n, 0);
	/* A callback can stop the walk; its value comes back. */
	memset(&v, 0, sizeof(v));
	v.stop_after = 2;
	KUNIT_EXPECT_EQ(test, vm_object_for_each(c->obj, VO_FIRST, last,
						 vo_visit_fn, &v), 42);
	KUNIT_EXPECT_EQ(test, v.n, 2);

	KUNIT_EXPECT_EQ(test, vm_object_for_each(c->obj, VO_FIRST + 5, VO_FIRST,
						 vo_visit_fn, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, vm_object_for_each(c->obj, VO_FIRST, last + 1,
						 vo_visit_fn, &v), -ERANGE);
}

/* Dense CPU pages must cost at most 16 bytes each; report sparse too. */
static void vo_memory_per_page(struct kunit *test)
{
	const unsigned long nr = 4096;
	struct vm_object *dense = vm_object_create(0, nr * 64, GFP_KERNEL);
	struct vm_object *sparse = vm_object_create(0, nr * 64, GFP_KERNEL);
	struct page *page = alloc_page(GFP_KERNEL);
	size_t md, ms;
	unsigned long i;

	KUNIT_ASSERT_NOT_NULL(test, dense);
	KUNIT_ASSERT_NOT_NULL(test, sparse);
	KUNIT_ASSERT_NOT_NULL(test, page);
	for (i = 0; i < nr; i++) {
		KUNIT_ASSERT_EQ(test, vm_object_set_page(dense, i, page,
							 GFP_KERNEL), 0);
		KUNIT_ASSERT_EQ(test, vm_object_set_page(sparse, i * 64, page,
							 GFP_KERNEL), 0);
	}
	md = vm_object_memory(dense);
	ms = vm_object_memory(sparse);
	kunit_info(test, "memory per tracked page: dense %zu.%02zu bytes, sparse (1 in 64) %zu.%02zu bytes\n",
		   md / nr, (md % nr) * 100 / nr, ms / nr, (ms % nr) * 100 / nr);
	KUNIT_EXPECT_LE(test, md, 16 * nr);
	vm_object_destroy(dense);
	vm_object_destroy(sparse);
	/* Both objects put their 4096 references each. */
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);
	__free_page(page);
}

struct vo_reader {
	struct vm_object *obj;
	struct page *a, *b;
	unsigned long first, nr;
	bool stop;
	unsigned long lookups, bad;
	struct completion done;
};

static int vo_reader_fn(void *data)
{
	struct vo_reader *r = data;
	unsigned long i = 0;

	while (!READ_ONCE(r->stop)) {
		unsigned long idx = r->first + (i++ % r->nr);
		struct vm_object_entry e;
		struct page *p;

		if (vm_object_lookup(r->obj, idx, &e) ||
		    (e.state == VMO_CPU && e.page != r->a && e.page != r->b) ||
		    e.state == VMO_DEVICE)
			r->bad++;
		p = vm_object_get_page(r->obj, idx);
		if (p) {
			if (p != r->a && p != r->b)
				r->bad++;
			put_page(p);
		}
		r->lookups++;
		if (!(i & 255))
			cond_resched();
	}
	complete(&r->done);
	return 0;
}

/* Lockless lookups from one thread while another rewrites the range. */
static void vo_concurrent_lookups(struct kunit *test)
{
	struct vo_ctx *c = test->priv;
	struct page **pa, **pb;
	struct vo_reader r = { .obj = c->obj, .a = c->pages[0],
			       .b = c->pages[1], .first = VO_FIRST, .nr = 512 };
	struct task_struct *t;
	unsigned int i, round;

	pa = kunit_kcalloc(test, r.nr, sizeof(*pa), GFP_KERNEL);
	pb = kunit_kcalloc(test, r.nr, sizeof(*pb), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pa);
	KUNIT_ASSERT_NOT_NULL(test, pb);
	for (i = 0; i < r.nr; i++) {
		pa[i] = r.a;
		pb[i] = r.b;
	}
	init_completion(&r.done);
	t = kthread_run(vo_reader_fn, &r, "vo_reader");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	for (round = 0; round < 200; round++) {
		KUNIT_ASSERT_EQ(test, vm_object_set_pages(c->obj, VO_FIRST, r.nr,
							  round & 1 ? pa : pb,
							  GFP_KERNEL), 0);
		if (round % 3 == 0)
			KUNIT_ASSERT_EQ(test, vm_object_clear(c->obj, VO_FIRST,
							      r.nr), 0);
		cond_resched();
	}
	WRITE_ONCE(r.stop, true);
	wait_for_completion(&r.done);
	kunit_info(test, "%lu lookups during 200 rewrites\n", r.lookups);
	KUNIT_EXPECT_EQ(test, r.bad, 0UL);
	KUNIT_EXPECT_GT(test, r.lookups, 0UL);
	KUNIT_ASSERT_EQ(test, vm_object_clear(c->obj, VO_FIRST, r.nr), 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(r.a), c->refs[0]);
	KUNIT_EXPECT_EQ(test, page_ref_count(r.b), c->refs[1]);
}

/* The per-process object: created on first use, released with the mm. */
static void vo_per_mm(struct kunit *test)
{
	struct vo_ctx *c = test->priv;
	struct mm_struct *mm = mm_alloc();
	struct vm_object *obj;

	KUNIT_ASSERT_NOT_NULL(test, mm);
	KUNIT_EXPECT_NULL(test, mm_vm_object_peek(mm));
	obj = mm_vm_object(mm);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_EXPECT_PTR_EQ(test, mm_vm_object(mm), obj);
	KUNIT_EXPECT_PTR_EQ(test, mm_vm_object_peek(mm), obj);
	/* Keyed by virtual page number over the user address range. */
	KUNIT_ASSERT_EQ(test, vm_object_set_page(obj, 0x400000UL >> PAGE_SHIFT,
						 c->pages[0], GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, vm_object_set_page(obj,
						 (TASK_SIZE_MAX >> PAGE_SHIFT) - 1,
						 c->pages[1], GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[0]), c->refs[0] + 1);
	mmput(mm);
	/* Tearing the address space down put both references. */
	KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[0]), c->refs[0]);
	KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[1]), c->refs[1]);

	/* A fresh address space starts without an object. */
	mm = mm_alloc();
	KUNIT_ASSERT_NOT_NULL(test, mm);
	KUNIT_EXPECT_NULL(test, mm_vm_object_peek(mm));
	mmput(mm);
}

struct vo_fork {
	struct mm_struct *parent_mm;
	bool has_mm, own_mm, no_object;
};

/* Runs in a child cloned without CLONE_VM: its mm came from dup_mm(). */
static int vo_fork_child(void *data)
{
	struct vo_fork *f = data;

	f->has_mm = current->mm;
	f->own_mm = current->mm && current->mm != f->parent_mm;
	f->no_object = current->mm && !mm_vm_object_peek(current->mm);
	do_exit(0);
}

/*
 * fork(): the child's address space is a copy of the parent's, but it
 * starts without a vm_object; the parent's keeps its entries and
 * references, and the child's exit leaks nothing.
 */
static void vo_fork_child_starts_without(struct kunit *test)
{
	struct vo_ctx *c = test->priv;
	struct mm_struct *mm = smm_kunit_use_new_mm();
	struct vo_fork f = {};
	/* Like fork(): no CLONE_VM, so the child gets dup_mm()'s copy. */
	struct kernel_clone_args args = {
		.flags		= CLONE_UNTRACED,
		.exit_signal	= SIGCHLD,
		.fn		= vo_fork_child,
		.fn_arg		= &f,
		.kthread	= 1,
	};
	struct vm_object *obj;
	unsigned long addr;
	int status = 0;		/* kernel_wait() writes only a non-zero one */
	pid_t pid;

	KUNIT_ASSERT_NOT_NULL(test, mm);
	addr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	KUNIT_EXPECT_FALSE(test, IS_ERR_VALUE(addr));
	obj = mm_vm_object(mm);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_ASSERT_EQ(test, vm_object_set_page(obj, addr >> PAGE_SHIFT,
						 c->pages[0], GFP_KERNEL), 0);

	f.parent_mm = mm;
	/* Kernel threads ignore SIGCHLD, which would auto-reap the child. */
	kernel_sigaction(SIGCHLD, SIG_DFL);
	pid = kernel_clone(&args);
	if (pid > 0)
		KUNIT_EXPECT_EQ(test, kernel_wait(pid, &status), pid);
	kernel_sigaction(SIGCHLD, SIG_IGN);
	KUNIT_ASSERT_GT(test, pid, 0);
	KUNIT_EXPECT_EQ(test, status, 0);
	KUNIT_EXPECT_TRUE(test, f.has_mm);
	KUNIT_EXPECT_TRUE(test, f.own_mm);
	KUNIT_EXPECT_TRUE(test, f.no_object);

	/* The parent's object is untouched by the copy and by its exit. */
	KUNIT_EXPECT_PTR_EQ(test, mm_vm_object_peek(mm), obj);
	KUNIT_EXPECT_PTR_EQ(test, vm_object_get_page(obj, addr >> PAGE_SHIFT),
			    c->pages[0]);
	put_page(c->pages[0]);
	KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[0]), c->refs[0] + 1);
	smm_kunit_drop_mm(mm);
	KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[0]), c->refs[0]);
}

/*
 * Dropping entries over a huge, nearly empty range costs what the object
 * holds, not the range: the first version visited every index of it with
 * interrupts off (2^26 indices here, 2^35 for a per-process object).
 */
#define VO_HUGE		BIT(26)

static void vo_clear_huge_range_bounded(struct kunit *test)
{
	struct vo_ctx *c = test->priv;
	struct vm_object *obj = vm_object_create(0, VO_HUGE, GFP_KERNEL);
	struct smm_latency lat;
	struct vm_object_entry e;
	s64 none_ns, clear_ns;

	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_ASSERT_EQ(test, vm_object_set_page(obj, 0, c->pages[0],
						 GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, vm_object_set_page(obj, VO_HUGE - 1, c->pages[1],
						 GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, vm_object_set_will_need(obj, VO_HUGE / 2, 1,
						      true, GFP_KERNEL), 0);

	migrate_disable();
	smm_latency_start(&lat);
	KUNIT_EXPECT_EQ(test, vm_object_set_none(obj, 0, VO_HUGE), 0);
	none_ns = smm_latency_stop(&lat);
	smm_latency_start(&lat);
	KUNIT_EXPECT_EQ(test, vm_object_clear(obj, 0, VO_HUGE), 0);
	clear_ns = smm_latency_stop(&lat);
	migrate_enable();

	/* set_none dropped the pages; clear dropped the hint too. */
	KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[0]), c->refs[0]);
	KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[1]), c->refs[1]);
	e = vo_get(test, obj, VO_HUGE / 2);
	KUNIT_EXPECT_EQ(test, e.state, VMO_NONE);
	KUNIT_EXPECT_FALSE(test, e.will_need);
	KUNIT_EXPECT_EQ(test, vm_object_nr_pages(obj, VMO_CPU), 0UL);
	kunit_info(test, "# bench: vm_object_drop_2^26_range max_timer_late_us set_none=%lld clear=%lld\n",
		   none_ns / 1000, clear_ns / 1000);
	/* Generous for TCG; visiting 2^26 indices took far longer. */
	KUNIT_EXPECT_LT(test, none_ns, 100LL * NSEC_PER_MSEC);
	KUNIT_EXPECT_LT(test, clear_ns, 100LL * NSEC_PER_MSEC);
	vm_object_destroy(obj);
}

static struct kunit_case vm_object_cases[] = {
	KUNIT_CASE(vo_create_and_bounds),
	KUNIT_CASE(vo_cpu_page_refs),
	KUNIT_CASE(vo_compound_tail),
	KUNIT_CASE(vo_range_set_clear),
	KUNIT_CASE(vo_device_entries),
	KUNIT_CASE(vo_will_need),
	KUNIT_CASE(vo_iteration),
	KUNIT_CASE(vo_memory_per_page),
	KUNIT_CASE(vo_concurrent_lookups),
	KUNIT_CASE(vo_per_mm),
	KUNIT_CASE(vo_fork_child_starts_without),
	KUNIT_CASE(vo_clear_huge_range_bounded),
	{}
};

static struct kunit_suite vm_object_suite = {
	.name = "vm_object",
	.init = vo_init,
	.exit = vo_exit,
	.test_cases = vm_object_cases,
};

kunit_test_suites(&vm_object_suite);

MODULE_DESCRIPTION("KUnit tests for vm_object");
MODULE_LICENSE("GPL");
