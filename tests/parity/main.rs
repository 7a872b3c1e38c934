//! The `parity` tests, one binary (one link of the crate): each file a module.

#[allow(dead_code)] // a few of its helpers serve these tests
#[path = "../cli_support/mod.rs"]
mod cli_support;
#[allow(dead_code)] // a few of its helpers serve these tests
#[path = "../packaging_support/mod.rs"]
mod packaging_support;

mod build;
mod config;
