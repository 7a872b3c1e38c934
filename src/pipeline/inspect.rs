//! `cffi-forge inspect`: the resolved configuration of a project for one interpreter,
//! as a [`Report`] (JSON with `--json`, else text): each module with where it comes from,
//! the extensions and static libraries, the tables a `when` marker left out, the wheel's
//! tag and why. Build scripts run (they declare the modules); nothing compiles.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Resolved, ResolvedExtension, ResolvedLibrary, ResolvedModule};
use crate::audit::Compatibility;
use crate::config::Project;
use crate::spec::{BuildOptions, FfiMode, ModuleOrigin, TableRef};
use crate::tags::Naming;

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub project: ProjectReport,
    pub interpreter: InterpreterReport,
    pub python: PythonReport,
    pub modules: Vec<ModuleReport>,
    pub extensions: Vec<ExtensionReport>,
    pub libraries: Vec<LibraryReport>,
    /// Tables whose `when` marker is false for this interpreter.
    pub skipped: Vec<SkippedReport>,
    /// `script-files`, as shipped in the wheel's `.data/scripts/`.
    pub script_files: Vec<String>,
    pub wheel: WheelReport,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProjectReport {
    pub name: String,
    pub version: String,
    /// Where the version came from, e.g. "[project] version".
    pub version_from: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct InterpreterReport {
    pub executable: String,
    pub implementation: String,
    /// "3.11".
    pub version: String,
    pub platform: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct PythonReport {
    /// The directory of the importable code ("" for the project root).
    pub source: String,
    /// Why the code lives there: a key (`tool.cffi-forge.python-source`) or a rule.
    pub source_decided_by: String,
    pub packages: Vec<String>,
    pub modules: Vec<String>,
    /// Why each package (`pkg`) and module (`foo.py`) ships.
    pub decided_by: std::collections::BTreeMap<String, String>,
    /// Every file the wheel ships from the tree, and why.
    pub files: Vec<FileReport>,
    /// Top-level `.py` files that do not ship, and why.
    pub not_shipped: Vec<NotShippedReport>,
    /// Whether every non-Python file inside packages ships.
    pub package_data: bool,
    pub package_data_include: Vec<String>,
    pub package_data_exclude: Vec<String>,
    /// The key or table that decided the package data.
    pub package_data_decided_by: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    /// Path inside the wheel.
    pub path: String,
    /// Path in the project.
    pub from: String,
    /// The key, table or discovery rule that ships it.
    pub decided_by: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct NotShippedReport {
    pub path: String,
    pub reason: String,
}

/// Where a CFFI module comes from.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum OriginReport {
    /// A build script: `path:variable`.
    Script { script: String },
    /// A `[[tool.cffi-forge.module]]` table, e.g. `tool.cffi-forge.module[0]`.
    Declarative { table: TableRef },
}

#[derive(Clone, Debug, Serialize)]
pub struct ModuleReport {
    pub name: String,
    /// "api" (compiled) or "abi" (a generated `.py`).
    pub mode: &'static str,
    pub origin: OriginReport,
    /// The `module-options` tables merged into it.
    pub module_options: Vec<TableRef>,
    /// Path inside the wheel.
    pub file: String,
    pub limited_api: bool,
    /// An embedding library (`embedding_api`, see docs/embedding.md); left out when not.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub embedding: bool,
    /// The build keys that are set (empty lists left out).
    pub options: BuildOptions,
    /// The modules whose declarations it includes (`ffi.include()`), in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub includes: Vec<IncludeReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct IncludeReport {
    /// `None`: an FFI never given `set_source()`.
    pub name: Option<String>,
    pub mode: FfiMode,
}

#[derive(Clone, Debug, Serialize)]
pub struct ExtensionReport {
    pub name: String,
    /// e.g. `tool.cffi-forge.extension[0]`.
    pub table: TableRef,
    pub file: String,
    pub limited_api: bool,
    pub language: &'static str,
    /// The build keys that are set (empty lists left out).
    pub options: BuildOptions,
}

#[derive(Clone, Debug, Serialize)]
pub struct LibraryReport {
    pub name: String,
    pub table: TableRef,
    /// Modules and extensions linking it; empty means it is not built.
    pub linked_into: Vec<String>,
    /// The build keys that are set (empty lists left out).
    pub options: BuildOptions,
}

#[derive(Clone, Debug, Serialize)]
pub struct SkippedReport {
    pub table: TableRef,
    pub name: String,
    pub when: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct WheelReport {
    pub file_name: String,
    pub tag: String,
    pub abi3: bool,
    /// "abi3" or "abi3t" (free-threaded 3.15+, PEP 803) when `abi3`.
    pub stable_abi: Option<&'static str>,
    /// The macros limited-API modules are compiled with, e.g.
    /// `["Py_LIMITED_API=0x030F0000", "Py_TARGET_ABI3T=0x030F0000"]`.
    pub limited_api_macros: Vec<String>,
    /// Why the wheel is or is not abi3 (the build's `Tagging` line).
    pub reason: String,
    /// For a Linux wheel with compiled modules: how its platform tag will be decided
    /// (`compatibility`, see `crate::audit`).
    pub compatibility: Option<String>,
}

impl Report {
    pub fn new(project: &Project, resolved: &Resolved) -> Report {
        let interp = &resolved.interp;
        Report {
            project: ProjectReport {
                name: project.metadata.name.clone(),
                version: project.metadata.version.to_string(),
                version_from: project.version_origin.to_string(),
            },
            interpreter: InterpreterReport {
                executable: interp.executable.display().to_string(),
                implementation: interp.implementation.clone(),
                version: format!("{}.{}", interp.version.0, interp.version.1),
                platform: interp.platform.clone(),
            },
            python: PythonReport {
                source: project.python.source.clone(),
                source_decided_by: project.python.source_decided_by.clone(),
                packages: project.python.packages.clone(),
                modules: project.python.modules.clone(),
                decided_by: project.python.decided_by.clone(),
                files: project
                    .python
                    .shipped_files(&project.files)
                    .into_iter()
                    .map(|f| FileReport { path: f.archive_path, from: f.path, decided_by: f.decided_by })
                    .collect(),
                not_shipped: project
                    .python
                    .not_shipped
                    .iter()
                    .map(|(path, reason)| NotShippedReport { path: path.clone(), reason: reason.clone() })
                    .collect(),
                package_data: project.python.package_data.all,
                package_data_include: project.python.package_data.include.clone(),
                package_data_exclude: project.python.package_data.exclude.clone(),
                package_data_decided_by: project.python.package_data.decided_by.clone(),
            },
            modules: resolved.modules.iter().map(module_report).collect(),
            extensions: resolved.extensions.iter().map(extension_report).collect(),
            libraries: resolved.libraries.iter().map(library_report).collect(),
            skipped: resolved
                .skipped
                .iter()
                .map(|s| SkippedReport { table: s.table.clone(), name: s.name.clone(), when: s.when.clone() })
                .collect(),
            script_files: project.tool.script_files.iter().map(|s| s.get_ref().clone()).collect(),
            wheel: WheelReport {
                file_name: format!("{}-{}.whl", project.metadata.file_name_stem(), resolved.naming.tag),
                tag: resolved.naming.tag.to_string(),
                abi3: resolved.naming.abi3,
                stable_abi: resolved.naming.stable_abi.map(|abi| abi.name()),
                limited_api_macros: limited_api_macros(&resolved.naming),
                reason: resolved.naming.reason.clone(),
                compatibility: compatibility_line(project, resolved),
            },
        }
    }

    /// The report for people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let p = &self.project;
        let i = &self.interpreter;
        let _ = writeln!(out, "{} {} (version from {})", p.name, p.version, p.version_from);
        let _ = writeln!(out, "for {} {} at {} ({})", i.implementation, i.version, i.executable, i.platform);

        let py = &self.python;
        let source =
            if py.source.is_empty() { "the project root".to_string() } else { format!("{}/", py.source) };
        let _ = writeln!(out, "\nPython code in {source} ({})", py.source_decided_by);
        for package in &py.packages {
            let _ = writeln!(out, "  {:<14}{}", "package", decided(package, py.decided_by.get(package)));
        }
        for module in &py.modules {
            let reason = py.decided_by.get(&format!("{module}.py"));
            let _ = writeln!(out, "  {:<14}{}", "module", decided(module, reason));
        }
        for skipped in &py.not_shipped {
            let _ = writeln!(out, "  {:<14}{}: {}", "not shipped", skipped.path, skipped.reason);
        }
        let data = if py.package_data { "every file inside packages" } else { "Python files only" };
        let _ = writeln!(out, "  {:<14}{}", "package data", decided(data, Some(&py.package_data_decided_by)));
        field(&mut out, "  include", &py.package_data_include);
        field(&mut out, "  exclude", &py.package_data_exclude);
        field(&mut out, "script files", &self.script_files);

        if !self.modules.is_empty() {
            let _ = writeln!(out, "\nCFFI modules");
            for m in &self.modules {
                let _ = writeln!(out, "  {} → {}", m.name, m.file);
                let mut from = match &m.origin {
                    OriginReport::Script { script } => format!("build script {script}"),
                    OriginReport::Declarative { table } => table.to_string(),
                };
                for options in &m.module_options {
                    from.push_str(&format!(" + {options}"));
                }
                let _ = writeln!(out, "    {:<22}{from}", "from");
                let mode = match (m.mode, m.limited_api) {
                    ("abi", _) => "ABI mode (a generated .py, used with ffi.dlopen)",
                    (_, true) => "API mode, limited API",
                    (_, false) => "API mode, full C API",
                };
                let embedding =
                    if m.embedding { ", embedding library (C-callable, runs Python)" } else { "" };
                let _ = writeln!(out, "    {:<22}{mode}{embedding}", "mode");
                if !m.includes.is_empty() {
                    let names: Vec<String> = m
                        .includes
                        .iter()
                        .map(|i| match &i.name {
                            Some(name) => format!("{name} ({})", i.mode.as_str()),
                            None => "an FFI without set_source()".to_string(),
                        })
                        .collect();
                    let _ = writeln!(out, "    {:<22}{}", "includes", names.join(", "));
                }
                options(&mut out, &m.options);
            }
        }
        if !self.extensions.is_empty() {
            let _ = writeln!(out, "\nExtensions (not CFFI)");
            for e in &self.extensions {
                let _ = writeln!(out, "  {} → {}", e.name, e.file);
                let _ = writeln!(out, "    {:<22}{}", "from", e.table);
                let api = if e.limited_api { "limited API" } else { "full C API" };
                let _ = writeln!(out, "    {:<22}{}, {api}", "language", e.language);
                options(&mut out, &e.options);
            }
        }
        if !self.libraries.is_empty() {
            let _ = writeln!(out, "\nStatic libraries");
            for l in &self.libraries {
                let users = if l.linked_into.is_empty() {
                    "not linked into any module: not built".to_string()
                } else {
                    format!("linked into {}", l.linked_into.join(", "))
                };
                let _ = writeln!(out, "  {} ({users})", l.name);
                let _ = writeln!(out, "    {:<22}{}", "from", l.table);
                options(&mut out, &l.options);
            }
        }
        if !self.skipped.is_empty() {
            let _ = writeln!(out, "\nSkipped (`when` is false here)");
            for s in &self.skipped {
                let _ = writeln!(out, "  {} ({}): when = {:?}", s.table, s.name, s.when);
            }
        }
        let _ = writeln!(out, "\nWheel {}", self.wheel.file_name);
        let _ = writeln!(out, "  {}", self.wheel.reason);
        if !self.wheel.limited_api_macros.is_empty() {
            let _ = writeln!(
                out,
                "  limited-API modules are compiled with {}",
                self.wheel.limited_api_macros.join(" ")
            );
        }
        if let Some(line) = &self.wheel.compatibility {
            let _ = writeln!(out, "  {line}");
        }
        out
    }
}

/// How a Linux wheel's platform tag is decided, from `[tool.cffi-forge] compatibility`
/// or `AUDITWHEEL_PLAT`; `None` for other platforms and pure wheels.
fn compatibility_line(project: &Project, resolved: &Resolved) -> Option<String> {
    let platform = &resolved.naming.tag.platform;
    if !resolved.interp.is_linux() || !platform.starts_with("linux_") {
        return None;
    }
    let arch = platform.trim_start_matches("linux_");
    let request = match super::compatibility_request(None, project) {
        Ok(request) => request,
        Err(e) => return Some(format!("platform: {e}")),
    };
    Some(match request.compatibility {
        Compatibility::Auto => format!(
            "platform: compatibility \"auto\" ({}): once compiled, the modules are audited and the wheel \
             is tagged with the most compatible manylinux/musllinux policy they satisfy (e.g. \
             manylinux_2_17_{arch}.manylinux2014_{arch}), else {platform}; the build's `Auditing` line \
             names the library or symbol version that limits it",
            request.origin
        ),
        Compatibility::Linux => format!(
            "platform: {platform}, as compatibility \"linux\" ({}) asks: no audit (PyPI refuses such wheels)",
            request.origin
        ),
        Compatibility::Policy(policy) => format!(
            "platform: {} ({}): the build fails if a module needs a library or symbol version outside it",
            policy.platform_tag(arch),
            request.origin
        ),
    })
}

/// `name (reason)`.
fn decided(name: &str, reason: Option<&String>) -> String {
    match reason {
        Some(reason) if !reason.is_empty() => format!("{name} ({reason})"),
        _ => name.to_string(),
    }
}

/// What `compile` defines for the limited-API modules of an abi3 wheel.
fn limited_api_macros(naming: &Naming) -> Vec<String> {
    let limited = naming.modules.iter().find_map(|file| naming.limited_api(file));
    let macros = limited.map(|l| l.macros()).unwrap_or_default();
    macros.into_iter().map(|(name, value)| format!("{name}={}", value.unwrap_or_default())).collect()
}

fn field(out: &mut String, name: &str, values: &[String]) {
    if !values.is_empty() {
        let _ = writeln!(out, "  {name:<14}{}", values.join(", "));
    }
}

fn options(out: &mut String, options: &BuildOptions) {
    for (key, values) in options.entries() {
        let _ = writeln!(out, "    {key:<22}{}", values.join(" "));
    }
}

fn module_report(m: &ResolvedModule) -> ModuleReport {
    let origin = match &m.spec.origin {
        ModuleOrigin::Script { path, variable } => {
            OriginReport::Script { script: format!("{}:{variable}", path.display()) }
        }
        ModuleOrigin::Declarative { table } => OriginReport::Declarative { table: table.clone() },
    };
    ModuleReport {
        name: m.spec.name.clone(),
        mode: if m.spec.is_api_mode() { "api" } else { "abi" },
        origin,
        module_options: m.module_options.clone(),
        file: m.file.archive_path.clone(),
        limited_api: m.file.limited_api,
        embedding: m.spec.embedding.is_some(),
        options: m.spec.options.clone(),
        includes: m
            .spec
            .includes
            .iter()
            .map(|i| IncludeReport { name: i.name.clone(), mode: i.mode })
            .collect(),
    }
}

fn extension_report(resolved: &ResolvedExtension) -> ExtensionReport {
    let ResolvedExtension { extension: e, file, .. } = resolved;
    ExtensionReport {
        name: e.name.clone(),
        table: e.table.clone(),
        file: file.archive_path.clone(),
        limited_api: file.limited_api,
        language: if e.cxx { "c++" } else { "c" },
        options: e.options.clone(),
    }
}

fn library_report(l: &ResolvedLibrary) -> LibraryReport {
    LibraryReport {
        name: l.library.name.clone(),
        table: l.library.table.clone(),
        linked_into: l.linked_into.clone(),
        options: l.library.options.clone(),
    }
}
