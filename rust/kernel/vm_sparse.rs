// SPDX-License-Identifier: GPL-2.0

//! Sparse kernel virtual areas.
//!
//! C header: [`include/linux/vm_sparse.h`](../../../../include/linux/vm_sparse.h)
//!
//! A [`SparseArea`] reserves a range of kernel virtual address space and
//! maps [`Page`]s into it on demand.  The Rust type encodes the rules the C
//! API leaves to its callers (see `Documentation/mm/vm_sparse.rst`):
//!
//! - **Ownership.** Mapping a page *moves* it into the area, and
//!   [`SparseArea::unmap`] hands it back only after the C unmap (and its TLB
//!   flush) has returned.  A mapped page therefore cannot be freed while it
//!   is mapped.  Dropping the area first unmaps everything still mapped
//!   with `vm_area_unmap_pages()` (which flushes the TLB on every CPU
//!   before it returns), then frees the kernel area with `free_vm_area()`,
//!   and only then frees the pages it still owns.
//! - **Ranges.** Positions are page indices inside the area.  A range that
//!   reaches outside the area is an [`Err`], never undefined behaviour: the
//!   C core decides (`ERANGE`, `E2BIG`) and the Rust side only guards the
//!   arithmetic against overflow.  Unmapping a slot that holds no page of
//!   this area (for instance a second unmap of the same range) is `ENOENT`
//!   and changes nothing.
//! - **Serialisation.** Mapping and unmapping take `&mut self`, which gives
//!   the exclusion the C API asks for on overlapping ranges.
//! - **Context.** [`SparseArea::map`], [`SparseArea::unmap`], creation and
//!   drop may sleep.  Only a prebuilt area ([`SparseArea<Prebuilt>`]) has an
//!   atomic API, the [`AtomicMapper`], which needs the token of a section
//!   with interrupts disabled ([`IrqsDisabled`]) and exposes nothing that
//!   sleeps (see [`crate::irq`] for the argument).
//!
//! The area keeps one `Option<Page>` (8 bytes) per page of address space to
//! own its pages: 2 KiB per MiB of area, allocated with the area by
//! `kvmalloc()` (or `vmalloc()` past `kvmalloc()`'s `INT_MAX` limit), so a
//! Rust area can be as large as the kernel address space allows a C one.
//!
//! # Examples
//!
//! ```
//! use kernel::page::{Page, PAGE_SIZE};
//! use kernel::prelude::*;
//! use kernel::vm_sparse::SparseArea;
//!
//! fn example() -> Result {
//!     let mut area = SparseArea::new(16 * PAGE_SIZE)?;
//!     let mut pages = Vec::new();
//!     pages.try_push(Page::alloc()?)?;
//!     // Put one page at index 3; the rest of the area stays unmapped.
//!     area.map(3, pages)?;
//!     area.write(3 * PAGE_SIZE + 16, b"hi")?;
//!     // The guard page and anything beyond the area are refused.
//!     let mut more = Vec::new();
//!     more.try_push(Page::alloc()?)?;
//!     assert!(area.map(16, more).is_err());
//!     let back = area.unmap(3, 1)?;
//!     let mut buf = [0u8; 2];
//!     back[0].read(16, &mut buf)?;
//!     assert_eq!(&buf, b"hi");
//!     // A second unmap of the same page is an error, not a double free.
//!     assert!(area.unmap(3, 1).is_err());
//!     Ok(())
//! }
//! ```

use crate::{
    bindings,
    error::{code::*, to_result, Error, Result},
    irq::IrqsDisabled,
    page::{Page, PAGE_SHIFT, PAGE_SIZE},
};
use alloc::vec::Vec;
use core::{marker::PhantomData, mem::size_of, ptr::NonNull};

mod private {
    pub trait Sealed {}
}

/// The kind of a sparse area: [`OnDemand`] or [`Prebuilt`].
pub trait Kind: private::Sealed {}

/// An ordinary sparse area: page tables are allocated when pages are
/// mapped, so every mapping call may sleep.
pub struct OnDemand;

/// A prebuilt sparse area: page tables exist from creation, so pages can
/// also be mapped in atomic context through an [`AtomicMapper`].
pub struct Prebuilt;

impl private::Sealed for OnDemand {}
impl private::Sealed for Prebuilt {}
impl Kind for OnDemand {}
impl Kind for Prebuilt {}

/// The error of a failed map: the C error code and the pages, which stay
/// the caller's.
pub struct MapError {
    /// Why the map failed: `EINVAL`, `ERANGE`, `E2BIG`, `EBUSY`, `ENOMEM`
    /// or `EFAULT`, as documented for `vm_area_map_pages()`.
    pub error: Error,
    /// The pages that were to be mapped, untouched.
    pub pages: Vec<Page>,
}

impl From<MapError> for Error {
    fn from(e: MapError) -> Error {
        e.error
    }
}

/// The page slots of an area: `len` `Option<Page>`s in one zeroed
/// `kvmalloc()`/`vmalloc()` allocation (all `None`: `Option<Page>` is a
/// nullable pointer).
///
/// # Invariants
///
/// `ptr` points to `len` initialised `Option<Page>`s allocated by
/// [`Slots::new`] and owned by this instance; `kvfree()` frees them in
/// `drop`, after the pages left in them are dropped.
struct Slots {
    ptr: NonNull<Option<Page>>,
    len: usize,
}

impl Slots {
    fn new(len: usize) -> Result<Self> {
        let bytes = len.checked_mul(size_of::<Option<Page>>()).ok_or(ENOMEM)?;
        if len == 0 {
            return Err(EINVAL);
        }
        let gfp = bindings::GFP_KERNEL | bindings::BINDINGS___GFP_ZERO | bindings::___GFP_NOWARN;
        // SAFETY: Plain allocations; `kvmalloc_node()` refuses more than
        // `INT_MAX` bytes, so larger arrays come from `__vmalloc()`.
        let p = unsafe {
            if bytes <= i32::MAX as usize {
                bindings::kvmalloc_node(bytes, gfp, -1)
            } else {
                bindings::__vmalloc(bytes as _, gfp)
            }
        };
        let ptr = NonNull::new(p.cast::<Option<Page>>()).ok_or(ENOMEM)?;
        // INVARIANT: zeroed memory is `len` `None`s.
        Ok(Self { ptr, len })
    }

    fn as_slice(&self) -> &[Option<Page>] {
        // SAFETY: `len` initialised slots owned by `self` (type invariant).
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    fn as_mut_slice(&mut self) -> &mut [Option<Page>] {
        // SAFETY: As above; `&mut self` makes the access exclusive.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for Slots {
    fn drop(&mut self) {
        // SAFETY: The slots are initialised and owned (type invariant);
        // each is dropped once, here, freeing the pages still in them.
        unsafe { core::ptr::drop_in_place(self.as_mut_slice() as *mut [Option<Page>]) };
        // SAFETY: Allocated by `kvmalloc_node()` or `__vmalloc()` in
        // `new`, both of which `kvfree()` frees; not used afterwards.
        unsafe { bindings::kvfree(self.ptr.as_ptr().cast()) };
    }
}

// SAFETY: `Slots` owns its pages, which are `Send`.
unsafe impl Send for Slots {}

// SAFETY: `&Slots` only reads the slots; `Page` is `Sync`.
unsafe impl Sync for Slots {}

/// A sparse kernel virtual area that owns the pages mapped into it.
///
/// # Invariants
///
/// - `area` points to a `struct vm_struct` created by `get_sparse_vm_area()`
///   (kind [`OnDemand`]) or `get_prebuilt_sparse_vm_area()` (kind
///   [`Prebuilt`]), owned by this instance and freed only in `drop`.
/// - `slots.len` is the number of usable pages of the area (guard page
///   excluded), and slot `i` is `Some(page)` exactly when this instance
///   mapped `page` at `base + i * PAGE_SIZE` and has not unmapped it.
///   Nothing else is mapped in the area; `mapped` counts the `Some`s.
pub struct SparseArea<K: Kind = OnDemand> {
    area: NonNull<bindings::vm_struct>,
    slots: Slots,
    mapped: usize,
    _kind: PhantomData<K>,
}

// SAFETY: The area and the pages it owns have no thread affinity; the C
// functions may be called from any thread.
unsafe impl<K: Kind> Send for SparseArea<K> {}

// SAFETY: Methods taking `&self` only read the area (its address, size and
// mapped memory); everything that changes it takes `&mut self`.
unsafe impl<K: Kind> Sync for SparseArea<K> {}

impl<K: Kind> SparseArea<K> {
    fn from_raw(size: usize, area: *mut bindings::vm_struct) -> Result<Self> {
        let area = NonNull::new(area).ok_or(if size == 0 { EINVAL } else { ENOMEM })?;
        // SAFETY: `area` is a valid area that we own (freed below on error).
        let usable = unsafe { bindings::get_vm_area_size(area.as_ptr()) } >> PAGE_SHIFT;
        let slots = match Slots::new(usable) {
            Ok(slots) => slots,
            Err(e) => {
                // SAFETY: Nothing is mapped yet and we own the area.
                unsafe { bindings::free_vm_area(area.as_ptr()) };
                return Err(e);
            }
        };
        // INVARIANT: a fresh area with every slot empty; nothing mapped.
        Ok(Self {
            area,
            slots,
            mapped: 0,
            _kind: PhantomData,
        })
    }

    /// Kernel virtual address of the first page of the area.
    pub fn base(&self) -> usize {
        // SAFETY: `self.area` is valid by the type invariant.
        unsafe { (*self.area.as_ptr()).addr as usize }
    }

    /// Usable size of the area in bytes (the guard page excluded).
    pub fn size(&self) -> usize {
        self.slots.len << PAGE_SHIFT
    }

    /// Number of usable pages of the area.
    pub fn page_count(&self) -> usize {
        self.slots.len
    }

    /// Returns `true` if a page is mapped at `index`.
    pub fn is_mapped(&self, index: usize) -> bool {
        matches!(self.slots.as_slice().get(index), Some(Some(_)))
    }

    /// Number of pages mapped in the area.
    pub fn mapped_pages(&self) -> usize {
        self.mapped
    }

    /// Page-table pages covering the area (`vm_area_pgtable_pages()`).
    pub fn pgtable_pages(&self) -> usize {
        // SAFETY: `self.area` is a valid sparse area by the type invariant.
        unsafe { bindings::vm_area_pgtable_pages(self.area.as_ptr()) as usize }
    }

    /// Returns the raw `struct vm_struct` pointer, valid while `self` is.
    pub fn as_ptr(&self) -> *mut bindings::vm_struct {
        self.area.as_ptr()
    }

    /// Kernel addresses `[start, end)` of `count` pages at `index`.
    fn range(&self, index: usize, count: usize) -> Result<(usize, usize)> {
        let off = index.checked_mul(PAGE_SIZE).ok_or(ERANGE)?;
        let len = count.checked_mul(PAGE_SIZE).ok_or(ERANGE)?;
        let start = self.base().checked_add(off).ok_or(ERANGE)?;
        let end = start.checked_add(len).ok_or(ERANGE)?;
        Ok((start, end))
    }

    /// Maps `pages` at `index`, `index + 1`, ... and takes ownership of them.
    ///
    /// Page tables are allocated as needed.  An empty `pages` succeeds and
    /// does nothing.  On failure nothing is mapped and the pages come back
    /// in the [`MapError`].
    ///
    /// Context: process context; may sleep.
    ///
    /// Errors: `ERANGE` if the range reaches outside the area, `E2BIG` if
    /// it is longer than the area, `EBUSY` if a page is already mapped in
    /// it, `ENOMEM` if a page table could not be allocated.
    pub fn map(&mut self, index: usize, pages: Vec<Page>) -> core::result::Result<(), MapError> {
        let ret = self.range(index, pages.len()).and_then(|(start, end)| {
            // SAFETY: `self.area` is a valid sparse area; `pages` holds
            // `(end - start) / PAGE_SIZE` valid pages laid out as a C
            // `struct page *` array (`Page` is `repr(transparent)`), which
            // the callee only reads.  `&mut self` serialises us against
            // every other map and unmap of this area.
            to_result(unsafe {
                bindings::vm_area_map_pages(
                    self.area.as_ptr(),
                    start as _,
                    end as _,
                    pages.as_ptr() as *mut *mut bindings::page,
                )
            })
        });
        self.adopt(index, pages, ret)
    }

    /// Moves `pages` into the slots at `index` after a successful map.
    fn adopt(
        &mut self,
        index: usize,
        pages: Vec<Page>,
        ret: Result,
    ) -> core::result::Result<(), MapError> {
        if let Err(error) = ret {
            return Err(MapError { error, pages });
        }
        // The C call accepted the range, so it lies inside the area and
        // every slot in it was empty (it would have failed with EBUSY).
        // INVARIANT: the slots now record exactly what is mapped.
        self.mapped += pages.len();
        let slots = self
            .slots
            .as_mut_slice()
            .get_mut(index..)
            .unwrap_or(&mut []);
        for (slot, page) in slots.iter_mut().zip(pages) {
            *slot = Some(page);
        }
        Ok(())
    }

    /// Unmaps `count` pages at `index` and returns them to the caller.
    ///
    /// Every slot in the range must hold a page mapped by this area;
    /// otherwise nothing is unmapped.  The TLB is flushed on every CPU
    /// before the pages are returned, so they may be freed or reused at
    /// once.  `count == 0` returns an empty vector.
    ///
    /// Context: process context; may sleep.
    ///
    /// Errors: `ERANGE` if the range reaches outside the area, `ENOENT` if a
    /// slot in it holds no page (for instance a second unmap of the same
    /// range), `ENOMEM` if the returned vector could not be allocated.
    pub fn unmap(&mut self, index: usize, count: usize) -> Result<Vec<Page>> {
        let (start, end) = self.range(index, count)?;
        let last = index.checked_add(count).ok_or(ERANGE)?;
        if last > self.slots.len {
            return Err(ERANGE);
        }
        if self.slots.as_slice()[index..last]
            .iter()
            .any(|s| s.is_none())
        {
            return Err(ENOENT);
        }
        let mut out = Vec::new();
        out.try_reserve_exact(count)?;
        // SAFETY: The range lies inside the area (checked above) and
        // `&mut self` serialises us against other maps and unmaps.
        unsafe { bindings::vm_area_unmap_pages(self.area.as_ptr(), start as _, end as _) };
        // INVARIANT: the range is unmapped and its slots emptied.
        self.mapped -= count;
        for slot in &mut self.slots.as_mut_slice()[index..last] {
            if let Some(page) = slot.take() {
                // Cannot fail: the capacity was reserved above.
                let _ = out.try_push(page);
            }
        }
        Ok(out)
    }

    /// Checks that `[offset, offset + len)` is inside the area and mapped.
    fn check_mapped(&self, offset: usize, len: usize) -> Result {
        let end = offset.checked_add(len).ok_or(ERANGE)?;
        if end > self.size() {
            return Err(ERANGE);
        }
        if len == 0 {
            return Ok(());
        }
        let pages = &self.slots.as_slice()[offset >> PAGE_SHIFT..=(end - 1) >> PAGE_SHIFT];
        if pages.iter().any(|s| s.is_none()) {
            return Err(EFAULT);
        }
        Ok(())
    }

    /// Copies bytes at byte `offset` of the area into `buf`.
    ///
    /// Context: any context.
    ///
    /// Errors: `ERANGE` if the range reaches outside the area, `EFAULT` if
    /// a page in it is not mapped.  Nothing is copied on error.
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result {
        self.check_mapped(offset, buf.len())?;
        // SAFETY: Every page of the range is mapped by this area and stays
        // mapped while `&self` is borrowed (unmapping takes `&mut self`).
        unsafe {
            core::ptr::copy_nonoverlapping(
                (self.base() + offset) as *const u8,
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
        Ok(())
    }

    /// Copies `data` into the area at byte `offset`.
    ///
    /// Context: any context.
    ///
    /// Errors: as for [`SparseArea::read`].  Nothing is written on error.
    pub fn write(&mut self, offset: usize, data: &[u8]) -> Result {
        self.check_mapped(offset, data.len())?;
        // SAFETY: As in `read`; `&mut self` excludes every other access to
        // the mapped pages.
        unsafe {
            core::ptr::copy_nonoverlapping(
                data.as_ptr(),
                (self.base() + offset) as *mut u8,
                data.len(),
            )
        };
        Ok(())
    }
}

impl SparseArea<OnDemand> {
    /// Reserves an ordinary sparse area of `size` bytes (rounded up to
    /// pages) with `get_sparse_vm_area()`.
    ///
    /// Context: process context; may sleep.
    ///
    /// Errors: `EINVAL` if `size` is 0, `ENOMEM` if address space or memory
    /// for the page slots ran out.
    pub fn new(size: usize) -> Result<Self> {
        // SAFETY: Any size is accepted; NULL is handled by `from_raw`.
        let area = unsafe { bindings::get_sparse_vm_area(size as _) };
        Self::from_raw(size, area)
    }
}

impl SparseArea<Prebuilt> {
    /// Reserves a prebuilt sparse area of `size` bytes (rounded up to
    /// pages) with `get_prebuilt_sparse_vm_area()`: its page tables are
    /// allocated now, so pages can later be mapped in atomic context.
    ///
    /// Context: process context; may sleep.
    ///
    /// Errors: `EINVAL` if `size` is 0, `ENOMEM` if address space, page
    /// tables or memory for the page slots ran out (or under KMSAN).
    pub fn new_prebuilt(size: usize) -> Result<Self> {
        // SAFETY: Any size is accepted; NULL is handled by `from_raw`.
        let area = unsafe { bindings::get_prebuilt_sparse_vm_area(size as _) };
        Self::from_raw(size, area)
    }

    /// Returns the atomic API of the area, for the section `irqs` keeps
    /// interrupts disabled in.
    ///
    /// The [`AtomicMapper`] borrows the area mutably and the token, so
    /// while it exists none of the area's sleeping methods (nor its drop)
    /// can be called and the section cannot end; it offers nothing that
    /// sleeps (see [`crate::irq`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::irq::IrqsDisabled;
    /// use kernel::page::{Page, PAGE_SIZE};
    /// use kernel::prelude::*;
    /// use kernel::vm_sparse::SparseArea;
    ///
    /// fn example() -> Result {
    ///     let mut area = SparseArea::new_prebuilt(8 * PAGE_SIZE)?;
    ///     let mut pages = Vec::new();
    ///     pages.try_reserve_exact(1)?;
    ///     let irqs = IrqsDisabled::disable();
    ///     pages.try_push(Page::alloc_atomic()?)?;
    ///     area.atomic(&irqs).map(0, pages)?;
    ///     drop(irqs);
    ///     // Unmapping may sleep: only the area itself offers it.
    ///     area.unmap(0, 1)?;
    ///     Ok(())
    /// }
    /// ```
    pub fn atomic<'a>(&'a mut self, irqs: &'a IrqsDisabled) -> AtomicMapper<'a> {
        AtomicMapper {
            area: self,
            _irqs: irqs,
        }
    }
}

/// The atomic API of a prebuilt sparse area, from [`SparseArea::atomic`].
///
/// Everything it offers works in any context, including hard interrupts
/// and with interrupts disabled: it never allocates and never sleeps.
/// Unmapping and freeing the area may sleep and are therefore reachable
/// only through the [`SparseArea`] itself, which this type borrows
/// mutably, as it borrows the [`IrqsDisabled`] token of its section.
pub struct AtomicMapper<'a> {
    area: &'a mut SparseArea<Prebuilt>,
    _irqs: &'a IrqsDisabled,
}

impl AtomicMapper<'_> {
    /// Maps `pages` at `index` with `vm_area_map_pages_atomic()` and takes
    /// ownership of them: all or nothing.
    ///
    /// Context: any context.  The pages must have been allocated already
    /// (for example with [`Page::alloc_atomic`]); on error they come back
    /// in the [`MapError`] (dropping them is atomic-safe too).
    ///
    /// Errors: `ERANGE`, `E2BIG` and `EBUSY` as for [`SparseArea::map`].
    pub fn map(&mut self, index: usize, pages: Vec<Page>) -> core::result::Result<(), MapError> {
        let area = &mut *self.area;
        let ret = area.range(index, pages.len()).and_then(|(start, end)| {
            // SAFETY: As in `SparseArea::map`; the area is prebuilt by the
            // type, so the call never allocates or sleeps.
            to_result(unsafe {
                bindings::vm_area_map_pages_atomic(
                    area.area.as_ptr(),
                    start as _,
                    end as _,
                    pages.as_ptr() as *mut *mut bindings::page,
                )
            })
        });
        area.adopt(index, pages, ret)
    }

    /// Returns `true` if a page is mapped at `index`.
    pub fn is_mapped(&self, index: usize) -> bool {
        self.area.is_mapped(index)
    }

    /// Number of usable pages of the area.
    pub fn page_count(&self) -> usize {
        self.area.page_count()
    }

    /// Copies `data` into the area at byte `offset`, as
    /// [`SparseArea::write`].
    ///
    /// Context: any context.
    pub fn write(&mut self, offset: usize, data: &[u8]) -> Result {
        self.area.write(offset, data)
    }
}

impl<K: Kind> Drop for SparseArea<K> {
    fn drop(&mut self) {
        let base = self.base();
        if self.mapped != 0 {
            // SAFETY: We own the area (type invariant) and the range is its
            // whole usable part.  `vm_area_unmap_pages()` clears every PTE
            // and flushes the TLB on every CPU before it returns (holes are
            // fine); `free_vm_area()` alone would leave the flush to the
            // lazy vmap purge, and the pages would be freed while stale
            // TLB entries still map them.
            unsafe {
                bindings::vm_area_unmap_pages(
                    self.area.as_ptr(),
                    base as _,
                    (base + self.size()) as _,
                )
            };
        }
        // SAFETY: We own the area and nothing is mapped in it any more.
        unsafe { bindings::free_vm_area(self.area.as_ptr()) };
        // The pages in `self.slots` are freed when the field is dropped,
        // after this: no page is ever freed while mapped.
    }
}
