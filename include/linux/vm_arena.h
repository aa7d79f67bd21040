/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Arenas: sparse memory shared between a driver and user space.
 *
 * See Documentation/mm/vm_arena.rst.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */
#ifndef _LINUX_VM_ARENA_H
#define _LINUX_VM_ARENA_H

#include <linux/bits.h>
#include <linux/sizes.h>
#include <linux/types.h>
#include <uapi/linux/vm_arena.h>

struct file;
struct seq_file;
struct vm_area_struct;
struct vm_arena;

/*
 * Largest arena: 64 GiB (2^24 pages).  The allocation bitmaps (one bit per
 * page each, 2 MiB at this size) are allocated at creation, and user
 * pointers into the arena stay well inside any 64-bit user address space.
 * An arena with %VM_ARENA_F_ATOMIC also pre-builds its page tables (about
 * 2 MiB per GiB), so it is limited to 4 GiB.  With KASAN_VMALLOC the
 * shadow of a whole vmalloc-space reservation is populated when it is
 * made (1/8 of its size, in real pages), so both limits drop to 1 GiB.
 */
#ifdef CONFIG_KASAN_VMALLOC
#define VM_ARENA_MAX_SIZE		BIT_ULL(30)
#define VM_ARENA_ATOMIC_MAX_SIZE	BIT_ULL(30)
#else
#define VM_ARENA_MAX_SIZE		BIT_ULL(36)
#define VM_ARENA_ATOMIC_MAX_SIZE	BIT_ULL(32)
#endif

/*
 * Guard space on each side of the 4 GiB window of a window arena
 * (vm_arena_create_window()): more than any signed 16-bit displacement
 * plus the widest access.
 */
#define VM_ARENA_WINDOW_GUARD		SZ_64K

/**
 * struct vm_arena_cost - the memory an arena costs, from vm_arena_memory()
 * @pages: data pages allocated (charged to the creator's memory cgroup)
 * @lazy_pages: pages freed but not yet released, kept until one kernel
 *	TLB flush covers them (charged; 64 per arena at most, about twice
 *	that while a flush runs; see vm_arena_free_pages())
 * @bitmap_bytes: the two allocation bitmaps, one bit per page each
 *	(charged)
 * @index_bytes: the vm_object recording the pages, with its index nodes
 *	(charged)
 * @struct_bytes: the arena itself (charged)
 * @pgtable_pages: kernel page-table pages (PMD and PTE level) covering the
 *	arena's range (not charged; freed at destroy, but for a table at
 *	either end that also covers a neighbouring area)
 * @reserved_bytes: kernel address space reserved, guard page included,
 *	counted against the arena address-space caps
 */
struct vm_arena_cost {
	unsigned long pages;
	unsigned long lazy_pages;
	size_t bitmap_bytes;
	size_t index_bytes;
	size_t struct_bytes;
	unsigned long pgtable_pages;
	u64 reserved_bytes;
};

#ifdef CONFIG_VM_ARENA

struct vm_arena *vm_arena_create(u64 size, unsigned int flags,
				 unsigned long user_addr);
struct vm_arena *vm_arena_create_window(u64 size, unsigned int flags,
					unsigned long user_addr);
void vm_arena_get(struct vm_arena *arena);
void vm_arena_put(struct vm_arena *arena);

void *vm_arena_alloc_pages(struct vm_arena *arena, void *kaddr,
			   unsigned long count, int node, unsigned int flags);
void *vm_arena_alloc_pages_atomic(struct vm_arena *arena, void *kaddr,
				  unsigned long count, int node);
int vm_arena_free_pages(struct vm_arena *arena, void *kaddr,
			unsigned long count);
int vm_arena_free_pages_atomic(struct vm_arena *arena, void *kaddr,
			       unsigned long count);
void vm_arena_flush_frees(struct vm_arena *arena);
int vm_arena_reserve(struct vm_arena *arena, void *kaddr,
		     unsigned long count);

int vm_arena_read(struct vm_arena *arena, u64 offset, void *buf, size_t len);
int vm_arena_write(struct vm_arena *arena, u64 offset, const void *buf,
		   size_t len);

void *vm_arena_base(const struct vm_arena *arena);
void *vm_arena_window_base(const struct vm_arena *arena);
u64 vm_arena_size(const struct vm_arena *arena);
unsigned int vm_arena_flags(const struct vm_arena *arena);
unsigned long vm_arena_user_base(const struct vm_arena *arena);
unsigned long vm_arena_user_addr(const struct vm_arena *arena,
				 const void *kaddr);
void *vm_arena_kern_addr(const struct vm_arena *arena, unsigned long uaddr);
unsigned long vm_arena_pages_in_use(const struct vm_arena *arena);
unsigned long vm_arena_user_faults(const struct vm_arena *arena);

int vm_arena_mmap(struct vm_arena *arena, struct vm_area_struct *vma);
unsigned long vm_arena_get_unmapped_area(struct vm_arena *arena,
					 struct file *file, unsigned long addr,
					 unsigned long len, unsigned long pgoff,
					 unsigned long flags);
void vm_arena_show_fdinfo(const struct vm_arena *arena, struct seq_file *m);
void vm_arena_memory(const struct vm_arena *arena, struct vm_arena_cost *cost);

#endif /* CONFIG_VM_ARENA */

#endif /* _LINUX_VM_ARENA_H */
