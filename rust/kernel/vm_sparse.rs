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
//!   is mapped.  Dropping the area first frees the kernel area with
//!   `free_vm_area()`, which unmaps everything still mapped, and only then
//!   frees the pages it still owns.
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
//!   atomic API, the [`AtomicMapper`], and it exposes nothing that sleeps.
//!
//! The area keeps one `Option<Page>` (8 bytes) per page of address space to
//! own its pages: 2 KiB per MiB of area, allocated with the area.
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
//!     let mut back = area.unmap(3, 1)?;
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
    page::{Page, PAGE_SHIFT, PAGE_SIZE},
};
use alloc::vec::Vec;
use core::{marker::PhantomData, ptr::NonNull};

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

/// A sparse kernel virtual area that owns the pages mapped into it.
///
/// # Invariants
///
/// - `area` points to a `struct vm_struct` created by `get_sparse_vm_area()`
///   (kind [`OnDemand`]) or `get_prebuilt_sparse_vm_area()` (kind
///   [`Prebuilt`]), owned by this instance and freed only in `drop`.
/// - `slots.len()` is the number of usable pages of the area (guard page
///   excluded), and `slots[i]` is `Some(page)` exactly when this instance
///   mapped `page` at `base + i * PAGE_SIZE` and has not unmapped it.
///   Nothing else is mapped in the area.
pub struct SparseArea<K: Kind = OnDemand> {
    area: NonNull<bindings::vm_struct>,
    slots: Vec<Option<Page>>,
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
        let mut slots = Vec::new();
        let filled = slots
            .try_reserve_exact(usable)
            .map_err(Error::from)
            .and_then(|()| {
                for _ in 0..usable {
                    slots.try_push(None)?;
                }
                Ok(())
            });
        if let Err(e) = filled {
            // SAFETY: Nothing is mapped yet and we own the area.
            unsafe { bindings::free_vm_area(area.as_ptr()) };
            return Err(e);
        }
        // INVARIANT: a fresh area with every slot empty; nothing mapped.
        Ok(Self {
            area,
            slots,
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
        self.slots.len() << PAGE_SHIFT
    }

    /// Number of usable pages of the area.
    pub fn page_count(&self) -> usize {
        self.slots.len()
    }

    /// Returns `true` if a page is mapped at `index`.
    pub fn is_mapped(&self, index: usize) -> bool {
        matches!(self.slots.get(index), Some(Some(_)))
    }

    /// Number of pages mapped in the area.
    pub fn mapped_pages(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
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
        let slots = self.slots.get_mut(index..).unwrap_or(&mut []);
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
        let slots = self.slots.get_mut(index..last).ok_or(ERANGE)?;
        if slots.iter().any(|s| s.is_none()) {
            return Err(ENOENT);
        }
        let mut out = Vec::new();
        out.try_reserve_exact(count)?;
        // SAFETY: The range lies inside the area (the slice above exists)
        // and `&mut self` serialises us against other maps and unmaps.
        unsafe { bindings::vm_area_unmap_pages(self.area.as_ptr(), start as _, end as _) };
        // INVARIANT: the range is unmapped and its slots emptied.
        for slot in slots {
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
        let pages = &self.slots[offset >> PAGE_SHIFT..=(end - 1) >> PAGE_SHIFT];
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

    /// Returns the atomic API of the area.
    ///
    /// The [`AtomicMapper`] can be used in any context; it offers nothing
    /// that sleeps.
    pub fn atomic(&mut self) -> AtomicMapper<'_> {
        AtomicMapper { area: self }
    }

    /// Runs `f` with local interrupts disabled, giving it the atomic API.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::page::{Page, PAGE_SIZE};
    /// use kernel::prelude::*;
    /// use kernel::vm_sparse::SparseArea;
    ///
    /// fn example() -> Result {
    ///     let mut area = SparseArea::new_prebuilt(8 * PAGE_SIZE)?;
    ///     area.with_irqs_disabled(|a| {
    ///         let mut pages = Vec::new();
    ///         pages.try_push(Page::alloc_atomic()?)?;
    ///         a.map(0, pages)?;
    ///         Ok(())
    ///     })?;
    ///     // Unmapping may sleep: only the area itself offers it.
    ///     area.unmap(0, 1)?;
    ///     Ok(())
    /// }
    /// ```
    pub fn with_irqs_disabled<R>(&mut self, f: impl FnOnce(&mut AtomicMapper<'_>) -> R) -> R {
        // SAFETY: Saving and disabling local interrupts is always allowed;
        // they are restored below with the saved flags.
        let flags = unsafe { bindings::local_irq_save() };
        let ret = f(&mut self.atomic());
        // SAFETY: `flags` came from the `local_irq_save()` above.
        unsafe { bindings::local_irq_restore(flags) };
        ret
    }
}

/// The atomic API of a prebuilt sparse area.
///
/// Everything it offers works in any context, including hard interrupts
/// and with interrupts disabled: it never allocates and never sleeps.
/// Unmapping and freeing the area may sleep and are therefore reachable
/// only through the [`SparseArea`] itself, which this type borrows.
pub struct AtomicMapper<'a> {
    area: &'a mut SparseArea<Prebuilt>,
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
    pub fn write(&mut self, offset: usize, data: &[u8]) -> Result {
        self.area.write(offset, data)
    }
}

impl<K: Kind> Drop for SparseArea<K> {
    fn drop(&mut self) {
        // SAFETY: We own the area (type invariant).  `free_vm_area()`
        // unmaps every page still mapped, with a TLB flush, before it
        // returns.  The pages in `self.slots` are dropped (freed) only
        // after this function returns, when the fields are dropped: no
        // page is ever freed while mapped.
        unsafe { bindings::free_vm_area(self.area.as_ptr()) };
    }
}
