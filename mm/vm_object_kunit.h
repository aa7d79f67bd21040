/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fixture shared by the vm_object KUnit suites (vm_object_test.c and the
 * fault-injection module vm_object_fault_test.c).
 *
 * Copyright (C) 2026 The sparse-mm authors
 */
#ifndef _MM_VM_OBJECT_KUNIT_H
#define _MM_VM_OBJECT_KUNIT_H

#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/vm_object.h>

#define VO_FIRST	1000UL
#define VO_NR		8192UL
#define VO_PAGES	64

struct vo_ctx {
	struct vm_object *obj;
	struct page *pages[VO_PAGES];
	int refs[VO_PAGES];
};

static int vo_init(struct kunit *test)
{
	struct vo_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	int i;

	if (!c)
		return -ENOMEM;
	c->obj = vm_object_create(VO_FIRST, VO_NR, GFP_KERNEL);
	if (!c->obj)
		return -ENOMEM;
	for (i = 0; i < VO_PAGES; i++) {
		c->pages[i] = alloc_page(GFP_KERNEL);
		if (!c->pages[i])
			return -ENOMEM;
		c->refs[i] = page_ref_count(c->pages[i]);
	}
	test->priv = c;
	return 0;
}

static void vo_exit(struct kunit *test)
{
	struct vo_ctx *c = test->priv;
	int i;

	if (!c)
		return;
	vm_object_destroy(c->obj);
	for (i = 0; i < VO_PAGES; i++) {
		if (!c->pages[i])
			continue;
		/* Whatever the test did, destroy put every reference it took. */
		KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[i]), c->refs[i]);
		__free_page(c->pages[i]);
	}
}

static struct vm_object_entry vo_get(struct kunit *test, struct vm_object *obj,
				     unsigned long index)
{
	struct vm_object_entry e;

	KUNIT_EXPECT_EQ(test, vm_object_lookup(obj, index, &e), 0);
	return e;
}

#endif /* _MM_VM_OBJECT_KUNIT_H */
