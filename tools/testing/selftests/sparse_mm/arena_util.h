/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the arena selftests: opening a driver's device (and
 * loading its module), and one-line wrappers of the sample drivers' ioctls
 * (include/uapi/linux/vm_arena.h).
 *
 * Copyright (C) 2026 The sparse-mm authors
 */
#ifndef SPARSE_MM_ARENA_UTIL_H
#define SPARSE_MM_ARENA_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/vm_arena.h>

/* 0 if @call succeeded, else the errno it left. */
#define ERRNO_OF(call)	((call) ? errno : 0)

/*
 * Open @dev with @mode; if the node is missing and @ko is given, load that
 * module first and wait for devtmpfs to create the node.
 */
static inline int arena_open(const char *dev, const char *ko, int mode)
{
	int fd, i;

	fd = open(dev, mode | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT || !ko)
		return fd;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST) {
		close(fd);
		return -1;
	}
	close(fd);
	for (i = 0; i < 100; i++) {
		fd = open(dev, mode | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			return fd;
		usleep(10000);
	}
	return -1;
}

/* The device under test: $ARENA_DEV, by default the C sample's. */
static inline const char *dev_path(void)
{
	const char *p = getenv("ARENA_DEV");

	return p ? p : "/dev/arena";
}

/* Open the device under test read-write, loading $ARENA_KO if needed. */
static inline int open_dev(void)
{
	const char *ko = getenv("ARENA_KO");

	return arena_open(dev_path(), ko ? ko : "/lib/modules/arena_sample.ko",
			  O_RDWR);
}

static inline int setup(int fd, uint64_t size, uint32_t flags)
{
	struct arena_setup s = { .size = size, .flags = flags };

	return ioctl(fd, ARENA_IOC_SETUP, &s);
}

/* ARENA_IOC_INFO, every field all-ones if it fails. */
static inline struct arena_info info(int fd)
{
	struct arena_info i;

	memset(&i, 0xff, sizeof(i));
	if (ioctl(fd, ARENA_IOC_INFO, &i))
		memset(&i, 0xff, sizeof(i));
	return i;
}

static inline int alloc_at(int fd, uint64_t off, uint64_t count,
			   uint32_t flags, uint64_t *where)
{
	struct arena_alloc a = { .offset = off, .count = count, .node = -1,
				 .flags = flags };
	int ret = ioctl(fd, ARENA_IOC_ALLOC, &a);

	if (!ret && where)
		*where = a.offset;
	return ret;
}

/* ARENA_IOC_FREE or ARENA_IOC_RESERVE of a page range. */
static inline int range_op(int fd, unsigned long cmd, uint64_t off,
			   uint64_t count)
{
	struct arena_range r = { .offset = off, .count = count };

	return ioctl(fd, cmd, &r);
}

/* Write @val to @path (a cgroup or debugfs file): 0, or -1. */
static inline int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

/* The number at the start of @path, or -1. */
static inline long long read_num(const char *path)
{
	char buf[64] = { 0 };
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoll(buf) : -1;
}

/* Lines of /proc/vmallocinfo that contain @what, or -1. */
static inline int count_vmallocinfo(const char *what)
{
	char line[512];
	FILE *f = fopen("/proc/vmallocinfo", "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, what))
			n++;
	fclose(f);
	return n;
}

#endif /* SPARSE_MM_ARENA_UTIL_H */
