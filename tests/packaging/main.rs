//! The `packaging` tests, one binary (one link of the crate): each file a module.

#[allow(dead_code)] // a few of its helpers serve these tests
#[path = "../cli_support/mod.rs"]
mod cli_support;
#[path = "../packaging_support/mod.rs"]
mod packaging_support;

mod archives;
mod config;
mod epoch;
mod import_names;
mod layout;
mod metadata;
mod modes;
mod tags;
