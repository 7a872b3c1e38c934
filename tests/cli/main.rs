//! The `cli` tests, one binary (one link of the crate): each file a module.

#[path = "../cli_support/mod.rs"]
mod cli_support;

mod audit;
mod build;
mod cache;
mod cross;
mod diagnostics;
mod discovery;
mod embedding;
mod errors;
mod facts;
mod free_threaded;
mod generate;
mod generators;
mod include;
mod inputs;
mod launchers;
mod migrate;
mod pep517;
mod processes;
mod stubs;
mod zig;
