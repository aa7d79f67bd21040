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
		(cd "$B" && git diff --no-index --no-color "pristine/$f" "linux/$f" |
			sed -e "s#a/pristine/#a/#g; s#b/linux/#b/#g" -e '/^index /d') || true
	done
} > "$p.new"
mv "$p.new" "$p"
echo "refreshed $p: $files"
