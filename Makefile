# SPDX-License-Identifier: GPL-2.0-only
# sparse-mm harness.  Everything is in scripts/smm; see README.md.
.PHONY: run test test-debug test-kcsan irqsoff bench stress check patch series-check help
SECONDS ?= 300

run:		## build, boot QEMU, load the sample driver(s), show the demo
	@bash scripts/smm run
test:		## KUnit + selftests in QEMU (+ debug config when CI=true)
	@bash scripts/smm test
test-debug:	## the same tests on the debug configuration only
	@bash scripts/smm test-debug
test-kcsan:	## the same tests on the KCSAN configuration; any data race fails
	@bash scripts/smm test-kcsan
irqsoff:	## longest interrupts-off section during a 64 GiB arena stress
	@bash scripts/smm irqsoff
bench:		## benchmark module in QEMU, ratios against in-kernel baselines
	@bash scripts/smm bench
stress:		## soak both arena drivers SECONDS=N seconds each (default 300)
	@bash scripts/smm stress $(SECONDS)
check:		## checkpatch --strict, W=1, sparse on our files
	@bash scripts/smm check
patch:		## write results/sparse-mm.patch and the series results/series/
	@bash scripts/smm patch
series-check:	## the series: git am, checkpatch, every prefix built (objects)
	@bash scripts/smm series-check
help:
	@grep -E '^[a-z-]+:.*##' Makefile | sed 's/:.*##/\t/'
