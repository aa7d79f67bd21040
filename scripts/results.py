#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Count test results and check kernel logs for splats.

  results.py --results DIR --configs main [debug] --kunit-py PATH
  results.py --show-run LOG
  results.py --show-bench LOG
  results.py --stress LOG     (make stress: the soak's boot log)
  results.py --irqsoff LOG    (make irqsoff: the figure and the stress run)

Sources per config NAME, all in DIR:
  kunit-NAME.log  raw console of the kunit.py boot (built-in KUnit suites)
  kunit-numa-main.log  the vm_group_pages suite on two NUMA nodes (main only)
  kunit-initfree-main.log  the vm_group_pages suite with init_on_free=1 (main only)
  boot-NAME.log   console of the initramfs boot (selftests, kmemleak)
and static.tap ("ok"/"not ok" lines: patch export, checkpatch, W=1, sparse).

Every kernel log must be free of oops, BUG, WARNING, panic, lockdep, KASAN,
KCSAN ("BUG: KCSAN:"), kmemleak and similar reports.  A KCSAN data-race
report is accepted only if both of its functions are upstream 6.1 code
listed in KCSAN_UPSTREAM below, each with the reason (a race at unknown
origin, one function only: its first two frames, in
KCSAN_UPSTREAM_UNKNOWN_ORIGIN).  The one exception: a WARNING raised in
function F between the lines "sparse-mm: expect-warning begin F" and
"sparse-mm: expect-warning end F", which a test prints around a call that
warns on purpose (the test checks itself that the warning came).  A skipped test is counted as skipped; it fails the run
unless kunit/expected-skips lists it (with its reason).  KTAP, of the
built-in suites and of the module suites in the boot log, is read with
kunit.py parse.  Ends with the line "N passed, N failed, N skipped".
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

TIMESTAMP = re.compile(r'^\[\s*\d+\.\d+\]\s?')
WARNING = re.compile(r'WARNING: CPU: \d+ PID: \d+ at \S+ ([A-Za-z0-9_.]+)\+0x')
SPLATS = [re.compile(p) for p in (
    r'WARNING:', r'BUG:', r'Oops', r'general protection fault',
    r'Kernel panic', r'kernel BUG at', r'Unable to handle', r'KASAN:',
    r'UBSAN:', r'possible circular locking', r'possible recursive locking',
    r'inconsistent lock state', r'suspicious RCU usage',
    r'INFO: task .* blocked for more than', r'detected stalls? on CPU',
    r'unreferenced object 0x', r'DEBUG_LOCKS_WARN_ON', r'refcount_t: ',
    r'list_add corruption', r'list_del corruption', r'Bad page state',
    r'page dumped because', r'Call Trace:',
    r'lockdep: ', r'INFO: trying to register non-static key',
    r'stack-protector', r'double fault',
)]
# KCSAN reports ("BUG: KCSAN: data-race in A / B") from upstream 6.1 code
# that is not ours, accepted only when both functions are listed here.
# Races in our files are fixed or marked (data_race(), READ_ONCE/WRITE_ONCE
# with a comment), never listed.
KCSAN_UPSTREAM = {  # function name: why its race is benign, with the report
}
# Reports of a race "at unknown origin" (KCSAN saw the value change but
# not the writer) name one function only, which may be a generic helper:
# they are accepted only for the exact first two frames listed here,
# "function<caller", upstream 6.1 code on both, with the reason.
KCSAN_UPSTREAM_UNKNOWN_ORIGIN = {
    # x86 flush_tlb_mm_range() reads mm_cpumask() with plain reads while
    # switch_mm_irqs_off() on another CPU sets or clears its own bit with
    # atomic bitops; a stale bit costs a needless IPI, a CPU that joins
    # after the read picks the flush up through the mm's tlb_gen.
    # Seen on 2026-12-03 (boot-kcsan.log, arena_stress, an arena free
    # zapping user PTEs): "race at unknown origin, with read ... by task
    # ... _find_next_bit+0x26/0x90 flush_tlb_mm_range+0xad/0x170".
    '_find_next_bit<flush_tlb_mm_range': 'mm_cpumask read in the x86 TLB flush',
}
KCSAN = re.compile(r'BUG: KCSAN: data-race in ([A-Za-z0-9_.]+)(?: / ([A-Za-z0-9_.]+))?')
FRAME = re.compile(r'^\s*([A-Za-z0-9_.]+)\+0x[0-9a-f]+/0x[0-9a-f]+')


def kcsan_accepted(m, lines, n):
    """Is the KCSAN report whose header matched @m at lines[n-1] accepted?"""
    funcs = [f for f in m.groups() if f]
    if len(funcs) == 2:
        return all(f in KCSAN_UPSTREAM for f in funcs)
    # One function: a race at unknown origin; judge its first two frames.
    frames = []
    for line in lines[n:n + 12]:
        if KCSAN_RULE.match(line.strip()):
            break
        fm = FRAME.match(line)
        if fm:
            frames.append(fm.group(1))
        elif frames:
            break
    return (len(frames) >= 2 and frames[0] == funcs[0] and
            f'{frames[0]}<{frames[1]}' in KCSAN_UPSTREAM_UNKNOWN_ORIGIN)
KCSAN_RULE = re.compile(r'^={40,}$')
BEGIN = re.compile(r'sparse-mm: expect-warning begin (\S+)')
END = re.compile(r'sparse-mm: expect-warning end (\S+)')
END_TRACE = re.compile(r'---\[ end trace')


def clean(line):
    return TIMESTAMP.sub('', line.rstrip('\r\n'))


def check_log(path):
    """Return a list of problems found in a kernel console log."""
    problems = []
    expect = None          # function named by the open expect-warning marker
    in_allowed = False     # inside a splat that the marker allows
    with open(path, errors='replace') as f:
        lines = [clean(l) for l in f]
    in_kmemleak = False    # judged by boot_counts(), object by object
    in_kcsan = False       # inside an accepted upstream KCSAN report
    for n, line in enumerate(lines, 1):
        if in_kcsan:
            if KCSAN_RULE.match(line.strip()):
                in_kcsan = False
            continue
        m = KCSAN.search(line)
        if m and kcsan_accepted(m, lines, n):
            in_kcsan = True
            continue
        if line == '==== BEGIN kmemleak':
            in_kmemleak = True
        elif line.startswith('==== END kmemleak'):
            in_kmemleak = False
        if in_kmemleak:
            continue
        m = BEGIN.search(line)
        if m:
            expect = m.group(1)
            continue
        m = END.search(line)
        if m:
            if in_allowed:
                problems.append(f'{path}:{n}: expected warning from {expect} not closed before end marker')
            expect, in_allowed = None, False
            continue
        if in_allowed:
            if END_TRACE.search(line):
                in_allowed = False
            continue
        m = WARNING.search(line)
        if m and expect and m.group(1) == expect:
            in_allowed = True
            continue
        for pat in SPLATS:
            if pat.search(line):
                problems.append(f'{path}:{n}: {line.strip()}')
                break
    return problems


# Skips allowed without failing the run: kunit/expected-skips, lines of
# "NAME REASON" where NAME is suite.case (KUnit) or section.case (selftests).
EXPECTED_SKIPS = {}
UNEXPECTED_SKIPS = []


def load_expected_skips(path):
    if not os.path.exists(path):
        return
    for line in open(path, encoding='utf-8'):
        line = line.strip()
        if line and not line.startswith('#'):
            name, _, reason = line.partition(' ')
            EXPECTED_SKIPS[name] = reason.strip()


def skip_note(name):
    """Note a skipped test; remember it if it is not an expected skip."""
    if name in EXPECTED_SKIPS:
        return f'SKIPPED {name} (expected: {EXPECTED_SKIPS[name]})'
    UNEXPECTED_SKIPS.append(name)
    return f'SKIPPED {name} (not in kunit/expected-skips: fails the run)'


def json_skips(group, prefix=''):
    """suite.case names of the skipped cases in kunit.py's JSON."""
    name = group.get('name', '')
    if name == 'KUnit Test Group':
        name = ''
    here = f'{prefix}.{name}' if prefix and name else (name or prefix)
    out = [f'{here}.{c["name"]}' if here else c['name']
           for c in group.get('test_cases', []) if c.get('status') == 'SKIP']
    for sub in group.get('sub_groups', []):
        out += json_skips(sub, here)
    return out


# Suites every full kunit.py run must contain: the Rust suites are
# registered through a Rust macro (kernel::kunit_suite!), so a build that
# silently lost them would otherwise just count fewer tests.
REQUIRED_SUITES = ('rust_vm_sparse', 'rust_vm_arena', 'rust_doctests_kernel')


def kunit_counts(kunit_py, log, required=()):
    """Parse a kunit log with kunit.py parse; return (passed, failed, skipped, notes).

    Each suite in @required must have run: a missing one is a failure."""
    with tempfile.NamedTemporaryFile(suffix='.json') as js:
        res = subprocess.run([sys.executable, kunit_py, 'parse',
                              '--json=' + js.name, os.path.abspath(log)],
                             capture_output=True, text=True)
        try:
            skips = json_skips(json.load(open(js.name, encoding='utf-8')))
        except ValueError:
            skips = []
    out = res.stdout + res.stderr
    m = re.search(r'Ran (\d+) tests?: (.*)', out)
    notes = [l for l in out.splitlines()
             if '[FAILED]' in l or '[CRASHED]' in l or 'ERROR' in l]
    notes += [skip_note(n) for n in skips]
    if not m:
        return 0, 1, 0, notes + ['kunit.py parse found no results in ' + log]
    fields = dict((k.strip(), int(v)) for k, v in
                  re.findall(r'(\w+): (\d+)', m.group(2)))
    ran = int(m.group(1))
    passed = fields.get('passed', 0)
    failed = fields.get('failed', 0) + fields.get('crashed', 0) + fields.get('errors', 0)
    skipped = fields.get('skipped', 0)
    if ran == 0:
        failed += 1
        notes.append('no KUnit test ran')
    with open(log, errors='replace') as f:
        text = f.read()
    for suite in required:
        if not re.search(r'# Subtest: ' + re.escape(suite) + r'\s*$', text, re.M):
            failed += 1
            notes.append(f'KUnit suite {suite} did not run')
    return passed, failed, skipped, notes


KUNIT_PY = None
SECTION_BEGIN = re.compile(r'^==== BEGIN (\S+)$')
SECTION_END = re.compile(r'^==== END (\S+) rc=(\d+)$')
TAP_RESULT = re.compile(r'^(not )?ok (\d+) (?:- )?(.*?)(\s+#\s*(SKIP|skip).*)?$')
TAP_PLAN = re.compile(r'^1\.\.(\d+)$')


# Reports that kmemleak makes on a pristine 6.1 boot with no code of ours
# involved: ACPICA's object caches are only referenced through a
# physical-address table kmemleak does not scan.
KMEMLEAK_KNOWN = ('acpi_os_create_cache',)


def kmemleak_objects(lines):
    """Split a kmemleak report into objects; return (real ones, known count)."""
    objs, cur = [], None
    for l in lines:
        if l.startswith('unreferenced object'):
            cur = [l]
            objs.append(cur)
        elif cur is not None:
            cur.append(l.strip())
    real = [o for o in objs if not any(k in ' '.join(o) for k in KMEMLEAK_KNOWN)]
    return real, len(objs) - len(real)


def boot_counts(log):
    """Count TAP results of each selftest section of an initramfs boot."""
    passed = failed = skipped = 0
    notes = []
    with open(log, errors='replace') as f:
        lines = [clean(l) for l in f]
    if '==== DONE' not in lines:
        failed += 1
        notes.append(f'{log}: the boot did not finish (crash or timeout)')
    cur, results, plan = None, [], None
    for line in lines:
        m = SECTION_BEGIN.match(line)
        if m:
            cur, results, plan = m.group(1), [], None
            continue
        m = SECTION_END.match(line)
        if m and cur:
            rc = int(m.group(2))
            if cur == 'kmemleak':
                leaks, known = kmemleak_objects(results)
                if leaks or rc:
                    failed += 1
                    notes.append(f'kmemleak: {len(leaks)} unreferenced objects')
                    notes += ['  ' + ' | '.join(l[:6]) for l in leaks[:5]]
                else:
                    passed += 1
                    if known:
                        notes.append(f'kmemleak: clean ({known} known boot-time false positives ignored)')
                cur = None
                continue
            if cur.startswith('kunit') and KUNIT_PY:
                # Module KUnit suites (and the Rust self-test, which prints
                # the same KTAP): kunit.py parse reads the section.
                # 6.1 prints the top-level "KTAP version 1" and plan only
                # for the built-in suites at boot, not for a module's, and
                # numbers a module's suites with a counter of its own (the
                # Rust self-test prints "ok 1" for each): add the header and
                # number the suites 1, 2, ... or kunit.py reads nothing.
                tops = 0
                for i, l in enumerate(results):
                    m = re.match(r'^(not )?ok \d+ (.*)$', l)
                    if m:
                        tops += 1
                        results[i] = f'{m.group(1) or ""}ok {tops} {m.group(2)}'
                with tempfile.NamedTemporaryFile('w', suffix='.log') as t:
                    t.write(f'KTAP version 1\n1..{max(tops, 1)}\n' +
                            '\n'.join(results) + '\n')
                    t.flush()
                    p, f, s, n = kunit_counts(KUNIT_PY, t.name)
                passed, failed, skipped = passed + p, failed + f, skipped + s
                notes += [f'{cur}: {x}' for x in n]
                if rc != 0 and not f:
                    failed += 1
                    notes.append(f'{cur}: exit status {rc}')
                cur = None
                continue
            wrapped = [l for l in results if not l.startswith('#')]
            if any(l.startswith('# selftests: ') for l in results):
                # Run by kselftest's runner: the test's TAP is the "# "
                # prefixed part, the runner adds one result of its own.
                outer = [t for t in map(TAP_RESULT.match, wrapped) if t]
                results = [l[2:] for l in results if l.startswith('# ')]
                plans = [int(m.group(1)) for m in map(TAP_PLAN.match, results) if m]
                plan = plans[0] if plans else None
                if len(outer) != 1 or outer[0].group(1):
                    failed += 1
                    notes.append(f'{cur}: kselftest runner: ' +
                                 (outer[0].group(0) if outer else 'no result'))
            tap = [TAP_RESULT.match(l) for l in results]
            tap = [t for t in tap if t]
            for t in tap:
                if t.group(4):
                    skipped += 1
                    notes.append(f'{cur}: ' + skip_note(f'{cur}.{t.group(3)}'))
                elif t.group(1):
                    failed += 1
                    notes.append(f'{cur}: FAILED {t.group(3)}')
                else:
                    passed += 1
            if plan is None or plan != len(tap):
                failed += 1
                notes.append(f'{cur}: plan {plan} but {len(tap)} results')
            elif rc != 0 and not any(t.group(1) for t in tap):
                failed += 1
                notes.append(f'{cur}: exit status {rc}')
            cur = None
            continue
        if cur:
            results.append(line)
            m = TAP_PLAN.match(line)
            if m and plan is None:
                plan = int(m.group(1))
    return passed, failed, skipped, notes


def bench_lines(path):
    """The "# bench:" and "# fail-nth:" figures that tests print."""
    if not os.path.exists(path):
        return []
    with open(path, errors='replace') as f:
        lines = [clean(l).strip() for l in f
                 if '# bench:' in l or '# fail-nth:' in l]
    # A module suite's KTAP is on the console and again in its section.
    return list(dict.fromkeys(lines))


def summary(args):
    total = [0, 0, 0]
    ok = True
    for cfg in args.configs:
        # kcsan and debug: the kunit.py boot and the initramfs boot;
        # main adds the NUMA and init_on_free runs.
        groups = [
            ('kunit', os.path.join(args.results, f'kunit-{cfg}.log'),
             lambda p: kunit_counts(args.kunit_py, p, REQUIRED_SUITES)),
            ('selftests', os.path.join(args.results, f'boot-{cfg}.log'),
             boot_counts),
        ]
        if cfg == 'main':
            # vm_group_pages on two NUMA nodes (scripts/smm kunit_numa_run)
            groups.insert(1, ('kunit-numa', os.path.join(
                args.results, f'kunit-numa-{cfg}.log'),
                lambda p: kunit_counts(args.kunit_py, p)))
            # vm_group_pages booted with init_on_free=1 (kunit_initfree_run)
            groups.insert(2, ('kunit-initfree', os.path.join(
                args.results, f'kunit-initfree-{cfg}.log'),
                lambda p: kunit_counts(args.kunit_py, p)))
        for what, path, counter in groups:
            if not os.path.exists(path):
                p, f, s, notes = 0, 1, 0, [f'{path} missing']
            else:
                p, f, s, notes = counter(path)
                problems = check_log(path)
                # The clean log is a test of its own.
                if problems:
                    f += 1
                    notes += ['kernel log: ' + x for x in problems[:20]]
                else:
                    p += 1
            print(f'[{cfg}] {what}: {p} passed, {f} failed, {s} skipped')
            for n in notes:
                print(f'    {n}')
            for b in bench_lines(path):
                print(f'    {b}')
            total[0] += p
            total[1] += f
            total[2] += s
    tap = os.path.join(args.results, 'static.tap')
    if not args.static:
        pass
    elif os.path.exists(tap):
        p = f = 0
        for line in open(tap):
            if line.startswith('ok'):
                p += 1
            elif line.startswith('not ok'):
                f += 1
        print(f'[static] patch and source checks: {p} passed, {f} failed, 0 skipped')
        for line in open(tap):
            if line.startswith(('not ok', '#')):
                print('    ' + line.rstrip())
        if p + f == 0:
            f = 1
            print('    no static check ran')
        total[0] += p
        total[1] += f
    else:
        total[1] += 1
        print(f'[static] {tap} missing')
    ok = total[1] == 0 and not UNEXPECTED_SKIPS
    print(f'{total[0]} passed, {total[1]} failed, {total[2]} skipped')
    return 0 if ok else 1


def stress_summary(path):
    """make stress: count the soak's boot log as a selftest boot."""
    if not os.path.exists(path):
        print(f'{path} missing')
        print('0 passed, 1 failed, 0 skipped')
        return 1
    p, f, s, notes = boot_counts(path)
    problems = check_log(path)
    if problems:
        f += 1
        notes += ['kernel log: ' + x for x in problems[:20]]
    else:
        p += 1
    with open(path, errors='replace') as log:
        figures = [clean(l).strip() for l in log
                   if re.match(r'^# (lazy|segv|atomic): \d+ ops', clean(l))]
    print(f'[main] stress: {p} passed, {f} failed, {s} skipped')
    for n in notes + figures:
        print(f'    {n}')
    print(f'{p} passed, {f} failed, {s} skipped')
    return 0 if f == 0 and not UNEXPECTED_SKIPS else 1


def irqsoff_summary(path):
    """make irqsoff: the stress section, a clean log and the figure."""
    if not os.path.exists(path):
        print(f'{path} missing')
        print('0 passed, 1 failed, 0 skipped')
        return 1
    p, f, s, notes = boot_counts(path)
    problems = check_log(path)
    if problems:
        f += 1
        notes += ['kernel log: ' + x for x in problems[:20]]
    else:
        p += 1
    with open(path, errors='replace') as log:
        figure = [clean(l).rstrip() for l in log if '# irqsoff:' in l]
    if not any('max_latency_us=' in l for l in figure):
        f += 1
        notes.append('no irqsoff figure in ' + path)
    print(f'[kcsan] irqsoff: {p} passed, {f} failed, {s} skipped')
    for n in notes + figure:
        print(f'    {n}')
    print(f'{p} passed, {f} failed, {s} skipped')
    return 0 if f == 0 and s == 0 else 1


# Targets the harness judges for figures the kernel only prints (the
# kernel side of a benchmark reports; the harness decides): name of the
# "# bench:" figure -> (comparison, target).  Sources: issue 16.
BENCH_TARGETS = {
    'arena_alloc_free_1_vs_alloc_page_free_fresh': ('<=', 2.0),
}


def judge_bench(lines):
    """One ok/not ok line per BENCH_TARGETS figure; the failures."""
    bad = []
    for name, (op, target) in BENCH_TARGETS.items():
        ratios = [float(m.group(1)) for l in lines
                  for m in [re.search(r'# bench: ' + re.escape(name) +
                                      r' ratio=([0-9.]+)', l)] if m]
        if not ratios:
            verdict = f'not ok - {name}: no figure printed'
        else:
            r = ratios[-1]
            good = r <= target if op == '<=' else r >= target
            verdict = (f'{"ok" if good else "not ok"} - {name} '
                       f'ratio={r:.3f} target{op}{target:.3f} (judged here)')
        print(verdict)
        if verdict.startswith('not ok'):
            bad.append(verdict)
    return bad


def show(path, bench=False):
    with open(path, errors='replace') as f:
        lines = [clean(l) for l in f]
    problems = check_log(path)
    started = False
    for line in lines:
        if line.startswith('==== sparse-mm initramfs'):
            started = True
        if not started or line.startswith('==== DONE'):
            continue
        if bench and not ('bench' in line or line.startswith(('ok', 'not ok', '# '))):
            continue
        print(line)
    done = '==== DONE' in lines
    if problems or not done:
        print('PROBLEMS in ' + path + ':')
        for p in problems[:20]:
            print('  ' + p)
        if not done:
            print('  the boot did not finish')
        return 1
    if bench:
        bad = [l for l in lines if l.startswith('not ok')]
        bad += judge_bench(lines)
        return 1 if bad else 0
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--results')
    ap.add_argument('--configs', nargs='*', default=['main'])
    ap.add_argument('--kunit-py')
    ap.add_argument('--static', action='store_true',
                    help='count the lines of static.tap too')
    ap.add_argument('--show-run')
    ap.add_argument('--show-bench')
    ap.add_argument('--stress')
    ap.add_argument('--irqsoff')
    args = ap.parse_args()
    global KUNIT_PY
    KUNIT_PY = args.kunit_py
    load_expected_skips(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     '..', 'kunit', 'expected-skips'))
    if args.irqsoff:
        return irqsoff_summary(args.irqsoff)
    if args.stress:
        return stress_summary(args.stress)
    if args.show_run:
        return show(args.show_run)
    if args.show_bench:
        return show(args.show_bench, bench=True)
    return summary(args)


if __name__ == '__main__':
    sys.exit(main())
