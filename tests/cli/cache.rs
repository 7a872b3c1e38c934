//! The build directory and object cache under attack and under load: a poisoned fallback
//! directory, corrupt entries, concurrent builds of one tree, shadowing headers, and the
//! leftovers of killed runs. Every test checks what the built module does, not only that
//! the build succeeded.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli_support::*;

/// A build script whose module returns `$PROBE_VALUE` (42 when unset): what a build's
/// inputs were can be read back from the wheel by calling it.
const PROBE_BUILD: &str = r#"
import os
from cffi import FFI
ffibuilder = FFI()
ffibuilder.cdef("int value(void);")
ffibuilder.set_source("probe._probe", "static int value(void) { return %s; }" % os.environ.get("PROBE_VALUE", "42"))
"#;

fn probe_project() -> tempfile::TempDir {
    let tool = "[tool.cffi-forge]\ncffi-modules = [\"ffi/probe_build.py:ffibuilder\"]\n";
    project(&[
        ("pyproject.toml", &pyproject("probe", tool)),
        ("src/probe/__init__.py", ""),
        ("ffi/probe_build.py", PROBE_BUILD),
    ])
}

/// `cffi-forge build` with extra environment variables.
fn build_with(root: &Path, out: &Path, env: &[(&str, &Path)], args: &[&str]) -> Run {
    let mut command = cffi_forge(&["build"]);
    command.arg(root).arg("-o").arg(out).arg("-i").arg(python()).args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap().into()
}

/// The only wheel in `out`.
fn wheel_in(out: &Path) -> PathBuf {
    let wheels: Vec<String> = listing(out).into_iter().filter(|n| n.ends_with(".whl")).collect();
    assert_eq!(wheels.len(), 1, "{wheels:?}");
    out.join(&wheels[0])
}

/// Unpack `wheel` and call `probe._probe.lib.value()` from it.
fn call_probe(wheel: &Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    zip::ZipArchive::new(std::fs::File::open(wheel).unwrap()).unwrap().extract(dir.path()).unwrap();
    let out = Command::new(python())
        .args([
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); from probe._probe import lib; print(lib.value())",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Every file under `dir` whose name ends with `suffix`.
fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The fallback build directories (`cffi-forge-*`) in a temporary directory.
fn fallback_dirs(tmp: &Path) -> Vec<PathBuf> {
    listing(tmp).into_iter().filter(|n| n.starts_with("cffi-forge-")).map(|n| tmp.join(n)).collect()
}

#[cfg(unix)]
#[test]
fn a_world_writable_fallback_build_dir_with_planted_objects_is_not_used() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // A file named `build` makes `build/cffi-forge` impossible even for root: the build
    // directory falls back to the temporary directory, here one of our own.
    let tree = probe_project();
    write_files(tree.path(), &[("build", "not a directory\n")]);
    let tmp = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let env = [("TMPDIR", tmp.path())];
    build_with(tree.path(), out.path(), &env, &[]).success();
    assert_eq!(call_probe(&wheel_in(out.path())), "42");
    let dirs = fallback_dirs(tmp.path());
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let cache = &dirs[0];
    assert_eq!(std::fs::metadata(cache).unwrap().mode() & 0o777, 0o700, "created private");

    // What someone else could do to a shared directory: open it to all and replace the
    // cached object and module with ones that return 666 (built the same way elsewhere).
    let evil_tree = probe_project();
    write_files(evil_tree.path(), &[("build", "")]);
    let evil_tmp = tempfile::tempdir().unwrap();
    let evil_out = tempfile::tempdir().unwrap();
    let mut command = cffi_forge(&["build"]);
    command.arg(evil_tree.path()).arg("-o").arg(evil_out.path()).arg("-i").arg(python());
    let run: Run = command.env("TMPDIR", evil_tmp.path()).env("PROBE_VALUE", "666").output().unwrap().into();
    run.success();
    let evil_cache = &fallback_dirs(evil_tmp.path())[0];
    for suffix in [".o", ".so"] {
        let (good, evil) = (files_ending(cache, suffix), files_ending(evil_cache, suffix));
        assert_eq!((good.len(), evil.len()), (1, 1), "{good:?} {evil:?}");
        std::fs::copy(&evil[0], &good[0]).unwrap();
        // The record that vouches for a cached file is as writable as the file.
        let entry = |file: &Path| file.with_file_name("entry");
        if entry(&evil[0]).exists() {
            std::fs::copy(entry(&evil[0]), entry(&good[0])).unwrap();
        }
    }
    std::fs::set_permissions(cache, std::fs::Permissions::from_mode(0o777)).unwrap();

    let out = tempfile::tempdir().unwrap();
    let run = build_with(tree.path(), out.path(), &env, &[]).success();
    assert_eq!(call_probe(&wheel_in(out.path())), "42", "the planted module was used:\n{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "warning: not using the build directory {}: others can write into it (mode 0777)",
            cache.display()
        )),
        "{}",
        run.stderr
    );
    let fresh: Vec<PathBuf> = fallback_dirs(tmp.path()).into_iter().filter(|d| d != cache).collect();
    assert_eq!(fresh.len(), 1, "{fresh:?}");
    assert!(run.stderr.contains(&format!("building in the private directory {}", fresh[0].display())));
    assert_eq!(std::fs::metadata(&fresh[0]).unwrap().mode() & 0o777, 0o700);

    // The next build keeps using (and caching in) that private directory.
    let run = build_with(tree.path(), out.path(), &env, &["-v"]).success();
    assert_eq!(fallback_dirs(tmp.path()).len(), 2);
    assert!(run.stderr.contains(&format!("building in the private directory {}", fresh[0].display())));
    assert!(run.stderr.contains("Fresh probe._probe (linked)"), "{}", run.stderr);
    assert_eq!(call_probe(&wheel_in(out.path())), "42");
}

#[test]
fn emptied_or_truncated_cache_entries_are_rebuilt_and_said_so() {
    let tree = probe_project();
    let out = tempfile::tempdir().unwrap();
    build(tree.path(), out.path(), &[]).success();
    // `build/cffi-forge/<interpreter>/`, where messages name cache entries from.
    let cache = tree.path().join("build/cffi-forge");
    let cache = cache.join(&listing(&cache)[0]);
    let module = &files_ending(&cache, ".so")[0];
    let object = &files_ending(&cache, ".o")[0];

    // A 0-byte module in the cache: it used to go into the wheel as is.
    let size = std::fs::metadata(module).unwrap().len();
    std::fs::write(module, b"").unwrap();
    let run = build(tree.path(), out.path(), &[]).success();
    assert_eq!(call_probe(&wheel_in(out.path())), "42");
    let shown = module.strip_prefix(&cache).unwrap();
    let expected = format!(
        "warning: cache entry {} for module `probe._probe` was corrupt (0 bytes, {size} recorded); rebuilt",
        shown.display()
    );
    assert!(run.stderr.contains(&expected), "{expected}\n{}", run.stderr);

    // A truncated object: recompiled, and the module linked from it is the cached one again.
    let bytes = std::fs::read(object).unwrap();
    std::fs::write(object, &bytes[..bytes.len() / 2]).unwrap();
    let run = build(tree.path(), out.path(), &["-v"]).success();
    assert_eq!(call_probe(&wheel_in(out.path())), "42");
    let line =
        run.stderr.lines().find(|l| l.contains("was corrupt")).unwrap_or_else(|| panic!("{}", run.stderr));
    assert!(line.starts_with("warning: cache entry objects/"), "{line}");
    assert!(
        line.contains(&format!(
            "probe._probe.c (module `probe._probe`) was corrupt ({} bytes, {} recorded); rebuilt",
            bytes.len() / 2,
            bytes.len()
        )),
        "{line}"
    );
    assert!(run.stderr.contains("Fresh probe._probe (linked)"), "{}", run.stderr);
    assert_eq!(std::fs::read(object).unwrap(), bytes);
}

#[cfg(unix)]
#[test]
fn concurrent_builds_of_one_tree_with_different_inputs_never_cross() {
    // Eight builds at once share the tree and its build directory; each build script
    // generates different C (its own PROBE_VALUE). Every wheel must hold its own module.
    const BUILDS: usize = 8;
    let tree = probe_project();
    // A slow compiler (a loaded machine, a cache miss in a compiler wrapper) widens the
    // time between a build choosing what to compile and the compiler reading it.
    let slow_cc = tree.path().join("slow-cc");
    std::fs::write(&slow_cc, "#!/bin/sh\nsleep 0.25\nexec cc \"$@\"\n").unwrap();
    std::fs::set_permissions(&slow_cc, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let outs: Vec<tempfile::TempDir> = (0..BUILDS).map(|_| tempfile::tempdir().unwrap()).collect();
    let python = python();
    let children: Vec<std::process::Child> = outs
        .iter()
        .enumerate()
        .map(|(i, out)| {
            let mut command = cffi_forge(&["build", "-q"]);
            command.arg(tree.path()).arg("-o").arg(out.path()).arg("-i").arg(&python);
            command.env("PROBE_VALUE", (100 + i).to_string()).env("CC", &slow_cc);
            command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
            command.spawn().unwrap()
        })
        .collect();
    let runs: Vec<Run> = children.into_iter().map(|c| c.wait_with_output().unwrap().into()).collect();
    let mut crossed = Vec::new();
    for (i, (run, out)) in runs.into_iter().zip(&outs).enumerate() {
        run.success();
        let got = call_probe(&wheel_in(out.path()));
        if got != (100 + i).to_string() {
            crossed.push(format!("build {i} (PROBE_VALUE={}) shipped the module returning {got}", 100 + i));
        }
    }
    assert!(crossed.is_empty(), "{} of {BUILDS} wheels crossed:\n{}", crossed.len(), crossed.join("\n"));
}

#[test]
fn a_header_added_earlier_on_the_include_path_is_used_by_the_next_build() {
    let script = r#"
from cffi import FFI
ffibuilder = FFI()
ffibuilder.cdef("int value(void);")
ffibuilder.set_source("probe._probe", '#include "val.h"\nstatic int value(void) { return VAL; }',
    include_dirs=["inc_a", "inc_b"])
"#;
    let tool = "[tool.cffi-forge]\ncffi-modules = [\"ffi/probe_build.py:ffibuilder\"]\n";
    let tree = project(&[
        ("pyproject.toml", &pyproject("probe", tool)),
        ("src/probe/__init__.py", ""),
        ("ffi/probe_build.py", script),
        ("inc_a/.keep", ""),
        ("inc_b/val.h", "#define VAL 1\n"),
    ]);
    let out = tempfile::tempdir().unwrap();
    build(tree.path(), out.path(), &[]).success();
    assert_eq!(call_probe(&wheel_in(out.path())), "1");

    // Same name, earlier directory: a clean build would use it, so must this one.
    write_files(tree.path(), &[("inc_a/val.h", "#define VAL 2\n")]);
    let run = build(tree.path(), out.path(), &["-v"]).success();
    assert_eq!(call_probe(&wheel_in(out.path())), "2", "the old object was reused:\n{}", run.stderr);
    let stale = run.stderr.lines().find(|l| l.contains("Stale")).unwrap_or_else(|| panic!("{}", run.stderr));
    assert!(
        stale.contains(
            "probe._probe.c (module `probe._probe`): `inc_a/val.h` now comes first on the include path"
        ),
        "{stale}"
    );

    // Unchanged since: the new object is reused.
    let run = build(tree.path(), out.path(), &["-v"]).success();
    assert!(run.stderr.contains("Fresh probe._probe (linked)"), "{}", run.stderr);
    assert!(!run.stderr.contains("Stale"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn the_next_build_removes_temporaries_of_killed_runs_but_not_of_running_ones() {
    let tree = probe_project();
    let out = tempfile::tempdir().unwrap();
    build(tree.path(), out.path(), &[]).success();
    let cache = tree.path().join("build/cffi-forge");
    let cache = cache.join(&listing(&cache)[0]);

    // What a run killed with SIGKILL leaves: temporaries named with its (now unused) id.
    let dead = {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    };
    let live = std::process::id();
    let object_dir = files_ending(&cache, ".o")[0].parent().unwrap().to_path_buf();
    let gen_dir = files_ending(&cache.join("gen"), ".c")[0].parent().unwrap().to_path_buf();
    let out_file = out.path().join(format!(".tmp-cffi-forge-{dead}-Ab12Cd"));
    let out_dir = out.path().join(format!(".tmp-cffi-forge-{dead}-Ef34Gh"));
    let leftovers = [
        object_dir.join(format!(".tmp{dead}-0-probe._probe.o")),
        object_dir.join(format!(".tmp{dead}-0-probe._probe.d")),
        gen_dir.join(format!(".tmp{dead}-probe._probe.c")),
        cache.join(format!("objects/0123abcd.tmp{dead}-3.o")),
        out_file.clone(),
        out_dir.join("probe-1.0.0.dist-info/METADATA"),
    ];
    let running = [
        object_dir.join(format!(".tmp{live}-0-probe._probe.o")),
        out.path().join(format!(".tmp-cffi-forge-{live}-Ij56Kl")),
    ];
    for path in leftovers.iter().chain(&running) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "partial").unwrap();
    }

    let run = build(tree.path(), out.path(), &["-v"]).success();
    for path in leftovers.iter().chain([&out_dir]) {
        assert!(!path.exists(), "{} is still there\n{}", path.display(), run.stderr);
    }
    for path in &running {
        assert!(path.exists(), "{} belongs to a running build", path.display());
    }
    assert!(
        run.stderr.contains(&format!("Removed 4 temporary files of ended runs from {}", cache.display())),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("Removed 2 temporary files of ended runs from {}", out.path().display())),
        "{}",
        run.stderr
    );
    assert_eq!(call_probe(&wheel_in(out.path())), "42");
}
