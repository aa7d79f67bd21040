// SPDX-License-Identifier: GPL-2.0-only
/*
 * Arenas: sparse memory shared between a driver and user space.
 *
 * An arena is a range of page offsets [0, nr_pages) seen twice: by the
 * kernel through a VM_SPARSE area, and by user space through MAP_SHARED
 * mappings that all sit at one user address, so that a pointer stored in
 * the arena means the same thing on both sides once converted with
 * vm_arena_user_addr() / vm_arena_kern_addr().
 *
 * State of a page offset:
 *  - free: bit clear in @busy;
 *  - reserved: bit set in @busy and in @reserved, no CPU page;
 *  - allocated: bit set in @busy, a CPU page in the vm_object @obj;
 *  - in transition (being allocated or being freed): bit set in @busy,
 *    not reserved, no CPU page in @obj (a page being freed has left a
 *    marker there, see arena_index_park()).  A fault waits on @wq until
 *    it settles;
 *  - claimed by a free in progress: bit set in @busy and @reserved with
 *    the page still in @obj (a reserved page never has one otherwise).  A
 *    free marks its range so, a batch at a time, before it detaches it;
 *  - free with a lazy page: bit clear in @busy, and the page it had still
 *    held on @lazy or @purging (offset in page->index) because another
 *    CPU's TLB may still translate the offset's kernel address to it; its
 *    marker holds the index slot.  Free for every purpose (best fit
 *    included), but an allocation of the offset maps that same page again
 *    (zeroed), which needs no flush, and writes it over the marker.
 *
 * Interrupts-off bound: @lock is irq-safe, so nothing under it may cost
 * what a user chooses.  Every hold handles at most %ARENA_BATCH pages of a
 * range or scans at most %ARENA_SCAN_BITS bits of a bitmap; longer work
 * drops the lock between batches.
 *
 * The allocation bitmap, not a maple tree, is the range allocator: a free
 * from atomic context must never allocate memory (a maple tree may need a
 * node to split a range), and one bit per page costs 32 KiB per GiB.
 * Best fit is a scan over the runs of clear bits.
 *
 * Locking, outermost first:
 *  mmap_lock		a user mm (faults, mmap, munmap)
 *  users_sem		read around a fault or a bulk populate, write around
 *			zapping user mappings, so that no fault can map a
 *			page that a free is retiring
 *  i_mmap_rwsem	of the arena's own inode: every user VMA of the
 *			arena is linked in its i_mmap tree (and only those),
 *			as for any file, and it keeps their page tables
 *			alive while we zap
 *  purge_mutex		one purge (lazy TLB flush) at a time
 *  lock		spinlock, irq-safe: bitmaps, user base, pending and
 *			lazy lists
 *  vm_object lock	(irq-safe, inside vm_object)
 *
 * Free order, for every free: under @lock the pages leave @obj (so the
 * range reads as not allocated and cannot be freed twice) while their bits
 * stay set (so it cannot be handed out again); then, holding users_sem for
 * writing, the kernel PTEs are cleared without a TLB flush and every user
 * mapping of the range is zapped (which flushes the user TLBs).  Then
 * each page that nobody else holds goes to @lazy with its bit cleared in
 * the same hold of @lock: the offset is free, and the page is kept, still
 * charged, until a purge has flushed the kernel TLB.  A purge flushes once
 * for every lazy page (and for pages that may not wait) and only then puts
 * them; it runs when %ARENA_LAZY_MAX pages are lazy, at
 * vm_arena_flush_frees(), when an allocation runs out of memory, from the
 * shrinker and at destroy.  Allocating a lazy offset again takes its page
 * back from the lists under @lock, at once, in any context: the stale
 * entries other CPUs may hold map that offset to that very page.  So no
 * page is put, and no other page mapped at its address, while a TLB entry
 * can still reach it.  A free from atomic context does the first step and
 * queues the rest on a work item; the pages wait on a list threaded
 * through page->lru, so the deferral never allocates.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <linux/bitmap.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kref.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pagewalk.h>
#include <linux/pseudo_fs.h>
#include <linux/rmap.h>
#include <linux/rwsem.h>
#include <linux/sched/mm.h>
#include <linux/security.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/vm_arena.h>
#include <linux/vm_object.h>
#include <linux/vm_sparse.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <asm/tlbflush.h>

#include "internal.h"

struct vm_arena {
	struct kref kref;
	struct vm_struct *area;
	unsigned long kbase;
	unsigned long nr_pages;
	unsigned int flags;
	unsigned long user_base;	/* under @lock; fixed once set */

	spinlock_t lock;		/* bitmaps, pending, user_base */
	unsigned long claims;		/* under @lock: bumped by every claim */
	unsigned long *busy;
	unsigned long *reserved;
	unsigned long high;		/* no bit of @busy from here on */
	struct list_head pending;	/* pages freed atomically, via lru */
	struct work_struct free_work;
	wait_queue_head_t wq;

	/*
	 * Pages freed lazily, via lru, each with its offset in page->index,
	 * under @lock: on @lazy until a purge takes them, then on @purging
	 * while its flush runs (still there to be allocated again).  The
	 * offsets of each list lie in [lo, hi) (empty when lo >= hi).
	 */
	struct list_head lazy;
	struct list_head purging;
	unsigned long lazy_nr, purging_nr;
	unsigned long lazy_lo, lazy_hi;
	unsigned long purge_lo, purge_hi;
	struct mutex purge_mutex;	/* one purge at a time */
	struct list_head node;		/* on arena_all, for the shrinker */

	struct vm_object *obj;
	atomic_long_t user_faults;
	struct mem_cgroup *memcg;

	struct rw_semaphore users_sem;
	/*
	 * Our own file on our own inode: vm_arena_mmap() makes it the file of
	 * every user VMA, so the i_mmap tree of @mapping holds exactly this
	 * arena's VMAs.  The arena holds a reference; each VMA holds another.
	 */
	struct file *file;
	struct address_space *mapping;	/* @file's */

	kuid_t uid;			/* charged for the reservation */
	unsigned long reserved_pages;	/* address space, guard included */

	/*
	 * A window arena (vm_arena_create_window()): @kbase is @wbase plus
	 * @wlo32, the low 32 bits every user address of page 0 must have.
	 */
	bool window;
	u32 wlo32;
	unsigned long wbase;
};

static const struct vm_operations_struct arena_vm_ops;

/* Pages of a range handled per hold of @lock. */
#define ARENA_BATCH		512UL
/* Bitmap bits a best-fit scan examines per hold of @lock. */
#define ARENA_SCAN_BITS		(64UL * BITS_PER_LONG)
/* An atomic best fit scans at most this many bits in all. */
#define ARENA_ATOMIC_SCAN_BITS	(64 * ARENA_SCAN_BITS)
/* Best-fit scans run again when concurrent claims took what they found. */
#define ARENA_FIT_TRIES		4
/*
 * Freed pages kept per arena for one batched kernel TLB flush.  A purge
 * costs one flush on every CPU (an IPI each); this many pages share it.
 * It also bounds what a claim walks under @lock to find a lazy page and
 * what an arena pins: 256 KiB with 4 KiB pages.
 */
#define ARENA_LAZY_MAX		64UL

/* Every arena, so that the shrinker can purge them; under arena_all_lock. */
static LIST_HEAD(arena_all);
static DEFINE_MUTEX(arena_all_lock);
/* Lazy pages of all arenas, for the shrinker's count. */
static atomic_long_t arena_lazy_total = ATOMIC_LONG_INIT(0);

static bool arena_vma(struct vm_area_struct *vma, struct vm_arena *arena)
{
	return vma->vm_ops == &arena_vm_ops && vma->vm_private_data == arena;
}

static unsigned long arena_kaddr(const struct vm_arena *arena,
				 unsigned long off)
{
	return arena->kbase + (off << PAGE_SHIFT);
}

/*
 * Check a caller's page range: -EINVAL for a %NULL arena, a zero count or
 * a misaligned address, -E2BIG for more pages than the arena has, -ERANGE
 * for a range outside the arena.  On success *@off is the first page
 * offset.
 */
static int arena_check_range(const struct vm_arena *arena, const void *kaddr,
			     unsigned long count, unsigned long *off)
{
	unsigned long addr = (unsigned long)kaddr;

	if (!arena || !count || !PAGE_ALIGNED(addr))
		return -EINVAL;
	if (count > arena->nr_pages)
		return -E2BIG;
	if (addr < arena->kbase)
		return -ERANGE;
	*off = (addr - arena->kbase) >> PAGE_SHIFT;
	if (*off >= arena->nr_pages || count > arena->nr_pages - *off)
		return -ERANGE;
	return 0;
}

static int arena_check_node(int node)
{
	if (node == NUMA_NO_NODE)
		return 0;
	if (node < 0 || node >= MAX_NUMNODES || !node_online(node))
		return -EINVAL;
	return 0;
}

static void arena_consider(unsigned long start, unsigned long len,
			   unsigned long count, long *best,
			   unsigned long *best_len)
{
	if (len >= count && len < *best_len) {
		*best = start;
		*best_len = len;
	}
}

/* Drop @lock between batches; the caller holds it, irqsave in *@flags. */
static void arena_lock_break(struct vm_arena *arena, unsigned long *flags,
			     bool can_sleep)
	__must_hold(&arena->lock)
{
	lockdep_assert_held(&arena->lock);
	spin_unlock_irqrestore(&arena->lock, *flags);
	if (can_sleep)
		cond_resched();
	spin_lock_irqsave(&arena->lock, *flags);
}

/*
 * Smallest run of at least @count clear bits; -1 if there is none.  Only
 * [0, high) needs scanning: every bit from @high on is clear, so the scan
 * costs what the arena has used, not its size.  The scan drops @lock every
 * %ARENA_SCAN_BITS bits; *@stale says whether a claim ran meanwhile, so
 * that runs measured before may be taken.  An atomic scan also stops after
 * %ARENA_ATOMIC_SCAN_BITS bits and settles for the best run seen so far or
 * the free tail beyond @high: the smallest fit no longer, but a fit.
 */
static long arena_best_fit(struct vm_arena *arena, unsigned long count,
			   unsigned long *flags, bool atomic, bool *stale)
{
	unsigned long n = arena->nr_pages, pos = 0, mark = 0, high, limit;
	unsigned long run = ULONG_MAX, best_len = ULONG_MAX;
	unsigned long claims = arena->claims;
	long best = -1;

	lockdep_assert_held(&arena->lock);
	*stale = false;
	for (;;) {
		high = arena->high;
		if (pos >= high || best_len == count)
			break;
		if (atomic && pos >= ARENA_ATOMIC_SCAN_BITS)
			break;
		limit = min(high, mark + ARENA_SCAN_BITS);
		if (pos >= limit) {
			arena_lock_break(arena, flags, !atomic);
			*stale |= arena->claims != claims;
			mark = pos;
			continue;
		}
		if (run == ULONG_MAX) {
			pos = find_next_zero_bit(arena->busy, limit, pos);
			if (pos < limit)
				run = pos;
			continue;
		}
		pos = find_next_bit(arena->busy, limit, pos);
		if (pos < limit) {
			arena_consider(run, pos - run, count, &best, &best_len);
			run = ULONG_MAX;
		}
	}
	high = arena->high;
	if (run != ULONG_MAX && pos >= high) {
		/* A run reaching @high goes on to the end of the arena. */
		arena_consider(run, n - run, count, &best, &best_len);
	} else if (best_len != count && high < n &&
		   (!high || test_bit(high - 1, arena->busy))) {
		arena_consider(high, n - high, count, &best, &best_len);
	}
	return best;
}

/*
 * Clear @count bits of @map from @off, a batch per hold of @lock; the
 * caller holds it.
 */
static void arena_clear_bits(struct vm_arena *arena, unsigned long *map,
			     unsigned long off, unsigned long count,
			     unsigned long *flags, bool can_sleep)
{
	unsigned long done, n;

	lockdep_assert_held(&arena->lock);
	for (done = 0; done < count; done += n) {
		n = min(ARENA_BATCH, count - done);
		if (done)
			arena_lock_break(arena, flags, can_sleep);
		bitmap_clear(map, off + done, n);
	}
}

/*
 * Set the bits of [@off, @off + @count) in @busy (and @reserved with
 * @reserve), a batch per hold of @lock, checking each batch is free.  On
 * a busy page the batches already set are cleared again.  The caller
 * holds @lock.  Return: 0 or -EBUSY.
 */
static int arena_set_range(struct vm_arena *arena, unsigned long off,
			   unsigned long count, bool reserve,
			   unsigned long *flags, bool can_sleep)
{
	unsigned long done, n;

	lockdep_assert_held(&arena->lock);
	for (done = 0; done < count; done += n) {
		n = min(ARENA_BATCH, count - done);
		if (done)
			arena_lock_break(arena, flags, can_sleep);
		if (find_next_bit(arena->busy, off + done + n, off + done) <
		    off + done + n) {
			arena_clear_bits(arena, arena->busy, off, done, flags,
					 can_sleep);
			if (reserve)
				arena_clear_bits(arena, arena->reserved, off,
						 done, flags, can_sleep);
			return -EBUSY;
		}
		bitmap_set(arena->busy, off + done, n);
		if (reserve)
			bitmap_set(arena->reserved, off + done, n);
		arena->claims++;
		arena->high = max(arena->high, off + done + n);
	}
	return 0;
}

/* ---- lazy frees: the lists of pages waiting for a kernel TLB flush ---- */

static void arena_span_reset(unsigned long *lo, unsigned long *hi)
{
	*lo = ULONG_MAX;
	*hi = 0;
}

static void arena_span_add(unsigned long *lo, unsigned long *hi,
			   unsigned long off)
{
	*lo = min(*lo, off);
	*hi = max(*hi, off + 1);
}

static bool arena_span_hits(unsigned long lo, unsigned long hi,
			    unsigned long off, unsigned long count)
{
	return off < hi && off + count > lo;
}

/* Make @page (offset in page->index) lazy: move it to @lazy. */
static void arena_lazy_add(struct vm_arena *arena, struct page *page)
{
	lockdep_assert_held(&arena->lock);
	list_move_tail(&page->lru, &arena->lazy);
	arena->lazy_nr++;
	arena_span_add(&arena->lazy_lo, &arena->lazy_hi, page->index);
	atomic_long_inc(&arena_lazy_total);
}

/* Move the pages of @list at offsets [@off, @off + @count) to @to. */
static unsigned long arena_lazy_take_list(struct list_head *list,
					  unsigned long off,
					  unsigned long count,
					  struct list_head *to)
{
	struct page *page, *next;
	unsigned long n = 0;

	list_for_each_entry_safe(page, next, list, lru) {
		if (page->index - off < count) {
			list_move_tail(&page->lru, to);
			n++;
		}
	}
	return n;
}

/*
 * An allocation that claimed [@off, @off + @count) takes the lazy pages
 * of the range to @to, to map each again at its own offset: the only page
 * that may be mapped there before a flush.  Called under @lock once every
 * bit of the range is set by the claim, so no page of the range can
 * become lazy meanwhile.  Walks at most the two lists, each about
 * %ARENA_LAZY_MAX pages long, and only if the range meets their offsets.
 */
static void arena_lazy_take(struct vm_arena *arena, unsigned long off,
			    unsigned long count, struct list_head *to)
{
	unsigned long n;

	lockdep_assert_held(&arena->lock);
	if (arena_span_hits(arena->lazy_lo, arena->lazy_hi, off, count)) {
		n = arena_lazy_take_list(&arena->lazy, off, count, to);
		arena->lazy_nr -= n;
		atomic_long_sub(n, &arena_lazy_total);
	}
	if (arena_span_hits(arena->purge_lo, arena->purge_hi, off, count)) {
		n = arena_lazy_take_list(&arena->purging, off, count, to);
		arena->purging_nr -= n;
		atomic_long_sub(n, &arena_lazy_total);
	}
}

/*
 * A freed page leaves the index, but not its slot: its entry becomes a
 * device entry of the arena's own handle (a value entry, so the index
 * holds no reference and counts no CPU page there; every lookup reads
 * "not allocated"), written in place without allocating.  The next
 * allocation of the offset writes its page over it, again in place,
 * where clearing the entry would have freed the index node and the
 * allocation would have to allocate (and charge) a new one.  The marker
 * is cleared when the page is released for good.  Under @lock, so that
 * no allocation of the offset can run between a purge's check and clear.
 */
static void arena_index_park(struct vm_arena *arena, unsigned long off,
			     unsigned long count)
{
	lockdep_assert_held(&arena->lock);
	/* Never fails with the leaf nodes in place; if it did, clear. */
	if (vm_object_set_device(arena->obj, off, count, arena, off,
				 GFP_NOWAIT))
		vm_object_clear(arena->obj, off, count);
}

static void arena_index_unpark(struct vm_arena *arena, unsigned long off)
{
	struct vm_object_entry e;

	lockdep_assert_held(&arena->lock);
	vm_object_lookup(arena->obj, off, &e);
	if (e.state == VMO_DEVICE)
		vm_object_clear(arena->obj, off, 1);
}

/*
 * Claim @count pages at *@off (or best fit if @any) in @busy, and with
 * @reserve in @reserved too.  @can_sleep: the caller may sleep, so long
 * scans also reschedule between batches.  An allocation's claim passes
 * @reuse and gets there the lazy pages of the range it claimed; a
 * reservation leaves them to the next purge.  Return: 0, -EBUSY if a
 * fixed range is not entirely free, -ENOMEM if no free run is long enough
 * (or, rarely, if concurrent claims took the run found %ARENA_FIT_TRIES
 * times).
 */
static int arena_claim(struct vm_arena *arena, unsigned long *off,
		       unsigned long count, bool any, bool reserve,
		       bool can_sleep, struct list_head *reuse)
{
	unsigned long flags;
	int ret, tries = 0;
	bool stale;
	long best;

	spin_lock_irqsave(&arena->lock, flags);
	if (!any) {
		ret = arena_set_range(arena, *off, count, reserve, &flags,
				      can_sleep);
		goto out;
	}
	do {
		best = arena_best_fit(arena, count, &flags, !can_sleep,
				      &stale);
		ret = -ENOMEM;
		if (best < 0)
			break;
		/* A stale run is checked batch by batch as it is set. */
		ret = arena_set_range(arena, best, count, reserve, &flags,
				      can_sleep);
		if (!ret)
			*off = best;
	} while (ret && stale && ++tries < ARENA_FIT_TRIES);
	if (ret)
		ret = -ENOMEM;
out:
	if (!ret && reuse)
		arena_lazy_take(arena, *off, count, reuse);
	spin_unlock_irqrestore(&arena->lock, flags);
	return ret;
}

/* Wake faults waiting for a page to settle; free when nobody waits. */
static void arena_wake(struct vm_arena *arena)
{
	if (wq_has_sleeper(&arena->wq))
		wake_up_all(&arena->wq);
}

/*
 * Undo a claim; the lazy pages it took (@reuse, none mapped) become lazy
 * again at their offsets first.
 */
static void arena_unclaim(struct vm_arena *arena, unsigned long off,
			  unsigned long count, bool can_sleep,
			  struct list_head *reuse)
{
	struct page *page, *next;
	unsigned long flags;

	spin_lock_irqsave(&arena->lock, flags);
	list_for_each_entry_safe(page, next, reuse, lru)
		arena_lazy_add(arena, page);
	arena_clear_bits(arena, arena->busy, off, count, &flags, can_sleep);
	spin_unlock_irqrestore(&arena->lock, flags);
	arena_wake(arena);
}

/*
 * True if the page at @off is reserved for good: not a page that a free
 * in progress has marked (those are still in the index, and reading both
 * under @lock sees a batch either marked or detached, never half).
 */
static bool arena_reserved(struct vm_arena *arena, unsigned long off)
{
	struct vm_object_entry e;
	unsigned long flags;
	bool ret;

	if (!test_bit(off, arena->reserved))
		return false;
	spin_lock_irqsave(&arena->lock, flags);
	vm_object_lookup(arena->obj, off, &e);
	ret = test_bit(off, arena->reserved) && e.state != VMO_CPU;
	spin_unlock_irqrestore(&arena->lock, flags);
	return ret;
}

/* True if a fault at @off would have nothing to wait for. */
static bool arena_settled(struct vm_arena *arena, unsigned long off)
{
	struct vm_object_entry e;

	if (!test_bit(off, arena->busy) || test_bit(off, arena->reserved))
		return true;
	vm_object_lookup(arena->obj, off, &e);
	return e.state == VMO_CPU;
}

struct arena_populate {
	struct vm_arena *arena;
	struct page **pages;
	unsigned long off;		/* page offset of pages[0] */
	unsigned long ustart;		/* user address of pages[0] */
	unsigned long installed;	/* RSS to account after the walk */
};

/*
 * The user PTE for @page: young, and dirty if writable, as an anonymous
 * fault installs it, so that the first access does not have to set the
 * accessed and dirty bits.
 */
static pte_t arena_mk_pte(struct vm_area_struct *vma, struct page *page)
{
	pte_t pte = pte_mkyoung(mk_pte(page, vma->vm_page_prot));

	return pte_write(pte) ? pte_mkdirty(pte) : pte;
}

/*
 * Account @page as mapped in @vma exactly as vm_insert_page() would (a
 * reference, the RSS counter, the file rmap), so that zapping undoes it;
 * a bulk populate adds the RSS once at the end instead (@rss false).  Our
 * pages are never swap-backed, so their counter is MM_FILEPAGES.  Called
 * under the PTE lock.
 */
static void arena_account_map(struct vm_area_struct *vma, struct page *page,
			      bool rss)
{
	get_page(page);
	if (rss)
		inc_mm_counter(vma->vm_mm, MM_FILEPAGES);
	page_add_file_rmap(page, vma, false);
	flush_dcache_page(page);
}

/*
 * Install one of the pages just allocated.  Runs under the PTE lock and
 * users_sem (read).  A free of this range, sleeping or atomic, may have
 * run between the index update and this walk: it took the page out of
 * the object first, so a page the object no longer holds at this offset
 * is skipped.  A free that takes the page out after this check cannot
 * zap before we drop users_sem (zapping needs it for writing), so it
 * zaps what we install here.
 */
static int arena_install_pte(unsigned long addr, unsigned long next,
			     pte_t *ptep, struct mm_walk *walk)
{
	struct arena_populate *p = walk->private;
	unsigned long i = (addr - p->ustart) >> PAGE_SHIFT;
	struct page *page = p->pages[i];
	struct vm_object_entry e;

	lockdep_assert_held_read(&p->arena->users_sem);
	vm_object_lookup(p->arena->obj, p->off + i, &e);
	if (e.state != VMO_CPU || e.page != page)
		return 0;
	arena_account_map(walk->vma, page, false);
	p->installed++;
	*ptep = arena_mk_pte(walk->vma, page);
	return 0;
}

static const struct mm_walk_ops arena_populate_ops = {
	.install_pte = arena_install_pte,
};

/*
 * Install @count new pages at page offset @off into every user mapping.
 * Best effort: a mapping whose mm is exiting is skipped, and a page-table
 * allocation failure leaves the rest of that mapping to faults.
 */
static void arena_populate(struct vm_arena *arena, unsigned long off,
			   unsigned long count, struct page **pages)
{
	struct arena_populate p = {
		.arena = arena, .pages = pages, .off = off,
	};
	struct address_space *mapping;
	struct vm_area_struct *vma;
	struct mm_struct **mms;
	unsigned int i, n = 0, max = 0;
	unsigned long base;

	base = READ_ONCE(arena->user_base);
	if (!base)
		return;
	p.ustart = base + (off << PAGE_SHIFT);

	mapping = arena->mapping;
	/* Take the mms out first: i_mmap_rwsem nests inside mmap_lock. */
	i_mmap_lock_read(mapping);
	vma_interval_tree_foreach(vma, &mapping->i_mmap, 0, ULONG_MAX)
		if (arena_vma(vma, arena))
			max++;
	i_mmap_unlock_read(mapping);
	if (!max)
		return;
	mms = kmalloc_array(max, sizeof(*mms), GFP_KERNEL);
	if (!mms)
		return;
	i_mmap_lock_read(mapping);
	vma_interval_tree_foreach(vma, &mapping->i_mmap, 0, ULONG_MAX)
		if (arena_vma(vma, arena) && n < max &&
		    mmget_not_zero(vma->vm_mm))
			mms[n++] = vma->vm_mm;
	i_mmap_unlock_read(mapping);

	for (i = 0; i < n; i++) {
		struct mm_struct *mm = mms[i];

		mmap_read_lock(mm);
		vma = vma_lookup(mm, base);
		if (vma && arena_vma(vma, arena)) {
			down_read(&arena->users_sem);
			p.installed = 0;
			walk_page_range_mm(mm, p.ustart,
					   p.ustart + (count << PAGE_SHIFT),
					   &arena_populate_ops, &p);
			add_mm_counter(mm, MM_FILEPAGES, p.installed);
			up_read(&arena->users_sem);
		}
		mmap_read_unlock(mm);
		mmput(mm);
	}
	kfree(mms);
}

/*
 * The part of an allocation after the range is claimed: pages, kernel
 * mapping, index.  The lazy pages the claim took (@reuse) are zeroed and
 * mapped again at their own offsets (still charged to the arena's memory
 * cgroup, and on the node they were first allocated on); the other
 * offsets get new pages.  On failure before the index is updated,
 * everything but the claim is undone, @reuse is left as it came, and the
 * error returned.  If the index update itself fails, the pages are
 * already mapped in the kernel and unmapping may sleep, so they go to
 * @undo (our reference, offset in page->index) for arena_retire(), which
 * releases the claim too; the return is then -ENOMEM with @undo
 * non-empty and @reuse empty.
 */
static int arena_fill(struct vm_arena *arena, unsigned long off,
		      unsigned long count, int node, gfp_t gfp,
		      struct page **pages, struct list_head *reuse,
		      struct list_head *undo)
{
	unsigned long start = arena_kaddr(arena, off), i;
	struct mem_cgroup *old;
	struct page *page;
	int ret;

	memset(pages, 0, count * sizeof(*pages));
	list_for_each_entry(page, reuse, lru) {
		pages[page->index - off] = page;
		clear_highpage(page);
	}
	old = set_active_memcg(arena->memcg);
	for (i = 0; i < count; i++) {
		if (pages[i])
			continue;
		pages[i] = alloc_pages_node(node, gfp, 0);
		if (!pages[i])
			break;
	}
	set_active_memcg(old);
	if (i < count) {
		ret = -ENOMEM;
		goto free_pages;
	}

	if (gfpflags_allow_blocking(gfp))
		ret = vm_area_map_pages(arena->area, start,
					start + (count << PAGE_SHIFT), pages);
	else
		ret = vm_area_map_pages_atomic(arena->area, start,
					       start + (count << PAGE_SHIFT),
					       pages);
	if (ret)
		goto free_pages;
	/* Every page is in @pages now. */
	INIT_LIST_HEAD(reuse);

	/*
	 * The object takes its own reference on each page.  Its index
	 * nodes are charged to the creator, like the pages.
	 */
	old = set_active_memcg(arena->memcg);
	ret = vm_object_set_pages(arena->obj, off, count, pages,
				  gfp & ~__GFP_ZERO);
	set_active_memcg(old);
	if (ret) {
		for (i = 0; i < count; i++) {
			pages[i]->index = off + i;
			list_add_tail(&pages[i]->lru, undo);
		}
		return ret;
	}
	return 0;

free_pages:
	/* The lazy pages stay on @reuse for arena_unclaim(). */
	list_for_each_entry(page, reuse, lru)
		pages[page->index - off] = NULL;
	while (i--)
		if (pages[i])
			__free_page(pages[i]);
	return ret;
}

static void arena_retire(struct vm_arena *arena, struct list_head *list);
static long arena_purge(struct vm_arena *arena, struct list_head *now,
			bool try);

/* Pages freed but not yet released (lazy), for statistics and hints. */
static unsigned long arena_lazy_pages(const struct vm_arena *arena)
{
	/* Read without @lock: a snapshot, exact only when nothing runs. */
	return data_race(arena->lazy_nr + arena->purging_nr);
}

static void arena_defer_retire(struct vm_arena *arena, struct list_head *list)
{
	unsigned long flags;

	spin_lock_irqsave(&arena->lock, flags);
	list_splice_tail_init(list, &arena->pending);
	spin_unlock_irqrestore(&arena->lock, flags);
	schedule_work(&arena->free_work);
}

/*
 * @atomic: may not sleep; @defer: may not take users_sem (a fault holds
 * it), so an undo that needs unmapping goes to the work item; @keep: for
 * a single page, hand the allocation's own reference to the caller
 * instead of dropping it.
 */
static struct page **arena_page_array(struct vm_arena *arena,
				      unsigned long count, gfp_t gfp);

static void *arena_alloc(struct vm_arena *arena, void *kaddr,
			 unsigned long count, int node, unsigned int flags,
			 bool atomic, bool defer, struct page **keep)
{
	/*
	 * Not GFP_ATOMIC: its __GFP_HIGH lets memcg force a charge past
	 * memory.max and dips into the reserves meant for the kernel itself.
	 * Sleeping allocations reclaim hard but neither invoke the OOM killer
	 * nor warn: user space asks for these pages, and at its cgroup's
	 * limit the answer is -ENOMEM (or SIGBUS for a fault), not a kill.
	 */
	gfp_t gfp = atomic ? GFP_NOWAIT | __GFP_NOWARN :
			     GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN;
	struct page *stack_page, **pages;
	unsigned long off = 0, i;
	bool purged = false;
	LIST_HEAD(reuse);
	LIST_HEAD(undo);
	int ret;

	if (!arena)
		return ERR_PTR(-EINVAL);
	if (flags & ~VM_ARENA_ALLOC_ALL)
		return ERR_PTR(-EINVAL);
	ret = arena_check_node(node);
	if (ret)
		return ERR_PTR(ret);
	if (kaddr)
		ret = arena_check_range(arena, kaddr, count, &off);
	else if (!count)
		ret = -EINVAL;
	else if (count > arena->nr_pages)
		ret = -E2BIG;
	if (ret)
		return ERR_PTR(ret);
	/* More pages than the machine has can never be allocated. */
	if (count > totalram_pages())
		return ERR_PTR(-ENOMEM);

again:
	/* Claim first: a refused range costs no page array. */
	ret = arena_claim(arena, &off, count, !kaddr, false, !atomic, &reuse);
	if (ret)
		return ERR_PTR(ret);
	if (count == 1) {
		pages = &stack_page;
	} else {
		pages = arena_page_array(arena, count, gfp);
		if (!pages) {
			arena_unclaim(arena, off, count, !atomic, &reuse);
			return ERR_PTR(-ENOMEM);
		}
	}

	ret = arena_fill(arena, off, count, node,
			 gfp | __GFP_ZERO | __GFP_ACCOUNT, pages, &reuse, &undo);
	if (ret) {
		bool filled = !list_empty(&undo);

		if (!filled)
			arena_unclaim(arena, off, count, !atomic, &reuse);
		else if (atomic || defer)
			arena_defer_retire(arena, &undo);
		else
			arena_retire(arena, &undo);
		/*
		 * Out of memory for the pages (or at the creator's
		 * memory.max): the lazy pages are this arena's to give back.
		 * Once, and only where a purge may sleep.
		 */
		if (ret == -ENOMEM && !atomic && !purged && !filled &&
		    arena_lazy_pages(arena)) {
			if (pages != &stack_page)
				kvfree(pages);
			arena_purge(arena, NULL, false);
			purged = true;
			goto again;
		}
		goto out;
	}
	arena_wake(arena);
	if (flags & VM_ARENA_ALLOC_POPULATE)
		arena_populate(arena, off, count, pages);
	/* The object holds the pages now. */
	if (keep && count == 1)
		*keep = pages[0];
	else
		for (i = 0; i < count; i++)
			put_page(pages[i]);
out:
	if (pages != &stack_page)
		kvfree(pages);
	return ret ? ERR_PTR(ret) : (void *)arena_kaddr(arena, off);
}

/**
 * vm_arena_alloc_pages - allocate zeroed pages in an arena
 * @arena: the arena
 * @kaddr: kernel address of the first page, or %NULL for the smallest free
 *	range that fits (best fit)
 * @count: number of pages
 * @node: NUMA node to allocate on, or %NUMA_NO_NODE
 * @flags: %VM_ARENA_ALLOC_POPULATE to install the pages into every user
 *	mapping now, so that user space takes no fault on them
 *
 * The pages are charged to the memory cgroup of the arena's creator and
 * mapped in the kernel at once; user space sees them at the same offset
 * from its mapping's start.  On failure nothing is left allocated.
 *
 * Context: Process context; may sleep.
 * Return: the kernel address of the first page, or an ERR_PTR(): -EINVAL
 * for a zero @count, a misaligned @kaddr, unknown @flags or an offline
 * @node; -E2BIG if @count exceeds the arena; -ERANGE if the range is not
 * inside the arena; -EBUSY if a page of a fixed range is allocated or
 * reserved (or being allocated or freed); -ENOMEM if memory, or a free run
 * of @count pages, ran out, or if concurrent allocations took the run a
 * best fit found four times in a row.
 */
void *vm_arena_alloc_pages(struct vm_arena *arena, void *kaddr,
			   unsigned long count, int node, unsigned int flags)
{
	might_sleep();
	return arena_alloc(arena, kaddr, count, node, flags, false, false,
			   NULL);
}
EXPORT_SYMBOL_GPL(vm_arena_alloc_pages);

/**
 * vm_arena_alloc_pages_atomic - allocate pages without sleeping
 * @arena: an arena created with %VM_ARENA_F_ATOMIC
 * @kaddr: as for vm_arena_alloc_pages()
 * @count: number of pages
 * @node: NUMA node, or %NUMA_NO_NODE
 *
 * Uses GFP_NOWAIT (never the reserves of GFP_ATOMIC, which would also let
 * the memcg charge exceed memory.max) and the arena's pre-built kernel
 * page tables.  User space faults the pages in (there is no populate in
 * atomic context).  Without @kaddr the best-fit scan is bounded: past
 * 262144 bitmap bits it settles for the smallest run seen so far, or the
 * space beyond the highest page ever allocated.
 *
 * Context: Any context except NMI, including hard interrupts and with
 * interrupts disabled.
 * Return: as vm_arena_alloc_pages(); also -EINVAL if @arena was not
 * created with %VM_ARENA_F_ATOMIC.
 */
void *vm_arena_alloc_pages_atomic(struct vm_arena *arena, void *kaddr,
				  unsigned long count, int node)
{
	if (arena && !(arena->flags & VM_ARENA_F_ATOMIC))
		return ERR_PTR(-EINVAL);
	return arena_alloc(arena, kaddr, count, node, 0, true, true, NULL);
}
EXPORT_SYMBOL_GPL(vm_arena_alloc_pages_atomic);

/*
 * First step of every free: check that every page of the range is
 * allocated, then move the pages from the object to @list (each with a
 * reference and its offset in page->index), leaving the bits set.  Done a
 * batch per hold of @lock: the range is first marked (reserved bits over
 * allocated pages) so that a concurrent free of an overlapping range
 * fails, then detached.
 */
static int arena_detach(struct vm_arena *arena, void *kaddr,
			unsigned long count, struct list_head *list,
			bool can_sleep)
{
	struct vm_object_entry e;
	unsigned long off, i, n, done, flags;
	int ret;

	ret = arena_check_range(arena, kaddr, count, &off);
	if (ret)
		return ret;

	spin_lock_irqsave(&arena->lock, flags);
	for (done = 0; done < count; done += n) {
		n = min(ARENA_BATCH, count - done);
		if (done)
			arena_lock_break(arena, &flags, can_sleep);
		for (i = off + done; i < off + done + n; i++) {
			vm_object_lookup(arena->obj, i, &e);
			if (e.state != VMO_CPU || test_bit(i, arena->reserved)) {
				arena_clear_bits(arena, arena->reserved, off,
						 done, &flags, can_sleep);
				spin_unlock_irqrestore(&arena->lock, flags);
				return -ENOENT;
			}
		}
		bitmap_set(arena->reserved, off + done, n);
	}
	for (done = 0; done < count; done += n) {
		n = min(ARENA_BATCH, count - done);
		if (count > ARENA_BATCH)
			arena_lock_break(arena, &flags, can_sleep);
		for (i = off + done; i < off + done + n; i++) {
			vm_object_lookup(arena->obj, i, &e);
			get_page(e.page);
			e.page->index = i;
			list_add_tail(&e.page->lru, list);
		}
		/* Unmarked first: a fault never sees reserved and no page. */
		bitmap_clear(arena->reserved, off + done, n);
		arena_index_park(arena, off + done, n);
	}
	spin_unlock_irqrestore(&arena->lock, flags);
	return 0;
}

/*
 * Clear kernel PTEs (without a TLB flush: the pages are kept until a
 * purge has flushed), then zap every user mapping, which flushes the
 * TLB of each mm.  The VMAs are found through the file's i_mmap tree
 * under i_mmap_rwsem, which munmap and exit take before freeing page
 * tables: the same guarantee unmap_mapping_range() relies on.
 */
static void arena_unmap_run(struct vm_arena *arena, unsigned long off,
			    unsigned long count)
{
	unsigned long start = arena_kaddr(arena, off);
	struct address_space *mapping = arena->mapping;
	struct vm_area_struct *vma;

	lockdep_assert_held_write(&arena->users_sem);
	vm_area_unmap_pages_noflush(arena->area, start,
				    start + (count << PAGE_SHIFT));
	/* By each VMA's own start: a refused mremap has a moved copy. */
	i_mmap_lock_read(mapping);
	vma_interval_tree_foreach(vma, &mapping->i_mmap, off, off + count - 1)
		if (arena_vma(vma, arena))
			zap_page_range_single(vma,
					      vma->vm_start + (off << PAGE_SHIFT),
					      count << PAGE_SHIFT, NULL);
	i_mmap_unlock_read(mapping);
}

/*
 * The rest of a free, for the detached pages on @list (each with our
 * reference, its offset in page->index and its bit still set): clear the
 * kernel PTEs and zap every user mapping, in runs of consecutive offsets.
 * Then each page that only we hold becomes lazy, its offset free, in the
 * same hold of @lock.  The others stay on @list with their bits set for
 * the purge that follows, which flushes the kernel TLB for them and for
 * every lazy page at once: those beyond %ARENA_LAZY_MAX, and those held
 * elsewhere too (a pin taken through a user mapping before the zap, say,
 * may still read the page, so it must not come back zeroed to a new
 * allocation).
 */
static void arena_retire(struct vm_arena *arena, struct list_head *list)
{
	struct page *page, *next, *first = NULL;
	unsigned long run = 0, flags;
	bool full;

	might_sleep();
	if (list_empty(list))
		return;
	down_write(&arena->users_sem);
	list_for_each_entry(page, list, lru) {
		if (first && page->index == first->index + run) {
			run++;
			continue;
		}
		if (first)
			arena_unmap_run(arena, first->index, run);
		first = page;
		run = 1;
	}
	arena_unmap_run(arena, first->index, run);

	spin_lock_irqsave(&arena->lock, flags);
	run = 0;
	list_for_each_entry_safe(page, next, list, lru) {
		if (++run % ARENA_BATCH == 0)
			arena_lock_break(arena, &flags, false);
		if (arena->lazy_nr >= ARENA_LAZY_MAX || page_count(page) != 1)
			continue;
		arena_lazy_add(arena, page);
		__clear_bit(page->index, arena->busy);
	}
	full = arena->lazy_nr >= ARENA_LAZY_MAX;
	spin_unlock_irqrestore(&arena->lock, flags);
	up_write(&arena->users_sem);
	arena_wake(arena);

	if (full || !list_empty(list))
		arena_purge(arena, list, false);
}

/*
 * Flush the kernel TLB over the offsets of every lazy page and of the
 * pages on @now (detached and unmapped, their bits still set), then put
 * them all and release the offsets of @now.  The lazy pages move to
 * @purging for the flush, where an allocation of their offsets still
 * finds them; those it takes meanwhile are not put.  Pages that become
 * lazy meanwhile wait for the next purge: their PTEs may have been
 * cleared after the flush began.  @try (the shrinker): give up at once
 * if another purge is running.
 *
 * Return: the number of pages put, or -1 if @try found a purge running.
 */
static long arena_purge(struct vm_arena *arena, struct list_head *now,
			bool try)
{
	unsigned long lo, hi, flags, n = 0;
	struct page *page, *next;
	LIST_HEAD(done);
	long put;

	might_sleep();
	if (!try)
		mutex_lock(&arena->purge_mutex);
	else if (!mutex_trylock(&arena->purge_mutex))
		return -1;

	spin_lock_irqsave(&arena->lock, flags);
	/* Only the purge mutex's holder fills and empties @purging. */
	lockdep_assert_held(&arena->purge_mutex);
	list_splice_tail_init(&arena->lazy, &arena->purging);
	arena->purging_nr = arena->lazy_nr;
	arena->lazy_nr = 0;
	arena->purge_lo = arena->lazy_lo;
	arena->purge_hi = arena->lazy_hi;
	lo = arena->purge_lo;
	hi = arena->purge_hi;
	arena_span_reset(&arena->lazy_lo, &arena->lazy_hi);
	spin_unlock_irqrestore(&arena->lock, flags);

	if (now)
		list_for_each_entry(page, now, lru)
			arena_span_add(&lo, &hi, page->index);
	if (lo < hi)
		flush_tlb_kernel_range(arena_kaddr(arena, lo),
				       arena_kaddr(arena, hi));

	spin_lock_irqsave(&arena->lock, flags);
	list_for_each_entry(page, &arena->purging, lru)
		arena_index_unpark(arena, page->index);
	list_splice_init(&arena->purging, &done);
	put = arena->purging_nr;
	atomic_long_sub(arena->purging_nr, &arena_lazy_total);
	arena->purging_nr = 0;
	arena_span_reset(&arena->purge_lo, &arena->purge_hi);
	if (now) {
		list_for_each_entry(page, now, lru) {
			if (++n % ARENA_BATCH == 0)
				arena_lock_break(arena, &flags, false);
			arena_index_unpark(arena, page->index);
			__clear_bit(page->index, arena->busy);
		}
		list_splice_init(now, &done);
	}
	spin_unlock_irqrestore(&arena->lock, flags);
	mutex_unlock(&arena->purge_mutex);
	arena_wake(arena);

	list_for_each_entry_safe(page, next, &done, lru) {
		list_del(&page->lru);
		put_page(page);
		cond_resched();
	}
	return put + n;
}

/**
 * vm_arena_free_pages - free allocated pages
 * @arena: the arena
 * @kaddr: kernel address of the first page
 * @count: number of pages
 *
 * All or nothing: every page of the range must be allocated.  When this
 * returns, no user mapping or user TLB entry of the pages is left
 * anywhere, the kernel PTEs are cleared, vm_arena_read() and
 * vm_arena_write() of the range fail with -EFAULT on every CPU, and the
 * range may be allocated again at once, by any allocation (the pages a
 * new allocation gets there read as zeroes).  The kernel TLB flush is
 * lazy: the pages are kept, and stay charged, until one flush on every
 * CPU covers a batch of frees (at most 64 pages wait per arena;
 * vm_arena_flush_frees() forces it).  Until then another CPU may
 * still reach a page through its old kernel address with a plain access,
 * which the rules for kernel access forbid anyway; the page is never
 * given to anyone else meanwhile, and a new allocation of the same
 * offset maps that same page again, zeroed.
 *
 * Context: Process context; may sleep.
 * Return: 0; -EINVAL for a zero @count or a misaligned @kaddr; -E2BIG or
 * -ERANGE as for vm_arena_alloc_pages(); -ENOENT if a page of the range is
 * not allocated (free, reserved, or already being freed).  On error
 * nothing changes.
 */
int vm_arena_free_pages(struct vm_arena *arena, void *kaddr,
			unsigned long count)
{
	LIST_HEAD(list);
	int ret;

	might_sleep();
	ret = arena_detach(arena, kaddr, count, &list, true);
	if (!ret)
		arena_retire(arena, &list);
	return ret;
}
EXPORT_SYMBOL_GPL(vm_arena_free_pages);

/**
 * vm_arena_free_pages_atomic - free allocated pages without sleeping
 * @arena: an arena created with %VM_ARENA_F_ATOMIC
 * @kaddr: kernel address of the first page
 * @count: number of pages
 *
 * The range reads as not allocated at once; unmapping the pages is
 * deferred to a work item, which never needs memory, so the free
 * completes even when memory is tight, and which then releases them as
 * vm_arena_free_pages() does (lazily).  The range cannot be allocated
 * again until that work has run; vm_arena_flush_frees() waits for it and
 * releases the pages.
 *
 * Context: Any context except NMI, including hard interrupts and with
 * interrupts disabled.
 * Return: as vm_arena_free_pages(); also -EINVAL if @arena was not
 * created with %VM_ARENA_F_ATOMIC.
 */
int vm_arena_free_pages_atomic(struct vm_arena *arena, void *kaddr,
			       unsigned long count)
{
	LIST_HEAD(list);
	int ret;

	if (arena && !(arena->flags & VM_ARENA_F_ATOMIC))
		return -EINVAL;
	ret = arena_detach(arena, kaddr, count, &list, false);
	if (!ret)
		arena_defer_retire(arena, &list);
	return ret;
}
EXPORT_SYMBOL_GPL(vm_arena_free_pages_atomic);

static void arena_free_work(struct work_struct *work)
{
	struct vm_arena *arena = container_of(work, struct vm_arena, free_work);
	unsigned long flags;
	LIST_HEAD(list);

	spin_lock_irqsave(&arena->lock, flags);
	list_splice_init(&arena->pending, &list);
	spin_unlock_irqrestore(&arena->lock, flags);
	arena_retire(arena, &list);
}

/**
 * vm_arena_flush_frees - wait until every freed page is released
 * @arena: the arena
 *
 * Waits for the deferred part of the frees from atomic context, then
 * purges: one kernel TLB flush on every CPU for the pages frees kept for
 * it (see vm_arena_free_pages()), which are then put and uncharged.
 * Afterwards no kernel TLB entry maps a page freed before the call, and
 * vm_arena_memory() counts no lazy page freed before it.  Nobody needs to
 * call this for correctness: allocations never wait for it.
 *
 * Context: Process context; may sleep.
 */
void vm_arena_flush_frees(struct vm_arena *arena)
{
	flush_work(&arena->free_work);
	arena_purge(arena, NULL, false);
}
EXPORT_SYMBOL_GPL(vm_arena_flush_frees);

/**
 * vm_arena_reserve - keep a range from ever being handed out
 * @arena: the arena
 * @kaddr: kernel address of the first page
 * @count: number of pages
 *
 * A reserved page is never allocated, by the kernel or by a user fault
 * (a user access to it raises SIGSEGV), and cannot be freed.  There is no
 * unreserve: the range stays reserved for the arena's lifetime.
 *
 * Context: Any context except NMI.
 * Return: 0; the range errors of vm_arena_alloc_pages(); -EBUSY if a page
 * of the range is allocated or reserved.
 */
int vm_arena_reserve(struct vm_arena *arena, void *kaddr, unsigned long count)
{
	unsigned long off;
	int ret;

	ret = arena_check_range(arena, kaddr, count, &off);
	if (ret)
		return ret;
	return arena_claim(arena, &off, count, false, true, false, NULL);
}
EXPORT_SYMBOL_GPL(vm_arena_reserve);

/* ---- kernel access to arena memory ---- */

/*
 * Check [@offset, @offset + @len) against the arena and return the kernel
 * address of @offset in *@kaddr.
 */
static int arena_check_bytes(const struct vm_arena *arena, u64 offset,
			     size_t len, unsigned long *kaddr)
{
	u64 size;

	if (!arena)
		return -EINVAL;
	size = (u64)arena->nr_pages << PAGE_SHIFT;
	if (offset > size || len > size - offset)
		return -ERANGE;
	*kaddr = arena->kbase + offset;
	return 0;
}

/*
 * May a kernel copy of the @len > 0 bytes at @offset start?  Only if
 * every page is allocated (set in @busy, not in @reserved): a page freed
 * lazily may still be reachable through another CPU's stale TLB entry,
 * and a copy that starts after its free returned must fail as if it were
 * unmapped everywhere.  A page whose free or allocation races the copy
 * may read either way, as the copy itself may.  The bits are read without
 * @lock, each with one atomic load.
 */
static bool arena_bytes_allocated(const struct vm_arena *arena, u64 offset,
				  size_t len)
{
	unsigned long off = offset >> PAGE_SHIFT;
	unsigned long last = (offset + len - 1) >> PAGE_SHIFT;

	for (; off <= last; off++)
		if (!test_bit(off, arena->busy) ||
		    test_bit(off, arena->reserved))
			return false;
	return true;
}

/**
 * vm_arena_read - copy bytes out of an arena without trusting them to stay
 * @arena: the arena
 * @offset: byte offset of the first byte to read
 * @buf: kernel buffer to fill
 * @len: number of bytes
 *
 * User space can free arena pages at any moment, so kernel code must not
 * read arena memory with plain loads unless it excludes every free of the
 * range itself.  This reads through the kernel mapping with page faults
 * disabled, and only if every page of the range is allocated when it
 * starts: a page that is not, in particular one whose free returned
 * before (whatever kernel TLB entries are left, see
 * vm_arena_free_pages()), makes it fail with -EFAULT instead of an oops.
 * A page freed during the copy may end it with -EFAULT or be read as it
 * was.  The bytes may change under the copy if user space writes them
 * meanwhile.
 *
 * Context: Any context except NMI; never sleeps.
 * Return: 0 (also for a zero @len); -EINVAL for a %NULL @arena; -ERANGE
 * if the range is not inside the arena; -EFAULT if a page of the range
 * is not allocated, in which case @buf holds an unspecified prefix.
 */
int vm_arena_read(struct vm_arena *arena, u64 offset, void *buf, size_t len)
{
	unsigned long kaddr;
	int ret;

	ret = arena_check_bytes(arena, offset, len, &kaddr);
	if (ret || !len)
		return ret;
	if (!arena_bytes_allocated(arena, offset, len))
		return -EFAULT;
	return copy_from_kernel_nofault(buf, (void *)kaddr, len) ? -EFAULT : 0;
}
EXPORT_SYMBOL_GPL(vm_arena_read);

/**
 * vm_arena_write - copy bytes into an arena that user space may free
 * @arena: the arena
 * @offset: byte offset of the first byte to write
 * @buf: kernel buffer to copy from
 * @len: number of bytes
 *
 * The write counterpart of vm_arena_read(): a page that is not allocated
 * when the copy starts makes it fail with -EFAULT instead of an oops, and
 * a page freed during the copy may end it so.  A write that lands on a
 * page while it is being freed is lost with the page, unless the same
 * offset is allocated again before the copy ends (the new allocation
 * then gets that page, zeroed first, and may see the end of the copy);
 * it never reaches memory the arena no longer holds.
 *
 * Context: Any context except NMI; never sleeps.
 * Return: 0 (also for a zero @len); -EINVAL for a %NULL @arena; -ERANGE
 * if the range is not inside the arena; -EFAULT if a page of the range
 * is not allocated, in which case an unspecified prefix was written.
 */
int vm_arena_write(struct vm_arena *arena, u64 offset, const void *buf,
		   size_t len)
{
	unsigned long kaddr;
	int ret;

	ret = arena_check_bytes(arena, offset, len, &kaddr);
	if (ret || !len)
		return ret;
	if (!arena_bytes_allocated(arena, offset, len))
		return -EFAULT;
	return copy_to_kernel_nofault((void *)kaddr, buf, len) ? -EFAULT : 0;
}
EXPORT_SYMBOL_GPL(vm_arena_write);

/* ---- the user side ---- */

/* Each user mapping holds a reference on the arena. */
static void arena_vm_open(struct vm_area_struct *vma)
{
	vm_arena_get(vma->vm_private_data);
}

static void arena_vm_close(struct vm_area_struct *vma)
{
	vm_arena_put(vma->vm_private_data);
}

static int arena_vm_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

static int arena_vm_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

/* Map @page at the fault address, unless another thread did already. */
static vm_fault_t arena_insert(struct vm_fault *vmf, struct page *page)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long addr = vmf->address & PAGE_MASK;
	spinlock_t *ptl;	/* the PTE page lock */
	pte_t *pte;

	/* The fault made sure the page table exists: this allocates nothing. */
	pte = get_locked_pte(vma->vm_mm, addr, &ptl);
	if (WARN_ON_ONCE(!pte))
		return VM_FAULT_SIGBUS;
	if (pte_none(ptep_get(pte))) {
		arena_account_map(vma, page, true);
		set_pte_at(vma->vm_mm, addr, pte, arena_mk_pte(vma, page));
		update_mmu_cache(vma, addr, pte);
	}
	pte_unmap_unlock(pte, ptl);
	return VM_FAULT_NOPAGE;
}

static vm_fault_t arena_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vm_arena *arena = vma->vm_private_data;
	unsigned long off = (vmf->address - vma->vm_start) >> PAGE_SHIFT;
	struct page *page;
	vm_fault_t ret;
	void *kaddr;

	if (off >= arena->nr_pages)
		return VM_FAULT_SIGBUS;
	/*
	 * The page table first, so that a failure leaves nothing allocated:
	 * the one the fault core preallocated, else a new one.
	 */
	if (pmd_none(*vmf->pmd)) {
		if (vmf->prealloc_pte)
			pmd_install(vma->vm_mm, vmf->pmd, &vmf->prealloc_pte);
		else if (pte_alloc(vma->vm_mm, vmf->pmd))
			return VM_FAULT_SIGBUS;
	}
retry:
	down_read(&arena->users_sem);
	page = vm_object_get_page(arena->obj, off);
	if (!page) {
		if ((arena->flags & VM_ARENA_F_SEGV_ON_FAULT) ||
		    arena_reserved(arena, off)) {
			up_read(&arena->users_sem);
			return VM_FAULT_SIGSEGV;
		}
		kaddr = arena_alloc(arena, (void *)arena_kaddr(arena, off), 1,
				    NUMA_NO_NODE, 0, false, true, &page);
		if (IS_ERR(kaddr)) {
			up_read(&arena->users_sem);
			/*
			 * Not VM_FAULT_OOM: the page is charged to the
			 * creator's memcg, which may be at memory.max with no
			 * task to kill, and the fault would be retried forever.
			 */
			if (PTR_ERR(kaddr) != -EBUSY)
				return VM_FAULT_SIGBUS;
			/* Being allocated or freed elsewhere: let it settle. */
			if (wait_event_killable(arena->wq,
						arena_settled(arena, off)))
				return VM_FAULT_SIGBUS;
			goto retry;
		}
		/*
		 * We hold the allocation's reference.  An atomic free that
		 * takes the page meanwhile zaps our PTE once we drop
		 * users_sem, before the page goes.
		 */
		atomic_long_inc(&arena->user_faults);
	}
	ret = arena_insert(vmf, page);
	up_read(&arena->users_sem);
	put_page(page);
	return ret;
}

static const struct vm_operations_struct arena_vm_ops = {
	.open = arena_vm_open,
	.close = arena_vm_close,
	.may_split = arena_vm_may_split,
	.mremap = arena_vm_mremap,
	.fault = arena_vm_fault,
};

/**
 * vm_arena_mmap - map an arena into user space; a driver's ->mmap
 * @arena: the arena
 * @vma: the new mapping
 *
 * The mapping must be MAP_SHARED, at file offset 0 and exactly the arena's
 * size, and not executable (mprotect(PROT_EXEC) later fails with -EACCES).
 * Every mapping of an arena sits at one user address, the one given at
 * creation or else the first mapping's, so that pointers stored in the
 * arena are valid in every process; the driver's ->get_unmapped_area
 * should be vm_arena_get_unmapped_area().  The mapping is not inherited
 * by a child process, cannot be split (munmap or mprotect of part of it
 * fail with -EINVAL) and cannot be moved by mremap() (-EBUSY from
 * vm_arena_get_unmapped_area(), or -EINVAL from the VMA's ->mremap for a
 * driver that does not use it).
 *
 * The VMA's file becomes the arena's own (vma_set_file()), so that the
 * arena finds its mappings, and only its mappings, through its own
 * i_mmap tree; any driver file may therefore map the arena.  A child
 * process inherits the mapping only if user space asked for it with
 * MADV_DOFORK; it then sits at the same address and is a mapping like
 * any other.
 *
 * Context: Process context, mmap_lock held for writing (as in ->mmap).
 * Return: 0; -EINVAL for a private mapping, a non-zero offset or a wrong
 * size; -EPERM for an executable mapping; -EBUSY if it is not at the
 * arena's user address.
 */
int vm_arena_mmap(struct vm_arena *arena, struct vm_area_struct *vma)
{
	unsigned long flags;
	int ret = 0;

	if (!(vma->vm_flags & VM_SHARED) || vma->vm_pgoff ||
	    vma->vm_end - vma->vm_start != arena->nr_pages << PAGE_SHIFT)
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;

	spin_lock_irqsave(&arena->lock, flags);
	if ((arena->user_base && arena->user_base != vma->vm_start) ||
	    (arena->window && lower_32_bits(vma->vm_start) != arena->wlo32))
		ret = -EBUSY;
	else
		WRITE_ONCE(arena->user_base, vma->vm_start);
	spin_unlock_irqrestore(&arena->lock, flags);
	if (ret)
		return ret;

	vma_set_file(vma, arena->file);

	vma->vm_flags |= VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP |
			 VM_DONTCOPY;
	vma->vm_flags &= ~VM_MAYEXEC;
	vma->vm_ops = &arena_vm_ops;
	vma->vm_private_data = arena;
	arena_vm_open(vma);
	return 0;
}
EXPORT_SYMBOL_GPL(vm_arena_mmap);

/*
 * The first mapping of a window arena: its low 32 bits must be @wlo32, so
 * that user and kernel addresses of a page agree in their low 32 bits.
 * Search a range 4 GiB longer than the mapping and take the first address
 * in it with those low bits.
 */
static unsigned long arena_window_unmapped_area(struct vm_arena *arena,
						struct file *file,
						unsigned long addr,
						unsigned long len,
						unsigned long flags)
{
	unsigned long ret;

	if (flags & MAP_FIXED)
		return lower_32_bits(addr) == arena->wlo32 ? addr : -EBUSY;
	if (len > TASK_SIZE - SZ_4G)
		return -ENOMEM;
	ret = current->mm->get_unmapped_area(file, 0, len + SZ_4G, 0, flags);
	if (IS_ERR_VALUE(ret))
		return ret;
	return round_down(ret + SZ_4G - arena->wlo32, SZ_4G) + arena->wlo32;
}

/**
 * vm_arena_get_unmapped_area - place a mapping at the arena's user address
 * @arena: the arena
 * @file: the driver's file
 * @addr: the caller's hint
 * @len: the mapping's length
 * @pgoff: the file offset, in pages
 * @flags: mmap flags
 *
 * Context: Process context, as ->get_unmapped_area (mmap_lock held).
 * Return: the arena's user address once it has one, else what the mm
 * would choose; -EINVAL for a wrong length or offset; -EBUSY if the
 * arena's address is taken in this process (without MAP_FIXED) or
 * MAP_FIXED asks for another address.
 */
unsigned long vm_arena_get_unmapped_area(struct vm_arena *arena,
					 struct file *file, unsigned long addr,
					 unsigned long len, unsigned long pgoff,
					 unsigned long flags)
{
	unsigned long base = READ_ONCE(arena->user_base);

	if (pgoff || len != arena->nr_pages << PAGE_SHIFT)
		return -EINVAL;
	if (base) {
		if (flags & MAP_FIXED)
			return addr == base ? base : -EBUSY;
		/* Never replace a mapping the caller did not ask to replace. */
		if (find_vma_intersection(current->mm, base, base + len))
			return -EBUSY;
		return base;
	}
	if (arena->window)
		return arena_window_unmapped_area(arena, file, addr, len, flags);
	return current->mm->get_unmapped_area(file, addr, len, pgoff, flags);
}
EXPORT_SYMBOL_GPL(vm_arena_get_unmapped_area);

/* ---- life cycle and queries ---- */

/*
 * Each arena has an inode of its own on a small internal filesystem, and
 * one file on it that becomes the file of every user VMA of the arena.
 * The inode has no file operations: nothing can open it, not even through
 * /proc/PID/map_files.  /proc/PID/maps shows the mapping as
 * "vm_arena:[INODE]".
 */
#define VM_ARENA_MAGIC	0x766d6172	/* "vmar" */

static struct vfsmount *arena_mnt __ro_after_init;

static char *arena_dname(struct dentry *dentry, char *buffer, int buflen)
{
	return dynamic_dname(buffer, buflen, "vm_arena:[%lu]",
			     d_inode(dentry)->i_ino);
}

static const struct dentry_operations arena_dops = {
	.d_dname = arena_dname,
};

static int arena_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, VM_ARENA_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->dops = &arena_dops;
	return 0;
}

static struct file_system_type arena_fs_type = {
	.name = "vm_arena",
	.init_fs_context = arena_init_fs_context,
	.kill_sb = kill_anon_super,
};

/*
 * mremap() asks the VMA's file, which is ours, where the mapping may go:
 * only to the arena's address, so a move is refused before any PTE moves,
 * whatever the driver's own ->get_unmapped_area does.  The VMA holds a
 * reference on the arena, so @file->private_data is alive here.
 */
static unsigned long arena_file_get_unmapped_area(struct file *file,
						  unsigned long addr,
						  unsigned long len,
						  unsigned long pgoff,
						  unsigned long flags)
{
	return vm_arena_get_unmapped_area(file->private_data, file, addr, len,
					  pgoff, flags);
}

static const struct file_operations arena_file_fops = {
	.llseek = noop_llseek,
	.get_unmapped_area = arena_file_get_unmapped_area,
};

/*
 * Under memory pressure, purge the arenas' lazy pages: the shrinker
 * counts them all and purges arena after arena.  It is not memcg-aware:
 * in a cgroup at memory.max, the arena's own allocations purge it (see
 * arena_alloc()), and the bound of %ARENA_LAZY_MAX pages per arena
 * holds whatever happens.
 */
static unsigned long arena_shrink_count(struct shrinker *shrinker,
					struct shrink_control *sc)
{
	long n = atomic_long_read(&arena_lazy_total);

	return n > 0 ? n : SHRINK_EMPTY;
}

static unsigned long arena_shrink_scan(struct shrinker *shrinker,
				       struct shrink_control *sc)
{
	struct vm_arena *arena;
	unsigned long freed = 0;
	long n;

	/* Never wait in reclaim: a creation or destruction is under way. */
	if (!mutex_trylock(&arena_all_lock))
		return SHRINK_STOP;
	list_for_each_entry(arena, &arena_all, node) {
		if (freed >= sc->nr_to_scan)
			break;
		if (!arena_lazy_pages(arena))
			continue;
		n = arena_purge(arena, NULL, true);
		if (n > 0)
			freed += n;
	}
	mutex_unlock(&arena_all_lock);
	return freed;
}

static struct shrinker arena_shrinker = {
	.count_objects = arena_shrink_count,
	.scan_objects = arena_shrink_scan,
	.seeks = DEFAULT_SEEKS,
};

static int __init vm_arena_init(void)
{
	arena_mnt = kern_mount(&arena_fs_type);
	if (IS_ERR(arena_mnt)) {
		pr_err("vm_arena: cannot mount the internal filesystem: %ld\n",
		       PTR_ERR(arena_mnt));
		arena_mnt = NULL;
	}
	/* Without it, lazy frees are still bounded per arena. */
	if (register_shrinker(&arena_shrinker, "vm_arena-lazy"))
		pr_warn("vm_arena: no shrinker for lazily freed pages\n");
	return 0;
}
fs_initcall(vm_arena_init);

static struct file *arena_file_create(void)
{
	struct inode *inode;
	struct file *file;

	if (!arena_mnt)
		return ERR_PTR(-ENODEV);
	inode = alloc_anon_inode(arena_mnt->mnt_sb);
	if (IS_ERR(inode))
		return ERR_CAST(inode);
	inode->i_mode |= S_IFREG;
	file = alloc_file_pseudo(inode, arena_mnt, "", O_RDWR, &arena_file_fops);
	if (IS_ERR(file))
		iput(inode);
	return file;
}

static int arena_reserve_space(struct vm_arena *arena, unsigned long pages);
static void arena_unreserve_space(struct vm_arena *arena);

/* The kernel address space a window arena of @size bytes reserves. */
static u64 arena_window_bytes(u64 size)
{
	if (IS_ENABLED(CONFIG_KASAN_VMALLOC))
		return size + 2 * VM_ARENA_WINDOW_GUARD;
	return SZ_4G + 2 * VM_ARENA_WINDOW_GUARD;
}

/*
 * Always inlined: /proc/vmallocinfo names the caller of
 * get_sparse_vm_area(), so that it reads vm_arena_create or
 * vm_arena_create_window.
 */
static __always_inline struct vm_arena *
arena_create(u64 size, unsigned int flags, unsigned long user_addr,
	     bool window)
{
	struct mem_cgroup *memcg, *old;
	struct vm_arena *arena;
	unsigned long n, resv;
	int err;

	might_sleep();
	if (!size || !PAGE_ALIGNED(size) || (flags & ~VM_ARENA_F_ALL))
		return ERR_PTR(-EINVAL);
	if (size > VM_ARENA_MAX_SIZE ||
	    ((flags & VM_ARENA_F_ATOMIC) && size > VM_ARENA_ATOMIC_MAX_SIZE))
		return ERR_PTR(-E2BIG);
	if (user_addr && (!PAGE_ALIGNED(user_addr) || user_addr < mmap_min_addr ||
			  user_addr > TASK_SIZE - size))
		return ERR_PTR(-EINVAL);
	n = size >> PAGE_SHIFT;
	/* The guard page after the range is reserved too. */
	resv = (window ? arena_window_bytes(size) >> PAGE_SHIFT : n) + 1;

	/* Everything the arena allocates is charged to its creator. */
	memcg = get_mem_cgroup_from_mm(current->mm);
	old = set_active_memcg(memcg);
	arena = kzalloc(sizeof(*arena), GFP_KERNEL_ACCOUNT);
	if (!arena) {
		set_active_memcg(old);
		mem_cgroup_put(memcg);
		return ERR_PTR(-ENOMEM);
	}
	arena->memcg = memcg;
	kref_init(&arena->kref);
	spin_lock_init(&arena->lock);
	INIT_LIST_HEAD(&arena->pending);
	INIT_LIST_HEAD(&arena->lazy);
	INIT_LIST_HEAD(&arena->purging);
	arena_span_reset(&arena->lazy_lo, &arena->lazy_hi);
	arena_span_reset(&arena->purge_lo, &arena->purge_hi);
	mutex_init(&arena->purge_mutex);
	INIT_WORK(&arena->free_work, arena_free_work);
	init_waitqueue_head(&arena->wq);
	init_rwsem(&arena->users_sem);
	arena->nr_pages = n;
	arena->flags = flags;
	arena->user_base = user_addr;

	arena->busy = kvcalloc(BITS_TO_LONGS(n), sizeof(long),
			       GFP_KERNEL_ACCOUNT);
	arena->reserved = kvcalloc(BITS_TO_LONGS(n), sizeof(long),
				   GFP_KERNEL_ACCOUNT);
	arena->obj = vm_object_create(0, n, GFP_KERNEL_ACCOUNT);
	arena->file = arena_file_create();
	set_active_memcg(old);
	if (IS_ERR(arena->file)) {
		err = PTR_ERR(arena->file);
		arena->file = NULL;
		goto fail;
	}
	arena->file->private_data = arena;
	arena->mapping = arena->file->f_mapping;
	err = -ENOMEM;
	if (!arena->busy || !arena->reserved || !arena->obj)
		goto fail;
	err = arena_reserve_space(arena, resv);
	if (err)
		goto fail;
	if (window)
		arena->area = get_sparse_vm_area(arena_window_bytes(size));
	else if (flags & VM_ARENA_F_ATOMIC)
		arena->area = get_prebuilt_sparse_vm_area(size);
	else
		arena->area = get_sparse_vm_area(size);
	err = -ENOMEM;
	if (!arena->area)
		goto fail;
	arena->kbase = (unsigned long)arena->area->addr;
	if (window) {
		arena->window = true;
		arena->wlo32 = lower_32_bits(user_addr);
		arena->kbase += VM_ARENA_WINDOW_GUARD;
		if (!IS_ENABLED(CONFIG_KASAN_VMALLOC))
			arena->kbase += arena->wlo32;
		arena->wbase = arena->kbase - arena->wlo32;
	}
	mutex_lock(&arena_all_lock);
	list_add_tail(&arena->node, &arena_all);
	mutex_unlock(&arena_all_lock);
	return arena;

fail:
	arena_unreserve_space(arena);
	if (arena->file)
		fput(arena->file);
	vm_object_destroy(arena->obj);
	kvfree(arena->reserved);
	kvfree(arena->busy);
	mem_cgroup_put(arena->memcg);
	kfree(arena);
	return ERR_PTR(err);
}

/**
 * vm_arena_create - create an arena
 * @size: bytes, a page multiple, at most %VM_ARENA_MAX_SIZE
 *	(%VM_ARENA_ATOMIC_MAX_SIZE with %VM_ARENA_F_ATOMIC)
 * @flags: %VM_ARENA_F_SEGV_ON_FAULT, %VM_ARENA_F_ATOMIC
 * @user_addr: the user address every mapping must use, or 0 to let the
 *	first mmap() choose
 *
 * The arena starts with one reference, owned by the caller; every user
 * mapping holds another.  The arena, its bitmaps, its index and every
 * page later allocated in it are charged to the memory cgroup of the
 * calling task (see vm_arena_memory()).  Its kernel page tables are given
 * back when it is destroyed.
 *
 * Context: Process context; may sleep.
 * Return: the arena, or an ERR_PTR(): -EINVAL for a zero or misaligned
 * @size, unknown @flags or a bad @user_addr; -E2BIG for a size above the
 * maximum; -ENOSPC if the address space it reserves (@size plus a guard
 * page) would exceed the calling user's or all arenas' cap (module
 * parameters vm_arena.max_user_mib and vm_arena.max_total_mib); -ENOMEM.
 */
struct vm_arena *vm_arena_create(u64 size, unsigned int flags,
				 unsigned long user_addr)
{
	return arena_create(size, flags, user_addr, false);
}
EXPORT_SYMBOL_GPL(vm_arena_create);

/**
 * vm_arena_create_window - create an arena addressed by 32-bit offsets
 * @size: bytes, a page multiple, at most 4 GiB (and %VM_ARENA_MAX_SIZE)
 * @flags: %VM_ARENA_F_SEGV_ON_FAULT
 * @user_addr: the user address every mapping must use, or 0 to let the
 *	first mmap() choose one whose low 32 bits are 0
 *
 * The arena of a BPF arena map.  Its kernel range sits inside a window of
 * 4 GiB whose base is vm_arena_window_base(): page N of the arena is at
 * the window base plus the low 32 bits of its user address, so a user
 * pointer's low 32 bits are the page's kernel offset in the window.  The
 * user range therefore never crosses a 4 GiB boundary.  The reservation
 * is the whole window plus %VM_ARENA_WINDOW_GUARD bytes on each side, so
 * that the window base plus any 32-bit offset plus any signed 16-bit
 * displacement stays inside it (and faults, unless a page is mapped
 * there).  With CONFIG_KASAN_VMALLOC, where a reservation costs its
 * shadow in real pages (512 MiB for 4 GiB), only the arena's own range
 * plus the guards is reserved; see Documentation/bpf/map_arena.rst.
 *
 * Otherwise as vm_arena_create(); the reservation counted against the
 * address-space caps is the whole reservation, guard page included.
 *
 * Context: Process context; may sleep.
 * Return: the arena, or an ERR_PTR(): -EINVAL for a zero or misaligned
 * @size, unknown flags (%VM_ARENA_F_ATOMIC included) or a bad @user_addr;
 * -E2BIG for a size above 4 GiB or %VM_ARENA_MAX_SIZE; -ERANGE if the
 * user range would cross a 4 GiB boundary; -ENOSPC; -ENOMEM.
 */
struct vm_arena *vm_arena_create_window(u64 size, unsigned int flags,
					unsigned long user_addr)
{
	if (flags & VM_ARENA_F_ATOMIC)
		return ERR_PTR(-EINVAL);
	if (size > SZ_4G)
		return ERR_PTR(-E2BIG);
	if (size && (u64)lower_32_bits(user_addr) + size > SZ_4G)
		return ERR_PTR(-ERANGE);
	return arena_create(size, flags, user_addr, true);
}
EXPORT_SYMBOL_GPL(vm_arena_create_window);

static void arena_release(struct kref *kref)
{
	struct vm_arena *arena = container_of(kref, struct vm_arena, kref);
	struct page *page, *next;

	/* Out of the shrinker's reach; it may be purging us until then. */
	mutex_lock(&arena_all_lock);
	list_del(&arena->node);
	mutex_unlock(&arena_all_lock);
	/* No user mapping is left: each holds a reference. */
	flush_work(&arena->free_work);
	/* This flush covers the lazy pages too: no purge is running. */
	vm_area_unmap_pages(arena->area, arena->kbase,
			    arena_kaddr(arena, arena->nr_pages));
	WARN_ON_ONCE(!list_empty(&arena->purging));
	atomic_long_sub(arena->lazy_nr, &arena_lazy_total);
	list_for_each_entry_safe(page, next, &arena->lazy, lru) {
		list_del(&page->lru);
		put_page(page);
	}
	vm_object_destroy(arena->obj);	/* puts every page */
	/* Nothing is mapped any more: give back the kernel page tables. */
	WARN_ON_ONCE(vm_area_free_pgtables(arena->area) < 0);
	free_vm_area(arena->area);
	arena_unreserve_space(arena);
	fput(arena->file);
	mem_cgroup_put(arena->memcg);
	kvfree(arena->reserved);
	kvfree(arena->busy);
	kfree(arena);
}

/**
 * vm_arena_get - take a reference on an arena
 * @arena: the arena
 *
 * Context: Any context.
 */
void vm_arena_get(struct vm_arena *arena)
{
	kref_get(&arena->kref);
}
EXPORT_SYMBOL_GPL(vm_arena_get);

/**
 * vm_arena_put - drop a reference; the last one destroys the arena
 * @arena: the arena, or %NULL
 *
 * Destroying frees every page still allocated and the kernel range.
 *
 * Context: Process context; may sleep.
 */
void vm_arena_put(struct vm_arena *arena)
{
	if (arena) {
		might_sleep();
		kref_put(&arena->kref, arena_release);
	}
}
EXPORT_SYMBOL_GPL(vm_arena_put);

/**
 * vm_arena_base - kernel address of the arena's first page
 * @arena: the arena
 *
 * Context: Any context.
 * Return: the address.
 */
void *vm_arena_base(const struct vm_arena *arena)
{
	return (void *)arena->kbase;
}
EXPORT_SYMBOL_GPL(vm_arena_base);

/**
 * vm_arena_window_base - the kernel base of a window arena's 32-bit offsets
 * @arena: the arena
 *
 * The page at user address U is at this base plus the low 32 bits of U.
 * Without CONFIG_KASAN_VMALLOC the whole 4 GiB from here, and
 * %VM_ARENA_WINDOW_GUARD bytes either side, are reserved for the arena.
 *
 * Context: Any context.
 * Return: the base, or %NULL if @arena is not a window arena.
 */
void *vm_arena_window_base(const struct vm_arena *arena)
{
	return arena->window ? (void *)arena->wbase : NULL;
}
EXPORT_SYMBOL_GPL(vm_arena_window_base);

/**
 * vm_arena_size - the arena's size
 * @arena: the arena
 *
 * Context: Any context.
 * Return: the size in bytes.
 */
u64 vm_arena_size(const struct vm_arena *arena)
{
	return (u64)arena->nr_pages << PAGE_SHIFT;
}
EXPORT_SYMBOL_GPL(vm_arena_size);

/**
 * vm_arena_flags - the arena's creation flags
 * @arena: the arena
 *
 * Context: Any context.
 * Return: the creation flags, ``VM_ARENA_F_*``.
 */
unsigned int vm_arena_flags(const struct vm_arena *arena)
{
	return arena->flags;
}
EXPORT_SYMBOL_GPL(vm_arena_flags);

/**
 * vm_arena_user_base - the user address of every mapping of the arena
 * @arena: the arena
 *
 * Context: Any context.
 * Return: the address, or 0 if none is set yet.
 */
unsigned long vm_arena_user_base(const struct vm_arena *arena)
{
	return READ_ONCE(arena->user_base);
}
EXPORT_SYMBOL_GPL(vm_arena_user_base);

/**
 * vm_arena_user_addr - convert a kernel address in the arena for user space
 * @arena: the arena
 * @kaddr: an address inside the arena, or %NULL
 *
 * Context: Any context.
 * Return: the user address at the same offset; 0 for %NULL, for an
 * address outside the arena, or if the arena has no user address yet.
 */
unsigned long vm_arena_user_addr(const struct vm_arena *arena,
				 const void *kaddr)
{
	unsigned long addr = (unsigned long)kaddr;
	unsigned long base = READ_ONCE(arena->user_base);

	if (!kaddr || !base || addr < arena->kbase ||
	    addr - arena->kbase >= arena->nr_pages << PAGE_SHIFT)
		return 0;
	return base + (addr - arena->kbase);
}
EXPORT_SYMBOL_GPL(vm_arena_user_addr);

/**
 * vm_arena_kern_addr - convert a user address in the arena for the kernel
 * @arena: the arena
 * @uaddr: an address inside the arena's user mapping, or 0
 *
 * The result is only dereferenceable if the page is allocated.
 *
 * Context: Any context.
 * Return: the kernel address at the same offset; %NULL for 0, for an
 * address outside the arena, or if the arena has no user address yet.
 */
void *vm_arena_kern_addr(const struct vm_arena *arena, unsigned long uaddr)
{
	unsigned long base = READ_ONCE(arena->user_base);

	if (!uaddr || !base || uaddr < base ||
	    uaddr - base >= arena->nr_pages << PAGE_SHIFT)
		return NULL;
	return (void *)(arena->kbase + (uaddr - base));
}
EXPORT_SYMBOL_GPL(vm_arena_kern_addr);

/**
 * vm_arena_pages_in_use - pages allocated in the arena
 * @arena: the arena
 *
 * Counts pages allocated by the kernel and by user faults; reserved pages
 * and pages whose free has started are not counted.
 *
 * Context: Any context.
 * Return: the number of pages.
 */
unsigned long vm_arena_pages_in_use(const struct vm_arena *arena)
{
	/* Allocated pages are exactly the CPU pages of the index. */
	return vm_object_nr_pages(arena->obj, VMO_CPU);
}
EXPORT_SYMBOL_GPL(vm_arena_pages_in_use);

/**
 * vm_arena_user_faults - user faults that allocated a page
 * @arena: the arena
 *
 * Context: Any context.
 * Return: the count since creation.
 */
unsigned long vm_arena_user_faults(const struct vm_arena *arena)
{
	return atomic_long_read(&arena->user_faults);
}
EXPORT_SYMBOL_GPL(vm_arena_user_faults);

static void arena_show_cost(const struct vm_arena *arena, struct seq_file *m);

/**
 * vm_arena_show_fdinfo - print the arena's state; a driver's ->show_fdinfo
 * @arena: the arena
 * @m: the fdinfo file
 *
 * Context: Process context.
 */
void vm_arena_show_fdinfo(const struct vm_arena *arena, struct seq_file *m)
{
	seq_printf(m, "arena_size:\t%llu\n", vm_arena_size(arena));
	seq_printf(m, "arena_flags:\t%#x\n", arena->flags);
	seq_printf(m, "arena_user_addr:\t%#lx\n", vm_arena_user_base(arena));
	seq_printf(m, "arena_pages_in_use:\t%lu\n",
		   vm_arena_pages_in_use(arena));
	seq_printf(m, "arena_user_faults:\t%lu\n",
		   vm_arena_user_faults(arena));
	arena_show_cost(arena, m);
}
EXPORT_SYMBOL_GPL(vm_arena_show_fdinfo);

/* ---- memory cost, charging and the address-space caps ---- */

/*
 * The temporary page array of an allocation of @count pages, charged to
 * the creator like everything else the arena allocates.  @count is at
 * most the machine's RAM in pages, so the array is at most 1/512 of it.
 */
static struct page **arena_page_array(struct vm_arena *arena,
				      unsigned long count, gfp_t gfp)
{
	struct mem_cgroup *old = set_active_memcg(arena->memcg);
	struct page **pages;

	pages = kvmalloc_array(count, sizeof(*pages), gfp | __GFP_ACCOUNT);
	set_active_memcg(old);
	return pages;
}

/*
 * Each arena reserves kernel address space (its size plus a guard page)
 * whether or not it uses it.  Two caps keep arenas from exhausting the
 * vmalloc space that module loading, vmalloc() and fork (VMAP_STACK)
 * need: one on all arenas together, one per user (the real uid of the
 * creating task).  Both are in MiB, set with vm_arena.max_total_mib= and
 * vm_arena.max_user_mib= on the kernel command line or through
 * /sys/module/vm_arena/parameters/, which show the defaults, a quarter
 * and a thirty-second of VMALLOC_TOTAL (8 TiB and 1 TiB on x86-64 with
 * 4-level paging); writing 0 restores a default.  Exceeding either makes
 * vm_arena_create() fail with -ENOSPC.  Lowering a cap never takes space
 * back from existing arenas; it only refuses new ones.
 */
static unsigned long arena_max_total_mib;
static unsigned long arena_max_user_mib;
module_param_named(max_total_mib, arena_max_total_mib, ulong, 0644);
MODULE_PARM_DESC(max_total_mib,
		 "Address space all arenas may reserve, in MiB (0: VMALLOC_TOTAL/4)");
module_param_named(max_user_mib, arena_max_user_mib, ulong, 0644);
MODULE_PARM_DESC(max_user_mib,
		 "Address space the arenas of one user may reserve, in MiB (0: VMALLOC_TOTAL/32)");

static DEFINE_MUTEX(arena_space_lock);
static unsigned long arena_space_total;		/* pages, all arenas */
static DEFINE_XARRAY(arena_space_users);	/* uid -> value: pages */

static int arena_reserved_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%lu\n",
			  DIV_ROUND_UP(READ_ONCE(arena_space_total),
				       SZ_1M >> PAGE_SHIFT));
}

static const struct kernel_param_ops arena_reserved_ops = {
	.get = arena_reserved_get,
};
module_param_cb(reserved_mib, &arena_reserved_ops, NULL, 0444);
MODULE_PARM_DESC(reserved_mib,
		 "Address space all arenas reserve now, in MiB (rounded up)");

static unsigned long arena_cap_pages(unsigned long mib, unsigned int shift)
{
	if (!mib)
		return (VMALLOC_TOTAL >> shift) >> PAGE_SHIFT;
	return min(mib, ULONG_MAX >> (20 - PAGE_SHIFT)) << (20 - PAGE_SHIFT);
}

/* Show the defaults in the parameters unless the command line set them. */
static int __init arena_space_init(void)
{
	if (!arena_max_total_mib)
		arena_max_total_mib = (VMALLOC_TOTAL >> 2) >> 20;
	if (!arena_max_user_mib)
		arena_max_user_mib = (VMALLOC_TOTAL >> 5) >> 20;
	return 0;
}
late_initcall(arena_space_init);

/* Count @pages of address space against both caps; -ENOSPC if over. */
static int arena_reserve_space(struct vm_arena *arena, unsigned long pages)
{
	unsigned long uid = __kuid_val(current_uid()), used;
	int err = 0;
	void *old;

	mutex_lock(&arena_space_lock);
	used = xa_to_value(xa_load(&arena_space_users, uid) ?: xa_mk_value(0));
	if (arena_space_total + pages >
	    arena_cap_pages(READ_ONCE(arena_max_total_mib), 2) ||
	    used + pages > arena_cap_pages(READ_ONCE(arena_max_user_mib), 5)) {
		err = -ENOSPC;
		goto out;
	}
	old = xa_store(&arena_space_users, uid, xa_mk_value(used + pages),
		       GFP_KERNEL);
	if (xa_is_err(old)) {
		err = xa_err(old);
		goto out;
	}
	arena_space_total += pages;
	arena->uid = current_uid();
	arena->reserved_pages = pages;
out:
	mutex_unlock(&arena_space_lock);
	return err;
}

static void arena_unreserve_space(struct vm_arena *arena)
{
	unsigned long uid = __kuid_val(arena->uid), used;

	if (!arena->reserved_pages)
		return;
	mutex_lock(&arena_space_lock);
	used = xa_to_value(xa_load(&arena_space_users, uid));
	if (WARN_ON_ONCE(used < arena->reserved_pages))
		used = arena->reserved_pages;
	used -= arena->reserved_pages;
	/* Shrinking a value entry, or erasing it, never allocates. */
	if (used)
		xa_store(&arena_space_users, uid, xa_mk_value(used), GFP_KERNEL);
	else
		xa_erase(&arena_space_users, uid);
	arena_space_total -= arena->reserved_pages;
	mutex_unlock(&arena_space_lock);
	arena->reserved_pages = 0;
}

/**
 * vm_arena_memory - what an arena costs now
 * @arena: the arena
 * @cost: filled in
 *
 * Everything in @cost but @cost->pgtable_pages and @cost->reserved_bytes
 * is charged to the memory cgroup of the arena's creator, the pages freed
 * but not yet released (@cost->lazy_pages) included.  Kernel
 * page-table pages are not charged (the kernel allocates them with
 * GFP_PGTABLE_KERNEL); those wholly inside the arena's range are freed
 * when it is destroyed.  Walks the index and the page tables: meant for
 * fdinfo, statistics and tests, not fast paths.
 *
 * Context: Process context.
 */
void vm_arena_memory(const struct vm_arena *arena, struct vm_arena_cost *cost)
{
	memset(cost, 0, sizeof(*cost));
	cost->pages = vm_arena_pages_in_use(arena);
	cost->lazy_pages = arena_lazy_pages(arena);
	cost->bitmap_bytes = 2 * BITS_TO_LONGS(arena->nr_pages) * sizeof(long);
	cost->index_bytes = vm_object_memory(arena->obj);
	cost->struct_bytes = sizeof(*arena);
	cost->pgtable_pages = vm_area_pgtable_pages(arena->area);
	cost->reserved_bytes = (u64)arena->reserved_pages << PAGE_SHIFT;
}
EXPORT_SYMBOL_GPL(vm_arena_memory);

static void arena_show_cost(const struct vm_arena *arena, struct seq_file *m)
{
	struct vm_arena_cost c;

	vm_arena_memory(arena, &c);
	seq_printf(m, "arena_mem_pages:\t%lu\n", c.pages);
	seq_printf(m, "arena_mem_lazy_pages:\t%lu\n", c.lazy_pages);
	seq_printf(m, "arena_mem_bitmap_bytes:\t%zu\n", c.bitmap_bytes);
	seq_printf(m, "arena_mem_index_bytes:\t%zu\n", c.index_bytes);
	seq_printf(m, "arena_mem_struct_bytes:\t%zu\n", c.struct_bytes);
	seq_printf(m, "arena_mem_pgtable_pages:\t%lu\n", c.pgtable_pages);
	seq_printf(m, "arena_reserved_bytes:\t%llu\n", c.reserved_bytes);
}
