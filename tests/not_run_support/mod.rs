//! `not_run`: how an integration test says a check could not run here. Shared by the
//! `packaging_support` and `cli_support` modules (included with `#[path]`).

/// A check that cannot run here (a missing interpreter or package). Says so loudly and
/// never passes silently: the line goes straight to stderr (past libtest's capture, which
/// only takes `print!`/`eprint!`), into `CFFI_FORGE_NOT_RUN_LOG` for run.sh's summary, and
/// under `CI=true` the test fails.
pub fn not_run(what: &str, why: &str) {
    use std::io::Write;
    let line = format!("NOT RUN: {what}: {why}");
    let _ = writeln!(std::io::stderr(), "\n!! {line}");
    if let Some(log) = std::env::var_os("CFFI_FORGE_NOT_RUN_LOG") {
        if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(log) {
            let _ = writeln!(file, "{line}");
        }
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{line} (a failure under CI=true)");
    }
}
