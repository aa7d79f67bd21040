/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vm_object: an arch-independent logical page table.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */
#ifndef _LINUX_VM_OBJECT_H
#define _LINUX_VM_OBJECT_H

#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct mm_struct;
struct page;

/**
 * enum vm_object_state - where a virtual page is mapped
 * @VMO_NONE: nowhere yet
 * @VMO_CPU: a CPU page (struct page), on which the object holds a reference
 * @VMO_DEVICE: a device page: an opaque device handle and a device pfn
 */
enum vm_object_state {
	VMO_NONE,
	VMO_CPU,
	VMO_DEVICE,
};

/**
 * struct vm_object_entry - a snapshot of one virtual page's state
 * @state: where it is mapped; says which member of the union is valid
 * @will_need: the owner's hint that the page will be needed soon
 * @page: the CPU page, for %VMO_CPU (no reference is held by the snapshot)
 * @dev: the device handle, for %VMO_DEVICE
 * @dev_pfn: the page frame number in the device's space, for %VMO_DEVICE
 */
struct vm_object_entry {
	enum vm_object_state state;
	bool will_need;
	union {
		struct page *page;
		struct {
			void *dev;
			unsigned long dev_pfn;
		};
	};
};

/* Distinct device handles one object can record. */
#define VM_OBJECT_MAX_DEVICES	16

/*
 * The object, visible so that vm_object_lookup() can be inline.  Its fields
 * are private to mm/vm_object.c: use the functions below.
 */
struct vm_object {
	struct xarray xa;
	unsigned long first;		/* first index covered */
	unsigned long last;		/* last index covered */
	unsigned long nr_cpu;		/* under xa_lock */
	unsigned long nr_device;	/* under xa_lock */
	unsigned int nr_devs;		/* under xa_lock; append-only table */
	void *devs[VM_OBJECT_MAX_DEVICES];
};

/*
 * Entry encoding, private to the implementation.  A CPU page is its struct
 * page pointer with bit 2 set for the will-need hint (struct pages are at
 * least 8-byte aligned; the xarray only interprets the low two bits).
 * Value entries: bit 0 device, bit 1 hint, bits 2-5 device table index,
 * then the device pfn.  The value with only the hint bit is "none, but
 * will be needed".
 */
#define __VMO_PTR_HINT		4UL
#define __VMO_VAL_DEVICE	1UL
#define __VMO_VAL_HINT		2UL
#define __VMO_DEV_SHIFT		2
#define __VMO_DEV_MASK		(VM_OBJECT_MAX_DEVICES - 1)
#define __VMO_PFN_SHIFT		6
#define __VMO_MAX_PFN		(LONG_MAX >> __VMO_PFN_SHIFT)

static inline struct page *__vm_object_page(void *entry)
{
	return (struct page *)((unsigned long)entry & ~__VMO_PTR_HINT);
}

static inline void __vm_object_decode(struct vm_object *obj, void *entry,
				      struct vm_object_entry *out)
{
	unsigned long v;

	if (!entry || xa_is_zero(entry)) {
		out->state = VMO_NONE;
		out->will_need = false;
	} else if (!xa_is_value(entry)) {
		out->state = VMO_CPU;
		out->will_need = (unsigned long)entry & __VMO_PTR_HINT;
		out->page = __vm_object_page(entry);
	} else {
		v = xa_to_value(entry);
		out->will_need = v & __VMO_VAL_HINT;
		if (v & __VMO_VAL_DEVICE) {
			out->state = VMO_DEVICE;
			out->dev = READ_ONCE(obj->devs[(v >> __VMO_DEV_SHIFT) &
						       __VMO_DEV_MASK]);
			out->dev_pfn = v >> __VMO_PFN_SHIFT;
		} else {
			out->state = VMO_NONE;
		}
	}
}

typedef int (*vm_object_iter_fn)(unsigned long index,
				 const struct vm_object_entry *entry,
				 void *data);

#ifdef CONFIG_VM_OBJECT

struct vm_object *vm_object_create(unsigned long first, unsigned long nr,
				   gfp_t gfp);
void vm_object_destroy(struct vm_object *obj);

/**
 * vm_object_lookup - read the state of one virtual page
 * @obj: the object
 * @index: the page index
 * @entry: filled with a snapshot of the state
 *
 * Lockless (RCU inside xa_load()): the snapshot may be stale as soon as it
 * is returned, and no reference is taken on a CPU page it names; use
 * vm_object_get_page() to get one.  A device entry's handle is read after
 * the entry and the handle table is append-only, so the pair is consistent.
 * Inline, because it is the hot path of every user.
 *
 * Context: Any context.
 * Return: 0, -EINVAL for a %NULL @obj or @entry, -ERANGE if @index is
 * outside the object.
 */
static inline int vm_object_lookup(struct vm_object *obj, unsigned long index,
				   struct vm_object_entry *entry)
{
	if (!obj || !entry)
		return -EINVAL;
	if (index < obj->first || index > obj->last)
		return -ERANGE;
	__vm_object_decode(obj, xa_load(&obj->xa, index), entry);
	return 0;
}

struct page *vm_object_get_page(struct vm_object *obj, unsigned long index);

int vm_object_set_page(struct vm_object *obj, unsigned long index,
		       struct page *page, gfp_t gfp);
int vm_object_set_pages(struct vm_object *obj, unsigned long index,
			unsigned long nr, struct page **pages, gfp_t gfp);
int vm_object_set_device(struct vm_object *obj, unsigned long index,
			 unsigned long nr, void *dev, unsigned long dev_pfn,
			 gfp_t gfp);
int vm_object_set_none(struct vm_object *obj, unsigned long index,
		       unsigned long nr);
int vm_object_clear(struct vm_object *obj, unsigned long index,
		    unsigned long nr);
int vm_object_set_will_need(struct vm_object *obj, unsigned long index,
			    unsigned long nr, bool will_need, gfp_t gfp);

int vm_object_for_each(struct vm_object *obj, unsigned long first,
		       unsigned long last, vm_object_iter_fn fn, void *data);
unsigned long vm_object_nr_pages(struct vm_object *obj,
				 enum vm_object_state state);
size_t vm_object_memory(struct vm_object *obj);

struct vm_object *mm_vm_object(struct mm_struct *mm);
struct vm_object *mm_vm_object_peek(struct mm_struct *mm);
void vm_object_mm_init(struct mm_struct *mm);
void vm_object_mm_release(struct mm_struct *mm);

#else /* !CONFIG_VM_OBJECT */

static inline struct vm_object *mm_vm_object(struct mm_struct *mm)
{
	return NULL;
}

static inline struct vm_object *mm_vm_object_peek(struct mm_struct *mm)
{
	return NULL;
}

static inline void vm_object_mm_init(struct mm_struct *mm) { }
static inline void vm_object_mm_release(struct mm_struct *mm) { }

#endif /* CONFIG_VM_OBJECT */

#endif /* _LINUX_VM_OBJECT_H */
