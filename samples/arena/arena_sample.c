// SPDX-License-Identifier: GPL-2.0-only
/*
 * Arena sample driver: /dev/arena gives each open file its own arena.
 *
 * User space sets the size and flags with ARENA_IOC_SETUP, maps the arena
 * with mmap(MAP_SHARED), and asks the driver to allocate, free or reserve
 * pages.  ARENA_IOC_BUILD_LIST makes the kernel build a linked list whose
 * next pointers are user addresses, so that user space walks it with
 * plain dereferences; ARENA_IOC_SUM_LIST walks a list user space built.
 * The user ABI is include/uapi/linux/vm_arena.h; samples/rust/ has the
 * same driver in Rust.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vm_arena.h>

/* Longest list BUILD_LIST makes and SUM_LIST follows. */
#define ARENA_SAMPLE_MAX_NODES	BIT(20)

struct arena_file {
	struct mutex lock;		/* serialises SETUP */
	struct vm_arena *arena;		/* set once, then stable */
	/*
	 * Read around an allocation until user space knows where it went
	 * (ALLOC, BUILD_LIST), write around FREE: so the undo of a failed
	 * copy_to_user() frees exactly the pages this call allocated, never
	 * pages another thread freed and allocated again meanwhile.
	 */
	struct rw_semaphore free_sem;
};

static struct vm_arena *arena_of(struct file *file)
{
	struct arena_file *af = file->private_data;

	/* Pairs with smp_store_release() in arena_setup(). */
	return smp_load_acquire(&af->arena);
}

static int arena_open(struct inode *inode, struct file *file)
{
	struct arena_file *af = kzalloc(sizeof(*af), GFP_KERNEL);

	if (!af)
		return -ENOMEM;
	mutex_init(&af->lock);
	init_rwsem(&af->free_sem);
	file->private_data = af;
	return 0;
}

static int arena_release(struct inode *inode, struct file *file)
{
	struct arena_file *af = file->private_data;

	/* User mappings hold their own references. */
	vm_arena_put(af->arena);
	kfree(af);
	return 0;
}

static long arena_setup(struct file *file, void __user *argp)
{
	struct arena_file *af = file->private_data;
	struct arena_setup s;
	struct vm_arena *arena;
	long ret = 0;

	if (copy_from_user(&s, argp, sizeof(s)))
		return -EFAULT;
	if (s.__reserved)
		return -EINVAL;
	mutex_lock(&af->lock);
	if (af->arena) {
		ret = -EBUSY;
		goto out;
	}
	if (s.user_addr != (unsigned long)s.user_addr) {
		ret = -EINVAL;
		goto out;
	}
	arena = vm_arena_create(s.size, s.flags, s.user_addr);
	if (IS_ERR(arena)) {
		ret = PTR_ERR(arena);
		goto out;
	}
	/* Publish a fully created arena to lockless arena_of() readers. */
	smp_store_release(&af->arena, arena);
out:
	mutex_unlock(&af->lock);
	return ret;
}

/*
 * Kernel address for a byte offset: -EINVAL if misaligned, -ERANGE if
 * outside the arena.
 */
static long arena_offset(struct vm_arena *arena, u64 offset, void **kaddr)
{
	if (offset & ~PAGE_MASK)
		return -EINVAL;
	if (offset >= vm_arena_size(arena))
		return -ERANGE;
	*kaddr = vm_arena_base(arena) + offset;
	return 0;
}

static long arena_ioc_alloc(struct arena_file *af, struct vm_arena *arena,
			    void __user *argp)
{
	struct arena_alloc a;
	void *kaddr = NULL;
	long ret;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.offset != ARENA_ANY) {
		ret = arena_offset(arena, a.offset, &kaddr);
		if (ret)
			return ret;
	}
	if (a.count != (unsigned long)a.count)
		return -E2BIG;
	down_read(&af->free_sem);
	kaddr = vm_arena_alloc_pages(arena, kaddr, a.count, a.node, a.flags);
	if (IS_ERR(kaddr)) {
		ret = PTR_ERR(kaddr);
		goto out;
	}
	a.offset = kaddr - vm_arena_base(arena);
	ret = 0;
	if (copy_to_user(argp, &a, sizeof(a))) {
		/* No FREE ran since the allocation: these are our pages. */
		vm_arena_free_pages(arena, kaddr, a.count);
		ret = -EFAULT;
	}
out:
	up_read(&af->free_sem);
	return ret;
}

static long arena_ioc_range(struct arena_file *af, struct vm_arena *arena,
			    void __user *argp, bool reserve)
{
	struct arena_range r;
	void *kaddr;
	long ret;

	if (copy_from_user(&r, argp, sizeof(r)))
		return -EFAULT;
	ret = arena_offset(arena, r.offset, &kaddr);
	if (ret)
		return ret;
	if (r.count != (unsigned long)r.count)
		return -E2BIG;
	if (reserve)
		return vm_arena_reserve(arena, kaddr, r.count);
	down_write(&af->free_sem);
	ret = vm_arena_free_pages(arena, kaddr, r.count);
	up_write(&af->free_sem);
	return ret;
}

#define NODES_PER_PAGE	(PAGE_SIZE / sizeof(struct arena_list_node))

/*
 * Write the nodes of one page: the list starts at byte offset @first of
 * the arena, which user space sees at @ubase + @first.
 */
static int arena_fill_page(struct vm_arena *arena, struct arena_list_node *buf,
			   u64 first, unsigned long ubase, u64 from, u64 count)
{
	u64 i, n = min_t(u64, count - from, NODES_PER_PAGE);

	for (i = 0; i < n; i++) {
		u64 idx = from + i;

		buf[i].value = idx * 3 + 1;
		buf[i].next = idx + 1 < count ?
			ubase + first + (idx + 1) * sizeof(*buf) : 0;
	}
	return vm_arena_write(arena, first + from * sizeof(*buf), buf,
			      n * sizeof(*buf));
}

/*
 * The headline: a list built by the kernel, walked by user space.  The
 * nodes go in through vm_arena_write(), the rule for kernel code writing
 * memory that user space can free; holding free_sem for reading also
 * keeps FREE off the new pages until user space has been told of them.
 */
static long arena_ioc_build_list(struct arena_file *af, struct vm_arena *arena,
				 void __user *argp)
{
	struct arena_list_node *buf;
	struct arena_build_list b;
	unsigned long pages, ubase;
	void *nodes;
	u64 first, i;
	long ret;

	if (copy_from_user(&b, argp, sizeof(b)))
		return -EFAULT;
	if (!b.count || b.head || b.pages)
		return -EINVAL;
	if (b.count > ARENA_SAMPLE_MAX_NODES)
		return -E2BIG;
	ubase = vm_arena_user_base(arena);
	if (!ubase)
		return -ENXIO;
	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	pages = DIV_ROUND_UP(b.count * sizeof(*buf), PAGE_SIZE);
	down_read(&af->free_sem);
	nodes = vm_arena_alloc_pages(arena, NULL, pages, NUMA_NO_NODE,
				     VM_ARENA_ALLOC_POPULATE);
	if (IS_ERR(nodes)) {
		ret = PTR_ERR(nodes);
		goto out;
	}
	first = nodes - vm_arena_base(arena);
	ret = 0;
	for (i = 0; i < b.count && !ret; i += NODES_PER_PAGE)
		ret = arena_fill_page(arena, buf, first, ubase, i, b.count);
	b.head = ubase + first;
	b.pages = pages;
	if (!ret && copy_to_user(argp, &b, sizeof(b)))
		ret = -EFAULT;
	if (ret)
		vm_arena_free_pages(arena, nodes, pages);
out:
	up_read(&af->free_sem);
	kfree(buf);
	return ret;
}

/*
 * Follow a list user space built.  User space may free or rewrite the
 * nodes while we walk, so every read goes through vm_arena_read(): a
 * node on a page that is not allocated gives -EFAULT, not an oops.
 */
static long arena_ioc_sum_list(struct vm_arena *arena, void __user *argp)
{
	struct arena_sum_list s;
	u64 uaddr;

	if (copy_from_user(&s, argp, sizeof(s)))
		return -EFAULT;
	if (s.count || s.sum)
		return -EINVAL;
	uaddr = s.head;
	while (uaddr) {
		struct arena_list_node *node, copy;

		if (s.count == ARENA_SAMPLE_MAX_NODES)
			return -ELOOP;
		if (uaddr % sizeof(u64) ||
		    (uaddr & ~PAGE_MASK) > PAGE_SIZE - sizeof(*node))
			return -EINVAL;
		node = vm_arena_kern_addr(arena, uaddr);
		if (!node ||
		    vm_arena_read(arena, (void *)node - vm_arena_base(arena),
				  &copy, sizeof(copy)))
			return -EFAULT;
		s.sum += copy.value;
		s.count++;
		uaddr = copy.next;
	}
	if (copy_to_user(argp, &s, sizeof(s)))
		return -EFAULT;
	return 0;
}

static long arena_ioc_info(struct vm_arena *arena, void __user *argp)
{
	struct arena_info info = {
		.size = vm_arena_size(arena),
		.flags = vm_arena_flags(arena),
		.user_addr = vm_arena_user_base(arena),
		.pages_in_use = vm_arena_pages_in_use(arena),
		.user_faults = vm_arena_user_faults(arena),
	};
	struct vm_arena_cost c;

	vm_arena_memory(arena, &c);
	info.mem_bitmap_bytes = c.bitmap_bytes;
	info.mem_index_bytes = c.index_bytes;
	info.mem_struct_bytes = c.struct_bytes;
	info.mem_pgtable_bytes = (u64)c.pgtable_pages << PAGE_SHIFT;
	info.reserved_bytes = c.reserved_bytes;

	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

static long arena_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct arena_file *af = file->private_data;
	void __user *argp = (void __user *)arg;
	struct vm_arena *arena;

	switch (cmd) {
	case ARENA_IOC_SETUP:
	case ARENA_IOC_ALLOC:
	case ARENA_IOC_FREE:
	case ARENA_IOC_RESERVE:
	case ARENA_IOC_BUILD_LIST:
		/* They change the arena: a read-only file may only look. */
		if (!(file->f_mode & FMODE_WRITE))
			return -EBADF;
		break;
	case ARENA_IOC_SUM_LIST:
	case ARENA_IOC_INFO:
		break;
	default:
		return -ENOTTY;
	}
	if (cmd == ARENA_IOC_SETUP)
		return arena_setup(file, argp);
	arena = arena_of(file);
	if (!arena)
		return -ENXIO;
	switch (cmd) {
	case ARENA_IOC_ALLOC:
		return arena_ioc_alloc(af, arena, argp);
	case ARENA_IOC_FREE:
		return arena_ioc_range(af, arena, argp, false);
	case ARENA_IOC_RESERVE:
		return arena_ioc_range(af, arena, argp, true);
	case ARENA_IOC_BUILD_LIST:
		return arena_ioc_build_list(af, arena, argp);
	case ARENA_IOC_SUM_LIST:
		return arena_ioc_sum_list(arena, argp);
	default:
		return arena_ioc_info(arena, argp);
	}
}

static int arena_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vm_arena *arena = arena_of(file);

	return arena ? vm_arena_mmap(arena, vma) : -EINVAL;
}

static unsigned long arena_get_unmapped_area(struct file *file,
					     unsigned long addr,
					     unsigned long len,
					     unsigned long pgoff,
					     unsigned long flags)
{
	struct vm_arena *arena = arena_of(file);

	if (!arena)
		return -EINVAL;
	return vm_arena_get_unmapped_area(arena, file, addr, len, pgoff, flags);
}

static void arena_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct vm_arena *arena = arena_of(file);

	if (arena)
		vm_arena_show_fdinfo(arena, m);
}

static const struct file_operations arena_fops = {
	.owner = THIS_MODULE,
	.open = arena_open,
	.release = arena_release,
	.unlocked_ioctl = arena_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = arena_mmap,
	.get_unmapped_area = arena_get_unmapped_area,
	.show_fdinfo = arena_show_fdinfo,
	.llseek = noop_llseek,
};

static struct miscdevice arena_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "arena",
	.fops = &arena_fops,
	.mode = 0600,
};

module_misc_device(arena_misc);

MODULE_DESCRIPTION("Arena sample: memory shared between a driver and user space");
MODULE_AUTHOR("The sparse-mm authors");
MODULE_LICENSE("GPL");
