//! `CFFI_FORGE_TIMINGS=FILE`: where one run's time went, written as JSON when it ends.
//!
//! For `bench/overhead`: "time beyond the compiler" is what this process spends itself,
//! so it is measured here rather than as the difference of two noisy compiler times. The
//! file holds the phases of the run (config, interpreter facts, generate, compile, audit,
//! archive...), every span spent waiting for a child process (compiler, linker, pkg-config,
//! a build script) and the process's own CPU time (`getrusage(RUSAGE_SELF)`, its children
//! excluded) and its children's.
//!
//! Unset (the normal case), every call here is one atomic load and nothing is recorded.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

struct Recorder {
    path: PathBuf,
    start: Instant,
    spans: Mutex<Vec<Span>>,
}

struct Span {
    name: &'static str,
    /// Waiting for a child process (not this process's own work).
    child: bool,
    start: Duration,
    end: Duration,
}

static RECORDER: OnceLock<Option<Recorder>> = OnceLock::new();

fn recorder() -> Option<&'static Recorder> {
    RECORDER.get().and_then(Option::as_ref)
}

/// Start recording if `CFFI_FORGE_TIMINGS` names a file; called first thing in `main`.
pub fn start() {
    RECORDER.get_or_init(|| {
        let path = std::env::var_os("CFFI_FORGE_TIMINGS").filter(|p| !p.is_empty())?;
        Some(Recorder { path: PathBuf::from(path), start: Instant::now(), spans: Mutex::new(Vec::new()) })
    });
}

/// Records a span from its creation to its drop.
#[must_use = "the span ends when this is dropped"]
pub struct Guard {
    name: &'static str,
    child: bool,
    start: Option<Instant>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let (Some(recorder), Some(start)) = (recorder(), self.start) {
            let span = Span {
                name: self.name,
                child: self.child,
                start: start - recorder.start,
                end: recorder.start.elapsed(),
            };
            recorder.spans.lock().unwrap_or_else(|p| p.into_inner()).push(span);
        }
    }
}

fn guard(name: &'static str, child: bool) -> Guard {
    Guard { name, child, start: recorder().map(|_| Instant::now()) }
}

/// A phase of this process's own work (may contain child spans and other phases).
pub fn phase(name: &'static str) -> Guard {
    guard(name, false)
}

/// Time spent waiting for a child process: `compile`, `link`, `archive` (the compiler's
/// share), `pkg-config`, `python` (interpreter query, build scripts), ...
pub fn child(name: &'static str) -> Guard {
    guard(name, true)
}

/// Write the file; called once, last thing in `main`. Errors go to stderr only: timing a
/// build never fails it.
pub fn finish() {
    let Some(recorder) = recorder() else { return };
    let wall = recorder.start.elapsed();
    let spans = recorder.spans.lock().unwrap_or_else(|p| p.into_inner());
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut children: Vec<(Duration, Duration)> = Vec::new();
    let mut compiler: Vec<(Duration, Duration)> = Vec::new();
    let list: Vec<serde_json::Value> = spans
        .iter()
        .map(|s| {
            if s.child {
                children.push((s.start, s.end));
                if matches!(s.name, "compile" | "link" | "archive") {
                    compiler.push((s.start, s.end));
                }
            }
            serde_json::json!({
                "name": s.name,
                "kind": if s.child { "child" } else { "phase" },
                "start_ms": ms(s.start),
                "end_ms": ms(s.end),
            })
        })
        .collect();
    let (self_cpu, children_cpu) = cpu_times();
    let report = serde_json::json!({
        // From the start of `main` to now (process start-up and exit are not in it).
        "wall_ms": ms(wall),
        // Time some child ran, parallel children counted once.
        "waiting_children_ms": ms(union(children)),
        // The same for the compiler's children alone (compile, link, archive).
        "waiting_compiler_ms": ms(union(compiler)),
        "cpu_self": self_cpu,
        "cpu_children": children_cpu,
        "spans": list,
    });
    // Not flushed to disk: that would add milliseconds to the very time measured.
    if let Err(e) =
        crate::atomic_write::write_atomically_unsynced(&recorder.path, report.to_string().as_bytes())
    {
        crate::ui::warning(format!("CFFI_FORGE_TIMINGS: cannot write {}: {e}", recorder.path.display()));
    }
}

/// The length of the union of the intervals.
fn union(mut intervals: Vec<(Duration, Duration)>) -> Duration {
    intervals.sort();
    let mut total = Duration::ZERO;
    let mut current: Option<(Duration, Duration)> = None;
    for (start, end) in intervals {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                total += e - s;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    total + current.map_or(Duration::ZERO, |(s, e)| e - s)
}

/// `{"user_ms", "system_ms"}` of this process and of its waited-for children.
#[cfg(unix)]
fn cpu_times() -> (serde_json::Value, serde_json::Value) {
    fn usage(who: libc::c_int) -> serde_json::Value {
        // SAFETY: getrusage fills the struct it is given; zeroed is a valid `rusage`.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(who, &mut usage) } != 0 {
            return serde_json::Value::Null;
        }
        let ms = |t: libc::timeval| t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0;
        serde_json::json!({ "user_ms": ms(usage.ru_utime), "system_ms": ms(usage.ru_stime) })
    }
    (usage(libc::RUSAGE_SELF), usage(libc::RUSAGE_CHILDREN))
}

#[cfg(not(unix))]
fn cpu_times() -> (serde_json::Value, serde_json::Value) {
    (serde_json::Value::Null, serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_spans_count_once() {
        let ms = Duration::from_millis;
        assert_eq!(union(vec![]), ms(0));
        assert_eq!(union(vec![(ms(10), ms(20)), (ms(15), ms(30)), (ms(40), ms(45))]), ms(25));
        assert_eq!(union(vec![(ms(40), ms(45)), (ms(10), ms(50))]), ms(40));
        assert_eq!(union(vec![(ms(0), ms(5)), (ms(5), ms(7))]), ms(7));
    }
}
