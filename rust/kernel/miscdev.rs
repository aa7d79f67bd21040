// SPDX-License-Identifier: GPL-2.0

//! Miscellaneous character devices and their file operations.
//!
//! C header: [`include/linux/miscdevice.h`](../../../../include/linux/miscdevice.h)
//!
//! A driver implements [`Operations`] for its per-open state, declares
//! its operations table in static memory with [`misc_file_operations!`]
//! and keeps a [`Registration`] for as long as the device should exist
//! (normally in its module data, so that module exit removes the
//! device).  Every
//! `open()` of `/dev/<name>` creates a new state with
//! [`Operations::open`]; the last close drops it.  Only the operations
//! the sample drivers need exist: open, release, `unlocked_ioctl`, `mmap`,
//! `get_unmapped_area` and `show_fdinfo`.
//!
//! # Examples
//!
//! ```
//! use core::sync::atomic::{AtomicU64, Ordering};
//! use kernel::miscdev::{File, Operations, Registration};
//! use kernel::prelude::*;
//! use kernel::uaccess::UserPtr;
//!
//! struct Counter(AtomicU64);
//!
//! impl Operations for Counter {
//!     fn open() -> Result<Self> {
//!         Ok(Counter(AtomicU64::new(0)))
//!     }
//!
//!     // Any ioctl bumps the counter and stores it at `arg`.
//!     fn ioctl(&self, _file: &File, _cmd: u32, arg: usize) -> Result<isize> {
//!         let v = self.0.fetch_add(1, Ordering::Relaxed) + 1;
//!         UserPtr::new(arg).write(&v)?;
//!         Ok(0)
//!     }
//! }
//!
//! kernel::misc_file_operations!(COUNTER_FOPS, Counter);
//!
//! fn init() -> Result<Registration<Counter>> {
//!     Registration::register(b"counter\0", 0o600, &COUNTER_FOPS)
//! }
//! ```

use crate::{
    bindings,
    error::{code::*, Error, Result},
};
use alloc::boxed::Box;
use core::{
    cell::UnsafeCell,
    ffi::{c_int, c_long, c_uint, c_ulong, c_void},
    marker::PhantomData,
    ptr::NonNull,
    sync::atomic::{AtomicUsize, Ordering},
};

/// A `struct file` the kernel passes to a file operation.
///
/// # Invariants
///
/// Only ever used by reference, for the duration of the callback that
/// received the pointer; the file is open during that time.
#[repr(transparent)]
pub struct File(UnsafeCell<bindings::file>);

/// `FMODE_READ`: the file was opened for reading.
pub const FMODE_READ: u32 = bindings::BINDINGS_FMODE_READ;
/// `FMODE_WRITE`: the file was opened for writing.
pub const FMODE_WRITE: u32 = bindings::BINDINGS_FMODE_WRITE;

impl File {
    /// Returns the raw `struct file` pointer.
    pub fn as_ptr(&self) -> *mut bindings::file {
        self.0.get()
    }

    /// The file's `f_mode`: `FMODE_*` bits, such as [`FMODE_WRITE`] for a
    /// file opened for writing.  The access bits never change once the
    /// file is open; some others may.
    pub fn mode(&self) -> u32 {
        // SAFETY: The file is valid during the callback (type invariant).
        // The VFS may update other bits of `f_mode` concurrently, so read
        // it once, volatile, as C's `READ_ONCE()` would.
        unsafe { core::ptr::addr_of!((*self.as_ptr()).f_mode).read_volatile() }
    }
}

/// A `struct vm_area_struct` passed to [`Operations::mmap`].
///
/// # Invariants
///
/// As for [`File`]: valid, with `mmap_lock` held for writing, during the
/// callback.
#[repr(transparent)]
pub struct VmArea(UnsafeCell<bindings::vm_area_struct>);

impl VmArea {
    /// Returns the raw pointer, for C functions such as `vm_arena_mmap()`.
    pub fn as_ptr(&self) -> *mut bindings::vm_area_struct {
        self.0.get()
    }

    /// Start of the user mapping.
    pub fn start(&self) -> usize {
        // SAFETY: The VMA is valid during the callback (type invariant).
        unsafe { (*self.as_ptr()).vm_start as usize }
    }

    /// End of the user mapping (exclusive).
    pub fn end(&self) -> usize {
        // SAFETY: As above.
        unsafe { (*self.as_ptr()).vm_end as usize }
    }
}

/// A `struct seq_file` passed to [`Operations::show_fdinfo`].
///
/// # Invariants
///
/// As for [`File`].
#[repr(transparent)]
pub struct SeqFile(UnsafeCell<bindings::seq_file>);

impl SeqFile {
    /// Returns the raw pointer, for C functions that print into it.
    pub fn as_ptr(&self) -> *mut bindings::seq_file {
        self.0.get()
    }
}

/// The file operations of a misc device; `Self` is the per-open state.
///
/// Every method runs in process context and may sleep.  Methods take
/// `&self`: several threads may use one open file at once, so state that
/// changes needs interior mutability (atomics, for instance).
pub trait Operations: Sized + Send + Sync + 'static {
    /// Creates the state of a new open file.
    fn open() -> Result<Self>;

    /// Handles `ioctl(fd, cmd, arg)` on `file`; the default returns
    /// `ENOTTY`.
    fn ioctl(&self, _file: &File, _cmd: u32, _arg: usize) -> Result<isize> {
        Err(ENOTTY)
    }

    /// Handles `mmap()`; the default returns `ENODEV`.
    fn mmap(&self, _vma: &VmArea) -> Result {
        Err(ENODEV)
    }

    /// Set to `true` to install [`Operations::get_unmapped_area`].
    const HAS_GET_UNMAPPED_AREA: bool = false;

    /// Chooses the user address of a new mapping of the file.
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

    /// Set to `true` to install [`Operations::show_fdinfo`].
    const HAS_SHOW_FDINFO: bool = false;

    /// Adds lines to `/proc/<pid>/fdinfo/<fd>`.
    fn show_fdinfo(&self, _m: &SeqFile) {}
}

/// What a registration shares with its open files.
#[repr(C)]
struct Inner {
    // First field: `misc_open()` hands it to our `open` as private_data.
    mdev: bindings::miscdevice,
    open_files: AtomicUsize,
}

/// The `file_operations` table of a misc device whose files use `T` as
/// their state, in static memory.
///
/// The VFS reads a file's operations table until the very end of the
/// file's life (`fops_put()` after `release`, and on a failed open), so
/// the table must outlive every file: it is a `static` of the driver's
/// module, which open files pin through its `owner`.  Declare one with
/// [`misc_file_operations!`] and pass it to [`Registration::register`].
pub struct FileOperations<T: Operations> {
    fops: bindings::file_operations,
    _p: PhantomData<T>,
}

// SAFETY: The table is never written after it is built; C only reads it.
unsafe impl<T: Operations> Sync for FileOperations<T> {}

impl<T: Operations> FileOperations<T> {
    /// Builds the table; use [`misc_file_operations!`].
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
        fops.unlocked_ioctl = Some(ioctl_cb::<T>);
        fops.mmap = Some(mmap_cb::<T>);
        fops.llseek = Some(bindings::noop_llseek);
        #[cfg(CONFIG_COMPAT)]
        {
            fops.compat_ioctl = Some(bindings::compat_ptr_ioctl);
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

/// Declares `static $name: FileOperations<$t>`, the operations table of a
/// misc device whose files use `$t` as their state, owned by the module
/// this is written in.
///
/// ```ignore
/// kernel::misc_file_operations!(FOPS, MyFile);
/// let reg = Registration::register(b"mydev\0", 0o600, &FOPS)?;
/// ```
#[macro_export]
macro_rules! misc_file_operations {
    ($name:ident, $t:ty) => {
        #[cfg(MODULE)]
        static $name: $crate::miscdev::FileOperations<$t> = {
            extern "C" {
                static __this_module: core::cell::UnsafeCell<$crate::bindings::module>;
            }
            // SAFETY: `__this_module` is this module's, which holds `$t`'s
            // code and this table.
            unsafe { $crate::miscdev::FileOperations::new(__this_module.get()) }
        };
        #[cfg(not(MODULE))]
        // SAFETY: Built-in code has no owner module.
        static $name: $crate::miscdev::FileOperations<$t> =
            unsafe { $crate::miscdev::FileOperations::new(core::ptr::null_mut()) };
    };
}

/// `file->private_data` of an open file.
struct FileData<T> {
    inner: *const Inner,
    data: T,
}

/// A registered misc device whose files use `T` as their state.
///
/// # Invariants
///
/// `inner` comes from `Box::into_raw()`; its `mdev` is registered with
/// `misc_register()` and points at a static [`FileOperations<T>`].  The allocation outlives
/// every open file of the device: `drop` deregisters the device (so no
/// new file can open) and frees it only if no file is open; otherwise it
/// is left allocated (a driver that drops its registration while files
/// are open leaks it rather than freeing memory still in use).  Files pin
/// the module (`fops.owner`), so a registration dropped by module exit
/// never has open files.
pub struct Registration<T: Operations> {
    inner: NonNull<Inner>,
    _p: PhantomData<T>,
}

// SAFETY: The registration only hands `inner` to C, which is thread-safe.
unsafe impl<T: Operations> Send for Registration<T> {}

// SAFETY: `&Registration` gives no access to anything.
unsafe impl<T: Operations> Sync for Registration<T> {}

impl<T: Operations> Registration<T> {
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
        fops: &'static FileOperations<T>,
    ) -> Result<Self> {
        match name.split_last() {
            Some((0, rest)) if !rest.is_empty() && !rest.contains(&0) => (),
            _ => return Err(EINVAL),
        }
        let inner = Box::try_new(Inner {
            mdev: Default::default(),
            open_files: AtomicUsize::new(0),
        })?;
        let inner = Box::into_raw(inner);
        // SAFETY: `inner` is a valid, exclusively owned allocation; the
        // device is registered with pointers into it, which stay valid
        // per the type invariant.
        let ret = unsafe {
            (*inner).mdev.minor = bindings::MISC_DYNAMIC_MINOR as _;
            (*inner).mdev.name = name.as_ptr().cast();
            (*inner).mdev.mode = mode;
            (*inner).mdev.fops = &fops.fops;
            bindings::misc_register(&mut (*inner).mdev)
        };
        if ret < 0 {
            // SAFETY: Registration failed: nothing else refers to `inner`.
            drop(unsafe { Box::from_raw(inner) });
            return Err(Error::from_errno(ret));
        }
        Ok(Self {
            // SAFETY: `Box::into_raw()` never returns NULL.
            inner: unsafe { NonNull::new_unchecked(inner) },
            _p: PhantomData,
        })
    }

    /// The minor number the device got.
    pub fn minor(&self) -> i32 {
        // SAFETY: `inner` is valid (type invariant).
        unsafe { (*self.inner.as_ptr()).mdev.minor as i32 }
    }
}

impl<T: Operations> Drop for Registration<T> {
    fn drop(&mut self) {
        let inner = self.inner.as_ptr();
        // SAFETY: The device was registered in `register` (type invariant).
        // `misc_deregister()` waits for `misc_open()` calls in progress
        // (both take `misc_mtx`), so afterwards `open_files` can only go
        // down.
        unsafe { bindings::misc_deregister(&mut (*inner).mdev) };
        // SAFETY: `inner` is still allocated; see above.
        if unsafe { (*inner).open_files.load(Ordering::Acquire) } == 0 {
            // SAFETY: No file is open and none can open: nothing refers to
            // `inner` any more.
            drop(unsafe { Box::from_raw(inner) });
        }
    }
}

/// Returns the state of an open file.
///
/// # Safety
///
/// `file` must be an open file of a `Registration<T>`, after a successful
/// `open_cb::<T>` and before `release_cb::<T>`.
unsafe fn file_data<'a, T: Operations>(file: *mut bindings::file) -> &'a T {
    // SAFETY: Per the safety requirements private_data is our `FileData`.
    unsafe { &(*((*file).private_data as *const FileData<T>)).data }
}

unsafe extern "C" fn open_cb<T: Operations>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `misc_open()` set private_data to our `mdev`, the first
    // field of a live `Inner` (`repr(C)`).
    let inner = unsafe { (*file).private_data as *const Inner };
    let data = match T::open() {
        Ok(data) => data,
        Err(e) => return e.to_errno(),
    };
    let data = match Box::try_new(FileData { inner, data }) {
        Ok(b) => b,
        Err(_) => return ENOMEM.to_errno(),
    };
    // SAFETY: `inner` is live (the device is registered: we run under
    // `misc_mtx`); the box is reclaimed in `release_cb`.
    unsafe {
        (*inner).open_files.fetch_add(1, Ordering::AcqRel);
        (*file).private_data = Box::into_raw(data) as *mut c_void;
    }
    0
}

unsafe extern "C" fn release_cb<T: Operations>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `open_cb` stored a `FileData<T>` box; this is the last use.
    let data = unsafe { Box::from_raw((*file).private_data as *mut FileData<T>) };
    let inner = data.inner;
    drop(data);
    // SAFETY: `inner` outlives every open file (type invariant of
    // `Registration`), this one included.
    unsafe { (*inner).open_files.fetch_sub(1, Ordering::AcqRel) };
    0
}

unsafe extern "C" fn ioctl_cb<T: Operations>(
    file: *mut bindings::file,
    cmd: c_uint,
    arg: c_ulong,
) -> c_long {
    // SAFETY: The file is open (the VFS holds a reference) for the whole
    // call, and `File` is `repr(transparent)`.
    let (data, f) = unsafe { (file_data::<T>(file), &*(file as *const File)) };
    match data.ioctl(f, cmd, arg as usize) {
        Ok(v) => v as c_long,
        Err(e) => e.to_errno() as c_long,
    }
}

unsafe extern "C" fn mmap_cb<T: Operations>(
    file: *mut bindings::file,
    vma: *mut bindings::vm_area_struct,
) -> c_int {
    // SAFETY: The file is open; `vma` is valid during the call and
    // `VmArea` is `repr(transparent)`.
    let (data, vma) = unsafe { (file_data::<T>(file), &*(vma as *const VmArea)) };
    match data.mmap(vma) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

unsafe extern "C" fn get_unmapped_area_cb<T: Operations>(
    file: *mut bindings::file,
    addr: c_ulong,
    len: c_ulong,
    pgoff: c_ulong,
    flags: c_ulong,
) -> c_ulong {
    // SAFETY: The file is open and `File` is `repr(transparent)`.
    let (data, f) = unsafe { (file_data::<T>(file), &*(file as *const File)) };
    match data.get_unmapped_area(f, addr as _, len as _, pgoff as _, flags as _) {
        Ok(a) => a as c_ulong,
        Err(e) => e.to_errno() as c_long as c_ulong,
    }
}

unsafe extern "C" fn show_fdinfo_cb<T: Operations>(
    m: *mut bindings::seq_file,
    file: *mut bindings::file,
) {
    // SAFETY: The file is open; `m` is valid during the call.
    let (data, m) = unsafe { (file_data::<T>(file), &*(m as *const SeqFile)) };
    data.show_fdinfo(m);
}
