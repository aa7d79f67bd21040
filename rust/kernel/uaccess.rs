// SPDX-License-Identifier: GPL-2.0

//! Copies between kernel and user memory.
//!
//! C header: [`include/linux/uaccess.h`](../../../../include/linux/uaccess.h)
//!
//! # Examples
//!
//! ```
//! use kernel::prelude::*;
//! use kernel::uaccess::UserPtr;
//!
//! /// An ioctl that doubles the `u64` user space passed by address.
//! fn double(arg: usize) -> Result {
//!     let ptr = UserPtr::new(arg);
//!     let v: u64 = ptr.read()?;
//!     ptr.write(&(v * 2))
//! }
//! ```

use crate::{
    bindings,
    error::{code::*, Result},
};
use core::mem::{size_of, MaybeUninit};

/// Types that can be copied to and from user space as raw bytes.
///
/// # Safety
///
/// Every bit pattern of `size_of::<Self>()` bytes must be a valid value
/// (user space controls them), and the type must have no padding bytes
/// (copying it to user space must not leak uninitialised kernel memory).
pub unsafe trait Pod: Sized {}

// SAFETY: Integers: every bit pattern is valid, and there is no padding.
unsafe impl Pod for u8 {}
// SAFETY: As above.
unsafe impl Pod for u16 {}
// SAFETY: As above.
unsafe impl Pod for u32 {}
// SAFETY: As above.
unsafe impl Pod for u64 {}
// SAFETY: As above.
unsafe impl Pod for i32 {}
// SAFETY: As above.
unsafe impl Pod for i64 {}
// SAFETY: As above.
unsafe impl Pod for usize {}

/// A user-space address, such as an ioctl argument.
///
/// Holding one grants nothing: every access is checked by the C
/// `copy_{from,to}_user()`, which fail with `EFAULT` for an address user
/// space may not access.
#[derive(Clone, Copy)]
pub struct UserPtr(usize);

impl UserPtr {
    /// Wraps a user-space address.
    pub fn new(addr: usize) -> Self {
        Self(addr)
    }

    /// Returns the address.
    pub fn addr(&self) -> usize {
        self.0
    }

    /// Copies a `T` from user space.
    ///
    /// Context: process context; may sleep (it may fault pages in).
    ///
    /// Returns `EFAULT` if any byte could not be read.
    pub fn read<T: Pod>(&self) -> Result<T> {
        let mut v = MaybeUninit::<T>::uninit();
        // SAFETY: `v` is valid for writes of `size_of::<T>()` bytes; the
        // user address is checked by the callee.
        let left = unsafe {
            bindings::copy_from_user(
                v.as_mut_ptr().cast(),
                self.0 as *const core::ffi::c_void,
                size_of::<T>() as _,
            )
        };
        if left != 0 {
            return Err(EFAULT);
        }
        // SAFETY: Every byte was written above and `T: Pod` accepts any
        // bit pattern.
        Ok(unsafe { v.assume_init() })
    }

    /// Copies `value` to user space.
    ///
    /// Context: process context; may sleep.
    ///
    /// Returns `EFAULT` if any byte could not be written (user space may
    /// then see a partial write).
    pub fn write<T: Pod>(&self, value: &T) -> Result {
        // SAFETY: `value` is valid for reads of `size_of::<T>()` bytes, all
        // initialised (`T: Pod` has no padding); the user address is
        // checked by the callee.
        let left = unsafe {
            bindings::copy_to_user(
                self.0 as *mut core::ffi::c_void,
                (value as *const T).cast(),
                size_of::<T>() as _,
            )
        };
        if left != 0 {
            return Err(EFAULT);
        }
        Ok(())
    }
}
