//! The manylinux and musllinux policies: which libraries a wheel may take from the
//! system, which symbol versions of them it may need, and which symbols it must not use.
//!
//! The data is auditwheel's own policy files, shipped unchanged as data:
//! `manylinux-policy.json` and `musllinux-policy.json` from auditwheel 6.8.2
//! (`auditwheel/policy/` in the package on PyPI, MIT licence). To update: install the new
//! auditwheel, copy its two files over ours, note the version here, and run
//! `cargo test --lib audit` (the tests pin a few known entries).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::elf::Libc;

const MANYLINUX: &str = include_str!("manylinux-policy.json");
const MUSLLINUX: &str = include_str!("musllinux-policy.json");

/// One policy, e.g. `manylinux_2_17` (alias `manylinux2014`).
#[derive(Clone, Debug, Deserialize)]
pub struct Policy {
    pub name: String,
    pub aliases: Vec<String>,
    /// Higher is more compatible (older); `linux` is 0.
    pub priority: u32,
    /// arch → symbol-version prefix (`GLIBC`, `GLIBCXX`, ...) → the versions allowed.
    pub symbol_versions: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// The libraries a wheel may load from the system.
    pub lib_whitelist: Vec<String>,
    /// library → symbols of it no wheel may use (internal or unstable ones).
    #[serde(default)]
    pub blacklist: BTreeMap<String, Vec<String>>,
    #[serde(skip)]
    pub libc: Option<Libc>,
}

impl PartialEq for Policy {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Policy {}

impl Policy {
    /// The compressed platform tag of this policy for `arch`, aliases included:
    /// `manylinux_2_17_x86_64.manylinux2014_x86_64`.
    pub fn platform_tag(&self, arch: &str) -> String {
        std::iter::once(&self.name)
            .chain(&self.aliases)
            .map(|name| format!("{name}_{arch}"))
            .collect::<Vec<_>>()
            .join(".")
    }

    pub fn supports(&self, arch: &str) -> bool {
        self.symbol_versions.contains_key(arch)
    }

    /// Whether `version` (`GLIBC_2.14`) of a library is allowed on `arch`. Versions with a
    /// prefix the policy does not list (a library's own, like `LIBSODIUM_...`) are not its
    /// business.
    pub fn allows_version(&self, arch: &str, version: &str) -> bool {
        let (prefix, number) = version.split_once('_').unwrap_or((version, ""));
        match self.symbol_versions.get(arch).and_then(|m| m.get(prefix)) {
            Some(allowed) => allowed.iter().any(|a| a == number),
            None => true,
        }
    }

    /// `(major, minor)` of the C library the policy names (`manylinux_2_17` → (2, 17)).
    pub fn libc_version(&self) -> Option<(u32, u32)> {
        let rest = self.name.strip_prefix("manylinux_").or_else(|| self.name.strip_prefix("musllinux_"))?;
        let (major, minor) = rest.split_once('_')?;
        Some((major.parse().ok()?, minor.parse().ok()?))
    }
}

/// Every policy, most compatible first within each C library (`linux` left out).
pub fn all() -> &'static [Policy] {
    static POLICIES: OnceLock<Vec<Policy>> = OnceLock::new();
    POLICIES.get_or_init(|| {
        let mut out = Vec::new();
        for (text, libc) in [(MANYLINUX, Libc::Glibc), (MUSLLINUX, Libc::Musl)] {
            let mut policies: Vec<Policy> =
                serde_json::from_str(text).expect("the shipped policy data parses");
            policies.retain(|p| p.name != "linux");
            policies.sort_by_key(|p| std::cmp::Reverse(p.priority));
            for policy in &mut policies {
                policy.libc = Some(libc);
            }
            out.extend(policies);
        }
        out
    })
}

/// The policies for one C library, most compatible first.
pub fn for_libc(libc: Libc) -> impl Iterator<Item = &'static Policy> {
    all().iter().filter(move |p| p.libc == Some(libc))
}

/// The policy a name means: its name or an alias (`manylinux2014`), with or without an
/// architecture suffix (`manylinux_2_28_x86_64`, as in `AUDITWHEEL_PLAT`).
pub fn find(name: &str) -> Option<&'static Policy> {
    all().iter().find(|p| {
        std::iter::once(&p.name)
            .chain(&p.aliases)
            .any(|n| name == n || name.strip_prefix(n.as_str()).is_some_and(|rest| is_arch_suffix(rest, p)))
    })
}

fn is_arch_suffix(rest: &str, policy: &Policy) -> bool {
    rest.strip_prefix('_').is_some_and(|arch| policy.symbol_versions.contains_key(arch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_data_reads_and_keeps_its_order() {
        let names: Vec<&str> = for_libc(Libc::Glibc).map(|p| p.name.as_str()).take(4).collect();
        assert_eq!(names, ["manylinux_2_5", "manylinux_2_12", "manylinux_2_17", "manylinux_2_24"]);
        let names: Vec<&str> = for_libc(Libc::Musl).map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["musllinux_1_1", "musllinux_1_2"]);
        let m2014 = find("manylinux2014").unwrap();
        assert_eq!(m2014.name, "manylinux_2_17");
        assert_eq!(m2014.platform_tag("x86_64"), "manylinux_2_17_x86_64.manylinux2014_x86_64");
        assert!(m2014.lib_whitelist.iter().any(|l| l == "libz.so.1"));
        assert!(
            m2014.allows_version("x86_64", "GLIBC_2.17") && !m2014.allows_version("x86_64", "GLIBC_2.18")
        );
        assert!(m2014.allows_version("x86_64", "LIBSODIUM_1.0"));
        assert_eq!(m2014.libc_version(), Some((2, 17)));
        assert_eq!(find("manylinux_2_28_x86_64").unwrap().name, "manylinux_2_28");
        assert_eq!(find("musllinux_1_2_aarch64").unwrap().libc, Some(Libc::Musl));
        assert!(find("manylinux_2_99").is_none() && find("manylinux_2_17_mips").is_none());
        assert!(find("manylinux_2_1").is_none(), "no prefix match: manylinux_2_17 is not manylinux_2_1 + 7");
    }
}
