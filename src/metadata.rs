//! Core metadata (version 2.4) and the other generated `.dist-info` files.
//!
//! [`Metadata`] is the validated `[project]` table (built by [`crate::config`], which
//! owns the spans for error messages). This module only renders it:
//!
//! - [`Metadata::core_metadata`]: the `METADATA` file of a wheel, also used as the
//!   `PKG-INFO` of an sdist (<https://packaging.python.org/specifications/core-metadata/>),
//! - [`Metadata::entry_points`]: `entry_points.txt`, when the project has any,
//! - [`wheel_file`]: the `WHEEL` file (PEP 427),
//! - name and version normalisation for file names ([`Metadata::file_name_stem`]).
//!
//! The choice of PEP 440/508 crates (`pep440_rs`, `pep508_rs`) stays behind the
//! re-exports below, so a later swap touches this file only.

use std::fmt::Write as _;

pub use pep440_rs::{Version, VersionSpecifiers};
pub use pep508_rs::{ExtraName, PackageName, Requirement};

/// The version of the core metadata specification we write.
pub const METADATA_VERSION: &str = "2.4";
/// Core metadata 2.5 (PEP 794) adds `Import-Name` and `Import-Namespace`; written only by
/// projects that set `import-names` or `import-namespaces`, so every other wheel stays
/// readable by tools (and indexes) that know 2.4 at most.
pub const METADATA_VERSION_IMPORT_NAMES: &str = "2.5";

/// The oldest cffi whose `_cffi_backend` runs the modules we build. 1.15 is the first
/// release with wheels for every CPython we support and the one Debian's PyPy ships.
pub const CFFI_RUNTIME_FLOOR: &str = "1.15";

/// The `Requires-Dist` entry added unless the project names cffi itself (or sets
/// `add-cffi-dependency = false`). PyPy ships cffi built in, and installing cffi from
/// PyPI on PyPy gives a version mismatch with its bundled `_cffi_backend`, hence the
/// marker (the same one `cryptography` uses).
pub fn cffi_requirement() -> String {
    format!("cffi>={CFFI_RUNTIME_FLOOR}; platform_python_implementation != 'PyPy'")
}

/// The validated `[project]` table with every dynamic value resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Metadata {
    /// The name as written in `pyproject.toml` (also what `Name:` shows).
    pub name: String,
    pub version: Version,
    /// `description`: one line.
    pub summary: Option<String>,
    pub readme: Option<Readme>,
    pub requires_python: Option<VersionSpecifiers>,
    pub license: Option<License>,
    /// Paths relative to the project root, `/`-separated, sorted, from `license-files`
    /// (or the default globs when that key is absent).
    pub license_files: Vec<String>,
    pub authors: Vec<Person>,
    pub maintainers: Vec<Person>,
    pub keywords: Vec<String>,
    pub classifiers: Vec<String>,
    /// `[project.urls]`: (label, url) in file order.
    pub urls: Vec<(String, String)>,
    /// `dependencies`, then the cffi runtime requirement if it was added.
    pub dependencies: Vec<Dependency>,
    /// `[project.optional-dependencies]`: (normalised extra name, requirements) in file order.
    pub optional_dependencies: Vec<(String, Vec<Dependency>)>,
    /// `[project.scripts]`: (name, `module:attr`).
    pub scripts: Vec<(String, String)>,
    pub gui_scripts: Vec<(String, String)>,
    /// `[project.entry-points.<group>]`: (group, entries).
    pub entry_points: Vec<(String, Vec<(String, String)>)>,
    /// PEP 794 `import-names`: `None` when absent; `Some(empty)` says "no import names"
    /// (an empty `Import-Name:`). Each is `name` or `name; private`.
    pub import_names: Option<Vec<String>>,
    /// PEP 794 `import-namespaces`, in the same form.
    pub import_namespaces: Vec<String>,
}

/// `readme`: the long description and its content type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Readme {
    pub text: String,
    /// `text/markdown`, `text/x-rst` or `text/plain` (possibly with `; charset=...`).
    pub content_type: String,
    /// The file it came from, relative to the project root (the sdist must ship it).
    pub file: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum License {
    /// PEP 639: `license = "MIT OR Apache-2.0"`, a valid SPDX expression.
    Expression(String),
    /// Legacy `license = { text = "..." }` or `{ file = "..." }` (the file's text).
    Text { text: String, file: Option<String> },
}

/// An entry of `authors` / `maintainers`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// One validated PEP 508 requirement, kept as the user wrote it (trimmed): re-printing a
/// parsed marker could rewrite it into an equivalent but unfamiliar form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    pub text: String,
    pub name: PackageName,
    /// Whether the requirement carries a marker (`; ...`), so an extra's marker must
    /// be combined with it.
    pub has_marker: bool,
}

impl Dependency {
    pub fn parse(text: &str) -> Result<Self, String> {
        let requirement: Requirement =
            text.parse().map_err(|e: pep508_rs::Pep508Error| e.message.to_string())?;
        Ok(Self {
            text: text.trim().to_string(),
            name: requirement.name,
            has_marker: requirement.marker.contents().is_some(),
        })
    }

    /// The `Requires-Dist` value for this requirement inside extra `extra`.
    fn with_extra(&self, extra: &str) -> String {
        if !self.has_marker {
            return format!("{}; extra == \"{extra}\"", self.text);
        }
        // Split at the marker's `;`. A URL requirement needs a space before its `;`, and
        // a plain one cannot contain `;` elsewhere, so the last `;` is the separator.
        let (requirement, marker) = self.text.rsplit_once(';').unwrap_or((&self.text, ""));
        format!("{}; ({}) and extra == \"{extra}\"", requirement.trim_end(), marker.trim())
    }
}

/// PEP 503 normalisation: runs of `-`, `_`, `.` become `-`, lower case.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.extend(c.to_lowercase());
            in_separator = false;
        }
    }
    out
}

/// Whether `name` is a valid project name (PEP 508 / core metadata `Name`): ASCII
/// letters and digits, with `.`, `_`, `-` inside.
pub fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let alnum = |b: &u8| b.is_ascii_alphanumeric();
    !bytes.is_empty()
        && alnum(&bytes[0])
        && alnum(&bytes[bytes.len() - 1])
        && bytes.iter().all(|b| alnum(b) || matches!(b, b'.' | b'_' | b'-'))
}

impl Metadata {
    /// `{name}-{version}` as used in wheel, sdist and `.dist-info` names: the name
    /// normalised with `_` (PEP 491 / PEP 625), the version normalised (PEP 440).
    pub fn file_name_stem(&self) -> String {
        format!("{}-{}", normalize_name(&self.name).replace('-', "_"), self.version)
    }

    /// `{name}-{version}.dist-info`.
    pub fn dist_info_dir(&self) -> String {
        format!("{}.dist-info", self.file_name_stem())
    }

    /// `{name}-{version}.tar.gz` (PEP 625).
    pub fn sdist_file_name(&self) -> String {
        format!("{}.tar.gz", self.file_name_stem())
    }

    /// Every `Requires-Dist` value, in order: dependencies, then each extra's.
    pub fn requires_dist(&self) -> Vec<String> {
        let mut out: Vec<String> = self.dependencies.iter().map(|d| d.text.clone()).collect();
        for (extra, deps) in &self.optional_dependencies {
            out.extend(deps.iter().map(|d| d.with_extra(extra)));
        }
        out
    }

    /// The `METADATA` / `PKG-INFO` text.
    pub fn core_metadata(&self) -> String {
        let mut out = String::new();
        let mut field = |name: &str, value: &str| {
            // Continuation lines of a multi-line value are indented (RFC 822 folding),
            // as setuptools writes them.
            let value = value.trim_end().replace('\n', "\n        ");
            let _ = writeln!(out, "{name}: {value}");
        };
        let import_metadata = self.import_names.is_some() || !self.import_namespaces.is_empty();
        field(
            "Metadata-Version",
            if import_metadata { METADATA_VERSION_IMPORT_NAMES } else { METADATA_VERSION },
        );
        field("Name", &self.name);
        field("Version", &self.version.to_string());
        if let Some(summary) = &self.summary {
            field("Summary", summary);
        }
        if !self.keywords.is_empty() {
            field("Keywords", &self.keywords.join(","));
        }
        for (key, people) in [("Author", &self.authors), ("Maintainer", &self.maintainers)] {
            let names: Vec<&str> =
                people.iter().filter(|p| p.email.is_none()).filter_map(|p| p.name.as_deref()).collect();
            if !names.is_empty() {
                field(key, &names.join(", "));
            }
            let emails: Vec<String> = people
                .iter()
                .filter_map(|p| match (&p.name, &p.email) {
                    (Some(name), Some(email)) => Some(format!("{} <{email}>", display_name(name))),
                    (None, Some(email)) => Some(email.clone()),
                    _ => None,
                })
                .collect();
            if !emails.is_empty() {
                field(&format!("{key}-email"), &emails.join(", "));
            }
        }
        match &self.license {
            Some(License::Expression(expression)) => field("License-Expression", expression),
            Some(License::Text { text, .. }) => field("License", text),
            None => {}
        }
        for file in &self.license_files {
            field("License-File", file);
        }
        for classifier in &self.classifiers {
            field("Classifier", classifier);
        }
        for (label, url) in &self.urls {
            field("Project-URL", &format!("{label}, {url}"));
        }
        if let Some(requires_python) = &self.requires_python {
            field("Requires-Python", &requires_python.to_string());
        }
        for dependency in &self.dependencies {
            field("Requires-Dist", &dependency.text);
        }
        for (extra, deps) in &self.optional_dependencies {
            field("Provides-Extra", extra);
            for dependency in deps {
                field("Requires-Dist", &dependency.with_extra(extra));
            }
        }
        match self.import_names.as_deref() {
            Some([]) => field("Import-Name", ""),
            Some(names) => names.iter().for_each(|name| field("Import-Name", name)),
            None => {}
        }
        for name in &self.import_namespaces {
            field("Import-Namespace", name);
        }
        if let Some(readme) = &self.readme {
            field("Description-Content-Type", &readme.content_type);
            out.push('\n');
            out.push_str(&readme.text);
            if !readme.text.ends_with('\n') {
                out.push('\n');
            }
        }
        out
    }

    /// `entry_points.txt`, or `None` when the project declares no entry points.
    pub fn entry_points(&self) -> Option<String> {
        let mut groups: Vec<(&str, &[(String, String)])> = Vec::new();
        if !self.scripts.is_empty() {
            groups.push(("console_scripts", &self.scripts));
        }
        if !self.gui_scripts.is_empty() {
            groups.push(("gui_scripts", &self.gui_scripts));
        }
        for (group, entries) in &self.entry_points {
            groups.push((group, entries));
        }
        if groups.is_empty() {
            return None;
        }
        let mut out = String::new();
        for (i, (group, entries)) in groups.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let _ = writeln!(out, "[{group}]");
            for (name, target) in entries.iter() {
                let _ = writeln!(out, "{name} = {target}");
            }
        }
        Some(out)
    }
}

/// An RFC 5322 display name: quoted when it holds characters special in addresses
/// (`J. Smith` → `"J. Smith"`), as Python's `email.headerregistry.Address` writes it.
fn display_name(name: &str) -> String {
    if name.contains(|c: char| "()<>[]:;@\\,.\"".contains(c)) {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        name.to_string()
    }
}

/// The `WHEEL` file (PEP 427). `tags` are the expanded tags (`cp38-abi3-linux_x86_64`);
/// a pure wheel (`py3-none-any`) is purelib, any other is platlib.
pub fn wheel_file(tags: &[String], purelib: bool) -> String {
    let mut out = String::new();
    out.push_str("Wheel-Version: 1.0\n");
    let _ = writeln!(out, "Generator: cffi-forge {}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(out, "Root-Is-Purelib: {purelib}");
    for tag in tags {
        let _ = writeln!(out, "Tag: {tag}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Metadata {
        Metadata {
            name: "My.Project".into(),
            version: "1.0.0-RC1".parse().unwrap(),
            summary: Some("A thing".into()),
            readme: Some(Readme {
                text: "# Title\n\nBody".into(),
                content_type: "text/markdown".into(),
                file: Some("README.md".into()),
            }),
            requires_python: Some(">=3.8".parse().unwrap()),
            license: Some(License::Expression("MIT".into())),
            license_files: vec!["LICENSE".into()],
            authors: vec![
                Person { name: Some("Ann".into()), email: None },
                Person { name: Some("Bob".into()), email: Some("bob@example.org".into()) },
                Person { name: None, email: Some("team@example.org".into()) },
                Person { name: Some("J. R. \"Bob\" Doe".into()), email: Some("jr@example.org".into()) },
            ],
            maintainers: vec![],
            keywords: vec!["ffi".into(), "c".into()],
            classifiers: vec!["Programming Language :: Python :: 3".into()],
            urls: vec![("Homepage".into(), "https://example.org".into())],
            dependencies: vec![
                Dependency::parse("attrs>=22").unwrap(),
                Dependency::parse(&cffi_requirement()).unwrap(),
            ],
            optional_dependencies: vec![(
                "test".into(),
                vec![
                    Dependency::parse("pytest").unwrap(),
                    Dependency::parse("tomli; python_version < '3.11' or os_name == 'nt'").unwrap(),
                ],
            )],
            scripts: vec![("mytool".into(), "pkg.cli:main".into())],
            gui_scripts: vec![],
            entry_points: vec![("pkg.plugins".into(), vec![("a".into(), "pkg.a:A".into())])],
            import_names: None,
            import_namespaces: vec![],
        }
    }

    #[test]
    fn names_and_versions_are_normalised_for_files() {
        let m = sample();
        assert_eq!(m.file_name_stem(), "my_project-1.0.0rc1");
        assert_eq!(m.dist_info_dir(), "my_project-1.0.0rc1.dist-info");
        assert_eq!(m.sdist_file_name(), "my_project-1.0.0rc1.tar.gz");
        assert_eq!(normalize_name("Foo__Bar.-baz"), "foo-bar-baz");
    }

    #[test]
    fn name_validity() {
        for ok in ["a", "A1", "foo-bar", "foo.bar_baz", "9lives"] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "foo bar", "föo", "a/b", "_a"] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn import_names_need_metadata_25() {
        let mut m = sample();
        assert!(m.core_metadata().starts_with("Metadata-Version: 2.4\n"));
        assert!(!m.core_metadata().contains("Import-"));
        m.import_names = Some(vec!["azure.mgmt.search".into(), "_azure_native; private".into()]);
        m.import_namespaces = vec!["azure".into(), "azure.mgmt".into()];
        let text = m.core_metadata();
        assert!(text.starts_with("Metadata-Version: 2.5\n"), "{text}");
        assert!(
            text.contains(
                "Import-Name: azure.mgmt.search\nImport-Name: _azure_native; private\n\
                 Import-Namespace: azure\nImport-Namespace: azure.mgmt\n"
            ),
            "{text}"
        );
        // `import-names = []`: a project with no import names at all.
        m.import_names = Some(vec![]);
        m.import_namespaces = vec![];
        let text = m.core_metadata();
        assert!(text.starts_with("Metadata-Version: 2.5\n") && text.contains("\nImport-Name: \n"), "{text}");
    }

    #[test]
    fn core_metadata_fields() {
        let text = sample().core_metadata();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Metadata-Version: 2.4");
        assert!(lines.contains(&"Name: My.Project"));
        assert!(lines.contains(&"Version: 1.0.0rc1"));
        assert!(lines.contains(&"Author: Ann"));
        assert!(lines.contains(
            &r#"Author-email: Bob <bob@example.org>, team@example.org, "J. R. \"Bob\" Doe" <jr@example.org>"#
        ));
        assert!(lines.contains(&"License-Expression: MIT"));
        assert!(lines.contains(&"License-File: LICENSE"));
        assert!(lines.contains(&"Project-URL: Homepage, https://example.org"));
        assert!(lines.contains(&"Requires-Python: >=3.8"));
        assert!(lines.contains(&"Requires-Dist: cffi>=1.15; platform_python_implementation != 'PyPy'"));
        assert!(lines.contains(&"Provides-Extra: test"));
        assert!(lines.contains(&"Requires-Dist: pytest; extra == \"test\""));
        assert!(lines.contains(
            &"Requires-Dist: tomli; (python_version < '3.11' or os_name == 'nt') and extra == \"test\""
        ));
        // The description is the body, after one blank line.
        assert!(text.ends_with("Description-Content-Type: text/markdown\n\n# Title\n\nBody\n"), "{text}");
    }

    #[test]
    fn extra_markers_stay_valid_pep508() {
        for dep in sample().requires_dist() {
            dep.parse::<Requirement>().unwrap_or_else(|e| panic!("{dep}: {e}"));
        }
    }

    #[test]
    fn multi_line_license_text_is_folded() {
        let mut m = sample();
        m.license = Some(License::Text { text: "Line one\nLine two\n".into(), file: None });
        assert!(m.core_metadata().contains("License: Line one\n        Line two\n"));
    }

    #[test]
    fn entry_points_groups() {
        let text = sample().entry_points().unwrap();
        assert_eq!(text, "[console_scripts]\nmytool = pkg.cli:main\n\n[pkg.plugins]\na = pkg.a:A\n");
        let mut m = sample();
        m.scripts.clear();
        m.entry_points.clear();
        assert_eq!(m.entry_points(), None);
    }

    #[test]
    fn wheel_file_lists_tags() {
        let text = wheel_file(&["cp38-abi3-linux_x86_64".into()], false);
        assert!(text.contains("Root-Is-Purelib: false\nTag: cp38-abi3-linux_x86_64\n"), "{text}");
    }
}
