// SPDX-License-Identifier: GPL-2.0-only
/*
 * vm_object: an arch-independent logical page table.
 *
 * A vm_object records, for each virtual page of a range of page indexes,
 * where that page is mapped: a CPU page, a device page (an opaque device
 * handle and a pfn in the device's space) or nothing yet, plus a will-need
 * hint.  It keeps this state out of the architecture's page tables, so a
 * device with its own MMU, or an arena shared with user space, can track
 * its pages without encoding them in PTEs.
 *
 * Storage is one xarray slot per tracked page:
 *
 *  - a CPU page is stored as its struct page pointer, with bit 2 set when
 *    the page carries the will-need hint (struct pages are at least 8-byte
 *    aligned, and the xarray itself only looks at the low two bits);
 *  - a device page is a value entry: the pfn, a hint bit, and the index of
 *    the device handle in a small per-object table (append-only, so an
 *    index never changes meaning);
 *  - "none, but will be needed" is a value entry with only the hint bit.
 *
 * Keeping the hint in the entry makes a lookup a single xarray load.
 *
 * Dense CPU pages therefore cost one 8-byte slot plus 1/64 of a 576-byte
 * xa_node each, about 9 bytes, with no per-entry allocation.
 *
 * Locking: updates run under the xarray's spinlock, taken with interrupts
 * disabled so that every function documented as usable in any context
 * really is, hard interrupts included; lookups and iteration
 * run under RCU.  A range update first makes sure every empty slot in the
 * range has a node to live in (reserving one slot per missing 64-slot
 * node), then stores every entry in one pass that cannot fail, in the same
 * lock hold.  If memory runs out in the first phase, the reservations are
 * withdrawn and the object is exactly as it was.  Updates that only drop
 * entries or hints (set_none, clear, clearing hints) visit only the
 * entries present, never the empty indices of the range, and drop the lock
 * every %VMO_BATCH entries: their cost with interrupts off follows what
 * the object holds, not the range a caller names.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/slab.h>
#include <linux/vm_object.h>
#include <linux/xarray.h>

#ifdef TASK_SIZE_MAX
#define VMO_MM_PAGES		(TASK_SIZE_MAX >> PAGE_SHIFT)
#else
#define VMO_MM_PAGES		(TASK_SIZE >> PAGE_SHIFT)
#endif

/* Entries a dropping update handles per hold of the lock. */
#define VMO_BATCH		256

/* On-stack bitmap of reserved nodes covers this many 64-slot chunks. */
#define VMO_STACK_CHUNKS	(4 * BITS_PER_LONG)

enum vmo_op {
	VMO_OP_PAGES,
	VMO_OP_DEVICE,
	VMO_OP_NONE,
	VMO_OP_CLEAR,
	VMO_OP_HINT_SET,
	VMO_OP_HINT_CLEAR,
};

struct vmo_update {
	enum vmo_op op;
	unsigned long index;
	unsigned long last;
	struct page **pages;
	unsigned long dev_id;
	unsigned long dev_pfn;
};

/* "None, but will be needed". */
static void *vmo_placeholder(void)
{
	return xa_mk_value(__VMO_VAL_HINT);
}

static bool vmo_is_placeholder(void *entry)
{
	return entry == vmo_placeholder();
}

static enum vm_object_state vmo_state(void *entry)
{
	if (!entry || xa_is_zero(entry) || vmo_is_placeholder(entry))
		return VMO_NONE;
	if (xa_is_value(entry))
		return VMO_DEVICE;
	return VMO_CPU;
}

static bool vmo_hinted(void *entry)
{
	if (!entry || xa_is_zero(entry))
		return false;
	if (xa_is_value(entry))
		return xa_to_value(entry) & __VMO_VAL_HINT;
	return (unsigned long)entry & __VMO_PTR_HINT;
}

/* @entry with the hint set or cleared; NULL for a hint-less "none". */
static void *vmo_with_hint(void *entry, bool hint)
{
	unsigned long v;

	if (!entry || xa_is_zero(entry) || vmo_is_placeholder(entry))
		return hint ? vmo_placeholder() : NULL;
	if (xa_is_value(entry)) {
		v = xa_to_value(entry) & ~__VMO_VAL_HINT;
		return xa_mk_value(v | (hint ? __VMO_VAL_HINT : 0));
	}
	return (void *)((unsigned long)__vm_object_page(entry) |
			(hint ? __VMO_PTR_HINT : 0));
}

static int vmo_check(struct vm_object *obj, unsigned long index,
		     unsigned long nr, unsigned long *last)
{
	if (!obj)
		return -EINVAL;
	if (!nr)
		return 0;
	if (index < obj->first || index > obj->last ||
	    nr - 1 > obj->last - index)
		return -ERANGE;
	*last = index + nr - 1;
	return 0;
}

/**
 * vm_object_create - create a standalone vm_object
 * @first: first page index the object covers
 * @nr: number of page indexes it covers, at least 1
 * @gfp: allocation flags for the object itself; with %__GFP_ACCOUNT the
 *	internal nodes of its index are charged too, to the memory cgroup
 *	active when each is allocated (see set_active_memcg())
 *
 * Context: Any context if @gfp allows it.
 * Return: the object with every page in state %VMO_NONE, or %NULL if @nr
 * is 0, @first + @nr overflows, or memory ran out.
 */
struct vm_object *vm_object_create(unsigned long first, unsigned long nr,
				   gfp_t gfp)
{
	struct vm_object *obj;

	if (!nr || first + (nr - 1) < first)
		return NULL;
	obj = kzalloc(sizeof(*obj), gfp);
	if (!obj)
		return NULL;
	xa_init_flags(&obj->xa, XA_FLAGS_LOCK_IRQ |
		      (gfp & __GFP_ACCOUNT ? XA_FLAGS_ACCOUNT : 0));
	obj->first = first;
	obj->last = first + (nr - 1);
	return obj;
}
EXPORT_SYMBOL_GPL(vm_object_create);

/**
 * vm_object_destroy - drop every entry and free the object
 * @obj: the object, or %NULL
 *
 * Puts the reference held on each recorded CPU page exactly once.  The
 * caller guarantees that nobody else uses @obj any more.
 *
 * Context: Process context; may sleep.
 */
void vm_object_destroy(struct vm_object *obj)
{
	unsigned long index;
	void *entry;

	if (!obj)
		return;
	might_sleep();
	xa_for_each(&obj->xa, index, entry) {
		if (vmo_state(entry) == VMO_CPU)
			put_page(__vm_object_page(entry));
		cond_resched();
	}
	xa_destroy(&obj->xa);
	kfree(obj);
}
EXPORT_SYMBOL_GPL(vm_object_destroy);

/**
 * vm_object_get_page - get a reference on the CPU page at @index
 * @obj: the object
 * @index: the page index
 *
 * The reference is taken on the page's folio, as get_page() does, so the
 * recorded page may be any page of a large folio, tail pages included
 * (whose own reference count is always zero); put_page() on the returned
 * page drops it.
 *
 * Context: Any context.
 * Return: the page with an extra reference the caller must put, or %NULL
 * if @index is outside the object or not in state %VMO_CPU.
 */
struct page *vm_object_get_page(struct vm_object *obj, unsigned long index)
{
	XA_STATE(xas, obj ? &obj->xa : NULL, index);
	struct folio *folio;
	struct page *page;
	void *e;

	if (!obj || index < obj->first || index > obj->last)
		return NULL;
	rcu_read_lock();
repeat:
	/* Walk from the root again: the node we read may be gone. */
	xas_reset(&xas);
	e = xas_load(&xas);
	if (xas_retry(&xas, e))
		goto repeat;
	page = NULL;
	if (vmo_state(e) == VMO_CPU) {
		page = __vm_object_page(e);
		folio = page_folio(page);
		/*
		 * The entry holds a reference on the folio, so a zero count
		 * means the entry changed under us: look again.
		 */
		if (!folio_try_get_rcu(folio))
			goto repeat;
		if (unlikely(page_folio(page) != folio ||
			     xas_reload(&xas) != e)) {
			folio_put(folio);
			goto repeat;
		}
	}
	rcu_read_unlock();
	return page;
}
EXPORT_SYMBOL_GPL(vm_object_get_page);

static bool vmo_op_allocates(enum vmo_op op)
{
	return op == VMO_OP_PAGES || op == VMO_OP_DEVICE ||
	       op == VMO_OP_HINT_SET;
}

/*
 * Phase 1: give every 64-slot chunk of the range that holds an empty slot
 * a leaf node, by reserving one slot in it.  Reserved chunks are recorded
 * in @owned.  Leaves the xa_state in error on -ENOMEM.
 */
static void vmo_reserve(struct xa_state *xas, struct vmo_update *u,
			unsigned long *owned)
{
	unsigned long base = u->index & ~XA_CHUNK_MASK;
	unsigned long nchunks = ((u->last - base) >> XA_CHUNK_SHIFT) + 1;
	unsigned long c, chunk, lo, hi, i;

	lockdep_assert_held(&xas->xa->xa_lock);
	for (c = 0; c < nchunks; c++) {
		chunk = base + (c << XA_CHUNK_SHIFT);
		lo = max(chunk, u->index);
		hi = min(chunk + XA_CHUNK_MASK, u->last);
		xas_set(xas, lo);
		xas_load(xas);
		if (xas_is_node(xas) && !xas->xa_node->shift)
			continue;		/* the leaf node exists */
		for (i = lo; i <= hi; i++) {
			xas_set(xas, i);
			if (!xas_load(xas))
				break;
		}
		if (i > hi)
			continue;		/* nothing empty: no allocation */
		xas_store(xas, XA_ZERO_ENTRY);
		if (xas_error(xas))
			return;
		__set_bit(c, owned);
	}
}

/* Undo phase 1 after a final allocation failure. */
static void vmo_unreserve(struct vm_object *obj, struct vmo_update *u,
			  unsigned long *owned)
{
	unsigned long base = u->index & ~XA_CHUNK_MASK;
	unsigned long nchunks = ((u->last - base) >> XA_CHUNK_SHIFT) + 1;
	unsigned long c, i, flags;
	XA_STATE(xas, &obj->xa, 0);

	xas_lock_irqsave(&xas, flags);
	for_each_set_bit(c, owned, nchunks) {
		unsigned long chunk = base + (c << XA_CHUNK_SHIFT);
		unsigned long lo = max(chunk, u->index);
		unsigned long hi = min(chunk + XA_CHUNK_MASK, u->last);

		/* A chunk we reserved holds no other updater's reservation. */
		for (i = lo; i <= hi; i++) {
			xas_set(&xas, i);
			if (xa_is_zero(xas_load(&xas)))
				xas_store(&xas, NULL);
		}
	}
	xas_unlock_irqrestore(&xas, flags);
}

static void *vmo_new_entry(struct vmo_update *u, unsigned long i, void *old)
{
	unsigned long off = i - u->index;
	bool hint = vmo_hinted(old);

	switch (u->op) {
	case VMO_OP_PAGES:
		return vmo_with_hint(u->pages[off], hint);
	case VMO_OP_DEVICE:
		return vmo_with_hint(xa_mk_value(((u->dev_pfn + off) << __VMO_PFN_SHIFT) |
						 (u->dev_id << __VMO_DEV_SHIFT) |
						 __VMO_VAL_DEVICE), hint);
	case VMO_OP_NONE:
		return hint ? vmo_placeholder() : NULL;
	case VMO_OP_CLEAR:
		return NULL;
	case VMO_OP_HINT_SET:
		return vmo_with_hint(old, true);
	case VMO_OP_HINT_CLEAR:
		return vmo_with_hint(old, false);
	}
	return old;
}

static void vmo_account(struct vm_object *obj, void *entry, long delta)
{
	switch (vmo_state(entry)) {
	case VMO_CPU:
		obj->nr_cpu += delta;
		break;
	case VMO_DEVICE:
		obj->nr_device += delta;
		break;
	case VMO_NONE:
		break;
	}
}

/* Phase 2: store every entry.  Cannot fail: phase 1 made the nodes. */
static void vmo_apply(struct vm_object *obj, struct xa_state *xas,
		      struct vmo_update *u)
{
	unsigned long i;
	void *old, *new;

	lockdep_assert_held(&obj->xa.xa_lock);
	xas_set(xas, u->index);
	old = xas_load(xas);
	for (i = u->index;; ) {
		if (xa_is_zero(old))
			old = NULL;
		new = vmo_new_entry(u, i, old);
		if (new != old) {
			if (vmo_state(new) == VMO_CPU)
				get_page(__vm_object_page(new));
			xas_store(xas, new);
			vmo_account(obj, old, -1);
			vmo_account(obj, new, 1);
			if (vmo_state(old) == VMO_CPU)
				put_page(__vm_object_page(old));
		}
		if (i == u->last)
			break;
		i++;
		if (new) {
			old = xas_next(xas);
		} else {
			/* Storing NULL may have freed the node: walk again. */
			xas_set(xas, i);
			old = xas_load(xas);
		}
	}
}

static int vmo_update_range(struct vm_object *obj, struct vmo_update *u,
			    gfp_t gfp)
{
	unsigned long stack_owned[BITS_TO_LONGS(VMO_STACK_CHUNKS)] = { 0 };
	unsigned long nchunks, *owned = stack_owned, flags;
	XA_STATE(xas, &obj->xa, u->index);
	bool reserve = vmo_op_allocates(u->op);
	int err;

	nchunks = ((u->last - (u->index & ~XA_CHUNK_MASK)) >> XA_CHUNK_SHIFT) + 1;
	if (reserve && nchunks > VMO_STACK_CHUNKS) {
		owned = bitmap_zalloc(nchunks, gfp);
		if (!owned)
			return -ENOMEM;
	}

	do {
		xas_lock_irqsave(&xas, flags);
		if (reserve)
			vmo_reserve(&xas, u, owned);
		if (!xas_error(&xas))
			vmo_apply(obj, &xas, u);
		xas_unlock_irqrestore(&xas, flags);
	} while (xas_nomem(&xas, gfp));

	err = xas_error(&xas);
	if (err && reserve)
		vmo_unreserve(obj, u, owned);
	if (owned != stack_owned)
		bitmap_free(owned);
	return err;
}

/*
 * An update that only drops entries or hints: visit the entries present
 * (xas_for_each() skips empty slots and absent nodes), a batch per lock
 * hold.  Each entry changes once; a concurrent lookup may see the range
 * partly updated, as it may see any update in progress.
 */
static void vmo_update_present(struct vm_object *obj, struct vmo_update *u)
{
	XA_STATE(xas, &obj->xa, u->index);
	unsigned long flags, n = 0;
	void *old, *new;

	xas_lock_irqsave(&xas, flags);
	xas_for_each(&xas, old, u->last) {
		/* Another updater's reservation: not an entry. */
		if (xa_is_zero(old))
			continue;
		new = vmo_new_entry(u, xas.xa_index, old);
		if (new != old) {
			/* A hint cleared from a CPU page keeps the page. */
			if (vmo_state(new) == VMO_CPU)
				get_page(__vm_object_page(new));
			xas_store(&xas, new);
			vmo_account(obj, old, -1);
			vmo_account(obj, new, 1);
			if (vmo_state(old) == VMO_CPU)
				put_page(__vm_object_page(old));
			/* Storing NULL may have freed the node: walk again. */
			if (!new)
				xas_set(&xas, xas.xa_index + 1);
		}
		if (++n % VMO_BATCH == 0) {
			xas_pause(&xas);
			xas_unlock_irqrestore(&xas, flags);
			xas_lock_irqsave(&xas, flags);
		}
	}
	xas_unlock_irqrestore(&xas, flags);
}

/* Check the range, then apply @op to it; ops that need no data. */
static int vmo_update_simple(struct vm_object *obj, enum vmo_op op,
			     unsigned long index, unsigned long nr, gfp_t gfp)
{
	struct vmo_update u = { .op = op, .index = index };
	int err = vmo_check(obj, index, nr, &u.last);

	if (err || !nr)
		return err;
	if (!vmo_op_allocates(op)) {
		vmo_update_present(obj, &u);
		return 0;
	}
	return vmo_update_range(obj, &u, gfp);
}

/**
 * vm_object_set_pages - record CPU pages for a range of virtual pages
 * @obj: the object
 * @index: first page index
 * @nr: number of pages; 0 does nothing
 * @pages: @nr pages; @pages[0] goes to @index
 * @gfp: allocation flags for the index's internal nodes
 *
 * Takes one reference on each page and puts the reference on any CPU page
 * it replaces.  Device and none entries are simply replaced.  Will-need
 * hints are kept.  All or nothing: on failure the object is exactly as it
 * was and no reference was taken.
 *
 * Context: Any context, as @gfp allows; takes the object's spinlock.
 * Return: 0; -EINVAL if @obj or @pages or an entry of it is %NULL; -ERANGE
 * if the range is not inside the object; -ENOMEM.
 */
int vm_object_set_pages(struct vm_object *obj, unsigned long index,
			unsigned long nr, struct page **pages, gfp_t gfp)
{
	struct vmo_update u = { .op = VMO_OP_PAGES, .index = index,
				.pages = pages };
	unsigned long i;
	int err = vmo_check(obj, index, nr, &u.last);

	if (err || !nr)
		return err;
	if (!pages)
		return -EINVAL;
	for (i = 0; i < nr; i++)
		if (!pages[i])
			return -EINVAL;
	return vmo_update_range(obj, &u, gfp);
}
EXPORT_SYMBOL_GPL(vm_object_set_pages);

/**
 * vm_object_set_page - record one CPU page
 * @obj: the object
 * @index: the page index
 * @page: the page
 * @gfp: allocation flags
 *
 * vm_object_set_pages() for a single page.
 *
 * Context: As vm_object_set_pages().
 * Return: As vm_object_set_pages().
 */
int vm_object_set_page(struct vm_object *obj, unsigned long index,
		       struct page *page, gfp_t gfp)
{
	return vm_object_set_pages(obj, index, 1, &page, gfp);
}
EXPORT_SYMBOL_GPL(vm_object_set_page);

/* Index of @dev in the device table, adding it if needed. */
static int vmo_device_id(struct vm_object *obj, void *dev)
{
	unsigned long flags;
	unsigned int i;
	int id = -ENOSPC;

	xa_lock_irqsave(&obj->xa, flags);
	for (i = 0; i < obj->nr_devs; i++) {
		if (obj->devs[i] == dev) {
			id = i;
			goto out;
		}
	}
	if (obj->nr_devs < VM_OBJECT_MAX_DEVICES) {
		id = obj->nr_devs;
		WRITE_ONCE(obj->devs[id], dev);
		obj->nr_devs++;
	}
out:
	xa_unlock_irqrestore(&obj->xa, flags);
	return id;
}

/**
 * vm_object_set_device - record device pages for a range
 * @obj: the object
 * @index: first page index
 * @nr: number of pages; 0 does nothing
 * @dev: opaque device handle, not %NULL; the object never dereferences it
 * @dev_pfn: device pfn of the first page; the others follow consecutively
 * @gfp: allocation flags
 *
 * Replaces whatever was recorded (putting replaced CPU pages); hints are
 * kept.  One object records at most %VM_OBJECT_MAX_DEVICES distinct
 * handles.  All or nothing, as vm_object_set_pages().
 *
 * Context: As vm_object_set_pages().
 * Return: 0; -EINVAL for a %NULL @obj or @dev or a pfn range beyond what an
 * entry can hold (2^57 pages); -ERANGE if the range is not inside the
 * object; -ENOSPC if the device table is full; -ENOMEM.
 */
int vm_object_set_device(struct vm_object *obj, unsigned long index,
			 unsigned long nr, void *dev, unsigned long dev_pfn,
			 gfp_t gfp)
{
	struct vmo_update u = { .op = VMO_OP_DEVICE, .index = index,
				.dev_pfn = dev_pfn };
	int id, err = vmo_check(obj, index, nr, &u.last);

	if (err || !nr)
		return err;
	if (!dev || dev_pfn > __VMO_MAX_PFN || nr - 1 > __VMO_MAX_PFN - dev_pfn)
		return -EINVAL;
	id = vmo_device_id(obj, dev);
	if (id < 0)
		return id;
	u.dev_id = id;
	return vmo_update_range(obj, &u, gfp);
}
EXPORT_SYMBOL_GPL(vm_object_set_device);

/**
 * vm_object_set_none - mark a range as mapped nowhere, keeping hints
 * @obj: the object
 * @index: first page index
 * @nr: number of pages; 0 does nothing
 *
 * Puts the reference on every CPU page it drops.  Never allocates.
 *
 * Context: Any context; takes the object's spinlock.
 * Return: 0, -EINVAL for a %NULL @obj, -ERANGE if the range is not inside
 * the object.
 */
int vm_object_set_none(struct vm_object *obj, unsigned long index,
		       unsigned long nr)
{
	return vmo_update_simple(obj, VMO_OP_NONE, index, nr, GFP_NOWAIT);
}
EXPORT_SYMBOL_GPL(vm_object_set_none);

/**
 * vm_object_clear - forget a range entirely, hints included
 * @obj: the object
 * @index: first page index
 * @nr: number of pages; 0 does nothing
 *
 * Puts the reference on every CPU page it drops and frees index nodes that
 * become empty.  Never allocates.
 *
 * Context: Any context; takes the object's spinlock.
 * Return: As vm_object_set_none().
 */
int vm_object_clear(struct vm_object *obj, unsigned long index,
		    unsigned long nr)
{
	return vmo_update_simple(obj, VMO_OP_CLEAR, index, nr, GFP_NOWAIT);
}
EXPORT_SYMBOL_GPL(vm_object_clear);

/**
 * vm_object_set_will_need - set or clear the will-need hint for a range
 * @obj: the object
 * @index: first page index
 * @nr: number of pages; 0 does nothing
 * @will_need: the new hint
 * @gfp: allocation flags (setting a hint on a page in state %VMO_NONE
 *	needs a slot)
 *
 * The hint is advisory: the object only records it.  All or nothing.
 *
 * Context: As vm_object_set_pages().
 * Return: 0, -EINVAL, -ERANGE, -ENOMEM as vm_object_set_pages().
 */
int vm_object_set_will_need(struct vm_object *obj, unsigned long index,
			    unsigned long nr, bool will_need, gfp_t gfp)
{
	return vmo_update_simple(obj, will_need ? VMO_OP_HINT_SET :
				 VMO_OP_HINT_CLEAR, index, nr, gfp);
}
EXPORT_SYMBOL_GPL(vm_object_set_will_need);

/**
 * vm_object_for_each - visit every recorded page of a range in order
 * @obj: the object
 * @first: first page index to visit
 * @last: last page index to visit (inclusive)
 * @fn: called for each index that is mapped or carries a hint, in
 *	increasing index order, under rcu_read_lock(): it must not sleep.
 *	A non-zero return stops the walk and is returned.
 * @data: passed to @fn
 *
 * Pages in state %VMO_NONE without a hint are not visited.  Entries
 * changed concurrently may be seen in their old or new state.
 *
 * Context: Any context.
 * Return: 0 after a complete walk, @fn's non-zero value, -EINVAL for a
 * %NULL @obj or @fn or @last < @first, -ERANGE if [@first, @last] is not
 * inside the object.
 */
int vm_object_for_each(struct vm_object *obj, unsigned long first,
		       unsigned long last, vm_object_iter_fn fn, void *data)
{
	XA_STATE(xas, obj ? &obj->xa : NULL, first);
	struct vm_object_entry e;
	void *entry;
	int ret = 0;

	if (!obj || !fn || last < first)
		return -EINVAL;
	if (first < obj->first || last > obj->last)
		return -ERANGE;
	rcu_read_lock();
	xas_for_each(&xas, entry, last) {
		if (xas_retry(&xas, entry) || xa_is_zero(entry))
			continue;
		__vm_object_decode(obj, entry, &e);
		ret = fn(xas.xa_index, &e, data);
		if (ret)
			break;
	}
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(vm_object_for_each);

/**
 * vm_object_nr_pages - count the pages recorded in one state
 * @obj: the object
 * @state: %VMO_CPU or %VMO_DEVICE
 *
 * Context: Any context.
 * Return: the count (a snapshot), 0 for other states or a %NULL @obj.
 */
unsigned long vm_object_nr_pages(struct vm_object *obj,
				 enum vm_object_state state)
{
	if (!obj)
		return 0;
	if (state == VMO_CPU)
		return READ_ONCE(obj->nr_cpu);
	if (state == VMO_DEVICE)
		return READ_ONCE(obj->nr_device);
	return 0;
}
EXPORT_SYMBOL_GPL(vm_object_nr_pages);

/**
 * vm_object_memory - bytes of memory the object uses
 * @obj: the object
 *
 * The object itself plus every xarray node of its index.  Walks the whole
 * index under the object's lock: meant for tests and statistics.
 *
 * Context: Any context; takes the object's spinlock.
 * Return: the number of bytes.
 */
size_t vm_object_memory(struct vm_object *obj)
{
	struct xa_node *seen[BITS_PER_LONG / XA_CHUNK_SHIFT + 2] = { NULL };
	XA_STATE(xas, obj ? &obj->xa : NULL, 0);
	unsigned long flags;
	size_t nodes = 0;
	void *entry;

	if (!obj)
		return 0;
	xas_lock_irqsave(&xas, flags);
	xas_for_each(&xas, entry, ULONG_MAX) {
		struct xa_node *node = xas.xa_node;

		/* Entries come in index order: each node's run is contiguous. */
		while (xas_is_node(&xas) && node) {
			unsigned int level = node->shift / XA_CHUNK_SHIFT;

			if (seen[level] == node)
				break;
			seen[level] = node;
			nodes++;
			node = xa_parent_locked(&obj->xa, node);
		}
	}
	xas_unlock_irqrestore(&xas, flags);
	return sizeof(*obj) + nodes * sizeof(struct xa_node);
}
EXPORT_SYMBOL_GPL(vm_object_memory);

/**
 * mm_vm_object - the vm_object of an address space, created on first use
 * @mm: the address space; the caller holds a reference on its users
 *	(mmget() or it is current->mm)
 *
 * The per-process object covers the user address range (page indexes 0
 * to TASK_SIZE_MAX >> PAGE_SHIFT) and is keyed by virtual page number.  It lives until the
 * address space is torn down (vm_object_mm_release() from __mmput()); a
 * child created by fork() starts without one.
 *
 * Context: Process context; may sleep.
 * Return: the object, or %NULL if it could not be allocated.
 */
struct vm_object *mm_vm_object(struct mm_struct *mm)
{
	struct vm_object *obj = READ_ONCE(mm->vm_object), *old;

	if (obj)
		return obj;
	obj = vm_object_create(0, VMO_MM_PAGES, GFP_KERNEL);
	if (!obj)
		return NULL;
	old = cmpxchg(&mm->vm_object, NULL, obj);
	if (old) {
		vm_object_destroy(obj);
		return old;
	}
	return obj;
}
EXPORT_SYMBOL_GPL(mm_vm_object);

/**
 * mm_vm_object_peek - the vm_object of an address space, if it has one
 * @mm: the address space, with a reference held on its users
 *
 * Context: Any context.
 * Return: the object or %NULL.
 */
struct vm_object *mm_vm_object_peek(struct mm_struct *mm)
{
	return READ_ONCE(mm->vm_object);
}
EXPORT_SYMBOL_GPL(mm_vm_object_peek);

/* Called from mm_init(): a new or forked address space has no object. */
void vm_object_mm_init(struct mm_struct *mm)
{
	mm->vm_object = NULL;
}

/* Called from __mmput() after exit_mmap(): the address space is gone. */
void vm_object_mm_release(struct mm_struct *mm)
{
	vm_object_destroy(xchg(&mm->vm_object, NULL));
}
