// SPDX-License-Identifier: GPL-2.0

//! KUnit tests written in Rust, for 6.1.
//!
//! C header: [`include/kunit/test.h`](../../../../include/kunit/test.h)
//!
//! Upstream gained `#[kunit_tests]` later; here [`kunit_suite!`] does
//! the same job with `macro_rules!`: it turns a list of Rust functions
//! into a C `struct kunit_case` array and a `struct kunit_suite`, and
//! puts a pointer to the suite in the `.kunit_test_suites` section, as
//! the C `kunit_test_suite()` does.  KUnit itself then runs the suite:
//! built-in suites at boot (so `kunit.py run` and its filter glob see
//! them), module suites on load.  Each case runs in its own KUnit thread
//! (a crash fails that case, not the suite) and is reported through
//! KUnit's own result lines.
//!
//! A case is a `fn() -> CaseResult`.  [`kunit_assert!`],
//! [`kunit_assert_eq!`] and [`kunit_try!`] report a failure through
//! KUnit (`kunit_do_failed_assertion()`, as an expectation at the Rust
//! file and line, with the message) and return from the case: Rust
//! destructors run, nothing is leaked, and KUnit marks the case failed.
//!
//! # Examples
//!
//! ```
//! use kernel::prelude::*;
//! use kernel::{kunit_assert, kunit_assert_eq, kunit_try};
//! use kernel::kunit::CaseResult;
//!
//! fn adds_up() -> CaseResult {
//!     kunit_assert!(1 + 1 == 2);
//!     let v: Result<u32> = Ok(3);
//!     kunit_assert_eq!(kunit_try!(v), 3);
//!     Ok(())
//! }
//! ```
//!
//! and, at module level (this registers a suite, so it is not run as an
//! example):
//!
//! ```ignore
//! kernel::kunit_suite!(rust_example, [adds_up]);
//! ```
//!
//! [`kunit_suite!`]: crate::kunit_suite
//! [`kunit_assert!`]: crate::kunit_assert
//! [`kunit_assert_eq!`]: crate::kunit_assert_eq
//! [`kunit_try!`]: crate::kunit_try

use crate::bindings;
use core::{
    ffi::{c_char, c_int},
    fmt,
};

/// A failed case; the failure was reported to KUnit when it was made.
#[derive(Debug)]
pub struct Failure(());

/// What a test case returns.
pub type CaseResult = core::result::Result<(), Failure>;

/// The message of a failure, formatted on the stack: at most
/// `MSG_LEN - 1` bytes (the rest is cut), NUL-terminated.
struct Message {
    buf: [u8; MSG_LEN],
    len: usize,
}

const MSG_LEN: usize = 256;

impl fmt::Write for Message {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = MSG_LEN - 1 - self.len;
        let n = core::cmp::min(room, s.len());
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// Reports a failure of the running case at `file` (NUL-terminated) and
/// `line`; use the macros.
#[doc(hidden)]
pub fn report(file: &'static str, line: u32, args: fmt::Arguments<'_>) -> Failure {
    let mut msg = Message {
        buf: [0; MSG_LEN],
        len: 0,
    };
    let _ = fmt::write(&mut msg, args);
    // A NUL inside the message only shortens it.
    // SAFETY: `file` is NUL-terminated (the macros add the NUL) and
    // `'static`; `msg.buf` ends with a NUL (the last byte is never
    // written) and outlives the call.
    unsafe {
        bindings::kunit_fail_current(
            file.as_ptr().cast::<c_char>(),
            line as c_int,
            msg.buf.as_ptr().cast::<c_char>(),
        )
    };
    Failure(())
}

/// Runs one case; the C entry points [`kunit_suite!`] makes call this.
///
/// [`kunit_suite!`]: crate::kunit_suite
#[doc(hidden)]
pub fn run_case(case: fn() -> CaseResult) {
    // A failure was reported to KUnit when the `Failure` was made.
    let _ = case();
}

/// A `struct kunit_case` for `run` named `name` (NUL-terminated).
#[doc(hidden)]
pub const fn case(
    name: &'static str,
    run: unsafe extern "C" fn(*mut bindings::kunit),
) -> bindings::kunit_case {
    bindings::kunit_case {
        run_case: Some(run),
        name: name.as_ptr().cast::<c_char>(),
        generate_params: None,
        status: 0,
        log: core::ptr::null_mut(),
    }
}

/// The all-zero entry that ends a `struct kunit_case` array.
#[doc(hidden)]
pub const fn case_end() -> bindings::kunit_case {
    bindings::kunit_case {
        run_case: None,
        name: core::ptr::null(),
        generate_params: None,
        status: 0,
        log: core::ptr::null_mut(),
    }
}

/// A `struct kunit_suite` named `name` (at most 255 bytes: a longer name
/// is a compile error) running `cases`.
#[doc(hidden)]
pub const fn suite(name: &'static str, cases: *mut bindings::kunit_case) -> bindings::kunit_suite {
    let bytes = name.as_bytes();
    assert!(bytes.len() < 256, "KUnit suite name too long");
    let mut n = [0 as c_char; 256];
    let mut i = 0;
    while i < bytes.len() {
        n[i] = bytes[i] as c_char;
        i += 1;
    }
    bindings::kunit_suite {
        name: n,
        suite_init: None,
        suite_exit: None,
        init: None,
        exit: None,
        test_cases: cases,
        status_comment: [0; 256],
        debugfs: core::ptr::null_mut(),
        log: core::ptr::null_mut(),
        suite_init_err: 0,
    }
}

/// Registers the functions `[$case, ...]` (each a `fn() -> CaseResult`
/// in the calling module) as the KUnit suite `$suite`.
///
/// Makes a module `$suite` holding the C entry points, the case array,
/// the suite and its `.kunit_test_suites` entry.
#[macro_export]
macro_rules! kunit_suite {
    ($suite:ident, [$($case:ident),+ $(,)?]) => {
        #[allow(non_upper_case_globals)]
        mod $suite {
            $(
                pub(super) unsafe extern "C" fn $case(_test: *mut $crate::bindings::kunit) {
                    $crate::kunit::run_case(super::$case);
                }
            )+

            const N: usize = [$(stringify!($case)),+].len();

            static mut CASES: [$crate::bindings::kunit_case; N + 1] = [
                $($crate::kunit::case(concat!(stringify!($case), "\0"), $case),)+
                $crate::kunit::case_end(),
            ];

            // A `*const` to `*mut` cast: 1.63 has no mutable raw pointers
            // in statics.  The memory is a `static mut`, written only by
            // KUnit (each case's status and log).
            static mut SUITE: $crate::bindings::kunit_suite = $crate::kunit::suite(
                stringify!($suite),
                // SAFETY: Only the address of `CASES` is taken.
                unsafe { core::ptr::addr_of!(CASES) } as *mut $crate::bindings::kunit_case,
            );

            // What the C `kunit_test_suite()` emits: KUnit finds the suite
            // through this section (`__kunit_suites_start` for built-in
            // code, the module's section for modules).
            #[used]
            #[link_section = ".kunit_test_suites"]
            static mut ENTRY: *mut $crate::bindings::kunit_suite =
                // SAFETY: Only the address of `SUITE` is taken.
                unsafe { core::ptr::addr_of!(SUITE) } as *mut $crate::bindings::kunit_suite;
        }
    };
}

/// Fails the running case (and returns from it) unless `$cond` holds,
/// reporting the location and the expression through KUnit.
#[macro_export]
macro_rules! kunit_assert {
    ($cond:expr) => {
        if !($cond) {
            return Err($crate::kunit::report(
                concat!(file!(), "\0"),
                line!(),
                format_args!("{}", stringify!($cond)),
            ));
        }
    };
}

/// Fails the running case unless `$left == $right`, printing both values
/// (which must implement [`core::fmt::Debug`]).
#[macro_export]
macro_rules! kunit_assert_eq {
    ($left:expr, $right:expr) => {
        match (&$left, &$right) {
            (l, r) => {
                if !(*l == *r) {
                    return Err($crate::kunit::report(
                        concat!(file!(), "\0"),
                        line!(),
                        format_args!(
                            "{} == {}: {:?} != {:?}",
                            stringify!($left),
                            stringify!($right),
                            l,
                            r
                        ),
                    ));
                }
            }
        }
    };
}

/// Unwraps a `Result`, or fails the running case printing the error.
#[macro_export]
macro_rules! kunit_try {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => {
                return Err($crate::kunit::report(
                    concat!(file!(), "\0"),
                    line!(),
                    format_args!("{}: {:?}", stringify!($e), $crate::error::Error::from(e)),
                ));
            }
        }
    };
}
