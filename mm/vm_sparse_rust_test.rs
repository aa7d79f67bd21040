// SPDX-License-Identifier: GPL-2.0-only

//! KUnit suites for the Rust bindings: `rust_vm_sparse` (`kernel::page`,
//! `kernel::vm_sparse`, `kernel::irq`, `kernel::rwsem`, `kernel::types`,
//! `kernel::ioctl`) and `rust_vm_arena` (`kernel::vm_arena`).
//!
//! Built in, registered with `kernel::kunit_suite!`: KUnit runs them at
//! boot with the C suites, so `kunit.py run` reports and filters them.

use core::cell::Cell;
use core::ptr::NonNull;
use kernel::irq::IrqsDisabled;
use kernel::kunit::CaseResult;
use kernel::page::{Page, PAGE_SIZE};
use kernel::prelude::*;
use kernel::rwsem::RwSemaphore;
use kernel::types::{ARef, AlwaysRefCounted};
use kernel::vm_sparse::{MapError, SparseArea};
use kernel::{
    bindings,
    error::{code::*, Error},
    kunit_assert, kunit_assert_eq, kunit_try,
};

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
    let mut p = kunit_try!(Page::alloc());
    let mut buf = [0xffu8; 8];
    kunit_try!(p.read(PAGE_SIZE - 8, &mut buf));
    kunit_assert_eq!(buf, [0u8; 8]);
    kunit_try!(p.write(PAGE_SIZE - 3, b"end"));
    kunit_assert_eq!(p.write(PAGE_SIZE - 2, b"end"), Err(ERANGE));
    kunit_assert_eq!(p.read(usize::MAX, &mut buf), Err(ERANGE));
    let mut end = [0u8; 3];
    kunit_try!(p.read(PAGE_SIZE - 3, &mut end));
    kunit_assert_eq!(&end, b"end");
    Ok(())
}

fn map_write_read() -> CaseResult {
    let mut area = kunit_try!(SparseArea::new(AREA_PAGES * PAGE_SIZE));
    kunit_assert_eq!(area.page_count(), AREA_PAGES);
    kunit_assert_eq!(area.mapped_pages(), 0);
    kunit_try!(area.map(4, kunit_try!(pages(3, 10))));
    kunit_assert!(!area.is_mapped(3) && area.is_mapped(4) && area.is_mapped(6));
    kunit_assert!(!area.is_mapped(7));
    // The last usable page (just before the guard page) is mappable.
    kunit_try!(area.map(AREA_PAGES - 1, kunit_try!(pages(1, 50))));
    kunit_assert_eq!(area.mapped_pages(), 4);
    // Data written through the area lands in the pages.
    kunit_try!(area.write(5 * PAGE_SIZE + 100, b"through the area"));
    let mut b = [0u8; 1];
    kunit_try!(area.read(4 * PAGE_SIZE, &mut b));
    kunit_assert_eq!(b[0], 10);
    // A write across two mapped pages works, into an unmapped one fails.
    kunit_try!(area.write(5 * PAGE_SIZE - 2, b"span"));
    kunit_assert_eq!(area.write(7 * PAGE_SIZE - 2, b"span"), Err(EFAULT));
    kunit_assert_eq!(area.read(3 * PAGE_SIZE, &mut b), Err(EFAULT));
    kunit_assert_eq!(area.write(AREA_PAGES * PAGE_SIZE - 1, b"xy"), Err(ERANGE));
    let back = kunit_try!(area.unmap(4, 3));
    kunit_assert_eq!(back.len(), 3);
    let mut s = [0u8; 16];
    kunit_try!(back[1].read(100, &mut s));
    kunit_assert_eq!(&s, b"through the area");
    let mut sp = [0u8; 4];
    kunit_try!(back[0].read(PAGE_SIZE - 2, &mut sp[..2]));
    kunit_try!(back[1].read(0, &mut sp[2..]));
    kunit_assert_eq!(&sp, b"span");
    kunit_assert_eq!(area.mapped_pages(), 1);
    Ok(())
}

fn map_out_of_range() -> CaseResult {
    let mut area = kunit_try!(SparseArea::new(AREA_PAGES * PAGE_SIZE));
    // The guard page right after the area.
    let e = kunit_try!(map_err(area.map(AREA_PAGES, kunit_try!(pages(1, 1))), 1, 1));
    kunit_assert_eq!(e, ERANGE);
    // Straddling the end.
    let e = kunit_try!(map_err(
        area.map(AREA_PAGES - 1, kunit_try!(pages(2, 2))),
        2,
        2
    ));
    kunit_assert_eq!(e, ERANGE);
    // Longer than the whole area.
    let e = kunit_try!(map_err(
        area.map(0, kunit_try!(pages(AREA_PAGES + 1, 3))),
        AREA_PAGES + 1,
        3
    ));
    kunit_assert_eq!(e, E2BIG);
    // Indices whose address arithmetic overflows.
    let e = kunit_try!(map_err(area.map(usize::MAX, kunit_try!(pages(1, 4))), 1, 4));
    kunit_assert_eq!(e, ERANGE);
    let e = kunit_try!(map_err(
        area.map(usize::MAX / PAGE_SIZE, kunit_try!(pages(1, 5))),
        1,
        5
    ));
    kunit_assert_eq!(e, ERANGE);
    // Nothing was left mapped, and the area still works.
    kunit_assert_eq!(area.mapped_pages(), 0);
    kunit_try!(area.map(AREA_PAGES - 2, kunit_try!(pages(2, 6))));
    // An empty map is fine, even at the end of the area.
    kunit_try!(area.map(AREA_PAGES, Vec::new()));
    kunit_assert_eq!(area.mapped_pages(), 2);
    Ok(())
}

fn map_busy() -> CaseResult {
    let mut area = kunit_try!(SparseArea::new(AREA_PAGES * PAGE_SIZE));
    kunit_try!(area.map(2, kunit_try!(pages(2, 1))));
    // Overlapping the end of the existing mapping: all or nothing.
    let e = kunit_try!(map_err(area.map(0, kunit_try!(pages(3, 7))), 3, 7));
    kunit_assert_eq!(e, EBUSY);
    kunit_assert!(!area.is_mapped(0) && !area.is_mapped(1));
    let mut b = [0u8; 1];
    kunit_try!(area.read(2 * PAGE_SIZE, &mut b));
    kunit_assert_eq!(b[0], 1);
    Ok(())
}

fn double_unmap() -> CaseResult {
    let mut area = kunit_try!(SparseArea::new(AREA_PAGES * PAGE_SIZE));
    kunit_try!(area.map(0, kunit_try!(pages(2, 20))));
    let back = kunit_try!(area.unmap(0, 2));
    kunit_assert_eq!(back.len(), 2);
    kunit_assert_eq!(kunit_try!(first_byte(&back[1])), 21);
    // The second unmap of the same range is refused, not a double free.
    kunit_assert_eq!(area.unmap(0, 2).err(), Some(ENOENT));
    kunit_assert_eq!(area.unmap(1, 1).err(), Some(ENOENT));
    // A range with a hole unmaps nothing.
    kunit_try!(area.map(5, kunit_try!(pages(1, 30))));
    kunit_assert_eq!(area.unmap(5, 2).err(), Some(ENOENT));
    kunit_assert!(area.is_mapped(5));
    // Out of range (the C call would warn: it is never reached).
    kunit_assert_eq!(area.unmap(AREA_PAGES, 1).err(), Some(ERANGE));
    kunit_assert_eq!(area.unmap(usize::MAX, 2).err(), Some(ERANGE));
    kunit_assert_eq!(area.unmap(0, 0).map(|v| v.len()), Ok(0));
    // The unmapped range can be mapped again.
    kunit_try!(area.map(0, back));
    kunit_assert_eq!(area.mapped_pages(), 3);
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
        let mut area = kunit_try!(SparseArea::new(PAGES * PAGE_SIZE));
        kunit_try!(area.map(0, kunit_try!(pages(PAGES, 0))));
    }
    let before = free_pages();
    for r in 0..ROUNDS {
        let mut area = kunit_try!(SparseArea::new(PAGES * PAGE_SIZE));
        kunit_try!(area.map(0, kunit_try!(pages(PAGES, r as u8))));
        let mut b = [0u8; 1];
        kunit_try!(area.read((PAGES - 1) * PAGE_SIZE, &mut b));
        kunit_assert_eq!(b[0], (r + PAGES - 1) as u8);
        // Dropped with every page mapped: the drop unmaps (and flushes),
        // frees the area, then the pages.
    }
    let after = free_pages();
    // ROUNDS * PAGES data pages went through the areas: had the drop
    // leaked them, all of them would be missing.  The slack covers what
    // the kernel keeps around meanwhile (per-cpu lists, lazily purged
    // vmap areas, KASAN shadow in the debug configuration).
    kunit_assert!(after + ROUNDS * PAGES / 4 >= before);
    Ok(())
}

fn irqs_disabled() -> bool {
    // SAFETY: Reads the interrupt flag.
    unsafe { bindings::irqs_disabled() }
}

fn prebuilt_atomic() -> CaseResult {
    let mut area = kunit_try!(SparseArea::new_prebuilt(AREA_PAGES * PAGE_SIZE));
    let tables = area.pgtable_pages();
    kunit_assert!(tables >= 1);
    // Vectors allocate with GFP_KERNEL: make room before interrupts go
    // off (the pages themselves are allocated with GFP_ATOMIC inside).
    let mut v = Vec::new();
    kunit_try!(v.try_reserve_exact(4));
    let mut w = Vec::new();
    kunit_try!(w.try_reserve_exact(1));
    let ret: Result<(bool, Error, Error)> = (|| {
        let irqs = IrqsDisabled::disable();
        let mut a = area.atomic(&irqs);
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
    })();
    let (off, busy, range) = kunit_try!(ret);
    kunit_assert!(off);
    kunit_assert!(!irqs_disabled());
    kunit_assert_eq!(busy, EBUSY);
    kunit_assert_eq!(range, ERANGE);
    // Mapping never added page tables.
    kunit_assert_eq!(area.pgtable_pages(), tables);
    kunit_assert_eq!(area.mapped_pages(), 4);
    let back = kunit_try!(area.unmap(8, 4));
    let mut s = [0u8; 6];
    kunit_try!(back[0].read(0, &mut s));
    kunit_assert_eq!(&s, b"atomic");
    // The sleeping map works on a prebuilt area too.
    kunit_try!(area.map(0, back));
    Ok(())
}

fn bad_size() -> CaseResult {
    kunit_assert_eq!(SparseArea::new(0).err(), Some(EINVAL));
    kunit_assert_eq!(SparseArea::new_prebuilt(0).err(), Some(EINVAL));
    // Rounded up to whole pages.
    let area = kunit_try!(SparseArea::new(PAGE_SIZE + 1));
    kunit_assert_eq!(area.page_count(), 2);
    kunit_assert_eq!(area.size(), 2 * PAGE_SIZE);
    kunit_assert!(area.base() % PAGE_SIZE == 0);
    Ok(())
}

/// The C semaphore behind `RwSemaphore`: shared reads, exclusive writes,
/// released by the guards, and still working after the Rust value moved.
fn rwsem_exclusion() -> CaseResult {
    let sem: RwSemaphore = kunit_try!(kernel::new_rwsem!());
    {
        let _r = sem.read();
        kunit_assert!(sem.try_read().is_some());
        kunit_assert!(sem.try_write().is_none());
    }
    // Moving the Rust value leaves the C structure where it was.
    let moved = [sem];
    let sem = &moved[0];
    {
        let _w = sem.write();
        kunit_assert!(sem.try_read().is_none());
        kunit_assert!(sem.try_write().is_none());
    }
    kunit_assert!(sem.try_write().is_some());
    Ok(())
}

/// Nested tokens restore what they saved, in scope order.
fn irq_token_nesting() -> CaseResult {
    let was = irqs_disabled();
    {
        let _outer = IrqsDisabled::disable();
        {
            let _inner = IrqsDisabled::disable();
            kunit_assert!(irqs_disabled());
        }
        // The inner guard restored "disabled", what it found.
        kunit_assert!(irqs_disabled());
    }
    kunit_assert_eq!(irqs_disabled(), was);
    Ok(())
}

/// An area larger than one kmalloc'd slot array could track (more than
/// 512 Ki pages, 2 GiB with 4 KiB pages): its slots come from vmalloc.
fn large_area() -> CaseResult {
    const PAGES: usize = 1 << 20;
    let mut area = kunit_try!(SparseArea::new(PAGES * PAGE_SIZE));
    kunit_assert_eq!(area.page_count(), PAGES);
    // Both ends of the area, far apart.
    kunit_try!(area.map(0, kunit_try!(pages(1, 1))));
    kunit_try!(area.map(PAGES - 1, kunit_try!(pages(1, 2))));
    let mut b = [0u8; 1];
    kunit_try!(area.read((PAGES - 1) * PAGE_SIZE, &mut b));
    kunit_assert_eq!(b[0], 2);
    kunit_assert_eq!(area.mapped_pages(), 2);
    let back = kunit_try!(area.unmap(PAGES - 1, 1));
    kunit_assert_eq!(kunit_try!(first_byte(&back[0])), 2);
    // Dropped with page 0 still mapped.
    Ok(())
}

struct Counted(Cell<usize>);

// SAFETY: `dec_ref` never frees: the objects are locals of the test that
// outlive every `ARef` made from them.
unsafe impl AlwaysRefCounted for Counted {
    fn inc_ref(&self) {
        self.0.set(self.0.get() + 1);
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a reference, so `obj` is valid.
        let c = unsafe { obj.as_ref() };
        c.0.set(c.0.get() - 1);
    }
}

/// `ARef` takes a reference per clone and gives each back once.
fn aref_counts() -> CaseResult {
    let obj = Counted(Cell::new(1));
    {
        let a: ARef<Counted> = ARef::from(&obj);
        let b = a.clone();
        kunit_assert_eq!(obj.0.get(), 3);
        let raw = ARef::into_raw(b);
        kunit_assert_eq!(obj.0.get(), 3);
        // SAFETY: `raw` carries the reference `into_raw` gave up.
        drop(unsafe { ARef::from_raw(raw) });
        kunit_assert_eq!(obj.0.get(), 2);
        kunit_assert_eq!(a.0.get(), 2);
    }
    kunit_assert_eq!(obj.0.get(), 1);
    Ok(())
}

/// The ioctl numbers match the C macros' (values from asm-generic).
fn ioctl_numbers() -> CaseResult {
    use kernel::ioctl::{_IO, _IOR, _IOW, _IOWR};
    kunit_assert_eq!(_IO(0xB8, 7), 0xB807);
    kunit_assert_eq!(_IOR::<u64>(0xB8, 5), 0x8008_B805);
    kunit_assert_eq!(_IOW::<[u8; 24]>(0xB8, 0), 0x4018_B800);
    kunit_assert_eq!(_IOWR::<u32>(0xB8, 255), 0xC004_B8FF);
    Ok(())
}

/// A user slice is consumed as it is read: reads past its end fail
/// without copying, a failed copy empties the reader, and a kernel
/// address is refused by `copy_from_user()` (`access_ok()`).
fn user_slice_consumed() -> CaseResult {
    use kernel::uaccess::UserSlice;
    let mut r = UserSlice::new(0x1000, 8).reader();
    let mut big = [0u8; 16];
    kunit_assert_eq!(r.read_slice(&mut big).err(), Some(EFAULT));
    // Nothing was consumed by the refused read.
    kunit_assert_eq!(r.len(), 8);
    kunit_try!(r.skip(4));
    kunit_assert_eq!(r.len(), 4);
    kunit_assert_eq!(r.read::<u64>().err(), Some(EFAULT));
    // A kernel address is never user memory; the reader is then empty.
    let page = kunit_try!(Page::alloc());
    let kaddr = page.as_ptr() as usize;
    let mut k = UserSlice::new(kaddr, 8).reader();
    kunit_assert_eq!(k.read::<u32>().err(), Some(EFAULT));
    kunit_assert!(k.is_empty());
    let mut w = UserSlice::new(kaddr, 8).writer();
    kunit_assert_eq!(w.write(&0u64).err(), Some(EFAULT));
    kunit_assert!(w.is_empty());
    Ok(())
}

kernel::kunit_suite!(
    rust_vm_sparse,
    [
        page_bounds,
        rwsem_exclusion,
        map_write_read,
        map_out_of_range,
        map_busy,
        double_unmap,
        drop_order,
        prebuilt_atomic,
        irq_token_nesting,
        large_area,
        bad_size,
        aref_counts,
        ioctl_numbers,
        user_slice_consumed,
    ]
);

#[cfg(CONFIG_VM_ARENA)]
mod arena {
    use kernel::bindings::arena_list_node;
    use kernel::error::code::*;
    use kernel::irq::IrqsDisabled;
    use kernel::kunit::CaseResult;
    use kernel::page::PAGE_SIZE;
    use kernel::vm_arena::{
        pages_for, Arena, ArenaPtr, ArenaSlot, ANY, ATOMIC_MAX_SIZE, F_ATOMIC, MAX_SIZE,
    };
    use kernel::{kunit_assert, kunit_assert_eq, kunit_try};

    const SIZE: u64 = 64 * PAGE_SIZE as u64;
    const P: u64 = PAGE_SIZE as u64;

    fn create_errors() -> CaseResult {
        kunit_assert_eq!(Arena::create(0, 0, 0).err(), Some(EINVAL));
        kunit_assert_eq!(Arena::create(P + 1, 0, 0).err(), Some(EINVAL));
        kunit_assert_eq!(Arena::create(SIZE, 1 << 7, 0).err(), Some(EINVAL));
        kunit_assert_eq!(Arena::create(MAX_SIZE + P, 0, 0).err(), Some(E2BIG));
        kunit_assert_eq!(
            Arena::create(ATOMIC_MAX_SIZE + P, F_ATOMIC, 0).err(),
            Some(E2BIG)
        );
        let a = kunit_try!(Arena::create(SIZE, 0, 0));
        kunit_assert_eq!(a.size(), SIZE);
        kunit_assert_eq!(a.pages_in_use(), 0);
        kunit_assert_eq!(a.user_base(), 0);
        kunit_assert_eq!(a.user_addr(0), None);
        Ok(())
    }

    fn free_unallocated() -> CaseResult {
        let a = kunit_try!(Arena::create(SIZE, 0, 0));
        // Nothing allocated yet.
        kunit_assert_eq!(a.free(0, 1), Err(ENOENT));
        let off = kunit_try!(a.alloc(Some(4 * P), 2, -1, 0));
        kunit_assert_eq!(off, 4 * P);
        kunit_assert_eq!(a.pages_in_use(), 2);
        // A range reaching past the allocation frees nothing.
        kunit_assert_eq!(a.free(4 * P, 3), Err(ENOENT));
        kunit_assert_eq!(a.pages_in_use(), 2);
        kunit_try!(a.free(4 * P, 2));
        kunit_assert_eq!(a.pages_in_use(), 0);
        // The second free of the same range is refused.
        kunit_assert_eq!(a.free(4 * P, 2), Err(ENOENT));
        // Reserved pages are not allocated either.
        kunit_try!(a.reserve(10 * P, 1));
        kunit_assert_eq!(a.free(10 * P, 1), Err(ENOENT));
        kunit_assert_eq!(a.alloc(Some(10 * P), 1, -1, 0), Err(EBUSY));
        Ok(())
    }

    fn out_of_range() -> CaseResult {
        let a = kunit_try!(Arena::create(SIZE, 0, 0));
        kunit_assert_eq!(a.alloc(Some(SIZE), 1, -1, 0), Err(ERANGE));
        kunit_assert_eq!(a.alloc(Some(SIZE - P), 2, -1, 0), Err(ERANGE));
        kunit_assert_eq!(a.alloc(Some(u64::MAX - P + 1), 1, -1, 0), Err(ERANGE));
        kunit_assert_eq!(a.alloc(ANY, 65, -1, 0), Err(E2BIG));
        kunit_assert_eq!(a.alloc(Some(1), 1, -1, 0), Err(EINVAL));
        kunit_assert_eq!(a.alloc(ANY, 0, -1, 0), Err(EINVAL));
        kunit_assert_eq!(a.free(SIZE, 1), Err(ERANGE));
        kunit_assert_eq!(a.free(u64::MAX, 1), Err(ERANGE));
        kunit_assert_eq!(a.pages_in_use(), 0);
        // Busy: overlapping an allocation.
        kunit_try!(a.alloc(Some(0), 4, -1, 0));
        kunit_assert_eq!(a.alloc(Some(3 * P), 2, -1, 0), Err(EBUSY));
        // Best fit goes elsewhere.
        let off = kunit_try!(a.alloc(ANY, 2, -1, 0));
        kunit_assert!(off >= 4 * P && off + 2 * P <= SIZE);
        kunit_assert_eq!(a.pages_in_use(), 6);
        Ok(())
    }

    fn kernel_access() -> CaseResult {
        let a = kunit_try!(Arena::create(SIZE, 0, 0));
        let mut b = [0u8; 4];
        kunit_assert_eq!(a.read(0, &mut b), Err(EFAULT));
        kunit_assert_eq!(a.write(P, b"data"), Err(EFAULT));
        kunit_assert_eq!(a.read(SIZE - 2, &mut b), Err(ERANGE));
        kunit_assert_eq!(a.write(u64::MAX - 1, b"data"), Err(ERANGE));
        kunit_try!(a.alloc(Some(P), 1, -1, 0));
        kunit_try!(a.write(2 * P - 4, b"data"));
        kunit_try!(a.read(2 * P - 4, &mut b));
        kunit_assert_eq!(&b, b"data");
        // Across the end of the allocation into a free page.
        kunit_assert_eq!(a.write(2 * P - 2, b"data"), Err(EFAULT));
        kunit_try!(a.free(P, 1));
        kunit_assert_eq!(a.read(2 * P - 4, &mut b), Err(EFAULT));
        // A new page reads as zeroes.
        kunit_try!(a.alloc(Some(P), 1, -1, 0));
        kunit_try!(a.read(2 * P - 4, &mut b));
        kunit_assert_eq!(b, [0u8; 4]);
        Ok(())
    }

    fn typed_access() -> CaseResult {
        let a = kunit_try!(Arena::create(SIZE, 0, 0));
        let nodes = [
            arena_list_node { next: 7, value: 1 },
            arena_list_node { next: 0, value: 2 },
        ];
        kunit_assert_eq!(a.write_pods(0, &nodes), Err(EFAULT));
        kunit_try!(a.alloc(Some(0), 1, -1, 0));
        // The second node ends exactly at the end of the page.
        kunit_try!(a.write_pods(P - 32, &nodes));
        let n: arena_list_node = kunit_try!(a.read_pod(P - 16));
        kunit_assert_eq!((n.next, n.value), (0, 2));
        kunit_assert!(a.read_pod::<arena_list_node>(P - 8).is_err());
        kunit_assert_eq!(a.read_pod::<arena_list_node>(SIZE - 8).err(), Some(ERANGE));
        // pages_for() never overflows.
        kunit_assert_eq!(pages_for(0), 0);
        kunit_assert_eq!(pages_for(P + 1), 2);
        kunit_assert_eq!(pages_for(u64::MAX), u64::MAX / P + 1);
        Ok(())
    }

    fn refs_and_slot() -> CaseResult {
        let a = kunit_try!(Arena::create(SIZE, 0, 0));
        let b = a.clone();
        kunit_try!(a.alloc(Some(0), 1, -1, 0));
        // Dropping one reference leaves the arena to the other.
        drop(a);
        kunit_assert_eq!(b.pages_in_use(), 1);
        kunit_try!(b.free(0, 1));
        let slot = ArenaSlot::new();
        kunit_assert!(slot.get().is_none());
        kunit_assert!(slot.set(b).is_ok());
        let again = kunit_try!(Arena::create(SIZE, 0, 0));
        kunit_assert!(slot.set(again).is_err());
        kunit_assert_eq!(slot.get().map(|a| a.size()), Some(SIZE));
        Ok(())
    }

    fn atomic_api() -> CaseResult {
        let plain = kunit_try!(Arena::create(SIZE, 0, 0));
        let a = kunit_try!(Arena::create(SIZE, F_ATOMIC, 0));
        // Everything is checked after the section: reporting a failure
        // allocates and may sleep.
        let irqs = IrqsDisabled::disable();
        // Needs the token of this section; a plain arena has none.
        let plain_none = plain.atomic(&irqs).is_none();
        let (off, busy, bad, freed, twice) = match a.atomic(&irqs) {
            Some(at) => {
                let off = at.alloc(ANY, 3, -1);
                (
                    off,
                    off.and_then(|o| at.alloc(Some(o), 1, -1)),
                    at.free(SIZE, 1),
                    off.and_then(|o| at.free(o, 3)),
                    off.and_then(|o| at.free(o, 3)),
                )
            }
            None => (Err(EINVAL), Ok(0), Ok(()), Ok(()), Ok(())),
        };
        drop(irqs);
        kunit_assert!(plain_none);
        kunit_try!(off);
        kunit_assert_eq!(busy, Err(EBUSY));
        kunit_assert_eq!(bad, Err(ERANGE));
        kunit_assert_eq!(freed, Ok(()));
        kunit_assert_eq!(twice, Err(ENOENT));
        a.flush_frees();
        kunit_assert_eq!(a.pages_in_use(), 0);
        Ok(())
    }

    /// `ArenaPtr` positions and `ArenaPages` ownership.
    fn typed_pointers() -> CaseResult {
        let a = kunit_try!(Arena::create(SIZE, 0, 0));
        {
            let pages = kunit_try!(a.alloc_pages(Some(2 * P), 1, -1, 0));
            kunit_assert_eq!((pages.offset(), pages.count()), (2 * P, 1));
            kunit_assert_eq!(a.pages_in_use(), 1);
            let per_page = P / 16;
            kunit_assert!(pages.ptr::<arena_list_node>(per_page).is_none());
            let last = match pages.ptr::<arena_list_node>(per_page - 1) {
                Some(p) => p,
                None => {
                    kunit_assert!(false);
                    return Ok(());
                }
            };
            kunit_assert_eq!(last.offset(), 3 * P - 16);
            kunit_try!(last.write(&a, &arena_list_node { next: 9, value: 4 }));
            let n = kunit_try!(last.read(&a));
            kunit_assert_eq!((n.next, n.value), (9, 4));
            // The next node is on a page that is not allocated.
            let beyond = last.add(1).map(|p| p.read(&a).err());
            kunit_assert_eq!(beyond, Some(Some(EFAULT)));
            // No user mapping yet: no user address either way.
            kunit_assert_eq!(last.to_user(&a), None);
            kunit_assert_eq!(
                ArenaPtr::<arena_list_node>::from_user(&a, 0x1000).err(),
                Some(EFAULT)
            );
            kunit_assert_eq!(
                ArenaPtr::<arena_list_node>::from_user(&a, 0x1004).err(),
                Some(EINVAL)
            );
            kunit_assert!(ArenaPtr::<u64>::from_offset(u64::MAX).add(1).is_none());
        }
        // Dropping the allocation freed its page.
        kunit_assert_eq!(a.pages_in_use(), 0);
        kunit_assert_eq!(a.free(2 * P, 1), Err(ENOENT));
        // A kept allocation stays.
        let kept = kunit_try!(a.alloc_pages(ANY, 2, -1, 0)).keep();
        kunit_assert_eq!(a.pages_in_use(), 2);
        kunit_try!(a.free(kept.0, kept.1));
        // Freed behind its back, the drop's free fails quietly.
        {
            let pages = kunit_try!(a.alloc_pages(Some(0), 1, -1, 0));
            kunit_try!(a.free(pages.offset(), 1));
        }
        kunit_assert_eq!(a.pages_in_use(), 0);
        Ok(())
    }

    kernel::kunit_suite!(
        rust_vm_arena,
        [
            create_errors,
            free_unallocated,
            out_of_range,
            kernel_access,
            typed_access,
            refs_and_slot,
            atomic_api,
            typed_pointers,
        ]
    );
}
