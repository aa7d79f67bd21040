// SPDX-License-Identifier: GPL-2.0

//! ioctl() command numbers.
//!
//! C header: [`include/asm-generic/ioctl.h`](../../../../include/asm-generic/ioctl.h)
//!
//! The C macros `_IO()`, `_IOR()`, ... need `sizeof` and are not visible
//! to bindgen; these `const fn`s compute the same numbers.  Each field
//! must fit its bits (`ty` and `nr` 8 bits, the size 14): a value that does
//! not panics, which in a `const` item (the intended use) is a compile
//! error, as the C `_IOC_TYPECHECK()` makes it one.
//!
//! # Examples
//!
//! ```
//! use kernel::ioctl::_IOW;
//!
//! const MY_IOC_SET: u32 = _IOW::<u64>(0xB8, 0);
//! ```

#![allow(non_snake_case)]

use crate::bindings;

const fn ioc(dir: u32, ty: u32, nr: u32, size: usize) -> u32 {
    assert!(
        dir < (1 << bindings::_IOC_DIRBITS),
        "ioctl direction out of range"
    );
    assert!(
        ty < (1 << bindings::_IOC_TYPEBITS),
        "ioctl type out of range"
    );
    assert!(
        nr < (1 << bindings::_IOC_NRBITS),
        "ioctl number out of range"
    );
    assert!(
        size < (1 << bindings::_IOC_SIZEBITS),
        "ioctl argument too large"
    );
    (dir << bindings::_IOC_DIRSHIFT)
        | (ty << bindings::_IOC_TYPESHIFT)
        | (nr << bindings::_IOC_NRSHIFT)
        | ((size as u32) << bindings::_IOC_SIZESHIFT)
}

/// A command with no argument (`_IO`).
pub const fn _IO(ty: u32, nr: u32) -> u32 {
    ioc(bindings::_IOC_NONE, ty, nr, 0)
}

/// A command that reads a `T` from the kernel (`_IOR`).
pub const fn _IOR<T>(ty: u32, nr: u32) -> u32 {
    ioc(bindings::_IOC_READ, ty, nr, core::mem::size_of::<T>())
}

/// A command that writes a `T` to the kernel (`_IOW`).
pub const fn _IOW<T>(ty: u32, nr: u32) -> u32 {
    ioc(bindings::_IOC_WRITE, ty, nr, core::mem::size_of::<T>())
}

/// A command that writes and reads back a `T` (`_IOWR`).
pub const fn _IOWR<T>(ty: u32, nr: u32) -> u32 {
    ioc(
        bindings::_IOC_READ | bindings::_IOC_WRITE,
        ty,
        nr,
        core::mem::size_of::<T>(),
    )
}
