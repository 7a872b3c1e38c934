//! The processes a build starts: SIGINT/SIGTERM stop all of them and remove what the run
//! wrote; a hung build script times out; a daemon a script leaves behind neither holds
//! the build up nor outlives it; a Python process that ends early, or an interpreter
//! cffi-forge cannot use, is named in a clear message.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::cli_support::*;

/// A running `cffi-forge`, its output going to files: a process that keeps a pipe open
/// can never hang the test.
struct Started {
    child: Child,
    logs: tempfile::TempDir,
}

fn start(mut command: Command) -> Started {
    let logs = tempfile::tempdir().unwrap();
    let stdout = std::fs::File::create(logs.path().join("stdout")).unwrap();
    let stderr = std::fs::File::create(logs.path().join("stderr")).unwrap();
    let child = command.stdin(Stdio::null()).stdout(stdout).stderr(stderr).spawn().unwrap();
    Started { child, logs }
}

impl Started {
    /// Wait at most `limit`; a run still going after that is killed and fails the test.
    fn finish(mut self, limit: Duration) -> (ExitStatus, String) {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("cffi-forge still running after {limit:?}\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (status, self.stderr())
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.logs.path().join("stderr")).unwrap_or_default()
    }
}

fn build_command(root: &Path, out: &Path) -> Command {
    let mut command = cffi_forge(&["build"]);
    command.arg(root).arg("-o").arg(out).arg("-i").arg(python());
    command
}

/// Whether `pid` is a live process (not a zombie waiting for its parent).
fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    !stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
}

/// Every pid written (one per line) into the files of `dir` named `*.pid`.
fn pids_in(dir: &Path) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pid") {
            let text = std::fs::read_to_string(&path).unwrap();
            pids.extend(text.split_whitespace().filter_map(|p| p.parse::<u32>().ok()));
        }
    }
    pids
}

fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_all_gone(pids: &[u32]) {
    // Killed processes are reaped by init a moment later.
    let deadline = Instant::now() + Duration::from_secs(5);
    while pids.iter().any(|&p| alive(p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left: Vec<_> = pids.iter().filter(|&&p| alive(p)).collect();
    assert!(left.is_empty(), "still running: {left:?}");
}

/// A build script that starts a child process (which starts nothing more), records both
/// pids in `marks/script.pid`, then sleeps for good.
const SLEEPING_SCRIPT: &str = r#"
import os, subprocess, sys, time
from cffi import FFI
ffi = FFI()
ffi.cdef("int one(void);")
ffi.set_source("_slow", "int one(void) { return 1; }")
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)"])
marks = os.path.join(os.path.dirname(os.path.abspath(__file__)), "marks")
with open(os.path.join(marks, "script.tmp"), "w") as f:
    f.write("%d\n%d\n" % (os.getpid(), child.pid))
os.rename(os.path.join(marks, "script.tmp"), os.path.join(marks, "script.pid"))
time.sleep(1000)
"#;

fn sleeping_project() -> tempfile::TempDir {
    let tree = project(&[("pyproject.toml", &pyproject("slow", "")), ("slow_build.py", SLEEPING_SCRIPT)]);
    std::fs::create_dir(tree.path().join("marks")).unwrap();
    tree
}

fn signal_stops_the_build_script_and_its_children(signal: rustix::process::Signal, expected: i32) {
    let tree = sleeping_project();
    let out = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut command = build_command(tree.path(), out.path());
    command.env("TMPDIR", tmp.path());
    let started = start(command);
    let marks = tree.path().join("marks");
    wait_for("the build script to start its child", Duration::from_secs(60), || !pids_in(&marks).is_empty());
    let pids = pids_in(&marks);
    assert_eq!(pids.len(), 2);
    let pid = rustix::process::Pid::from_child(&started.child);
    rustix::process::kill_process(pid, signal).unwrap();
    let (status, stderr) = started.finish(Duration::from_secs(30));
    assert_eq!(status.code(), Some(expected), "{stderr}");
    assert_all_gone(&pids);
    assert_eq!(listing(out.path()), Vec::<String>::new(), "nothing in the output directory");
    // The runner's reply files lived in a temporary directory: removed too.
    assert_eq!(listing(tmp.path()), Vec::<String>::new(), "nothing left in TMPDIR");
}

#[test]
fn sigterm_stops_the_build_script_and_its_children() {
    signal_stops_the_build_script_and_its_children(rustix::process::Signal::TERM, 143);
}

#[test]
fn sigint_stops_the_build_script_and_its_children() {
    signal_stops_the_build_script_and_its_children(rustix::process::Signal::INT, 130);
}

#[test]
fn sigterm_stops_the_compiler_and_what_it_started() {
    let script = "from cffi import FFI\nffi = FFI()\nffi.cdef('int one(void);')\n\
                  ffi.set_source('_cc', 'int one(void) { return 1; }')\n";
    let tree = project(&[("pyproject.toml", &pyproject("cc", "")), ("cc_build.py", script)]);
    let marks = tree.path().join("marks");
    std::fs::create_dir(&marks).unwrap();
    // A "compiler" that, asked to compile, starts a helper and hangs, as a stuck compiler
    // driver would (cc's probes of the compiler family go to the real one).
    let cc = tree.path().join("slowcc");
    std::fs::write(
        &cc,
        format!(
            "#!/bin/sh\ncase \" $* \" in *\" -c \"*) ;; *) exec cc \"$@\" ;; esac\n\
             sleep 1000 &\necho \"$$ $!\" > {marks}/cc.tmp\nmv {marks}/cc.tmp {marks}/cc.pid\nwait\n",
            marks = marks.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cc, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut command = build_command(tree.path(), out.path());
    command.env("CC", &cc);
    let started = start(command);
    wait_for("the compiler to start", Duration::from_secs(60), || !pids_in(&marks).is_empty());
    let pids = pids_in(&marks);
    rustix::process::kill_process(
        rustix::process::Pid::from_child(&started.child),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let (status, stderr) = started.finish(Duration::from_secs(30));
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert_all_gone(&pids);
    assert_eq!(listing(out.path()), Vec::<String>::new());
}

#[test]
fn a_hung_build_script_times_out_with_its_name_and_the_variable() {
    let tree = sleeping_project();
    let out = tempfile::tempdir().unwrap();
    let mut command = build_command(tree.path(), out.path());
    command.env("CFFI_FORGE_SCRIPT_TIMEOUT", "2");
    let began = Instant::now();
    let (status, stderr) = start(command).finish(Duration::from_secs(60));
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(began.elapsed() < Duration::from_secs(30), "stopped soon after the timeout");
    assert!(
        stderr.contains(
            "build script `slow_build.py` did not finish within 2 seconds (CFFI_FORGE_SCRIPT_TIMEOUT)"
        ),
        "{stderr}"
    );
    assert_all_gone(&pids_in(&tree.path().join("marks")));
    assert_eq!(listing(out.path()), Vec::<String>::new());
}

#[test]
fn a_bad_timeout_value_is_an_error_naming_the_variable() {
    let tree = sleeping_project();
    let out = tempfile::tempdir().unwrap();
    let mut command = build_command(tree.path(), out.path());
    command.env("CFFI_FORGE_SCRIPT_TIMEOUT", "soon");
    let (status, stderr) = start(command).finish(Duration::from_secs(60));
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("CFFI_FORGE_SCRIPT_TIMEOUT=\"soon\" is not a number of seconds"), "{stderr}");
}

#[test]
fn a_daemon_started_by_a_build_script_does_not_hold_the_build_up() {
    // The daemon keeps every inherited descriptor (stdout, stderr, stdin) open for good.
    let script = r#"
import os, time
from cffi import FFI
marks = os.path.join(os.path.dirname(os.path.abspath(__file__)), "marks")
if os.fork() == 0:
    with open(os.path.join(marks, "daemon.tmp"), "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(os.path.join(marks, "daemon.tmp"), os.path.join(marks, "daemon.pid"))
    time.sleep(1000)
    os._exit(0)
while not os.path.exists(os.path.join(marks, "daemon.pid")):
    time.sleep(0.01)
ffi = FFI()
ffi.cdef("int one(void);")
ffi.set_source("_daemon", "int one(void) { return 1; }")
"#;
    let tree = project(&[("pyproject.toml", &pyproject("daemon", "")), ("daemon_build.py", script)]);
    std::fs::create_dir(tree.path().join("marks")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (status, stderr) = start(build_command(tree.path(), out.path())).finish(Duration::from_secs(120));
    assert!(status.success(), "{stderr}");
    let wheel: Vec<PathBuf> = listing(out.path()).iter().map(|n| out.path().join(n)).collect();
    assert_eq!(wheel.len(), 1, "{stderr}");
    assert!(zip_names(&wheel[0]).iter().any(|n| n.starts_with("_daemon.")), "{:?}", zip_names(&wheel[0]));
    // What the script left running ended with the build.
    assert_all_gone(&pids_in(&tree.path().join("marks")));
}

/// stderr of a failed build with the machine-specific parts replaced, for snapshots.
fn failure_snapshot(files: &[(&str, &str)], interpreter: &Path) -> String {
    let tree = project(files);
    let out = tempfile::tempdir().unwrap();
    let mut command = cffi_forge(&["build"]);
    command.arg(tree.path()).arg("-o").arg(out.path()).arg("-i").arg(interpreter);
    let (status, stderr) = start(command).finish(Duration::from_secs(120));
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(listing(out.path()), Vec::<String>::new());
    stderr.replace(&interpreter.display().to_string(), "<python>")
}

#[test]
fn os_exit_in_a_build_script_says_the_script_ended_python() {
    let script = "import os\nfrom cffi import FFI\nffi = FFI()\nffi.set_source('_gone', None)\nos._exit(0)\n";
    let stderr =
        failure_snapshot(&[("pyproject.toml", &pyproject("gone", "")), ("gone_build.py", script)], &python());
    insta::assert_snapshot!(stderr);
}

/// An executable script standing in for an interpreter.
fn fake_interpreter(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

const SIMPLE_SCRIPT: &str = "from cffi import FFI\nffi = FFI()\nffi.cdef('int one(void);')\n\
                             ffi.set_source('_one', 'int one(void) { return 1; }')\n";

#[test]
fn python_2_is_named_as_too_old_with_what_is_supported() {
    // Answers as Python 2.7 does: no -I option; the version through `-c`.
    let bin = tempfile::tempdir().unwrap();
    let python2 = fake_interpreter(
        bin.path(),
        "python2.7",
        "if [ \"$1\" = -I ]; then echo 'Unknown option: -I' >&2; exit 2; fi\n\
         case \"$2\" in *python_implementation*) printf '2 7 CPython'; exit 0;; esac\nexit 1\n",
    );
    let stderr = failure_snapshot(
        &[("pyproject.toml", &pyproject("old", "")), ("one_build.py", SIMPLE_SCRIPT)],
        &python2,
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn real_pythons_older_than_3_8_are_too_old() {
    // Python 2.7 fails the facts query and is probed; 3.6 and 3.7 answer it and are refused.
    let found: Vec<(&str, PathBuf)> =
        ["2.7", "3.6", "3.7"].into_iter().filter_map(|v| Some((v, pyenv_python(v)?))).collect();
    if found.is_empty() {
        // tests/run.sh installs 3.8+ only; the fake Python 2 above covers the probe.
        eprintln!("NOT RUN: real_pythons_older_than_3_8_are_too_old (no CPython 2.7/3.6/3.7 in ~/.pyenv)");
        return;
    }
    for (version, python) in found {
        let stderr = failure_snapshot(
            &[("pyproject.toml", &pyproject("old", "")), ("one_build.py", SIMPLE_SCRIPT)],
            &python,
        );
        assert!(
            stderr.contains(&format!("error: `<python>` is CPython {version}, which is too old")),
            "{stderr}"
        );
        assert!(stderr.contains("cffi-forge builds for CPython 3.8 and newer"), "{stderr}");
        assert!(!stderr.contains("cannot import"), "the interpreter's age is the news: {stderr}");
        assert!(!stderr.contains("Traceback"), "no traceback from the runner: {stderr}");
    }
}

fn pyenv_python(version: &str) -> Option<PathBuf> {
    let versions = PathBuf::from(std::env::var_os("HOME")?).join(".pyenv/versions");
    let mut found: Vec<PathBuf> = std::fs::read_dir(versions)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(&format!("{version}."))))
        .map(|p| p.join("bin/python"))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found.pop()
}

#[test]
fn a_program_that_is_not_python_is_named_as_such() {
    let stderr = failure_snapshot(
        &[("pyproject.toml", &pyproject("notpy", "")), ("one_build.py", SIMPLE_SCRIPT)],
        Path::new("/bin/false"),
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn a_wheel_that_cannot_be_written_fully_is_one_clean_error() {
    // A file size limit stands in for a full disk: writes past it fail (EFBIG) the way
    // they fail with ENOSPC, without needing a small file system.
    let mut noise = String::new();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    while noise.len() < 400_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        noise.push_str(&format!("{x:016x}"));
    }
    let tree = project(&[
        ("pyproject.toml", &pyproject("big", "")),
        ("src/big/__init__.py", &format!("DATA = {noise:?}\n")),
    ]);
    let out = tempfile::tempdir().unwrap();
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 100; exec \"$0\" \"$@\"")
        .arg(bin())
        .args(["build"])
        .arg(tree.path())
        .arg("-o")
        .arg(out.path())
        .arg("-i")
        .arg(python())
        .env("NO_COLOR", "1");
    let (status, stderr) = start(command).finish(Duration::from_secs(120));
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("ZipWriter"), "no debug dump:\n{stderr}");
    assert_eq!(stderr.matches("error:").count(), 1, "one error:\n{stderr}");
    assert!(stderr.contains("error: cannot write"), "{stderr}");
    assert!(stderr.contains("big-1.0.0-py3-none-any.whl: File too large"), "{stderr}");
    assert_eq!(listing(out.path()), Vec::<String>::new(), "no temporary file left");
}

#[test]
fn missing_python_headers_get_a_hint_naming_the_dev_package() {
    // The test Python, except that it reports include directories that do not exist, as
    // a distribution's Python without its -dev package does.
    let real = python();
    let bin = tempfile::tempdir().unwrap();
    let wrapper = fake_interpreter(
        bin.path(),
        "python3",
        &format!(
            "if [ \"$1\" = -I ]; then {real} \"$@\" | sed 's#/include/python#/no-headers/python#g'; exit; fi\n\
             exec {real} \"$@\"\n",
            real = real.display()
        ),
    );
    let minor = python_output(&real, "import sys; print('%d.%d' % sys.version_info[:2])");
    let tree = project(&[("pyproject.toml", &pyproject("nohdr", "")), ("one_build.py", SIMPLE_SCRIPT)]);
    let out = tempfile::tempdir().unwrap();
    let mut command = cffi_forge(&["build"]);
    command.arg(tree.path()).arg("-o").arg(out.path()).arg("-i").arg(&wrapper);
    let (status, stderr) = start(command).finish(Duration::from_secs(120));
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Python.h"), "{stderr}");
    assert!(
        stderr.contains("help: the interpreter's C headers are not installed (it is not in `"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("/no-headers/python{minor}`)")), "{stderr}");
    assert!(stderr.contains(&format!("apt-get install python{minor}-dev")), "{stderr}");
    assert_eq!(listing(out.path()), Vec::<String>::new());
}

#[test]
fn sigterm_while_writing_the_wheel_removes_its_temporary() {
    // Enough incompressible data that writing the wheel takes a while.
    let mut data = Vec::with_capacity(32 << 20);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while data.len() < 32 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    let tree = project(&[("pyproject.toml", &pyproject("heavy", "")), ("src/heavy/__init__.py", "")]);
    std::fs::write(tree.path().join("src/heavy/blob.bin"), &data).unwrap();
    drop(data);
    let out = tempfile::tempdir().unwrap();
    let started = start(build_command(tree.path(), out.path()));
    wait_for("the wheel's temporary file", Duration::from_secs(120), || {
        let names = listing(out.path());
        assert!(!names.iter().any(|n| n.ends_with(".whl")), "the wheel was written before the signal");
        names.iter().any(|n| n.starts_with(".tmp-cffi-forge-"))
    });
    rustix::process::kill_process(
        rustix::process::Pid::from_child(&started.child),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let (status, stderr) = started.finish(Duration::from_secs(30));
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert_eq!(listing(out.path()), Vec::<String>::new(), "no .tmp-cffi-forge-* left");
}
