// SPDX-License-Identifier: GPL-2.0-only

//! Self-test of the Rust bindings for sparse areas (`kernel::page`,
//! `kernel::vm_sparse`).
//!
//! Kernel 6.1 has no Rust KUnit integration: loading this module runs the
//! cases and prints the KTAP of a module KUnit suite (`kernel::ktap`).  The
//! sparse-mm harness loads it in the initramfs boot (section
//! `kunit-rust`).  Like a KUnit module, it loads even if a case fails:
//! the KTAP says which (and busybox `insmod` would retry a failed load).

use kernel::ktap::{run_suite, Case, CaseResult};
use kernel::page::{Page, PAGE_SIZE};
use kernel::prelude::*;
use kernel::rwsem::RwSemaphore;
use kernel::vm_sparse::{MapError, SparseArea};
use kernel::{
    bindings,
    error::{code::*, Error},
    ktap_expect, ktap_expect_eq, ktap_try,
};

module! {
    type: VmSparseRustTest,
    name: b"vm_sparse_rust_test",
    author: b"The sparse-mm authors",
    description: b"Self-test of the Rust sparse area bindings",
    license: b"GPL",
}

const AREA_PAGES: usize = 16;

/// `n` fresh pages, page `i` starting with the byte `tag + i`.
fn pages(n: usize, tag: u8) -> Result<Vec<Page>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)?;
    for i in 0..n {
        let mut p = Page::alloc()?;
        p.write(0, &[tag.wrapping_add(i as u8)])?;
        v.try_push(p)?;
    }
    Ok(v)
}

fn first_byte(p: &Page) -> Result<u8> {
    let mut b = [0u8; 1];
    p.read(0, &mut b)?;
    Ok(b[0])
}

/// The error of a map that must fail; the pages must come back intact.
fn map_err(r: core::result::Result<(), MapError>, n: usize, tag: u8) -> Result<Error> {
    match r {
        Ok(()) => Err(EINVAL),
        Err(MapError { error, pages }) => {
            if pages.len() != n {
                return Err(EFAULT);
            }
            for (i, p) in pages.iter().enumerate() {
                if first_byte(p)? != tag.wrapping_add(i as u8) {
                    return Err(EFAULT);
                }
            }
            Ok(error)
        }
    }
}

fn page_bounds() -> CaseResult {
    let mut p = ktap_try!(Page::alloc());
    let mut buf = [0xffu8; 8];
    ktap_try!(p.read(PAGE_SIZE - 8, &mut buf));
    ktap_expect_eq!(buf, [0u8; 8]);
    ktap_try!(p.write(PAGE_SIZE - 3, b"end"));
    ktap_expect_eq!(p.write(PAGE_SIZE - 2, b"end"), Err(ERANGE));
    ktap_expect_eq!(p.read(usize::MAX, &mut buf), Err(ERANGE));
    let mut end = [0u8; 3];
    ktap_try!(p.read(PAGE_SIZE - 3, &mut end));
    ktap_expect_eq!(&end, b"end");
    Ok(())
}

fn map_write_read() -> CaseResult {
    let mut area = ktap_try!(SparseArea::new(AREA_PAGES * PAGE_SIZE));
    ktap_expect_eq!(area.page_count(), AREA_PAGES);
    ktap_expect_eq!(area.mapped_pages(), 0);
    ktap_try!(area.map(4, ktap_try!(pages(3, 10))));
    ktap_expect!(!area.is_mapped(3) && area.is_mapped(4) && area.is_mapped(6));
    ktap_expect!(!area.is_mapped(7));
    // The last usable page (just before the guard page) is mappable.
    ktap_try!(area.map(AREA_PAGES - 1, ktap_try!(pages(1, 50))));
    ktap_expect_eq!(area.mapped_pages(), 4);
    // Data written through the area lands in the pages.
    ktap_try!(area.write(5 * PAGE_SIZE + 100, b"through the area"));
    let mut b = [0u8; 1];
    ktap_try!(area.read(4 * PAGE_SIZE, &mut b));
    ktap_expect_eq!(b[0], 10);
    // A write across two mapped pages works, into an unmapped one fails.
    ktap_try!(area.write(5 * PAGE_SIZE - 2, b"span"));
    ktap_expect_eq!(area.write(7 * PAGE_SIZE - 2, b"span"), Err(EFAULT));
    ktap_expect_eq!(area.read(3 * PAGE_SIZE, &mut b), Err(EFAULT));
    ktap_expect_eq!(area.write(AREA_PAGES * PAGE_SIZE - 1, b"xy"), Err(ERANGE));
    let back = ktap_try!(area.unmap(4, 3));
    ktap_expect_eq!(back.len(), 3);
    let mut s = [0u8; 16];
    ktap_try!(back[1].read(100, &mut s));
    ktap_expect_eq!(&s, b"through the area");
    let mut sp = [0u8; 4];
    ktap_try!(back[0].read(PAGE_SIZE - 2, &mut sp[..2]));
    ktap_try!(back[1].read(0, &mut sp[2..]));
    ktap_expect_eq!(&sp, b"span");
    ktap_expect_eq!(area.mapped_pages(), 1);
    Ok(())
}

fn map_out_of_range() -> CaseResult {
    let mut area = ktap_try!(SparseArea::new(AREA_PAGES * PAGE_SIZE));
    // The guard page right after the area.
    let e = ktap_try!(map_err(area.map(AREA_PAGES, ktap_try!(pages(1, 1))), 1, 1));
    ktap_expect_eq!(e, ERANGE);
    // Straddling the end.
    let e = ktap_try!(map_err(
        area.map(AREA_PAGES - 1, ktap_try!(pages(2, 2))),
        2,
        2
    ));
    ktap_expect_eq!(e, ERANGE);
    // Longer than the whole area.
    let e = ktap_try!(map_err(
        area.map(0, ktap_try!(pages(AREA_PAGES + 1, 3))),
        AREA_PAGES + 1,
        3
    ));
    ktap_expect_eq!(e, E2BIG);
    // Indices whose address arithmetic overflows.
    let e = ktap_try!(map_err(area.map(usize::MAX, ktap_try!(pages(1, 4))), 1, 4));
    ktap_expect_eq!(e, ERANGE);
    let e = ktap_try!(map_err(
        area.map(usize::MAX / PAGE_SIZE, ktap_try!(pages(1, 5))),
        1,
        5
    ));
    ktap_expect_eq!(e, ERANGE);
    // Nothing was left mapped, and the area still works.
    ktap_expect_eq!(area.mapped_pages(), 0);
    ktap_try!(area.map(AREA_PAGES - 2, ktap_try!(pages(2, 6))));
    // An empty map is fine, even at the end of the area.
    ktap_try!(area.map(AREA_PAGES, Vec::new()));
    ktap_expect_eq!(area.mapped_pages(), 2);
    Ok(())
}

fn map_busy() -> CaseResult {
    let mut area = ktap_try!(SparseArea::new(AREA_PAGES * PAGE_SIZE));
    ktap_try!(area.map(2, ktap_try!(pages(2, 1))));
    // Overlapping the end of the existing mapping: all or nothing.
    let e = ktap_try!(map_err(area.map(0, ktap_try!(pages(3, 7))), 3, 7));
    ktap_expect_eq!(e, EBUSY);
    ktap_expect!(!area.is_mapped(0) && !area.is_mapped(1));
    let mut b = [0u8; 1];
    ktap_try!(area.read(2 * PAGE_SIZE, &mut b));
    ktap_expect_eq!(b[0], 1);
    Ok(())
}

fn double_unmap() -> CaseResult {
    let mut area = ktap_try!(SparseArea::new(AREA_PAGES * PAGE_SIZE));
    ktap_try!(area.map(0, ktap_try!(pages(2, 20))));
    let back = ktap_try!(area.unmap(0, 2));
    ktap_expect_eq!(back.len(), 2);
    ktap_expect_eq!(ktap_try!(first_byte(&back[1])), 21);
    // The second unmap of the same range is refused, not a double free.
    ktap_expect_eq!(area.unmap(0, 2).err(), Some(ENOENT));
    ktap_expect_eq!(area.unmap(1, 1).err(), Some(ENOENT));
    // A range with a hole unmaps nothing.
    ktap_try!(area.map(5, ktap_try!(pages(1, 30))));
    ktap_expect_eq!(area.unmap(5, 2).err(), Some(ENOENT));
    ktap_expect!(area.is_mapped(5));
    // Out of range (the C call would warn: it is never reached).
    ktap_expect_eq!(area.unmap(AREA_PAGES, 1).err(), Some(ERANGE));
    ktap_expect_eq!(area.unmap(usize::MAX, 2).err(), Some(ERANGE));
    ktap_expect_eq!(area.unmap(0, 0).map(|v| v.len()), Ok(0));
    // The unmapped range can be mapped again.
    ktap_try!(area.map(0, back));
    ktap_expect_eq!(area.mapped_pages(), 3);
    Ok(())
}

fn free_pages() -> usize {
    // SAFETY: Reads a statistics counter.
    unsafe { bindings::global_zone_page_state(bindings::zone_stat_item_NR_FREE_PAGES) as usize }
}

fn drop_order() -> CaseResult {
    const ROUNDS: usize = 64;
    const PAGES: usize = 64;
    // Warm up page tables and the per-cpu lists so the count is stable.
    {
        let mut area = ktap_try!(SparseArea::new(PAGES * PAGE_SIZE));
        ktap_try!(area.map(0, ktap_try!(pages(PAGES, 0))));
    }
    let before = free_pages();
    for r in 0..ROUNDS {
        let mut area = ktap_try!(SparseArea::new(PAGES * PAGE_SIZE));
        ktap_try!(area.map(0, ktap_try!(pages(PAGES, r as u8))));
        let mut b = [0u8; 1];
        ktap_try!(area.read((PAGES - 1) * PAGE_SIZE, &mut b));
        ktap_expect_eq!(b[0], (r + PAGES - 1) as u8);
        // Dropped with every page mapped: free_vm_area() unmaps, then the
        // pages are freed.
    }
    let after = free_pages();
    // ROUNDS * PAGES data pages went through the areas: had the drop
    // leaked them, all of them would be missing.  The slack covers what
    // the kernel keeps around meanwhile (per-cpu lists, lazily purged
    // vmap areas, KASAN shadow in the debug configuration).
    if after + ROUNDS * PAGES / 4 < before {
        kernel::ktap::print_line(format_args!(
            "    # drop_order: free pages {} -> {} after {} areas of {} pages",
            before, after, ROUNDS, PAGES
        ));
        return Err(kernel::ktap::Failure);
    }
    Ok(())
}

fn irqs_disabled() -> bool {
    // SAFETY: Reads the interrupt flag.
    unsafe { bindings::irqs_disabled() }
}

fn prebuilt_atomic() -> CaseResult {
    let mut area = ktap_try!(SparseArea::new_prebuilt(AREA_PAGES * PAGE_SIZE));
    let tables = area.pgtable_pages();
    ktap_expect!(tables >= 1);
    // Vectors allocate with GFP_KERNEL: make room before interrupts go
    // off (the pages themselves are allocated with GFP_ATOMIC inside).
    let mut v = Vec::new();
    ktap_try!(v.try_reserve_exact(4));
    let mut w = Vec::new();
    ktap_try!(w.try_reserve_exact(1));
    let ret: Result<(bool, Error, Error)> = area.with_irqs_disabled(|a| {
        let off = irqs_disabled();
        for _ in 0..4 {
            v.try_push(Page::alloc_atomic()?)?;
        }
        a.map(8, v)?;
        a.write(8 * PAGE_SIZE, b"atomic")?;
        w.try_push(Page::alloc_atomic()?)?;
        let busy = match a.map(11, w) {
            Err(e) => e,
            Ok(()) => return Err(EINVAL),
        };
        let range = match a.map(AREA_PAGES, busy.pages) {
            Err(e) => e.error,
            Ok(()) => return Err(EINVAL),
        };
        Ok((off, busy.error, range))
    });
    let (off, busy, range) = ktap_try!(ret);
    ktap_expect!(off);
    ktap_expect!(!irqs_disabled());
    ktap_expect_eq!(busy, EBUSY);
    ktap_expect_eq!(range, ERANGE);
    // Mapping never added page tables.
    ktap_expect_eq!(area.pgtable_pages(), tables);
    ktap_expect_eq!(area.mapped_pages(), 4);
    let back = ktap_try!(area.unmap(8, 4));
    let mut s = [0u8; 6];
    ktap_try!(back[0].read(0, &mut s));
    ktap_expect_eq!(&s, b"atomic");
    // The sleeping map works on a prebuilt area too.
    ktap_try!(area.map(0, back));
    Ok(())
}

fn bad_size() -> CaseResult {
    ktap_expect_eq!(SparseArea::new(0).err(), Some(EINVAL));
    ktap_expect_eq!(SparseArea::new_prebuilt(0).err(), Some(EINVAL));
    // Rounded up to whole pages.
    let area = ktap_try!(SparseArea::new(PAGE_SIZE + 1));
    ktap_expect_eq!(area.page_count(), 2);
    ktap_expect_eq!(area.size(), 2 * PAGE_SIZE);
    ktap_expect!(area.base() % PAGE_SIZE == 0);
    Ok(())
}

/// The C semaphore behind `RwSemaphore`: shared reads, exclusive writes,
/// released by the guards, and still working after the Rust value moved.
fn rwsem_exclusion() -> CaseResult {
    let sem: RwSemaphore = ktap_try!(kernel::new_rwsem!());
    {
        let _r = sem.read();
        ktap_expect!(sem.try_read().is_some());
        ktap_expect!(sem.try_write().is_none());
    }
    // Moving the Rust value leaves the C structure where it was.
    let moved = [sem];
    let sem = &moved[0];
    {
        let _w = sem.write();
        ktap_expect!(sem.try_read().is_none());
        ktap_expect!(sem.try_write().is_none());
    }
    ktap_expect!(sem.try_write().is_some());
    Ok(())
}

const CASES: &[Case] = &[
    Case {
        name: "page_bounds",
        run: page_bounds,
    },
    Case {
        name: "rwsem_exclusion",
        run: rwsem_exclusion,
    },
    Case {
        name: "map_write_read",
        run: map_write_read,
    },
    Case {
        name: "map_out_of_range",
        run: map_out_of_range,
    },
    Case {
        name: "map_busy",
        run: map_busy,
    },
    Case {
        name: "double_unmap",
        run: double_unmap,
    },
    Case {
        name: "drop_order",
        run: drop_order,
    },
    Case {
        name: "prebuilt_atomic",
        run: prebuilt_atomic,
    },
    Case {
        name: "bad_size",
        run: bad_size,
    },
];

#[cfg(CONFIG_VM_ARENA)]
mod arena {
    use kernel::bindings::arena_list_node;
    use kernel::error::code::*;
    use kernel::ktap::{Case, CaseResult};
    use kernel::page::PAGE_SIZE;
    use kernel::vm_arena::{pages_for, Arena, ArenaSlot, ANY, ATOMIC_MAX_SIZE, F_ATOMIC, MAX_SIZE};
    use kernel::{bindings, ktap_expect, ktap_expect_eq, ktap_try};

    const SIZE: u64 = 64 * PAGE_SIZE as u64;
    const P: u64 = PAGE_SIZE as u64;

    fn create_errors() -> CaseResult {
        ktap_expect_eq!(Arena::create(0, 0, 0).err(), Some(EINVAL));
        ktap_expect_eq!(Arena::create(P + 1, 0, 0).err(), Some(EINVAL));
        ktap_expect_eq!(Arena::create(SIZE, 1 << 7, 0).err(), Some(EINVAL));
        ktap_expect_eq!(Arena::create(MAX_SIZE + P, 0, 0).err(), Some(E2BIG));
        ktap_expect_eq!(
            Arena::create(ATOMIC_MAX_SIZE + P, F_ATOMIC, 0).err(),
            Some(E2BIG)
        );
        let a = ktap_try!(Arena::create(SIZE, 0, 0));
        ktap_expect_eq!(a.size(), SIZE);
        ktap_expect_eq!(a.pages_in_use(), 0);
        ktap_expect_eq!(a.user_base(), 0);
        ktap_expect_eq!(a.user_addr(0), None);
        Ok(())
    }

    fn free_unallocated() -> CaseResult {
        let a = ktap_try!(Arena::create(SIZE, 0, 0));
        // Nothing allocated yet.
        ktap_expect_eq!(a.free(0, 1), Err(ENOENT));
        let off = ktap_try!(a.alloc(Some(4 * P), 2, -1, 0));
        ktap_expect_eq!(off, 4 * P);
        ktap_expect_eq!(a.pages_in_use(), 2);
        // A range reaching past the allocation frees nothing.
        ktap_expect_eq!(a.free(4 * P, 3), Err(ENOENT));
        ktap_expect_eq!(a.pages_in_use(), 2);
        ktap_try!(a.free(4 * P, 2));
        ktap_expect_eq!(a.pages_in_use(), 0);
        // The second free of the same range is refused.
        ktap_expect_eq!(a.free(4 * P, 2), Err(ENOENT));
        // Reserved pages are not allocated either.
        ktap_try!(a.reserve(10 * P, 1));
        ktap_expect_eq!(a.free(10 * P, 1), Err(ENOENT));
        ktap_expect_eq!(a.alloc(Some(10 * P), 1, -1, 0), Err(EBUSY));
        Ok(())
    }

    fn out_of_range() -> CaseResult {
        let a = ktap_try!(Arena::create(SIZE, 0, 0));
        ktap_expect_eq!(a.alloc(Some(SIZE), 1, -1, 0), Err(ERANGE));
        ktap_expect_eq!(a.alloc(Some(SIZE - P), 2, -1, 0), Err(ERANGE));
        ktap_expect_eq!(a.alloc(Some(u64::MAX - P + 1), 1, -1, 0), Err(ERANGE));
        ktap_expect_eq!(a.alloc(ANY, 65, -1, 0), Err(E2BIG));
        ktap_expect_eq!(a.alloc(Some(1), 1, -1, 0), Err(EINVAL));
        ktap_expect_eq!(a.alloc(ANY, 0, -1, 0), Err(EINVAL));
        ktap_expect_eq!(a.free(SIZE, 1), Err(ERANGE));
        ktap_expect_eq!(a.free(u64::MAX, 1), Err(ERANGE));
        ktap_expect_eq!(a.pages_in_use(), 0);
        // Busy: overlapping an allocation.
        ktap_try!(a.alloc(Some(0), 4, -1, 0));
        ktap_expect_eq!(a.alloc(Some(3 * P), 2, -1, 0), Err(EBUSY));
        // Best fit goes elsewhere.
        let off = ktap_try!(a.alloc(ANY, 2, -1, 0));
        ktap_expect!(off >= 4 * P && off + 2 * P <= SIZE);
        ktap_expect_eq!(a.pages_in_use(), 6);
        Ok(())
    }

    fn kernel_access() -> CaseResult {
        let a = ktap_try!(Arena::create(SIZE, 0, 0));
        let mut b = [0u8; 4];
        ktap_expect_eq!(a.read(0, &mut b), Err(EFAULT));
        ktap_expect_eq!(a.write(P, b"data"), Err(EFAULT));
        ktap_expect_eq!(a.read(SIZE - 2, &mut b), Err(ERANGE));
        ktap_expect_eq!(a.write(u64::MAX - 1, b"data"), Err(ERANGE));
        ktap_try!(a.alloc(Some(P), 1, -1, 0));
        ktap_try!(a.write(2 * P - 4, b"data"));
        ktap_try!(a.read(2 * P - 4, &mut b));
        ktap_expect_eq!(&b, b"data");
        // Across the end of the allocation into a free page.
        ktap_expect_eq!(a.write(2 * P - 2, b"data"), Err(EFAULT));
        ktap_try!(a.free(P, 1));
        ktap_expect_eq!(a.read(2 * P - 4, &mut b), Err(EFAULT));
        // A new page reads as zeroes.
        ktap_try!(a.alloc(Some(P), 1, -1, 0));
        ktap_try!(a.read(2 * P - 4, &mut b));
        ktap_expect_eq!(b, [0u8; 4]);
        Ok(())
    }

    fn typed_access() -> CaseResult {
        let a = ktap_try!(Arena::create(SIZE, 0, 0));
        let nodes = [
            arena_list_node { next: 7, value: 1 },
            arena_list_node { next: 0, value: 2 },
        ];
        ktap_expect_eq!(a.write_pods(0, &nodes), Err(EFAULT));
        ktap_try!(a.alloc(Some(0), 1, -1, 0));
        // The second node ends exactly at the end of the page.
        ktap_try!(a.write_pods(P - 32, &nodes));
        let n: arena_list_node = ktap_try!(a.read_pod(P - 16));
        ktap_expect_eq!((n.next, n.value), (0, 2));
        ktap_expect!(a.read_pod::<arena_list_node>(P - 8).is_err());
        ktap_expect_eq!(a.read_pod::<arena_list_node>(SIZE - 8).err(), Some(ERANGE));
        // pages_for() never overflows.
        ktap_expect_eq!(pages_for(0), 0);
        ktap_expect_eq!(pages_for(P + 1), 2);
        ktap_expect_eq!(pages_for(u64::MAX), u64::MAX / P + 1);
        Ok(())
    }

    fn refs_and_slot() -> CaseResult {
        let a = ktap_try!(Arena::create(SIZE, 0, 0));
        let b = a.clone();
        ktap_try!(a.alloc(Some(0), 1, -1, 0));
        // Dropping one reference leaves the arena to the other.
        drop(a);
        ktap_expect_eq!(b.pages_in_use(), 1);
        ktap_try!(b.free(0, 1));
        let slot = ArenaSlot::new();
        ktap_expect!(slot.get().is_none());
        ktap_expect!(slot.set(b).is_ok());
        let again = ktap_try!(Arena::create(SIZE, 0, 0));
        ktap_expect!(slot.set(again).is_err());
        ktap_expect_eq!(slot.get().map(|a| a.size()), Some(SIZE));
        Ok(())
    }

    fn atomic_api() -> CaseResult {
        let plain = ktap_try!(Arena::create(SIZE, 0, 0));
        ktap_expect!(plain.atomic().is_none());
        let a = ktap_try!(Arena::create(SIZE, F_ATOMIC, 0));
        let at = match a.atomic() {
            Some(at) => at,
            None => {
                ktap_expect!(false);
                return Ok(());
            }
        };
        // SAFETY: Disabling local interrupts is always allowed; they are
        // restored below.
        let flags = unsafe { bindings::local_irq_save() };
        let off = at.alloc(ANY, 3, -1);
        let busy = off.and_then(|o| at.alloc(Some(o), 1, -1));
        let bad = at.free(SIZE, 1);
        let freed = off.and_then(|o| at.free(o, 3));
        let twice = off.and_then(|o| at.free(o, 3));
        // SAFETY: `flags` came from `local_irq_save()` above.
        unsafe { bindings::local_irq_restore(flags) };
        ktap_try!(off);
        ktap_expect_eq!(busy, Err(EBUSY));
        ktap_expect_eq!(bad, Err(ERANGE));
        ktap_expect_eq!(freed, Ok(()));
        ktap_expect_eq!(twice, Err(ENOENT));
        a.flush_frees();
        ktap_expect_eq!(a.pages_in_use(), 0);
        Ok(())
    }

    pub(crate) const CASES: &[Case] = &[
        Case {
            name: "create_errors",
            run: create_errors,
        },
        Case {
            name: "free_unallocated",
            run: free_unallocated,
        },
        Case {
            name: "out_of_range",
            run: out_of_range,
        },
        Case {
            name: "kernel_access",
            run: kernel_access,
        },
        Case {
            name: "typed_access",
            run: typed_access,
        },
        Case {
            name: "refs_and_slot",
            run: refs_and_slot,
        },
        Case {
            name: "atomic_api",
            run: atomic_api,
        },
    ];
}

struct VmSparseRustTest;

impl kernel::Module for VmSparseRustTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        run_suite("rust_vm_sparse", CASES);
        #[cfg(CONFIG_VM_ARENA)]
        run_suite("rust_vm_arena", arena::CASES);
        Ok(VmSparseRustTest)
    }
}
