#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Static checks, printed as TAP-style lines:
#   checkpatch.pl --strict on every C file and header we own and on patches/
#   W=1 and sparse (C=2) on every kernel object built from our C files
#   rustfmt on every Rust file of the tree (make rustfmtcheck)
#   kernel-doc -none on our files, make htmldocs SPHINXDIRS=mm
#   the generated rustdoc-example KUnit suite is up to date
#   make rustdoc: no warning or error
# Usage: check.sh SRC OUT   (work tree and a configured build directory)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=$1 OUT=$2
LOG=${SPARSE_MM_RESULTS:-$ROOT/results}/check.log
: > "$LOG"
MAKE_OPTS=(LLVM=1 RUSTC=/usr/bin/rustc BINDGEN=/usr/bin/bindgen HOSTRUSTC=/usr/bin/rustc
	   RUSTDOC=/usr/bin/rustdoc)

cd "$ROOT"
mapfile -t cfiles < <(git ls-files 'mm/*.[ch]' 'include/*.h' 'samples/*.[ch]' \
			'lib/*.[ch]' 'kernel/*.[ch]' 'arch/*.[ch]')
ok=1
if ((${#cfiles[@]})) && ! perl "$SRC/scripts/checkpatch.pl" --no-tree --strict --terse \
	-f "${cfiles[@]}" >> "$LOG" 2>&1; then ok=0; fi
for p in patches/*.patch; do
	# Hook patches change upstream files; judge only the lines they add.
	# Read from stdin: given a path inside a git work tree, checkpatch
	# misreads blank context lines as trailing whitespace.  A Kconfig
	# 'source "mm/Kconfig.sparse_mm"' line is not an embedded file name.
	perl "$SRC/scripts/checkpatch.pl" --no-tree --strict --terse --no-signoff \
		--ignore FILE_PATH_CHANGES,GIT_COMMIT_ID,EMBEDDED_FILENAME - < "$p" 2>&1 |
		sed "s#^-:#$p:#" >> "$LOG"
	[ "${PIPESTATUS[0]}" = 0 ] || ok=0
done
if ((ok)); then
	echo "ok - checkpatch --strict clean (${#cfiles[@]} files, $(ls patches/*.patch | wc -l) patches)"
else
	grep -E 'ERROR|WARNING|CHECK' "$LOG" | head -20 | sed 's/^/# /'
	echo "not ok - checkpatch --strict clean"
fi

# Objects built from our C files (samples and mm).
objs=()
for f in "${cfiles[@]}"; do
	case "$f" in *.c) [ -e "$OUT/${f%.c}.o" ] && objs+=("${f%.c}.o") ;; esac
done
out=$( (cd "$SRC" && make -s O="$OUT" ARCH=x86_64 "${MAKE_OPTS[@]}" W=1 C=2 \
	"${objs[@]}") 2>&1 | grep -v '^\*\*\*' | grep -v 'is too new' )
echo "$out" >> "$LOG"
if [ -z "$(echo "$out" | grep -E 'warning|error' )" ]; then
	echo "ok - W=1 and sparse (C=2) clean (${#objs[@]} objects)"
else
	echo "$out" | grep -E 'warning|error' | head -20 | sed 's/^/# /'
	echo "not ok - W=1 and sparse (C=2) clean"
fi

# Documentation: kernel-doc finds nothing to report in our C files and
# headers, and the mm book (which pulls our API reference from them with
# kernel-doc directives) builds with no warning from our pages or files.
# Upstream pages of the mm book warn about references outside it; those
# are not ours and are left alone.
if out=$(perl "$SRC/scripts/kernel-doc" -none "${cfiles[@]}" 2>&1) && [ -z "$out" ]; then
	echo "ok - kernel-doc -none clean (${#cfiles[@]} files)"
else
	echo "$out" >> "$LOG"
	echo "$out" | head -20 | sed 's/^/# /'
	echo "not ok - kernel-doc -none clean"
fi
mapfile -t docs < <(git ls-files 'Documentation/*.rst')
ours=$(printf '%s\n' "${docs[@]%.rst}" "${cfiles[@]}" | sed 's/[.]/[.]/g' | paste -sd'|')
if ! command -v sphinx-build > /dev/null; then
	echo "not ok - make htmldocs SPHINXDIRS=mm: sphinx-build missing (python3-sphinx)"
elif out=$( (cd "$SRC" && make O="${OUT%/*}/out-docs" SPHINXDIRS=mm SPHINXOPTS=-E htmldocs) 2>&1 ); then
	bad=$(echo "$out" | grep -E 'WARNING|ERROR' | grep -E "/($ours)([.]rst)?(:|$)")
	echo "$out" | grep -E 'WARNING|ERROR' >> "$LOG"
	if [ -z "$bad" ]; then
		echo "ok - make htmldocs SPHINXDIRS=mm: no warning from our files (${#docs[@]} pages)"
	else
		echo "$bad" | head -20 | sed 's/^/# /'
		echo "not ok - make htmldocs SPHINXDIRS=mm: no warning from our files"
	fi
else
	echo "$out" | tail -20 >> "$LOG"
	echo "$out" | tail -5 | sed 's/^/# /'
	echo "not ok - make htmldocs SPHINXDIRS=mm builds"
fi

# The rustdoc examples run as the KUnit suite rust_doctests_kernel from a
# generated file, which must match the examples.
if python3 scripts/rustdoc_kunit.py --check >> "$LOG" 2>&1; then
	echo "ok - rustdoc examples and mm/vm_sparse_rust_doctests.rs agree"
else
	echo "not ok - mm/vm_sparse_rust_doctests.rs out of date (run scripts/rustdoc_kunit.py)"
fi

# The Rust documentation builds without a warning (broken intra-doc
# links, missing docs).
out=$( (cd "$SRC" && make -s O="$OUT" ARCH=x86_64 "${MAKE_OPTS[@]}" rustdoc) 2>&1 )
rc=$?
out=$(echo "$out" | grep -v '^\*\*\*' | grep -v 'is too new')
echo "$out" >> "$LOG"
if [ "$rc" = 0 ] && [ -z "$(echo "$out" | grep -E 'warning|error')" ]; then
	echo "ok - make rustdoc clean"
else
	echo "$out" | grep -E 'warning|error' | head -20 | sed 's/^/# /'
	echo "not ok - make rustdoc clean"
fi

# Rust: the kernel's own rustfmtcheck covers every .rs file of the tree,
# ours (rust/kernel/, samples/rust/, mm/) included.
if out=$( (cd "$SRC" && make -s O="$OUT" ARCH=x86_64 "${MAKE_OPTS[@]}" \
	RUSTFMT=/usr/bin/rustfmt rustfmtcheck) 2>&1 ); then
	echo "ok - rustfmt clean (make rustfmtcheck)"
else
	echo "$out" >> "$LOG"
	echo "$out" | grep -v '^\*\*\*' | grep -v 'is too new' | head -20 | sed 's/^/# /'
	echo "not ok - rustfmt clean (make rustfmtcheck)"
fi
