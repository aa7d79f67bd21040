// SPDX-License-Identifier: GPL-2.0-only

//! Rust arena sample driver: `/dev/rust_arena`.
//!
//! The Rust twin of `samples/arena/` (the C sample, `/dev/arena`), with the
//! same user ABI (`include/uapi/linux/vm_arena.h`): every open file gets an
//! arena with `ARENA_IOC_SETUP` (once), then allocates, frees and
//! reserves pages by byte offset, maps the arena with `mmap()`, and asks
//! the kernel to build a linked list in it or to walk one user space
//! built.  Errors: `ENXIO` for any ioctl but SETUP before SETUP, `EBUSY`
//! for a second SETUP, `EINVAL` for non-zero reserved fields, `ENOTTY`
//! for an unknown command, `EFAULT` for a bad argument pointer, `EINVAL`
//! for `mmap()` before SETUP; the rest comes from the arena core.

use kernel::prelude::*;
use kernel::{
    bindings::{
        arena_alloc, arena_build_list, arena_info, arena_range, arena_setup, arena_sum_list,
        ARENA_IOC_MAGIC,
    },
    error::code::*,
    ioctl::{_IOR, _IOW, _IOWR},
    miscdev::{File, Operations, Registration, SeqFile, VmArea},
    page::PAGE_SIZE,
    uaccess::UserPtr,
    vm_arena::{pages_for, Arena, ArenaSlot, ALLOC_POPULATE},
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
/// Size of `struct arena_list_node`: `next`, then `value`.
const NODE: u64 = 16;
/// Longest list BUILD_LIST makes and SUM_LIST follows.
const MAX_NODES: u64 = 1 << 20;
const PAGE: u64 = PAGE_SIZE as u64;

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
    slot: ArenaSlot,
}

impl ArenaFile {
    fn arena(&self) -> Result<&Arena> {
        self.slot.get().ok_or(ENXIO)
    }

    fn setup(&self, arg: UserPtr) -> Result {
        let s: arena_setup = arg.read()?;
        if s.__reserved != 0 {
            return Err(EINVAL);
        }
        if self.slot.get().is_some() {
            return Err(EBUSY);
        }
        let arena = Arena::create(s.size, s.flags, s.user_addr as usize)?;
        // A racing SETUP on the same file may have won: ours is dropped.
        self.slot.set(arena).map_err(|_| EBUSY)
    }

    fn alloc(&self, arena: &Arena, arg: UserPtr) -> Result {
        let mut a: arena_alloc = arg.read()?;
        let at = if a.offset == ANY {
            None
        } else {
            Some(a.offset)
        };
        let off = arena.alloc(at, a.count, a.node, a.flags)?;
        a.offset = off;
        if let Err(e) = arg.write(&a) {
            // User space cannot learn where the pages went: undo.
            let _ = arena.free(off, a.count);
            return Err(e);
        }
        Ok(())
    }

    fn build_list(&self, arena: &Arena, arg: UserPtr) -> Result {
        let mut b: arena_build_list = arg.read()?;
        if b.count == 0 {
            return Err(EINVAL);
        }
        if b.count > MAX_NODES {
            return Err(E2BIG);
        }
        if arena.user_base() == 0 {
            return Err(ENXIO);
        }
        let pages = pages_for(b.count * NODE);
        let off = arena.alloc(None, pages, -1, ALLOC_POPULATE)?;
        let ret = Self::fill_list(arena, off, b.count).and_then(|head| {
            b.head = head as u64;
            b.pages = pages;
            arg.write(&b)
        });
        if ret.is_err() {
            let _ = arena.free(off, pages);
        }
        ret
    }

    /// Writes `count` nodes at `off`; returns the user address of the first.
    fn fill_list(arena: &Arena, off: u64, count: u64) -> Result<usize> {
        // The nodes point at each other by user address.
        let head = arena.user_addr(off).ok_or(EINVAL)?;
        for i in 0..count {
            let at = off + i * NODE;
            let next = if i + 1 < count {
                arena.user_addr(at + NODE).ok_or(EINVAL)? as u64
            } else {
                0
            };
            let mut node = [0u8; NODE as usize];
            node[..8].copy_from_slice(&next.to_ne_bytes());
            node[8..].copy_from_slice(&(i * 3 + 1).to_ne_bytes());
            arena.write(at, &node)?;
        }
        Ok(head)
    }

    fn sum_list(&self, arena: &Arena, arg: UserPtr) -> Result {
        let mut s: arena_sum_list = arg.read()?;
        let (mut cur, mut count, mut sum) = (s.head, 0u64, 0u64);
        // User space may free or rewrite the nodes while we walk: every
        // read fails cleanly (`EFAULT`) on a page that is not allocated.
        while cur != 0 {
            if count == MAX_NODES {
                return Err(ELOOP);
            }
            if cur % 8 != 0 || cur % PAGE > PAGE - NODE {
                return Err(EINVAL);
            }
            let off = arena.offset_of_user(cur as usize).ok_or(EFAULT)?;
            let mut node = [0u8; NODE as usize];
            arena.read(off, &mut node)?;
            let mut next = [0u8; 8];
            let mut value = [0u8; 8];
            next.copy_from_slice(&node[..8]);
            value.copy_from_slice(&node[8..]);
            cur = u64::from_ne_bytes(next);
            sum = sum.wrapping_add(u64::from_ne_bytes(value));
            count += 1;
        }
        s.count = count;
        s.sum = sum;
        arg.write(&s)
    }

    fn info(&self, arena: &Arena, arg: UserPtr) -> Result {
        let info = arena_info {
            size: arena.size(),
            flags: arena.flags(),
            __reserved: 0,
            user_addr: arena.user_base() as u64,
            pages_in_use: arena.pages_in_use(),
            user_faults: arena.user_faults(),
        };
        arg.write(&info)
    }
}

impl Operations for ArenaFile {
    fn open() -> Result<Self> {
        Ok(ArenaFile {
            slot: ArenaSlot::new(),
        })
    }

    fn ioctl(&self, cmd: u32, arg: usize) -> Result<isize> {
        let arg = UserPtr::new(arg);
        match cmd {
            SETUP => self.setup(arg)?,
            ALLOC => self.alloc(self.arena()?, arg)?,
            FREE | RESERVE => {
                let arena = self.arena()?;
                let r: arena_range = arg.read()?;
                let off = check_offset(arena, r.offset)?;
                if cmd == FREE {
                    arena.free(off, r.count)?
                } else {
                    arena.reserve(off, r.count)?
                }
            }
            BUILD_LIST => self.build_list(self.arena()?, arg)?,
            SUM_LIST => self.sum_list(self.arena()?, arg)?,
            INFO => self.info(self.arena()?, arg)?,
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }

    fn mmap(&self, vma: &VmArea) -> Result {
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

    fn show_fdinfo(&self, m: &SeqFile) {
        if let Some(arena) = self.slot.get() {
            arena.show_fdinfo(m);
        }
    }
}

struct RustArena {
    _dev: Registration<ArenaFile>,
}

impl kernel::Module for RustArena {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let dev = Registration::register(b"rust_arena\0", 0o600, module)?;
        pr_info!("/dev/rust_arena ready (minor {})\n", dev.minor());
        Ok(RustArena { _dev: dev })
    }
}
