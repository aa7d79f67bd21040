// SPDX-License-Identifier: GPL-2.0

//! Read-write semaphores: the C `struct rw_semaphore`.
//!
//! C header: [`include/linux/rwsem.h`](../../../../include/linux/rwsem.h)
//!
//! A [`RwSemaphore`] is a sleeping lock that many readers or one writer
//! hold at a time; it guards no data of its own, it orders operations
//! (as drivers use a C `rw_semaphore` to keep frees out while an
//! allocation is in flight, say).  [`RwSemaphore::read`] and
//! [`RwSemaphore::write`] return guards that release the lock when
//! dropped.  The C structure lives in its own allocation, initialised
//! there and never moved, so the Rust value can move freely; every
//! semaphore made by one [`new_rwsem!`] call site shares a lockdep class.
//!
//! # Examples
//!
//! ```
//! use kernel::prelude::*;
//! use kernel::rwsem::RwSemaphore;
//!
//! fn example() -> Result {
//!     let sem: RwSemaphore = kernel::new_rwsem!()?;
//!     {
//!         let _r = sem.read();
//!         // Readers share the lock; a writer must wait.
//!         assert!(sem.try_read().is_some());
//!         assert!(sem.try_write().is_none());
//!     }
//!     let _w = sem.write();
//!     assert!(sem.try_read().is_none());
//!     Ok(())
//! }
//! ```
//!
//! [`new_rwsem!`]: crate::new_rwsem

use crate::{bindings, error::Result};
use alloc::boxed::Box;
use core::{cell::UnsafeCell, marker::PhantomData, mem::MaybeUninit};

/// A lockdep lock class, identified by the address of a static.
///
/// Made only by [`static_lock_class!`], which puts it in a `static`:
/// lockdep requires class keys in static memory.
///
/// [`static_lock_class!`]: crate::static_lock_class
#[repr(transparent)]
pub struct LockClassKey(UnsafeCell<MaybeUninit<bindings::lock_class_key>>);

// SAFETY: Rust never reads or writes the key; lockdep serialises its own
// accesses to it.
unsafe impl Sync for LockClassKey {}

impl LockClassKey {
    /// A key for a `static`; use [`static_lock_class!`].
    ///
    /// [`static_lock_class!`]: crate::static_lock_class
    ///
    /// # Safety
    ///
    /// The result must be stored in a `static` item and used from there.
    #[doc(hidden)]
    pub const unsafe fn new_static() -> Self {
        Self(UnsafeCell::new(MaybeUninit::uninit()))
    }

    /// Returns the raw pointer, for C functions that take a class key.
    pub fn as_ptr(&self) -> *mut bindings::lock_class_key {
        self.0.get().cast()
    }
}

/// A [`LockClassKey`] of its own for this call site, in static memory.
#[macro_export]
macro_rules! static_lock_class {
    () => {{
        // SAFETY: The key is a `static`.
        static CLASS: $crate::rwsem::LockClassKey =
            unsafe { $crate::rwsem::LockClassKey::new_static() };
        &CLASS
    }};
}

/// Creates a [`RwSemaphore`] with a lockdep class of its own for this call
/// site, named after it; returns `Result<RwSemaphore>`.
#[macro_export]
macro_rules! new_rwsem {
    () => {
        $crate::rwsem::RwSemaphore::try_new(
            $crate::c_name!(concat!(file!(), ":", line!())),
            $crate::static_lock_class!(),
        )
    };
}

/// A NUL-terminated name for C, from a string literal.
#[doc(hidden)]
#[macro_export]
macro_rules! c_name {
    ($s:expr) => {
        $crate::rwsem::LockName::new(concat!($s, "\0").as_bytes())
    };
}

/// A NUL-terminated `'static` name that C may keep a pointer to.
///
/// # Invariants
///
/// The bytes end with their only NUL.
#[derive(Clone, Copy)]
pub struct LockName(&'static [u8]);

impl LockName {
    /// Wraps `name`, which must end with its only NUL byte; anything else
    /// becomes the name `"rwsem"`.
    pub const fn new(name: &'static [u8]) -> Self {
        let mut i = 0;
        while i + 1 < name.len() {
            if name[i] == 0 {
                return Self(b"rwsem\0");
            }
            i += 1;
        }
        if name.is_empty() || name[name.len() - 1] != 0 {
            return Self(b"rwsem\0");
        }
        // INVARIANT: checked above.
        Self(name)
    }

    fn as_char_ptr(&self) -> *const core::ffi::c_char {
        self.0.as_ptr().cast()
    }
}

/// A C `struct rw_semaphore`.
///
/// # Invariants
///
/// `sem` is initialised with `__init_rwsem()` at the address it keeps
/// until it is freed with `self`; it is never moved (it lives in its own
/// allocation, which only `drop` frees, and only guards borrowing `self`
/// lock it, so it is not held then).
pub struct RwSemaphore {
    sem: Box<UnsafeCell<bindings::rw_semaphore>>,
}

// SAFETY: The C semaphore may be locked and unlocked from any task; it is
// made for that.
unsafe impl Send for RwSemaphore {}

// SAFETY: All methods take `&self` and call the C API, which serialises
// concurrent callers.
unsafe impl Sync for RwSemaphore {}

impl RwSemaphore {
    /// Creates a semaphore with lockdep class `key` and `name` (as the
    /// C `init_rwsem()` does); [`new_rwsem!`] makes both for you.
    ///
    /// [`new_rwsem!`]: crate::new_rwsem
    ///
    /// Context: process context; may sleep (it allocates).
    ///
    /// Errors: `ENOMEM`.
    pub fn try_new(name: LockName, key: &'static LockClassKey) -> Result<Self> {
        let sem = Box::try_new(UnsafeCell::new(bindings::rw_semaphore::default()))?;
        // SAFETY: `sem` points to memory valid for the semaphore's whole
        // life, which never moves (the box is only freed by `drop`);
        // `name` is NUL-terminated and `'static` and `key` is a static,
        // as lockdep requires of both.
        unsafe { bindings::__init_rwsem(sem.get(), name.as_char_ptr(), key.as_ptr()) };
        // INVARIANT: initialised in place just above.
        Ok(Self { sem })
    }

    /// Takes the semaphore for reading, waiting while a writer holds it.
    ///
    /// Context: process context; may sleep.
    #[inline]
    pub fn read(&self) -> ReadGuard<'_> {
        // SAFETY: The semaphore is initialised (type invariant).
        unsafe { bindings::down_read(self.sem.get()) };
        // INVARIANT: the read lock is held; the guard releases it.
        ReadGuard {
            sem: self,
            _not_send: PhantomData,
        }
    }

    /// Takes the semaphore for reading if that needs no waiting.
    ///
    /// Context: any context that may take a semaphore: never sleeps.
    #[inline]
    pub fn try_read(&self) -> Option<ReadGuard<'_>> {
        // SAFETY: The semaphore is initialised (type invariant).
        if unsafe { bindings::down_read_trylock(self.sem.get()) } == 0 {
            return None;
        }
        // INVARIANT: the read lock is held; the guard releases it.
        Some(ReadGuard {
            sem: self,
            _not_send: PhantomData,
        })
    }

    /// Takes the semaphore for writing if that needs no waiting.
    ///
    /// Context: as [`RwSemaphore::try_read`].
    #[inline]
    pub fn try_write(&self) -> Option<WriteGuard<'_>> {
        // SAFETY: The semaphore is initialised (type invariant).
        if unsafe { bindings::down_write_trylock(self.sem.get()) } == 0 {
            return None;
        }
        // INVARIANT: the write lock is held; the guard releases it.
        Some(WriteGuard {
            sem: self,
            _not_send: PhantomData,
        })
    }

    /// Takes the semaphore for writing, waiting for every other holder.
    ///
    /// Context: process context; may sleep.
    #[inline]
    pub fn write(&self) -> WriteGuard<'_> {
        // SAFETY: The semaphore is initialised (type invariant).
        unsafe { bindings::down_write(self.sem.get()) };
        // INVARIANT: the write lock is held; the guard releases it.
        WriteGuard {
            sem: self,
            _not_send: PhantomData,
        }
    }
}

/// The semaphore held for reading; dropping it releases it.
///
/// # Invariants
///
/// This task holds `sem` for reading, once, on behalf of this guard.  The
/// guard is not `Send`: the task that took the lock releases it.
pub struct ReadGuard<'a> {
    sem: &'a RwSemaphore,
    _not_send: PhantomData<*mut ()>,
}

impl Drop for ReadGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: This task holds the read lock for this guard (type
        // invariant) and gives it back once, here.
        unsafe { bindings::up_read(self.sem.sem.get()) };
    }
}

/// The semaphore held for writing; dropping it releases it.
///
/// # Invariants
///
/// As for [`ReadGuard`], for the write lock.
pub struct WriteGuard<'a> {
    sem: &'a RwSemaphore,
    _not_send: PhantomData<*mut ()>,
}

impl Drop for WriteGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: This task holds the write lock for this guard (type
        // invariant) and gives it back once, here.
        unsafe { bindings::up_write(self.sem.sem.get()) };
    }
}
