// SPDX-License-Identifier: GPL-2.0-only
/*
 * sparse-mm benchmarks.  Loading the module runs every figure and prints it
 * as KTAP: one "# bench:" diagnostic line with the ratio against an
 * in-kernel baseline measured in the same boot, then "ok" or "not ok"
 * against the target.  Rounds interleave the measured code and its
 * baseline and the median ratio is reported, because absolute times under
 * QEMU TCG move by tens of percent between boots.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#define pr_fmt(fmt) fmt

#include <linux/fs.h>
#include <linux/irqflags.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vm_arena.h>
#include <linux/vm_group_pages.h>
#include <linux/vm_sparse.h>
#include <linux/vmalloc.h>
#include <linux/vm_object.h>
#include <linux/vmstat.h>
#include <linux/xarray.h>

static unsigned int rounds = 21;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "measurement rounds per figure (median is reported)");

static unsigned int iters = 32;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "operations timed per round");

#define BENCH_PAGES	512

static unsigned int bench_nr;

/* A ratio in thousandths, printed as x.yyy. */
#define R_FMT		"%llu.%03llu"

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 median(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), cmp_u64, NULL);
	return v[n / 2];
}

static void report(const char *name, u64 ratio, u64 limit, bool at_most,
		   const char *detail)
{
	bool ok = at_most ? ratio <= limit : ratio >= limit;

	bench_nr++;
	pr_info("# bench: %s ratio=" R_FMT " target%s" R_FMT " %s\n", name,
		ratio / 1000, ratio % 1000, at_most ? "<=" : ">=",
		limit / 1000, limit % 1000, detail);
	pr_info("%sok %u %s\n", ok ? "" : "not ", bench_nr, name);
}

static unsigned long this_cpu_pgalloc(void)
{
	unsigned long n = 0;
	int z;

	for (z = 0; z < MAX_NR_ZONES; z++)
		n += this_cpu_read(vm_event_states.event[PGALLOC_NORMAL - ZONE_NORMAL + z]);
	return n;
}

struct bench_ctx {
	struct page *pages[BENCH_PAGES];
	u64 *a, *b, *ratio;
};

/* What the timed functions work on; each uses the fields it needs. */
struct bench_arg {
	struct vm_struct *area;		/* an ordinary sparse area */
	struct vm_struct *pre;		/* a prebuilt sparse area */
	struct page **pages;
	struct vm_object *obj;
	struct xarray *xa;
	struct vm_arena *arena;
};

typedef u64 (*bench_fn)(const struct bench_arg *arg);

/*
 * Time @measured and @baseline over the rounds, alternating which goes
 * first, into c->a, c->b and c->ratio (thousandths).  A timed function
 * returns U64_MAX when the operation failed.
 */
static int bench_interleave(struct bench_ctx *c, bench_fn measured,
			    bench_fn baseline, const struct bench_arg *arg)
{
	unsigned int r;

	for (r = 0; r < rounds; r++) {
		if (r & 1) {
			c->b[r] = baseline(arg);
			c->a[r] = measured(arg);
		} else {
			c->a[r] = measured(arg);
			c->b[r] = baseline(arg);
		}
		if (c->a[r] == U64_MAX || c->b[r] == U64_MAX)
			return -ENOMEM;
		c->ratio[r] = div64_u64(c->a[r] * 1000, c->b[r]);
	}
	return 0;
}

static u64 time_sparse_map_unmap(const struct bench_arg *arg)
{
	struct vm_struct *area = arg->area;
	struct page **pages = arg->pages;
	unsigned long s = (unsigned long)area->addr;
	unsigned long e = s + BENCH_PAGES * PAGE_SIZE;
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < iters; i++) {
		if (vm_area_map_pages(area, s, e, pages))
			return U64_MAX;
		vm_area_unmap_pages(area, s, e);
	}
	return ktime_get_ns() - t0;
}

static u64 time_vmap_vunmap(const struct bench_arg *arg)
{
	struct page **pages = arg->pages;
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < iters; i++) {
		void *v = vmap(pages, BENCH_PAGES, VM_MAP, PAGE_KERNEL);

		if (!v)
			return U64_MAX;
		vunmap(v);
	}
	return ktime_get_ns() - t0;
}

/* Where the time of map + unmap goes: map alone, unmap alone. */
static void bench_map_unmap_breakdown(struct bench_ctx *c, struct vm_struct *area)
{
	unsigned long s = (unsigned long)area->addr;
	unsigned long e = s + BENCH_PAGES * PAGE_SIZE;
	unsigned int r, i;
	u64 t0;

	for (r = 0; r < rounds; r++) {
		c->a[r] = 0;
		c->b[r] = 0;
		for (i = 0; i < iters; i++) {
			t0 = ktime_get_ns();
			if (vm_area_map_pages(area, s, e, c->pages))
				return;
			c->a[r] += ktime_get_ns() - t0;
			t0 = ktime_get_ns();
			vm_area_unmap_pages(area, s, e);
			c->b[r] += ktime_get_ns() - t0;
		}
	}
	pr_info("# bench: map_unmap_512_breakdown map_ns=%llu unmap_ns=%llu (unmap includes the TLB flush on every CPU)\n",
		div_u64(median(c->a, rounds), iters),
		div_u64(median(c->b, rounds), iters));
}

/* map + unmap of 512 pages vs vmap() + vunmap() of the same pages. */
static int bench_map_unmap(struct bench_ctx *c)
{
	struct bench_arg arg = { .pages = c->pages };
	u64 ratio, sparse_ns, vmap_ns;
	char detail[128];
	int err;

	arg.area = get_sparse_vm_area(BENCH_PAGES * PAGE_SIZE);
	if (!arg.area)
		return -ENOMEM;
	err = bench_interleave(c, time_sparse_map_unmap, time_vmap_vunmap, &arg);
	if (err) {
		free_vm_area(arg.area);
		return err;
	}
	ratio = median(c->ratio, rounds);
	sparse_ns = div_u64(median(c->a, rounds), iters);
	vmap_ns = div_u64(median(c->b, rounds), iters);
	bench_map_unmap_breakdown(c, arg.area);
	free_vm_area(arg.area);
	snprintf(detail, sizeof(detail),
		 "sparse_ns=%llu vmap_ns=%llu per 512-page map+unmap, rounds=%u",
		 sparse_ns, vmap_ns, rounds);
	report("map_unmap_512_vs_vmap_vunmap", ratio, 1200, true, detail);
	return 0;
}

/*
 * Map BENCH_PAGES single pages, one call each, into an area whose page
 * tables exist; return the time of the map calls only.
 */
static u64 time_single_maps(struct vm_struct *area, struct page **pages,
			    bool atomic)
{
	unsigned long s = (unsigned long)area->addr;
	unsigned int i;
	u64 t0, t;
	int err = 0;

	t0 = ktime_get_ns();
	for (i = 0; i < BENCH_PAGES && !err; i++) {
		unsigned long a = s + i * PAGE_SIZE;

		err = atomic ? vm_area_map_pages_atomic(area, a, a + PAGE_SIZE, &pages[i])
			     : vm_area_map_pages(area, a, a + PAGE_SIZE, &pages[i]);
	}
	t = ktime_get_ns() - t0;
	vm_area_unmap_pages(area, s, s + BENCH_PAGES * PAGE_SIZE);
	return err ? U64_MAX : t;
}

static u64 time_atomic_maps(const struct bench_arg *arg)
{
	return time_single_maps(arg->pre, arg->pages, true);
}

static u64 time_sleeping_maps(const struct bench_arg *arg)
{
	return time_single_maps(arg->area, arg->pages, false);
}

/* Atomic map of one page vs the sleeping map where the tables exist. */
static int bench_atomic_map(struct bench_ctx *c)
{
	struct vm_struct *pre = get_prebuilt_sparse_vm_area(BENCH_PAGES * PAGE_SIZE);
	struct vm_struct *area = get_sparse_vm_area(BENCH_PAGES * PAGE_SIZE);
	struct bench_arg arg = { .area = area, .pre = pre, .pages = c->pages };
	unsigned long s, flags, before, after;
	char detail[160];
	unsigned int r;
	int err = -ENOMEM;

	if (!pre || !area)
		goto out;
	s = (unsigned long)area->addr;
	/* Build the sleeping area's tables once, so neither side allocates. */
	if (vm_area_map_pages(area, s, s + BENCH_PAGES * PAGE_SIZE, c->pages))
		goto out;
	vm_area_unmap_pages(area, s, s + BENCH_PAGES * PAGE_SIZE);

	err = bench_interleave(c, time_atomic_maps, time_sleeping_maps, &arg);
	if (err)
		goto out;
	snprintf(detail, sizeof(detail),
		 "atomic_ns=%llu sleeping_ns=%llu per single-page map, rounds=%u",
		 div_u64(median(c->a, rounds), BENCH_PAGES),
		 div_u64(median(c->b, rounds), BENCH_PAGES), rounds);
	report("atomic_map_1_vs_sleeping_map_1", median(c->ratio, rounds), 1100,
	       true, detail);

	/* Never allocates: page allocations on this CPU, interrupts off. */
	local_irq_save(flags);
	before = this_cpu_pgalloc();
	s = (unsigned long)pre->addr;
	for (r = 0; r < BENCH_PAGES; r++)
		vm_area_map_pages_atomic(pre, s + r * PAGE_SIZE,
					 s + (r + 1) * PAGE_SIZE, &c->pages[r]);
	after = this_cpu_pgalloc();
	local_irq_restore(flags);
	vm_area_unmap_pages(pre, s, s + BENCH_PAGES * PAGE_SIZE);
	snprintf(detail, sizeof(detail),
		 "page allocations during %u atomic single-page maps with interrupts disabled: %lu",
		 BENCH_PAGES, after - before);
	bench_nr++;
	pr_info("# bench: atomic_map_allocations count=%lu %s\n",
		after - before, detail);
	pr_info("%sok %u atomic_map_never_allocates\n",
		after == before ? "" : "not ", bench_nr);
	err = 0;
out:
	if (pre)
		free_vm_area(pre);
	if (area)
		free_vm_area(area);
	return err;
}

/* Page-table cost of a 1 GiB sparse area with one page, and prebuilt. */
static int bench_memory(struct bench_ctx *c)
{
	struct vm_struct *big = get_sparse_vm_area(SZ_1G);
	struct vm_struct *pre = NULL;
	unsigned long a, before, after;
	int err = -ENOMEM;

	if (!big)
		goto out;
	a = (unsigned long)big->addr + SZ_512M;
	before = vm_area_pgtable_pages(big);
	if (vm_area_map_pages(big, a, a + PAGE_SIZE, c->pages))
		goto out;
	after = vm_area_pgtable_pages(big);
	vm_area_unmap_pages(big, a, a + PAGE_SIZE);
	bench_nr++;
	pr_info("# bench: sparse_1g_one_page pgtable_pages_added=%lu (before=%lu after=%lu) target<=2\n",
		after - before, before, after);
	pr_info("%sok %u sparse_1g_one_page_pgtables\n",
		after - before <= 2 ? "" : "not ", bench_nr);

	free_vm_area(big);
	big = NULL;
	pre = get_prebuilt_sparse_vm_area(SZ_1G);
	if (!pre)
		goto out;
	bench_nr++;
	pr_info("# bench: prebuilt_1g pgtable_pages=%lu (%lu KiB per GiB)\n",
		vm_area_pgtable_pages(pre), vm_area_pgtable_pages(pre) * 4);
	pr_info("ok %u prebuilt_1g_pgtables\n", bench_nr);
	err = 0;
out:
	if (big)
		free_vm_area(big);
	if (pre)
		free_vm_area(pre);
	return err;
}

#ifdef CONFIG_VM_OBJECT
#define VMO_BENCH_NR	4096

static u64 time_vmo_lookups(const struct bench_arg *arg)
{
	struct vm_object *obj = arg->obj;
	struct vm_object_entry e;
	unsigned long sum = 0, i, n;
	u64 t0 = ktime_get_ns();

	for (n = 0; n < iters; n++)
		for (i = 0; i < VMO_BENCH_NR; i++) {
			vm_object_lookup(obj, i, &e);
			sum += (unsigned long)e.page;
		}
	OPTIMIZER_HIDE_VAR(sum);
	return ktime_get_ns() - t0;
}

static u64 time_xa_loads(const struct bench_arg *arg)
{
	struct xarray *xa = arg->xa;
	unsigned long sum = 0, i, n;
	u64 t0 = ktime_get_ns();

	for (n = 0; n < iters; n++)
		for (i = 0; i < VMO_BENCH_NR; i++)
			sum += (unsigned long)xa_load(xa, i);
	OPTIMIZER_HIDE_VAR(sum);
	return ktime_get_ns() - t0;
}

static u64 time_vmo_set(const struct bench_arg *arg)
{
	struct vm_object *obj = arg->obj;
	struct page **pages = arg->pages;
	u64 t = 0, t0;
	unsigned int n;

	for (n = 0; n < iters; n++) {
		t0 = ktime_get_ns();
		if (vm_object_set_pages(obj, 0, VMO_BENCH_NR, pages, GFP_KERNEL))
			return U64_MAX;
		t += ktime_get_ns() - t0;
		vm_object_clear(obj, 0, VMO_BENCH_NR);
	}
	return t;
}

static int xa_store_loop(struct xarray *xa, struct page **pages)
{
	XA_STATE(xas, xa, 0);
	unsigned long i;

	do {
		xas_lock(&xas);
		xas_set(&xas, 0);
		for (i = 0; i < VMO_BENCH_NR; i++) {
			xas_store(&xas, pages[i]);
			if (xas_error(&xas))
				break;
			xas_next(&xas);
		}
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_KERNEL));
	return xas_error(&xas);
}

static u64 time_xa_set(const struct bench_arg *arg)
{
	struct xarray *xa = arg->xa;
	struct page **pages = arg->pages;
	u64 t = 0, t0;
	unsigned int n;

	for (n = 0; n < iters; n++) {
		t0 = ktime_get_ns();
		if (xa_store_loop(xa, pages))
			return U64_MAX;
		t += ktime_get_ns() - t0;
		xa_destroy(xa);
	}
	return t;
}

/* vm_object against the raw xarray it is built on. */
static int bench_vm_object(struct bench_ctx *c)
{
	struct vm_object *obj = vm_object_create(0, VMO_BENCH_NR * 64, GFP_KERNEL);
	struct vm_object *sparse = vm_object_create(0, VMO_BENCH_NR * 64, GFP_KERNEL);
	struct page **pages = kvcalloc(VMO_BENCH_NR, sizeof(*pages), GFP_KERNEL);
	char detail[128];
	size_t dense_mem, sparse_mem;
	struct bench_arg arg;
	struct xarray xa;
	int i, err = -ENOMEM;

	xa_init(&xa);
	if (!obj || !sparse || !pages)
		goto out;
	for (i = 0; i < VMO_BENCH_NR; i++)
		pages[i] = c->pages[i % BENCH_PAGES];

	/* Lookups over 4096 populated indexes. */
	if (vm_object_set_pages(obj, 0, VMO_BENCH_NR, pages, GFP_KERNEL) ||
	    xa_store_loop(&xa, pages))
		goto out;
	arg = (struct bench_arg){ .obj = obj, .xa = &xa, .pages = pages };
	if (bench_interleave(c, time_vmo_lookups, time_xa_loads, &arg))
		goto out;
	snprintf(detail, sizeof(detail),
		 "vm_object_lookup_ns=%llu xa_load_ns=%llu per lookup, rounds=%u",
		 div_u64(median(c->a, rounds), iters * VMO_BENCH_NR),
		 div_u64(median(c->b, rounds), iters * VMO_BENCH_NR), rounds);
	report("vm_object_lookup_vs_xa_load", median(c->ratio, rounds), 1300,
	       true, detail);

	/* Memory per tracked page: dense, and one page in 64. */
	dense_mem = vm_object_memory(obj);
	for (i = 0; i < VMO_BENCH_NR; i++)
		if (vm_object_set_page(sparse, i * 64, pages[i], GFP_KERNEL))
			goto out;
	sparse_mem = vm_object_memory(sparse);
	bench_nr++;
	pr_info("# bench: vm_object_memory dense_bytes_per_page=%zu.%02zu sparse_1_in_64_bytes_per_page=%zu.%02zu target_dense<=16\n",
		dense_mem / VMO_BENCH_NR, dense_mem % VMO_BENCH_NR * 100 / VMO_BENCH_NR,
		sparse_mem / VMO_BENCH_NR,
		sparse_mem % VMO_BENCH_NR * 100 / VMO_BENCH_NR);
	pr_info("%sok %u vm_object_memory_dense\n",
		dense_mem <= 16 * VMO_BENCH_NR ? "" : "not ", bench_nr);

	/* Range set of 4096 CPU pages, from empty each time. */
	vm_object_clear(obj, 0, VMO_BENCH_NR);
	xa_destroy(&xa);
	if (bench_interleave(c, time_vmo_set, time_xa_set, &arg))
		goto out;
	snprintf(detail, sizeof(detail),
		 "vm_object_set_pages_ns=%llu xas_store_loop_ns=%llu per 4096 pages, rounds=%u",
		 div_u64(median(c->a, rounds), iters),
		 div_u64(median(c->b, rounds), iters), rounds);
	report("vm_object_set_4096_vs_xas_store_loop", median(c->ratio, rounds),
	       1500, true, detail);
	err = 0;
out:
	vm_object_destroy(obj);
	vm_object_destroy(sparse);
	xa_destroy(&xa);
	kvfree(pages);
	return err;
}

#define BENCH_VMO_FIGURES	3
#else
static int bench_vm_object(struct bench_ctx *c)
{
	return 0;
}

#define BENCH_VMO_FIGURES	0
#endif

#ifdef CONFIG_VM_ARENA
#define ARENA_BENCH_PAGES	256

/*
 * Arena kernel-side single-page allocations, against the buddy allocator:
 * 256 one-page allocations timed, the frees (one range) not.
 */
static u64 time_arena_allocs(const struct bench_arg *arg)
{
	u64 t = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < ARENA_BENCH_PAGES; i++)
		if (IS_ERR(vm_arena_alloc_pages(arg->arena, NULL, 1,
						NUMA_NO_NODE, 0)))
			return U64_MAX;
	t = ktime_get_ns() - t;
	if (vm_arena_free_pages(arg->arena, vm_arena_base(arg->arena),
				ARENA_BENCH_PAGES))
		return U64_MAX;
	return t;
}

static u64 time_alloc_pages(const struct bench_arg *arg)
{
	u64 t = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < ARENA_BENCH_PAGES; i++) {
		arg->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO |
					   __GFP_ACCOUNT);
		if (!arg->pages[i])
			return U64_MAX;
	}
	t = ktime_get_ns() - t;
	for (i = 0; i < ARENA_BENCH_PAGES; i++)
		__free_page(arg->pages[i]);
	return t;
}

/*
 * Single-page alloc + free: best fit hands the page just freed out again,
 * and the allocation maps the same page (no flush is needed for that).
 */
static u64 time_arena_alloc_free(const struct bench_arg *arg)
{
	u64 t = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < iters; i++) {
		void *p = vm_arena_alloc_pages(arg->arena, NULL, 1,
					       NUMA_NO_NODE, 0);

		if (IS_ERR(p) || vm_arena_free_pages(arg->arena, p, 1))
			return U64_MAX;
	}
	return ktime_get_ns() - t;
}

static u64 time_alloc_page_free_n(unsigned int n)
{
	u64 t = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO |
					       __GFP_ACCOUNT);

		if (!page)
			return U64_MAX;
		__free_page(page);
	}
	return ktime_get_ns() - t;
}

static u64 time_alloc_page_free(const struct bench_arg *arg)
{
	return time_alloc_page_free_n(iters);
}

/*
 * Single-page alloc + free at %ARENA_BENCH_PAGES different offsets, so
 * that no page freed is allocated again: every free waits for a batched
 * kernel TLB flush, and the timed part ends with vm_arena_flush_frees(),
 * which releases the last batch.
 */
static u64 time_arena_alloc_free_scattered(const struct bench_arg *arg)
{
	void *base = vm_arena_base(arg->arena);
	u64 t = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < ARENA_BENCH_PAGES; i++) {
		void *p = vm_arena_alloc_pages(arg->arena,
					       base + i * PAGE_SIZE, 1,
					       NUMA_NO_NODE, 0);

		if (IS_ERR(p) || vm_arena_free_pages(arg->arena, p, 1))
			return U64_MAX;
	}
	vm_arena_flush_frees(arg->arena);
	return ktime_get_ns() - t;
}

static u64 time_alloc_page_free_scattered(const struct bench_arg *arg)
{
	return time_alloc_page_free_n(ARENA_BENCH_PAGES);
}

/*
 * Fresh: each round creates a new arena (untimed), so the kernel page
 * tables of its range and its index nodes do not exist yet, as for a
 * driver that has just made one; the timed part is the same as warm.
 */
static u64 time_fresh(const struct bench_arg *arg, bench_fn fn)
{
	struct bench_arg a = *arg;
	u64 t;

	a.arena = vm_arena_create(SZ_1G, 0, 0);
	if (IS_ERR(a.arena))
		return U64_MAX;
	t = fn(&a);
	vm_arena_put(a.arena);
	/*
	 * The teardown is untimed, and so must be what it leaves behind:
	 * vmalloc frees the 1 GiB reservation lazily and purges its lazy
	 * list (with a TLB flush on every CPU) from a work item, which would
	 * otherwise run inside the next round's timed part.
	 */
	vm_unmap_aliases();
	return t;
}

static u64 time_arena_allocs_fresh(const struct bench_arg *arg)
{
	return time_fresh(arg, time_arena_allocs);
}

static u64 time_arena_alloc_free_fresh(const struct bench_arg *arg)
{
	return time_fresh(arg, time_arena_alloc_free);
}

static u64 time_arena_alloc_free_scattered_fresh(const struct bench_arg *arg)
{
	return time_fresh(arg, time_arena_alloc_free_scattered);
}

/*
 * One arena figure: @measured against @baseline, printed as
 * "arena_<name>_<fresh|warm>" with ns per operation (@per operations per
 * timed call).  Figures only: the harness judges the targets.
 */
static int bench_arena_figure(struct bench_ctx *c, const struct bench_arg *arg,
			      bench_fn measured, bench_fn baseline,
			      unsigned int per, const char *name,
			      const char *what, bool fresh)
{
	u64 ratio;
	int err;

	err = bench_interleave(c, measured, baseline, arg);
	if (err)
		return err;
	ratio = median(c->ratio, rounds);
	pr_info("# bench: arena_%s_%s ratio=" R_FMT
		" arena_ns=%llu alloc_page_ns=%llu per %s, %s arena, rounds=%u\n",
		name, fresh ? "fresh" : "warm", ratio / 1000, ratio % 1000,
		div_u64(median(c->a, rounds), per),
		div_u64(median(c->b, rounds), per), what,
		fresh ? "a new" : "one reused", rounds);
	return 0;
}

/*
 * The arena figures, each fresh (a new arena per round) and warm (one
 * arena reused).  Targets apply to the fresh figures.
 */
static int bench_arena(struct bench_ctx *c)
{
	struct bench_arg arg = {
		.arena = vm_arena_create(SZ_1G, 0, 0),
		.pages = kcalloc(ARENA_BENCH_PAGES, sizeof(struct page *),
				 GFP_KERNEL),
	};
	int err, fresh;

	if (IS_ERR(arg.arena)) {
		kfree(arg.pages);
		return PTR_ERR(arg.arena);
	}
	err = -ENOMEM;
	if (!arg.pages)
		goto out;
	for (fresh = 1; fresh >= 0; fresh--) {
		err = bench_arena_figure(c, &arg, fresh ? time_arena_allocs_fresh :
						      time_arena_allocs,
					 time_alloc_pages, ARENA_BENCH_PAGES,
					 "alloc_1_vs_alloc_page",
					 "single-page alloc (zeroed, accounted)",
					 fresh);
		if (err)
			goto out;
		err = bench_arena_figure(c, &arg,
					 fresh ? time_arena_alloc_free_fresh :
						 time_arena_alloc_free,
					 time_alloc_page_free, iters,
					 "alloc_free_1_vs_alloc_page_free",
					 "alloc+free (the next alloc takes the page just freed)",
					 fresh);
		if (err)
			goto out;
		err = bench_arena_figure(c, &arg,
					 fresh ? time_arena_alloc_free_scattered_fresh :
						 time_arena_alloc_free_scattered,
					 time_alloc_page_free_scattered,
					 ARENA_BENCH_PAGES,
					 "alloc_free_1_scattered_vs_alloc_page_free",
					 "alloc+free at new offsets (batched TLB flushes)",
					 fresh);
		if (err)
			goto out;
	}
out:
	vm_arena_put(arg.arena);
	kfree(arg.pages);
	return err;
}

#else
static int bench_arena(struct bench_ctx *c)
{
	return 0;
}
#endif

#ifdef CONFIG_VM_GROUP_PAGES
/* A module's text pages, then its data pages, as the loader sees them. */
static const u8 vg_text[] = { 1, 2, 2, 3, 4, 6, 8, 12 };
static const u8 vg_data[] = { 1, 1, 2, 3, 2, 4, 4, 8 };
#define VG_AREAS	ARRAY_SIZE(vg_text)

static unsigned int vg_rounds = 64;
module_param(vg_rounds, uint, 0444);
MODULE_PARM_DESC(vg_rounds, "module load/unload rounds of the direct-map figure");

static unsigned int vg_hold_pages = 1024;
module_param(vg_hold_pages, uint, 0444);
MODULE_PARM_DESC(vg_hold_pages, "pages the rest of the kernel takes between rounds");

/* DirectMap4k and DirectMap2M from /proc/meminfo, in kB; false on error. */
static bool read_directmap(unsigned long *dm4k, unsigned long *dm2m)
{
	struct file *f = filp_open("/proc/meminfo", O_RDONLY, 0);
	char *buf, *s;
	loff_t pos = 0;
	ssize_t n;
	bool ok = false;

	if (IS_ERR(f))
		return false;
	buf = kzalloc(PAGE_SIZE, GFP_KERNEL);
	if (buf) {
		n = kernel_read(f, buf, PAGE_SIZE - 1, &pos);
		if (n > 0) {
			buf[n] = '\0';
			s = strstr(buf, "DirectMap4k:");
			ok = s && sscanf(s, "DirectMap4k: %lu", dm4k) == 1;
			s = strstr(buf, "DirectMap2M:");
			*dm2m = 0;
			if (s && sscanf(s, "DirectMap2M: %lu", dm2m) != 1)
				ok = false;
		}
		kfree(buf);
	}
	filp_close(f, NULL);
	return ok;
}

/*
 * One module's life: vmalloc with VM_FLUSH_RESET_PERMS like module_alloc()
 * (plus VM_GROUP_PAGES or not), text read-only and executable, data
 * non-executable.  Returns the area or NULL.
 */
static void *vg_module_load(unsigned int i, unsigned long extra)
{
	int text = vg_text[i % VG_AREAS], data = vg_data[i % VG_AREAS];
	void *p = vm_group_bench_vmalloc((text + data) * PAGE_SIZE,
					 VM_FLUSH_RESET_PERMS | extra);

	if (p && vm_group_bench_protect(p, text, data)) {
		vm_group_bench_unprotect(p, text);
		vfree(p);
		p = NULL;
	}
	return p;
}

static void vg_module_unload(void *p, unsigned int i)
{
	vm_group_bench_unprotect(p, vg_text[i % VG_AREAS]);
	vfree(p);
}

/*
 * New DirectMap4k kB while modules come and go, vg_rounds times, and the
 * rest of the kernel takes vg_hold_pages pages after each unload (page
 * cache, slab: whatever reuses the freed memory), all held until the end.
 * @hold == 0 measures one batch of every module instead.
 */
static long vg_directmap_churn(unsigned long extra, unsigned int rounds,
			       unsigned int hold, struct list_head *held)
{
	unsigned long dm4k0, dm4k1, dm2m;
	void *areas[VG_AREAS];
	unsigned int r, i, h;

	if (!read_directmap(&dm4k0, &dm2m))
		return -EIO;
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < VG_AREAS; i++) {
			areas[i] = vg_module_load(i, extra);
			if (!areas[i]) {
				while (i--)
					vg_module_unload(areas[i], i);
				return -ENOMEM;
			}
		}
		for (i = 0; i < VG_AREAS; i++)
			vg_module_unload(areas[i], i);
		for (h = 0; h < hold; h++) {
			struct page *page = alloc_page(GFP_KERNEL);

			if (!page)
				return -ENOMEM;
			list_add(&page->lru, held);
		}
		cond_resched();
	}
	if (!read_directmap(&dm4k1, &dm2m))
		return -EIO;
	return dm4k1 - dm4k0;
}

/* All modules of all rounds loaded at once, then unloaded. */
static long vg_directmap_batch(unsigned long extra, unsigned int nr)
{
	unsigned long dm4k0, dm4k1, dm2m;
	unsigned int i, done;
	void **areas = kcalloc(nr, sizeof(*areas), GFP_KERNEL);
	long ret = -ENOMEM;

	if (!areas)
		return -ENOMEM;
	if (!read_directmap(&dm4k0, &dm2m))
		goto out;
	for (done = 0; done < nr; done++) {
		areas[done] = vg_module_load(done, extra);
		if (!areas[done])
			break;
	}
	for (i = 0; i < done; i++)
		vg_module_unload(areas[i], i);
	if (done == nr && read_directmap(&dm4k1, &dm2m))
		ret = dm4k1 - dm4k0;
out:
	kfree(areas);
	return ret;
}

static void vg_put_held(struct list_head *held)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, held, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
}

static u64 time_vmalloc16(unsigned long extra)
{
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < iters; i++) {
		void *p = vm_group_bench_vmalloc(SZ_16K, extra);

		if (!p)
			return U64_MAX;
		vfree(p);
	}
	return ktime_get_ns() - t0;
}

static u64 time_vmalloc16_grouped(const struct bench_arg *arg)
{
	return time_vmalloc16(VM_GROUP_PAGES);
}

static u64 time_vmalloc16_plain(const struct bench_arg *arg)
{
	return time_vmalloc16(0);
}

static int bench_group_pages(struct bench_ctx *c)
{
	unsigned long dm4k, dm2m, grouped_kb, plain_kb, ratio;
	struct bench_arg arg = {};
	LIST_HEAD(held);
	char detail[200];
	long g, p;
	int err;

	if (!read_directmap(&dm4k, &dm2m))
		return -EIO;
	pr_info("# bench: directmap_at_start DirectMap4k=%lu kB DirectMap2M=%lu kB\n",
		dm4k, dm2m);

	/* Cold cache for the grouped run, which goes first. */
	vm_group_bench_shrink();
	g = vg_directmap_churn(VM_GROUP_PAGES, vg_rounds, vg_hold_pages, &held);
	vg_put_held(&held);
	p = vg_directmap_churn(0, vg_rounds, vg_hold_pages, &held);
	vg_put_held(&held);
	if (g < 0 || p < 0)
		return g < 0 ? g : p;
	grouped_kb = g;
	plain_kb = p;
	/* Reduction target 98%: grouped / plain <= 0.020. */
	ratio = plain_kb ? div_u64((u64)grouped_kb * 1000, plain_kb) : 1000;
	snprintf(detail, sizeof(detail),
		 "new_directmap4k_kb grouped=%lu plain=%lu reduction=%lu.%lu%% (%u rounds of %zu module-like areas, %u pages taken between rounds)",
		 grouped_kb, plain_kb, (1000 - min(ratio, 1000UL)) / 10,
		 (1000 - min(ratio, 1000UL)) % 10, vg_rounds, VG_AREAS,
		 vg_hold_pages);
	report("group_pages_directmap4k_churn", ratio, 20, true, detail);

	/* The same modules all at once, no churn: for information. */
	vm_group_bench_shrink();
	g = vg_directmap_batch(VM_GROUP_PAGES, vg_rounds * VG_AREAS);
	p = vg_directmap_batch(0, vg_rounds * VG_AREAS);
	pr_info("# bench: group_pages_directmap4k_batch new_directmap4k_kb grouped=%ld plain=%ld (%zu areas loaded at once, informational)\n",
		g, p, vg_rounds * VG_AREAS);

	/* vmalloc(16 KiB) + vfree, warm cache, against plain vmalloc. */
	vfree(vm_group_bench_vmalloc(SZ_16K, VM_GROUP_PAGES));
	err = bench_interleave(c, time_vmalloc16_grouped, time_vmalloc16_plain, &arg);
	if (err)
		return err;
	snprintf(detail, sizeof(detail),
		 "grouped_ns=%llu plain_ns=%llu per vmalloc(16K)+vfree, rounds=%u",
		 div_u64(median(c->a, rounds), iters),
		 div_u64(median(c->b, rounds), iters), rounds);
	report("group_pages_vmalloc16_vs_vmalloc16", median(c->ratio, rounds),
	       1000, true, detail);

	/* After the shrinker, the cache holds nothing. */
	vm_group_bench_shrink();
	bench_nr++;
	pr_info("# bench: group_pages_cached_after_shrink pages=%lu target=0\n",
		vm_group_cached_pages());
	pr_info("%sok %u group_pages_cached_after_shrink\n",
		vm_group_cached_pages() ? "not " : "", bench_nr);
	return 0;
}

#define BENCH_VG_FIGURES	3
#else
static int bench_group_pages(struct bench_ctx *c)
{
	return 0;
}

#define BENCH_VG_FIGURES	0
#endif

static int __init sparse_mm_bench_init(void)
{
	struct bench_ctx *c;
	int i, err = -ENOMEM;

	if (rounds < 3 || iters < 1)
		return -EINVAL;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->a = kcalloc(rounds, sizeof(u64), GFP_KERNEL);
	c->b = kcalloc(rounds, sizeof(u64), GFP_KERNEL);
	c->ratio = kcalloc(rounds, sizeof(u64), GFP_KERNEL);
	if (!c->a || !c->b || !c->ratio)
		goto out;
	for (i = 0; i < BENCH_PAGES; i++) {
		c->pages[i] = alloc_page(GFP_KERNEL);
		if (!c->pages[i])
			goto out;
	}

	pr_info("KTAP version 1\n");
	pr_info("1..%d\n", 5 + BENCH_VMO_FIGURES + BENCH_VG_FIGURES);
	err = bench_map_unmap(c);
	if (!err)
		err = bench_atomic_map(c);
	if (!err)
		err = bench_memory(c);
	if (!err)
		err = bench_vm_object(c);
	if (!err)
		err = bench_arena(c);
	if (!err)
		err = bench_group_pages(c);
	if (err)
		pr_info("# bench: aborted: %d\n", err);
out:
	for (i = 0; i < BENCH_PAGES; i++)
		if (c->pages[i])
			__free_page(c->pages[i]);
	kfree(c->a);
	kfree(c->b);
	kfree(c->ratio);
	kfree(c);
	return err;
}

static void __exit sparse_mm_bench_exit(void)
{
}

module_init(sparse_mm_bench_init);
module_exit(sparse_mm_bench_exit);
MODULE_DESCRIPTION("sparse-mm benchmarks");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(SPARSE_MM_BENCH);
