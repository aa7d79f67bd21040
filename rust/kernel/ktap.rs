// SPDX-License-Identifier: GPL-2.0

//! KTAP output for Rust self-test modules.
//!
//! Kernel 6.1 has no Rust KUnit integration.  A self-test module lists its
//! cases as [`Case`]s and runs them with [`run_suite`], which prints the
//! same KTAP a module-loaded KUnit suite prints, so `kunit.py parse` and the
//! sparse-mm harness read both alike:
//!
//! ```text
//!     KTAP version 1
//!     # Subtest: my_suite
//!     1..2
//!     ok 1 first_case
//!     # second_case: ASSERTION FAILED at mm/x.rs:12: x == 1
//!     not ok 2 second_case
//! not ok 1 my_suite
//! ```
//!
//! # Examples
//!
//! ```
//! use kernel::ktap::{run_suite, Case, CaseResult};
//! use kernel::ktap_expect;
//!
//! fn one_is_one() -> CaseResult {
//!     ktap_expect!(1 + 1 == 2);
//!     Ok(())
//! }
//!
//! fn run() -> bool {
//!     run_suite("example", &[Case { name: "one_is_one", run: one_is_one }])
//! }
//! ```

use crate::bindings;
use core::fmt;

/// A failed expectation; its diagnostic line is printed when it happens.
#[derive(Debug)]
pub struct Failure;

/// What a test case returns.
pub type CaseResult = core::result::Result<(), Failure>;

/// One test case.
pub struct Case {
    /// Name printed in the result line.
    pub name: &'static str,
    /// The case itself.
    pub run: fn() -> CaseResult,
}

/// Prints one line to the kernel log at `KERN_INFO`, without a prefix.
pub fn print_line(args: fmt::Arguments<'_>) {
    // SAFETY: The format string is NUL-terminated and `%pA` consumes one
    // pointer to a `fmt::Arguments`, which lives until `_printk` returns.
    unsafe {
        bindings::_printk(
            b"\x016%pA\n\0".as_ptr() as *const core::ffi::c_char,
            &args as *const _ as *const core::ffi::c_void,
        );
    }
}

/// Runs `cases` as the suite `name`; returns `true` if every case passed.
pub fn run_suite(name: &str, cases: &[Case]) -> bool {
    print_line(format_args!("    KTAP version 1"));
    print_line(format_args!("    # Subtest: {}", name));
    print_line(format_args!("    1..{}", cases.len()));
    let mut ok = true;
    for (i, case) in cases.iter().enumerate() {
        let passed = (case.run)().is_ok();
        ok &= passed;
        print_line(format_args!(
            "    {}ok {} {}",
            if passed { "" } else { "not " },
            i + 1,
            case.name
        ));
    }
    print_line(format_args!(
        "{}ok 1 {}",
        if ok { "" } else { "not " },
        name
    ));
    ok
}

/// Fails the current case (returns `Err(Failure)`) if the condition is
/// false, printing a KTAP diagnostic with the location and the expression.
#[macro_export]
macro_rules! ktap_expect {
    ($cond:expr) => {
        if !($cond) {
            $crate::ktap::print_line(format_args!(
                "    # ASSERTION FAILED at {}:{}: {}",
                file!(),
                line!(),
                stringify!($cond)
            ));
            return Err($crate::ktap::Failure);
        }
    };
}

/// Fails the current case unless `left == right`, printing both values
/// (which must implement [`core::fmt::Debug`]).
#[macro_export]
macro_rules! ktap_expect_eq {
    ($left:expr, $right:expr) => {
        match (&$left, &$right) {
            (l, r) => {
                if !(*l == *r) {
                    $crate::ktap::print_line(format_args!(
                        "    # ASSERTION FAILED at {}:{}: {} == {}: {:?} != {:?}",
                        file!(),
                        line!(),
                        stringify!($left),
                        stringify!($right),
                        l,
                        r
                    ));
                    return Err($crate::ktap::Failure);
                }
            }
        }
    };
}

/// Unwraps a `Result`, or fails the current case printing the error.
#[macro_export]
macro_rules! ktap_try {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => {
                $crate::ktap::print_line(format_args!(
                    "    # FAILED at {}:{}: {}: {:?}",
                    file!(),
                    line!(),
                    stringify!($e),
                    $crate::error::Error::from(e)
                ));
                return Err($crate::ktap::Failure);
            }
        }
    };
}
