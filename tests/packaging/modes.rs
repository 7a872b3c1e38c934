//! File modes of everything cffi-forge writes for the user: wheels, editable wheels,
//! sdists, metadata directories and generated sources get the mode the umask gives any
//! new file (`0666 & ~umask`: 0644 under 022, 0600 under 077), also though each is
//! written under a temporary name first. Each run sets its umask in a child process, so
//! the tests never change this process's umask.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::cli_support::*;

/// `cffi-forge ARGS` run under `umask`.
fn run_with_umask(umask: &str, args: &[&std::ffi::OsStr]) -> Run {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CFFI_FORGE_BUILD_DIR");
    command.output().unwrap().into()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The only file in `dir`.
fn only_file(dir: &Path) -> std::path::PathBuf {
    let names = listing(dir);
    assert_eq!(names.len(), 1, "{names:?}");
    dir.join(&names[0])
}

fn pure_project() -> tempfile::TempDir {
    project(&[
        ("pyproject.toml", &pyproject("modes-demo", "")),
        ("modes_demo/__init__.py", "X = 1\n"),
        (
            "spec.toml",
            "[[module]]\nname = \"_c\"\ncdef = \"int f(int);\"\nsource = \"\"\n\n\
             [[module]]\nname = \"_p\"\ncdef = \"int f(int);\"\n",
        ),
    ])
}

fn check_modes(umask: &str, file_mode: u32, exec_mode: u32) {
    let tree = pure_project();
    let root = tree.path();
    let python = python();
    let os = |s: &str| std::ffi::OsString::from(s);
    let arg = |p: &Path| p.as_os_str().to_os_string();

    let wheels = root.join("out-wheel");
    let args = [os("build"), arg(root), os("-o"), arg(&wheels), os("-i"), arg(&python)];
    run_with_umask(umask, &args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>()).success();
    assert_eq!(mode(&only_file(&wheels)), file_mode, "wheel under umask {umask}");

    let editable = root.join("out-editable");
    let args = [os("build"), arg(root), os("-o"), arg(&editable), os("-i"), arg(&python), os("--editable")];
    run_with_umask(umask, &args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>()).success();
    assert_eq!(mode(&only_file(&editable)), file_mode, "editable wheel under umask {umask}");

    let sdists = root.join("out-sdist");
    let args = [os("sdist"), arg(root), os("-o"), arg(&sdists)];
    run_with_umask(umask, &args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>()).success();
    assert_eq!(mode(&only_file(&sdists)), file_mode, "sdist under umask {umask}");

    let metadata = root.join("out-metadata");
    std::fs::create_dir(&metadata).unwrap();
    let args = [
        os("pep517"),
        os("prepare-metadata"),
        os("-i"),
        arg(&python),
        os("--dir"),
        arg(root),
        os("-o"),
        arg(&metadata),
    ];
    run_with_umask(umask, &args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>()).success();
    let dist_info = only_file(&metadata);
    assert_eq!(mode(&dist_info), exec_mode, "metadata directory under umask {umask}");
    assert_eq!(mode(&dist_info.join("METADATA")), file_mode, "METADATA under umask {umask}");

    for (command, module) in [("generate-c", "_c"), ("generate-py", "_p")] {
        let out = root.join(format!("{module}.out"));
        let args =
            [os(command), arg(&root.join("spec.toml")), os("--module"), os(module), os("-o"), arg(&out)];
        run_with_umask(umask, &args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>()).success();
        assert_eq!(mode(&out), file_mode, "{command} output under umask {umask}");
    }
    // Nothing temporary is left beside the outputs.
    for dir in [&wheels, &editable, &sdists, &metadata] {
        assert!(listing(dir).iter().all(|n| !n.starts_with(".tmp")), "{:?}", listing(dir));
    }
}

#[test]
fn outputs_get_0644_under_umask_022() {
    check_modes("022", 0o644, 0o755);
}

#[test]
fn outputs_get_0600_under_umask_077() {
    check_modes("077", 0o600, 0o700);
}

#[test]
fn outputs_get_0664_under_umask_002() {
    check_modes("002", 0o664, 0o775);
}
