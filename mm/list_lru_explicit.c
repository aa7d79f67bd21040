// SPDX-License-Identifier: GPL-2.0-only
/*
 * list_lru operations with an explicit node id, and taking the most
 * recently added item.
 *
 * list_lru_add() and list_lru_del() find the node from the item's own
 * address, which is right for objects that live in the memory they
 * describe (dentries, inodes).  A cache of free pages that links them
 * through struct page (page->lru) cannot use that: the struct page sits in
 * the memory map, whose node need not be the page's node, and linking
 * through the page contents instead would blind page-allocation debugging
 * (DEBUG_PAGEALLOC, KASAN) to the cached pages.  Such users name the node.
 *
 * These operations work on the per-node global lists only.  A memcg-aware
 * list keeps each item on its cgroup's list, found from the item's memory;
 * an explicit node cannot say which cgroup list, so they refuse such a
 * list with a one-time warning rather than corrupt its counts.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <linux/bug.h>
#include <linux/export.h>
#include <linux/list_lru.h>
#include <linux/spinlock.h>

static inline bool lru_is_memcg_aware(struct list_lru *lru)
{
#ifdef CONFIG_MEMCG_KMEM
	return lru->memcg_aware;
#else
	return false;
#endif
}

/**
 * list_lru_add_node() - add an item to the tail of one node's list
 * @lru: a list_lru that is not memcg-aware
 * @item: the item; must be initialised (INIT_LIST_HEAD) when not on a list
 * @nid: the node whose list receives the item
 *
 * Like list_lru_add(), but the caller names the node instead of letting
 * list_lru derive it from the address of @item.  If @item is already on a
 * list, nothing is done.
 *
 * Context: any context that may take a spinlock; the node lock is taken
 * without disabling interrupts, so all users of @lru must agree on the
 * context, as with list_lru_add().
 * Return: true if the item was added; false if it was already on a list
 * or @lru is memcg-aware (refused with a one-time warning).
 */
bool list_lru_add_node(struct list_lru *lru, struct list_head *item, int nid)
{
	struct list_lru_node *nlru;

	if (WARN_ONCE(lru_is_memcg_aware(lru),
		      "list_lru: explicit-node add on a memcg-aware list\n"))
		return false;
	nlru = &lru->node[nid];
	spin_lock(&nlru->lock);
	if (!list_empty(item)) {
		spin_unlock(&nlru->lock);
		return false;
	}
	list_add_tail(item, &nlru->lru.list);
	nlru->lru.nr_items++;
	nlru->nr_items++;
	spin_unlock(&nlru->lock);
	return true;
}
EXPORT_SYMBOL_GPL(list_lru_add_node);

/**
 * list_lru_del_node() - remove an item from one node's list
 * @lru: a list_lru that is not memcg-aware
 * @item: the item
 * @nid: the node whose list holds the item (the one it was added with)
 *
 * Context: as list_lru_add_node().
 * Return: true if the item was removed; false if it was on no list or
 * @lru is memcg-aware (refused with a one-time warning).
 */
bool list_lru_del_node(struct list_lru *lru, struct list_head *item, int nid)
{
	struct list_lru_node *nlru;

	if (WARN_ONCE(lru_is_memcg_aware(lru),
		      "list_lru: explicit-node delete on a memcg-aware list\n"))
		return false;
	nlru = &lru->node[nid];
	spin_lock(&nlru->lock);
	if (list_empty(item)) {
		spin_unlock(&nlru->lock);
		return false;
	}
	list_del_init(item);
	nlru->lru.nr_items--;
	nlru->nr_items--;
	spin_unlock(&nlru->lock);
	return true;
}
EXPORT_SYMBOL_GPL(list_lru_del_node);

/**
 * list_lru_get_mru() - take the most recently added item off a node's list
 * @lru: a list_lru that is not memcg-aware
 * @nid: the node
 *
 * Removes and returns the item added last to @nid's list (the tail: both
 * list_lru_add() and list_lru_add_node() add there), initialised so that
 * it can be added again.  Useful for caches, where the most recently
 * freed object is the one most likely still warm.
 *
 * Context: as list_lru_add_node().
 * Return: the item, or NULL if the list is empty or @lru is memcg-aware
 * (refused with a one-time warning).
 */
struct list_head *list_lru_get_mru(struct list_lru *lru, int nid)
{
	struct list_lru_node *nlru;
	struct list_head *item = NULL;

	if (WARN_ONCE(lru_is_memcg_aware(lru),
		      "list_lru: get-MRU on a memcg-aware list\n"))
		return NULL;
	nlru = &lru->node[nid];
	spin_lock(&nlru->lock);
	if (!list_empty(&nlru->lru.list)) {
		item = nlru->lru.list.prev;
		list_del_init(item);
		nlru->lru.nr_items--;
		nlru->nr_items--;
	}
	spin_unlock(&nlru->lock);
	return item;
}
EXPORT_SYMBOL_GPL(list_lru_get_mru);
