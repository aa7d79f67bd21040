// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guard regions: madvise(MADV_GUARD_INSTALL) and madvise(MADV_GUARD_REMOVE)
 * as user space sees them.  Every rule of Documentation/mm/pagewalk_install.rst
 * has a case here; the "bench" cases time guards against mprotect(PROT_NONE)
 * in the same boot and print "# bench:" lines with the ratio.
 *
 * Needs root for the fault-injection case (debugfs fail_page_alloc and
 * /proc/self/make-it-fail) and CONFIG_USERFAULTFD for the userfaultfd case.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/mman.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

/* The uapi values (include/uapi/asm-generic/mman-common.h). */
static_assert(MADV_GUARD_INSTALL == 102, "MADV_GUARD_INSTALL");
static_assert(MADV_GUARD_REMOVE == 103, "MADV_GUARD_REMOVE");

#define NR_PAGES	100
#define FAIL_PAGE_ALLOC	"/sys/kernel/debug/fail_page_alloc"

static long pg;
static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_sig;

static void fault_handler(int sig)
{
	fault_sig = sig;
	siglongjmp(fault_jmp, 1);
}

static void catch_faults(void)
{
	struct sigaction sa = { .sa_handler = fault_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* 0 if *p could be read (into *val), else the signal that stopped it. */
static int try_read(const char *p, char *val)
{
	fault_sig = 0;
	if (sigsetjmp(fault_jmp, 1) == 0) {
		char c = *(volatile const char *)p;

		if (val)
			*val = c;
		return 0;
	}
	return fault_sig;
}

static int try_write(char *p, char c)
{
	fault_sig = 0;
	if (sigsetjmp(fault_jmp, 1) == 0) {
		*(volatile char *)p = c;
		return 0;
	}
	return fault_sig;
}

static bool guarded(char *p)
{
	return try_read(p, NULL) == SIGSEGV && try_write(p, 1) == SIGSEGV;
}

static bool reads(char *p, char want)
{
	char c = ~want;

	return try_read(p, &c) == 0 && c == want;
}

static int vma_count(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int c, n = 0;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static int guard(void *p, size_t pages)
{
	return madvise(p, pages * pg, MADV_GUARD_INSTALL) ? -errno : 0;
}

static int unguard(void *p, size_t pages)
{
	return madvise(p, pages * pg, MADV_GUARD_REMOVE) ? -errno : 0;
}

static char *map_anon(size_t pages, int flags)
{
	char *p = mmap(NULL, pages * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* A region aligned to @align bytes, @pages long. */
static char *map_aligned(size_t pages, size_t align)
{
	char *p = map_anon(pages + align / pg, 0);
	uintptr_t a;

	if (!p)
		return NULL;
	a = ((uintptr_t)p + align - 1) & ~(align - 1);
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	munmap((char *)a + pages * pg, (uintptr_t)p + align - a);
	return (char *)a;
}

FIXTURE(guard) {
	char *p;
};

FIXTURE_SETUP(guard)
{
	pg = sysconf(_SC_PAGESIZE);
	catch_faults();
	self->p = map_anon(NR_PAGES, 0);
	ASSERT_NE(NULL, self->p);
}

FIXTURE_TEARDOWN(guard)
{
	munmap(self->p, NR_PAGES * pg);
}

/* Guarded pages fault, neighbours do not, no VMA appears; remove undoes. */
TEST_F(guard, install_and_remove)
{
	char *p = self->p;
	int vmas = vma_count(), i;

	ASSERT_EQ(0, guard(p + 10 * pg, 10));
	for (i = 0; i < NR_PAGES; i++) {
		if (i >= 10 && i < 20) {
			EXPECT_TRUE(guarded(p + i * pg));
		} else {
			EXPECT_EQ(0, try_write(p + i * pg, 'a'));
		}
	}
	/* Every byte of a guarded page faults, not only the first. */
	EXPECT_EQ(SIGSEGV, try_read(p + 15 * pg + pg - 1, NULL));
	EXPECT_EQ(vmas, vma_count());
	/* Installing again is a no-op. */
	ASSERT_EQ(0, guard(p + 10 * pg, 10));
	EXPECT_EQ(vmas, vma_count());

	ASSERT_EQ(0, unguard(p, NR_PAGES));
	for (i = 10; i < 20; i++) {
		EXPECT_TRUE(reads(p + i * pg, 0));
		EXPECT_EQ(0, try_write(p + i * pg, 'b'));
	}
	/* Removing where no guard is changes nothing. */
	ASSERT_EQ(0, unguard(p, NR_PAGES));
	EXPECT_TRUE(reads(p, 'a'));
	EXPECT_TRUE(reads(p + 10 * pg, 'b'));
	EXPECT_EQ(vmas, vma_count());
}

/* Many guards in one mapping: the VMA count stays constant. */
TEST_F(guard, vma_count_constant)
{
	char *p = self->p;
	int vmas = vma_count(), i;

	for (i = 0; i < NR_PAGES; i += 2)
		ASSERT_EQ(0, guard(p + i * pg, 1));
	EXPECT_EQ(vmas, vma_count());
	for (i = 0; i < NR_PAGES; i++)
		EXPECT_EQ(i % 2 == 0, guarded(p + i * pg));
	/* The same with PROT_NONE adds VMAs: that is what guards avoid. */
	for (i = 0; i < NR_PAGES; i += 2)
		ASSERT_EQ(0, mprotect(p + i * pg, pg, PROT_NONE));
	EXPECT_GE(vma_count(), vmas + NR_PAGES - 2);
}

/* Present pages are zapped (their data is lost), neighbours keep theirs. */
TEST_F(guard, present_pages_replaced)
{
	char *p = self->p;
	unsigned char vec[3];
	int i;

	memset(p, 'x', NR_PAGES * pg);
	ASSERT_EQ(0, guard(p + 40 * pg, 3));
	/* mincore() sees no page under a guard. */
	ASSERT_EQ(0, mincore(p + 39 * pg, 3 * pg, vec));
	EXPECT_EQ(1, vec[0] & 1);
	EXPECT_EQ(0, vec[1] & 1);
	EXPECT_EQ(0, vec[2] & 1);
	EXPECT_TRUE(guarded(p + 40 * pg));
	EXPECT_TRUE(guarded(p + 42 * pg));
	EXPECT_TRUE(reads(p + 39 * pg + pg - 1, 'x'));
	EXPECT_TRUE(reads(p + 43 * pg, 'x'));
	ASSERT_EQ(0, unguard(p + 40 * pg, 3));
	for (i = 40; i < 43; i++)
		EXPECT_TRUE(reads(p + i * pg, 0));
}

/* MADV_DONTNEED and MADV_FREE drop pages but keep guards. */
TEST_F(guard, dontneed_and_free_keep_guards)
{
	char *p = self->p;

	memset(p, 'x', NR_PAGES * pg);
	ASSERT_EQ(0, guard(p + 5 * pg, 1));
	ASSERT_EQ(0, madvise(p, NR_PAGES * pg, MADV_DONTNEED));
	EXPECT_TRUE(guarded(p + 5 * pg));
	EXPECT_TRUE(reads(p + 4 * pg, 0));
	memset(p + 6 * pg, 'y', pg);
	ASSERT_EQ(0, madvise(p, NR_PAGES * pg, MADV_FREE));
	EXPECT_TRUE(guarded(p + 5 * pg));
	ASSERT_EQ(0, madvise(p, NR_PAGES * pg, MADV_DONTNEED_LOCKED));
	EXPECT_TRUE(guarded(p + 5 * pg));
	/* MADV_COLD and MADV_PAGEOUT walk over them too. */
	ASSERT_EQ(0, madvise(p, NR_PAGES * pg, MADV_COLD));
	ASSERT_EQ(0, madvise(p, NR_PAGES * pg, MADV_PAGEOUT));
	EXPECT_TRUE(guarded(p + 5 * pg));
}

static int child_checks(char *p, bool expect_guard, char next)
{
	if (guarded(p) != expect_guard)
		return 1;
	if (!reads(p + pg, next))
		return 2;
	/* Removing in the child must not affect the parent. */
	if (unguard(p, 1) || !reads(p, 0))
		return 3;
	return 0;
}

static int fork_and_check(char *p, bool expect_guard, char next)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(child_checks(p, expect_guard, next));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* fork copies guards, also in a range that never had a page. */
TEST_F(guard, fork_copies_guards)
{
	char *fresh = map_anon(4, 0);
	char *p = self->p;

	ASSERT_NE(NULL, fresh);
	/* Guards only: the VMA never had a page, fork must still copy. */
	ASSERT_EQ(0, guard(fresh, 1));
	EXPECT_EQ(0, fork_and_check(fresh, true, 0));
	EXPECT_TRUE(guarded(fresh));

	p[21 * pg] = 'c';
	ASSERT_EQ(0, guard(p + 20 * pg, 1));
	EXPECT_EQ(0, fork_and_check(p + 20 * pg, true, 'c'));
	EXPECT_TRUE(guarded(p + 20 * pg));
	EXPECT_TRUE(reads(p + 21 * pg, 'c'));

	/* MADV_WIPEONFORK: the child starts with an empty range. */
	ASSERT_EQ(0, madvise(p, NR_PAGES * pg, MADV_WIPEONFORK));
	EXPECT_EQ(0, fork_and_check(p + 20 * pg, false, 0));
	EXPECT_TRUE(guarded(p + 20 * pg));
	munmap(fresh, 4 * pg);
}

/* munmap drops guards; remapping the range gives plain zero pages. */
TEST_F(guard, munmap_drops_guards)
{
	char *p = self->p, *q;

	ASSERT_EQ(0, guard(p, NR_PAGES));
	ASSERT_EQ(0, munmap(p + 10 * pg, 10 * pg));
	EXPECT_EQ(-ENOMEM, guard(p + 10 * pg, 1));
	q = mmap(p + 10 * pg, 10 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(p + 10 * pg, q);
	EXPECT_TRUE(reads(q, 0));
	EXPECT_TRUE(reads(q + 9 * pg, 0));
	EXPECT_TRUE(guarded(p + 9 * pg));
	EXPECT_TRUE(guarded(p + 20 * pg));
	/* MAP_FIXED over guards replaces the mapping, guards included. */
	q = mmap(p, pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(p, q);
	EXPECT_TRUE(reads(p, 0));
	EXPECT_TRUE(guarded(p + pg));
}

/* mremap moves guards with the range, and keeps them when growing. */
TEST_F(guard, mremap_moves_guards)
{
	char *p = self->p, *dst, *q;

	dst = map_anon(NR_PAGES, 0);
	ASSERT_NE(NULL, dst);
	memset(p, 'm', NR_PAGES * pg);
	ASSERT_EQ(0, guard(p + 3 * pg, 1));
	q = mremap(p, 10 * pg, 10 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, q);
	EXPECT_TRUE(guarded(q + 3 * pg));
	EXPECT_TRUE(reads(q + 2 * pg, 'm'));
	EXPECT_TRUE(reads(q + 4 * pg, 'm'));
	EXPECT_EQ(SIGSEGV, try_read(p + 3 * pg, NULL));	/* unmapped now */
	/* Grow in place (the destination's tail is free). */
	munmap(q + 10 * pg, 10 * pg);
	q = mremap(q, 10 * pg, 20 * pg, 0);
	ASSERT_EQ(dst, q);
	EXPECT_TRUE(guarded(q + 3 * pg));
	EXPECT_TRUE(reads(q + 15 * pg, 0));
	/* Shrinking over the guard unmaps it. */
	q = mremap(q, 20 * pg, 3 * pg, 0);
	ASSERT_EQ(dst, q);
	q = mremap(q, 3 * pg, 5 * pg, 0);
	ASSERT_EQ(dst, q);
	EXPECT_TRUE(reads(q + 3 * pg, 0));
	munmap(dst, NR_PAGES * pg);
}

/* mprotect leaves guards alone, also when it splits the VMA under them. */
TEST_F(guard, mprotect_keeps_guards)
{
	char *p = self->p;

	ASSERT_EQ(0, guard(p + 10 * pg, 10));
	ASSERT_EQ(0, mprotect(p + 5 * pg, 10 * pg, PROT_READ));
	EXPECT_EQ(SIGSEGV, try_read(p + 10 * pg, NULL));
	EXPECT_EQ(SIGSEGV, try_read(p + 14 * pg, NULL));
	EXPECT_TRUE(guarded(p + 15 * pg));
	ASSERT_EQ(0, mprotect(p, NR_PAGES * pg, PROT_NONE));
	ASSERT_EQ(0, mprotect(p, NR_PAGES * pg, PROT_READ | PROT_WRITE));
	EXPECT_TRUE(guarded(p + 10 * pg));
	EXPECT_TRUE(guarded(p + 19 * pg));
	/* Install and remove across several VMAs. */
	ASSERT_EQ(0, mprotect(p + 50 * pg, pg, PROT_READ));
	ASSERT_EQ(0, guard(p + 45 * pg, 10));
	EXPECT_EQ(SIGSEGV, try_read(p + 50 * pg, NULL));
	EXPECT_TRUE(guarded(p + 54 * pg));
	ASSERT_EQ(0, unguard(p, NR_PAGES));
	EXPECT_TRUE(reads(p + 50 * pg, 0));
	EXPECT_TRUE(reads(p + 15 * pg, 0));
}

/* MADV_POPULATE_{READ,WRITE} stop at a guard with -EFAULT. */
TEST_F(guard, populate_fails_with_efault)
{
	char *p = self->p;

	ASSERT_EQ(0, guard(p + 50 * pg, 1));
	EXPECT_EQ(-1, madvise(p, NR_PAGES * pg, MADV_POPULATE_READ));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, madvise(p, NR_PAGES * pg, MADV_POPULATE_WRITE));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, madvise(p, 50 * pg, MADV_POPULATE_WRITE));
	EXPECT_EQ(0, madvise(p + 51 * pg, 49 * pg, MADV_POPULATE_READ));
	EXPECT_TRUE(guarded(p + 50 * pg));
}

/*
 * MAP_POPULATE: a populated mapping takes guards (its pages are zapped);
 * MAP_POPULATE | MAP_FIXED over guards replaces them with populated pages.
 */
TEST_F(guard, map_populate)
{
	char *p, *q;

	p = map_anon(NR_PAGES, MAP_POPULATE);
	ASSERT_NE(NULL, p);
	memset(p, 'p', NR_PAGES * pg);
	ASSERT_EQ(0, guard(p + 7 * pg, 2));
	EXPECT_TRUE(guarded(p + 7 * pg));
	EXPECT_TRUE(guarded(p + 8 * pg));
	EXPECT_TRUE(reads(p + 9 * pg, 'p'));
	q = mmap(p, 10 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, -1, 0);
	ASSERT_EQ(p, q);
	EXPECT_TRUE(reads(p + 7 * pg, 0));
	EXPECT_TRUE(reads(p + 8 * pg, 0));
	EXPECT_TRUE(reads(p + 10 * pg, 'p'));
	munmap(p, NR_PAGES * pg);
}

/* mlock: installing is refused, removing is allowed, mlock over a guard fails. */
TEST_F(guard, mlock_rules)
{
	char *p = self->p;

	ASSERT_EQ(0, mlock(p, 10 * pg));
	EXPECT_EQ(-EINVAL, guard(p, 1));
	EXPECT_EQ(-EINVAL, guard(p + 5 * pg, 10));	/* partly locked */
	EXPECT_TRUE(reads(p, 0));
	ASSERT_EQ(0, munlock(p, 10 * pg));
	ASSERT_EQ(0, guard(p, 1));
	/* mlock populates: the guard stops it with ENOMEM (from -EFAULT). */
	EXPECT_EQ(-1, mlock(p, 10 * pg));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_TRUE(guarded(p));
	/* The range is VM_LOCKED now: removing is allowed, installing not. */
	EXPECT_EQ(-EINVAL, guard(p + pg, 1));
	EXPECT_EQ(0, unguard(p, 10));
	EXPECT_TRUE(reads(p, 0));
	ASSERT_EQ(0, munlock(p, 10 * pg));
}

/* Kernel accesses (syscalls, GUP of /proc/self/mem) get EFAULT / EIO. */
TEST_F(guard, kernel_access_fails)
{
	char *p = self->p;
	int fds[2], mem;
	char buf[16];

	ASSERT_EQ(0, guard(p, 1));
	ASSERT_EQ(0, pipe(fds));
	EXPECT_EQ(-1, write(fds[1], p, 16));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(16, write(fds[1], "0123456789abcdef", 16));
	EXPECT_EQ(-1, read(fds[0], p, 16));
	EXPECT_EQ(EFAULT, errno);
	close(fds[0]);
	close(fds[1]);
	mem = open("/proc/self/mem", O_RDWR);
	ASSERT_LE(0, mem);
	EXPECT_EQ(-1, pread(mem, buf, sizeof(buf), (uintptr_t)p));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, pwrite(mem, buf, sizeof(buf), (uintptr_t)p));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ((ssize_t)sizeof(buf), pread(mem, buf, sizeof(buf),
					      (uintptr_t)p + pg));
	close(mem);
	EXPECT_TRUE(guarded(p));
}

/* Bad arguments and mappings guards are not for. */
TEST_F(guard, bad_arguments)
{
	char *p = self->p, *file, *shared, *huge;
	struct iovec iov = { .iov_base = p, .iov_len = pg };
	char path[] = "/tmp/guard_testXXXXXX";
	int fd, pidfd;
	FILE *maps;
	char line[256];
	unsigned long vvar = 0;

	EXPECT_EQ(-1, madvise(p + 1, pg, MADV_GUARD_INSTALL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, madvise(p, (size_t)-pg, MADV_GUARD_INSTALL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, madvise(p, pg, 104));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, madvise(p, 0, MADV_GUARD_INSTALL));
	EXPECT_TRUE(reads(p, 0));

	/* A hole: the mapped parts are guarded, then -ENOMEM. */
	ASSERT_EQ(0, munmap(p + 50 * pg, pg));
	EXPECT_EQ(-ENOMEM, guard(p + 48 * pg, 4));
	EXPECT_TRUE(guarded(p + 49 * pg));
	EXPECT_TRUE(guarded(p + 51 * pg));
	EXPECT_EQ(-ENOMEM, unguard(p + 48 * pg, 4));
	EXPECT_TRUE(reads(p + 49 * pg, 0));

	/* Not anonymous private memory: -EINVAL, nothing changed. */
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	unlink(path);
	ASSERT_EQ(0, ftruncate(fd, 4 * pg));
	file = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, file);
	EXPECT_EQ(-EINVAL, guard(file, 1));
	EXPECT_EQ(-EINVAL, unguard(file, 1));
	EXPECT_TRUE(reads(file, 0));
	munmap(file, 4 * pg);
	close(fd);
	shared = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shared);
	EXPECT_EQ(-EINVAL, guard(shared, 1));
	EXPECT_TRUE(reads(shared, 0));
	munmap(shared, 4 * pg);
	huge = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_NORESERVE,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, huge);
	EXPECT_EQ(-EINVAL, guard(huge, 1));
	EXPECT_EQ(-EINVAL, unguard(huge, 1));
	munmap(huge, 2 << 20);

	/* [vvar] is VM_PFNMAP | VM_IO. */
	maps = fopen("/proc/self/maps", "r");
	ASSERT_NE(NULL, maps);
	while (fgets(line, sizeof(line), maps))
		if (strstr(line, "[vvar]"))
			vvar = strtoul(line, NULL, 16);
	fclose(maps);
	ASSERT_NE(0, vvar);
	EXPECT_EQ(-EINVAL, guard((void *)vvar, 1));
	EXPECT_EQ(-EINVAL, unguard((void *)vvar, 1));

	/* process_madvise() does not take guards. */
	pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	ASSERT_LE(0, pidfd);
	EXPECT_EQ(-1, syscall(SYS_process_madvise, pidfd, &iov, 1,
			      MADV_GUARD_INSTALL, 0));
	EXPECT_EQ(EINVAL, errno);
	close(pidfd);
	EXPECT_TRUE(reads(p, 0));
}

/* A transparent huge page under a guard is split, its other pages kept. */
TEST_F(guard, huge_page_split)
{
	size_t huge = 2 << 20, n = huge / pg, i;
	char *p = map_aligned(n, huge);

	ASSERT_NE(NULL, p);
	madvise(p, huge, MADV_HUGEPAGE);
	memset(p, 'h', huge);
	ASSERT_EQ(0, guard(p + 100 * pg, 1));
	EXPECT_TRUE(guarded(p + 100 * pg));
	for (i = 0; i < n; i += 37) {
		if (i != 100)
			EXPECT_TRUE(reads(p + i * pg, 'h'));
	}
	EXPECT_TRUE(reads(p + 101 * pg, 'h'));
	/* MADV_COLLAPSE must not fold the guard into a huge page. */
	EXPECT_EQ(-1, madvise(p, huge, MADV_COLLAPSE));
	EXPECT_TRUE(guarded(p + 100 * pg));
	EXPECT_TRUE(reads(p + 99 * pg, 'h'));
	/* A whole huge page replaced by guards. */
	ASSERT_EQ(0, unguard(p, n));
	ASSERT_EQ(0, guard(p, n));
	EXPECT_TRUE(guarded(p));
	EXPECT_TRUE(guarded(p + (n - 1) * pg));
	munmap(p, huge);
}

static long uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_SIGBUS };
	long fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, UFFDIO_API, &api)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/*
 * userfaultfd: a guard raises SIGSEGV, never a uffd event (with
 * UFFD_FEATURE_SIGBUS a missing-page event shows as SIGBUS), and
 * UFFDIO_COPY / UFFDIO_ZEROPAGE do not fill a guarded page.
 */
TEST_F(guard, userfaultfd_not_triggered)
{
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_zeropage zp = { .mode = 0 };
	struct uffdio_copy cp = { .mode = 0 };
	char *p = self->p, *src;
	struct pollfd pfd;
	long uffd;

	uffd = uffd_open();
	ASSERT_LE(0, uffd) TH_LOG("userfaultfd: %s (CONFIG_USERFAULTFD?)",
				  strerror(-uffd));
	src = map_anon(1, MAP_POPULATE);
	ASSERT_NE(NULL, src);
	memset(src, 'u', pg);
	reg.range.start = (uintptr_t)p;
	reg.range.len = 10 * pg;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));
	ASSERT_EQ(0, guard(p, 1));

	EXPECT_EQ(SIGSEGV, try_read(p, NULL));
	EXPECT_EQ(SIGSEGV, try_write(p, 1));
	/* The control: an unguarded registered page is a uffd event. */
	EXPECT_EQ(SIGBUS, try_read(p + pg, NULL));
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	EXPECT_EQ(0, poll(&pfd, 1, 0));

	cp.dst = (uintptr_t)p;
	cp.src = (uintptr_t)src;
	cp.len = pg;
	EXPECT_EQ(-1, ioctl(uffd, UFFDIO_COPY, &cp));
	EXPECT_EQ(EEXIST, errno);
	zp.range.start = (uintptr_t)p;
	zp.range.len = pg;
	EXPECT_EQ(-1, ioctl(uffd, UFFDIO_ZEROPAGE, &zp));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(SIGSEGV, try_read(p, NULL));

	/* Removed: the page is missing again, for userfaultfd to fill. */
	ASSERT_EQ(0, unguard(p, 1));
	EXPECT_EQ(SIGBUS, try_read(p, NULL));
	cp.mode = 0;
	EXPECT_EQ(0, ioctl(uffd, UFFDIO_COPY, &cp));
	EXPECT_TRUE(reads(p, 'u'));
	close(uffd);
	munmap(src, pg);
}

struct race {
	char *p;
	size_t pages;
	volatile int stop;
};

static void *race_populate(void *arg)
{
	struct race *r = arg;

	while (!r->stop)
		madvise(r->p, r->pages * pg, MADV_POPULATE_WRITE);
	return NULL;
}

/* Installing while another thread keeps faulting pages in. */
TEST_F(guard, install_races_with_faults)
{
	struct race r = { .p = self->p, .pages = NR_PAGES };
	pthread_t t;
	int i, j, bad = 0;

	ASSERT_EQ(0, pthread_create(&t, NULL, race_populate, &r));
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, guard(r.p, NR_PAGES));
		/* Every page is a guard, whatever the other thread does. */
		for (j = 0; j < NR_PAGES; j += 7)
			if (!madvise(r.p + j * pg, pg, MADV_POPULATE_READ) ||
			    errno != EFAULT)
				bad++;
		ASSERT_EQ(0, unguard(r.p, NR_PAGES));
	}
	r.stop = 1;
	pthread_join(t, NULL);
	EXPECT_EQ(0, bad);
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

static int fail_page_alloc_set(const char *attr, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), FAIL_PAGE_ALLOC "/%s", attr);
	return write_file(path, val);
}

/*
 * Page-table allocation failure half-way through an install walk
 * (fail_page_alloc, armed for this task only): -ENOMEM, the walk's prefix
 * stays guarded, the rest is untouched, no VMA changed, and a retry works.
 */
TEST(fault_injection_pte_table)
{
	size_t pmd = 2 << 20, n = 4 * pmd / sysconf(_SC_PAGESIZE), i;
	int vmas, ret, fd;
	char *p;

	pg = sysconf(_SC_PAGESIZE);
	catch_faults();
	/* Four PMDs' worth of a range no page table covers yet. */
	p = map_aligned(n, 1 << 30);
	ASSERT_NE(NULL, p);
	/* The anon_vma and the first PTE table exist before arming. */
	ASSERT_EQ(0, guard(p, 1));
	vmas = vma_count();

	ASSERT_EQ(0, fail_page_alloc_set("task-filter", "Y"))
		TH_LOG("needs CONFIG_FAIL_PAGE_ALLOC and debugfs");
	ASSERT_EQ(0, fail_page_alloc_set("verbose", "0"));
	ASSERT_EQ(0, fail_page_alloc_set("ignore-gfp-wait", "N"));
	ASSERT_EQ(0, fail_page_alloc_set("ignore-gfp-highmem", "N"));
	ASSERT_EQ(0, fail_page_alloc_set("min-order", "0"));
	ASSERT_EQ(0, fail_page_alloc_set("interval", "1"));
	ASSERT_EQ(0, fail_page_alloc_set("times", "1"));
	ASSERT_EQ(0, fail_page_alloc_set("probability", "100"));
	fd = open("/proc/self/make-it-fail", O_WRONLY);
	ASSERT_LE(0, fd);
	/* Warm the code and stack of the armed window up. */
	madvise(p, pg, MADV_GUARD_INSTALL);
	ASSERT_EQ(1, write(fd, "0", 1));

	ASSERT_EQ(1, write(fd, "1", 1));
	ret = madvise(p, n * pg, MADV_GUARD_INSTALL) ? errno : 0;
	ASSERT_EQ(1, write(fd, "0", 1));
	close(fd);
	fail_page_alloc_set("probability", "0");
	fail_page_alloc_set("times", "0");

	EXPECT_EQ(ENOMEM, ret);
	/* The first PMD had its table: fully guarded.  The rest: untouched. */
	for (i = 0; i < n / 4; i += 31)
		EXPECT_TRUE(guarded(p + i * pg));
	EXPECT_TRUE(guarded(p + (n / 4 - 1) * pg));
	for (i = n / 4; i < n; i += 31)
		EXPECT_TRUE(reads(p + i * pg, 0));
	EXPECT_EQ(vmas, vma_count());
	/* Retried without failures: everything guarded; removal clears all. */
	ASSERT_EQ(0, guard(p, n));
	EXPECT_TRUE(guarded(p + (n - 1) * pg));
	EXPECT_TRUE(guarded(p + n / 2 * pg));
	ASSERT_EQ(0, unguard(p, n));
	EXPECT_TRUE(reads(p, 0));
	EXPECT_TRUE(reads(p + (n - 1) * pg, 0));
	EXPECT_EQ(vmas, vma_count());
	munmap(p, n * pg);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define BENCH_SIZE	(64UL << 20)
#define BENCH_STRIDE	16
#define BENCH_ROUNDS	5

/*
 * Guard every 16th page of a 64 MiB region, with madvise(MADV_GUARD_INSTALL)
 * or with mprotect(PROT_NONE), one call per page; return the time in us
 * and the VMAs the calls added.
 */
static double bench_one(bool use_guard, bool populate, int *added)
{
	size_t pages = BENCH_SIZE / pg, i;
	char *p = map_anon(pages, 0);
	double t0, t;
	int before;

	if (!p)
		return -1;
	if (populate && madvise(p, BENCH_SIZE, MADV_POPULATE_WRITE))
		return -1;
	before = vma_count();
	t0 = now_us();
	for (i = 0; i < pages; i += BENCH_STRIDE) {
		if (use_guard ? madvise(p + i * pg, pg, MADV_GUARD_INSTALL)
			      : mprotect(p + i * pg, pg, PROT_NONE))
			return -1;
	}
	t = now_us() - t0;
	*added = vma_count() - before;
	/* Spot-check that the guards are there. */
	if (!guarded(p + (pages - BENCH_STRIDE) * pg) || !reads(p + pg, 0))
		t = -1;
	munmap(p, BENCH_SIZE);
	return t;
}

static double bench_guard_vs_mprotect(struct __test_metadata *_metadata,
				      bool populate, double target)
{
	double g[BENCH_ROUNDS], m[BENCH_ROUNDS], ratio[BENCH_ROUNDS];
	int g_added = -1, m_added = -1, r, guards;

	guards = BENCH_SIZE / pg / BENCH_STRIDE;
	for (r = 0; r < BENCH_ROUNDS; r++) {
		/* Interleave, alternating which goes first. */
		if (r & 1) {
			m[r] = bench_one(false, populate, &m_added);
			g[r] = bench_one(true, populate, &g_added);
		} else {
			g[r] = bench_one(true, populate, &g_added);
			m[r] = bench_one(false, populate, &m_added);
		}
		if (g[r] <= 0 || m[r] <= 0)
			return -1;
		ratio[r] = m[r] / g[r];
		EXPECT_EQ(0, g_added);
		EXPECT_GE(m_added, 2 * guards - 2);
	}
	qsort(ratio, BENCH_ROUNDS, sizeof(double), cmp_double);
	qsort(g, BENCH_ROUNDS, sizeof(double), cmp_double);
	qsort(m, BENCH_ROUNDS, sizeof(double), cmp_double);
	printf("# bench: guard_install_every_16th_64m_%s_vs_mprotect ratio=%.2f target>=%.2f guard_us=%.0f mprotect_us=%.0f guards=%d vmas_added_guard=%d vmas_added_mprotect=%d rounds=%d\n",
	       populate ? "populated" : "unpopulated", ratio[BENCH_ROUNDS / 2],
	       target,
	       g[BENCH_ROUNDS / 2], m[BENCH_ROUNDS / 2], guards, g_added,
	       m_added, BENCH_ROUNDS);
	fflush(stdout);
	return ratio[BENCH_ROUNDS / 2];
}

FIXTURE(bench) {
};

FIXTURE_SETUP(bench)
{
	pg = sysconf(_SC_PAGESIZE);
	catch_faults();
}

FIXTURE_TEARDOWN(bench)
{
}

/* The figure: at least 3x faster than mprotect(PROT_NONE). */
TEST_F_TIMEOUT(bench, guard_vs_mprotect_unpopulated, 300)
{
	EXPECT_GE(bench_guard_vs_mprotect(_metadata, false, 3.0), 3.0);
}

/*
 * Populated, a guard also has to zap and free the page it replaces (and
 * flush its TLB entry), which mprotect does not: 2.8x-4.1x under QEMU TCG,
 * 3.1x for the same algorithm natively (upstream 6.18).  Asserted at 2x.
 */
TEST_F_TIMEOUT(bench, guard_vs_mprotect_populated, 300)
{
	EXPECT_GE(bench_guard_vs_mprotect(_metadata, true, 2.0), 2.0);
}

TEST_HARNESS_MAIN
