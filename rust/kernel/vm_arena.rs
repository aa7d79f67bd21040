// SPDX-License-Identifier: GPL-2.0

//! Arenas: sparse memory shared between a driver and user space.
//!
//! C header: [`include/linux/vm_arena.h`](../../../../include/linux/vm_arena.h)
//!
//! An [`Arena`] is a C `struct vm_arena`, always reference counted: the
//! owner holds an [`ARef<Arena>`], whose clone takes a reference
//! (`vm_arena_get()`) and whose drop releases one (`vm_arena_put()`).  The
//! C core does all the work; the Rust types encode the rules of
//! `Documentation/mm/vm_arena.rst`:
//!
//! - Positions are **byte offsets** from the start of the arena, as in the
//!   user ABI.  An offset outside the arena is an [`Err`] (`ERANGE`) from
//!   the C core, never undefined behaviour; the Rust side only guards the
//!   address arithmetic.
//! - The pages belong to the arena: [`Arena::free`] of a range that is not
//!   allocated is `ENOENT`, and nothing is ever freed twice.
//! - What may sleep ([`Arena::create`], [`Arena::alloc`], [`Arena::free`],
//!   [`Arena::reserve`], dropping the last reference) is reachable only from
//!   [`Arena`].  The atomic API is a separate type, [`AtomicArena`], which
//!   exists only for arenas created with `VM_ARENA_F_ATOMIC`, only inside a
//!   section with interrupts disabled ([`IrqsDisabled`]), and offers
//!   nothing that sleeps (see [`crate::irq`]).  Like the C functions it
//!   calls, it works in any context except NMI.
//! - Kernel access to arena memory goes through the C core's nofault
//!   `vm_arena_read()`/`vm_arena_write()`, never plain loads: user space
//!   can free any page at any time.  [`ArenaPtr<T>`] is a typed position
//!   (a byte offset that converts to and from the user address of the
//!   same byte), and [`ArenaPages`] an allocation that frees its pages
//!   when dropped unless it is [kept](ArenaPages::keep).
//!
//! # Examples
//!
//! ```
//! use kernel::prelude::*;
//! use kernel::vm_arena::{Arena, ANY};
//!
//! fn example() -> Result {
//!     let arena = Arena::create(1 << 20, 0, 0)?;
//!     let off = arena.alloc(ANY, 2, -1, 0)?;
//!     arena.write(off, b"hello")?;
//!     assert_eq!(arena.pages_in_use(), 2);
//!     arena.free(off, 2)?;
//!     // A second free is refused, not a double free.
//!     assert!(arena.free(off, 2).is_err());
//!     Ok(())
//! }
//! ```

use crate::{
    bindings,
    error::{code::*, from_err_ptr, to_result, Result},
    irq::IrqsDisabled,
    miscdev::{File, SeqFile, VmArea},
    page::PAGE_SIZE,
    types::{ARef, AlwaysRefCounted, Opaque},
    uaccess::Pod,
};
use core::{
    cell::UnsafeCell,
    marker::PhantomData,
    mem::{align_of, size_of, size_of_val, MaybeUninit},
    ptr::NonNull,
    sync::atomic::{AtomicU8, Ordering},
};

/// Offset meaning "anywhere" for [`Arena::alloc`] (best fit).
pub const ANY: Option<u64> = None;

/// Largest arena, in bytes.
pub const MAX_SIZE: u64 = bindings::BINDINGS_VM_ARENA_MAX_SIZE;
/// Largest arena with [`F_ATOMIC`], in bytes.
pub const ATOMIC_MAX_SIZE: u64 = bindings::BINDINGS_VM_ARENA_ATOMIC_MAX_SIZE;

/// A user access to a page the kernel has not allocated raises `SIGSEGV`.
pub const F_SEGV_ON_FAULT: u32 = bindings::VM_ARENA_F_SEGV_ON_FAULT;
/// Page tables are built up front: alloc and free work in atomic context.
pub const F_ATOMIC: u32 = bindings::VM_ARENA_F_ATOMIC;
/// Install new pages into every user mapping at once.
pub const ALLOC_POPULATE: u32 = bindings::VM_ARENA_ALLOC_POPULATE;

/// A C `struct vm_arena`; owners hold an [`ARef<Arena>`].
///
/// # Invariants
///
/// An `&Arena` is only ever made from a pointer to a live arena, and the
/// arena stays alive while the reference does (a reference count is held
/// for it: every `Arena` is reference counted, see [`AlwaysRefCounted`]).
#[repr(transparent)]
pub struct Arena(Opaque<bindings::vm_arena>);

// SAFETY: The C arena API is thread-safe; references may be taken and
// released on any thread.
unsafe impl Send for Arena {}

// SAFETY: Every method takes `&self` and calls the thread-safe C API.
unsafe impl Sync for Arena {}

// SAFETY: `vm_arena_get()` takes a reference that keeps the arena alive
// until the matching `vm_arena_put()`, and every arena is counted (the
// C core frees it on the last put).
unsafe impl AlwaysRefCounted for Arena {
    fn inc_ref(&self) {
        // SAFETY: The arena is alive while `&self` is (type invariant).
        unsafe { bindings::vm_arena_get(self.as_ptr()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a reference, handed back here.  Releasing
        // the last one frees the arena, which may sleep: no `ARef<Arena>`
        // can be dropped through the atomic API, which only borrows.
        unsafe { bindings::vm_arena_put(obj.as_ptr().cast()) };
    }
}

impl Arena {
    /// Creates an arena of `size` bytes with `vm_arena_create()`.
    ///
    /// `flags` are `F_*`; `user_addr` is the user address every mapping
    /// will use, or 0 for the first `mmap()` to choose.
    ///
    /// Context: process context; may sleep.
    ///
    /// Errors: `EINVAL` for a bad size or flags, `E2BIG` if `size` is too
    /// big, `ENOSPC` if the address-space cap of the user or of all arenas
    /// would be exceeded, `ENOMEM`.
    pub fn create(size: u64, flags: u32, user_addr: usize) -> Result<ARef<Self>> {
        // SAFETY: Any arguments are accepted and checked by the callee.
        let ptr = from_err_ptr(unsafe { bindings::vm_arena_create(size, flags, user_addr as _) })?;
        let ptr = NonNull::new(ptr.cast::<Arena>()).ok_or(ENOMEM)?;
        // SAFETY: A new arena comes with one reference, handed over to the
        // `ARef`; `Arena` is `repr(transparent)` over `struct vm_arena`.
        Ok(unsafe { ARef::from_raw(ptr) })
    }

    /// Returns the raw pointer, valid while `self` is.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::vm_arena {
        self.0.get()
    }

    /// Kernel address of byte `offset`, or `ERANGE` if it overflows.
    #[inline]
    fn kaddr(&self, offset: u64) -> Result<*mut core::ffi::c_void> {
        let off = usize::try_from(offset).map_err(|_| ERANGE)?;
        let a = (self.base() as usize).checked_add(off).ok_or(ERANGE)?;
        Ok(a as *mut core::ffi::c_void)
    }

    #[inline]
    fn offset_of(&self, kaddr: *mut core::ffi::c_void) -> u64 {
        (kaddr as usize - self.base() as usize) as u64
    }

    /// Allocates `count` pages at byte offset `at` (or the best fit for
    /// [`ANY`]) on NUMA `node` (-1 for any); `flags` are `ALLOC_*`.
    /// Returns the offset of the first page.
    ///
    /// Context: process context; may sleep.
    ///
    /// Errors: `EINVAL` (zero count, bad flags, node or alignment), `E2BIG`
    /// (more pages than the arena has), `ERANGE` (outside the arena),
    /// `EBUSY` (overlaps allocated or reserved pages), `ENOMEM`.
    #[inline]
    pub fn alloc(&self, at: Option<u64>, count: u64, node: i32, flags: u32) -> Result<u64> {
        let kaddr = match at {
            Some(off) => self.kaddr(off)?,
            None => core::ptr::null_mut(),
        };
        let count = usize::try_from(count).map_err(|_| E2BIG)?;
        // SAFETY: the arena is live while `&self` is (type invariant); the callee checks
        // the range.
        let p = from_err_ptr(unsafe {
            bindings::vm_arena_alloc_pages(self.as_ptr(), kaddr, count as _, node, flags)
        })?;
        Ok(self.offset_of(p))
    }

    /// Frees `count` pages at byte offset `offset`, unmapping them from the
    /// kernel and from every user mapping.  The range may be allocated
    /// again at once; the pages themselves are released after a batched
    /// kernel TLB flush (see `vm_arena_free_pages()` and
    /// [`Arena::flush_frees`]).
    ///
    /// Context: process context; may sleep.
    ///
    /// Errors: `EINVAL` (zero count or bad alignment), `E2BIG` (more pages
    /// than the arena has), `ERANGE` (outside the arena), `ENOENT` (a page
    /// in the range is not allocated: nothing is freed then).
    #[inline]
    pub fn free(&self, offset: u64, count: u64) -> Result {
        let kaddr = self.kaddr(offset)?;
        let count = usize::try_from(count).map_err(|_| E2BIG)?;
        // SAFETY: As in `alloc`.
        to_result(unsafe { bindings::vm_arena_free_pages(self.as_ptr(), kaddr, count as _) })
    }

    /// Reserves `count` pages at byte offset `offset`: they are never
    /// allocated, and a user access to them faults.
    ///
    /// Context: process context; may sleep.
    ///
    /// Errors: as for [`Arena::alloc`].
    #[inline]
    pub fn reserve(&self, offset: u64, count: u64) -> Result {
        let kaddr = self.kaddr(offset)?;
        let count = usize::try_from(count).map_err(|_| E2BIG)?;
        // SAFETY: As in `alloc`.
        to_result(unsafe { bindings::vm_arena_reserve(self.as_ptr(), kaddr, count as _) })
    }

    /// Waits until every freed page is really released: the deferred part
    /// of frees from atomic context, then the batched kernel TLB flush.
    ///
    /// Context: process context; may sleep.
    pub fn flush_frees(&self) {
        // SAFETY: the arena is live (type invariant).
        unsafe { bindings::vm_arena_flush_frees(self.as_ptr()) }
    }

    /// Kernel address of the arena's first byte.
    #[inline]
    pub fn base(&self) -> *mut u8 {
        // SAFETY: the arena is live (type invariant).
        unsafe { bindings::vm_arena_base(self.as_ptr()) as *mut u8 }
    }

    /// Size of the arena in bytes.
    #[inline]
    pub fn size(&self) -> u64 {
        // SAFETY: the arena is live (type invariant).
        unsafe { bindings::vm_arena_size(self.as_ptr()) }
    }

    /// Creation flags (`F_*`).
    #[inline]
    pub fn flags(&self) -> u32 {
        // SAFETY: the arena is live (type invariant).
        unsafe { bindings::vm_arena_flags(self.as_ptr()) }
    }

    /// User address of the arena's first byte, 0 before the first `mmap()`.
    #[inline]
    pub fn user_base(&self) -> usize {
        // SAFETY: the arena is live (type invariant).
        unsafe { bindings::vm_arena_user_base(self.as_ptr()) as usize }
    }

    /// User address of byte `offset`; `None` if there is no user mapping
    /// yet or the offset is outside the arena.
    #[inline]
    pub fn user_addr(&self, offset: u64) -> Option<usize> {
        if offset >= self.size() {
            return None;
        }
        let kaddr = self.kaddr(offset).ok()?;
        // SAFETY: the arena is live (type invariant); the callee only converts the value.
        match unsafe { bindings::vm_arena_user_addr(self.as_ptr(), kaddr) } {
            0 => None,
            u => Some(u as usize),
        }
    }

    /// Byte offset of user address `uaddr`; `None` if it is not inside the
    /// arena's user range.
    #[inline]
    pub fn offset_of_user(&self, uaddr: usize) -> Option<u64> {
        // SAFETY: the arena is live (type invariant); the callee only converts the value.
        let k = unsafe { bindings::vm_arena_kern_addr(self.as_ptr(), uaddr as _) };
        if k.is_null() {
            None
        } else {
            Some(self.offset_of(k))
        }
    }

    /// Pages allocated, by the kernel or by user faults.
    pub fn pages_in_use(&self) -> u64 {
        // SAFETY: the arena is live (type invariant).
        unsafe { bindings::vm_arena_pages_in_use(self.as_ptr()) as u64 }
    }

    /// What the arena costs: pages, bitmaps, index, page tables, address
    /// space (`vm_arena_memory()`).
    pub fn memory(&self) -> bindings::vm_arena_cost {
        let mut cost = bindings::vm_arena_cost::default();
        // SAFETY: the arena is live (type invariant) and `cost` is a valid place to write.
        unsafe { bindings::vm_arena_memory(self.as_ptr(), &mut cost) };
        cost
    }

    /// User faults that allocated a page.
    pub fn user_faults(&self) -> u64 {
        // SAFETY: the arena is live (type invariant).
        unsafe { bindings::vm_arena_user_faults(self.as_ptr()) as u64 }
    }

    /// Sets up a user mapping of the arena; a driver's `mmap` calls this.
    ///
    /// Context: process context, `mmap_lock` held (as in `mmap`).
    pub fn mmap(&self, vma: &VmArea) -> Result {
        // SAFETY: the arena is live (type invariant) and `vma` is valid during the callback.
        to_result(unsafe { bindings::vm_arena_mmap(self.as_ptr(), vma.as_ptr()) })
    }

    /// Chooses the user address of a mapping; a driver's
    /// `get_unmapped_area` calls this.
    pub fn get_unmapped_area(
        &self,
        file: &File,
        addr: usize,
        len: usize,
        pgoff: usize,
        flags: usize,
    ) -> Result<usize> {
        // SAFETY: the arena is live (type invariant) and `file` is valid during the
        // callback.
        let a = unsafe {
            bindings::vm_arena_get_unmapped_area(
                self.as_ptr(),
                file.as_ptr(),
                addr as _,
                len as _,
                pgoff as _,
                flags as _,
            )
        };
        from_err_ptr(a as *mut u8).map(|a| a as usize)
    }

    /// Prints the arena's state into `/proc/<pid>/fdinfo/<fd>`.
    pub fn show_fdinfo(&self, m: &SeqFile) {
        // SAFETY: the arena is live (type invariant) and `m` is valid during the callback.
        unsafe { bindings::vm_arena_show_fdinfo(self.as_ptr(), m.as_ptr()) }
    }

    /// Copies bytes at `offset` into `buf` with `vm_arena_read()`.
    ///
    /// Safe against pages being freed at the same time (by user space,
    /// say): the copy does not fault on a page that is not allocated, it
    /// fails.  This is how kernel code reads arena memory that user space
    /// can free (`Documentation/mm/vm_arena.rst`).
    ///
    /// Context: any context except NMI; never sleeps.
    ///
    /// Errors: `ERANGE` if the range is not inside the arena, `EFAULT` if a
    /// page of it is not allocated (`buf` may then be partly written).
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> Result {
        // SAFETY: the arena is live while `&self` is (type invariant) and `buf` is valid
        // for writes of its length; the callee checks the range and copies
        // without faulting.
        to_result(unsafe {
            bindings::vm_arena_read(self.as_ptr(), offset, buf.as_mut_ptr().cast(), buf.len())
        })
    }

    /// Copies `data` to `offset` with `vm_arena_write()`, as
    /// [`Arena::read`] in the other direction.
    ///
    /// Context: any context except NMI; never sleeps.
    ///
    /// Errors: `ERANGE` if the range is not inside the arena, `EFAULT` if a
    /// page of it is not allocated (a prefix may have been written).
    pub fn write(&self, offset: u64, data: &[u8]) -> Result {
        // SAFETY: the arena is live (type invariant) and `data` is valid for reads of its
        // length; the callee checks the range and copies without faulting.
        to_result(unsafe {
            bindings::vm_arena_write(self.as_ptr(), offset, data.as_ptr().cast(), data.len())
        })
    }

    /// Reads a `T` at `offset` with `vm_arena_read()`, as [`Arena::read`].
    ///
    /// Context: any context except NMI; never sleeps.
    ///
    /// Errors: as for [`Arena::read`].
    pub fn read_pod<T: Pod>(&self, offset: u64) -> Result<T> {
        let mut v = MaybeUninit::<T>::uninit();
        // SAFETY: the arena is live (type invariant) and `v` is valid for writes of
        // `size_of::<T>()` bytes.
        to_result(unsafe {
            bindings::vm_arena_read(self.as_ptr(), offset, v.as_mut_ptr().cast(), size_of::<T>())
        })?;
        // SAFETY: The copy succeeded, so every byte was written, and
        // `T: Pod` accepts any bit pattern.
        Ok(unsafe { v.assume_init() })
    }

    /// Writes the `T`s of `data` at `offset` with `vm_arena_write()`, as
    /// [`Arena::write`].
    ///
    /// Context: any context except NMI; never sleeps.
    ///
    /// Errors: as for [`Arena::write`].
    pub fn write_pods<T: Pod>(&self, offset: u64, data: &[T]) -> Result {
        // SAFETY: `T: Pod` has no padding, so all `size_of_val(data)`
        // bytes of `data` are initialised; they are only read, while
        // `data` is borrowed.
        let bytes =
            unsafe { core::slice::from_raw_parts(data.as_ptr().cast::<u8>(), size_of_val(data)) };
        self.write(offset, bytes)
    }

    /// Writes the `T` `value` at `offset` with `vm_arena_write()`.
    ///
    /// Context: any context except NMI; never sleeps.
    ///
    /// Errors: as for [`Arena::write`].
    pub fn write_pod<T: Pod>(&self, offset: u64, value: &T) -> Result {
        self.write_pods(offset, core::slice::from_ref(value))
    }

    /// Allocates as [`Arena::alloc`] and returns the pages as an
    /// [`ArenaPages`], which frees them when dropped.
    ///
    /// Context: process context; may sleep.
    ///
    /// Errors: as for [`Arena::alloc`].
    #[inline]
    pub fn alloc_pages(
        &self,
        at: Option<u64>,
        count: u64,
        node: i32,
        flags: u32,
    ) -> Result<ArenaPages<'_>> {
        let offset = self.alloc(at, count, node, flags)?;
        // INVARIANT: `count` pages at `offset` were just allocated.
        Ok(ArenaPages {
            arena: self,
            offset,
            count,
        })
    }

    /// The atomic API, for arenas created with [`F_ATOMIC`] only, in the
    /// section `irqs` keeps interrupts disabled in; `None` for another
    /// arena.  The view borrows the arena and the token, see
    /// [`crate::irq`].
    #[inline]
    pub fn atomic<'a>(&'a self, irqs: &'a IrqsDisabled) -> Option<AtomicArena<'a>> {
        if self.flags() & F_ATOMIC != 0 {
            // INVARIANT: the arena was created with `F_ATOMIC`.
            Some(AtomicArena {
                arena: self,
                _irqs: irqs,
            })
        } else {
            None
        }
    }
}

/// The atomic API of an arena created with [`F_ATOMIC`], from
/// [`Arena::atomic`].
///
/// Usable in any context except NMI (as the C functions it calls),
/// including with interrupts disabled; it offers nothing that sleeps and
/// cannot drop the arena (it only borrows it).
///
/// # Invariants
///
/// `arena` was created with [`F_ATOMIC`], so its kernel page tables are
/// prebuilt and `vm_arena_alloc_pages_atomic()` and
/// `vm_arena_free_pages_atomic()` accept it and never sleep.
pub struct AtomicArena<'a> {
    arena: &'a Arena,
    _irqs: &'a IrqsDisabled,
}

impl AtomicArena<'_> {
    /// Allocates `count` pages without sleeping, as [`Arena::alloc`]
    /// (`GFP_NOWAIT`; user space faults them in).
    ///
    /// Context: any context except NMI.
    #[inline]
    pub fn alloc(&self, at: Option<u64>, count: u64, node: i32) -> Result<u64> {
        let a = self.arena;
        let kaddr = match at {
            Some(off) => a.kaddr(off)?,
            None => core::ptr::null_mut(),
        };
        let count = usize::try_from(count).map_err(|_| E2BIG)?;
        // SAFETY: The arena is live while borrowed and was created with
        // `F_ATOMIC` (type invariant), so the callee never sleeps; it
        // checks the range.
        let p = from_err_ptr(unsafe {
            bindings::vm_arena_alloc_pages_atomic(a.as_ptr(), kaddr, count as _, node)
        })?;
        Ok(a.offset_of(p))
    }

    /// Frees `count` pages without sleeping, as [`Arena::free`]; the pages
    /// are released later ([`Arena::flush_frees`] waits for that).
    ///
    /// Context: any context except NMI.
    #[inline]
    pub fn free(&self, offset: u64, count: u64) -> Result {
        let a = self.arena;
        let kaddr = a.kaddr(offset)?;
        let count = usize::try_from(count).map_err(|_| E2BIG)?;
        // SAFETY: As in `alloc`.
        to_result(unsafe { bindings::vm_arena_free_pages_atomic(a.as_ptr(), kaddr, count as _) })
    }

    /// Pages allocated.
    ///
    /// Context: any context.
    pub fn pages_in_use(&self) -> u64 {
        self.arena.pages_in_use()
    }
}

/// Pages of an arena allocated by [`Arena::alloc_pages`]; dropping the
/// value frees them with `vm_arena_free_pages()`, unless
/// [`ArenaPages::keep`] handed them over to user space.
///
/// The arena's pages are shared with user space, which can free them
/// with the arena's own ioctls meanwhile: then the drop's free fails
/// (`ENOENT`, ignored) or, if the range was allocated again, frees the
/// new pages.  Neither is undefined behaviour (the kernel never touches
/// arena memory but through `vm_arena_read()`/`vm_arena_write()`), but a
/// driver that lets user space free pages holds whatever lock keeps
/// those frees out while the allocation lives, as the sample does.
///
/// # Invariants
///
/// `count` pages at byte offset `offset` of `arena` were allocated for
/// this value and not yet freed by it.
pub struct ArenaPages<'a> {
    arena: &'a Arena,
    offset: u64,
    count: u64,
}

impl<'a> ArenaPages<'a> {
    /// Byte offset of the first page.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Number of pages.
    #[inline]
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Typed position of the `index`-th `T` from the first page; `None` if
    /// it does not lie inside the allocation.
    pub fn ptr<T: Pod>(&self, index: u64) -> Option<ArenaPtr<T>> {
        let len = self.count.checked_mul(PAGE_SIZE as u64)?;
        let end = index.checked_add(1)?.checked_mul(size_of::<T>() as u64)?;
        if end > len {
            return None;
        }
        ArenaPtr::from_offset(self.offset).add(index)
    }

    /// Gives the pages up without freeing them (to user space, say);
    /// returns their offset and count.
    #[inline]
    pub fn keep(self) -> (u64, u64) {
        let me = core::mem::ManuallyDrop::new(self);
        (me.offset, me.count)
    }
}

impl Drop for ArenaPages<'_> {
    #[inline]
    fn drop(&mut self) {
        // Only an allocation that something else freed meanwhile fails
        // here (`ENOENT`), and then nothing is freed.
        let _ = self.arena.free(self.offset, self.count);
    }
}

/// The position of a `T` in an arena: its byte offset, which is also the
/// user address `user_base + offset` in every mapping.
///
/// Holding one grants nothing: every access goes through the arena's
/// nofault `vm_arena_read()`/`vm_arena_write()`, which check the range
/// and fail with `EFAULT` on a page that is not allocated.
pub struct ArenaPtr<T> {
    offset: u64,
    _p: PhantomData<fn() -> T>,
}

impl<T> Clone for ArenaPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for ArenaPtr<T> {}

impl<T: Pod> ArenaPtr<T> {
    /// The `T` at byte `offset` (checked only when used).
    pub const fn from_offset(offset: u64) -> Self {
        Self {
            offset,
            _p: PhantomData,
        }
    }

    /// The `T` at user address `uaddr` of `arena`'s mapping.
    ///
    /// Errors: `EINVAL` if `uaddr` is not aligned for `T`, `EFAULT` if it
    /// is not inside the arena's user range (or there is no mapping yet).
    #[inline]
    pub fn from_user(arena: &Arena, uaddr: u64) -> Result<Self> {
        if uaddr % align_of::<T>() as u64 != 0 {
            return Err(EINVAL);
        }
        let uaddr = usize::try_from(uaddr).map_err(|_| EFAULT)?;
        arena
            .offset_of_user(uaddr)
            .map(Self::from_offset)
            .ok_or(EFAULT)
    }

    /// Byte offset in the arena.
    #[inline]
    pub fn offset(self) -> u64 {
        self.offset
    }

    /// The user address of the `T` in `arena`'s mapping; `None` before the
    /// first `mmap()` or if the offset is outside the arena.
    #[inline]
    pub fn to_user(self, arena: &Arena) -> Option<u64> {
        arena.user_addr(self.offset).map(|u| u as u64)
    }

    /// The `n`-th `T` after this one; `None` on overflow.
    #[inline]
    pub fn add(self, n: u64) -> Option<Self> {
        let bytes = n.checked_mul(size_of::<T>() as u64)?;
        Some(Self::from_offset(self.offset.checked_add(bytes)?))
    }

    /// Reads the `T` with `vm_arena_read()`.
    ///
    /// Context: any context except NMI; never sleeps.
    ///
    /// Errors: as for [`Arena::read`].
    pub fn read(self, arena: &Arena) -> Result<T> {
        arena.read_pod(self.offset)
    }

    /// Writes `value` with `vm_arena_write()`.
    ///
    /// Context: any context except NMI; never sleeps.
    ///
    /// Errors: as for [`Arena::write`].
    pub fn write(self, arena: &Arena, value: &T) -> Result {
        arena.write_pod(self.offset, value)
    }

    /// Writes `values` here and in the following `T`s, in one
    /// `vm_arena_write()`.
    ///
    /// Context: any context except NMI; never sleeps.
    ///
    /// Errors: as for [`Arena::write`].
    pub fn write_slice(self, arena: &Arena, values: &[T]) -> Result {
        arena.write_pods(self.offset, values)
    }
}

/// A slot that can be filled with an [`Arena`] once, from any thread.
///
/// Drivers keep one per open file: setup fills it, every other operation
/// reads it.  No lock is needed and the arena, once set, stays until the
/// slot is dropped.
///
/// # Invariants
///
/// `state` is `EMPTY`, `BUSY` (being filled by the thread that moved it
/// there) or `SET`; `arena` holds `Some` from the moment `state` becomes
/// `SET` and is never changed again until drop.
///
/// # Examples
///
/// ```
/// use kernel::error::code::EBUSY;
/// use kernel::prelude::*;
/// use kernel::vm_arena::{Arena, ArenaSlot};
///
/// fn example() -> Result {
///     let slot = ArenaSlot::new();
///     assert!(slot.get().is_none());
///     slot.set(Arena::create(1 << 20, 0, 0)?).map_err(|_| EBUSY)?;
///     // A second arena is refused and handed back.
///     assert!(slot.set(Arena::create(1 << 20, 0, 0)?).is_err());
///     assert_eq!(slot.get().map(|a| a.size()), Some(1 << 20));
///     Ok(())
/// }
/// ```
pub struct ArenaSlot {
    state: AtomicU8,
    arena: UnsafeCell<Option<ARef<Arena>>>,
}

const EMPTY: u8 = 0;
const BUSY: u8 = 1;
const SET: u8 = 2;

// SAFETY: `arena` is written once, by the thread that moved `state` from
// `EMPTY` to `BUSY`, and read only after `state` is `SET` (with
// release/acquire ordering); `ARef<Arena>` itself is `Send + Sync`.
unsafe impl Sync for ArenaSlot {}

impl ArenaSlot {
    /// An empty slot.
    pub const fn new() -> Self {
        Self {
            state: AtomicU8::new(EMPTY),
            arena: UnsafeCell::new(None),
        }
    }

    /// Fills the slot; if it is already filled (or being filled), returns
    /// `arena` back as the error.
    pub fn set(&self, arena: ARef<Arena>) -> core::result::Result<(), ARef<Arena>> {
        if self
            .state
            .compare_exchange(EMPTY, BUSY, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return Err(arena);
        }
        // SAFETY: Only this thread moved `state` to `BUSY`, and readers
        // wait for `SET`: nobody else accesses `arena` now.
        unsafe { *self.arena.get() = Some(arena) };
        self.state.store(SET, Ordering::Release);
        Ok(())
    }

    /// The arena, if the slot has been filled.
    #[inline]
    pub fn get(&self) -> Option<&Arena> {
        if self.state.load(Ordering::Acquire) != SET {
            return None;
        }
        // SAFETY: `state` is `SET`, so `arena` was written before (acquire
        // pairs with the release in `set`) and never changes again while
        // `&self` lives.
        unsafe { (*self.arena.get()).as_deref() }
    }
}

impl Default for ArenaSlot {
    fn default() -> Self {
        Self::new()
    }
}

/// Number of pages covering `bytes` (never overflows).
pub fn pages_for(bytes: u64) -> u64 {
    let page = PAGE_SIZE as u64;
    bytes / page + u64::from(bytes % page != 0)
}

// The user ABI structures of `include/uapi/linux/vm_arena.h` are made of
// `__u64`, `__u32` and `__s32` fields laid out without padding (explicit
// `__reserved` fields fill the holes): their sizes are the sums of their
// fields'.
const _: () = {
    assert!(size_of::<bindings::arena_setup>() == 8 + 4 + 4 + 8);
    assert!(size_of::<bindings::arena_alloc>() == 8 + 8 + 4 + 4);
    assert!(size_of::<bindings::arena_range>() == 8 + 8);
    assert!(size_of::<bindings::arena_list_node>() == 8 + 8);
    assert!(size_of::<bindings::arena_build_list>() == 8 + 8 + 8);
    assert!(size_of::<bindings::arena_sum_list>() == 8 + 8 + 8);
    assert!(size_of::<bindings::arena_info>() == 8 + 4 + 4 + 8 + 8 + 8 + 5 * 8);
};

// SAFETY: No padding (checked above) and integer fields only: every bit
// pattern is a valid value.
unsafe impl Pod for bindings::arena_setup {}
// SAFETY: As above.
unsafe impl Pod for bindings::arena_alloc {}
// SAFETY: As above.
unsafe impl Pod for bindings::arena_range {}
// SAFETY: As above.
unsafe impl Pod for bindings::arena_build_list {}
// SAFETY: As above.
unsafe impl Pod for bindings::arena_sum_list {}
// SAFETY: As above.
unsafe impl Pod for bindings::arena_info {}
// SAFETY: As above.
unsafe impl Pod for bindings::arena_list_node {}
