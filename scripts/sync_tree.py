#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Lay our files and patches over a kernel tree, touching only what changed.

The work tree starts as a copy of the pristine tree.  Each run computes the
wanted content of every file we own (overlay files copied from the repo,
upstream files with patches/ applied in order) and writes a file only when
its content differs, so make's timestamps stay valid and rebuilds are
incremental.  Files we owned in an earlier run but no longer do are restored
from the pristine tree (or deleted if they are new files).  The list of
owned files is kept in <work>/.sparse-mm-manifest.

  sync_tree.py --repo R --pristine P --work W
  sync_tree.py --repo R --pristine P --work W --export OUT.patch
"""
import argparse
import difflib
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile

# Top-level folders of the repo that mirror the kernel tree.
OVERLAY_DIRS = ['mm', 'include', 'rust', 'samples', 'lib', 'arch', 'kernel',
                'Documentation', 'tools']
MANIFEST = '.sparse-mm-manifest'


def die(msg):
    print('sync_tree: ' + msg, file=sys.stderr)
    sys.exit(1)


def overlay_files(repo):
    out = {}
    for top in OVERLAY_DIRS:
        base = os.path.join(repo, top)
        for dirpath, _, names in os.walk(base):
            for name in names:
                if name.endswith(('~', '.orig', '.rej', '.o', '.ko')):
                    continue
                path = os.path.join(dirpath, name)
                out[os.path.relpath(path, repo)] = path
    return out


def patch_targets(patch):
    targets = []
    with open(patch, encoding='utf-8') as f:
        for line in f:
            if line.startswith('+++ '):
                name = line[4:].split('\t')[0].strip()
                if name == '/dev/null':
                    continue
                if not name.startswith('b/'):
                    die(f'{patch}: expected b/ prefix in "{line.strip()}"')
                targets.append(name[2:])
    return targets


def staged_patches(repo, pristine, overlay):
    """Apply every patch to copies of the pristine files; return rel->path."""
    patches = sorted(p for p in os.listdir(os.path.join(repo, 'patches'))
                     if p.endswith('.patch'))
    stage = tempfile.mkdtemp(prefix='sparse-mm-stage-')
    touched = set()
    for p in patches:
        full = os.path.join(repo, 'patches', p)
        for rel in patch_targets(full):
            if rel in overlay:
                die(f'{p} touches {rel}, which is an overlay file')
            if rel in touched:
                continue
            touched.add(rel)
            src = os.path.join(pristine, rel)
            if os.path.exists(src):
                os.makedirs(os.path.dirname(os.path.join(stage, rel)), exist_ok=True)
                shutil.copy2(src, os.path.join(stage, rel))
        res = subprocess.run(['patch', '-p1', '--forward', '--no-backup-if-mismatch',
                              '--fuzz=0', '-s', '-d', stage, '-i', full],
                             capture_output=True, text=True)
        if res.returncode != 0:
            die(f'patch {p} does not apply cleanly to {pristine}:\n'
                f'{res.stdout}{res.stderr}'
                'The base tree may be a newer 6.1.y sublevel; refresh this patch.')
    return stage, {rel: os.path.join(stage, rel) for rel in touched}


def same(a, b):
    return os.path.exists(b) and filecmp.cmp(a, b, shallow=False)


def install(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    tmp = dst + '.sparse-mm-tmp'
    shutil.copyfile(src, tmp)
    shutil.copymode(src, tmp)
    os.replace(tmp, dst)


def sync(repo, pristine, work):
    overlay = overlay_files(repo)
    for rel in overlay:
        if os.path.exists(os.path.join(pristine, rel)):
            die(f'{rel} exists upstream: change it with a patch in patches/')
    stage, patched = staged_patches(repo, pristine, overlay)
    wanted = dict(overlay)
    wanted.update(patched)

    man_path = os.path.join(work, MANIFEST)
    old = set()
    if os.path.exists(man_path):
        with open(man_path, encoding='utf-8') as f:
            old = {line.strip() for line in f if line.strip()}

    changed = 0
    for rel in sorted(old - set(wanted)):
        dst = os.path.join(work, rel)
        src = os.path.join(pristine, rel)
        if os.path.exists(src):
            if not same(src, dst):
                install(src, dst)
                changed += 1
        elif os.path.exists(dst):
            os.remove(dst)
            changed += 1
    for rel, src in sorted(wanted.items()):
        dst = os.path.join(work, rel)
        if not same(src, dst):
            install(src, dst)
            changed += 1
    with open(man_path + '.tmp', 'w', encoding='utf-8') as f:
        f.write(''.join(r + '\n' for r in sorted(wanted)))
    os.replace(man_path + '.tmp', man_path)
    shutil.rmtree(stage)
    print(f'sync_tree: {len(wanted)} files owned, {changed} updated')


def export(pristine, work, out):
    with open(os.path.join(work, MANIFEST), encoding='utf-8') as f:
        rels = sorted(line.strip() for line in f if line.strip())
    chunks = []
    for rel in rels:
        a = os.path.join(pristine, rel)
        b = os.path.join(work, rel)
        old = open(a, encoding='utf-8').read().splitlines(True) if os.path.exists(a) else []
        new = open(b, encoding='utf-8').read().splitlines(True)
        diff = list(difflib.unified_diff(
            old, new, fromfile='/dev/null' if not old else 'a/' + rel,
            tofile='b/' + rel, n=3))
        if diff:
            chunks.append(f'diff --git a/{rel} b/{rel}\n')
            if not old:
                chunks.append('new file mode 100644\n')
            for line in diff:
                chunks.append(line if line.endswith('\n')
                              else line + '\n\\ No newline at end of file\n')
    with open(out, 'w', encoding='utf-8') as f:
        f.write(''.join(chunks))
    print(f'sync_tree: wrote {out} ({len(rels)} files)')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--repo', required=True)
    ap.add_argument('--pristine', required=True)
    ap.add_argument('--work', required=True)
    ap.add_argument('--export')
    args = ap.parse_args()
    if args.export:
        export(args.pristine, args.work, args.export)
    else:
        sync(args.repo, args.pristine, args.work)


if __name__ == '__main__':
    main()
