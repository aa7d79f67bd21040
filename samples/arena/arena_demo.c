// SPDX-License-Identifier: GPL-2.0-only
/*
 * Arena demo: what a driver author sees when user space and the sample
 * driver share an arena.  Built statically and run by `make run` in QEMU.
 *
 * Usage: arena_demo [DEVICE]   (default /dev/arena)
 *
 * Copyright (C) 2026 The sparse-mm authors
 */

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vm_arena.h>

#define PG	4096UL
#define SIZE	(1024UL * 1024 * 1024)

static int fd;

static void show_info(const char *when)
{
	struct arena_info i;

	if (ioctl(fd, ARENA_IOC_INFO, &i)) {
		perror("ARENA_IOC_INFO");
		exit(1);
	}
	printf("   [%s] pages in use: %llu (%llu KiB), faults that allocated: %llu\n",
	       when, (unsigned long long)i.pages_in_use,
	       (unsigned long long)i.pages_in_use * PG / 1024,
	       (unsigned long long)i.user_faults);
}

static void show_vmallocinfo(void)
{
	char line[512];
	FILE *f = fopen("/proc/vmallocinfo", "r");
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "vm_arena_create")) {
			printf("   %s", line);
			n++;
		}
	if (!n)
		printf("   (no arena in /proc/vmallocinfo)\n");
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/arena";
	struct arena_setup setup = { .size = SIZE };
	struct arena_alloc alloc = { .offset = ARENA_ANY, .count = 256,
				     .node = -1,
				     .flags = VM_ARENA_ALLOC_POPULATE };
	struct arena_build_list build = { .count = 10000 };
	struct arena_sum_list sum = { 0 };
	struct arena_range range;
	struct arena_list_node *n, *mine;
	unsigned long long count = 0, total = 0;
	char path[64], buf[512];
	char *base;
	ssize_t len;
	int i, f;

	fd = open(dev, O_RDWR);
	if (fd < 0) {
		perror(dev);
		return 1;
	}
	printf("1. open %s and ask for a 1 GiB arena (ARENA_IOC_SETUP)\n", dev);
	if (ioctl(fd, ARENA_IOC_SETUP, &setup)) {
		perror("ARENA_IOC_SETUP");
		return 1;
	}
	base = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	printf("2. mmap: the arena is at %p in this process; the kernel's view:\n",
	       (void *)base);
	show_vmallocinfo();
	show_info("after mmap");

	printf("3. touch three pages far apart: each fault allocates a zeroed page\n");
	base[0] = 'a';
	base[SIZE / 2] = 'b';
	base[SIZE - 1] = 'c';
	show_info("after 3 touches");

	printf("4. ARENA_IOC_ALLOC 256 pages with VM_ARENA_ALLOC_POPULATE, then touch them\n");
	if (ioctl(fd, ARENA_IOC_ALLOC, &alloc)) {
		perror("ARENA_IOC_ALLOC");
		return 1;
	}
	for (i = 0; i < 256; i++)
		base[alloc.offset + i * PG] = 1;
	printf("   allocated at offset %#llx; no fault was needed:\n",
	       (unsigned long long)alloc.offset);
	show_info("after populate");

	printf("5. the kernel builds a linked list of %llu nodes (ARENA_IOC_BUILD_LIST)\n",
	       (unsigned long long)build.count);
	if (ioctl(fd, ARENA_IOC_BUILD_LIST, &build)) {
		perror("ARENA_IOC_BUILD_LIST");
		return 1;
	}
	for (n = (void *)(uintptr_t)build.head; n; n = (void *)(uintptr_t)n->next) {
		if (count < 3)
			printf("   node %llu at %p: value %llu, next %#llx\n",
			       count, (void *)n, (unsigned long long)n->value,
			       (unsigned long long)n->next);
		total += n->value;
		count++;
	}
	printf("   user space walked %llu nodes with plain pointers, sum %llu\n",
	       count, total);
	printf("   (expected %llu), over %llu pages\n",
	       10000ULL * 9999 / 2 * 3 + 10000, (unsigned long long)build.pages);

	printf("6. user space builds a list of 100 nodes; the kernel walks it\n");
	printf("   (ARENA_IOC_SUM_LIST)\n");
	mine = (void *)(base + 4 * PG);
	for (i = 0; i < 100; i++) {
		mine[i].value = i;
		mine[i].next = i < 99 ? (uintptr_t)&mine[i + 1] : 0;
	}
	sum.head = (uintptr_t)mine;
	if (ioctl(fd, ARENA_IOC_SUM_LIST, &sum)) {
		perror("ARENA_IOC_SUM_LIST");
		return 1;
	}
	printf("   kernel walked %llu nodes, sum %llu (expected 4950)\n",
	       (unsigned long long)sum.count, (unsigned long long)sum.sum);

	printf("7. free the 256 pages (ARENA_IOC_FREE): kernel and user mappings go first\n");
	range = (struct arena_range){ .offset = alloc.offset, .count = 256 };
	if (ioctl(fd, ARENA_IOC_FREE, &range)) {
		perror("ARENA_IOC_FREE");
		return 1;
	}
	show_info("after free");
	printf("   reading a freed page gives a fresh zero page: %d\n",
	       base[alloc.offset]);
	printf("   a double free is refused: ");
	fflush(stdout);
	if (ioctl(fd, ARENA_IOC_FREE, &range))
		perror("ARENA_IOC_FREE");

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	len = f < 0 ? -1 : read(f, buf, sizeof(buf) - 1);
	if (len > 0) {
		buf[len] = 0;
		printf("8. %s:\n%s", path, buf);
	}
	if (f >= 0)
		close(f);

	printf("9. munmap and close: the last reference frees everything\n");
	munmap((void *)base, SIZE);
	close(fd);
	show_vmallocinfo();
	return 0;
}
