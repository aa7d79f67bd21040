#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Cut our changes into the patch series that series/series.txt defines.

  series.py export --repo R --pristine P --work W --git G --out DIR
  series.py check  --repo R --pristine P --work W --git G --out DIR
                   [--build none|objects|full] [--configs main off]

W is the work tree scripts/sync_tree.py laid our files into (its manifest
lists every file we own); G a git repository whose branch "base" holds the
pristine tree (created here on first use, reused after).  export commits
every prefix of the series on branch "series" of G and writes
"git format-patch --cover-letter" output to DIR.  check also applies the
series with git am to "base" and compares the result with W, runs
checkpatch.pl --strict on every patch, and builds every prefix:
"objects" compiles, per prefix, the kernel objects of the C and Rust
files the prefix has changed so far (one reused build directory per
configuration, so only what a prefix changes is recompiled), "full"
builds vmlinux and the modules.  A prefix that built once is remembered
by its tree hash and not built again.  Prints TAP lines.

How the series file cuts files: a file listed bare goes whole into that
patch; "PATH REGEX" takes the parts of PATH whose text matches REGEX
(parts: Kconfig entries, Makefile and config lines with the comments
above them, other files' changed blocks); a hook patch (patches/*.patch)
stands for the parts of the files it changes that it adds.  A part goes
to the first patch whose REGEX matches it, else to the patch naming its
hook patch, else to the patch naming its file bare.  Every part must land
somewhere, and every file we own must be named.
"""
import argparse
import difflib
import hashlib
import os
import re
import shutil
import subprocess
import sys

IDENT = ['-c', 'user.name=sparse-mm', '-c', 'user.email=sparse-mm@localhost']


def die(msg):
    print('series: ' + msg, file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------- parsing

class Patch:
    def __init__(self, subject):
        self.subject = subject
        self.entries = []       # (path, regex or None)
        self.body = []


def parse_series(path):
    cover, patches, cur, in_body = None, [], None, False
    for line in open(path, encoding='utf-8'):
        line = line.rstrip('\n')
        if line.startswith('#') and not in_body:
            continue
        if line.startswith('=== '):
            cur = Patch(line[4:].strip())
            if cover is None and cur.subject.startswith('COVER '):
                cur.subject = cur.subject[6:].strip()
                cover = cur
            else:
                patches.append(cur)
            in_body = False
            continue
        if cur is None:
            if line.strip():
                die(f'{path}: text before the first "=== " line: {line}')
            continue
        if not in_body and line.startswith('+ '):
            parts = line[2:].strip().split(None, 1)
            cur.entries.append((parts[0], re.compile(parts[1]) if len(parts) > 1 else None))
            continue
        if not in_body and not line.strip():
            in_body = bool(cur.entries) or cur is cover
            continue
        in_body = True
        cur.body.append(line)
    for p in [cover] + patches:
        while p and p.body and not p.body[-1].strip():
            p.body.pop()
    if cover is None:
        die(f'{path}: no "=== COVER subject" block')
    return cover, patches


# ---------------------------------------------------------------- units

KCONFIG_START = re.compile(r'^(config|menuconfig|choice|endchoice|comment|menu|endmenu|if|endif|source)\b')
MAKE_IF = re.compile(r'^(ifeq|ifneq|ifdef|ifndef)\b')


def split_insert(path, lines):
    """Split an inserted block into parts that may go to different patches."""
    name = os.path.basename(path)
    if name.startswith('Kconfig'):
        starts = [i for i, l in enumerate(lines) if KCONFIG_START.match(l)]
    elif name.startswith('Makefile') or name.endswith(('.kunitconfig', 'config')) \
            or name in ('index.rst', 'ioctl-number.rst'):
        starts, depth = [], 0
        for i, l in enumerate(lines):
            if depth == 0 and l.strip() and not l.startswith('#') \
                    and not (i and lines[i - 1].rstrip().endswith('\\')):
                starts.append(i)
            if MAKE_IF.match(l):
                depth += 1
            elif l.startswith('endif'):
                depth -= 1
    else:
        return [lines]
    # Comments and blank lines right above a start belong to it.
    moved, prev = [], 0
    for s in starts:
        floor = prev + 1 if moved else 0
        while s > floor and lines[s - 1].startswith('#'):
            s -= 1
        while s > floor and not lines[s - 1].strip():
            s -= 1
        moved.append(s)
        prev = s
    cuts = sorted(set([0] + moved))
    return [lines[a:b] for a, b in zip(cuts, cuts[1:] + [len(lines)]) if lines[a:b]]


class Unit:
    def __init__(self, path, i1, i2, new):
        self.path, self.i1, self.i2, self.new = path, i1, i2, new
        self.owner = None

    def text(self):
        return ''.join(self.new)


def file_units(path, old, new):
    sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
    units = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == 'equal':
            continue
        if tag == 'insert':
            for part in split_insert(path, new[j1:j2]):
                units.append(Unit(path, i1, i1, part))
        else:
            units.append(Unit(path, i1, i2, new[j1:j2]))
    return units


def hook_lines(patch):
    """{path: (added lines, removed lines)} of a hook patch."""
    out, cur = {}, None
    for line in open(patch, encoding='utf-8'):
        if line.startswith('+++ b/'):
            cur = out.setdefault(line[6:].split('\t')[0].strip(), (set(), set()))
        elif cur is not None and line.startswith('+') and not line.startswith('+++'):
            cur[0].add(line[1:])
        elif cur is not None and line.startswith('-') and not line.startswith('---'):
            cur[1].add(line[1:])
    return out


def render(old, units, upto):
    """old with the units owned by patches < upto applied."""
    out, pos = [], 0
    for u in sorted(units, key=lambda u: u.i1):
        if u.owner >= upto:
            continue
        out += old[pos:u.i1]
        out += u.new
        pos = max(pos, u.i2)
    return out + old[pos:]


def read_lines(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding='utf-8') as f:
        return f.read().splitlines(True)


def assign(repo, pristine, work, patches):
    with open(os.path.join(work, '.sparse-mm-manifest'), encoding='utf-8') as f:
        owned = [l.strip() for l in f if l.strip()]
    units, olds = {}, {}
    for rel in owned:
        old = read_lines(os.path.join(pristine, rel))
        olds[rel] = old
        units[rel] = file_units(rel, old or [], read_lines(os.path.join(work, rel)))
    whole, hooks, named = {}, {}, set()
    for n, p in enumerate(patches):
        for path, rx in p.entries:
            if path.startswith('patches/'):
                full = os.path.join(repo, path)
                if not os.path.exists(full):
                    die(f'patch {n + 1} names {path}, which does not exist')
                hooks[path] = (n, hook_lines(full))
                named.update(hooks[path][1])
            elif rx is None:
                if path in whole:
                    die(f'{path} is named whole by patches {whole[path] + 1} and {n + 1}')
                whole[path] = n
                named.add(path)
            else:
                named.add(path)
            if not path.startswith('patches/') and path not in units:
                die(f'patch {n + 1} names {path}, which is not one of our files')
    missing = [r for r in owned if r not in named]
    if missing:
        die('files not in series/series.txt: ' + ', '.join(missing))
    for rel, us in units.items():
        for u in us:
            for n, p in enumerate(patches):
                if any(path == rel and rx is not None and rx.search(u.text())
                       for path, rx in p.entries):
                    u.owner = n
                    break
            if u.owner is None:
                removed = set((olds[rel] or [])[u.i1:u.i2])
                for hook, (n, lines) in hooks.items():
                    add, rem = lines.get(rel, (set(), set()))
                    if rel in lines and all(l in add for l in u.new if l.strip()) \
                            and all(l in rem for l in removed if l.strip()):
                        u.owner = n
                        break
            if u.owner is None and rel in whole:
                u.owner = whole[rel]
            if u.owner is None:
                die(f'{rel}: no patch takes this part:\n' + u.text()[:400])
    return olds, units


# ---------------------------------------------------------------- git

def git(g, *args, **kw):
    return subprocess.run(['git', '-C', g] + IDENT + list(args), check=True,
                          capture_output=True, text=True, **kw).stdout


def ensure_base(g, pristine):
    if os.path.exists(os.path.join(g, '.git')):
        return
    print(f'series: creating {g} from {pristine} (once)', file=sys.stderr)
    tmp = g + '.tmp'
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(pristine, tmp, symlinks=True)
    subprocess.run(['chmod', '-R', 'u+w', tmp], check=True)
    for junk in ('.sparse-mm-unpacked',):
        if os.path.exists(os.path.join(tmp, junk)):
            os.remove(os.path.join(tmp, junk))
    subprocess.run(['git', 'init', '-q', '-b', 'base', tmp], check=True)
    git(tmp, 'add', '-A', '-f')
    git(tmp, 'commit', '-q', '-m', 'linux 6.1.y (pristine)')
    os.rename(tmp, g)


def commit_series(g, olds, units, patches, author):
    git(g, 'checkout', '-q', '-f', 'base')
    git(g, 'checkout', '-q', '-B', 'series')
    for n, p in enumerate(patches):
        changed = []
        for rel, us in units.items():
            if not any(u.owner == n for u in us):
                continue
            old = olds[rel] or []
            content = ''.join(render(old, us, n + 1))
            dst = os.path.join(g, rel)
            if not content and olds[rel] is None:
                continue
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, 'w', encoding='utf-8') as f:
                f.write(content)
            changed.append(rel)
        if not changed:
            die(f'patch {n + 1} ({p.subject}) changes nothing')
        git(g, 'add', '-f', '--', *changed)
        msg = p.subject + '\n\n' + '\n'.join(p.body).strip() + \
            f'\n\nSigned-off-by: {author}\n'
        git(g, 'commit', '-q', '--author', author, '-F', '-', input=msg)


def export(args):
    cover, patches = parse_series(os.path.join(args.repo, 'series', 'series.txt'))
    olds, units = assign(args.repo, args.pristine, args.work, patches)
    ensure_base(args.git, args.pristine)
    author = args.author
    commit_series(args.git, olds, units, patches, author)
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    git(args.git, 'format-patch', '-q', '--cover-letter', '--no-signature',
        '--base=base', '-o', args.out, 'base..series')
    letter = os.path.join(args.out, '0000-cover-letter.patch')
    text = open(letter, encoding='utf-8').read()
    text = text.replace('*** SUBJECT HERE ***', cover.subject)
    text = text.replace('*** BLURB HERE ***', '\n'.join(cover.body).strip())
    with open(letter, 'w', encoding='utf-8') as f:
        f.write(text)
    names = sorted(os.listdir(args.out))
    print(f'series: wrote {len(names) - 1} patches and a cover letter to {args.out}',
          file=sys.stderr)
    return patches


# ---------------------------------------------------------------- checks

def tap(ok, what, notes=()):
    for n in notes:
        print('# ' + n)
    print(('ok' if ok else 'not ok') + ' - ' + what)
    sys.stdout.flush()
    return ok


def check_am(args):
    g = args.git
    git(g, 'checkout', '-q', '-f', '-B', 'am-check', 'base')
    mails = sorted(f for f in os.listdir(args.out) if not f.startswith('0000-'))
    res = subprocess.run(['git', '-C', g] + IDENT + ['am', '-q', '--whitespace=error-all'] +
                         [os.path.join(args.out, m) for m in mails],
                         capture_output=True, text=True)
    if res.returncode:
        subprocess.run(['git', '-C', g, 'am', '--abort'], capture_output=True)
        return tap(False, 'series applies with git am to pristine 6.1.y',
                   (res.stdout + res.stderr).splitlines()[:10])
    diff = git(g, 'diff', '--stat', 'series', 'am-check')
    # The series must add up to the combined patch: every owned file as in W.
    bad = []
    with open(os.path.join(args.work, '.sparse-mm-manifest'), encoding='utf-8') as f:
        for rel in (l.strip() for l in f if l.strip()):
            a, b = os.path.join(g, rel), os.path.join(args.work, rel)
            if read_lines(a) != read_lines(b):
                bad.append(rel)
    return tap(not diff and not bad,
               f'series ({len(mails)} patches) applies with git am to pristine 6.1.y '
               'and adds up to the combined patch',
               diff.splitlines()[:5] + [f'differs: {r}' for r in bad[:5]])


def check_checkpatch(args):
    cp = os.path.join(args.pristine, 'scripts', 'checkpatch.pl')
    bad = []
    for m in sorted(os.listdir(args.out)):
        if m.startswith('0000-'):
            continue
        # Ignored, as scripts/check.sh does for the hook patches:
        # FILE_PATH_CHANGES (MAINTAINERS is the lead's call) and
        # EMBEDDED_FILENAME (mm/Kconfig must 'source "mm/Kconfig.sparse_mm"').
        ignore = 'FILE_PATH_CHANGES,EMBEDDED_FILENAME'
        files = [l[len('diff --git a/'):].split()[0] for l in
                 open(os.path.join(args.out, m), encoding='utf-8')
                 if l.startswith('diff --git a/')]
        if all(f.startswith('tools/testing/selftests/') for f in files):
            # User-space test code, where these rules do not fit: volatile
            # for sig_atomic_t flags, locals across sigsetjmp() and forced
            # accesses; kselftest_harness's EXPECT_*() expand to several
            # statements, so their if/else arms need braces; no BIT() in
            # user space; glibc's Elf64_Ehdr; and the coding style's "never
            # break user-visible strings" for the tests' messages.
            ignore += ',VOLATILE,BRACES,BIT_MACRO,CAMELCASE,LONG_LINE_STRING'
        res = subprocess.run(['perl', cp, '--no-tree', '--strict', '--terse',
                              '--ignore', ignore,
                              os.path.join(args.out, m)], capture_output=True, text=True)
        if res.returncode:
            bad += [f'{m}: {l}' for l in res.stdout.splitlines()
                    if 'ERROR' in l or 'WARNING' in l or 'CHECK' in l][:5]
    return tap(not bad, 'checkpatch --strict clean on every patch of the series', bad[:20])


CONFIG_OFF = ['# CONFIG_%s is not set' % s for s in (
    'VM_OBJECT', 'VM_ARENA', 'VM_GROUP_PAGES', 'MADV_GUARD', 'RUST', 'KUNIT',
    'SAMPLES', 'SPARSE_MM_BENCH')]


def objects_for(tree, out, rels):
    """Kernel objects of the given files that the configuration builds."""
    cfg = {}
    for line in open(os.path.join(out, '.config'), encoding='utf-8'):
        m = re.match(r'^(CONFIG_\w+)=(.*)$', line)
        if m:
            cfg[m.group(1)] = m.group(2)
    objs = set()
    for rel in rels:
        if rel.endswith('.c') or rel.endswith('.rs'):
            d, base = os.path.split(rel)
            obj = os.path.splitext(base)[0] + '.o'
            if rel.startswith('rust/kernel/') or rel in ('rust/helpers.c',):
                if cfg.get('CONFIG_RUST') == 'y':
                    objs.add('rust/kernel.o' if rel.endswith('.rs') else 'rust/helpers.o')
                continue
            if rel.startswith('tools/'):
                continue
            mk = ''
            for name in os.listdir(os.path.join(tree, d)):
                if name.startswith('Makefile'):
                    mk += open(os.path.join(tree, d, name), encoding='utf-8').read()
            mk = mk.replace('\\\n', ' ')
            for line in mk.splitlines():
                if not re.search(r'(^|\s|=)' + re.escape(obj) + r'(\s|$)', line):
                    continue
                m = re.match(r'^\s*([\w-]+?)-(\$\((CONFIG_\w+)\)|y)\s*[:+]?=', line)
                if not m:
                    continue
                if m.group(2) == 'y' and m.group(1) in ('obj', 'mmu', 'ifeq'):
                    objs.add(os.path.join(d, obj))
                elif m.group(3) and cfg.get(m.group(3)) in ('y', 'm'):
                    if m.group(1) in ('obj', 'mmu') or cfg.get('CONFIG_MMU') == 'y':
                        objs.add(os.path.join(d, obj))
                break
    return sorted(objs)


def check_builds(args, patches):
    g, ok = args.git, True
    make = ['make', '-s', 'ARCH=x86_64', f'-j{args.jobs}'] + args.make_opt
    wt = g + '-build'
    if not os.path.exists(wt):
        git(g, 'worktree', 'add', '-q', '-f', '--detach', wt, 'base')
    commits = git(g, 'rev-list', '--reverse', 'base..series').split()
    cache = os.path.join(os.path.dirname(g), 'series-built')
    os.makedirs(cache, exist_ok=True)
    for cfg in args.configs:
        out = os.path.join(os.path.dirname(g), f'out-series-{cfg}')
        os.makedirs(out, exist_ok=True)
        failed, built, skipped = [], 0, 0
        touched = set()
        for n, c in enumerate(commits, 1):
            touched |= set(git(g, 'diff', '--name-only', c + '^', c).split())
            tree = git(g, 'rev-parse', c + '^{tree}').strip()
            key = hashlib.sha1(f'{cfg} {args.build} {tree} {args.config_key}'.encode()).hexdigest()
            if os.path.exists(os.path.join(cache, key)):
                skipped += 1
                continue
            git(wt, 'checkout', '-q', '--detach', c)
            with open(os.path.join(out, '.series-config'), 'w', encoding='utf-8') as f:
                if cfg == 'main':
                    f.write(open(args.main_config, encoding='utf-8').read())
                else:
                    f.write('\n'.join(CONFIG_OFF) + '\n')
            log = os.path.join(args.out_log, f'series-build-{cfg}-{n:02d}.log')
            with open(log, 'w', encoding='utf-8') as lf:
                steps = [make + ['-C', wt, f'O={out}',
                                 f'KCONFIG_ALLCONFIG={out}/.series-config', 'allnoconfig']]
                if cfg == 'main':
                    # kunit.py's x86_64 base plus our main configuration.
                    shutil.copy(os.path.join(out, '.series-config'), os.path.join(out, '.config'))
                    steps = [make + ['-C', wt, f'O={out}', 'olddefconfig']]
                if args.build == 'full':
                    steps.append(make + ['-C', wt, f'O={out}'])
                else:
                    # Chosen once the configuration step has run.
                    steps.append('objects')
                res = None
                for st in steps:
                    if st == 'objects':
                        objs = objects_for(wt, out, touched)
                        lf.write('objects: ' + ' '.join(objs) + '\n')
                        lf.flush()
                        if not objs:
                            continue
                        st = make + ['-C', wt, f'O={out}'] + objs
                    res = subprocess.run(st, stdout=lf, stderr=subprocess.STDOUT)
                    if res.returncode:
                        break
            if res is not None and res.returncode:
                failed.append(f'patch {n} ({patches[n - 1].subject}) does not build '
                              f'({cfg}): {log}')
                ok = False
                break
            open(os.path.join(cache, key), 'w').close()
            built += 1
        tap(not failed, f'every prefix of the series builds ({cfg} configuration, '
            f'{args.build}: {built} built, {skipped} known good)', failed)
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('cmd', choices=['export', 'check'])
    ap.add_argument('--repo', required=True)
    ap.add_argument('--pristine', required=True)
    ap.add_argument('--work', required=True)
    ap.add_argument('--git', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--out-log', default='.')
    ap.add_argument('--author', default='sparse-mm <sparse-mm@localhost>')
    ap.add_argument('--build', default='objects', choices=['none', 'objects', 'full'])
    ap.add_argument('--configs', nargs='*', default=['main', 'off'])
    ap.add_argument('--main-config')
    ap.add_argument('--make-opt', action='append', default=[])
    ap.add_argument('--jobs', default=str(os.cpu_count()))
    args = ap.parse_args()
    for k in ('repo', 'pristine', 'work', 'git', 'out', 'out_log'):
        setattr(args, k, os.path.abspath(getattr(args, k)))
    args.config_key = ''
    if args.main_config:
        args.config_key = hashlib.sha1(open(args.main_config, 'rb').read()).hexdigest()
    patches = export(args)
    if args.cmd == 'export':
        return 0
    ok = check_am(args)
    ok = check_checkpatch(args) and ok
    if args.build != 'none':
        ok = check_builds(args, patches) and ok
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
