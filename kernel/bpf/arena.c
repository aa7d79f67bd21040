// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF arena maps (BPF_MAP_TYPE_ARENA) on the arena core, mm/vm_arena.c.
 *
 * The map is the BPF front end of a window arena (vm_arena_create_window()):
 * the arena core owns the pages, the kernel range, the user mappings, the
 * fault path and the memory cgroup charging, as it does for the arenas of
 * drivers; this file checks upstream's map attributes and maps the map
 * operations onto the core.  The user ABI is upstream's (Linux 6.9 and
 * later): map_flags must include BPF_F_MMAPABLE, key and value size are 0,
 * max_entries is the size in pages (at most 4 GiB), map_extra is the user
 * address every mapping must use (0: the first mmap() chooses one).
 *
 * Lifetime: the map holds one reference on the arena and every user
 * mapping holds another (the core makes its own file the file of each
 * VMA), so the arena, with its pages, goes when the map's last reference
 * and the last mapping are gone, in either order.
 *
 * See Documentation/bpf/map_arena.rst.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <linux/bpf.h>
#include <linux/btf_ids.h>
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/vm_arena.h>

#define ARENA_CREATE_FLAGS \
	(BPF_F_MMAPABLE | BPF_F_SEGV_ON_FAULT | BPF_F_NO_USER_CONV)

struct bpf_arena {
	struct bpf_map map;
	struct vm_arena *arena;
};

static struct bpf_arena *to_bpf_arena(const struct bpf_map *map)
{
	return container_of(map, struct bpf_arena, map);
}

/* The attribute checks and error codes are upstream's, in its order. */
static struct bpf_map *arena_map_alloc(union bpf_attr *attr)
{
	int numa_node = bpf_map_attr_numa_node(attr);
	struct bpf_arena *ba;
	struct vm_arena *arena;
	unsigned int flags = 0;
	u64 size;

	if (!bpf_capable())
		return ERR_PTR(-EPERM);
	if (attr->key_size || attr->value_size || !attr->max_entries ||
	    !(attr->map_flags & BPF_F_MMAPABLE) ||
	    (attr->map_flags & ~ARENA_CREATE_FLAGS))
		return ERR_PTR(-EINVAL);
	/* A non-zero map_extra is the user address of every mapping. */
	if (attr->map_extra & ~PAGE_MASK)
		return ERR_PTR(-EINVAL);
	size = (u64)attr->max_entries << PAGE_SHIFT;
	if (size > SZ_4G)
		return ERR_PTR(-E2BIG);
	/* The user range must not cross a 4 GiB boundary. */
	if (upper_32_bits(attr->map_extra) !=
	    upper_32_bits(attr->map_extra + size - 1))
		return ERR_PTR(-ERANGE);

	if (attr->map_flags & BPF_F_SEGV_ON_FAULT)
		flags |= VM_ARENA_F_SEGV_ON_FAULT;
	/* Charged to the creator's memory cgroup, as the map itself is. */
	arena = vm_arena_create_window(size, flags, attr->map_extra);
	if (IS_ERR(arena))
		return ERR_CAST(arena);
	ba = bpf_map_area_alloc(sizeof(*ba), numa_node);
	if (!ba) {
		vm_arena_put(arena);
		return ERR_PTR(-ENOMEM);
	}
	bpf_map_init_from_attr(&ba->map, attr);
	ba->arena = arena;
	return &ba->map;
}

/* The map's last reference; user mappings keep the arena alive. */
static void arena_map_free(struct bpf_map *map)
{
	struct bpf_arena *ba = to_bpf_arena(map);

	vm_arena_put(ba->arena);
	bpf_map_area_free(ba);
}

/* Elements: none.  Refused as upstream refuses them. */
static void *arena_map_lookup_elem(struct bpf_map *map, void *key)
{
	return ERR_PTR(-EINVAL);
}

static int arena_map_update_elem(struct bpf_map *map, void *key, void *value,
				 u64 flags)
{
	return -EOPNOTSUPP;
}

static int arena_map_delete_elem(struct bpf_map *map, void *key)
{
	return -EOPNOTSUPP;
}

static int arena_map_get_next_key(struct bpf_map *map, void *key,
				  void *next_key)
{
	return -EOPNOTSUPP;
}

static int arena_map_push_elem(struct bpf_map *map, void *value, u64 flags)
{
	return -EOPNOTSUPP;
}

static int arena_map_pop_elem(struct bpf_map *map, void *value)
{
	return -EOPNOTSUPP;
}

static int arena_map_peek_elem(struct bpf_map *map, void *value)
{
	return -EOPNOTSUPP;
}

/* No key or value type to check: any BTF the loader passes is accepted. */
static int arena_map_check_btf(const struct bpf_map *map,
			       const struct btf *btf,
			       const struct btf_type *key_type,
			       const struct btf_type *value_type)
{
	return 0;
}

/*
 * Everything the map costs now: the pages allocated, the kernel page
 * tables under them, the core's bitmaps, index and structure, and ours.
 */
static u64 arena_map_mem_usage(const struct bpf_map *map)
{
	struct vm_arena_cost c;

	vm_arena_memory(to_bpf_arena(map)->arena, &c);
	return ((u64)c.pages + c.pgtable_pages) * PAGE_SIZE + c.bitmap_bytes +
	       c.index_bytes + c.struct_bytes + sizeof(struct bpf_arena);
}

/*
 * The driver arenas' user-side rules: MAP_SHARED, offset 0, the map's
 * whole size, never executable, one user address for every mapping, no
 * split, no mremap, not inherited across fork unless MADV_DOFORK.
 */
static int arena_map_mmap(struct bpf_map *map, struct vm_area_struct *vma)
{
	return vm_arena_mmap(to_bpf_arena(map)->arena, vma);
}

/*
 * The arena's user address once it has one; for the first mapping of an
 * arena created without map_extra, an address whose low 32 bits are 0,
 * so that a user pointer's low 32 bits are its kernel offset.
 */
static unsigned long arena_map_get_unmapped_area(struct file *filp,
						 unsigned long addr,
						 unsigned long len,
						 unsigned long pgoff,
						 unsigned long flags)
{
	struct bpf_map *map = filp->private_data;

	return vm_arena_get_unmapped_area(to_bpf_arena(map)->arena, filp, addr,
					  len, pgoff, flags);
}

BTF_ID_LIST_SINGLE(bpf_arena_map_btf_ids, struct, bpf_arena)
const struct bpf_map_ops arena_map_ops = {
	.map_meta_equal = bpf_map_meta_equal,
	.map_alloc = arena_map_alloc,
	.map_free = arena_map_free,
	.map_mmap = arena_map_mmap,
	.map_get_unmapped_area = arena_map_get_unmapped_area,
	.map_get_next_key = arena_map_get_next_key,
	.map_push_elem = arena_map_push_elem,
	.map_peek_elem = arena_map_peek_elem,
	.map_pop_elem = arena_map_pop_elem,
	.map_lookup_elem = arena_map_lookup_elem,
	.map_update_elem = arena_map_update_elem,
	.map_delete_elem = arena_map_delete_elem,
	.map_check_btf = arena_map_check_btf,
	.map_mem_usage = arena_map_mem_usage,
	.map_btf_id = &bpf_arena_map_btf_ids[0],
};
