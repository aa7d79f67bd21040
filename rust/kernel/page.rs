// SPDX-License-Identifier: GPL-2.0

//! Kernel pages.
//!
//! C header: [`include/linux/gfp.h`](../../../../include/linux/gfp.h)
//!
//! A [`Page`] is one order-0 page of memory that the Rust code owns: it is
//! allocated by [`Page::alloc`] (or [`Page::alloc_atomic`]) and freed when
//! the [`Page`] is dropped.  Handing a page to another owner (for example a
//! sparse area, see [`crate::vm_sparse`]) moves the [`Page`], so the type
//! system guarantees that nobody frees a page that is still in use.

use crate::{
    bindings,
    error::{code::*, Result},
};
use core::ptr::NonNull;

/// Page shift: log2 of [`PAGE_SIZE`].
pub const PAGE_SHIFT: usize = bindings::PAGE_SHIFT as usize;

/// Size of a page in bytes.
pub const PAGE_SIZE: usize = 1 << PAGE_SHIFT;

/// An owned, zero-initialised order-0 page.
///
/// # Invariants
///
/// `self.0` points to an order-0 page allocated with `alloc_pages()` that
/// this instance owns: nobody else frees it, and it is freed exactly once,
/// when the instance is dropped.
///
/// The type is `#[repr(transparent)]` over a non-null `struct page *`, so a
/// slice `&[Page]` has the layout of the C array `struct page *pages[]`
/// (and a slice of `Option<Page>` too, with `None` as `NULL`).
///
/// # Examples
///
/// ```
/// use kernel::page::Page;
///
/// fn example() -> kernel::error::Result {
///     let mut page = Page::alloc()?;
///     page.write(8, b"hello")?;
///     let mut buf = [0u8; 5];
///     page.read(8, &mut buf)?;
///     assert_eq!(&buf, b"hello");
///     Ok(())
/// } // `page` is freed here.
/// ```
#[repr(transparent)]
pub struct Page(NonNull<bindings::page>);

// SAFETY: A `Page` is owned memory with no thread affinity; it may be
// freed and accessed from any thread.
unsafe impl Send for Page {}

// SAFETY: `&Page` only allows reads of the page contents, which are safe
// from several threads at once.
unsafe impl Sync for Page {}

impl Page {
    fn alloc_gfp(gfp: bindings::gfp_t) -> Result<Self> {
        // SAFETY: Any gfp mask is accepted; order 0 is always valid.
        let ptr = unsafe { bindings::alloc_pages(gfp | bindings::BINDINGS___GFP_ZERO, 0) };
        // INVARIANT: a non-null result is an order-0 page that we now own.
        NonNull::new(ptr).map(Self).ok_or(ENOMEM)
    }

    /// Allocates a zeroed page with `GFP_KERNEL`.
    ///
    /// Context: process context; may sleep.
    ///
    /// Returns `ENOMEM` if no page is available.
    pub fn alloc() -> Result<Self> {
        Self::alloc_gfp(bindings::GFP_KERNEL)
    }

    /// Allocates a zeroed page with `GFP_ATOMIC`.
    ///
    /// Context: any context; never sleeps.
    ///
    /// Returns `ENOMEM` if no page is available.
    pub fn alloc_atomic() -> Result<Self> {
        Self::alloc_gfp(bindings::BINDINGS_GFP_ATOMIC)
    }

    /// Returns the raw `struct page` pointer.
    ///
    /// The pointer stays valid as long as `self` is alive; the caller must
    /// not free it.
    pub fn as_ptr(&self) -> *mut bindings::page {
        self.0.as_ptr()
    }

    /// Runs `f` with the page mapped into the kernel address space.
    fn with_mapped<T>(&self, f: impl FnOnce(*mut u8) -> T) -> T {
        // SAFETY: By the type invariant `self.0` is a valid page; the
        // local mapping is undone below, in the same context.
        let addr = unsafe { bindings::kmap_local_page(self.as_ptr()) };
        let ret = f(addr.cast());
        // SAFETY: `addr` came from `kmap_local_page()` just above and is
        // the most recent local mapping of this context.
        unsafe { bindings::kunmap_local(addr) };
        ret
    }

    fn check(offset: usize, len: usize) -> Result {
        match offset.checked_add(len) {
            Some(end) if end <= PAGE_SIZE => Ok(()),
            _ => Err(ERANGE),
        }
    }

    /// Copies `buf.len()` bytes at `offset` in the page into `buf`.
    ///
    /// Context: any context.
    ///
    /// Returns `ERANGE` if the range reaches beyond the page; nothing is
    /// copied then.
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result {
        Self::check(offset, buf.len())?;
        self.with_mapped(|addr| {
            // SAFETY: `addr` maps the whole page and `offset + buf.len()`
            // is at most `PAGE_SIZE` (checked above); `buf` is a distinct
            // Rust buffer, so the two do not overlap.
            unsafe { core::ptr::copy_nonoverlapping(addr.add(offset), buf.as_mut_ptr(), buf.len()) }
        });
        Ok(())
    }

    /// Copies `data` into the page at `offset`.
    ///
    /// Context: any context.
    ///
    /// Returns `ERANGE` if the range reaches beyond the page; nothing is
    /// written then.
    pub fn write(&mut self, offset: usize, data: &[u8]) -> Result {
        Self::check(offset, data.len())?;
        self.with_mapped(|addr| {
            // SAFETY: As in `read`; `&mut self` excludes any other access
            // to the page contents through this `Page`.
            unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), addr.add(offset), data.len()) }
        });
        Ok(())
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own this order-0 page and this
        // is the only place that frees it.  `__free_pages()` works in any
        // context.
        unsafe { bindings::__free_pages(self.as_ptr(), 0) };
    }
}
