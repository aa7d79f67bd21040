// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sparse vm area demo: what a driver sees when it uses VM_SPARSE.
 *
 * On load it reserves 1 MiB of kernel address space with nothing behind it,
 * maps a few of its own pages on demand, writes through the area, reads the
 * data back through each page's direct-map address, unmaps one page again,
 * and does the same with a prebuilt area from a section with interrupts
 * disabled.  Each step is described in the kernel log.  Both areas live
 * until the module is unloaded; debugfs file vm_sparse_demo/areas gives
 * their addresses to the selftests.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/irqflags.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/vm_sparse.h>

#define DEMO_AREA_SIZE		SZ_1M
#define DEMO_NR_PAGES		4
#define DEMO_PATTERN		0x5a

static struct vm_struct *demo_area;
static struct vm_struct *demo_prebuilt;
static struct page *demo_pages[DEMO_NR_PAGES];
static struct page *demo_atomic_page;
static struct dentry *demo_dir;
static const char demo_msg[] = "hello from a sparse area";

static unsigned long demo_base(struct vm_struct *area)
{
	return (unsigned long)area->addr;
}

static int demo_areas_show(struct seq_file *m, void *v)
{
	/* Raw addresses for the selftests: debugfs is root-only. */
	seq_printf(m, "sparse %lx %lu\n", demo_base(demo_area),
		   get_vm_area_size(demo_area));
	seq_printf(m, "prebuilt %lx %lu\n", demo_base(demo_prebuilt),
		   get_vm_area_size(demo_prebuilt));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(demo_areas);

static noinline int demo_sparse(void)
{
	unsigned long base, off;
	char *p;
	int i, err;

	demo_area = get_sparse_vm_area(DEMO_AREA_SIZE);
	if (!demo_area)
		return -ENOMEM;
	base = demo_base(demo_area);
	pr_info("reserved %lu KiB of kernel address space; nothing is mapped yet (page-table pages already covering it: %lu)\n",
		get_vm_area_size(demo_area) >> 10,
		vm_area_pgtable_pages(demo_area));

	for (i = 0; i < DEMO_NR_PAGES; i++) {
		demo_pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!demo_pages[i])
			return -ENOMEM;
	}

	/* Three pages at the start, one at the very end of the area. */
	err = vm_area_map_pages(demo_area, base, base + 3 * PAGE_SIZE,
				demo_pages);
	if (err)
		return err;
	off = get_vm_area_size(demo_area) - PAGE_SIZE;
	err = vm_area_map_pages(demo_area, base + off, base + off + PAGE_SIZE,
				&demo_pages[3]);
	if (err)
		return err;
	pr_info("mapped 3 pages at offset 0 and 1 page at offset %lu KiB (the last page before the guard page); page-table pages now: %lu\n",
		off >> 10, vm_area_pgtable_pages(demo_area));

	p = demo_area->addr;
	memset(p, DEMO_PATTERN, 3 * PAGE_SIZE);
	strscpy(p + PAGE_SIZE, demo_msg, sizeof(demo_msg));
	pr_info("wrote \"%s\" through the area at offset 4 KiB; read back through the page's own address: \"%s\" (%s)\n",
		demo_msg, (char *)page_address(demo_pages[1]),
		strcmp(page_address(demo_pages[1]), demo_msg) ? "MISMATCH" : "match");

	err = vm_area_map_pages(demo_area, base, base + PAGE_SIZE, demo_pages);
	pr_info("mapping offset 0 again is refused: %d (-EBUSY)\n", err);
	err = vm_area_map_pages(demo_area, base + DEMO_AREA_SIZE,
				base + DEMO_AREA_SIZE + PAGE_SIZE, demo_pages);
	pr_info("mapping the guard page is refused: %d (-ERANGE)\n", err);

	vm_area_unmap_pages(demo_area, base + off, base + off + PAGE_SIZE);
	pr_info("unmapped the last page: the address now translates to %s; the page itself still belongs to us\n",
		vmalloc_to_page(p + off) ? "a page (BUG)" : "nothing");
	return 0;
}

static noinline int demo_prebuilt_area(void)
{
	unsigned long base, flags;
	int err;

	demo_prebuilt = get_prebuilt_sparse_vm_area(SZ_2M);
	if (!demo_prebuilt)
		return -ENOMEM;
	base = demo_base(demo_prebuilt);
	pr_info("prebuilt area of %lu KiB: page tables built up front: %lu pages\n",
		get_vm_area_size(demo_prebuilt) >> 10,
		vm_area_pgtable_pages(demo_prebuilt));

	demo_atomic_page = alloc_page(GFP_KERNEL);
	if (!demo_atomic_page)
		return -ENOMEM;
	memset(page_address(demo_atomic_page), DEMO_PATTERN, PAGE_SIZE);

	local_irq_save(flags);
	err = vm_area_map_pages_atomic(demo_prebuilt, base, base + PAGE_SIZE,
				       &demo_atomic_page);
	local_irq_restore(flags);
	if (err)
		return err;
	pr_info("mapped a page with interrupts disabled; first byte through the area: %#x\n",
		*(unsigned char *)demo_prebuilt->addr);
	return 0;
}

static void demo_cleanup(void)
{
	int i;

	debugfs_remove_recursive(demo_dir);
	/* free_vm_area() clears whatever is still mapped. */
	if (demo_area)
		free_vm_area(demo_area);
	if (demo_prebuilt)
		free_vm_area(demo_prebuilt);
	for (i = 0; i < DEMO_NR_PAGES; i++)
		if (demo_pages[i])
			__free_page(demo_pages[i]);
	if (demo_atomic_page)
		__free_page(demo_atomic_page);
}

static int __init demo_init(void)
{
	int err;

	err = demo_sparse();
	if (!err)
		err = demo_prebuilt_area();
	if (err) {
		pr_err("demo failed: %d\n", err);
		demo_cleanup();
		return err;
	}
	demo_dir = debugfs_create_dir("vm_sparse_demo", NULL);
	debugfs_create_file("areas", 0400, demo_dir, NULL, &demo_areas_fops);
	pr_info("see /proc/vmallocinfo for the two areas (flags 'sparse' and 'sparse prebuilt')\n");
	return 0;
}

static void __exit demo_exit(void)
{
	demo_cleanup();
	pr_info("areas freed, pages returned\n");
}

module_init(demo_init);
module_exit(demo_exit);
MODULE_DESCRIPTION("Sparse vm area demo");
MODULE_LICENSE("GPL");
