/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * Arenas: sparse memory shared between a driver and user space.
 *
 * The creation flags are common to every arena.  The ioctls are the user
 * ABI of the sample arena drivers (samples/arena/ in C, samples/rust/ in
 * Rust), which expose one arena per open file of a misc device; the
 * arena is shared by sharing the file.  Offsets are bytes from the
 * arena's start.  Errors, beyond those of the kernel API
 * (Documentation/mm/vm_arena.rst), checked in this order: -ENOTTY for an
 * unknown command (a wrong argument size is one), -EBADF for SETUP,
 * ALLOC, FREE, RESERVE or BUILD_LIST on a file opened without write
 * access, -ENXIO for any ioctl but SETUP before SETUP, -EFAULT for a bad
 * argument pointer, -EINVAL for non-zero reserved fields or output fields
 * that are not zero on input; -EBUSY for a second SETUP.  mmap() before
 * SETUP fails with -EINVAL.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */
#ifndef _UAPI_LINUX_VM_ARENA_H
#define _UAPI_LINUX_VM_ARENA_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Creation flags. */
/* A user access to a page the kernel has not allocated raises SIGSEGV. */
#define VM_ARENA_F_SEGV_ON_FAULT	(1U << 0)
/* Page tables are built up front: alloc and free work in atomic context. */
#define VM_ARENA_F_ATOMIC		(1U << 1)
#define VM_ARENA_F_ALL			(VM_ARENA_F_SEGV_ON_FAULT | \
					 VM_ARENA_F_ATOMIC)

/* Allocation flags. */
/* Install the new pages into every user mapping now: no faults later. */
#define VM_ARENA_ALLOC_POPULATE		(1U << 0)
#define VM_ARENA_ALLOC_ALL		VM_ARENA_ALLOC_POPULATE

/* Offset meaning "anywhere" in struct arena_alloc. */
#define ARENA_ANY			(~(__u64)0)

/**
 * struct arena_setup - size and flags, set once before mmap
 * @size: bytes, a multiple of the page size
 * @flags: VM_ARENA_F_*
 * @__reserved: must be zero (%-EINVAL otherwise)
 * @user_addr: user address every mapping will use, or 0 for the first
 *	mmap() to choose
 */
struct arena_setup {
	__u64 size;
	__u32 flags;
	__u32 __reserved;
	__u64 user_addr;
};

/**
 * struct arena_alloc - allocate pages
 * @offset: in: byte offset of the first page, or %ARENA_ANY;
 *	out: where the pages went
 * @count: number of pages
 * @node: NUMA node, or -1 for any
 * @flags: VM_ARENA_ALLOC_*
 */
struct arena_alloc {
	__u64 offset;
	__u64 count;
	__s32 node;
	__u32 flags;
};

/**
 * struct arena_range - a page range, for free and reserve
 * @offset: byte offset of the first page
 * @count: number of pages
 */
struct arena_range {
	__u64 offset;
	__u64 count;
};

/**
 * struct arena_list_node - one node of the list the kernel builds
 * @next: user address of the next node, 0 at the end
 * @value: the node's value: index * 3 + 1 for the index-th node
 */
struct arena_list_node {
	__u64 next;
	__u64 value;
};

/**
 * struct arena_build_list - ask the kernel to build a linked list
 * @count: number of nodes
 * @head: out: user address of the first node (zero on input)
 * @pages: out: pages the nodes occupy (zero on input)
 */
struct arena_build_list {
	__u64 count;
	__u64 head;
	__u64 pages;
};

/**
 * struct arena_sum_list - ask the kernel to walk a list user space built
 * @head: user address of the first &struct arena_list_node, 0 for none
 * @count: out: nodes walked (zero on input)
 * @sum: out: sum of the nodes' values (zero on input)
 */
struct arena_sum_list {
	__u64 head;
	__u64 count;
	__u64 sum;
};

/**
 * struct arena_info - the arena as the driver sees it
 * @size: bytes
 * @flags: VM_ARENA_F_*
 * @__reserved: zero
 * @user_addr: user address of every mapping, 0 before the first mmap
 * @pages_in_use: pages allocated (by the kernel or by user faults)
 * @user_faults: faults that allocated a page for user space
 * @mem_bitmap_bytes: the allocation bitmaps (charged to the creator)
 * @mem_index_bytes: the page index (charged to the creator)
 * @mem_struct_bytes: the arena's own structure (charged to the creator)
 * @mem_pgtable_bytes: kernel page tables over the arena's range (not
 *	charged; given back when the arena is destroyed)
 * @reserved_bytes: kernel address space reserved, counted against the
 *	per-user and total arena caps
 *
 * The memory an arena costs is @pages_in_use pages plus the four
 * ``mem_*_bytes`` fields; Documentation/mm/vm_arena.rst says who is
 * charged for what.
 */
struct arena_info {
	__u64 size;
	__u32 flags;
	__u32 __reserved;
	__u64 user_addr;
	__u64 pages_in_use;
	__u64 user_faults;
	__u64 mem_bitmap_bytes;
	__u64 mem_index_bytes;
	__u64 mem_struct_bytes;
	__u64 mem_pgtable_bytes;
	__u64 reserved_bytes;
};

#define ARENA_IOC_MAGIC		0xB8
#define ARENA_IOC_SETUP		_IOW(ARENA_IOC_MAGIC, 0, struct arena_setup)
#define ARENA_IOC_ALLOC		_IOWR(ARENA_IOC_MAGIC, 1, struct arena_alloc)
#define ARENA_IOC_FREE		_IOW(ARENA_IOC_MAGIC, 2, struct arena_range)
#define ARENA_IOC_RESERVE	_IOW(ARENA_IOC_MAGIC, 3, struct arena_range)
#define ARENA_IOC_BUILD_LIST	_IOWR(ARENA_IOC_MAGIC, 4, struct arena_build_list)
#define ARENA_IOC_INFO		_IOR(ARENA_IOC_MAGIC, 5, struct arena_info)
#define ARENA_IOC_SUM_LIST	_IOWR(ARENA_IOC_MAGIC, 6, struct arena_sum_list)

#endif /* _UAPI_LINUX_VM_ARENA_H */
