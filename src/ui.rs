//! Terminal output: cargo-style status lines on stderr. stdout is reserved for the
//! machine-readable result of a command (the artifact name for the PEP 517 shim).
//!
//! This is the single seam for output so `--quiet`, `-v` and colour live in one place.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

use anstyle::{AnsiColor, Style};

static VERBOSITY: AtomicU8 = AtomicU8::new(1);

/// 0 = quiet (errors only), 1 = normal, 2 = verbose (compiler commands, ...).
pub fn set_verbosity(level: u8) {
    VERBOSITY.store(level, Ordering::Relaxed);
}

pub fn verbosity() -> u8 {
    VERBOSITY.load(Ordering::Relaxed)
}

pub fn is_verbose() -> bool {
    verbosity() >= 2
}

const GREEN: Style = AnsiColor::Green.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const CYAN: Style = AnsiColor::Cyan.on_default().bold();

fn line(style: Style, verb: &str, message: &str) {
    // One locked write per line so parallel compile threads never interleave mid-line.
    let mut err = anstream::stderr().lock();
    let _ = writeln!(err, "{style}{verb:>12}{style:#} {message}");
}

/// A step of the build: `   Compiling _foo (abi3: ...)`.
pub fn status(verb: &str, message: impl AsRef<str>) {
    if verbosity() >= 1 {
        line(GREEN, verb, message.as_ref());
    }
}

/// Detail shown only with `-v` (compiler command lines, pkg-config output).
pub fn verbose(verb: &str, message: impl AsRef<str>) {
    if is_verbose() {
        line(CYAN, verb, message.as_ref());
    }
}

pub fn warning(message: impl AsRef<str>) {
    let mut err = anstream::stderr().lock();
    let _ = writeln!(err, "{YELLOW}warning{YELLOW:#}: {}", message.as_ref());
}

/// Print a pre-rendered block (a diagnostic) to stderr.
pub fn block(text: impl AsRef<str>) {
    let mut err = anstream::stderr().lock();
    let _ = writeln!(err, "{}", text.as_ref().trim_end());
}

/// Whether stderr wants colour (honours NO_COLOR / CLICOLOR_FORCE and TTY detection).
pub fn stderr_is_styled() -> bool {
    !matches!(anstream::AutoStream::choice(&std::io::stderr()), anstream::ColorChoice::Never)
}
