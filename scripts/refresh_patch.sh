#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Rewrite patches/NAME.patch from the work tree: edit the upstream files in
# $SPARSE_MM_BUILD/linux, then run this with the patch name.  The text before
# the first "diff" line (the description) is kept.  With extra file
# arguments, those files are added to the patch.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${SPARSE_MM_BUILD:-$HOME/.cache/sparse-mm}
p=$ROOT/patches/$1; shift
files=$( (sed -n 's#^+++ b/##p' "$p"; printf '%s\n' "$@") | sort -u)
{
	sed '/^diff /,$d' "$p"
	for f in $files; do
		(cd "$B" && diff -u --label "a/$f" --label "b/$f" "pristine/$f" "linux/$f" |
			sed "1i diff -u a/$f b/$f") || true
	done
} > "$p.new"
mv "$p.new" "$p"
echo "refreshed $p: $files"
