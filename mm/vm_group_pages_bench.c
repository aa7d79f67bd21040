// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the sparse-mm benchmark module needs to measure VM_GROUP_PAGES the
 * way module loading uses it: vmalloc with chosen vm flags and the
 * permission changes of module text and data, none of which is exported.
 * Built in only when the benchmark module is configured; exported to the
 * SPARSE_MM_BENCH symbol namespace only.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <linux/export.h>
#include <linux/mm.h>
#include <linux/set_memory.h>
#include <linux/vm_group_pages.h>
#include <linux/vmalloc.h>

/**
 * vm_group_bench_vmalloc() - vmalloc with the given vm flags
 * @size: bytes
 * @vm_flags: e.g. VM_FLUSH_RESET_PERMS, VM_GROUP_PAGES
 *
 * Context: process context, may sleep.
 * Return: the address, or NULL.  Free with vfree().
 */
void *vm_group_bench_vmalloc(unsigned long size, unsigned long vm_flags)
{
	return __vmalloc_node_range(size, 1, VMALLOC_START, VMALLOC_END,
				    GFP_KERNEL, PAGE_KERNEL, vm_flags,
				    NUMA_NO_NODE, __builtin_return_address(0));
}
EXPORT_SYMBOL_NS_GPL(vm_group_bench_vmalloc, SPARSE_MM_BENCH);

/**
 * vm_group_bench_protect() - protect an area as the module loader does
 * @addr: vmalloc address
 * @text_pages: pages of "text" at @addr: made read-only and executable
 * @data_pages: pages of "data" after it: made non-executable
 *
 * Context: process context, may sleep.
 * Return: 0 or the first set_memory_*() error.
 */
int vm_group_bench_protect(void *addr, int text_pages, int data_pages)
{
	unsigned long a = (unsigned long)addr;
	int err;

	err = set_memory_ro(a, text_pages);
	if (!err)
		err = set_memory_x(a, text_pages);
	if (!err && data_pages)
		err = set_memory_nx(a + text_pages * PAGE_SIZE, data_pages);
	return err;
}
EXPORT_SYMBOL_NS_GPL(vm_group_bench_protect, SPARSE_MM_BENCH);

/**
 * vm_group_bench_unprotect() - undo vm_group_bench_protect() before vfree
 * @addr: vmalloc address
 * @text_pages: the text pages given to vm_group_bench_protect()
 *
 * Context: process context, may sleep.
 * Return: 0 or the first set_memory_*() error.
 */
int vm_group_bench_unprotect(void *addr, int text_pages)
{
	unsigned long a = (unsigned long)addr;
	int err;

	err = set_memory_nx(a, text_pages);
	if (!err)
		err = set_memory_rw(a, text_pages);
	return err;
}
EXPORT_SYMBOL_NS_GPL(vm_group_bench_unprotect, SPARSE_MM_BENCH);

/**
 * vm_group_bench_shrink() - run every shrinker on every node
 *
 * Context: process context, may sleep.
 */
void vm_group_bench_shrink(void)
{
	drop_slab();
}
EXPORT_SYMBOL_NS_GPL(vm_group_bench_shrink, SPARSE_MM_BENCH);
