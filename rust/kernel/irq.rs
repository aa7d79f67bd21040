// SPDX-License-Identifier: GPL-2.0

//! Local interrupt disabling, as a token for the atomic APIs.
//!
//! C header: [`include/linux/irqflags.h`](../../../../include/linux/irqflags.h)
//!
//! [`IrqsDisabled::disable`] disables interrupts on this CPU
//! (`local_irq_save()`) and returns a guard that restores them when
//! dropped.  The guard is also the token the atomic APIs take:
//! [`SparseArea::atomic`](crate::vm_sparse::SparseArea::atomic) and
//! [`Arena::atomic`](crate::vm_arena::Arena::atomic) return views that
//! borrow it, so the views cannot outlive the section.
//!
//! # Why nothing that sleeps is reachable through the token
//!
//! - Only atomic APIs accept an `&IrqsDisabled`, and the views they return
//!   ([`AtomicMapper`](crate::vm_sparse::AtomicMapper),
//!   [`AtomicArena`](crate::vm_arena::AtomicArena)) offer only operations
//!   whose C functions are documented for atomic context.  No sleeping
//!   API (mapping with page-table allocation, unmapping, creating or
//!   destroying an area or arena, freeing pages of a plain arena) takes
//!   the token or is a method of a view.
//! - A view borrows the object it works on for as long as it lives: an
//!   `AtomicMapper` borrows its area mutably, so none of the area's own
//!   sleeping methods (nor its drop) can be called until the view is
//!   gone; an `AtomicArena` borrows its arena reference, so that reference
//!   cannot be dropped (the last `vm_arena_put()` sleeps) while the view
//!   exists.
//! - A view also borrows the token, so the token cannot be dropped (and
//!   interrupts restored) before the view, and every use of a view
//!   happens inside the section.  The token is not `Send`: it is dropped,
//!   and interrupts restored, on the CPU and task that saved them.
//!
//! What types cannot express is code *outside* these APIs that the
//! caller runs while holding the token (a `GFP_KERNEL` allocation, say):
//! Rust has no way to mark arbitrary functions as sleeping, as C has
//! none.  Every sleeping function of these bindings calls into a C
//! function that starts with `might_sleep()`, so such a bug is reported
//! by `CONFIG_DEBUG_ATOMIC_SLEEP`, as it would be in C.  Nesting is
//! allowed; guards restore the state they saved, so drop them in reverse
//! order of creation (the normal scope order).  Interrupts being enabled
//! early by an out-of-order drop is never undefined behaviour: the atomic
//! APIs work in any context (except NMI), the token only keeps sleeping
//! APIs out of reach.
//!
//! # Examples
//!
//! ```
//! use kernel::irq::IrqsDisabled;
//! use kernel::page::{Page, PAGE_SIZE};
//! use kernel::prelude::*;
//! use kernel::vm_sparse::SparseArea;
//!
//! fn example() -> Result {
//!     let mut area = SparseArea::new_prebuilt(8 * PAGE_SIZE)?;
//!     // Room for the vector first: growing it could sleep.
//!     let mut pages = Vec::new();
//!     pages.try_reserve_exact(1)?;
//!     {
//!         let irqs = IrqsDisabled::disable();
//!         let mut a = area.atomic(&irqs);
//!         pages.try_push(Page::alloc_atomic()?)?;
//!         a.map(0, pages)?;
//!         // `area.unmap(0, 1)` would not compile here: `a` borrows it.
//!     }
//!     // Interrupts are back on; unmapping may sleep.
//!     area.unmap(0, 1)?;
//!     Ok(())
//! }
//! ```

use crate::bindings;
use core::{ffi::c_ulong, marker::PhantomData};

/// Local interrupts disabled by this task on this CPU.
///
/// # Invariants
///
/// `flags` is what `local_irq_save()` returned when the guard was made,
/// on the CPU the guard is dropped on (it is not `Send`); interrupts
/// stay disabled for the life of the guard unless a guard made before it
/// is dropped first (see the module documentation).
pub struct IrqsDisabled {
    flags: c_ulong,
    _not_send: PhantomData<*mut ()>,
}

impl IrqsDisabled {
    /// Disables interrupts on this CPU until the guard is dropped.
    ///
    /// Context: any context.
    pub fn disable() -> Self {
        // SAFETY: Saving and disabling local interrupts is always
        // allowed; `drop` restores them with the saved flags.
        let flags = unsafe { bindings::local_irq_save() };
        // INVARIANT: just saved, on this CPU.
        Self {
            flags,
            _not_send: PhantomData,
        }
    }
}

impl Drop for IrqsDisabled {
    fn drop(&mut self) {
        // SAFETY: `flags` came from `local_irq_save()` on this CPU (type
        // invariant).
        unsafe { bindings::local_irq_restore(self.flags) };
    }
}
