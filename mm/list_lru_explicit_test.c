// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for list_lru_add_node(), list_lru_del_node() and
 * list_lru_get_mru().
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <kunit/test.h>
#include <linux/list_lru.h>
#include <linux/mm.h>
#include <linux/nodemask.h>

#include "sparse_mm_kunit.h"

struct item {
	struct list_head lru;
	int id;
};

static struct list_lru *new_lru(struct kunit *test, bool memcg)
{
	struct list_lru *lru = kunit_kzalloc(test, sizeof(*lru), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, lru);
	KUNIT_ASSERT_EQ(test, memcg ? list_lru_init_memcg(lru, NULL) :
				      list_lru_init(lru), 0);
	return lru;
}

/* The last node with memory: differs from the first on a NUMA machine. */
static int other_node(void)
{
	int nid, last = first_memory_node;

	for_each_node_state(nid, N_MEMORY)
		last = nid;
	return last;
}

static void lru_explicit_add_get_mru(struct kunit *test)
{
	struct list_lru *lru = new_lru(test, false);
	int nid = other_node();
	struct item it[4];
	struct list_head *got;
	int i;

	for (i = 0; i < 4; i++) {
		INIT_LIST_HEAD(&it[i].lru);
		it[i].id = i;
	}
	/* The stack is on some node; the item goes where we say. */
	KUNIT_EXPECT_TRUE(test, list_lru_add_node(lru, &it[0].lru, nid));
	KUNIT_EXPECT_TRUE(test, list_lru_add_node(lru, &it[1].lru, nid));
	KUNIT_EXPECT_TRUE(test, list_lru_add_node(lru, &it[2].lru, nid));
	KUNIT_EXPECT_EQ(test, list_lru_count_node(lru, nid), 3UL);
	if (nid != first_memory_node)
		KUNIT_EXPECT_EQ(test, list_lru_count_node(lru, first_memory_node), 0UL);
	/* Already on a list: refused, count unchanged. */
	KUNIT_EXPECT_FALSE(test, list_lru_add_node(lru, &it[1].lru, nid));
	KUNIT_EXPECT_EQ(test, list_lru_count_node(lru, nid), 3UL);

	/* Most recently added first. */
	got = list_lru_get_mru(lru, nid);
	KUNIT_EXPECT_PTR_EQ(test, got, &it[2].lru);
	KUNIT_EXPECT_TRUE(test, list_empty(&it[2].lru));
	KUNIT_EXPECT_EQ(test, list_lru_count_node(lru, nid), 2UL);
	/* Re-added item becomes the MRU again. */
	KUNIT_EXPECT_TRUE(test, list_lru_add_node(lru, &it[2].lru, nid));
	KUNIT_EXPECT_PTR_EQ(test, list_lru_get_mru(lru, nid), &it[2].lru);
	KUNIT_EXPECT_PTR_EQ(test, list_lru_get_mru(lru, nid), &it[1].lru);
	KUNIT_EXPECT_PTR_EQ(test, list_lru_get_mru(lru, nid), &it[0].lru);
	KUNIT_EXPECT_NULL(test, list_lru_get_mru(lru, nid));
	KUNIT_EXPECT_EQ(test, list_lru_count(lru), 0UL);
	list_lru_destroy(lru);
}

static void lru_explicit_del(struct kunit *test)
{
	struct list_lru *lru = new_lru(test, false);
	int nid = other_node();
	struct item it[3];
	int i;

	for (i = 0; i < 3; i++) {
		INIT_LIST_HEAD(&it[i].lru);
		KUNIT_ASSERT_TRUE(test, list_lru_add_node(lru, &it[i].lru, nid));
	}
	KUNIT_EXPECT_TRUE(test, list_lru_del_node(lru, &it[1].lru, nid));
	KUNIT_EXPECT_TRUE(test, list_empty(&it[1].lru));
	/* Not on a list any more. */
	KUNIT_EXPECT_FALSE(test, list_lru_del_node(lru, &it[1].lru, nid));
	KUNIT_EXPECT_EQ(test, list_lru_count_node(lru, nid), 2UL);
	KUNIT_EXPECT_PTR_EQ(test, list_lru_get_mru(lru, nid), &it[2].lru);
	KUNIT_EXPECT_PTR_EQ(test, list_lru_get_mru(lru, nid), &it[0].lru);
	KUNIT_EXPECT_EQ(test, list_lru_count(lru), 0UL);
	list_lru_destroy(lru);
}

/* The explicit ops mix with list_lru_del() on the same list. */
static void lru_explicit_mixed(struct kunit *test)
{
	struct list_lru *lru = new_lru(test, false);
	struct item *it = kunit_kzalloc(test, sizeof(*it), GFP_KERNEL);
	int nid;

	KUNIT_ASSERT_NOT_NULL(test, it);
	nid = page_to_nid(virt_to_page(it));
	INIT_LIST_HEAD(&it->lru);
	KUNIT_EXPECT_TRUE(test, list_lru_add(lru, &it->lru));
	KUNIT_EXPECT_PTR_EQ(test, list_lru_get_mru(lru, nid), &it->lru);
	KUNIT_EXPECT_TRUE(test, list_lru_add_node(lru, &it->lru, nid));
	KUNIT_EXPECT_TRUE(test, list_lru_del(lru, &it->lru));
	KUNIT_EXPECT_EQ(test, list_lru_count(lru), 0UL);
	list_lru_destroy(lru);
}

static void lru_explicit_memcg_refused(struct kunit *test)
{
#ifdef CONFIG_MEMCG_KMEM
	struct list_lru *lru = new_lru(test, true);
	/* list_lru_add() finds the memcg from the item's slab page. */
	struct item *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	int nid;

	KUNIT_ASSERT_NOT_NULL(test, p);
	nid = page_to_nid(virt_to_page(p));
	INIT_LIST_HEAD(&p->lru);
	SMM_EXPECT_WARN(test, "list_lru_add_node",
			KUNIT_EXPECT_FALSE(test, list_lru_add_node(lru, &p->lru, nid)));
	/* One-time: a second refusal is silent. */
	KUNIT_EXPECT_FALSE(test, list_lru_add_node(lru, &p->lru, nid));
	KUNIT_EXPECT_TRUE(test, list_empty(&p->lru));

	SMM_EXPECT_WARN(test, "list_lru_get_mru",
			KUNIT_EXPECT_NULL(test, list_lru_get_mru(lru, nid)));

	/* A real item on the list: delete by node is still refused. */
	KUNIT_ASSERT_TRUE(test, list_lru_add(lru, &p->lru));
	SMM_EXPECT_WARN(test, "list_lru_del_node",
			KUNIT_EXPECT_FALSE(test, list_lru_del_node(lru, &p->lru, nid)));
	KUNIT_EXPECT_EQ(test, list_lru_count(lru), 1UL);
	KUNIT_EXPECT_TRUE(test, list_lru_del(lru, &p->lru));
	list_lru_destroy(lru);
#else
	kunit_skip(test, "needs CONFIG_MEMCG_KMEM for a memcg-aware list");
#endif
}

static struct kunit_case lru_explicit_cases[] = {
	KUNIT_CASE(lru_explicit_add_get_mru),
	KUNIT_CASE(lru_explicit_del),
	KUNIT_CASE(lru_explicit_mixed),
	KUNIT_CASE(lru_explicit_memcg_refused),
	{}
};

static struct kunit_suite lru_explicit_suite = {
	.name = "list_lru_explicit",
	.test_cases = lru_explicit_cases,
};

kunit_test_suites(&lru_explicit_suite);

MODULE_LICENSE("GPL");
