// SPDX-License-Identifier: GPL-2.0

//! Copies between kernel and user memory.
//!
//! C header: [`include/linux/uaccess.h`](../../../../include/linux/uaccess.h)
//!
//! A [`UserSlice`] is a range of user memory, such as the structure an
//! ioctl argument points to.  It is consumed into a [`UserSliceReader`]
//! and/or a [`UserSliceWriter`] (as upstream's, 6.12).  Each read or
//! write advances past the bytes it copied, so a driver cannot fetch the
//! same user bytes twice by accident (a double fetch: user space may
//! change them between the two reads, and a check made on the first copy
//! would not hold for the second).  There is deliberately no way to clone
//! a reader.
//!
//! Every copy is checked by the C `copy_{from,to}_user()`, which fail with
//! `EFAULT` for an address user space may not access; holding a slice
//! grants nothing.
//!
//! # Examples
//!
//! ```
//! use kernel::prelude::*;
//! use kernel::uaccess::{UserPtr, UserSlice};
//!
//! /// An ioctl that doubles the `u64` user space passed by address.
//! fn double(arg: UserPtr) -> Result {
//!     let (mut r, mut w) = UserSlice::new(arg, 8).reader_writer();
//!     let v: u64 = r.read()?;
//!     // `r` is now empty: a second `r.read::<u64>()` is `EFAULT`.
//!     w.write(&v.wrapping_mul(2))
//! }
//! ```

use crate::{
    bindings,
    error::{code::*, Result},
};
use core::{
    ffi::c_void,
    mem::{size_of, MaybeUninit},
};

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

/// A user-space address, such as an ioctl argument (as upstream).
pub type UserPtr = usize;

/// A range of user memory: `len` bytes at `ptr`.
///
/// Consume it with [`UserSlice::reader`], [`UserSlice::writer`] or
/// [`UserSlice::reader_writer`].
pub struct UserSlice {
    ptr: UserPtr,
    len: usize,
}

impl UserSlice {
    /// The `len` bytes at user address `ptr`; nothing is checked until a
    /// copy.
    #[inline]
    pub fn new(ptr: UserPtr, len: usize) -> Self {
        Self { ptr, len }
    }

    /// The `size_of::<T>()` bytes at `ptr`: the argument of an ioctl that
    /// passes a `T` by address.
    #[inline]
    pub fn for_type<T: Pod>(ptr: UserPtr) -> Self {
        Self::new(ptr, size_of::<T>())
    }

    /// Reads the range from the start.
    #[inline]
    pub fn reader(self) -> UserSliceReader {
        UserSliceReader {
            ptr: self.ptr,
            len: self.len,
        }
    }

    /// Writes the range from the start.
    #[inline]
    pub fn writer(self) -> UserSliceWriter {
        UserSliceWriter {
            ptr: self.ptr,
            len: self.len,
        }
    }

    /// Reads and writes the same range, each from the start: an ioctl that
    /// reads its argument and writes results back into it.
    #[inline]
    pub fn reader_writer(self) -> (UserSliceReader, UserSliceWriter) {
        (
            UserSliceReader {
                ptr: self.ptr,
                len: self.len,
            },
            UserSliceWriter {
                ptr: self.ptr,
                len: self.len,
            },
        )
    }
}

/// Reads a user range front to back; what was read is not read again.
pub struct UserSliceReader {
    ptr: UserPtr,
    len: usize,
}

impl UserSliceReader {
    /// Bytes left to read.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns `true` if nothing is left to read.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Skips `n` bytes.
    ///
    /// Errors: `EFAULT` if fewer are left (nothing is skipped then).
    pub fn skip(&mut self, n: usize) -> Result {
        if n > self.len {
            return Err(EFAULT);
        }
        self.ptr = self.ptr.wrapping_add(n);
        self.len -= n;
        Ok(())
    }

    /// Copies `out.len()` bytes into `out` and advances past them.
    ///
    /// Context: process context; may sleep (it may fault pages in).
    ///
    /// Errors: `EFAULT` if fewer bytes are left or a byte could not be
    /// read; the reader is empty afterwards in the second case, and `out`
    /// holds an unspecified prefix.
    #[inline]
    pub fn read_slice(&mut self, out: &mut [u8]) -> Result {
        if out.len() > self.len {
            return Err(EFAULT);
        }
        // SAFETY: `out` is valid for writes of its length; the user range
        // is checked by the callee.
        let left = unsafe {
            bindings::copy_from_user(
                out.as_mut_ptr().cast(),
                self.ptr as *const c_void,
                out.len() as _,
            )
        };
        if left != 0 {
            self.len = 0;
            return Err(EFAULT);
        }
        self.ptr = self.ptr.wrapping_add(out.len());
        self.len -= out.len();
        Ok(())
    }

    /// Copies a `T` and advances past it.
    ///
    /// Context: process context; may sleep.
    ///
    /// Errors: as for [`UserSliceReader::read_slice`].
    #[inline]
    pub fn read<T: Pod>(&mut self) -> Result<T> {
        let mut v = MaybeUninit::<T>::uninit();
        // SAFETY: `v` is valid for writes of `size_of::<T>()` bytes, and
        // `u8` has no invalid values; the bytes are only read back as a
        // `T` once all of them were written.
        let bytes =
            unsafe { core::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<u8>(), size_of::<T>()) };
        self.read_slice(bytes)?;
        // SAFETY: Every byte was written above and `T: Pod` accepts any
        // bit pattern.
        Ok(unsafe { v.assume_init() })
    }
}

/// Writes a user range front to back.
pub struct UserSliceWriter {
    ptr: UserPtr,
    len: usize,
}

impl UserSliceWriter {
    /// Bytes left to write.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns `true` if nothing is left to write.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copies `data` to user space and advances past it.
    ///
    /// Context: process context; may sleep.
    ///
    /// Errors: `EFAULT` if less room is left or a byte could not be written
    /// (user space may then see a partial write; the writer is empty
    /// afterwards).
    #[inline]
    pub fn write_slice(&mut self, data: &[u8]) -> Result {
        if data.len() > self.len {
            return Err(EFAULT);
        }
        // SAFETY: `data` is valid for reads of its length; the user range
        // is checked by the callee.
        let left = unsafe {
            bindings::copy_to_user(
                self.ptr as *mut c_void,
                data.as_ptr().cast(),
                data.len() as _,
            )
        };
        if left != 0 {
            self.len = 0;
            return Err(EFAULT);
        }
        self.ptr = self.ptr.wrapping_add(data.len());
        self.len -= data.len();
        Ok(())
    }

    /// Copies `value` to user space and advances past it.
    ///
    /// Context: process context; may sleep.
    ///
    /// Errors: as for [`UserSliceWriter::write_slice`].
    #[inline]
    pub fn write<T: Pod>(&mut self, value: &T) -> Result {
        // SAFETY: `T: Pod` has no padding, so all `size_of::<T>()` bytes
        // of `value` are initialised; they are only read while borrowed.
        let bytes = unsafe {
            core::slice::from_raw_parts((value as *const T).cast::<u8>(), size_of::<T>())
        };
        self.write_slice(bytes)
    }
}
