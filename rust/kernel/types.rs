// SPDX-License-Identifier: GPL-2.0

//! Kernel types: a minimal backport of upstream's `kernel::types`.
//!
//! [`Opaque<T>`] wraps a C structure that C code may change at any time
//! (so Rust never assumes it is initialised or unaliased), and
//! [`ARef<T>`] is an owned reference to an object whose reference count
//! lives in C ([`AlwaysRefCounted`]): a `struct file`, a `struct
//! vm_arena`.  They have the shape of upstream's (6.12) and only what the
//! bindings here use.
//!
//! # Examples
//!
//! ```
//! use core::cell::Cell;
//! use core::ptr::NonNull;
//! use kernel::prelude::*;
//! use kernel::types::{ARef, AlwaysRefCounted};
//!
//! struct Counted(Cell<usize>);
//!
//! // SAFETY: `dec_ref` never frees: the object is a local that
//! // outlives every `ARef` made from it below.
//! unsafe impl AlwaysRefCounted for Counted {
//!     fn inc_ref(&self) {
//!         self.0.set(self.0.get() + 1);
//!     }
//!
//!     unsafe fn dec_ref(obj: NonNull<Self>) {
//!         // SAFETY: The caller owns a reference, so `obj` is valid.
//!         let c = unsafe { obj.as_ref() };
//!         c.0.set(c.0.get() - 1);
//!     }
//! }
//!
//! fn example() -> Result {
//!     let obj = Counted(Cell::new(1));
//!     let a: ARef<Counted> = ARef::from(&obj);
//!     let b = a.clone();
//!     let held = obj.0.get();
//!     drop((a, b));
//!     if held == 3 && obj.0.get() == 1 {
//!         Ok(())
//!     } else {
//!         Err(kernel::error::code::EINVAL)
//!     }
//! }
//! ```

use core::{
    cell::UnsafeCell,
    marker::{PhantomData, PhantomPinned},
    mem::{ManuallyDrop, MaybeUninit},
    ops::Deref,
    ptr::NonNull,
};

/// Stores a value that C may access and change behind Rust's back.
///
/// The value may be uninitialised, and Rust code never reads it directly:
/// it hands C the raw pointer from [`Opaque::get`].  `Opaque<T>` has the
/// layout of `T` (`repr(transparent)`), so a C `T *` can be turned into a
/// `&Opaque<T>`, or into a reference to a `repr(transparent)` wrapper of
/// it, for as long as C keeps the object alive.  It is `!Unpin`: C
/// structures often point at themselves.
#[repr(transparent)]
pub struct Opaque<T> {
    value: UnsafeCell<MaybeUninit<T>>,
    _pin: PhantomPinned,
}

impl<T> Opaque<T> {
    /// Creates a new opaque value.
    pub const fn new(value: T) -> Self {
        Self {
            value: UnsafeCell::new(MaybeUninit::new(value)),
            _pin: PhantomPinned,
        }
    }

    /// Creates an uninitialised value.
    pub const fn uninit() -> Self {
        Self {
            value: UnsafeCell::new(MaybeUninit::uninit()),
            _pin: PhantomPinned,
        }
    }

    /// Returns a raw pointer to the opaque data.
    pub const fn get(&self) -> *mut T {
        UnsafeCell::get(&self.value).cast::<T>()
    }

    /// Returns the raw pointer to the data behind `this` without making a
    /// reference.
    pub const fn raw_get(this: *const Self) -> *mut T {
        UnsafeCell::raw_get(this.cast::<UnsafeCell<MaybeUninit<T>>>()).cast::<T>()
    }
}

/// Types that are always reference counted, with the count kept by C.
///
/// # Safety
///
/// Implementers must ensure that an increment of the reference count
/// keeps the object alive in memory at least until the matching
/// decrement, and that every instance is reference counted (so that a
/// `&Self` can always be turned into an [`ARef<Self>`]).
pub unsafe trait AlwaysRefCounted {
    /// Increments the reference count on the object.
    fn inc_ref(&self);

    /// Decrements the reference count on the object, freeing it when the
    /// count reaches zero.
    ///
    /// # Safety
    ///
    /// The caller must own a reference (from a matching increment) and
    /// must not use the object after this call unless it owns another one.
    unsafe fn dec_ref(obj: NonNull<Self>);
}

/// An owned reference to an always-reference-counted object.
///
/// Dropping it releases the reference; cloning it takes another.
///
/// # Invariants
///
/// `ptr` is valid for the life of the `ARef`, which owns one increment of
/// the object's reference count.
pub struct ARef<T: AlwaysRefCounted> {
    ptr: NonNull<T>,
    _p: PhantomData<T>,
}

// SAFETY: Sending an `ARef<T>` shares `&T` with the other thread (needs
// `T: Sync`), and that thread may drop the last reference, freeing `T`
// there (needs `T: Send`).
unsafe impl<T: AlwaysRefCounted + Sync + Send> Send for ARef<T> {}

// SAFETY: A `&ARef<T>` gives `&T` (needs `T: Sync`) and can be cloned into
// an `ARef<T>` on the other thread (needs `T: Send`, as above).
unsafe impl<T: AlwaysRefCounted + Sync + Send> Sync for ARef<T> {}

impl<T: AlwaysRefCounted> ARef<T> {
    /// Creates an [`ARef`] that takes over one reference.
    ///
    /// # Safety
    ///
    /// The caller must own a reference on `*ptr` and hand it over: it must
    /// not release it itself.
    pub unsafe fn from_raw(ptr: NonNull<T>) -> Self {
        // INVARIANT: the caller handed over one reference.
        Self {
            ptr,
            _p: PhantomData,
        }
    }

    /// Gives up the `ARef` without releasing its reference, which the
    /// caller now owns.
    pub fn into_raw(me: Self) -> NonNull<T> {
        ManuallyDrop::new(me).ptr
    }
}

impl<T: AlwaysRefCounted> Clone for ARef<T> {
    fn clone(&self) -> Self {
        self.inc_ref();
        // SAFETY: We just took the reference handed over here.
        unsafe { Self::from_raw(self.ptr) }
    }
}

impl<T: AlwaysRefCounted> Deref for ARef<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: The object is valid while we hold a reference (type
        // invariant).
        unsafe { self.ptr.as_ref() }
    }
}

impl<T: AlwaysRefCounted> From<&T> for ARef<T> {
    fn from(b: &T) -> Self {
        b.inc_ref();
        // SAFETY: We just took the reference handed over here.
        unsafe { Self::from_raw(NonNull::from(b)) }
    }
}

impl<T: AlwaysRefCounted> Drop for ARef<T> {
    fn drop(&mut self) {
        // SAFETY: We own one reference (type invariant) and give it back
        // once; `self.ptr` is not used afterwards.
        unsafe { T::dec_ref(self.ptr) };
    }
}
