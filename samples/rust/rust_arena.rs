// SPDX-License-Identifier: GPL-2.0-only

//! Rust arena sample driver: `/dev/rust_arena`.
//!
//! The Rust twin of `samples/arena/` (the C sample, `/dev/arena`), with the
//! same user ABI (`include/uapi/linux/vm_arena.h`): every open file gets an
//! arena with `ARENA_IOC_SETUP` (once), then allocates, frees and
//! reserves pages by byte offset, maps the arena with `mmap()`, and asks
//! the kernel to build a linked list in it or to walk one user space
//! built.  It answers every call as the C sample does, checks in the
//! same order: `ENOTTY` for an unknown command, `EBADF` for a command
//! that changes the arena on a file opened without write access, `ENXIO`
//! for any ioctl but SETUP before SETUP, `EFAULT` for a bad argument
//! pointer, `EINVAL` for non-zero reserved or output fields, then the
//! checks of each call (`EBUSY` for a second SETUP); the rest comes from
//! the arena core.  `mmap()` before SETUP is `EINVAL`.
//! `tools/testing/selftests/sparse_mm/arena_parity_test.c` compares the
//! two drivers case by case.

use kernel::prelude::*;
use kernel::{
    bindings::{
        arena_alloc, arena_build_list, arena_info, arena_list_node, arena_range, arena_setup,
        arena_sum_list, ARENA_IOC_MAGIC,
    },
    error::code::*,
    ioctl::{_IOR, _IOW, _IOWR},
    miscdev::{File, MiscDevice, MiscDeviceRegistration, SeqFile, VmArea, FMODE_WRITE},
    new_rwsem,
    page::PAGE_SIZE,
    rwsem::RwSemaphore,
    uaccess::{UserPtr, UserSlice},
    vm_arena::{pages_for, Arena, ArenaPages, ArenaPtr, ArenaSlot, ALLOC_POPULATE},
};

module! {
    type: RustArena,
    name: b"rust_arena",
    author: b"The sparse-mm authors",
    description: b"Arena sample driver in Rust (/dev/rust_arena)",
    license: b"GPL",
}

const SETUP: u32 = _IOW::<arena_setup>(ARENA_IOC_MAGIC, 0);
const ALLOC: u32 = _IOWR::<arena_alloc>(ARENA_IOC_MAGIC, 1);
const FREE: u32 = _IOW::<arena_range>(ARENA_IOC_MAGIC, 2);
const RESERVE: u32 = _IOW::<arena_range>(ARENA_IOC_MAGIC, 3);
const BUILD_LIST: u32 = _IOWR::<arena_build_list>(ARENA_IOC_MAGIC, 4);
const INFO: u32 = _IOR::<arena_info>(ARENA_IOC_MAGIC, 5);
const SUM_LIST: u32 = _IOWR::<arena_sum_list>(ARENA_IOC_MAGIC, 6);

/// `ARENA_ANY`: allocate anywhere.
const ANY: u64 = u64::MAX;
/// Size of `struct arena_list_node`.
const NODE: u64 = core::mem::size_of::<arena_list_node>() as u64;
/// Longest list BUILD_LIST makes and SUM_LIST follows.
const MAX_NODES: u64 = 1 << 20;
const PAGE: u64 = PAGE_SIZE as u64;
/// Nodes in one page.
const NODES_PER_PAGE: u64 = PAGE / NODE;

/// Checks a byte offset as the C sample does: `EINVAL` if misaligned,
/// `ERANGE` if outside the arena.
fn check_offset(arena: &Arena, offset: u64) -> Result<u64> {
    if offset % PAGE != 0 {
        return Err(EINVAL);
    }
    if offset >= arena.size() {
        return Err(ERANGE);
    }
    Ok(offset)
}

/// One open file of `/dev/rust_arena`.
struct ArenaFile {
    /// Held for writing around SETUP, which it serialises (the C
    /// sample's mutex).
    setup_sem: RwSemaphore,
    /// Read around an allocation until user space knows where it went
    /// (ALLOC, BUILD_LIST), write around FREE: so the undo of a failed
    /// copy to user space frees exactly the pages this call allocated,
    /// never pages another thread freed and allocated again meanwhile,
    /// and BUILD_LIST's pages cannot be freed while it fills them.
    free_sem: RwSemaphore,
    /// Set once by SETUP, then stable.
    slot: ArenaSlot,
}

impl ArenaFile {
    fn setup(&self, arg: UserPtr) -> Result {
        let s: arena_setup = UserSlice::for_type::<arena_setup>(arg).reader().read()?;
        if s.__reserved != 0 {
            return Err(EINVAL);
        }
        let _guard = self.setup_sem.write();
        if self.slot.get().is_some() {
            return Err(EBUSY);
        }
        // A user address that does not fit an `unsigned long` (32-bit).
        let user_addr = usize::try_from(s.user_addr).map_err(|_| EINVAL)?;
        let arena = Arena::create(s.size, s.flags, user_addr)?;
        // SETUPs are serialised and the slot is empty: this cannot fail.
        self.slot.set(arena).map_err(|_| EBUSY)
    }

    fn alloc(&self, arena: &Arena, arg: UserPtr) -> Result {
        let (mut r, mut w) = UserSlice::for_type::<arena_alloc>(arg).reader_writer();
        let mut a: arena_alloc = r.read()?;
        let at = if a.offset == ANY {
            None
        } else {
            Some(check_offset(arena, a.offset)?)
        };
        let _guard = self.free_sem.read();
        // A count that does not fit an `unsigned long` is `E2BIG` here.
        let pages = arena.alloc_pages(at, a.count, a.node, a.flags)?;
        a.offset = pages.offset();
        // On a failed copy `pages` frees them: no FREE ran since the
        // allocation, so these are our pages.
        w.write(&a)?;
        pages.keep();
        Ok(())
    }

    fn free_or_reserve(&self, arena: &Arena, arg: UserPtr, reserve: bool) -> Result {
        let r: arena_range = UserSlice::for_type::<arena_range>(arg).reader().read()?;
        let off = check_offset(arena, r.offset)?;
        if reserve {
            return arena.reserve(off, r.count);
        }
        let _guard = self.free_sem.write();
        arena.free(off, r.count)
    }

    /// The headline: a list built by the kernel, walked by user space.
    fn build_list(&self, arena: &Arena, arg: UserPtr) -> Result {
        let (mut r, mut w) = UserSlice::for_type::<arena_build_list>(arg).reader_writer();
        let mut b: arena_build_list = r.read()?;
        if b.count == 0 || b.head != 0 || b.pages != 0 {
            return Err(EINVAL);
        }
        if b.count > MAX_NODES {
            return Err(E2BIG);
        }
        if arena.user_base() == 0 {
            return Err(ENXIO);
        }
        let mut buf = Vec::new();
        buf.try_reserve_exact(NODES_PER_PAGE as usize)?;
        let count = b.count;
        let _guard = self.free_sem.read();
        let pages = arena.alloc_pages(None, pages_for(count * NODE), -1, ALLOC_POPULATE)?;
        let mut from = 0;
        while from < count {
            Self::fill_page(arena, &pages, &mut buf, from, count)?;
            from += NODES_PER_PAGE;
        }
        b.head = pages
            .ptr::<arena_list_node>(0)
            .and_then(|p| p.to_user(arena))
            .ok_or(ENXIO)?;
        b.pages = pages.count();
        // On any error `pages` frees the list: FREE is kept out by
        // `free_sem`, so they are still ours.
        w.write(&b)?;
        pages.keep();
        Ok(())
    }

    /// Writes nodes `from..` (at most a page of them) of the list in
    /// `pages` with one `vm_arena_write()`; each links to the user
    /// address of the next.
    fn fill_page(
        arena: &Arena,
        pages: &ArenaPages<'_>,
        buf: &mut Vec<arena_list_node>,
        from: u64,
        count: u64,
    ) -> Result {
        let n = core::cmp::min(count - from, NODES_PER_PAGE);
        let first = pages.ptr::<arena_list_node>(from).ok_or(ERANGE)?;
        let ubase = first.to_user(arena).ok_or(ENXIO)?;
        buf.clear();
        for idx in from..from + n {
            let next = if idx + 1 < count {
                ubase + (idx + 1 - from) * NODE
            } else {
                0
            };
            // Never allocates: the capacity is a page of nodes.
            buf.try_push(arena_list_node {
                next,
                value: idx * 3 + 1,
            })?;
        }
        first.write_slice(arena, buf)
    }

    /// Follows a list user space built.  User space may free or rewrite
    /// the nodes while we walk, so every read goes through
    /// `vm_arena_read()`: a node on a page that is not allocated gives
    /// `EFAULT`, not an oops.
    fn sum_list(&self, arena: &Arena, arg: UserPtr) -> Result {
        let (mut r, mut w) = UserSlice::for_type::<arena_sum_list>(arg).reader_writer();
        let mut s: arena_sum_list = r.read()?;
        if s.count != 0 || s.sum != 0 {
            return Err(EINVAL);
        }
        let mut uaddr = s.head;
        while uaddr != 0 {
            if s.count == MAX_NODES {
                return Err(ELOOP);
            }
            if uaddr % 8 != 0 || uaddr % PAGE > PAGE - NODE {
                return Err(EINVAL);
            }
            // As the C sample's `unsigned long` argument: truncated on
            // 32-bit.
            let node = ArenaPtr::<arena_list_node>::from_user(arena, uaddr as usize as u64)
                .and_then(|p| p.read(arena))
                .map_err(|_| EFAULT)?;
            s.sum = s.sum.wrapping_add(node.value);
            s.count += 1;
            uaddr = node.next;
        }
        w.write(&s)
    }

    fn info(&self, arena: &Arena, arg: UserPtr) -> Result {
        let cost = arena.memory();
        let info = arena_info {
            size: arena.size(),
            flags: arena.flags(),
            __reserved: 0,
            user_addr: arena.user_base() as u64,
            pages_in_use: arena.pages_in_use(),
            user_faults: arena.user_faults(),
            mem_bitmap_bytes: cost.bitmap_bytes as u64,
            mem_index_bytes: cost.index_bytes as u64,
            mem_struct_bytes: cost.struct_bytes as u64,
            mem_pgtable_bytes: cost.pgtable_pages as u64 * PAGE,
            reserved_bytes: cost.reserved_bytes,
        };
        UserSlice::for_type::<arena_info>(arg).writer().write(&info)
    }
}

impl MiscDevice for ArenaFile {
    fn open(_file: &File) -> Result<Self> {
        Ok(ArenaFile {
            setup_sem: new_rwsem!()?,
            free_sem: new_rwsem!()?,
            slot: ArenaSlot::new(),
        })
    }

    const HAS_IOCTL: bool = true;

    fn ioctl(&self, file: &File, cmd: u32, arg: usize) -> Result<isize> {
        match cmd {
            // They change the arena: a read-only file may only look.
            SETUP | ALLOC | FREE | RESERVE | BUILD_LIST => {
                if file.mode() & FMODE_WRITE == 0 {
                    return Err(EBADF);
                }
            }
            SUM_LIST | INFO => (),
            _ => return Err(ENOTTY),
        }
        if cmd == SETUP {
            self.setup(arg)?;
            return Ok(0);
        }
        let arena = self.slot.get().ok_or(ENXIO)?;
        match cmd {
            ALLOC => self.alloc(arena, arg)?,
            FREE => self.free_or_reserve(arena, arg, false)?,
            RESERVE => self.free_or_reserve(arena, arg, true)?,
            BUILD_LIST => self.build_list(arena, arg)?,
            SUM_LIST => self.sum_list(arena, arg)?,
            _ => self.info(arena, arg)?,
        }
        Ok(0)
    }

    const HAS_MMAP: bool = true;

    fn mmap(&self, _file: &File, vma: &VmArea) -> Result {
        self.slot.get().ok_or(EINVAL)?.mmap(vma)
    }

    const HAS_GET_UNMAPPED_AREA: bool = true;

    fn get_unmapped_area(
        &self,
        file: &File,
        addr: usize,
        len: usize,
        pgoff: usize,
        flags: usize,
    ) -> Result<usize> {
        let arena = self.slot.get().ok_or(EINVAL)?;
        arena.get_unmapped_area(file, addr, len, pgoff, flags)
    }

    const HAS_SHOW_FDINFO: bool = true;

    fn show_fdinfo(&self, _file: &File, m: &SeqFile) {
        if let Some(arena) = self.slot.get() {
            arena.show_fdinfo(m);
        }
    }
}

kernel::misc_device_vtable!(ARENA_VTABLE, ArenaFile);

struct RustArena {
    _dev: MiscDeviceRegistration<ArenaFile>,
}

impl kernel::Module for RustArena {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let dev = MiscDeviceRegistration::register(b"rust_arena\0", 0o600, &ARENA_VTABLE)?;
        pr_info!("/dev/rust_arena ready (minor {})\n", dev.minor());
        Ok(RustArena { _dev: dev })
    }
}
