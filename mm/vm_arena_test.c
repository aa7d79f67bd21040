// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for arenas (mm/vm_arena.c).
 *
 * The user side is exercised here through an anonymous-inode file whose
 * ->mmap is vm_arena_mmap(), mapped into a user address space built for
 * the test; tools/testing/selftests/sparse_mm/arena_test.c does the same
 * from real processes through the sample drivers.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/mman.h>
#include <linux/rcupdate.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/uaccess.h>
#include <linux/vm_arena.h>
#include <linux/vm_sparse.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

#include "sparse_mm_kunit.h"

#define VA_PAGES	64
#define VA_SIZE		(VA_PAGES * PAGE_SIZE)

static DEFINE_SPINLOCK(va_lock);

static struct vm_arena *va_new(struct kunit *test, unsigned int flags)
{
	struct vm_arena *a = vm_arena_create(VA_SIZE, flags, 0);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(a), "create: %ld", PTR_ERR(a));
	return a;
}

static void *va_at(struct vm_arena *a, unsigned long page)
{
	return vm_arena_base(a) + page * PAGE_SIZE;
}

/* The error code of an allocation, 0 if it succeeded. */
static long va_alloc_err(struct vm_arena *a, void *kaddr, unsigned long n,
			 int node, unsigned int flags)
{
	return PTR_ERR_OR_ZERO(vm_arena_alloc_pages(a, kaddr, n, node, flags));
}

static long va_err(struct vm_arena *a, void *kaddr, unsigned long n)
{
	return va_alloc_err(a, kaddr, n, NUMA_NO_NODE, 0);
}

static void va_create_errors(struct kunit *test)
{
	struct vm_arena *a;

	KUNIT_EXPECT_EQ(test, PTR_ERR(vm_arena_create(0, 0, 0)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(vm_arena_create(PAGE_SIZE + 1, 0, 0)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(vm_arena_create(VA_SIZE, 1U << 7, 0)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(vm_arena_create(VM_ARENA_MAX_SIZE +
						      PAGE_SIZE, 0, 0)),
			-E2BIG);
	KUNIT_EXPECT_EQ(test,
			PTR_ERR(vm_arena_create(VM_ARENA_ATOMIC_MAX_SIZE +
						PAGE_SIZE,
						VM_ARENA_F_ATOMIC, 0)),
			-E2BIG);
	KUNIT_EXPECT_EQ(test, PTR_ERR(vm_arena_create(VA_SIZE, 0, 0x10001)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(vm_arena_create(VA_SIZE, 0,
						      TASK_SIZE - PAGE_SIZE)),
			-EINVAL);

	/* The largest arena exists and costs nothing until used. */
	a = vm_arena_create(VM_ARENA_MAX_SIZE, 0, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	KUNIT_EXPECT_EQ(test, vm_arena_size(a), VM_ARENA_MAX_SIZE);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), 0UL);
	vm_arena_put(a);
}

static void va_alloc_errors(struct kunit *test)
{
	struct vm_arena *a = va_new(test, 0);
	void *p;

	KUNIT_EXPECT_EQ(test, va_err(a, NULL, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, va_err(a, va_at(a, 0) + 8, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, va_alloc_err(a, NULL, 1, NUMA_NO_NODE, 1U << 9),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, va_alloc_err(a, NULL, 1, MAX_NUMNODES, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, va_err(a, NULL, VA_PAGES + 1), -E2BIG);
	KUNIT_EXPECT_EQ(test, va_err(a, NULL, ULONG_MAX), -E2BIG);
	KUNIT_EXPECT_EQ(test, va_err(a, va_at(a, VA_PAGES), 1), -ERANGE);
	KUNIT_EXPECT_EQ(test, va_err(a, va_at(a, VA_PAGES - 1), 2), -ERANGE);
	KUNIT_EXPECT_EQ(test, va_err(a, (void *)PAGE_SIZE, 1), -ERANGE);

	p = vm_arena_alloc_pages(a, va_at(a, 10), 4, NUMA_NO_NODE, 0);
	KUNIT_ASSERT_PTR_EQ(test, p, va_at(a, 10));
	/* Overlapping at either end, or inside. */
	KUNIT_EXPECT_EQ(test, va_err(a, va_at(a, 8), 3), -EBUSY);
	KUNIT_EXPECT_EQ(test, va_err(a, va_at(a, 13), 2), -EBUSY);
	KUNIT_EXPECT_EQ(test, va_err(a, va_at(a, 11), 1), -EBUSY);
	/* No run of 61 free pages is left. */
	KUNIT_EXPECT_EQ(test, va_err(a, NULL, 61), -ENOMEM);
	/* Failed calls left nothing behind; the neighbours are still free. */
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), 4UL);
	KUNIT_EXPECT_PTR_EQ(test, vm_arena_alloc_pages(a, va_at(a, 9), 1,
						       NUMA_NO_NODE, 0),
			    va_at(a, 9));
	KUNIT_EXPECT_PTR_EQ(test, vm_arena_alloc_pages(a, va_at(a, 14), 1,
						       NUMA_NO_NODE, 0),
			    va_at(a, 14));
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), 6UL);
	vm_arena_put(a);
}

/* Pages are zeroed, mapped in the kernel, first and last included. */
static void va_alloc_data(struct kunit *test)
{
	struct vm_arena *a = va_new(test, 0);
	unsigned long *first, *last;
	int i;

	first = vm_arena_alloc_pages(a, va_at(a, 0), 1, NUMA_NO_NODE, 0);
	last = vm_arena_alloc_pages(a, va_at(a, VA_PAGES - 1), 1,
				    numa_node_id(), 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(first));
	KUNIT_ASSERT_FALSE(test, IS_ERR(last));
	for (i = 0; i < PAGE_SIZE / sizeof(long); i++) {
		KUNIT_ASSERT_EQ(test, first[i], 0UL);
		KUNIT_ASSERT_EQ(test, last[i], 0UL);
	}
	first[0] = 0x1234;
	last[PAGE_SIZE / sizeof(long) - 1] = 0x5678;
	KUNIT_EXPECT_EQ(test, page_to_nid(vmalloc_to_page(last)),
			numa_node_id());
	KUNIT_EXPECT_EQ(test, first[0], 0x1234UL);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), 2UL);
	vm_arena_put(a);
}

static void va_best_fit(struct kunit *test)
{
	struct vm_arena *a = va_new(test, 0);

	/* Holes: [0,5) of 5, [8,10) of 2, [13,16) of 3, [20,64) of 44. */
	KUNIT_ASSERT_FALSE(test, IS_ERR(vm_arena_alloc_pages(a, va_at(a, 5), 3,
							     NUMA_NO_NODE, 0)));
	KUNIT_ASSERT_FALSE(test, IS_ERR(vm_arena_alloc_pages(a, va_at(a, 10), 3,
							     NUMA_NO_NODE, 0)));
	KUNIT_ASSERT_FALSE(test, IS_ERR(vm_arena_alloc_pages(a, va_at(a, 16), 4,
							     NUMA_NO_NODE, 0)));
	KUNIT_EXPECT_PTR_EQ(test, vm_arena_alloc_pages(a, NULL, 3,
						       NUMA_NO_NODE, 0),
			    va_at(a, 13));
	KUNIT_EXPECT_PTR_EQ(test, vm_arena_alloc_pages(a, NULL, 2,
						       NUMA_NO_NODE, 0),
			    va_at(a, 8));
	KUNIT_EXPECT_PTR_EQ(test, vm_arena_alloc_pages(a, NULL, 4,
						       NUMA_NO_NODE, 0),
			    va_at(a, 0));
	KUNIT_EXPECT_PTR_EQ(test, vm_arena_alloc_pages(a, NULL, 44,
						       NUMA_NO_NODE, 0),
			    va_at(a, 20));
	KUNIT_EXPECT_PTR_EQ(test, vm_arena_alloc_pages(a, NULL, 1,
						       NUMA_NO_NODE, 0),
			    va_at(a, 4));
	KUNIT_EXPECT_EQ(test, va_err(a, NULL, 1), -ENOMEM);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), (unsigned long)VA_PAGES);
	vm_arena_put(a);
}

static void va_free_errors(struct kunit *test)
{
	struct vm_arena *a = va_new(test, 0);
	unsigned long *p;

	p = vm_arena_alloc_pages(a, va_at(a, 4), 4, NUMA_NO_NODE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(p));
	p[0] = 42;
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, va_at(a, 0), 1), -ENOENT);
	/* Partly allocated at either end: nothing is freed. */
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, va_at(a, 3), 2), -ENOENT);
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, va_at(a, 7), 2), -ENOENT);
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, va_at(a, 4) + 1, 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, va_at(a, 4), 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, va_at(a, VA_PAGES), 1),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, va_at(a, 4), VA_PAGES + 1),
			-E2BIG);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), 4UL);
	KUNIT_EXPECT_EQ(test, p[0], 42UL);

	/* Part of an allocation may be freed; then it is gone. */
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, va_at(a, 5), 2), 0);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), 2UL);
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, va_at(a, 5), 1), -ENOENT);
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, va_at(a, 4), 4), -ENOENT);
	/* The freed range is free again, and unmapped in the kernel. */
	KUNIT_EXPECT_NULL(test, vmalloc_to_page(va_at(a, 5)));
	KUNIT_EXPECT_PTR_EQ(test, vm_arena_alloc_pages(a, NULL, 2,
						       NUMA_NO_NODE, 0),
			    va_at(a, 5));
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, va_at(a, 4), 4), 0);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), 0UL);
	vm_arena_put(a);
}

static void va_reserve(struct kunit *test)
{
	struct vm_arena *a = va_new(test, 0);

	KUNIT_EXPECT_EQ(test, vm_arena_reserve(a, va_at(a, 0), 60), 0);
	KUNIT_EXPECT_EQ(test, vm_arena_reserve(a, va_at(a, 59), 2), -EBUSY);
	KUNIT_EXPECT_EQ(test, vm_arena_reserve(a, va_at(a, 63), 2), -ERANGE);
	KUNIT_EXPECT_EQ(test, va_err(a, va_at(a, 30), 1), -EBUSY);
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, va_at(a, 30), 1), -ENOENT);
	KUNIT_EXPECT_PTR_EQ(test, vm_arena_alloc_pages(a, NULL, 4,
						       NUMA_NO_NODE, 0),
			    va_at(a, 60));
	KUNIT_EXPECT_EQ(test, vm_arena_reserve(a, va_at(a, 61), 1), -EBUSY);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), 4UL);
	vm_arena_put(a);
}

static void va_address_conversion(struct kunit *test)
{
	const unsigned long ubase = 0x200000000UL;
	struct vm_arena *a = va_new(test, 0), *b;

	/* No user address before the first mmap. */
	KUNIT_EXPECT_EQ(test, vm_arena_user_addr(a, va_at(a, 1)), 0UL);
	KUNIT_EXPECT_NULL(test, vm_arena_kern_addr(a, ubase));
	vm_arena_put(a);

	b = vm_arena_create(VA_SIZE, 0, ubase);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	KUNIT_EXPECT_EQ(test, vm_arena_user_base(b), ubase);
	KUNIT_EXPECT_EQ(test, vm_arena_user_addr(b, NULL), 0UL);
	KUNIT_EXPECT_NULL(test, vm_arena_kern_addr(b, 0));
	KUNIT_EXPECT_EQ(test, vm_arena_user_addr(b, va_at(b, 3) + 24),
			ubase + 3 * PAGE_SIZE + 24);
	KUNIT_EXPECT_PTR_EQ(test, vm_arena_kern_addr(b, ubase + 3 * PAGE_SIZE +
						     24),
			    va_at(b, 3) + 24);
	/* Just outside at either end. */
	KUNIT_EXPECT_EQ(test, vm_arena_user_addr(b, va_at(b, 0) - 1), 0UL);
	KUNIT_EXPECT_EQ(test, vm_arena_user_addr(b, va_at(b, VA_PAGES)), 0UL);
	KUNIT_EXPECT_NULL(test, vm_arena_kern_addr(b, ubase - 1));
	KUNIT_EXPECT_NULL(test, vm_arena_kern_addr(b, ubase + VA_SIZE));
	vm_arena_put(b);
}

/* The atomic API under a spinlock with interrupts disabled. */
static void va_atomic_irqs_off(struct kunit *test)
{
	struct vm_arena *a = va_new(test, VM_ARENA_F_ATOMIC);
	struct vm_arena *s = va_new(test, 0);
	unsigned long flags, *p, *q;
	void *busy;
	int ret, ret2;

	spin_lock_irqsave(&va_lock, flags);
	p = vm_arena_alloc_pages_atomic(a, NULL, 3, NUMA_NO_NODE);
	if (!IS_ERR(p)) {
		p[0] = 7;
		p[2 * PAGE_SIZE / sizeof(long)] = 9;
	}
	q = vm_arena_alloc_pages_atomic(a, va_at(a, 3), 1, NUMA_NO_NODE);
	ret = IS_ERR(p) ? -1 : vm_arena_free_pages_atomic(a, p, 3);
	ret2 = vm_arena_free_pages_atomic(a, p, 3);
	/* A deferred free keeps its range busy until the work has run. */
	busy = vm_arena_alloc_pages_atomic(a, va_at(a, 0), 1, NUMA_NO_NODE);
	spin_unlock_irqrestore(&va_lock, flags);

	KUNIT_ASSERT_FALSE(test, IS_ERR(p));
	KUNIT_ASSERT_PTR_EQ(test, (void *)q, va_at(a, 3));
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, ret2, -ENOENT);
	KUNIT_EXPECT_TRUE(test, IS_ERR(busy) || busy == va_at(a, 0));
	if (IS_ERR(busy))
		KUNIT_EXPECT_EQ(test, PTR_ERR(busy), -EBUSY);
	else
		KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, busy, 1), 0);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), 1UL);

	vm_arena_flush_frees(a);
	KUNIT_EXPECT_NULL(test, vmalloc_to_page(va_at(a, 0)));
	KUNIT_EXPECT_PTR_EQ(test, vm_arena_alloc_pages(a, NULL, 3,
						       NUMA_NO_NODE, 0),
			    va_at(a, 0));
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), 4UL);

	/* Only arenas created for it accept the atomic API. */
	p = vm_arena_alloc_pages_atomic(s, NULL, 1, NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, PTR_ERR(p), -EINVAL);
	KUNIT_EXPECT_EQ(test, va_err(s, NULL, 1), 0L);
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages_atomic(s, va_at(s, 0), 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(s), 1UL);
	vm_arena_put(s);
	vm_arena_put(a);
}

struct va_timer {
	struct timer_list timer;
	struct vm_arena *arena;
	struct completion done;
	int rounds;
	int errors;
};

/* Softirq context: allocate, check, free, and again until done. */
static void va_timer_fn(struct timer_list *t)
{
	struct va_timer *vt = from_timer(vt, t, timer);
	unsigned long *p;

	p = vm_arena_alloc_pages_atomic(vt->arena, NULL, 2, NUMA_NO_NODE);
	if (IS_ERR(p) || p[0] || p[PAGE_SIZE / sizeof(long)]) {
		vt->errors++;
	} else {
		p[0] = vt->rounds;
		if (vm_arena_free_pages_atomic(vt->arena, p, 2))
			vt->errors++;
	}
	if (++vt->rounds < 32)
		mod_timer(&vt->timer, jiffies + 1);
	else
		complete(&vt->done);
}

static void va_atomic_from_timer(struct kunit *test)
{
	struct va_timer vt = { .arena = va_new(test, VM_ARENA_F_ATOMIC) };

	init_completion(&vt.done);
	timer_setup_on_stack(&vt.timer, va_timer_fn, 0);
	mod_timer(&vt.timer, jiffies + 1);
	wait_for_completion(&vt.done);
	del_timer_sync(&vt.timer);
	destroy_timer_on_stack(&vt.timer);
	vm_arena_flush_frees(vt.arena);
	KUNIT_EXPECT_EQ(test, vt.errors, 0);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(vt.arena), 0UL);
	vm_arena_put(vt.arena);
}

struct va_thread {
	struct vm_arena *arena;
	struct completion done;
	unsigned long tag;
	int errors;
};

static int va_thread_fn(void *data)
{
	struct va_thread *t = data;
	int i, j;

	for (i = 0; i < 200; i++) {
		unsigned long n = 1 + (i + t->tag) % 5, *p;

		p = vm_arena_alloc_pages(t->arena, NULL, n, NUMA_NO_NODE, 0);
		if (IS_ERR(p)) {
			if (PTR_ERR(p) != -ENOMEM)
				t->errors++;
			continue;
		}
		for (j = 0; j < n; j++)
			p[j * PAGE_SIZE / sizeof(long)] = t->tag;
		cond_resched();
		for (j = 0; j < n; j++)
			if (p[j * PAGE_SIZE / sizeof(long)] != t->tag)
				t->errors++;
		if (vm_arena_free_pages(t->arena, p, n))
			t->errors++;
	}
	complete(&t->done);
	return 0;
}

/* Two threads allocating and freeing: no page is handed out twice. */
static void va_concurrent(struct kunit *test)
{
	struct vm_arena *a = va_new(test, 0);
	struct va_thread t[2];
	int i;

	for (i = 0; i < 2; i++) {
		t[i] = (struct va_thread){ .arena = a, .tag = 0xa0 + i };
		init_completion(&t[i].done);
		KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(va_thread_fn, &t[i],
							    "va_test/%d", i)));
	}
	for (i = 0; i < 2; i++) {
		wait_for_completion(&t[i].done);
		KUNIT_EXPECT_EQ(test, t[i].errors, 0);
	}
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), 0UL);
	vm_arena_put(a);
}

/* Arenas destroyed with pages still allocated give every page back. */
static void va_no_leak(struct kunit *test)
{
	const int cycles = 64;
	long before, after;
	int i;

	flush_delayed_fput();
	rcu_barrier();
	vm_unmap_aliases();
	before = global_zone_page_state(NR_FREE_PAGES);
	for (i = 0; i < cycles; i++) {
		struct vm_arena *a = va_new(test, i & 1 ? VM_ARENA_F_ATOMIC : 0);

		KUNIT_ASSERT_FALSE(test, IS_ERR(vm_arena_alloc_pages(a, NULL,
								     32,
								     NUMA_NO_NODE,
								     0)));
		KUNIT_ASSERT_EQ(test, vm_arena_free_pages(a, va_at(a, 8), 8), 0);
		vm_arena_put(a);
		vm_unmap_aliases();
	}
	/*
	 * An arena's file, put from a kthread, is released by delayed work,
	 * and its inode and dentry after an RCU grace period.
	 */
	flush_delayed_fput();
	rcu_barrier();
	after = global_zone_page_state(NR_FREE_PAGES);
	kunit_info(test, "free pages before %ld, after %d cycles %ld\n",
		   before, cycles, after);
	/*
	 * 24 pages a cycle would be 1536 pages.  Under KASAN the freed
	 * (memcg-charged, so separately cached) objects of each cycle wait in
	 * the quarantine and hold their slab pages: 120 to 307 pages were
	 * seen, so the bound there is 8 a cycle, still a third of one
	 * cycle's pages; without KASAN it is one page a cycle.
	 */
	KUNIT_EXPECT_LT(test, before - after,
			(long)cycles * (IS_ENABLED(CONFIG_KASAN) ? 8 : 1));
}

/* ---- the user side, through an anonymous file ---- */

static int va_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	return vm_arena_mmap(file->private_data, vma);
}

static const struct file_operations va_fops = {
	.mmap = va_file_mmap,
};

struct va_user {
	struct mm_struct *mm;
	struct file *file;
	unsigned long uaddr;
};

static void va_map(struct kunit *test, struct vm_arena *a, struct va_user *u)
{
	u->mm = smm_kunit_use_new_mm();
	KUNIT_ASSERT_NOT_NULL(test, u->mm);
	u->file = anon_inode_getfile("va_test", &va_fops, a, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(u->file));
	u->uaddr = vm_mmap(u->file, 0, VA_SIZE, PROT_READ | PROT_WRITE,
			   MAP_SHARED, 0);
	KUNIT_ASSERT_TRUE(test, offset_in_page(u->uaddr) == 0);
	KUNIT_EXPECT_EQ(test, vm_arena_user_base(a), u->uaddr);
}

static void va_unmap(struct va_user *u)
{
	vm_munmap(u->uaddr, VA_SIZE);
	fput(u->file);
	smm_kunit_drop_mm(u->mm);
}

static bool va_pte_present(struct va_user *u, unsigned long addr)
{
	struct page *page = NULL;
	int n;

	mmap_read_lock(u->mm);
	n = get_user_pages_fast_only(addr, 1, 0, &page);
	mmap_read_unlock(u->mm);
	if (n == 1)
		put_page(page);
	return n == 1;
}

static void va_user_sees_kernel_pages(struct kunit *test)
{
	struct vm_arena *a = va_new(test, 0);
	struct va_user u;
	unsigned long *k, v;

	va_map(test, a, &u);
	k = vm_arena_alloc_pages(a, va_at(a, 2), 2, NUMA_NO_NODE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	k[1] = 0xfeed;
	KUNIT_EXPECT_FALSE(test, va_pte_present(&u, u.uaddr + 2 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, get_user(v, (unsigned long __user *)
				       (u.uaddr + 2 * PAGE_SIZE + 8)), 0);
	KUNIT_EXPECT_EQ(test, v, 0xfeedUL);
	KUNIT_EXPECT_EQ(test, vm_arena_user_faults(a), 0UL);
	/* User writes are seen by the kernel. */
	KUNIT_EXPECT_EQ(test, put_user(0xbeefUL, (unsigned long __user *)
				       (u.uaddr + 3 * PAGE_SIZE)), 0);
	KUNIT_EXPECT_EQ(test, k[PAGE_SIZE / sizeof(long)], 0xbeefUL);

	/* A user touch of a free page allocates it, zeroed. */
	KUNIT_EXPECT_EQ(test, get_user(v, (unsigned long __user *)
				       (u.uaddr + 9 * PAGE_SIZE)), 0);
	KUNIT_EXPECT_EQ(test, v, 0UL);
	KUNIT_EXPECT_EQ(test, vm_arena_user_faults(a), 1UL);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), 3UL);
	KUNIT_EXPECT_NOT_NULL(test, vmalloc_to_page(va_at(a, 9)));

	/* Free zaps the user mapping: the next touch gets a fresh page. */
	KUNIT_EXPECT_TRUE(test, va_pte_present(&u, u.uaddr + 2 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, k, 2), 0);
	KUNIT_EXPECT_FALSE(test, va_pte_present(&u, u.uaddr + 2 * PAGE_SIZE));
	KUNIT_EXPECT_FALSE(test, va_pte_present(&u, u.uaddr + 3 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, get_user(v, (unsigned long __user *)
				       (u.uaddr + 2 * PAGE_SIZE + 8)), 0);
	KUNIT_EXPECT_EQ(test, v, 0UL);
	KUNIT_EXPECT_EQ(test, vm_arena_user_faults(a), 2UL);
	va_unmap(&u);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), 2UL);
	vm_arena_put(a);
}

static void va_user_populate_and_segv(struct kunit *test)
{
	struct vm_arena *a = va_new(test, VM_ARENA_F_SEGV_ON_FAULT);
	struct va_user u;
	unsigned long *k, v;
	int i;

	va_map(test, a, &u);
	KUNIT_EXPECT_EQ(test, vm_arena_reserve(a, va_at(a, 40), 1), 0);
	k = vm_arena_alloc_pages(a, va_at(a, 0), 16, NUMA_NO_NODE,
				 VM_ARENA_ALLOC_POPULATE);
	KUNIT_ASSERT_PTR_EQ(test, (void *)k, va_at(a, 0));
	for (i = 0; i < 16; i++)
		KUNIT_EXPECT_TRUE(test, va_pte_present(&u, u.uaddr +
						       i * PAGE_SIZE));
	KUNIT_EXPECT_FALSE(test, va_pte_present(&u, u.uaddr + 16 * PAGE_SIZE));
	/* Unallocated and reserved pages fault with SIGSEGV: -EFAULT here. */
	KUNIT_EXPECT_EQ(test, get_user(v, (unsigned long __user *)
				       (u.uaddr + 20 * PAGE_SIZE)), -EFAULT);
	KUNIT_EXPECT_EQ(test, get_user(v, (unsigned long __user *)
				       (u.uaddr + 40 * PAGE_SIZE)), -EFAULT);
	KUNIT_EXPECT_EQ(test, vm_arena_user_faults(a), 0UL);
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, k, 16), 0);
	KUNIT_EXPECT_FALSE(test, va_pte_present(&u, u.uaddr));
	KUNIT_EXPECT_EQ(test, get_user(v, (unsigned long __user *)u.uaddr),
			-EFAULT);
	va_unmap(&u);
	vm_arena_put(a);
}

/* vm_arena_read()/vm_arena_write(): the nofault rule for kernel users. */
static void va_read_write(struct kunit *test)
{
	struct vm_arena *a = va_new(test, 0);
	u64 size = VA_SIZE, v = 0x1234;
	char buf[32];

	KUNIT_EXPECT_EQ(test, vm_arena_read(NULL, 0, buf, 8), -EINVAL);
	KUNIT_EXPECT_EQ(test, vm_arena_write(NULL, 0, buf, 8), -EINVAL);
	/* Outside the arena, or wrapping around: -ERANGE. */
	KUNIT_EXPECT_EQ(test, vm_arena_read(a, size, buf, 1), -ERANGE);
	KUNIT_EXPECT_EQ(test, vm_arena_read(a, size - 4, buf, 8), -ERANGE);
	KUNIT_EXPECT_EQ(test, vm_arena_write(a, ~0ULL - 2, buf, 8), -ERANGE);
	KUNIT_EXPECT_EQ(test, vm_arena_read(a, 8, buf, SIZE_MAX), -ERANGE);
	KUNIT_EXPECT_EQ(test, vm_arena_read(a, size, buf, 0), 0);
	/* Nothing allocated: -EFAULT, not an oops. */
	KUNIT_EXPECT_EQ(test, vm_arena_read(a, 0, &v, sizeof(v)), -EFAULT);
	KUNIT_EXPECT_EQ(test, vm_arena_write(a, PAGE_SIZE, &v, sizeof(v)),
			-EFAULT);

	KUNIT_ASSERT_FALSE(test, IS_ERR(vm_arena_alloc_pages(a, va_at(a, 1),
							     1, NUMA_NO_NODE,
							     0)));
	v = 0xabcdef;
	KUNIT_EXPECT_EQ(test, vm_arena_write(a, PAGE_SIZE + 16, &v, sizeof(v)),
			0);
	v = 0;
	KUNIT_EXPECT_EQ(test, vm_arena_read(a, PAGE_SIZE + 16, &v, sizeof(v)),
			0);
	KUNIT_EXPECT_EQ(test, v, 0xabcdefULL);
	/* A copy that runs off the allocated page fails as a whole call. */
	KUNIT_EXPECT_EQ(test, vm_arena_read(a, 2 * PAGE_SIZE - 8, buf, 16),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, vm_arena_write(a, PAGE_SIZE - 8, buf, 16),
			-EFAULT);
	/* After a free the same offset reads as unallocated. */
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, va_at(a, 1), 1), 0);
	KUNIT_EXPECT_EQ(test, vm_arena_read(a, PAGE_SIZE + 16, &v, sizeof(v)),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), 0UL);
	vm_arena_put(a);
}

/*
 * A populating allocation raced by a free of the same page, many times;
 * at quiescent points no user PTE may map a page the index does not hold
 * (the first version populated atomic arenas only with that check, and a
 * sleeping free between the index update and the populate walk left a
 * stale PTE behind).
 */
struct va_race {
	struct vm_arena *a;
	atomic_t pause;		/* 1: the freer must stop and say so */
	atomic_t paused;
	unsigned long frees;
};

static int va_race_freer(void *data)
{
	struct va_race *r = data;

	while (!kthread_should_stop()) {
		if (atomic_read(&r->pause)) {
			atomic_set(&r->paused, 1);
			while (atomic_read(&r->pause) && !kthread_should_stop())
				cond_resched();
			atomic_set(&r->paused, 0);
			continue;
		}
		if (!vm_arena_free_pages(r->a, va_at(r->a, 0), 1))
			r->frees++;
		cond_resched();
	}
	return 0;
}

static struct page *va_user_page(struct va_user *u, unsigned long addr)
{
	struct page *page = NULL;

	mmap_read_lock(u->mm);
	if (get_user_pages_fast_only(addr, 1, 0, &page) != 1)
		page = NULL;
	mmap_read_unlock(u->mm);
	return page;
}

static void va_populate_races_free(struct kunit *test)
{
	struct va_race r = { .a = va_new(test, 0) };
	unsigned long allocs = 0, checks = 0, bad = 0;
	struct task_struct *t;
	struct va_user u;
	int i;

	va_map(test, r.a, &u);
	t = kthread_run(va_race_freer, &r, "va_race_freer");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	for (i = 0; i < 1000; i++) {
		struct page *user, *kern;
		void *k;

		k = vm_arena_alloc_pages(r.a, va_at(r.a, 0), 1, NUMA_NO_NODE,
					 VM_ARENA_ALLOC_POPULATE);
		if (!IS_ERR(k))
			allocs++;
		/* Stop the freer, then compare the user PTE with the index. */
		atomic_set(&r.pause, 1);
		while (!atomic_read(&r.paused))
			cond_resched();
		user = va_user_page(&u, u.uaddr);
		kern = vm_arena_pages_in_use(r.a) ? vmalloc_to_page(va_at(r.a, 0))
						  : NULL;
		if (user && user != kern)
			bad++;
		if (user)
			put_page(user);
		checks++;
		atomic_set(&r.pause, 0);
		while (atomic_read(&r.paused))
			cond_resched();
	}
	kthread_stop(t);
	kunit_info(test, "%lu allocations, %lu frees, %lu checks, %lu stale\n",
		   allocs, r.frees, checks, bad);
	KUNIT_EXPECT_EQ(test, bad, 0UL);
	/* Both sides ran: the race was exercised. */
	KUNIT_EXPECT_GT(test, r.frees, 50UL);
	va_unmap(&u);
	vm_arena_put(r.a);
}

/*
 * Interrupts-off bound under a hostile layout: a reserve on every other
 * page (no memory spent) leaves ~2^21 one-page holes (2^17 under KASAN),
 * and a best fit for two pages must look at every one of them.  The first
 * version scanned them all with interrupts disabled.  Now every hold of
 * the arena's lock scans a bounded number of bits, and freeing 16384
 * pages holds it for a batch at a time.
 */
#define VA_HOSTILE_PAGES	min(1UL << 22, VM_ARENA_MAX_SIZE >> PAGE_SHIFT)
#define VA_HOSTILE_BIG		16384UL

static void va_irqs_off_bounded(struct kunit *test)
{
	struct vm_arena *a = vm_arena_create(VA_HOSTILE_PAGES * PAGE_SIZE, 0,
					     0);
	unsigned long i, holes_end = VA_HOSTILE_PAGES - VA_HOSTILE_BIG;
	const s64 limit_ms = IS_ENABLED(CONFIG_KCSAN) ? 400 : 100;
	struct smm_latency lat;
	void *k, *big;
	s64 fit_ns, free_ns;

	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	/* Reserved pages 0, 2, ... holes_end - 130; then 129 free pages. */
	for (i = 0; i < holes_end / 2 - 64; i++)
		KUNIT_ASSERT_EQ(test, vm_arena_reserve(a, va_at(a, 2 * i), 1),
				0);
	big = vm_arena_alloc_pages(a, va_at(a, holes_end), VA_HOSTILE_BIG,
				   NUMA_NO_NODE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(big));

	migrate_disable();
	smm_latency_start(&lat);
	/* Two pages fit only past the holes: every hole is examined. */
	k = vm_arena_alloc_pages(a, NULL, 2, NUMA_NO_NODE, 0);
	fit_ns = smm_latency_stop(&lat);
	smm_latency_start(&lat);
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, big, VA_HOSTILE_BIG), 0);
	free_ns = smm_latency_stop(&lat);
	migrate_enable();

	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	/* One-page holes do not fit: the 129-page run below @big does. */
	KUNIT_EXPECT_PTR_EQ(test, k, va_at(a, holes_end - 129));
	kunit_info(test, "# bench: arena_irqs_off holes=%lu best_fit_max_timer_late_us=%lld free_%lu_pages_max_timer_late_us=%lld\n",
		   holes_end / 2 - 64, fit_ns / 1000, VA_HOSTILE_BIG,
		   free_ns / 1000);
	/*
	 * Generous for TCG: a loaded host delays a vCPU by tens of ms (35 ms
	 * seen at load 8 on 2 cores).  The unbounded scan measured 442 ms.
	 * KCSAN makes every access a call into its runtime and delays some
	 * by up to 80 us with interrupts off: 130 ms and 103 ms were seen
	 * there at load 10, so its bound is four times as wide.
	 */
	KUNIT_EXPECT_LT(test, fit_ns, limit_ms * NSEC_PER_MSEC);
	KUNIT_EXPECT_LT(test, free_ns, limit_ms * NSEC_PER_MSEC);
	vm_arena_put(a);
}

/* Free pages, with every CPU's per-cpu lists drained into the buddy lists. */
static long va_free_pages(void)
{
	vm_unmap_aliases();
	drain_all_pages(NULL);
	return global_zone_page_state(NR_FREE_PAGES);
}

/*
 * Destroying an arena gives back the kernel page tables of its range.
 * One page touched per 2 MiB of a 2 GiB arena needs 1024 PTE pages and
 * two or three PMD pages; a 1 GiB atomic arena builds 512 PTE pages and
 * a PMD page or two at creation.  After the last put, a sparse area put
 * at the same address finds at most the tables at its ends, and free
 * memory is back where it was (but for the slab pages that cached the
 * index's nodes), not a page table per 2 MiB short.
 */
static void va_pgtables_freed_at_destroy(struct kunit *test)
{
	static const struct {
		u64 size;
		unsigned int flags;
	} kinds[] = {
		/* VM_ARENA_MAX_SIZE is 1 GiB under KASAN_VMALLOC. */
		{ IS_ENABLED(CONFIG_KASAN_VMALLOC) ? SZ_1G : SZ_2G, 0 },
		{ SZ_1G, VM_ARENA_F_ATOMIC },
	};
	int k;

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		unsigned long n = kinds[k].size >> PAGE_SHIFT, off, base;
		long before, used, after, slab;
		struct vm_arena_cost cost;
		struct vm_struct *probe;
		struct vm_arena *a;

		before = va_free_pages();
		a = vm_arena_create(kinds[k].size, kinds[k].flags, 0);
		KUNIT_ASSERT_FALSE(test, IS_ERR(a));
		base = (unsigned long)vm_arena_base(a);
		for (off = 0; off < n; off += PMD_SIZE >> PAGE_SHIFT)
			KUNIT_ASSERT_FALSE(test,
					   IS_ERR(vm_arena_alloc_pages(a,
								       va_at(a, off),
								       1,
								       NUMA_NO_NODE,
								       0)));
		used = before - va_free_pages();
		vm_arena_memory(a, &cost);
		slab = DIV_ROUND_UP(cost.index_bytes, PAGE_SIZE);
		vm_arena_put(a);
		after = va_free_pages();

		probe = __get_vm_area_caller(kinds[k].size, VM_SPARSE, base,
					     base + kinds[k].size + PAGE_SIZE,
					     __builtin_return_address(0));
		KUNIT_ASSERT_NOT_NULL(test, probe);
		kunit_info(test, "%llu MiB arena%s, one page per 2 MiB: %lu page-table pages, %ld pages used, %ld still missing after destroy (index %ld pages), %lu tables left\n",
			   kinds[k].size >> 20,
			   kinds[k].flags ? " (atomic)" : "", cost.pgtable_pages,
			   used, before - after, slab,
			   vm_area_pgtable_pages(probe));
		/* Data pages and page tables: all of it was used... */
		KUNIT_EXPECT_GE(test, cost.pgtable_pages, n >> 9);
		KUNIT_EXPECT_GE(test, used, (long)(2 * (n >> 9)));
		/* ...and all of it came back. */
		KUNIT_EXPECT_LE(test, vm_area_pgtable_pages(probe), 4UL);
		/*
		 * KASAN_VMALLOC frees the shadow of a freed range but keeps
		 * the page tables that mapped it: one per 2 MiB of shadow.
		 */
		KUNIT_EXPECT_LT(test, before - after, 64 + slab +
				(IS_ENABLED(CONFIG_KASAN_VMALLOC) ?
				 (long)(n / 8 / PTRS_PER_PTE) + 2 : 0));
		free_vm_area(probe);
	}
}

/* vm_arena_memory() reports bitmaps, index, pages and page tables. */
static void va_memory_cost(struct kunit *test)
{
	const unsigned long n = VM_ARENA_MAX_SIZE >> PAGE_SHIFT;
	struct vm_arena_cost c0, c1;
	struct vm_arena *a;
	unsigned long i;

	a = vm_arena_create(VM_ARENA_MAX_SIZE, 0, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	vm_arena_memory(a, &c0);
	KUNIT_EXPECT_EQ(test, c0.pages, 0UL);
	KUNIT_EXPECT_EQ(test, c0.bitmap_bytes, (size_t)(2 * n / 8));
	KUNIT_EXPECT_GT(test, c0.index_bytes, (size_t)0);
	KUNIT_EXPECT_GT(test, c0.struct_bytes, (size_t)0);
	KUNIT_EXPECT_EQ(test, c0.reserved_bytes,
			(u64)VM_ARENA_MAX_SIZE + PAGE_SIZE);

	/* Eight pages far apart: eight PTE pages and eight index leaves. */
	for (i = 0; i < 8; i++)
		KUNIT_ASSERT_FALSE(test,
				   IS_ERR(vm_arena_alloc_pages(a, va_at(a, i * (n / 8)),
							       1, NUMA_NO_NODE,
							       0)));
	vm_arena_memory(a, &c1);
	kunit_info(test, "%llu GiB arena, 8 pages: bitmaps %zu, index %zu, struct %zu bytes, %lu page-table pages, %llu bytes reserved\n",
		   VM_ARENA_MAX_SIZE >> 30, c1.bitmap_bytes, c1.index_bytes,
		   c1.struct_bytes, c1.pgtable_pages, c1.reserved_bytes);
	KUNIT_EXPECT_EQ(test, c1.pages, 8UL);
	KUNIT_EXPECT_GE(test, c1.index_bytes, c0.index_bytes + 8 * 512);
	KUNIT_EXPECT_GE(test, c1.pgtable_pages, 8UL);
	KUNIT_EXPECT_EQ(test, c1.bitmap_bytes, c0.bitmap_bytes);
	vm_arena_put(a);
}

static unsigned long va_file_unmapped_area(struct file *file,
					   unsigned long addr,
					   unsigned long len,
					   unsigned long pgoff,
					   unsigned long flags)
{
	return vm_arena_get_unmapped_area(file->private_data, file, addr, len,
					  pgoff, flags);
}

static const struct file_operations va_window_fops = {
	.mmap = va_file_mmap,
	.get_unmapped_area = va_file_unmapped_area,
};

/*
 * Window arenas (the BPF arena's kernel side): a page's kernel address is
 * the window base plus the low 32 bits of its user address, the user range
 * never crosses 4 GiB, and the reservation is the window and its guards.
 */
static void va_window(struct kunit *test)
{
	const unsigned long lo = 0x12345000UL, high = 1UL << 40;
	const u64 resv = IS_ENABLED(CONFIG_KASAN_VMALLOC) ?
		VA_SIZE + 2 * VM_ARENA_WINDOW_GUARD :
		SZ_4G + 2 * VM_ARENA_WINDOW_GUARD;
	struct vm_arena_cost c;
	struct vm_struct *area;
	struct vm_arena *a;
	struct mm_struct *mm;
	struct file *f;
	unsigned long u, v;
	long *k;

	KUNIT_EXPECT_EQ(test, PTR_ERR(vm_arena_create_window(0, 0, 0)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(vm_arena_create_window(SZ_4G + PAGE_SIZE,
							     0, 0)), -E2BIG);
	KUNIT_EXPECT_EQ(test, PTR_ERR(vm_arena_create_window(VA_SIZE,
							     VM_ARENA_F_ATOMIC,
							     0)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(vm_arena_create_window(SZ_2M, 0,
							     high + SZ_4G - SZ_1M)),
			-ERANGE);
	a = va_new(test, 0);
	KUNIT_EXPECT_NULL(test, vm_arena_window_base(a));
	vm_arena_put(a);

	/* A user address given: its low 32 bits are the kernel offset. */
	a = vm_arena_create_window(VA_SIZE, 0, high + lo);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(a), "create: %ld", PTR_ERR(a));
	KUNIT_EXPECT_EQ(test, (unsigned long)(vm_arena_base(a) -
					      vm_arena_window_base(a)), lo);
	vm_arena_memory(a, &c);
	KUNIT_EXPECT_EQ(test, c.reserved_bytes, resv + PAGE_SIZE);
	area = find_vm_area(vm_arena_base(a));
	KUNIT_ASSERT_NOT_NULL(test, area);
	/* get_vm_area() adds its guard page to the size. */
	KUNIT_EXPECT_EQ(test, (u64)get_vm_area_size(area), resv);
	KUNIT_EXPECT_EQ(test, (unsigned long)vm_arena_base(a) -
			(unsigned long)area->addr,
			(IS_ENABLED(CONFIG_KASAN_VMALLOC) ? 0 : lo) +
			VM_ARENA_WINDOW_GUARD);
	vm_arena_put(a);

	/* None given: the first mapping has low 32 bits 0, none other. */
	a = vm_arena_create_window(VA_SIZE, 0, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(a), "create: %ld", PTR_ERR(a));
	mm = smm_kunit_use_new_mm();
	KUNIT_ASSERT_NOT_NULL(test, mm);
	f = anon_inode_getfile("va_window", &va_window_fops, a, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f));
	KUNIT_EXPECT_EQ(test, (long)vm_mmap(f, high + 16 * PAGE_SIZE, VA_SIZE,
					    PROT_READ | PROT_WRITE,
					    MAP_SHARED | MAP_FIXED, 0),
			(long)-EBUSY);
	u = vm_mmap(f, 0, VA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(u), "mmap: %ld", (long)u);
	KUNIT_EXPECT_EQ(test, lower_32_bits(u), 0U);
	KUNIT_EXPECT_EQ(test, vm_arena_user_base(a), u);
	k = vm_arena_alloc_pages(a, vm_arena_base(a) + 3 * PAGE_SIZE, 1,
				 NUMA_NO_NODE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	KUNIT_EXPECT_PTR_EQ(test, (void *)k, vm_arena_window_base(a) +
			    lower_32_bits(u + 3 * PAGE_SIZE));
	k[1] = 77;
	KUNIT_EXPECT_EQ(test, get_user(v, (unsigned long __user *)
				       (u + 3 * PAGE_SIZE + 8)), 0);
	KUNIT_EXPECT_EQ(test, v, 77UL);
	vm_munmap(u, VA_SIZE);
	fput(f);
	smm_kunit_drop_mm(mm);
	vm_arena_put(a);
}

/* ---- lazy frees: the kernel TLB flush is batched ---- */

/*
 * What a free may keep per arena for one flush, as vm_arena_free_pages()
 * documents it.
 */
#define VA_LAZY_MAX	64

static unsigned long va_lazy(struct vm_arena *a)
{
	struct vm_arena_cost c;

	vm_arena_memory(a, &c);
	return c.lazy_pages;
}

static size_t va_index_bytes(struct vm_arena *a)
{
	struct vm_arena_cost c;

	vm_arena_memory(a, &c);
	return c.index_bytes;
}

#define VA_WORD(b)	(0x0101010101010101ULL * (u8)(b))

/*
 * Allocate @x (one page), fill it with @fill and have the reader read it,
 * so that the reader's TLB holds the translation.
 */
static struct page *va_touched_page(struct kunit *test, struct vm_arena *a,
				    struct smm_reader *r, void *x, u8 fill)
{
	u64 v;

	KUNIT_ASSERT_PTR_EQ(test, vm_arena_alloc_pages(a, x, 1, NUMA_NO_NODE,
						       0), x);
	memset(x, fill, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, smm_remote_read(r, x, &v), 0);
	KUNIT_EXPECT_EQ(test, v, VA_WORD(fill));
	return vmalloc_to_page(x);
}

/*
 * Free the page at @x (which only the arena holds) and take a reference
 * on it afterwards, which works only while the arena still has it: a
 * reference taken before would make the free release the page at once.
 */
static struct page *va_free_hold(struct kunit *test, struct vm_arena *a,
				 void *x)
{
	struct page *page = vmalloc_to_page(x);

	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, x, 1), 0);
	KUNIT_ASSERT_TRUE(test, get_page_unless_zero(page));
	return page;
}

/*
 * After a free, another CPU may still translate the page's kernel address
 * to the old page until the lazy flush; the lazy rules must make that
 * harmless.  A reader on the second CPU reads the page first, so that its
 * TLB holds the translation.  Then: the freed page is kept (the arena's
 * reference is there besides ours) until a purge; a new allocation of the
 * same offset maps that same page, zeroed, and the reader sees the
 * zeroes; after a purge -- forced, by the threshold, or at destroy -- the
 * arena has let the page go, the reader faults at the address, and a new
 * allocation of the offset, which then gets another page (ours is still
 * held), is what the reader sees.  Without the purge's flush the reader
 * would still read the old page's pattern through its stale entry.
 */
static void va_lazy_no_stale_tlb(struct kunit *test)
{
	struct vm_arena *a = vm_arena_create(4 * VA_LAZY_MAX * PAGE_SIZE, 0, 0);
	unsigned long i, stale = 0, tries = 0;
	struct smm_reader *r;
	struct page *old;
	size_t index;
	void *x;
	u64 v;

	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	x = va_at(a, 5);
	r = smm_reader_start(test);

	/* Freed: unmapped, unreadable through the API, but still held. */
	va_touched_page(test, a, r, x, 0xa5);
	index = va_index_bytes(a);
	old = va_free_hold(test, a, x);
	/* The page's index slot stays for the next allocation there. */
	KUNIT_EXPECT_EQ(test, va_index_bytes(a), index);
	KUNIT_EXPECT_NULL(test, vmalloc_to_page(x));
	KUNIT_EXPECT_EQ(test, vm_arena_read(a, 5 * PAGE_SIZE, &v, sizeof(v)),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), 0UL);
	KUNIT_EXPECT_EQ(test, va_lazy(a), 1UL);
	KUNIT_EXPECT_EQ(test, page_count(old), 2);
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, x, 1), -ENOENT);
	tries++;
	if (!smm_remote_read(r, x, &v)) {
		/* Through the stale entry: only ever the old page. */
		KUNIT_EXPECT_EQ(test, v, VA_WORD(0xa5));
		stale++;
	}

	/* Allocated again at once: the same page, zeroed, seen so. */
	KUNIT_EXPECT_PTR_EQ(test, vm_arena_alloc_pages(a, x, 1, NUMA_NO_NODE,
						       0), x);
	KUNIT_EXPECT_PTR_EQ(test, vmalloc_to_page(x), old);
	KUNIT_EXPECT_EQ(test, va_lazy(a), 0UL);
	KUNIT_EXPECT_EQ(test, va_index_bytes(a), index);
	KUNIT_EXPECT_EQ(test, smm_remote_read(r, x, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 0ULL);
	KUNIT_EXPECT_NULL(test, memchr_inv(x, 0, PAGE_SIZE));
	memset(x, 0x5a, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, smm_remote_read(r, x, &v), 0);
	KUNIT_EXPECT_EQ(test, v, VA_WORD(0x5a));
	put_page(old);

	/* Freed and purged: released; the next page there is another. */
	old = va_free_hold(test, a, x);
	KUNIT_EXPECT_EQ(test, page_count(old), 2);
	tries++;
	if (!smm_remote_read(r, x, &v))
		stale++;
	vm_arena_flush_frees(a);
	KUNIT_EXPECT_EQ(test, page_count(old), 1);
	KUNIT_EXPECT_EQ(test, va_lazy(a), 0UL);
	/* Released for good: the only page there, so its index node goes. */
	KUNIT_EXPECT_LT(test, va_index_bytes(a), index);
	/* The purge flushed: nothing translates the address any more. */
	KUNIT_EXPECT_EQ(test, smm_remote_read(r, x, &v), -EFAULT);
	KUNIT_EXPECT_PTR_EQ(test, vm_arena_alloc_pages(a, x, 1, NUMA_NO_NODE,
						       0), x);
	KUNIT_EXPECT_PTR_NE(test, vmalloc_to_page(x), old);
	KUNIT_EXPECT_EQ(test, smm_remote_read(r, x, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 0ULL);
	put_page(old);
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, x, 1), 0);
	vm_arena_flush_frees(a);

	/*
	 * The threshold: after @x, pages at other offsets are freed, each
	 * allocated new; within %VA_LAZY_MAX frees a purge lets @x's go.
	 */
	va_touched_page(test, a, r, x, 0xc3);
	old = va_free_hold(test, a, x);
	tries++;
	if (!smm_remote_read(r, x, &v))
		stale++;
	for (i = 1; i < 2 * VA_LAZY_MAX && page_count(old) > 1; i++) {
		void *y = va_at(a, 10 + i);

		KUNIT_ASSERT_PTR_EQ(test, vm_arena_alloc_pages(a, y, 1,
							       NUMA_NO_NODE, 0),
				    y);
		KUNIT_ASSERT_EQ(test, vm_arena_free_pages(a, y, 1), 0);
	}
	kunit_info(test, "a freed page was released after %lu frees\n", i);
	KUNIT_EXPECT_EQ(test, i, (unsigned long)VA_LAZY_MAX);
	KUNIT_EXPECT_EQ(test, page_count(old), 1);
	KUNIT_EXPECT_EQ(test, va_lazy(a), 0UL);
	KUNIT_EXPECT_EQ(test, smm_remote_read(r, x, &v), -EFAULT);
	KUNIT_EXPECT_PTR_EQ(test, vm_arena_alloc_pages(a, x, 1, NUMA_NO_NODE,
						       0), x);
	KUNIT_EXPECT_PTR_NE(test, vmalloc_to_page(x), old);
	KUNIT_EXPECT_EQ(test, smm_remote_read(r, x, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 0ULL);
	put_page(old);

	/* Destroyed with a lazy page: it is released too. */
	old = va_free_hold(test, a, x);
	KUNIT_EXPECT_EQ(test, page_count(old), 2);
	vm_arena_put(a);
	KUNIT_EXPECT_EQ(test, page_count(old), 1);
	put_page(old);

	/*
	 * Under TCG every try finds the stale entry: the flush is lazy and
	 * the checks above ran against a CPU that could have misread.
	 */
	kunit_info(test, "old translation still used by the other CPU after %lu of %lu frees\n",
		   stale, tries);
}

/*
 * Frees leave their offsets free for every allocation at once: best fit
 * (which then takes the page freed there), a fixed range over lazy and
 * released pages, the atomic API, a reservation (which leaves the page
 * to the next purge).  Only the lazy pages count in lazy_pages.
 */
static void va_lazy_reuse(struct kunit *test)
{
	struct vm_arena *a = va_new(test, VM_ARENA_F_ATOMIC);
	struct page *p7, *p40, *p41, *p42;
	unsigned long flags;
	void *k;

	KUNIT_ASSERT_PTR_EQ(test, vm_arena_alloc_pages(a, NULL, VA_PAGES,
						       NUMA_NO_NODE, 0),
			    va_at(a, 0));
	memset(va_at(a, 0), 0xee, VA_SIZE);
	p7 = va_free_hold(test, a, va_at(a, 7));
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, va_at(a, 30), 1), 0);
	KUNIT_EXPECT_EQ(test, va_lazy(a), 2UL);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), VA_PAGES - 2UL);

	/* A full arena but for two lazy pages: best fit finds them. */
	KUNIT_EXPECT_PTR_EQ(test, vm_arena_alloc_pages(a, NULL, 1,
						       NUMA_NO_NODE, 0),
			    va_at(a, 7));
	KUNIT_EXPECT_PTR_EQ(test, vmalloc_to_page(va_at(a, 7)), p7);
	KUNIT_EXPECT_NULL(test, memchr_inv(va_at(a, 7), 0, PAGE_SIZE));
	put_page(p7);
	spin_lock_irqsave(&va_lock, flags);
	k = vm_arena_alloc_pages_atomic(a, NULL, 1, NUMA_NO_NODE);
	spin_unlock_irqrestore(&va_lock, flags);
	KUNIT_EXPECT_PTR_EQ(test, k, va_at(a, 30));
	KUNIT_EXPECT_NULL(test, memchr_inv(va_at(a, 30), 0, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, va_err(a, NULL, 1), -ENOMEM);
	KUNIT_EXPECT_EQ(test, va_lazy(a), 0UL);

	/* A fixed range over two lazy pages and a released one. */
	p42 = va_free_hold(test, a, va_at(a, 42));
	vm_arena_flush_frees(a);
	KUNIT_EXPECT_EQ(test, page_count(p42), 1);
	p40 = va_free_hold(test, a, va_at(a, 40));
	p41 = va_free_hold(test, a, va_at(a, 41));
	KUNIT_EXPECT_EQ(test, va_lazy(a), 2UL);
	KUNIT_EXPECT_PTR_EQ(test, vm_arena_alloc_pages(a, va_at(a, 40), 3,
						       NUMA_NO_NODE, 0),
			    va_at(a, 40));
	KUNIT_EXPECT_PTR_EQ(test, vmalloc_to_page(va_at(a, 40)), p40);
	KUNIT_EXPECT_PTR_EQ(test, vmalloc_to_page(va_at(a, 41)), p41);
	KUNIT_EXPECT_PTR_NE(test, vmalloc_to_page(va_at(a, 42)), p42);
	KUNIT_EXPECT_NULL(test, memchr_inv(va_at(a, 40), 0, 3 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, va_lazy(a), 0UL);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), (unsigned long)VA_PAGES);
	put_page(p40);
	put_page(p41);
	put_page(p42);

	/* Reserved over a lazy page: never mapped again, released later. */
	p40 = va_free_hold(test, a, va_at(a, 40));
	KUNIT_EXPECT_EQ(test, vm_arena_reserve(a, va_at(a, 40), 1), 0);
	KUNIT_EXPECT_EQ(test, va_lazy(a), 1UL);
	KUNIT_EXPECT_EQ(test, page_count(p40), 2);
	KUNIT_EXPECT_EQ(test, va_err(a, va_at(a, 40), 1), -EBUSY);
	KUNIT_EXPECT_NULL(test, vmalloc_to_page(va_at(a, 40)));
	vm_arena_flush_frees(a);
	KUNIT_EXPECT_EQ(test, page_count(p40), 1);
	KUNIT_EXPECT_EQ(test, va_lazy(a), 0UL);
	put_page(p40);
	vm_arena_put(a);
}

/*
 * A page someone else holds when it is freed (here our reference, as a
 * pin taken through a user mapping would be) is not kept for reuse: the
 * free flushes and releases it at once (the lazy pages with it, as the
 * flush covers them too), and a new allocation of the offset gets
 * another page.  Frees from atomic context become lazy on their work
 * item, and vm_arena_flush_frees() releases them.
 */
static void va_lazy_held_and_atomic(struct kunit *test)
{
	struct vm_arena *a = va_new(test, VM_ARENA_F_ATOMIC);
	struct page *held, *p;
	unsigned long flags;
	int ret, i;

	KUNIT_ASSERT_PTR_EQ(test, vm_arena_alloc_pages(a, va_at(a, 3), 2,
						       NUMA_NO_NODE, 0),
			    va_at(a, 3));
	KUNIT_ASSERT_FALSE(test, IS_ERR(vm_arena_alloc_pages(a, va_at(a, 9), 1,
							     NUMA_NO_NODE, 0)));
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, va_at(a, 9), 1), 0);
	KUNIT_EXPECT_EQ(test, va_lazy(a), 1UL);
	held = vmalloc_to_page(va_at(a, 3));
	get_page(held);
	KUNIT_EXPECT_EQ(test, vm_arena_free_pages(a, va_at(a, 3), 2), 0);
	/* The held page went at once (ours is the one reference left). */
	KUNIT_EXPECT_EQ(test, page_count(held), 1);
	KUNIT_EXPECT_EQ(test, va_lazy(a), 0UL);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), 0UL);
	KUNIT_EXPECT_PTR_EQ(test, vm_arena_alloc_pages(a, va_at(a, 3), 2,
						       NUMA_NO_NODE, 0),
			    va_at(a, 3));
	KUNIT_EXPECT_PTR_NE(test, vmalloc_to_page(va_at(a, 3)), held);
	put_page(held);
	p = vmalloc_to_page(va_at(a, 4));

	spin_lock_irqsave(&va_lock, flags);
	ret = vm_arena_free_pages_atomic(a, va_at(a, 3), 2);
	spin_unlock_irqrestore(&va_lock, flags);
	KUNIT_EXPECT_EQ(test, ret, 0);
	/* The work item unmaps them and makes them lazy. */
	for (i = 0; i < 250 && va_lazy(a) < 2; i++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, va_lazy(a), 2UL);
	KUNIT_EXPECT_NULL(test, vmalloc_to_page(va_at(a, 4)));
	KUNIT_ASSERT_TRUE(test, get_page_unless_zero(p));
	vm_arena_flush_frees(a);
	KUNIT_EXPECT_EQ(test, va_lazy(a), 0UL);
	KUNIT_EXPECT_EQ(test, page_count(p), 1);
	put_page(p);
	KUNIT_EXPECT_EQ(test, vm_arena_pages_in_use(a), 0UL);
	vm_arena_put(a);
}

/* Under memory pressure the shrinker releases every arena's lazy pages. */
static void va_lazy_shrinker(struct kunit *test)
{
	struct vm_arena *a = va_new(test, 0), *b = va_new(test, 0);
	struct page *pa, *pb;

	KUNIT_ASSERT_FALSE(test, IS_ERR(vm_arena_alloc_pages(a, va_at(a, 1), 1,
							     NUMA_NO_NODE, 0)));
	KUNIT_ASSERT_FALSE(test, IS_ERR(vm_arena_alloc_pages(b, va_at(b, 2), 1,
							     NUMA_NO_NODE, 0)));
	pa = va_free_hold(test, a, va_at(a, 1));
	pb = va_free_hold(test, b, va_at(b, 2));
	KUNIT_EXPECT_EQ(test, page_count(pa), 2);
	KUNIT_EXPECT_EQ(test, page_count(pb), 2);
	/* What echo 2 > /proc/sys/vm/drop_caches does: every shrinker. */
	drop_slab();
	KUNIT_EXPECT_EQ(test, page_count(pa), 1);
	KUNIT_EXPECT_EQ(test, page_count(pb), 1);
	KUNIT_EXPECT_EQ(test, va_lazy(a), 0UL);
	KUNIT_EXPECT_EQ(test, va_lazy(b), 0UL);
	put_page(pa);
	put_page(pb);
	vm_arena_put(a);
	vm_arena_put(b);
}

static struct kunit_case vm_arena_cases[] = {
	KUNIT_CASE(va_create_errors),
	KUNIT_CASE(va_alloc_errors),
	KUNIT_CASE(va_alloc_data),
	KUNIT_CASE(va_best_fit),
	KUNIT_CASE(va_free_errors),
	KUNIT_CASE(va_reserve),
	KUNIT_CASE(va_address_conversion),
	KUNIT_CASE(va_atomic_irqs_off),
	KUNIT_CASE(va_atomic_from_timer),
	KUNIT_CASE(va_concurrent),
	KUNIT_CASE(va_no_leak),
	KUNIT_CASE(va_user_sees_kernel_pages),
	KUNIT_CASE(va_user_populate_and_segv),
	KUNIT_CASE(va_read_write),
	KUNIT_CASE(va_populate_races_free),
	KUNIT_CASE(va_irqs_off_bounded),
	KUNIT_CASE(va_pgtables_freed_at_destroy),
	KUNIT_CASE(va_memory_cost),
	KUNIT_CASE(va_window),
	KUNIT_CASE(va_lazy_no_stale_tlb),
	KUNIT_CASE(va_lazy_reuse),
	KUNIT_CASE(va_lazy_held_and_atomic),
	KUNIT_CASE(va_lazy_shrinker),
	{}
};

static struct kunit_suite vm_arena_suite = {
	.name = "vm_arena",
	.test_cases = vm_arena_cases,
};

kunit_test_suite(vm_arena_suite);

MODULE_LICENSE("GPL");
