//! The child processes cffi-forge starts (build scripts, compilers) and the temporary
//! files it writes into the user's directories, kept track of so that nothing outlives
//! the run.
//!
//! Each child runs in a process group of its own, registered while the child runs:
//! - a build script's grandchildren (a daemon it started, a compiler it ran) are in that
//!   group too, so they can all be stopped at once, however deep;
//! - a terminal's Ctrl-C no longer reaches them directly, so cffi-forge decides: on
//!   SIGINT or SIGTERM it kills every registered group, removes every registered
//!   temporary file and exits with 128 + the signal number (130, 143), as a shell does.
//!
//! Only the binary installs the signal handler ([`stop_children_on_signals`]); as a
//! library, the groups are still created and cleaned up when a child is done.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Registry {
    /// Process group ids (= the pid of the child that leads each group).
    groups: Vec<u32>,
    /// Files and directories to remove if the run is stopped by a signal.
    temps: Vec<PathBuf>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry { groups: Vec::new(), temps: Vec::new() });

fn registry() -> MutexGuard<'static, Registry> {
    // A panic elsewhere while holding the lock leaves the lists intact.
    REGISTRY.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running child, leader of its own process group. Dropping it kills whatever is left
/// of the group (daemonised grandchildren included) and reaps the child.
pub struct Running {
    child: Option<Child>,
    pid: u32,
    /// Kill the group on drop (see [`output`] for when not).
    kill_leftovers: bool,
}

/// Start `command` in a new process group, registered for the signal handler.
pub fn spawn(command: &mut Command) -> io::Result<Running> {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    // Spawn and register under the lock: a signal handled in between would otherwise
    // miss this child.
    let mut registry = registry();
    let child = command.spawn()?;
    let pid = child.id();
    registry.groups.push(pid);
    Ok(Running { child: Some(child), pid, kill_leftovers: true })
}

/// `command.output()`, with the child in its own registered process group. A compiler
/// leaves nothing behind but a server it means to keep (sccache's), so the group is only
/// killed on a signal.
pub fn output(command: &mut Command) -> io::Result<Output> {
    use std::process::Stdio;
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut running = spawn(command)?;
    running.kill_leftovers = false;
    let child = running.child.take().expect("just spawned");
    let result = child.wait_with_output();
    drop(running);
    result
}

impl Running {
    pub fn child(&mut self) -> &mut Child {
        self.child.as_mut().expect("the child is kept until drop")
    }

    /// Wait for the child to exit, until `deadline`; `Ok(None)` when the deadline passed
    /// first (the child is still running). Waits for the child only: a grandchild that
    /// keeps running (or holds an inherited pipe) does not delay this.
    pub fn wait_until(&mut self, deadline: Option<Instant>) -> io::Result<Option<ExitStatus>> {
        let child = self.child();
        let Some(deadline) = deadline else { return child.wait().map(Some) };
        let mut pause = Duration::from_millis(1);
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(Some(status));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            std::thread::sleep(pause.min(deadline - now));
            // At most 5 ms late: a build script ends in tens of milliseconds, and a
            // longer pause (this was 50 ms) showed up whole in every build's time.
            pause = (pause * 2).min(Duration::from_millis(5));
        }
    }

    /// Kill the whole process group (SIGKILL: a hung or ignoring process must stop too).
    pub fn kill_group(&mut self) {
        kill_group(self.pid);
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // What is left of the group after the child exited are processes it started
        // and left behind: they belong to this build and end with it.
        if self.kill_leftovers {
            kill_group(self.pid);
        }
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
        registry().groups.retain(|&pid| pid != self.pid);
    }
}

fn kill_group(pgid: u32) {
    #[cfg(unix)]
    if let Some(pid) = rustix::process::Pid::from_raw(pgid as i32) {
        // ESRCH (the group is already gone) is the usual outcome.
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    #[cfg(not(unix))]
    let _ = pgid;
}

/// A temporary path registered for removal on SIGINT/SIGTERM; dropping the guard only
/// unregisters it (its owner removes or renames it as usual).
pub struct TempGuard {
    path: PathBuf,
}

pub fn register_temp(path: &Path) -> TempGuard {
    registry().temps.push(path.to_path_buf());
    TempGuard { path: path.to_path_buf() }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        let mut registry = registry();
        if let Some(index) = registry.temps.iter().rposition(|p| *p == self.path) {
            registry.temps.swap_remove(index);
        }
    }
}

/// Install the SIGINT/SIGTERM handler of the binary: a thread that, on the first such
/// signal, kills every registered process group, removes every registered temporary
/// path and exits with 128 + the signal number.
#[cfg(unix)]
pub fn stop_children_on_signals() -> io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new().name("signals".into()).spawn(move || {
        if let Some(signal) = signals.forever().next() {
            stop(signal)
        }
    })?;
    Ok(())
}

#[cfg(not(unix))]
pub fn stop_children_on_signals() -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn stop(signal: i32) -> ! {
    // The lock is kept until exit: no child can be spawned (and missed) meanwhile.
    let registry = registry();
    for &pgid in &registry.groups {
        kill_group(pgid);
    }
    for path in &registry.temps {
        if std::fs::remove_file(path).is_err() {
            let _ = std::fs::remove_dir_all(path);
        }
    }
    std::process::exit(128 + signal)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn alive(pid: u32) -> bool {
        // Signal 0 probes; a zombie still answers, so check its state too.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
        !stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    }

    #[test]
    fn dropping_a_child_kills_what_it_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let mut command = Command::new("sh");
        command.arg("-c").arg(format!("sleep 60 & echo $! > {}", pidfile.display()));
        let mut running = spawn(&mut command).unwrap();
        let status = running.wait_until(Some(Instant::now() + Duration::from_secs(20))).unwrap();
        assert!(status.is_some_and(|s| s.success()));
        let grandchild: u32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
        assert!(alive(grandchild), "the daemon outlives its parent until the drop");
        drop(running);
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive(grandchild) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!alive(grandchild), "the group was killed");
    }

    #[test]
    fn waiting_with_a_deadline_returns_on_time() {
        let mut running = spawn(Command::new("sleep").arg("30")).unwrap();
        let started = Instant::now();
        let status = running.wait_until(Some(started + Duration::from_millis(200))).unwrap();
        assert!(status.is_none());
        assert!(started.elapsed() < Duration::from_secs(5));
        running.kill_group();
        assert!(running.wait_until(None).unwrap().is_some());
    }
}
