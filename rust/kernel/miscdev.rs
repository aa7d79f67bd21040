// SPDX-License-Identifier: GPL-2.0

//! Miscellaneous character devices and their file operations.
//!
//! C header: [`include/linux/miscdevice.h`](../../../../include/linux/miscdevice.h)
//!
//! The shape of upstream's `kernel::miscdevice` (6.13), for 6.1: a driver
//! implements the vtable-style trait [`MiscDevice`] for its per-open
//! state, declares the operations table in static memory with
//! [`misc_device_vtable!`] and keeps a [`MiscDeviceRegistration`] for as
//! long as the device should exist (normally in its module data, so that
//! module exit removes the device).  Every `open()` of `/dev/<name>`
//! creates a new state with [`MiscDevice::open`]; the last close hands it
//! to [`MiscDevice::release`].  Every operation receives the [`File`] it
//! runs on.  Optional operations are installed only if the
//! implementation sets their `HAS_*` constant (what upstream's
//! `#[vtable]` macro does for it); the VFS answers for the others
//! (`ENOTTY` for an ioctl, `ENODEV` for `mmap()`).
//!
//! # Examples
//!
//! ```
//! use core::sync::atomic::{AtomicU64, Ordering};
//! use kernel::miscdev::{File, MiscDevice, MiscDeviceRegistration};
//! use kernel::prelude::*;
//! use kernel::uaccess::UserSlice;
//!
//! struct Counter(AtomicU64);
//!
//! impl MiscDevice for Counter {
//!     fn open(_file: &File) -> Result<Self> {
//!         Ok(Counter(AtomicU64::new(0)))
//!     }
//!
//!     const HAS_IOCTL: bool = true;
//!
//!     // Any ioctl bumps the counter and stores it at `arg`.
//!     fn ioctl(&self, _file: &File, _cmd: u32, arg: usize) -> Result<isize> {
//!         let v = self.0.fetch_add(1, Ordering::Relaxed) + 1;
//!         UserSlice::for_type::<u64>(arg).writer().write(&v)?;
//!         Ok(0)
//!     }
//! }
//!
//! kernel::misc_device_vtable!(COUNTER_VTABLE, Counter);
//!
//! fn init() -> Result<MiscDeviceRegistration<Counter>> {
//!     MiscDeviceRegistration::register(b"counter\0", 0o600, &COUNTER_VTABLE)
//! }
//! ```
//!
//! [`misc_device_vtable!`]: crate::misc_device_vtable

use crate::{
    bindings,
    error::{code::*, Error, Result},
    types::{AlwaysRefCounted, Opaque},
};
use alloc::boxed::Box;
use core::{
    ffi::{c_int, c_long, c_uint, c_ulong, c_void},
    marker::PhantomData,
    ptr::NonNull,
};

/// A C `struct file`.
///
/// # Invariants
///
/// An `&File` is only made from a pointer to an open file that stays open
/// while the reference lives: during a file operation (the VFS holds a
/// reference for its duration), or through an [`ARef<File>`] (which holds
/// one itself).
///
/// [`ARef<File>`]: crate::types::ARef
#[repr(transparent)]
pub struct File(Opaque<bindings::file>);

// SAFETY: `get_file()` takes a reference that keeps the file alive until
// the matching `fput()`, and every file is reference counted.
unsafe impl AlwaysRefCounted for File {
    fn inc_ref(&self) {
        // SAFETY: The file is open while `&self` lives (type invariant).
        unsafe { bindings::get_file(self.as_ptr()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a reference and hands it back here.
        unsafe { bindings::fput(obj.as_ptr().cast()) }
    }
}

// SAFETY: A `struct file` may be used and released on any thread; the
// fields Rust reads are read with the care the VFS asks for.
unsafe impl Send for File {}

// SAFETY: As above: `&File` only reads `f_mode` (once, volatile) and hands
// the pointer to thread-safe C functions.
unsafe impl Sync for File {}

/// `FMODE_READ`: the file was opened for reading.
pub const FMODE_READ: u32 = bindings::BINDINGS_FMODE_READ;
/// `FMODE_WRITE`: the file was opened for writing.
pub const FMODE_WRITE: u32 = bindings::BINDINGS_FMODE_WRITE;

impl File {
    /// Makes a `&File` from a C pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an open file that stays open for `'a`.
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::file) -> &'a File {
        // SAFETY: `File` is `repr(transparent)` over `struct file`; the
        // caller guarantees the file stays open for `'a`.
        unsafe { &*ptr.cast::<File>() }
    }

    /// Returns the raw `struct file` pointer.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::file {
        self.0.get()
    }

    /// The file's `f_mode`: `FMODE_*` bits, such as [`FMODE_WRITE`] for a
    /// file opened for writing.  The access bits never change once the
    /// file is open; some others may.
    #[inline]
    pub fn mode(&self) -> u32 {
        // SAFETY: The file is valid (type invariant).  The VFS may update
        // other bits of `f_mode` concurrently, so read it once, volatile,
        // as C's `READ_ONCE()` would.
        unsafe { core::ptr::addr_of!((*self.as_ptr()).f_mode).read_volatile() }
    }
}

/// A `struct vm_area_struct` passed to [`MiscDevice::mmap`].
///
/// # Invariants
///
/// Only made from the pointer `mmap` receives, valid, with `mmap_lock`
/// held for writing, for the duration of the callback.
#[repr(transparent)]
pub struct VmArea(Opaque<bindings::vm_area_struct>);

impl VmArea {
    /// Returns the raw pointer, for C functions such as `vm_arena_mmap()`.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::vm_area_struct {
        self.0.get()
    }

    /// Start of the user mapping.
    #[inline]
    pub fn start(&self) -> usize {
        // SAFETY: The VMA is valid during the callback (type invariant).
        unsafe { (*self.as_ptr()).vm_start as usize }
    }

    /// End of the user mapping (exclusive).
    #[inline]
    pub fn end(&self) -> usize {
        // SAFETY: As above.
        unsafe { (*self.as_ptr()).vm_end as usize }
    }
}

/// A `struct seq_file` passed to [`MiscDevice::show_fdinfo`].
///
/// # Invariants
///
/// Only made from the pointer the callback receives, valid during it.
#[repr(transparent)]
pub struct SeqFile(Opaque<bindings::seq_file>);

impl SeqFile {
    /// Returns the raw pointer, for C functions that print into it.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::seq_file {
        self.0.get()
    }
}

/// The file operations of a misc device; `Self` is the per-open state.
///
/// Every operation runs in process context and may sleep.  Operations
/// other than `open` and `release` take `&self`: several threads may use
/// one open file at once, so state that changes needs interior mutability
/// (atomics, locks).
pub trait MiscDevice: Sized + Send + Sync + 'static {
    /// Creates the state of the newly opened `file`.
    fn open(file: &File) -> Result<Self>;

    /// Called on the last close of `file`, with its state; the default
    /// drops it.
    fn release(self, _file: &File) {}

    /// Set to `true` to install [`MiscDevice::ioctl`] (and, on 64-bit,
    /// `compat_ptr_ioctl()` for 32-bit callers).
    const HAS_IOCTL: bool = false;

    /// Handles `ioctl(fd, cmd, arg)` on `file`.
    fn ioctl(&self, _file: &File, _cmd: u32, _arg: usize) -> Result<isize> {
        Err(ENOTTY)
    }

    /// Set to `true` to install [`MiscDevice::mmap`].
    const HAS_MMAP: bool = false;

    /// Handles `mmap()` of `file`.
    fn mmap(&self, _file: &File, _vma: &VmArea) -> Result {
        Err(ENODEV)
    }

    /// Set to `true` to install [`MiscDevice::get_unmapped_area`].
    const HAS_GET_UNMAPPED_AREA: bool = false;

    /// Chooses the user address of a new mapping of `file`.
    fn get_unmapped_area(
        &self,
        _file: &File,
        _addr: usize,
        _len: usize,
        _pgoff: usize,
        _flags: usize,
    ) -> Result<usize> {
        Err(ENODEV)
    }

    /// Set to `true` to install [`MiscDevice::show_fdinfo`].
    const HAS_SHOW_FDINFO: bool = false;

    /// Adds lines to `/proc/<pid>/fdinfo/<fd>` of `file`.
    fn show_fdinfo(&self, _file: &File, _m: &SeqFile) {}
}

/// The `file_operations` table of a misc device whose files use `T` as
/// their state, in static memory.
///
/// The VFS reads a file's operations table until the very end of the
/// file's life (`fops_put()` after `release`, and on a failed open), so
/// the table must outlive every file: it is a `static` of the driver's
/// module, which open files pin through its `owner`.  Declare one with
/// [`misc_device_vtable!`] and pass it to
/// [`MiscDeviceRegistration::register`].
///
/// [`misc_device_vtable!`]: crate::misc_device_vtable
pub struct MiscDeviceVTable<T: MiscDevice> {
    fops: bindings::file_operations,
    _p: PhantomData<T>,
}

// SAFETY: The table is never written after it is built; C only reads it.
unsafe impl<T: MiscDevice> Sync for MiscDeviceVTable<T> {}

impl<T: MiscDevice> MiscDeviceVTable<T> {
    /// Builds the table; use [`misc_device_vtable!`].
    ///
    /// [`misc_device_vtable!`]: crate::misc_device_vtable
    ///
    /// # Safety
    ///
    /// `owner` must be the module that holds the code of `T` and the
    /// table itself (its `__this_module`), or null for built-in code.
    #[doc(hidden)]
    pub const unsafe fn new(owner: *mut bindings::module) -> Self {
        // SAFETY: Every field of `file_operations` is an `Option` of a
        // function pointer, a raw pointer or an integer, for which all
        // zero bytes are a valid value (`None`, null, 0).
        let mut fops: bindings::file_operations = unsafe {
            core::mem::transmute([0u8; core::mem::size_of::<bindings::file_operations>()])
        };
        fops.owner = owner;
        fops.open = Some(open_cb::<T>);
        fops.release = Some(release_cb::<T>);
        fops.llseek = Some(bindings::noop_llseek);
        if T::HAS_IOCTL {
            fops.unlocked_ioctl = Some(ioctl_cb::<T>);
            #[cfg(CONFIG_COMPAT)]
            {
                fops.compat_ioctl = Some(bindings::compat_ptr_ioctl);
            }
        }
        if T::HAS_MMAP {
            fops.mmap = Some(mmap_cb::<T>);
        }
        if T::HAS_GET_UNMAPPED_AREA {
            fops.get_unmapped_area = Some(get_unmapped_area_cb::<T>);
        }
        if T::HAS_SHOW_FDINFO {
            fops.show_fdinfo = Some(show_fdinfo_cb::<T>);
        }
        Self {
            fops,
            _p: PhantomData,
        }
    }
}

/// Declares `static $name: MiscDeviceVTable<$t>`, the operations table of
/// a misc device whose files use `$t` as their state, owned by the module
/// this is written in.
///
/// ```ignore
/// kernel::misc_device_vtable!(VTABLE, MyFile);
/// let reg = MiscDeviceRegistration::register(b"mydev\0", 0o600, &VTABLE)?;
/// ```
#[macro_export]
macro_rules! misc_device_vtable {
    ($name:ident, $t:ty) => {
        #[cfg(MODULE)]
        static $name: $crate::miscdev::MiscDeviceVTable<$t> = {
            extern "C" {
                static __this_module: core::cell::UnsafeCell<$crate::bindings::module>;
            }
            // SAFETY: `__this_module` is this module's, which holds `$t`'s
            // code and this table.
            unsafe { $crate::miscdev::MiscDeviceVTable::new(__this_module.get()) }
        };
        #[cfg(not(MODULE))]
        // SAFETY: Built-in code has no owner module.
        static $name: $crate::miscdev::MiscDeviceVTable<$t> =
            unsafe { $crate::miscdev::MiscDeviceVTable::new(core::ptr::null_mut()) };
    };
}

/// A registered misc device whose files use `T` as their state.
///
/// # Invariants
///
/// `mdev` is registered with `misc_register()`, at the address of its
/// allocation (which never moves), and points at a static
/// [`MiscDeviceVTable<T>`].  Open files never refer to `mdev`: `misc_open()`
/// calls `open` under `misc_mtx` with `private_data` pointing at it, and
/// `open` replaces that with the file's own state.  `misc_deregister()`
/// takes `misc_mtx` too, so once it returns nothing refers to `mdev`.
pub struct MiscDeviceRegistration<T: MiscDevice> {
    mdev: Box<Opaque<bindings::miscdevice>>,
    _p: PhantomData<T>,
}

// SAFETY: The registration only hands `mdev` to C, which is thread-safe.
unsafe impl<T: MiscDevice> Send for MiscDeviceRegistration<T> {}

// SAFETY: `&MiscDeviceRegistration` only reads the minor number, which
// does not change while registered.
unsafe impl<T: MiscDevice> Sync for MiscDeviceRegistration<T> {}

impl<T: MiscDevice> MiscDeviceRegistration<T> {
    /// Registers the misc device `/dev/<name>` with a dynamic minor.
    ///
    /// `name` must be NUL-terminated (`b"name\0"`); `mode` is the mode of
    /// the device node (0 for the default, 0600).
    ///
    /// Context: process context; may sleep.
    ///
    /// Errors: `EINVAL` for a bad name, `ENOMEM`, or what `misc_register()`
    /// returns (`EBUSY` if the name is taken).
    pub fn register(
        name: &'static [u8],
        mode: u16,
        vtable: &'static MiscDeviceVTable<T>,
    ) -> Result<Self> {
        match name.split_last() {
            Some((0, rest)) if !rest.is_empty() && !rest.contains(&0) => (),
            _ => return Err(EINVAL),
        }
        let mdev = Box::try_new(Opaque::new(bindings::miscdevice::default()))?;
        let p = mdev.get();
        // SAFETY: `p` is a valid, initialised miscdevice in an allocation
        // we own, which stays where it is until `drop` deregisters it;
        // `name` and the table are `'static`.
        let ret = unsafe {
            (*p).minor = bindings::MISC_DYNAMIC_MINOR as _;
            (*p).name = name.as_ptr().cast();
            (*p).mode = mode;
            (*p).fops = &vtable.fops;
            bindings::misc_register(p)
        };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        // INVARIANT: registered just above.
        Ok(Self {
            mdev,
            _p: PhantomData,
        })
    }

    /// The minor number the device got.
    pub fn minor(&self) -> i32 {
        // SAFETY: `mdev` is valid (type invariant).
        unsafe { (*self.mdev.get()).minor as i32 }
    }
}

impl<T: MiscDevice> Drop for MiscDeviceRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: The device was registered in `register` (type
        // invariant); afterwards nothing refers to `mdev`, which the box
        // then frees.
        unsafe { bindings::misc_deregister(self.mdev.get()) };
    }
}

/// Returns the state of an open file.
///
/// # Safety
///
/// `file` must be an open file of a device with `MiscDeviceVTable<T>`,
/// after a successful `open_cb::<T>` and before `release_cb::<T>`.
unsafe fn file_data<'a, T: MiscDevice>(file: *mut bindings::file) -> &'a T {
    // SAFETY: Per the safety requirements private_data is our box.
    unsafe { &*((*file).private_data as *const T) }
}

unsafe extern "C" fn open_cb<T: MiscDevice>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: The VFS holds a reference on `file` during the call.
    let f = unsafe { File::from_raw(file) };
    let data = match T::open(f).and_then(|d| Box::try_new(d).map_err(Error::from)) {
        Ok(b) => b,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: `file` is valid; the box is reclaimed in `release_cb`.
    unsafe { (*file).private_data = Box::into_raw(data) as *mut c_void };
    0
}

unsafe extern "C" fn release_cb<T: MiscDevice>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `open_cb` stored a `Box<T>`; this is its last use, and the
    // file is valid during the call.
    let (data, f) = unsafe {
        (
            Box::from_raw((*file).private_data as *mut T),
            File::from_raw(file),
        )
    };
    (*data).release(f);
    0
}

unsafe extern "C" fn ioctl_cb<T: MiscDevice>(
    file: *mut bindings::file,
    cmd: c_uint,
    arg: c_ulong,
) -> c_long {
    // SAFETY: The file is open (the VFS holds a reference) for the whole
    // call, after `open_cb` and before `release_cb`.
    let (data, f) = unsafe { (file_data::<T>(file), File::from_raw(file)) };
    match data.ioctl(f, cmd, arg as usize) {
        Ok(v) => v as c_long,
        Err(e) => e.to_errno() as c_long,
    }
}

unsafe extern "C" fn mmap_cb<T: MiscDevice>(
    file: *mut bindings::file,
    vma: *mut bindings::vm_area_struct,
) -> c_int {
    // SAFETY: The file is open; `vma` is valid during the call and
    // `VmArea` is `repr(transparent)`.
    let (data, f, vma) = unsafe {
        (
            file_data::<T>(file),
            File::from_raw(file),
            &*(vma as *const VmArea),
        )
    };
    match data.mmap(f, vma) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

unsafe extern "C" fn get_unmapped_area_cb<T: MiscDevice>(
    file: *mut bindings::file,
    addr: c_ulong,
    len: c_ulong,
    pgoff: c_ulong,
    flags: c_ulong,
) -> c_ulong {
    // SAFETY: The file is open during the call.
    let (data, f) = unsafe { (file_data::<T>(file), File::from_raw(file)) };
    match data.get_unmapped_area(f, addr as _, len as _, pgoff as _, flags as _) {
        Ok(a) => a as c_ulong,
        Err(e) => e.to_errno() as c_long as c_ulong,
    }
}

unsafe extern "C" fn show_fdinfo_cb<T: MiscDevice>(
    m: *mut bindings::seq_file,
    file: *mut bindings::file,
) {
    // SAFETY: The file is open; `m` is valid during the call.
    let (data, f, m) = unsafe {
        (
            file_data::<T>(file),
            File::from_raw(file),
            &*(m as *const SeqFile),
        )
    };
    data.show_fdinfo(f, m);
}
