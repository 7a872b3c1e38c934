//! The manylinux/musllinux audit of a Linux wheel's compiled modules, in the build:
//! read each module's ELF ([`elf`]), find the libraries it loads like the dynamic loader
//! ([`resolve`]), and decide the most compatible policy ([`policy`], auditwheel's data)
//! the modules satisfy, naming the library or symbol version that keeps them from a
//! more compatible one.
//!
//! The rules are auditwheel's, so that its `show` agrees with the tag we write: a policy
//! holds when every library the modules load from the system is on its whitelist, every
//! versioned symbol they need from it (`GLIBC_2.14`, `GLIBCXX_3.4.21`, ...) is one it
//! allows, and no module uses a symbol it blacklists.

pub mod elf;
pub mod partial;
pub mod policy;
pub mod repair;
pub mod resolve;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, ToDiagnostic};

pub use elf::{ElfError, ElfFile, Libc};
pub use policy::Policy;
pub use repair::{Bundle, RepairError, Repaired};
use resolve::Loader;

/// `[tool.cffi-forge] compatibility`, `--compatibility`, the `compatibility`
/// config-setting, or `AUDITWHEEL_PLAT`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Compatibility {
    /// The most compatible policy the build satisfies, else `linux` (the default).
    #[default]
    Auto,
    /// `linux`: no audit, the plain `linux_<arch>` tag (not accepted by PyPI).
    Linux,
    /// Exactly this policy; a build that does not satisfy it fails.
    Policy(&'static Policy),
}

impl Compatibility {
    /// `"auto"`, `"linux"`, or a policy name or alias, with or without the architecture.
    pub fn parse(text: &str) -> Result<Compatibility, String> {
        let text = text.trim();
        match text {
            "auto" | "" => Ok(Compatibility::Auto),
            "linux" => Ok(Compatibility::Linux),
            _ if text.starts_with("linux_") => Ok(Compatibility::Linux),
            _ => policy::find(text).map(Compatibility::Policy).ok_or_else(|| {
                let names: Vec<String> = policy::all()
                    .iter()
                    .flat_map(|p| std::iter::once(p.name.clone()).chain(p.aliases.iter().cloned()))
                    .collect();
                format!(
                    "unknown compatibility `{text}`: use \"auto\", \"linux\" or a policy ({})",
                    names.join(", ")
                )
            }),
        }
    }
}

impl fmt::Display for Compatibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Compatibility::Auto => f.write_str("auto"),
            Compatibility::Linux => f.write_str("linux"),
            Compatibility::Policy(p) => f.write_str(&p.name),
        }
    }
}

/// One compiled module of the wheel.
#[derive(Clone, Debug)]
pub struct Module {
    /// Its path inside the wheel, e.g. `pkg/_foo.abi3.so`: how messages name it.
    pub archive_path: String,
    pub file: PathBuf,
}

/// Why a policy does not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocker {
    /// A library from the system outside the policy's whitelist.
    Library { soname: String, path: Option<PathBuf>, needed_by: String },
    /// A symbol version newer than the policy allows.
    SymbolVersion { object: String, library: String, version: String, symbols: Vec<String> },
    /// A symbol the policy forbids.
    Blacklisted { object: String, library: String, symbol: String },
    /// The architecture is not covered by the policy.
    Architecture { arch: String },
    /// The modules are linked against the other C library (glibc for a musllinux policy).
    OtherLibc { module: String, libc: Libc },
}

impl Blocker {
    /// A library found on this machine: a repair ships it in the wheel.
    pub fn bundle(&self) -> Option<Bundle> {
        match self {
            Blocker::Library { soname, path: Some(path), .. } => {
                Some(Bundle { soname: soname.clone(), path: path.clone() })
            }
            _ => None,
        }
    }
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocker::Library { soname, path, needed_by } => {
                write!(f, "`{needed_by}` needs `{soname}`")?;
                match path {
                    Some(path) => write!(f, " ({})", path.display())?,
                    None => write!(f, " (not found)")?,
                }
                write!(f, ", a library outside the policy")
            }
            Blocker::SymbolVersion { object, library, version, symbols } => {
                write!(f, "`{object}` needs {version} from `{library}`")?;
                if !symbols.is_empty() {
                    let shown: Vec<String> =
                        symbols.iter().take(3).map(|s| format!("`{s}@{version}`")).collect();
                    let more = symbols.len().saturating_sub(3);
                    write!(
                        f,
                        " ({}{})",
                        shown.join(", "),
                        if more > 0 { format!(" and {more} more") } else { String::new() }
                    )?;
                }
                Ok(())
            }
            Blocker::Blacklisted { object, library, symbol } => {
                write!(f, "`{object}` uses `{symbol}` of `{library}`, which the policy forbids")
            }
            Blocker::Architecture { arch } => write!(f, "the policy does not cover {arch}"),
            Blocker::OtherLibc { module, libc } => write!(f, "`{module}` is linked against {}", libc.name()),
        }
    }
}

/// The audit of a wheel's modules.
#[derive(Clone, Debug)]
pub struct Audit {
    pub arch: &'static str,
    pub libc: Libc,
    /// The most compatible policy the modules satisfy, if any.
    pub best: Option<&'static Policy>,
    /// What keeps the modules from the next more compatible policy (empty when `best` is
    /// the most compatible there is).
    pub limits: Vec<Blocker>,
    /// The policy just more compatible than `best` that `limits` is about.
    pub next: Option<&'static Policy>,
    /// Per policy name, why it does not hold (only failing policies).
    pub failures: BTreeMap<String, Vec<Blocker>>,
    /// When no policy holds as built: the most compatible one that holds once the
    /// libraries outside it are shipped in the wheel (a repair).
    pub repaired: Option<&'static Policy>,
    /// The policy just more compatible than `repaired`, and what keeps the repaired wheel
    /// from it.
    pub repaired_limits: Option<(&'static Policy, Vec<Blocker>)>,
}

impl Audit {
    /// The libraries to ship for `policy` to hold, or `None` when something else than a
    /// library found on this machine stands in the way.
    pub fn bundles_for(&self, policy: &Policy) -> Option<Vec<Bundle>> {
        match self.failures.get(&policy.name) {
            None => Some(Vec::new()),
            Some(blockers) => blockers.iter().map(Blocker::bundle).collect(),
        }
    }

    /// Why `policy` does not hold, or `Ok` when it does.
    pub fn check(&self, policy: &Policy) -> Result<(), Vec<Blocker>> {
        if policy.libc != Some(self.libc) {
            return Err(vec![]);
        }
        match self.failures.get(&policy.name) {
            Some(blockers) => Err(blockers.clone()),
            None => Ok(()),
        }
    }

    /// One line for the build output: the policy and what limits it.
    pub fn summary(&self) -> String {
        match (self.best, self.next) {
            (Some(best), None) => {
                format!(
                    "{}: the most compatible {} policy",
                    best.platform_tag(self.arch),
                    libc_family(self.libc)
                )
            }
            (Some(best), Some(next)) => format!(
                "{} (not {}: {})",
                best.platform_tag(self.arch),
                next.name,
                self.limits.iter().map(|b| b.to_string()).collect::<Vec<_>>().join("; ")
            ),
            (None, _) => format!(
                "linux_{}: no {} policy holds: {}",
                self.arch,
                libc_family(self.libc),
                self.limits.iter().map(|b| b.to_string()).collect::<Vec<_>>().join("; ")
            ),
        }
    }
}

fn libc_family(libc: Libc) -> &'static str {
    match libc {
        Libc::Glibc => "manylinux",
        Libc::Musl => "musllinux",
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Elf(#[from] ElfError),
    #[error("`{module}` names no C library (no `DT_NEEDED` libc.so.6 or musl's libc): cannot tell manylinux from musllinux")]
    NoLibc { module: String },
    #[error("the modules disagree on the C library or architecture: `{first}` and `{second}`")]
    Mixed { first: String, second: String },
    #[error("`{module}` is built for an architecture no manylinux/musllinux policy covers")]
    UnknownArch { module: String },
    #[error("the wheel does not satisfy {policy} ({source_of_request}): {}", blockers.iter().map(|b| b.to_string()).collect::<Vec<_>>().join("; "))]
    Unsatisfied { policy: String, source_of_request: String, blockers: Vec<Blocker> },
}

impl ToDiagnostic for AuditError {
    fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::error(self.to_string());
        match self {
            AuditError::Unsatisfied { .. } => d.with_help(
                "build on an older distribution (a manylinux container), request a newer policy, \
                 or set compatibility = \"linux\" to skip the audit",
            ),
            AuditError::NoLibc { .. } => d.with_help("set compatibility = \"linux\" to skip the audit"),
            _ => d,
        }
    }
}

/// Audit `modules` with this machine's loader.
/// Libraries matching `exclude` (file-name globs) are taken from the system whatever the
/// policy says, as with auditwheel's `--exclude`.
pub fn audit(modules: &[Module], exclude: &[String]) -> Result<Audit, AuditError> {
    audit_with(modules, &Loader::system(), host_musl_version, &exclude_set(exclude))
}

fn exclude_set(patterns: &[String]) -> globset::GlobSet {
    let mut set = globset::GlobSetBuilder::new();
    for pattern in patterns {
        if let Ok(glob) = globset::Glob::new(pattern) {
            set.add(glob);
        }
    }
    set.build().unwrap_or_else(|_| globset::GlobSet::empty())
}

fn audit_with(
    modules: &[Module],
    loader: &Loader,
    musl: impl FnOnce() -> Option<(u32, u32)>,
    exclude: &globset::GlobSet,
) -> Result<Audit, AuditError> {
    let mut elves = Vec::new();
    for module in modules {
        elves.push((module.archive_path.clone(), ElfFile::read(&module.file)?));
    }
    let (first_name, first) = elves.first().expect("audit is only called with modules");
    let arch = first.arch.ok_or_else(|| AuditError::UnknownArch { module: first_name.clone() })?;
    let libc = first.libc().ok_or_else(|| AuditError::NoLibc { module: first_name.clone() })?;
    for (name, elf) in &elves[1..] {
        let other = elf.libc().ok_or_else(|| AuditError::NoLibc { module: name.clone() })?;
        if elf.machine != first.machine || other != libc {
            return Err(AuditError::Mixed { first: first_name.clone(), second: name.clone() });
        }
    }

    // Asked only for musl modules: it runs musl's loader, which a glibc machine may have
    // (Debian's `musl` package) and a glibc build has no use for.
    let musl = if libc == Libc::Musl { musl() } else { None };
    let mut cache: BTreeMap<(String, PathBuf), Option<ElfFile>> = BTreeMap::new();
    let mut failures = BTreeMap::new();
    let mut order = Vec::new();
    for policy in policy::for_libc(libc) {
        // musl has no symbol versions: a policy newer than the musl built against
        // cannot be told apart, so it is not offered (as auditwheel does).
        if libc == Libc::Musl && musl.is_some_and(|host| policy.libc_version().is_some_and(|v| v > host)) {
            continue;
        }
        order.push(policy);
        let blockers = blockers(policy, arch, &elves, loader, &mut cache, exclude);
        if !blockers.is_empty() {
            failures.insert(policy.name.clone(), blockers);
        }
    }
    let best_index = order.iter().position(|p| !failures.contains_key(&p.name));
    let best = best_index.map(|i| order[i]);
    let next = match best_index {
        Some(0) => None,
        Some(i) => Some(order[i - 1]),
        None => order.last().copied(),
    };
    let limits = next.and_then(|p| failures.get(&p.name).cloned()).unwrap_or_default();
    // A repair is for wheels no policy takes as they are.
    let repaired = order
        .iter()
        .filter(|_| best.is_none())
        .find(|p| failures.get(&p.name).is_some_and(|b| b.iter().all(|b| b.bundle().is_some())))
        .copied();
    // What keeps the repaired wheel from the next more compatible policy, libraries to ship aside.
    let repaired_limits =
        repaired.and_then(|r| order.iter().position(|p| p.name == r.name)).filter(|&i| i > 0).map(|i| {
            let next = order[i - 1];
            let blockers = failures.get(&next.name).cloned().unwrap_or_default();
            (next, blockers.into_iter().filter(|b| b.bundle().is_none()).collect())
        });
    Ok(Audit { arch, libc, best, limits, next, failures, repaired, repaired_limits })
}

/// Why `policy` does not hold for the modules: libraries outside it (searched into, since
/// a bundled library's own needs count too), symbol versions it does not allow, symbols
/// it forbids.
fn blockers(
    policy: &Policy,
    arch: &str,
    modules: &[(String, ElfFile)],
    loader: &Loader,
    cache: &mut BTreeMap<(String, PathBuf), Option<ElfFile>>,
    exclude: &globset::GlobSet,
) -> Vec<Blocker> {
    if !policy.supports(arch) {
        return vec![Blocker::Architecture { arch: arch.to_string() }];
    }
    let mut out = Vec::new();
    // Objects to check: the modules, then every library outside the whitelist they pull in.
    let mut queue: Vec<(String, ElfFile)> = modules.to_vec();
    let mut seen: Vec<String> = Vec::new();
    let mut i = 0;
    while i < queue.len() {
        let (name, elf) = queue[i].clone();
        i += 1;
        for (library, version) in &elf.version_needs {
            if !policy.allows_version(arch, version) {
                let blocker = Blocker::SymbolVersion {
                    object: name.clone(),
                    library: library.clone(),
                    version: version.clone(),
                    symbols: elf
                        .undefined
                        .iter()
                        .filter(|s| s.version.as_ref().is_some_and(|(l, v)| l == library && v == version))
                        .map(|s| s.name.clone())
                        .collect(),
                };
                if !out.contains(&blocker) {
                    out.push(blocker);
                }
            }
        }
        for (library, forbidden) in &policy.blacklist {
            if !elf.needed.contains(library) {
                continue;
            }
            for symbol in elf.undefined.iter().filter(|s| forbidden.contains(&s.name)) {
                out.push(Blocker::Blacklisted {
                    object: name.clone(),
                    library: library.clone(),
                    symbol: symbol.name.clone(),
                });
            }
        }
        for needed in &elf.needed {
            if is_loader(needed)
                || policy.lib_whitelist.contains(needed)
                || exclude.is_match(needed)
                || seen.contains(needed)
            {
                continue;
            }
            seen.push(needed.clone());
            let key = (needed.clone(), elf.path.clone());
            let found = cache.entry(key).or_insert_with(|| loader.find(needed, &elf)).clone();
            out.push(Blocker::Library {
                soname: needed.clone(),
                path: found.as_ref().map(|f| f.path.clone()),
                needed_by: name.clone(),
            });
            if let Some(found) = found {
                queue.push((display_path(&found.path), found));
            }
        }
    }
    out
}

fn display_path(path: &Path) -> String {
    path.display().to_string()
}

/// The dynamic loader itself is never a dependency to judge.
fn is_loader(soname: &str) -> bool {
    soname.starts_with("ld-linux") || soname.starts_with("ld64.so") || soname.starts_with("ld-musl")
}

/// The version of the musl this machine's loader is, if it is a musl system.
fn host_musl_version() -> Option<(u32, u32)> {
    let dir = std::fs::read_dir("/lib").ok()?;
    let loader = dir
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("ld-musl-")))?;
    // musl's loader prints its version on stderr when run without arguments.
    let out = std::process::Command::new(loader).output().ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    let version = text.lines().find_map(|l| l.trim().strip_prefix("Version "))?;
    let mut parts = version.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// The compatibility asked for, and who asked (for messages).
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub compatibility: Compatibility,
    /// `--compatibility`, `[tool.cffi-forge] compatibility`, `AUDITWHEEL_PLAT`, or `the
    /// default`.
    pub origin: String,
    /// `[tool.cffi-forge] repair-exclude`: libraries never shipped in the wheel.
    pub exclude: Vec<String>,
}

/// What the audit decided for a Linux wheel.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The platform tag; `None` keeps `linux_<arch>`.
    pub platform: Option<String>,
    /// The line for the build output.
    pub why: String,
    /// Libraries to ship in the wheel for the policy to hold.
    pub bundles: Vec<Bundle>,
}

/// The platform tag of a Linux wheel holding `modules`, the line that explains it, and the
/// libraries a repair must ship.
pub fn decide(modules: &[Module], request: &Request) -> Result<Outcome, AuditError> {
    if request.compatibility == Compatibility::Linux {
        let why = format!("no audit: compatibility = \"linux\" ({})", request.origin);
        return Ok(Outcome { why, ..Default::default() });
    }
    let audit = match audit(modules, &request.exclude) {
        Ok(audit) => audit,
        // Automatic: what cannot be audited keeps the plain tag.
        Err(e @ (AuditError::NoLibc { .. } | AuditError::UnknownArch { .. }))
            if request.compatibility == Compatibility::Auto =>
        {
            return Ok(Outcome { why: format!("linux: {e}"), ..Default::default() });
        }
        Err(e) => return Err(e),
    };
    let shipping = |bundles: &[Bundle]| -> String {
        let names: Vec<String> = bundles.iter().map(|b| format!("`{}`", b.soname)).collect();
        format!("shipping {} in the wheel", names.join(", "))
    };
    match request.compatibility {
        Compatibility::Policy(policy) => {
            let tag = policy.platform_tag(audit.arch);
            if policy.libc != Some(audit.libc) {
                let blockers =
                    vec![Blocker::OtherLibc { module: modules[0].archive_path.clone(), libc: audit.libc }];
                return Err(AuditError::Unsatisfied {
                    policy: policy.name.clone(),
                    source_of_request: request.origin.clone(),
                    blockers,
                });
            }
            match audit.bundles_for(policy) {
                Some(bundles) if bundles.is_empty() => {
                    Ok(Outcome { why: format!("{tag} ({})", request.origin), platform: Some(tag), bundles })
                }
                Some(bundles) => Ok(Outcome {
                    why: format!("{tag} ({}), {}", request.origin, shipping(&bundles)),
                    platform: Some(tag),
                    bundles,
                }),
                None => Err(AuditError::Unsatisfied {
                    policy: policy.name.clone(),
                    source_of_request: request.origin.clone(),
                    // The libraries a repair would ship are not the problem.
                    blockers: audit
                        .check(policy)
                        .unwrap_err()
                        .into_iter()
                        .filter(|b| b.bundle().is_none())
                        .collect(),
                }),
            }
        }
        _ => match (audit.best, audit.repaired) {
            (None, Some(policy)) => {
                let bundles = audit.bundles_for(policy).unwrap_or_default();
                let tag = policy.platform_tag(audit.arch);
                let limit = match &audit.repaired_limits {
                    Some((next, blockers)) => format!(
                        " (not {}: {})",
                        next.name,
                        blockers.iter().map(|b| b.to_string()).collect::<Vec<_>>().join("; ")
                    ),
                    None => String::new(),
                };
                Ok(Outcome {
                    why: format!("{tag}, {}{limit}", shipping(&bundles)),
                    platform: Some(tag),
                    bundles,
                })
            }
            (best, _) => Ok(Outcome {
                platform: best.map(|b| b.platform_tag(audit.arch)),
                why: audit.summary(),
                bundles: Vec::new(),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility_values() {
        assert_eq!(Compatibility::parse("auto"), Ok(Compatibility::Auto));
        assert_eq!(Compatibility::parse("linux"), Ok(Compatibility::Linux));
        assert_eq!(Compatibility::parse("linux_x86_64"), Ok(Compatibility::Linux));
        let named = |text: &str| match Compatibility::parse(text) {
            Ok(Compatibility::Policy(p)) => p.name.clone(),
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(named("manylinux2014"), "manylinux_2_17");
        assert_eq!(named("manylinux_2_28_x86_64"), "manylinux_2_28");
        assert_eq!(named("manylinux1_i686"), "manylinux_2_5");
        assert_eq!(named("musllinux_1_2"), "musllinux_1_2");
        let err = Compatibility::parse("manylinux_3_0").unwrap_err();
        assert!(
            err.starts_with("unknown compatibility `manylinux_3_0`: use \"auto\", \"linux\" or a policy"),
            "{err}"
        );
        assert!(err.contains("manylinux2014") && err.contains("musllinux_1_1"), "{err}");
    }

    #[test]
    fn blockers_read_as_sentences() {
        let symbol = Blocker::SymbolVersion {
            object: "pkg/_m.abi3.so".into(),
            library: "libc.so.6".into(),
            version: "GLIBC_2.36".into(),
            symbols: vec!["a".into(), "b".into(), "c".into(), "d".into()],
        };
        assert_eq!(
            symbol.to_string(),
            "`pkg/_m.abi3.so` needs GLIBC_2.36 from `libc.so.6` (`a@GLIBC_2.36`, `b@GLIBC_2.36`, `c@GLIBC_2.36` and 1 more)"
        );
        let missing = Blocker::Library { soname: "libx.so.1".into(), path: None, needed_by: "m.so".into() };
        assert_eq!(missing.to_string(), "`m.so` needs `libx.so.1` (not found), a library outside the policy");
        assert_eq!(missing.bundle(), None, "a library not found cannot be shipped");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_glibc_audit_never_asks_the_musl_version() {
        if crate::compile::host_triple().ends_with("musl") {
            return;
        }
        // /bin/sh stands in for a module: any glibc ELF file has what the audit reads.
        let module = Module { archive_path: "sh".into(), file: "/bin/sh".into() };
        let audit = audit_with(
            &[module],
            &Loader::system(),
            || panic!("the musl version is asked for a glibc module"),
            &exclude_set(&[]),
        )
        .unwrap();
        assert_eq!(audit.libc, Libc::Glibc);
    }
}
