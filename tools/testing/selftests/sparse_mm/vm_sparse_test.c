// SPDX-License-Identifier: GPL-2.0-only
/*
 * What user space can see of sparse vm areas, using the vm_sparse_demo
 * sample module: /proc/vmallocinfo flags, /proc/kcore reads, unload.
 *
 * Needs root, debugfs at /sys/kernel/debug, kptr_restrict=1 (real addresses
 * for root) and the module at $VM_SPARSE_DEMO_KO or
 * /lib/modules/vm_sparse_demo.ko.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define DEMO_NAME	"vm_sparse_demo"
#define DEMO_AREAS	"/sys/kernel/debug/vm_sparse_demo/areas"
#define PAGE		4096UL

static int demo_load(void)
{
	const char *ko = getenv("VM_SPARSE_DEMO_KO");
	int fd, ret;

	fd = open(ko ? ko : "/lib/modules/" DEMO_NAME ".ko", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

static int demo_unload(void)
{
	return syscall(SYS_delete_module, DEMO_NAME, O_NONBLOCK) ? -errno : 0;
}

/* Read "sparse ADDR SIZE" / "prebuilt ADDR SIZE" from debugfs. */
static int demo_areas(unsigned long *sparse, unsigned long *ssize,
		      unsigned long *pre, unsigned long *psize)
{
	FILE *f = fopen(DEMO_AREAS, "r");
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "sparse %lx %lu prebuilt %lx %lu", sparse, ssize, pre, psize);
	fclose(f);
	return n == 4 ? 0 : -EINVAL;
}

/* Copy the /proc/vmallocinfo line that starts at @addr, if any. */
static int vmallocinfo_line(unsigned long addr, char *out, size_t len)
{
	char prefix[40], line[512];
	FILE *f = fopen("/proc/vmallocinfo", "r");
	int found = 0;

	if (!f)
		return -errno;
	snprintf(prefix, sizeof(prefix), "0x%016lx-", addr);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, prefix, strlen(prefix))) {
			snprintf(out, len, "%s", line);
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

/* Read @len bytes of kernel virtual memory at @addr through /proc/kcore. */
static ssize_t kcore_read(unsigned long addr, void *buf, size_t len)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	ssize_t ret = -ENOENT;
	int fd, i;

	fd = open("/proc/kcore", O_RDONLY);
	if (fd < 0)
		return -errno;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh))
		goto out;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * eh.e_phentsize) !=
		    sizeof(ph))
			break;
		if (ph.p_type != PT_LOAD || addr < ph.p_vaddr ||
		    addr + len > ph.p_vaddr + ph.p_memsz)
			continue;
		ret = pread(fd, buf, len, ph.p_offset + (addr - ph.p_vaddr));
		break;
	}
out:
	close(fd);
	return ret;
}

static int all_zero(const unsigned char *p, size_t len)
{
	while (len--)
		if (*p++)
			return 0;
	return 1;
}

FIXTURE(demo) {
	unsigned long sparse, ssize, pre, psize;
};

FIXTURE_SETUP(demo)
{
	int err = demo_load();

	if (err == -EEXIST) {
		ASSERT_EQ(0, demo_unload());
		err = demo_load();
	}
	ASSERT_EQ(0, err) TH_LOG("loading %s: %s", DEMO_NAME, strerror(-err));
	ASSERT_EQ(0, demo_areas(&self->sparse, &self->ssize, &self->pre,
				&self->psize));
	ASSERT_NE(0UL, self->sparse);
}

FIXTURE_TEARDOWN(demo)
{
	int err = demo_unload();

	EXPECT_TRUE(err == 0 || err == -ENOENT);
}

TEST_F(demo, vmallocinfo_marks_sparse_areas)
{
	char line[512], size[32];

	ASSERT_EQ(1, vmallocinfo_line(self->sparse, line, sizeof(line)));
	TH_LOG("%s", line);
	/* The size column includes the guard page. */
	snprintf(size, sizeof(size), " %lu ", self->ssize + PAGE);
	EXPECT_NE(NULL, strstr(line, size));
	EXPECT_NE(NULL, strstr(line, " sparse"));
	EXPECT_EQ(NULL, strstr(line, " prebuilt"));
	EXPECT_EQ(NULL, strstr(line, " vmalloc"));
	EXPECT_EQ(NULL, strstr(line, "pages="));

	ASSERT_EQ(1, vmallocinfo_line(self->pre, line, sizeof(line)));
	snprintf(size, sizeof(size), " %lu ", self->psize + PAGE);
	EXPECT_NE(NULL, strstr(line, size));
	EXPECT_NE(NULL, strstr(line, " sparse prebuilt"));
}

/*
 * /proc/kcore shows every sparse page as zeroes, mapped or not; an ordinary
 * module mapping read the same way shows its real contents.
 */
TEST_F(demo, kcore_reads_sparse_areas_as_zeroes)
{
	static unsigned char buf[8 * PAGE];
	unsigned long text = 0;
	FILE *f;

	/* Pages 0-2 are mapped and hold 0x5a and a message; 3-7 are holes. */
	memset(buf, 0xff, sizeof(buf));
	ASSERT_EQ((ssize_t)sizeof(buf), kcore_read(self->sparse, buf, sizeof(buf)));
	EXPECT_TRUE(all_zero(buf, sizeof(buf)));
	/* The last page of the area, unmapped by the module, and the guard. */
	memset(buf, 0xff, 2 * PAGE);
	ASSERT_EQ((ssize_t)(2 * PAGE),
		  kcore_read(self->sparse + self->ssize - PAGE, buf, 2 * PAGE));
	EXPECT_TRUE(all_zero(buf, 2 * PAGE));
	/* The prebuilt area: page 0 is mapped. */
	memset(buf, 0xff, PAGE);
	ASSERT_EQ((ssize_t)PAGE, kcore_read(self->pre, buf, PAGE));
	EXPECT_TRUE(all_zero(buf, PAGE));

	/* Control: the module's own text reads back as code. */
	f = fopen("/sys/module/" DEMO_NAME "/sections/.text", "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%lx", &text));
	fclose(f);
	ASSERT_NE(0UL, text);
	ASSERT_EQ((ssize_t)PAGE, kcore_read(text & ~(PAGE - 1), buf, PAGE));
	EXPECT_FALSE(all_zero(buf, PAGE));
}

TEST_F(demo, unload_frees_both_areas)
{
	char line[512];

	ASSERT_EQ(0, demo_unload());
	/* A freed area may linger as "unpurged", but never as sparse. */
	if (vmallocinfo_line(self->sparse, line, sizeof(line)) == 1)
		EXPECT_EQ(NULL, strstr(line, " sparse"));
	if (vmallocinfo_line(self->pre, line, sizeof(line)) == 1)
		EXPECT_EQ(NULL, strstr(line, " sparse"));
	EXPECT_EQ(-ENOENT, demo_areas(&self->sparse, &self->ssize, &self->pre,
				      &self->psize));
}

TEST(load_unload_cycles)
{
	unsigned long s, ss, p, ps;
	char line[512];
	int i;

	demo_unload();
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, demo_load());
		ASSERT_EQ(0, demo_areas(&s, &ss, &p, &ps));
		ASSERT_EQ(1, vmallocinfo_line(s, line, sizeof(line)));
		ASSERT_NE(NULL, strstr(line, " sparse"));
		ASSERT_EQ(0, demo_unload());
	}
}

TEST_HARNESS_MAIN
