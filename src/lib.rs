//! cffi-forge: a PEP 517 build backend for Python projects that wrap C with CFFI.
//!
//! Data flows one way:
//!
//! ```text
//! config (pyproject.toml) ──► discovery / script runner ──► ModuleSpec
//!     ──► generator (cdef parser → model → C or Python emitter) ──► generated source
//!     ──► compile (pkg-config, cc) ──► objects / shared libraries
//!     ──► archive (wheel, sdist, metadata directory)
//! ```
//!
//! Each layer has its own `thiserror` error type naming the user's input; they are
//! rendered once, at the top, by [`diagnostic`].

// Shared vocabulary.
pub mod atomic_write;
pub mod diagnostic;
pub mod spec;
pub mod ui;
pub mod user_cache;

// Front end and generators (no Python needed).
pub mod generator;

// Backend.
pub mod archive;
pub mod audit;
pub mod compile;
pub mod config;
pub mod cross;
pub mod discovery;
pub mod generate_inputs;
pub mod interpreter;
pub mod metadata;
pub mod migrate;
pub mod pep517;
pub mod pipeline;
pub mod pkgconfig;
pub mod plugin;
pub mod process;
pub mod script_runner;
pub mod setup_py;
pub mod tags;
pub mod timings;
