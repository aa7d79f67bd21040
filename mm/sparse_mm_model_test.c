// SPDX-License-Identifier: GPL-2.0-only
/*
 * Model-based random KUnit tests for vm_object, sparse areas and arenas.
 *
 * Each case drives one API with a long random sequence of calls, valid and
 * invalid, from a PRNG with a fixed seed (printed at the start), and after
 * every step compares the real state with a simple model: an array of
 * entries for vm_object, a shadow page map for sparse areas, page states
 * and per-page tags for arenas.  Return values must be exactly the errors
 * the kernel-doc promises.  A mismatch reports the seed and the step, so
 * the failing sequence can be replayed by running the case again.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <kunit/test.h>
#include <linux/err.h>
#include <linux/irqflags.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/prandom.h>
#include <linux/string.h>
#include <linux/vm_arena.h>
#include <linux/vm_object.h>
#include <linux/vm_sparse.h>
#include <linux/vmalloc.h>

struct sm_rng {
	struct rnd_state st;
	u64 seed;
	unsigned int step;
	unsigned int ok;		/* calls that succeeded */
	unsigned int failed;		/* calls that failed, as the model said */
};

static void sm_rng_init(struct kunit *test, struct sm_rng *r, u64 seed)
{
	r->seed = seed;
	r->step = 0;
	r->ok = 0;
	r->failed = 0;
	prandom_seed_state(&r->st, seed);
	kunit_info(test, "seed %#llx\n", seed);
}

/* A number in [0, n). */
static unsigned long sm_rand(struct sm_rng *r, unsigned long n)
{
	return n ? prandom_u32_state(&r->st) % n : 0;
}

/* Count a call that returned what the model said. */
static void sm_count(struct sm_rng *r, long err)
{
	if (err)
		r->failed++;
	else
		r->ok++;
}

static void sm_done(struct kunit *test, struct sm_rng *r)
{
	kunit_info(test, "%u steps: %u calls succeeded, %u failed as the model said\n",
		   r->step - 1, r->ok, r->failed);
}

/* Report a mismatch with the seed and the step; false if @ok is false. */
#define SM_CHECK(test, r, ok, fmt, ...)					\
({									\
	const struct sm_rng *__r = (r);					\
	bool __ok = (ok);						\
	if (!__ok)							\
		KUNIT_FAIL(test, "seed %#llx step %u: " fmt,		\
			   __r->seed, __r->step, ##__VA_ARGS__);	\
	__ok;								\
})

/* ---- vm_object against an array of entries ---- */

#define MO_FIRST	4096UL
#define MO_NR		640UL		/* ten 64-slot chunks */
#define MO_PAGES	16
#define MO_DEVS		3
#define MO_STEPS	4000

struct mo_slot {
	u8 state;			/* enum vm_object_state */
	bool hint;
	u8 page;			/* index into mo_ctx.pages, for VMO_CPU */
	u8 dev;				/* index into mo_devs, for VMO_DEVICE */
	unsigned long pfn;
};

struct mo_ctx {
	struct vm_object *obj;
	struct page *pages[MO_PAGES];
	int base_refs[MO_PAGES];
	struct mo_slot s[MO_NR];
	struct page *arg[MO_NR + 2];	/* nr goes up to MO_NR + 1 */
};

static int mo_devs[MO_DEVS];

/* What vm_object's range check returns for [index, index + nr). */
static int mo_range_err(unsigned long index, unsigned long nr)
{
	if (!nr)
		return 0;
	if (index < MO_FIRST || index > MO_FIRST + MO_NR - 1 ||
	    nr - 1 > MO_FIRST + MO_NR - 1 - index)
		return -ERANGE;
	return 0;
}

struct mo_walk {
	unsigned long prev;
	unsigned long visited;
	unsigned long bad;		/* first index that did not match */
	bool misordered;
	struct mo_ctx *c;
};

static int mo_walk_fn(unsigned long index, const struct vm_object_entry *e,
		      void *data)
{
	struct mo_walk *w = data;
	struct mo_slot *s = &w->c->s[index - MO_FIRST];

	if (w->visited && index <= w->prev)
		w->misordered = true;
	w->prev = index;
	w->visited++;
	if ((s->state == VMO_NONE && !s->hint) || e->state != s->state ||
	    e->will_need != s->hint)
		if (w->bad == ULONG_MAX)
			w->bad = index;
	return 0;
}

static bool mo_verify(struct kunit *test, struct sm_rng *r, struct mo_ctx *c)
{
	unsigned long i, nr_cpu = 0, nr_dev = 0;
	int refs[MO_PAGES] = { 0 };
	struct vm_object_entry e;
	int p;

	for (i = 0; i < MO_NR; i++) {
		struct mo_slot *s = &c->s[i];

		if (!SM_CHECK(test, r, !vm_object_lookup(c->obj, MO_FIRST + i, &e),
			      "lookup %lu failed", MO_FIRST + i))
			return false;
		if (!SM_CHECK(test, r, e.state == s->state && e.will_need == s->hint,
			      "index %lu: state %d hint %d, model %d %d",
			      MO_FIRST + i, e.state, e.will_need, s->state, s->hint))
			return false;
		if (s->state == VMO_CPU) {
			nr_cpu++;
			refs[s->page]++;
			if (!SM_CHECK(test, r, e.page == c->pages[s->page],
				      "index %lu: wrong page", MO_FIRST + i))
				return false;
		} else if (s->state == VMO_DEVICE) {
			nr_dev++;
			if (!SM_CHECK(test, r, e.dev == &mo_devs[s->dev] &&
				      e.dev_pfn == s->pfn,
				      "index %lu: device #%ld pfn %lu, model #%d %lu",
				      MO_FIRST + i, (int *)e.dev - mo_devs,
				      e.dev_pfn, s->dev, s->pfn))
				return false;
		}
	}
	if (!SM_CHECK(test, r, vm_object_nr_pages(c->obj, VMO_CPU) == nr_cpu &&
		      vm_object_nr_pages(c->obj, VMO_DEVICE) == nr_dev,
		      "nr_pages cpu %lu device %lu, model %lu %lu",
		      vm_object_nr_pages(c->obj, VMO_CPU),
		      vm_object_nr_pages(c->obj, VMO_DEVICE), nr_cpu, nr_dev))
		return false;
	for (p = 0; p < MO_PAGES; p++)
		if (!SM_CHECK(test, r, page_ref_count(c->pages[p]) ==
			      c->base_refs[p] + refs[p],
			      "page %d: refcount %d, model %d", p,
			      page_ref_count(c->pages[p]),
			      c->base_refs[p] + refs[p]))
			return false;
	return true;
}

static bool mo_step(struct kunit *test, struct sm_rng *r, struct mo_ctx *c)
{
	unsigned long index, nr, i, pfn = 0;
	int op = sm_rand(r, 10), err, want, dev = 0;
	bool hint = false, null_arg = false;
	struct page **pages = c->arg;

	/* Mostly valid ranges, some crossing either end of the object. */
	index = MO_FIRST - 8 + sm_rand(r, MO_NR + 16);
	nr = sm_rand(r, 8) ? sm_rand(r, 131) : sm_rand(r, MO_NR + 2);
	if (op == 0)
		nr = 1;
	want = mo_range_err(index, nr);

	switch (op) {
	case 0:
	case 1:
	case 2:			/* set_page(s) */
		for (i = 0; i < nr; i++)
			pages[i] = c->pages[sm_rand(r, MO_PAGES)];
		if (nr && !sm_rand(r, 10)) {
			pages[sm_rand(r, nr)] = NULL;
			null_arg = true;
		}
		if (!want && nr && null_arg)
			want = -EINVAL;
		if (op == 0)
			err = vm_object_set_page(c->obj, index, pages[0],
						 GFP_KERNEL);
		else
			err = vm_object_set_pages(c->obj, index, nr, pages,
						  GFP_KERNEL);
		break;
	case 3:			/* set_device */
		dev = sm_rand(r, MO_DEVS);
		pfn = sm_rand(r, 1 << 20);
		if (!sm_rand(r, 20))
			pfn = (LONG_MAX >> 6) - sm_rand(r, 4);
		null_arg = !sm_rand(r, 20);
		if (!want && nr && (null_arg || nr - 1 > (LONG_MAX >> 6) - pfn))
			want = -EINVAL;
		err = vm_object_set_device(c->obj, index, nr,
					   null_arg ? NULL : &mo_devs[dev], pfn,
					   GFP_KERNEL);
		break;
	case 4:
		err = vm_object_set_none(c->obj, index, nr);
		break;
	case 5:
		err = vm_object_clear(c->obj, index, nr);
		break;
	case 6:
	case 7:
		hint = op == 6;
		err = vm_object_set_will_need(c->obj, index, nr, hint,
					      GFP_KERNEL);
		break;
	case 8: {		/* get_page takes a reference only on a CPU page */
		struct page *pg;
		struct mo_slot *s;

		index = MO_FIRST + sm_rand(r, MO_NR);
		s = &c->s[index - MO_FIRST];
		pg = vm_object_get_page(c->obj, index);
		if (!SM_CHECK(test, r, pg == (s->state == VMO_CPU ?
					    c->pages[s->page] : NULL),
			      "get_page %lu", index))
			return false;
		if (pg) {
			if (!SM_CHECK(test, r, page_ref_count(pg) >= 2,
				      "get_page took no reference"))
				return false;
			put_page(pg);
		}
		return SM_CHECK(test, r, !vm_object_get_page(c->obj, MO_FIRST - 1) &&
				!vm_object_get_page(c->obj, MO_FIRST + MO_NR),
				"get_page outside the object");
	}
	default: {		/* for_each over a random sub-range */
		struct mo_walk w = { .bad = ULONG_MAX, .c = c };
		unsigned long a = sm_rand(r, MO_NR), b = a + sm_rand(r, MO_NR - a);
		unsigned long expect = 0;

		for (i = a; i <= b; i++)
			expect += c->s[i].state != VMO_NONE || c->s[i].hint;
		err = vm_object_for_each(c->obj, MO_FIRST + a, MO_FIRST + b,
					 mo_walk_fn, &w);
		return SM_CHECK(test, r, !err && !w.misordered &&
				w.bad == ULONG_MAX && w.visited == expect,
				"for_each [%lu, %lu]: err %d visited %lu of %lu, bad %lu, misordered %d",
				a, b, err, w.visited, expect, w.bad, w.misordered);
	}
	}

	if (!SM_CHECK(test, r, err == want, "op %d [%lu, +%lu): %d, want %d",
		      op, index, nr, err, want))
		return false;
	sm_count(r, err);
	if (err || !nr)
		return true;
	for (i = 0; i < nr; i++) {
		struct mo_slot *s = &c->s[index - MO_FIRST + i];

		switch (op) {
		case 0:
		case 1:
		case 2:
			s->state = VMO_CPU;
			s->page = 0;
			while (c->pages[s->page] != pages[i])
				s->page++;
			break;
		case 3:
			s->state = VMO_DEVICE;
			s->dev = dev;
			s->pfn = pfn + i;
			break;
		case 4:
			s->state = VMO_NONE;
			break;
		case 5:
			s->state = VMO_NONE;
			s->hint = false;
			break;
		default:
			s->hint = hint;
			break;
		}
	}
	return true;
}

static void sm_vm_object_random(struct kunit *test)
{
	struct mo_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct sm_rng r;
	size_t mem0;
	int p;

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->obj = vm_object_create(MO_FIRST, MO_NR, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->obj);
	mem0 = vm_object_memory(c->obj);
	for (p = 0; p < MO_PAGES; p++) {
		c->pages[p] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, c->pages[p]);
		c->base_refs[p] = page_ref_count(c->pages[p]);
	}

	sm_rng_init(test, &r, 0x5eed0b1ec7ULL);
	for (r.step = 1; r.step <= MO_STEPS; r.step++)
		if (!mo_step(test, &r, c) || !mo_verify(test, &r, c))
			break;
	sm_done(test, &r);

	/* Cleared, the object is back to its empty size and holds nothing. */
	KUNIT_EXPECT_EQ(test, vm_object_clear(c->obj, MO_FIRST, MO_NR), 0);
	KUNIT_EXPECT_EQ(test, vm_object_nr_pages(c->obj, VMO_CPU), 0UL);
	KUNIT_EXPECT_EQ(test, vm_object_nr_pages(c->obj, VMO_DEVICE), 0UL);
	KUNIT_EXPECT_EQ(test, vm_object_memory(c->obj), mem0);
	vm_object_destroy(c->obj);
	for (p = 0; p < MO_PAGES; p++) {
		KUNIT_EXPECT_EQ(test, page_ref_count(c->pages[p]),
				c->base_refs[p]);
		__free_page(c->pages[p]);
	}
}

/* ---- sparse areas against a shadow page map ---- */

#define MS_POOL		24
#define MS_STEPS	2000
#define MS_MAX_MAP	40

struct ms_area {
	struct vm_struct *vm;
	unsigned long base;
	unsigned long nr;
	bool prebuilt;
	s8 *shadow;			/* pool index or -1, per page */
};

struct ms_ctx {
	struct ms_area a[2];
	struct page *pool[MS_POOL];
	u64 tag[MS_POOL];
	struct page *arg[MS_MAX_MAP + 1];
};

static bool ms_verify(struct kunit *test, struct sm_rng *r, struct ms_ctx *c)
{
	unsigned long i;
	int k;

	for (k = 0; k < 2; k++) {
		struct ms_area *a = &c->a[k];

		for (i = 0; i < a->nr; i++) {
			void *addr = (void *)(a->base + i * PAGE_SIZE);
			struct page *want = a->shadow[i] < 0 ? NULL :
					    c->pool[a->shadow[i]];
			struct page *got = vmalloc_to_page(addr);

			if (!SM_CHECK(test, r, got == want,
				      "area %d page %lu: mapped pfn %#lx, model %#lx",
				      k, i, got ? page_to_pfn(got) : 0,
				      want ? page_to_pfn(want) : 0))
				return false;
			if (want && !SM_CHECK(test, r, *(u64 *)addr ==
					      c->tag[a->shadow[i]],
					      "area %d page %lu: wrong data", k, i))
				return false;
		}
		if (!SM_CHECK(test, r, !vmalloc_to_page((void *)(a->base +
								a->nr * PAGE_SIZE)),
			      "area %d: guard page mapped", k))
			return false;
	}
	return true;
}

/* Expected result of mapping c->arg at pages [s, s + n) of @a. */
static int ms_expect_map(struct ms_ctx *c, struct ms_area *a, unsigned long s,
			 unsigned long n, bool atomic)
{
	unsigned long i;

	if (!n)
		return 0;
	if (atomic && !a->prebuilt)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!c->arg[i])
			return -EINVAL;
		if (a->shadow[s + i] >= 0)
			return -EBUSY;
	}
	return 0;
}

static int ms_call_map(struct ms_area *a, unsigned long start,
		       unsigned long end, struct page **pages, bool atomic)
{
	unsigned long flags;
	int err;

	if (!atomic)
		return vm_area_map_pages(a->vm, start, end, pages);
	local_irq_save(flags);
	err = vm_area_map_pages_atomic(a->vm, start, end, pages);
	local_irq_restore(flags);
	return err;
}

static bool ms_step(struct kunit *test, struct sm_rng *r, struct ms_ctx *c)
{
	struct ms_area *a = &c->a[sm_rand(r, 2)];
	int op = sm_rand(r, 10), err, want;
	unsigned long s, n, i, start, end;
	bool atomic = op == 4 || op == 5 || (op == 9 && sm_rand(r, 2));
	struct page **pages = c->arg;

	s = sm_rand(r, a->nr);
	n = sm_rand(r, min(a->nr - s, (unsigned long)MS_MAX_MAP) + 1);
	start = a->base + s * PAGE_SIZE;
	end = start + n * PAGE_SIZE;
	for (i = 0; i < n; i++)
		pages[i] = c->pool[sm_rand(r, MS_POOL)];
	if (n && !sm_rand(r, 8))
		pages[sm_rand(r, n)] = NULL;

	if (op >= 6 && op <= 8) {
		vm_area_unmap_pages(a->vm, start, end);
		for (i = 0; i < n; i++)
			a->shadow[s + i] = -1;
		sm_count(r, 0);
		return true;
	}
	if (op == 9) {		/* a bad range or argument: nothing changes */
		switch (sm_rand(r, 6)) {
		case 0:
			start = a->base + s * PAGE_SIZE + 8;
			end = start + PAGE_SIZE;
			want = -ERANGE;
			break;
		case 1:
			start = a->base + (s + 1) * PAGE_SIZE;
			end = start - PAGE_SIZE;
			want = -ERANGE;
			break;
		case 2:
			start = a->base;
			end = start + (a->nr + 1) * PAGE_SIZE;
			want = -E2BIG;
			break;
		case 3:
			start = a->base + (a->nr - 1) * PAGE_SIZE;
			end = start + 2 * PAGE_SIZE;
			want = -ERANGE;
			break;
		case 4:
			start = a->base - PAGE_SIZE;
			end = a->base + PAGE_SIZE;
			want = -ERANGE;
			break;
		default:
			pages = NULL;
			want = n ? -EINVAL : 0;
			break;
		}
		err = ms_call_map(a, start, end, pages, atomic);
		sm_count(r, err);
		return SM_CHECK(test, r, err == want,
				"bad map [%#lx, %#lx) of area at %#lx (%lu pages), atomic %d: %d, want %d",
				start - a->base, end - a->base, a->base, a->nr,
				atomic, err, want);
	}

	want = ms_expect_map(c, a, s, n, atomic);
	err = ms_call_map(a, start, end, pages, atomic);
	if (!SM_CHECK(test, r, err == want,
		      "map pages [%lu, %lu) of %s area, atomic %d: %d, want %d",
		      s, s + n, a->prebuilt ? "prebuilt" : "normal", atomic,
		      err, want))
		return false;
	sm_count(r, err);
	if (!err) {
		for (i = 0; i < n; i++) {
			int p = 0;

			while (c->pool[p] != pages[i])
				p++;
			a->shadow[s + i] = p;
		}
	}
	return true;
}

static void sm_sparse_random(struct kunit *test)
{
	struct ms_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct vm_struct *spacer;
	struct sm_rng r;
	int k, p, first;

	KUNIT_ASSERT_NOT_NULL(test, c);
	sm_rng_init(test, &r, 0x5eed5ba45eULL);
	for (p = 0; p < MS_POOL; p++) {
		c->pool[p] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, c->pool[p]);
		c->tag[p] = r.seed ^ ((u64)p << 32 | 0xa5a5);
		*(u64 *)page_address(c->pool[p]) = c->tag[p];
	}

	/*
	 * Random layout: random sizes (up to more than a PMD), the two kinds
	 * in random order, a random spacer between them.
	 */
	first = sm_rand(&r, 2);
	spacer = get_vm_area((1 + sm_rand(&r, 64)) * PAGE_SIZE, VM_SPARSE);
	KUNIT_ASSERT_NOT_NULL(test, spacer);
	for (k = 0; k < 2; k++) {
		struct ms_area *a = &c->a[k ^ first];

		a->prebuilt = (k ^ first) == 1;
		a->nr = 8 + sm_rand(&r, 600);
		a->vm = a->prebuilt ? get_prebuilt_sparse_vm_area(a->nr * PAGE_SIZE) :
				      get_sparse_vm_area(a->nr * PAGE_SIZE);
		KUNIT_ASSERT_NOT_NULL(test, a->vm);
		a->base = (unsigned long)a->vm->addr;
		a->shadow = kunit_kmalloc(test, a->nr, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, a->shadow);
		memset(a->shadow, -1, a->nr);
		if (!k) {
			free_vm_area(spacer);
			spacer = NULL;
		}
	}
	kunit_info(test, "normal area %lu pages, prebuilt area %lu pages, prebuilt %s\n",
		   c->a[0].nr, c->a[1].nr, first ? "first" : "second");

	for (r.step = 1; r.step <= MS_STEPS; r.step++)
		if (!ms_step(test, &r, c) || !ms_verify(test, &r, c))
			break;
	sm_done(test, &r);

	for (k = 0; k < 2; k++) {
		vm_area_unmap_pages(c->a[k].vm, c->a[k].base,
				    c->a[k].base + c->a[k].nr * PAGE_SIZE);
		free_vm_area(c->a[k].vm);
	}
	for (p = 0; p < MS_POOL; p++) {
		KUNIT_EXPECT_EQ(test, *(u64 *)page_address(c->pool[p]), c->tag[p]);
		__free_page(c->pool[p]);
	}
}

/* ---- arenas against page states and per-page tags ---- */

#define MA_STEPS	3000
#define MA_MAX_ALLOC	16

enum { MA_FREE, MA_ALLOC, MA_RESERVED };

struct ma_ctx {
	struct vm_arena *arena;
	unsigned long nr;
	bool atomic;
	u8 *st;
	u64 *tag;
};

static void *ma_at(struct ma_ctx *c, unsigned long off)
{
	return vm_arena_base(c->arena) + off * PAGE_SIZE;
}

static void ma_tag(struct sm_rng *r, struct ma_ctx *c, unsigned long off)
{
	u64 *p = ma_at(c, off);

	c->tag[off] = ((u64)prandom_u32_state(&r->st) << 32) | off;
	p[0] = c->tag[off];
	p[PAGE_SIZE / sizeof(u64) - 1] = ~c->tag[off];
}

static bool ma_verify(struct kunit *test, struct sm_rng *r, struct ma_ctx *c)
{
	unsigned long i, used = 0;

	for (i = 0; i < c->nr; i++) {
		bool mapped = vmalloc_to_page(ma_at(c, i));
		bool allocated = c->st[i] == MA_ALLOC;
		u64 *p = ma_at(c, i);

		if (!SM_CHECK(test, r, mapped == allocated,
			      "page %lu: mapped %d, model state %d", i, mapped,
			      c->st[i]))
			return false;
		if (c->st[i] != MA_ALLOC)
			continue;
		used++;
		if (!SM_CHECK(test, r, p[0] == c->tag[i] &&
			      p[PAGE_SIZE / sizeof(u64) - 1] == ~c->tag[i],
			      "page %lu: tag %#llx, model %#llx", i, p[0],
			      c->tag[i]))
			return false;
	}
	return SM_CHECK(test, r, vm_arena_pages_in_use(c->arena) == used,
			"pages in use %lu, model %lu",
			vm_arena_pages_in_use(c->arena), used);
}

/* The range errors of the arena API for a fixed range, or 0. */
static int ma_range_err(struct ma_ctx *c, void *kaddr, unsigned long count)
{
	unsigned long addr = (unsigned long)kaddr;
	unsigned long base = (unsigned long)vm_arena_base(c->arena), off;

	if (!count || !PAGE_ALIGNED(addr))
		return -EINVAL;
	if (count > c->nr)
		return -E2BIG;
	if (addr < base)
		return -ERANGE;
	off = (addr - base) / PAGE_SIZE;
	if (off >= c->nr || count > c->nr - off)
		return -ERANGE;
	return 0;
}

/* Smallest free run of at least @count pages, lowest first; -1 if none. */
static long ma_best_fit(struct ma_ctx *c, unsigned long count)
{
	unsigned long i = 0, j, best_len = ULONG_MAX;
	long best = -1;

	while (i < c->nr) {
		if (c->st[i] != MA_FREE) {
			i++;
			continue;
		}
		for (j = i; j < c->nr && c->st[j] == MA_FREE; j++)
			;
		if (j - i >= count && j - i < best_len) {
			best = i;
			best_len = j - i;
		}
		i = j;
	}
	return best;
}

static int ma_pick_node(struct sm_rng *r, bool *bad)
{
	int node;

	switch (sm_rand(r, 8)) {
	case 0:
		node = numa_node_id();
		break;
	case 1:
		node = first_online_node;
		break;
	case 2:
		node = MAX_NUMNODES;
		break;
	case 3:
		node = -2;
		break;
	case 4:
		node = MAX_NUMNODES - 1;	/* online only on big machines */
		break;
	default:
		node = NUMA_NO_NODE;
		break;
	}
	*bad = node != NUMA_NO_NODE &&
	       (node < 0 || node >= MAX_NUMNODES || !node_online(node));
	return node;
}

/* A random range: mostly valid, sometimes off either end or misaligned. */
static void *ma_pick_range(struct sm_rng *r, struct ma_ctx *c,
			   unsigned long *count)
{
	unsigned long off = sm_rand(r, c->nr + 2);
	void *kaddr = vm_arena_base(c->arena) + off * PAGE_SIZE;

	*count = sm_rand(r, MA_MAX_ALLOC + 1);
	switch (sm_rand(r, 24)) {
	case 0:
		kaddr += 64;
		break;
	case 1:
		kaddr = vm_arena_base(c->arena) - PAGE_SIZE;
		break;
	case 2:
		*count = c->nr + 1;
		break;
	default:
		break;
	}
	return kaddr;
}

/*
 * Half the time, a range that starts at the first page in state @st from a
 * random offset and stays in it, so that most such calls can succeed.
 */
static void *ma_pick_run(struct sm_rng *r, struct ma_ctx *c, u8 st,
			 unsigned long *count)
{
	unsigned long i = sm_rand(r, c->nr), j;

	while (i < c->nr && c->st[i] != st)
		i++;
	if (!sm_rand(r, 2) || i == c->nr)
		return ma_pick_range(r, c, count);
	for (j = i; j < c->nr && j - i < MA_MAX_ALLOC && c->st[j] == st; j++)
		;
	*count = 1 + sm_rand(r, j - i);
	return ma_at(c, i);
}

static bool ma_alloc(struct kunit *test, struct sm_rng *r, struct ma_ctx *c,
		     bool any)
{
	unsigned int flags = sm_rand(r, 2) ? VM_ARENA_ALLOC_POPULATE : 0;
	bool atomic = c->atomic && sm_rand(r, 2), bad_node;
	int node = ma_pick_node(r, &bad_node), want = 0;
	unsigned long count, off = 0, i, irqf;
	void *kaddr = ma_pick_run(r, c, MA_FREE, &count), *ret;
	long best;

	if (!sm_rand(r, 32))
		flags |= 1U << 7;
	if (atomic)
		flags = 0;	/* the atomic call has no flags */
	if (any)
		kaddr = NULL;
	if (flags & ~VM_ARENA_ALLOC_ALL)
		want = -EINVAL;
	else if (bad_node)
		want = -EINVAL;
	else if (!any)
		want = ma_range_err(c, kaddr, count);
	else if (!count)
		want = -EINVAL;
	else if (count > c->nr)
		want = -E2BIG;
	if (!want && !any) {
		off = (kaddr - vm_arena_base(c->arena)) / PAGE_SIZE;
		for (i = 0; i < count; i++)
			if (c->st[off + i] != MA_FREE)
				want = -EBUSY;
	} else if (!want) {
		best = ma_best_fit(c, count);
		if (best < 0)
			want = -ENOMEM;
		else
			off = best;
	}

	if (atomic) {
		local_irq_save(irqf);
		ret = vm_arena_alloc_pages_atomic(c->arena, kaddr, count, node);
		local_irq_restore(irqf);
	} else {
		ret = vm_arena_alloc_pages(c->arena, kaddr, count, node, flags);
	}
	if (!SM_CHECK(test, r, PTR_ERR_OR_ZERO(ret) == want,
		      "alloc %s off %lu count %lu node %d flags %#x atomic %d: %ld, want %d",
		      any ? "best fit" : "fixed", off, count, node, flags,
		      atomic, PTR_ERR_OR_ZERO(ret), want))
		return false;
	sm_count(r, want);
	if (want)
		return true;
	if (!SM_CHECK(test, r, ret == ma_at(c, off), "best fit gave page %ld, model %lu",
		      (long)(ret - vm_arena_base(c->arena)) / (long)PAGE_SIZE, off))
		return false;
	for (i = 0; i < count; i++) {
		if (!SM_CHECK(test, r, !memchr_inv(ma_at(c, off + i), 0, PAGE_SIZE),
			      "page %lu not zeroed", off + i))
			return false;
		c->st[off + i] = MA_ALLOC;
		ma_tag(r, c, off + i);
	}
	return true;
}

static bool ma_free_or_reserve(struct kunit *test, struct sm_rng *r,
			       struct ma_ctx *c, bool reserve)
{
	bool atomic = c->atomic && sm_rand(r, 2);
	unsigned long count, off, i, irqf;
	void *kaddr = ma_pick_run(r, c, reserve ? MA_FREE : MA_ALLOC, &count);
	int want, err;

	if (reserve)
		count = min(count, 2UL);
	want = ma_range_err(c, kaddr, count);
	off = want ? 0 : (kaddr - vm_arena_base(c->arena)) / PAGE_SIZE;
	for (i = 0; !want && i < count; i++) {
		if (reserve && c->st[off + i] != MA_FREE)
			want = -EBUSY;
		if (!reserve && c->st[off + i] != MA_ALLOC)
			want = -ENOENT;
	}
	if (reserve) {
		err = vm_arena_reserve(c->arena, kaddr, count);
	} else if (atomic) {
		local_irq_save(irqf);
		err = vm_arena_free_pages_atomic(c->arena, kaddr, count);
		local_irq_restore(irqf);
		/* Pages leave at once; the range is free after the work. */
		vm_arena_flush_frees(c->arena);
	} else {
		err = vm_arena_free_pages(c->arena, kaddr, count);
	}
	if (!SM_CHECK(test, r, err == want, "%s off %lu count %lu atomic %d: %d, want %d",
		      reserve ? "reserve" : "free", off, count, atomic, err,
		      want))
		return false;
	sm_count(r, err);
	for (i = 0; !err && i < count; i++)
		c->st[off + i] = reserve ? MA_RESERVED : MA_FREE;
	return true;
}

static bool ma_step(struct kunit *test, struct sm_rng *r, struct ma_ctx *c)
{
	unsigned long i;

	/* Reservations are forever: few of them, or the arena fills up. */
	switch (sm_rand(r, 200)) {
	case 0 ... 59:
		return ma_alloc(test, r, c, false);
	case 60 ... 99:
		return ma_alloc(test, r, c, true);
	case 100 ... 169:
		return ma_free_or_reserve(test, r, c, false);
	case 170:
		return ma_free_or_reserve(test, r, c, true);
	default:		/* plain writes to some allocated pages */
		for (i = sm_rand(r, c->nr); i < c->nr; i += 1 + sm_rand(r, 8))
			if (c->st[i] == MA_ALLOC)
				ma_tag(r, c, i);
		return true;
	}
}

/* One random sequence on a new arena; @atomic: with VM_ARENA_F_ATOMIC. */
static void sm_arena_run(struct kunit *test, u64 seed, bool atomic)
{
	struct ma_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct sm_rng r;

	KUNIT_ASSERT_NOT_NULL(test, c);
	sm_rng_init(test, &r, seed);
	c->nr = 96 + sm_rand(&r, 97);
	c->atomic = atomic;
	c->st = kunit_kzalloc(test, c->nr, GFP_KERNEL);
	c->tag = kunit_kcalloc(test, c->nr, sizeof(*c->tag), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->st);
	KUNIT_ASSERT_NOT_NULL(test, c->tag);
	c->arena = vm_arena_create(c->nr * PAGE_SIZE,
				   atomic ? VM_ARENA_F_ATOMIC : 0, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c->arena));
	kunit_info(test, "arena of %lu pages, atomic %d\n", c->nr, atomic);

	for (r.step = 1; r.step <= MA_STEPS; r.step++)
		if (!ma_step(test, &r, c) || !ma_verify(test, &r, c))
			break;
	sm_done(test, &r);
	vm_arena_put(c->arena);
}

static void sm_arena_random(struct kunit *test)
{
	sm_arena_run(test, 0x5eeda7e4aULL, false);
	sm_arena_run(test, 0x5eeda7e4bULL, true);
}

static struct kunit_case sparse_mm_model_cases[] = {
	KUNIT_CASE(sm_vm_object_random),
	KUNIT_CASE(sm_sparse_random),
	KUNIT_CASE(sm_arena_random),
	{}
};

static struct kunit_suite sparse_mm_model_suite = {
	.name = "sparse_mm_model",
	.test_cases = sparse_mm_model_cases,
};

kunit_test_suites(&sparse_mm_model_suite);
