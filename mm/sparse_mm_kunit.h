/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the sparse-mm KUnit suites.
 *
 * Copyright (C) 2026 The sparse-mm authors
 */
#ifndef _MM_SPARSE_MM_KUNIT_H
#define _MM_SPARSE_MM_KUNIT_H

#include <linux/printk.h>

/*
 * A test that triggers a kernel warning on purpose brackets the call with
 * these markers.  The harness's log checker accepts a WARNING splat between
 * them only if it was raised in function @fn; any other splat fails the run.
 */
#define SMM_EXPECT_WARN_BEGIN(fn) \
	pr_info("sparse-mm: expect-warning begin %s\n", fn)
#define SMM_EXPECT_WARN_END(fn) \
	pr_info("sparse-mm: expect-warning end %s\n", fn)

#endif /* _MM_SPARSE_MM_KUNIT_H */
