//! pkg-config, with cffi's semantics (`set_source_pkgconfig`, `pkgconfig=[...]`, the
//! declarative `pkg-config` key): each requirement (`"zlib"`, `"libgit2 >= 1.5"`) is
//! asked for `--cflags` and `--libs` separately, and the flags are split into include
//! dirs, macros, library dirs, libraries and the remaining compile / link arguments,
//! appended after what the user gave.
//!
//! pkg-config itself is run (`$PKG_CONFIG`, else `pkg-config`), so `PKG_CONFIG_PATH`,
//! `PKG_CONFIG_LIBDIR` and `PKG_CONFIG_SYSROOT_DIR` work exactly as users expect.

pub mod packages;

use std::ffi::{OsStr, OsString};
use std::process::Command;

use crate::diagnostic::{Diagnostic, ToDiagnostic};
use crate::spec::{BuildOptions, Define};

/// The flags pkg-config gave for one or more packages, split the way cffi splits them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PkgConfigFlags {
    pub include_dirs: Vec<String>,
    pub define_macros: Vec<Define>,
    pub extra_compile_args: Vec<String>,
    pub library_dirs: Vec<String>,
    pub libraries: Vec<String>,
    pub extra_link_args: Vec<String>,
}

impl PkgConfigFlags {
    fn from_output(cflags: &[String], libs: &[String]) -> Self {
        let mut flags = PkgConfigFlags::default();
        for flag in cflags {
            if let Some(dir) = flag.strip_prefix("-I") {
                flags.include_dirs.push(dir.to_string());
            } else if let Some(def) = flag.strip_prefix("-D") {
                flags.define_macros.push(match def.split_once('=') {
                    Some((name, value)) => Define { name: name.into(), value: Some(value.into()) },
                    None => Define { name: def.into(), value: None },
                });
            } else {
                flags.extra_compile_args.push(flag.clone());
            }
        }
        for flag in libs {
            if let Some(dir) = flag.strip_prefix("-L") {
                flags.library_dirs.push(dir.to_string());
            } else if let Some(lib) = flag.strip_prefix("-l") {
                flags.libraries.push(lib.to_string());
            } else {
                flags.extra_link_args.push(flag.clone());
            }
        }
        flags
    }

    fn extend(&mut self, other: PkgConfigFlags) {
        self.include_dirs.extend(other.include_dirs);
        self.define_macros.extend(other.define_macros);
        self.extra_compile_args.extend(other.extra_compile_args);
        self.library_dirs.extend(other.library_dirs);
        self.libraries.extend(other.libraries);
        self.extra_link_args.extend(other.extra_link_args);
    }

    /// Append to a module's options, after the user's own values (cffi's `merge_flags`).
    pub fn merge_into(self, options: &mut BuildOptions) {
        options.include_dirs.extend(self.include_dirs);
        options.define_macros.extend(self.define_macros);
        options.extra_compile_args.extend(self.extra_compile_args);
        options.library_dirs.extend(self.library_dirs);
        options.libraries.extend(self.libraries);
        options.extra_link_args.extend(self.extra_link_args);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PkgConfigError {
    #[error("cannot run pkg-config (`{}`) for {requirement:?}: {source}", program.to_string_lossy())]
    NotInstalled { program: OsString, requirement: String, source: std::io::Error },
    #[error("pkg-config cannot find {requirement:?}")]
    NotFound {
        requirement: String,
        /// pkg-config's own explanation (`--print-errors`).
        message: String,
        /// Folders pkg-config searched for `.pc` files.
        search_path: Vec<String>,
    },
    #[error("pkg-config found {package} {found}, but {requirement:?} is required")]
    VersionMismatch { requirement: String, package: String, found: String, search_path: Vec<String> },
    #[error("pkg-config {flag} {requirement:?} printed text that is not UTF-8")]
    NotUtf8 { requirement: String, flag: &'static str },
    #[error("pkg-config {flag} {requirement:?} printed flags cffi-forge cannot split: {output}")]
    Unsplittable { requirement: String, flag: &'static str, output: String },
}

impl PkgConfigError {
    /// The package name of a requirement (`zlib` for `"zlib >= 1.2"`).
    fn package(requirement: &str) -> &str {
        requirement.split(|c: char| c.is_whitespace() || "<>=!".contains(c)).next().unwrap_or(requirement)
    }
}

impl ToDiagnostic for PkgConfigError {
    fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::error(self.to_string());
        match self {
            PkgConfigError::NotInstalled { .. } => d.with_help(
                "install pkg-config (Debian/Ubuntu: `apt-get install pkg-config`; \
                 manylinux: `yum install pkgconfig`; macOS: `brew install pkg-config`), \
                 or set PKG_CONFIG to its path",
            ),
            PkgConfigError::NotFound { requirement, message, search_path } => {
                let package = Self::package(requirement);
                let searched = if search_path.is_empty() {
                    "searched: (no folders)".to_string()
                } else {
                    format!("searched: {}", search_path.join(", "))
                };
                d.with_note(message.trim().to_string())
                    .with_note(searched)
                    .with_help(packages::install_hint(package))
            }
            PkgConfigError::VersionMismatch { package, search_path, .. } => {
                d.with_note(format!("searched: {}", search_path.join(", "))).with_help(format!(
                    "install a newer version of the package providing `{package}.pc` (or put the folder \
                     of a newer `{package}.pc` first in PKG_CONFIG_PATH), or relax the requirement"
                ))
            }
            PkgConfigError::NotUtf8 { .. } | PkgConfigError::Unsplittable { .. } => d,
        }
    }
}

/// How to run pkg-config: the program and extra environment (tests point
/// `PKG_CONFIG_PATH` at fixtures without touching the process environment).
#[derive(Clone, Debug)]
pub struct PkgConfig {
    program: OsString,
    envs: Vec<(OsString, Option<OsString>)>,
}

impl Default for PkgConfig {
    fn default() -> Self {
        Self::from_env()
    }
}

impl PkgConfig {
    /// `$PKG_CONFIG`, else `pkg-config` on `PATH`.
    pub fn from_env() -> Self {
        let program =
            std::env::var_os("PKG_CONFIG").filter(|p| !p.is_empty()).unwrap_or_else(|| "pkg-config".into());
        Self { program, envs: Vec::new() }
    }

    pub fn program(mut self, program: impl Into<OsString>) -> Self {
        self.program = program.into();
        self
    }

    /// Set (or with `None`, remove) an environment variable for pkg-config.
    pub fn env(mut self, key: impl Into<OsString>, value: Option<&OsStr>) -> Self {
        self.envs.push((key.into(), value.map(OsStr::to_os_string)));
        self
    }

    fn var(&self, key: &str) -> Option<OsString> {
        match self.envs.iter().rev().find(|(k, _)| k == key) {
            Some((_, value)) => value.clone(),
            None => std::env::var_os(key),
        }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        for (key, value) in &self.envs {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command
    }

    /// The flags of every requirement, in order, merged.
    pub fn flags(&self, requirements: &[String]) -> Result<PkgConfigFlags, PkgConfigError> {
        let mut all = PkgConfigFlags::default();
        for requirement in requirements {
            all.extend(self.flags_of(requirement)?);
        }
        Ok(all)
    }

    /// The flags of one requirement such as `"zlib"` or `"zlib >= 1.2"`.
    pub fn flags_of(&self, requirement: &str) -> Result<PkgConfigFlags, PkgConfigError> {
        let cflags = self.run(requirement, "--cflags")?;
        let libs = self.run(requirement, "--libs")?;
        Ok(PkgConfigFlags::from_output(&cflags, &libs))
    }

    fn run(&self, requirement: &str, flag: &'static str) -> Result<Vec<String>, PkgConfigError> {
        let _t = crate::timings::child("pkg-config");
        let output =
            self.command().args(["--print-errors", flag, requirement]).output().map_err(|source| {
                PkgConfigError::NotInstalled {
                    program: self.program.clone(),
                    requirement: requirement.into(),
                    source,
                }
            })?;
        if !output.status.success() {
            let package = PkgConfigError::package(requirement);
            if package != requirement.trim() {
                // A version requirement: say so when the package is there but too old.
                if let Some(found) = self.version_of(package) {
                    return Err(PkgConfigError::VersionMismatch {
                        requirement: requirement.into(),
                        package: package.into(),
                        found,
                        search_path: self.search_path(),
                    });
                }
            }
            return Err(PkgConfigError::NotFound {
                requirement: requirement.into(),
                message: String::from_utf8_lossy(&output.stderr).into_owned(),
                search_path: self.search_path(),
            });
        }
        let text = String::from_utf8(output.stdout)
            .map_err(|_| PkgConfigError::NotUtf8 { requirement: requirement.into(), flag })?;
        // pkg-config escapes spaces in paths with backslashes, as a shell would read them.
        shlex::split(text.trim()).ok_or_else(|| PkgConfigError::Unsplittable {
            requirement: requirement.into(),
            flag,
            output: text.trim().into(),
        })
    }

    /// The version of an installed package (`--modversion`), if pkg-config knows it.
    fn version_of(&self, package: &str) -> Option<String> {
        let output = self.command().args(["--modversion", package]).output().ok()?;
        let version = String::from_utf8(output.stdout).ok()?;
        (output.status.success() && !version.trim().is_empty()).then(|| version.trim().to_string())
    }

    /// The folders pkg-config searches: `PKG_CONFIG_PATH`, then `PKG_CONFIG_LIBDIR` or
    /// its built-in default.
    pub fn search_path(&self) -> Vec<String> {
        let separator = if cfg!(windows) { ';' } else { ':' };
        let split = |s: OsString| -> Vec<String> {
            s.to_string_lossy().split(separator).filter(|p| !p.is_empty()).map(str::to_string).collect()
        };
        let mut path = self.var("PKG_CONFIG_PATH").map(split).unwrap_or_default();
        match self.var("PKG_CONFIG_LIBDIR") {
            Some(libdir) => path.extend(split(libdir)),
            None => {
                if let Ok(out) = self.command().args(["--variable", "pc_path", "pkg-config"]).output() {
                    path.extend(split(String::from_utf8_lossy(&out.stdout).trim().into()));
                }
            }
        }
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("forgetest.pc"),
            "prefix=/opt/forge\nincludedir=${prefix}/include\nlibdir=${prefix}/lib\n\
             Name: forgetest\nDescription: test\nVersion: 2.5.1\n\
             Cflags: -I${includedir}/forge -I/opt/with\\ space -DFORGE_A -DFORGE_B=2 -pthread\n\
             Libs: -L${libdir} -lforge -lm -Wl,--as-needed\n",
        )
        .unwrap();
        dir
    }

    fn pkg_config(dir: &tempfile::TempDir) -> PkgConfig {
        PkgConfig::from_env()
            .env("PKG_CONFIG_PATH", Some(dir.path().as_os_str()))
            .env("PKG_CONFIG_SYSROOT_DIR", None)
            .env("PKG_CONFIG_LIBDIR", None)
    }

    #[test]
    fn splits_flags_like_cffi() {
        let dir = fixture();
        let flags = pkg_config(&dir).flags(&["forgetest".into()]).expect("pkg-config is installed here");
        assert_eq!(flags.include_dirs, ["/opt/forge/include/forge", "/opt/with space"]);
        assert_eq!(
            flags.define_macros,
            [
                Define { name: "FORGE_A".into(), value: None },
                Define { name: "FORGE_B".into(), value: Some("2".into()) }
            ]
        );
        assert_eq!(flags.extra_compile_args, ["-pthread"]);
        assert_eq!(flags.library_dirs, ["/opt/forge/lib"]);
        assert_eq!(flags.libraries, ["forge", "m"]);
        assert_eq!(flags.extra_link_args, ["-Wl,--as-needed"]);

        let mut options = BuildOptions { libraries: vec!["first".into()], ..Default::default() };
        flags.merge_into(&mut options);
        assert_eq!(options.libraries, ["first", "forge", "m"]);
    }

    #[test]
    fn version_requirements_are_checked() {
        let dir = fixture();
        let pc = pkg_config(&dir);
        assert!(pc.flags_of("forgetest >= 2.5").is_ok());
        assert!(pc.flags_of("forgetest = 2.5.1").is_ok());
        assert!(pc.flags_of("forgetest < 2.5").is_err());
        let err = pc.flags_of("forgetest >= 3.0").unwrap_err();
        let PkgConfigError::VersionMismatch { package, found, .. } = &err else { panic!("{err:?}") };
        assert_eq!((package.as_str(), found.as_str()), ("forgetest", "2.5.1"));
        let text = err.to_diagnostic().render(false);
        assert!(
            text.contains("pkg-config found forgetest 2.5.1, but \"forgetest >= 3.0\" is required"),
            "{text}"
        );
        assert!(
            text.contains(&*dir.path().to_string_lossy()) && text.contains("relax the requirement"),
            "{text}"
        );
    }

    #[test]
    fn sysroot_prefixes_paths() {
        let dir = fixture();
        let flags = pkg_config(&dir)
            .env("PKG_CONFIG_SYSROOT_DIR", Some(OsStr::new("/sysroot")))
            .flags_of("forgetest")
            .unwrap();
        assert_eq!(flags.include_dirs[0], "/sysroot/opt/forge/include/forge");
        assert_eq!(flags.library_dirs, ["/sysroot/opt/forge/lib"]);
    }

    #[test]
    fn missing_package_names_it_the_search_path_and_a_hint() {
        let dir = fixture();
        let err = pkg_config(&dir).flags_of("libnosuchthing >= 1").unwrap_err();
        let PkgConfigError::NotFound { search_path, .. } = &err else { panic!("{err:?}") };
        assert_eq!(search_path[0], dir.path().to_string_lossy());
        assert!(search_path.len() > 1, "the built-in default path is listed too: {search_path:?}");
        let text = err.to_diagnostic().render(false);
        assert!(text.contains("pkg-config cannot find \"libnosuchthing >= 1\""), "{text}");
        assert!(text.contains(&*dir.path().to_string_lossy()), "{text}");
        assert!(text.contains("apt-file search libnosuchthing.pc") && text.contains("before-all"), "{text}");
        let zlib = PkgConfigError::NotFound {
            requirement: "zlib >= 1.2".into(),
            message: String::new(),
            search_path: Vec::new(),
        };
        let text = zlib.to_diagnostic().render(false);
        assert!(
            text.contains("apt-get install zlib1g-dev") && text.contains("yum install -y zlib-devel"),
            "{text}"
        );
    }

    #[test]
    fn missing_pkg_config_program() {
        let err = PkgConfig::from_env().program("/nonexistent/pkg-config").flags_of("zlib").unwrap_err();
        assert!(matches!(err, PkgConfigError::NotInstalled { .. }));
        assert!(err.to_diagnostic().render(false).contains("install pkg-config"));
    }
}
