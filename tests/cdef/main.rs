//! The `cdef` tests, one binary (one link of the crate): each file a module.

mod support;

mod diagnostics;
mod differential;
mod limits;
mod props;
mod random;
