//! setuptools keywords → `pyproject.toml` tables.
//!
//! Works on the `setup()` keywords read from setup.cfg and setup.py (setup.py last, as
//! its keywords win in setuptools), edits the project's existing `pyproject.toml`
//! document (keeping what it already says), and records a [`Todo`] for everything it could
//! not translate, with the file and line it came from.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table};

use crate::setup_py::{SetupArg, Unknown, Value};

/// A `setup()` keyword and the file it came from.
#[derive(Clone, Debug)]
pub struct Located {
    pub file: &'static str,
    pub arg: SetupArg,
}

/// Something the user has to do or check by hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Todo {
    pub file: String,
    pub line: Option<usize>,
    /// `todo` needs an edit; `note` says what was decided for them.
    pub level: &'static str,
    pub message: String,
}

impl fmt::Display for Todo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}: {}", self.file, line, self.level, self.message),
            None => write!(f, "{}: {}: {}", self.file, self.level, self.message),
        }
    }
}

/// Keywords with no meaning for a wheel built by cffi-forge: dropped silently.
const IGNORED: &[&str] = &[
    "zip_safe",
    "test_suite",
    "use_2to3",
    "long_description_content_type",
    "include_package_data",
    "author_email",
    "maintainer_email",
    "setup_requires",
    "tests_require",
    "package_dir",
];

/// Build requirements that setuptools builds needed and cffi-forge builds do not.
const SETUPTOOLS_ONLY: &[&str] =
    &["setuptools", "wheel", "setuptools-scm", "cffi", "pytest-runner", "setuptools-git-versioning"];

pub struct Translator<'a> {
    root: &'a Path,
    args: Vec<Located>,
    doc: DocumentMut,
    todos: Vec<Todo>,
    used: HashSet<String>,
    /// setuptools' default for `include_package_data` (true when pyproject.toml has a
    /// `[project]` table).
    pyproject_project: bool,
    /// The version came from setuptools-scm (read before `[build-system]` is replaced).
    scm: bool,
    /// Where the package holding a `version = { attr }` was found (`""`, `"src"`): it must
    /// be the `python-source`, or the static version is written instead.
    version_base: Option<String>,
    /// The line of setup.py's `setup(` call, for todos about what it lacks.
    setup_line: Option<usize>,
}

fn requirement_name(req: &str) -> String {
    let end = req.find(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c))).unwrap_or(req.len());
    req[..end].to_ascii_lowercase().replace(['_', '.'], "-")
}

fn str_array<S: AsRef<str>>(items: &[S]) -> Array {
    let mut array: Array = items.iter().map(|s| s.as_ref()).collect();
    if items.len() > 2 || items.iter().map(|s| s.as_ref().len() + 4).sum::<usize>() > 60 {
        for value in array.iter_mut() {
            value.decor_mut().set_prefix("\n    ");
        }
        array.set_trailing_comma(true);
        array.set_trailing("\n");
    }
    array
}

fn str_item<S: AsRef<str>>(items: &[S]) -> Item {
    Item::Value(str_array(items).into())
}

/// A string or list of strings (`keywords="a b"` / `["a", "b"]`), or requirement lines.
fn string_list(value: &Value, split: fn(&str) -> Vec<String>) -> Option<Vec<String>> {
    match value {
        Value::Str(s) => Some(split(s)),
        other => other.as_str_list(),
    }
}

fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect()
}

fn words(s: &str) -> Vec<String> {
    let sep: &[char] = if s.contains(',') { &[','] } else { &[' ', '\t', '\n'] };
    s.split(sep).map(str::trim).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// SPDX identifiers common in setup.py's `license=`; anything else becomes a legacy
/// `{ text = ... }` table, which cffi-forge accepts as written.
const SPDX: &[&str] = &[
    "MIT",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "Apache-2.0",
    "ISC",
    "MPL-2.0",
    "LGPL-2.1-or-later",
    "LGPL-3.0-or-later",
    "GPL-2.0-or-later",
    "GPL-3.0-or-later",
    "GPL-2.0-only",
    "GPL-3.0-only",
    "LGPL-2.1-only",
    "LGPL-3.0-only",
    "Unlicense",
    "Zlib",
    "0BSD",
    "PSF-2.0",
    "CC0-1.0",
    "BSL-1.0",
];

impl<'a> Translator<'a> {
    pub fn new(root: &'a Path, args: Vec<Located>, doc: DocumentMut) -> Translator<'a> {
        let pyproject_project = doc.contains_key("project");
        let requires = doc
            .get("build-system")
            .and_then(|b| b.get("requires"))
            .map(|r| r.to_string())
            .unwrap_or_default();
        let scm = doc.get("tool").and_then(|t| t.get("setuptools_scm")).is_some()
            || requires.contains("setuptools_scm")
            || requires.contains("setuptools-scm");
        Translator {
            root,
            args,
            doc,
            todos: Vec::new(),
            used: HashSet::new(),
            pyproject_project,
            scm,
            version_base: None,
            setup_line: None,
        }
    }

    pub fn with_setup_line(mut self, line: Option<usize>) -> Self {
        self.setup_line = line;
        self
    }

    /// The translated document and what is left to do, in file and line order.
    pub fn finish(mut self, problems: Vec<(&'static str, usize, String)>) -> (DocumentMut, Vec<Todo>) {
        self.build_system();
        self.project();
        self.tool();
        self.dynamic();
        let leftovers: Vec<Located> =
            self.args.iter().filter(|l| !self.used.contains(&l.arg.key)).cloned().collect();
        let mut seen = HashSet::new();
        for l in leftovers.iter().rev() {
            if IGNORED.contains(&l.arg.key.as_str()) || !seen.insert(l.arg.key.clone()) {
                continue;
            }
            self.leftover(l);
        }
        for (file, line, message) in problems {
            self.todo(file, Some(line), message);
        }
        order_tables(&mut self.doc);
        self.todos.sort_by(|a, b| (a.file.as_str(), a.line).cmp(&(b.file.as_str(), b.line)));
        self.todos.dedup();
        (self.doc, self.todos)
    }

    fn todo(&mut self, file: &str, line: Option<usize>, message: String) {
        self.todos.push(Todo { file: file.to_string(), line, level: "todo", message });
    }

    fn note(&mut self, file: &str, line: Option<usize>, message: String) {
        self.todos.push(Todo { file: file.to_string(), line, level: "note", message });
    }

    /// The winning value of a keyword (setup.py over setup.cfg), marked as handled.
    fn take(&mut self, key: &str) -> Option<Located> {
        self.used.insert(key.to_string());
        self.args.iter().rev().find(|l| l.arg.key == key).cloned()
    }

    fn peek(&self, key: &str) -> Option<&Value> {
        self.args.iter().rev().find(|l| l.arg.key == key).and_then(|l| l.arg.value.as_ref().ok())
    }

    /// A keyword's value, or a todo saying it is computed and what to write instead.
    fn value(&mut self, key: &str, instead: &str) -> Option<(Located, Value)> {
        let located = self.take(key)?;
        match &located.arg.value {
            Ok(value) => Some((located.clone(), value.clone())),
            Err(unknown) => {
                self.computed(located.file, key, unknown, instead);
                None
            }
        }
    }

    fn computed(&mut self, file: &str, key: &str, unknown: &Unknown, instead: &str) {
        let why = unknown.why.as_ref().map(|w| format!(", {w}")).unwrap_or_default();
        self.todo(
            file,
            Some(unknown.line),
            format!("`{key}` is computed (`{}`{why}); write {instead}", unknown.text),
        );
    }

    fn wrong_type(&mut self, l: &Located, expected: &str, instead: &str) {
        self.todo(l.file, Some(l.arg.line), format!("`{}` is not {expected}; write {instead}", l.arg.key));
    }

    fn table(&mut self, path: &[&str]) -> &mut Table {
        let mut table = self.doc.as_table_mut();
        for (i, key) in path.iter().enumerate() {
            let item = table.entry(key).or_insert_with(|| {
                let mut t = Table::new();
                // `[tool]` and `[project.entry-points]` only hold tables.
                t.set_implicit(i + 1 < path.len() || *key == "entry-points");
                Item::Table(t)
            });
            if !item.is_table() {
                if let Some(inline) = item.as_inline_table().cloned() {
                    *item = Item::Table(inline.into_table());
                } else {
                    *item = Item::Table(Table::new());
                }
            }
            table = item.as_table_mut().expect("made a table above");
        }
        table
    }

    /// Set `[project] key` unless pyproject.toml already says it; a field setuptools
    /// filled in from `dynamic` is now static.
    fn set_project(&mut self, key: &str, item: Item) {
        let project = self.table(&["project"]);
        if project.contains_key(key) {
            return;
        }
        project.insert(key, item);
        if let Some(dynamic) = project.get_mut("dynamic").and_then(Item::as_array_mut) {
            dynamic.retain(|v| v.as_str() != Some(key));
        }
    }

    fn has_project(&self, key: &str) -> bool {
        self.doc.get("project").and_then(|p| p.get(key)).is_some()
    }

    fn has_tool(&self, key: &str) -> bool {
        self.doc.get("tool").and_then(|t| t.get("cffi-forge")).is_some_and(|t| t.get(key).is_some())
    }

    fn set_tool(&mut self, key: &str, item: Item) {
        let tool = self.table(&["tool", "cffi-forge"]);
        if !tool.contains_key(key) {
            tool.insert(key, item);
        }
    }

    // -----------------------------------------------------------------------------
    // [build-system]

    fn build_system(&mut self) {
        let mut requires = vec!["cffi-forge".to_string()];
        let existing: Vec<String> = self
            .doc
            .get("build-system")
            .and_then(|b| b.get("requires"))
            .and_then(Item::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let setup_requires = self
            .take("setup_requires")
            .and_then(|l| l.arg.value.ok())
            .and_then(|v| string_list(&v, lines))
            .unwrap_or_default();
        for req in existing.iter().chain(&setup_requires) {
            let name = requirement_name(req);
            if !SETUPTOOLS_ONLY.contains(&name.as_str())
                && !requires.iter().any(|r| requirement_name(r) == name)
            {
                requires.push(req.clone());
            }
        }
        // Build scripts still run, and some import setuptools or distutils (which only
        // setuptools provides from Python 3.12 on).
        for script in self.build_scripts() {
            let Ok(text) = std::fs::read_to_string(self.root.join(&script)) else { continue };
            let imports = text.lines().enumerate().find(|(_, l)| {
                let l = l.trim_start();
                ["import setuptools", "from setuptools", "import distutils", "from distutils"]
                    .iter()
                    .any(|p| l.starts_with(p))
            });
            if let Some((n, line)) = imports {
                if !requires.iter().any(|r| requirement_name(r) == "setuptools") {
                    requires.push("setuptools".into());
                    let line = line.trim().to_string();
                    self.note(
                        &script,
                        Some(n + 1),
                        format!("the build script imports setuptools or distutils (`{line}`): kept `setuptools` in [build-system] requires"),
                    );
                }
            }
        }
        let table = self.table(&["build-system"]);
        table.insert("requires", str_item(&requires));
        table.insert("build-backend", toml_edit::value("cffi_forge"));
        table.remove("backend-path");
    }

    /// The build scripts the project names (`cffi_modules`), or would have discovered.
    fn build_scripts(&self) -> Vec<String> {
        let named = self.peek("cffi_modules").and_then(|v| string_list(v, words)).unwrap_or_default();
        let mut scripts: Vec<String> =
            named.iter().filter_map(|s| s.split(':').next()).map(str::to_string).collect();
        if scripts.is_empty() {
            // A script discovery cannot follow is reported when building; here it names nothing.
            scripts = crate::discovery::discover_scripts(self.root)
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.path)
                .collect();
        }
        scripts
    }

    // -----------------------------------------------------------------------------
    // [project]

    fn project(&mut self) {
        self.simple_string("name", "[project] name = \"...\"");
        self.version();
        if let Some((_, Value::Str(d))) = self.value("description", "[project] description = \"...\"") {
            self.set_project(
                "description",
                toml_edit::value(d.split_whitespace().collect::<Vec<_>>().join(" ")),
            );
        }
        self.readme();
        self.simple_string("python_requires", "[project] requires-python = \">=3.X\"");
        self.license();
        self.people("author", "authors");
        self.people("maintainer", "maintainers");
        if let Some((l, v)) = self.value("keywords", "[project] keywords = [...]") {
            match string_list(&v, words) {
                Some(k) => self.set_project("keywords", str_item(&k)),
                None => self.wrong_type(&l, "a list of strings", "[project] keywords = [...]"),
            }
        }
        if let Some((l, v)) = self.value("classifiers", "[project] classifiers = [...]") {
            match string_list(&v, lines) {
                Some(c) => self.set_project("classifiers", str_item(&c)),
                None => self.wrong_type(&l, "a list of strings", "[project] classifiers = [...]"),
            }
        }
        if let Some((l, v)) = self.value("install_requires", "[project] dependencies = [...]") {
            match string_list(&v, lines) {
                Some(deps) => self.set_project("dependencies", str_item(&deps)),
                None => self.wrong_type(&l, "a list of requirements", "[project] dependencies = [...]"),
            }
        }
        self.urls();
        self.extras();
        self.entry_points();
        if let Some(l) = self.take("platforms") {
            self.note(
                l.file,
                Some(l.arg.line),
                "`platforms` has no [project] field (installers ignore it): dropped".into(),
            );
        }
    }

    fn simple_string(&mut self, key: &str, instead: &str) {
        let field = match key {
            "python_requires" => "requires-python",
            other => other,
        };
        if let Some((l, v)) = self.value(key, instead) {
            match v {
                Value::Str(s) => self.set_project(field, toml_edit::value(s.trim())),
                _ => self.wrong_type(&l, "a string", instead),
            }
        } else if key == "name" && !self.has_project("name") {
            let (file, line) = match self.setup_line {
                Some(line) => ("setup.py", Some(line)),
                None => ("pyproject.toml", None),
            };
            self.todo(file, line, "no literal `name`: write [project] name = \"...\"".into());
        }
    }

    fn version(&mut self) {
        let instead = "[project] version = \"...\", or dynamic = [\"version\"] with [tool.cffi-forge] version = { attr = \"pkg.__version__\" }";
        let Some(l) = self.take("version") else { return };
        match &l.arg.value {
            // `version=pkg.__version__`: read from the package at build time, as before.
            Ok(Value::Str(_)) if l.arg.attr.is_some() && !self.has_project("version") => {
                let (attr, base) = l.arg.attr.clone().expect("checked");
                let mut source = InlineTable::new();
                source.insert("attr", attr.as_str().into());
                self.set_tool("version", Item::Value(source.into()));
                self.mark_dynamic_version();
                self.version_base = Some(base);
            }
            Ok(Value::Str(v)) => self.set_project("version", toml_edit::value(v.trim())),
            Ok(Value::Num(v)) => self.set_project("version", toml_edit::value(v.as_str())),
            Ok(Value::Call { func, args, .. }) if func == "attr:" => {
                let Some(Ok(Value::Str(attr))) = args.first() else { return };
                match crate::setup_py::module_attribute(self.root, attr) {
                    Some((_, true, base)) => self.version_base = Some(base),
                    Some((Ok(Value::Str(v)), false, _)) if !self.has_project("version") => {
                        self.note(
                            l.file,
                            Some(l.arg.line),
                            format!("`{attr}` is not assigned a plain string literal, which cffi-forge needs to read it without importing: wrote version = \"{v}\""),
                        );
                        return self.set_project("version", toml_edit::value(v));
                    }
                    _ => self.todo(
                        l.file,
                        Some(l.arg.line),
                        format!("`{attr}` is not a plain string literal cffi-forge can read without importing the package: write [project] version = \"...\""),
                    ),
                }
                if !self.has_project("version") {
                    let mut source = InlineTable::new();
                    source.insert("attr", attr.as_str().into());
                    self.set_tool("version", Item::Value(source.into()));
                    self.mark_dynamic_version();
                }
            }
            Ok(Value::FileText(file)) => {
                if !self.has_project("version") {
                    let mut source = InlineTable::new();
                    source.insert("file", file.as_str().into());
                    self.set_tool("version", Item::Value(source.into()));
                    self.mark_dynamic_version();
                }
            }
            Ok(_) => self.wrong_type(&l, "a string", instead),
            Err(unknown) => {
                if self.has_project("version") {
                    return;
                }
                if let Some(v) = self.pkg_info_version() {
                    self.set_project("version", toml_edit::value(v.clone()));
                    let why = format!("`version` is computed (`{}`)", unknown.text);
                    self.note(
                        l.file,
                        Some(unknown.line),
                        format!("{why}: wrote version = \"{v}\" from PKG-INFO; keep it up to date, or use [tool.cffi-forge] version = {{ attr = ... }}"),
                    );
                } else {
                    let unknown = unknown.clone();
                    self.computed(l.file, "version", &unknown, instead);
                }
            }
        }
    }

    fn mark_dynamic_version(&mut self) {
        let project = self.table(&["project"]);
        let dynamic = project.entry("dynamic").or_insert_with(|| Item::Value(Array::new().into()));
        if let Some(array) = dynamic.as_array_mut() {
            if !array.iter().any(|v| v.as_str() == Some("version")) {
                array.push("version");
            }
        }
    }

    /// The version an sdist's `PKG-INFO` records (the project is an unpacked sdist).
    fn pkg_info_version(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.root.join("PKG-INFO")).ok()?;
        text.lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| l.strip_prefix("Version:"))
            .map(|v| v.trim().to_string())
    }

    fn readme(&mut self) {
        let content_type = match self.take("long_description_content_type").map(|l| l.arg.value) {
            Some(Ok(Value::Str(ct))) => Some(ct),
            _ => None,
        };
        let readme_file = ["README.md", "README.rst", "README.txt", "README"]
            .into_iter()
            .find(|f| self.root.join(f).is_file());
        let instead = match readme_file {
            Some(f) => format!("[project] readme = \"{f}\""),
            None => "[project] readme = \"README.md\"".to_string(),
        };
        let Some((l, value)) = self.value("long_description", &instead) else { return };
        let by_extension = |path: &str| match path.rsplit('.').next() {
            Some("md") => Some("text/markdown"),
            Some("rst") => Some("text/x-rst"),
            Some("txt") => Some("text/plain"),
            _ => None,
        };
        match value {
            Value::FileText(path) => {
                if !self.root.join(&path).is_file() {
                    self.todo(
                        l.file,
                        Some(l.arg.line),
                        format!("`long_description` reads `{path}`, which does not exist; write {instead}"),
                    );
                    return;
                }
                let guessed = by_extension(&path);
                let item = match (content_type.as_deref(), guessed) {
                    (None, Some(_)) => toml_edit::value(path),
                    (Some(ct), Some(g)) if ct == g => toml_edit::value(path),
                    (ct, _) => {
                        let mut t = InlineTable::new();
                        t.insert("file", path.as_str().into());
                        t.insert("content-type", ct.unwrap_or("text/x-rst").into());
                        Item::Value(t.into())
                    }
                };
                self.set_project("readme", item);
            }
            Value::Str(text) => {
                let mut t = InlineTable::new();
                t.insert("text", text.as_str().into());
                t.insert("content-type", content_type.as_deref().unwrap_or("text/x-rst").into());
                self.set_project("readme", Item::Value(t.into()));
            }
            _ => self.wrong_type(&l, "a file's text or a string", &instead),
        }
    }

    fn license(&mut self) {
        let files = self.take("license_files");
        let license = self.value("license", "[project] license = \"SPDX-ID\"");
        let classified = self
            .peek("classifiers")
            .and_then(|v| string_list(v, lines))
            .unwrap_or_default()
            .iter()
            .any(|c| c.starts_with("License ::"))
            || self
                .doc
                .get("project")
                .and_then(|p| p.get("classifiers"))
                .and_then(Item::as_array)
                .is_some_and(|a| a.iter().any(|c| c.as_str().is_some_and(|c| c.starts_with("License ::"))));
        if let Some((l, v)) = license {
            match v {
                Value::Str(s) if SPDX.contains(&s.trim()) && !classified => {
                    self.set_project("license", toml_edit::value(s.trim()))
                }
                Value::Str(s) => {
                    let mut t = InlineTable::new();
                    t.insert("text", s.trim().into());
                    self.set_project("license", Item::Value(t.into()));
                }
                _ => self.wrong_type(&l, "a string", "[project] license = \"SPDX-ID\""),
            }
        }
        // What pyproject.toml ends up with decides, whoever wrote it.
        let legacy =
            self.doc.get("project").and_then(|p| p.get("license")).is_some_and(|l| l.is_table_like());
        if let Some(l) = files {
            match l.arg.value.as_ref().ok().and_then(|v| string_list(v, words)) {
                Some(_) if legacy => self.note(
                    l.file,
                    Some(l.arg.line),
                    "`license_files` cannot go with a legacy license table; the default (LICEN[CS]E*, COPYING*, NOTICE*, AUTHORS*) applies".into(),
                ),
                Some(globs) => self.set_project("license-files", str_item(&globs)),
                None => self.wrong_type(&l, "a list of globs", "[project] license-files = [...]"),
            }
        }
    }

    /// `author` + `author_email` → `authors = [{ name, email }]`.
    fn people(&mut self, who: &str, field: &str) {
        let name = self.take(who).and_then(|l| l.arg.value.ok()).and_then(|v| v.as_str().map(str::to_string));
        let email = self
            .take(&format!("{who}_email"))
            .and_then(|l| l.arg.value.ok())
            .and_then(|v| v.as_str().map(str::to_string));
        if name.is_none() && email.is_none() {
            return;
        }
        let names: Vec<String> = name.map(|n| words_by_comma(&n)).unwrap_or_default();
        let emails: Vec<String> = email.map(|e| words_by_comma(&e)).unwrap_or_default();
        let mut people = Array::new();
        if names.len() == emails.len() || names.is_empty() || emails.is_empty() {
            for i in 0..names.len().max(emails.len()) {
                let mut t = InlineTable::new();
                if let Some(n) = names.get(i) {
                    t.insert("name", n.as_str().into());
                }
                if let Some(e) = emails.get(i) {
                    t.insert("email", e.as_str().into());
                }
                people.push(t);
            }
        } else {
            let mut t = InlineTable::new();
            t.insert("name", names.join(", ").into());
            t.insert("email", emails[0].as_str().into());
            people.push(t);
        }
        self.set_project(field, Item::Value(people.into()));
    }

    fn urls(&mut self) {
        let mut urls: Vec<(String, String)> = Vec::new();
        if let Some((_, Value::Str(u))) = self.value("url", "[project.urls] Homepage = \"...\"") {
            urls.push(("Homepage".into(), u));
        }
        if let Some((_, Value::Str(u))) = self.value("download_url", "[project.urls] Download = \"...\"") {
            urls.push(("Download".into(), u));
        }
        if let Some((l, v)) = self.value("project_urls", "[project.urls] Name = \"...\"") {
            match v {
                Value::Dict(entries) => {
                    for (k, v) in entries {
                        if let (Value::Str(k), Value::Str(v)) = (k, v) {
                            urls.push((k, v));
                        }
                    }
                }
                _ => self.wrong_type(&l, "a dict", "[project.urls] Name = \"...\""),
            }
        }
        if urls.is_empty() || self.has_project("urls") {
            return;
        }
        let table = self.table(&["project", "urls"]);
        for (k, v) in urls {
            if !table.contains_key(&k) {
                table.insert(&k, toml_edit::value(v));
            }
        }
    }

    fn extras(&mut self) {
        let instead = "[project.optional-dependencies] extra = [...]";
        let Some((l, v)) = self.value("extras_require", instead) else { return };
        let Value::Dict(entries) = v else { return self.wrong_type(&l, "a dict", instead) };
        if self.has_project("optional-dependencies") {
            return;
        }
        let mut extras: Vec<(String, Vec<String>)> = Vec::new();
        for (k, v) in entries {
            let (Value::Str(key), Some(deps)) = (k, string_list(&v, lines)) else {
                return self.wrong_type(&l, "a dict of requirement lists", instead);
            };
            // `"test:python_version < '3.9'"`: the marker applies to each requirement.
            let (name, marker) = match key.split_once(':') {
                Some((n, m)) => (n.trim().to_string(), Some(m.trim().to_string())),
                None => (key.trim().to_string(), None),
            };
            let deps = deps.into_iter().map(|d| match (&marker, d.split_once(';')) {
                (None, _) => d,
                (Some(m), None) => format!("{d}; {m}"),
                (Some(m), Some((req, own))) => format!("{}; ({}) and ({m})", req.trim(), own.trim()),
            });
            if name.is_empty() {
                // `":marker": [...]`: conditional dependencies of the package itself.
                let project = self.table(&["project"]);
                let mut all: Vec<String> = project
                    .get("dependencies")
                    .and_then(Item::as_array)
                    .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                    .unwrap_or_default();
                all.extend(deps);
                project.insert("dependencies", str_item(&all));
                continue;
            }
            match extras.iter_mut().find(|(n, _)| *n == name) {
                Some((_, list)) => list.extend(deps),
                None => extras.push((name, deps.collect())),
            }
        }
        if extras.is_empty() {
            return;
        }
        let table = self.table(&["project", "optional-dependencies"]);
        for (name, deps) in extras {
            table.insert(&name, str_item(&deps));
        }
    }

    fn entry_points(&mut self) {
        let instead = "[project.scripts] / [project.entry-points.\"group\"] tables";
        let Some((l, v)) = self.value("entry_points", instead) else { return };
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        match v {
            Value::Dict(entries) => {
                for (k, v) in entries {
                    match (k, string_list(&v, lines)) {
                        (Value::Str(group), Some(items)) => groups.push((group, items)),
                        _ => return self.wrong_type(&l, "a dict of entry point lists", instead),
                    }
                }
            }
            // The INI form: "[console_scripts]\nname = module:func".
            Value::Str(text) => {
                for line in lines(&text) {
                    if let Some(group) = line.strip_prefix('[').and_then(|g| g.strip_suffix(']')) {
                        groups.push((group.trim().to_string(), Vec::new()));
                    } else if let Some((_, items)) = groups.last_mut() {
                        items.push(line);
                    }
                }
            }
            _ => return self.wrong_type(&l, "a dict", instead),
        }
        for (group, items) in groups {
            let path: Vec<&str> = match group.as_str() {
                "console_scripts" => vec!["project", "scripts"],
                "gui_scripts" => vec!["project", "gui-scripts"],
                other => vec!["project", "entry-points", other],
            };
            let existing = path[1..].iter().try_fold(self.doc.get("project"), |item, k| Some(item?.get(k)));
            if existing.flatten().is_some() {
                continue;
            }
            let mut entries = Vec::new();
            for item in items {
                match item.split_once('=') {
                    Some((name, target)) => {
                        entries.push((name.trim().to_string(), target.trim().to_string()))
                    }
                    None => {
                        return self.todo(
                            l.file,
                            Some(l.arg.line),
                            format!("entry point `{item}` is not `name = module:object`; write {instead}"),
                        )
                    }
                }
            }
            let table = self.table(&path);
            for (name, target) in entries {
                table.insert(&name, toml_edit::value(target));
            }
        }
    }

    // -----------------------------------------------------------------------------
    // [tool.cffi-forge]

    fn tool(&mut self) {
        if let Some((l, v)) =
            self.value("cffi_modules", "[tool.cffi-forge] cffi-modules = [\"path/x_build.py:ffi\"]")
        {
            match string_list(&v, words) {
                Some(mods) => {
                    let mods: Vec<String> = mods.into_iter().map(|m| self.script_path(&l, m)).collect();
                    self.set_tool("cffi-modules", str_item(&mods))
                }
                None => self.wrong_type(&l, "a list of strings", "[tool.cffi-forge] cffi-modules = [...]"),
            }
        }
        if let Some((l, v)) = self.value("ext_package", "[tool.cffi-forge] ext-package = \"pkg\"") {
            match v {
                Value::Str(p) => self.set_tool("ext-package", toml_edit::value(p)),
                _ => self.wrong_type(&l, "a string", "[tool.cffi-forge] ext-package = \"pkg\""),
            }
        }
        let source = self.python_source();
        if let Some(base) = self.version_base.take() {
            if base != source {
                self.todo(
                    "setup.py",
                    None,
                    format!("the version attribute's package is under `{base}/`, not under python-source `{source}`: cffi-forge will not find it; write [project] version"),
                );
            }
        }
        self.packages(&source);
        if let Some((l, v)) = self.value("py_modules", "[tool.cffi-forge] py-modules = [...]") {
            match string_list(&v, words) {
                Some(m) => self.set_tool("py-modules", str_item(&m)),
                None => self.wrong_type(&l, "a list of strings", "[tool.cffi-forge] py-modules = [...]"),
            }
        }
        self.package_data();
        if let Some((l, v)) = self.value("scripts", "[tool.cffi-forge] script-files = [...]") {
            match string_list(&v, words) {
                Some(s) => self.set_tool("script-files", str_item(&s)),
                None => self.wrong_type(&l, "a list of paths", "[tool.cffi-forge] script-files = [...]"),
            }
        }
        self.extensions();
        self.libraries();
        if let Some(l) = self.take("cmdclass") {
            let line = l.arg.value.as_ref().err().map_or(l.arg.line, |u| u.line);
            self.todo(
                l.file,
                Some(line),
                "custom commands (`cmdclass`) do not run under cffi-forge: say what they changed in pyproject.toml \
                 (abi3 wheel tags come from requires-python; extra compiler inputs go in [tool.cffi-forge.module-options])"
                    .into(),
            );
        }
        if let Some(l) = self.take("data_files") {
            self.todo(
                l.file,
                Some(l.arg.line),
                "`data_files` is not supported: move the files into a package (package data) or ship them as script-files".into(),
            );
        }
    }

    /// cffi's dotted form `pkg.foo_build:ffi` rewritten as the path cffi-forge wants.
    fn script_path(&mut self, l: &Located, spec: String) -> String {
        let Some((module, variable)) = spec.split_once(':') else { return spec };
        let path = format!("{}.py", module.replace('.', "/"));
        if self.root.join(module).is_file() || !self.root.join(&path).is_file() {
            return spec;
        }
        let rewritten = format!("{path}:{variable}");
        self.note(
            l.file,
            Some(l.arg.line),
            format!("`cffi_modules` entry `{spec}` written as the path `{rewritten}`"),
        );
        rewritten
    }

    /// `package_dir={"": "src"}` or `find_packages(where="src")` → `python-source`.
    fn python_source(&mut self) -> String {
        let mut source = String::new();
        if let Some((l, v)) = self.value("package_dir", "[tool.cffi-forge] python-source = \"src\"") {
            match v {
                Value::Dict(entries) => {
                    for (k, v) in entries {
                        match (k, v) {
                            (Value::Str(k), Value::Str(v)) if k.is_empty() => source = v,
                            (Value::Str(k), Value::Str(v)) if v.replace('/', ".").trim_end_matches('.') == k
                                || v == format!("{}/{}", source, k.replace('.', "/")) => {}
                            (Value::Str(k), Value::Str(v)) => self.todo(
                                l.file,
                                Some(l.arg.line),
                                format!("`package_dir` maps `{k}` to `{v}`: cffi-forge ships packages from one `python-source` directory; move the package there"),
                            ),
                            _ => self.wrong_type(&l, "a dict of strings", "[tool.cffi-forge] python-source = \"src\""),
                        }
                    }
                }
                _ => self.wrong_type(&l, "a dict", "[tool.cffi-forge] python-source = \"src\""),
            }
        }
        if source.is_empty() {
            if let Some(Value::Call { kwargs, args, .. }) = self.peek("packages") {
                let where_ = kwargs.iter().find(|(k, _)| k == "where").map(|(_, v)| v).or(args.first());
                if let Some(Ok(Value::Str(w))) = where_ {
                    source = w.clone();
                }
            }
        }
        let source = source.trim_start_matches("./").trim_end_matches('/').to_string();
        let source = if source == "." { String::new() } else { source };
        if !source.is_empty() {
            self.set_tool("python-source", toml_edit::value(source.as_str()));
        }
        source
    }

    fn packages(&mut self, source: &str) {
        let instead = "[tool.cffi-forge] packages = [...]";
        let Some((l, v)) = self.value("packages", instead) else { return };
        let listed: Vec<String> = match &v {
            Value::Call { func, args, kwargs } if v.call_name().is_some_and(|n| n.starts_with("find_")) => {
                let patterns = |key: &str, index: usize| -> Option<Vec<String>> {
                    match kwargs.iter().find(|(k, _)| k == key).map(|(_, v)| v).or(args.get(index)) {
                        None => Some(Vec::new()),
                        Some(Ok(v)) => string_list(v, words),
                        Some(Err(_)) => None,
                    }
                };
                let (Some(exclude), Some(include)) = (patterns("exclude", 1), patterns("include", 2)) else {
                    return self.todo(
                        l.file,
                        Some(l.arg.line),
                        format!("`packages` is found with computed patterns; write {instead}"),
                    );
                };
                let namespace = func.ends_with("find_namespace_packages");
                let found = find_packages(&self.root.join(source), namespace, &include, &exclude);
                if found.is_empty() {
                    return self.todo(
                        l.file,
                        Some(l.arg.line),
                        format!("`{func}(...)` finds no package here; write {instead}"),
                    );
                }
                found
            }
            other => match string_list(other, words) {
                Some(list) => list,
                None => return self.wrong_type(&l, "a list of package names", instead),
            },
        };
        // cffi-forge ships each listed package with everything below it: list the tops,
        // and say which subpackages setuptools left out that cffi-forge would ship.
        let tops: Vec<String> = listed
            .iter()
            .filter(|p| !listed.iter().any(|q| p.starts_with(&format!("{q}."))))
            .cloned()
            .collect();
        let all = find_packages(&self.root.join(source), false, &[], &[]);
        let missing: Vec<&String> = all
            .iter()
            .filter(|p| tops.iter().any(|t| p.starts_with(&format!("{t}."))) && !listed.contains(p))
            .collect();
        if !missing.is_empty() {
            let globs: Vec<String> = missing
                .iter()
                .map(|p| {
                    format!(
                        "{}{}",
                        if source.is_empty() { String::new() } else { format!("{source}/") },
                        p.replace('.', "/")
                    )
                })
                .collect();
            self.todo(
                l.file,
                Some(l.arg.line),
                format!(
                    "setuptools did not ship {} but cffi-forge ships every package below a listed one: add exclude = {:?} if that matters",
                    missing.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", "),
                    globs
                ),
            );
        }
        self.set_tool("packages", str_item(&tops));
    }

    /// setuptools ships only `package_data` files unless `include_package_data` is on
    /// (the default with a `[project]` table); cffi-forge ships every file by default.
    fn package_data(&mut self) {
        let include_all = match self.take("include_package_data").map(|l| l.arg.value) {
            Some(Ok(Value::Bool(b))) => b,
            _ => self.pyproject_project,
        };
        let listed = self.take("package_data");
        let excluded = self.take("exclude_package_data");
        let globs = |this: &mut Self, l: &Located| -> Option<Vec<String>> {
            let instead = if l.arg.key == "exclude_package_data" {
                "[tool.cffi-forge] package-data-exclude = [...]"
            } else {
                "[tool.cffi-forge] package-data-include = [...]"
            };
            let entries = match &l.arg.value {
                Ok(Value::Dict(entries)) => entries.clone(),
                Ok(_) => {
                    this.wrong_type(l, "a dict", instead);
                    return None;
                }
                Err(u) => {
                    let u = u.clone();
                    this.computed(l.file, &l.arg.key, &u, instead);
                    return None;
                }
            };
            let mut out = Vec::new();
            for (k, v) in entries {
                let (Value::Str(pkg), Some(patterns)) = (k, string_list(&v, words)) else { continue };
                for pattern in patterns {
                    out.push(match pkg.as_str() {
                        "" | "*" => pattern,
                        pkg => format!("{}/{pattern}", pkg.replace('.', "/")),
                    });
                }
            }
            Some(out)
        };
        if !include_all {
            self.set_tool("package-data", toml_edit::value(false));
            if let Some(l) = &listed {
                if let Some(g) = globs(self, l) {
                    self.set_tool("package-data-include", str_item(&g));
                }
            }
        } else if let Some(l) = &listed {
            self.note(
                l.file,
                Some(l.arg.line),
                "`package_data` is implied: with include_package_data every file in the packages ships"
                    .into(),
            );
        }
        if let Some(l) = &excluded {
            if let Some(g) = globs(self, l) {
                self.set_tool("package-data-exclude", str_item(&g));
            }
        }
    }

    fn extensions(&mut self) {
        let instead = "[[tool.cffi-forge.extension]] tables";
        let Some((l, v)) = self.value("ext_modules", instead) else { return };
        let Value::List(items) = v else { return self.wrong_type(&l, "a list", instead) };
        let mut tables = ArrayOfTables::new();
        for item in &items {
            if item.call_name() != Some("Extension") {
                self.todo(
                    l.file,
                    Some(l.arg.line),
                    format!("an `ext_modules` entry is not an `Extension(...)`; write {instead}"),
                );
                continue;
            }
            let Value::Call { args, kwargs, .. } = item else { continue };
            if let Some(t) = self.extension_table(&l, args, kwargs, "Extension", EXTENSION_KEYS) {
                tables.push(t);
            }
        }
        if !tables.is_empty() && !self.has_tool("extension") {
            self.table(&["tool", "cffi-forge"]).insert("extension", Item::ArrayOfTables(tables));
        }
    }

    fn libraries(&mut self) {
        let instead = "[[tool.cffi-forge.library]] tables";
        let Some((l, v)) = self.value("libraries", instead) else { return };
        let Value::List(items) = v else { return self.wrong_type(&l, "a list", instead) };
        let mut tables = ArrayOfTables::new();
        for item in &items {
            let Value::List(pair) = item else {
                self.todo(
                    l.file,
                    Some(l.arg.line),
                    format!("a `libraries` entry is not `(name, {{...}})`; write {instead}"),
                );
                continue;
            };
            let [name, Value::Dict(info)] = pair.as_slice() else {
                self.todo(
                    l.file,
                    Some(l.arg.line),
                    format!("a `libraries` entry is not `(name, {{...}})`; write {instead}"),
                );
                continue;
            };
            let kwargs: Vec<(String, Result<Value, Unknown>)> =
                info.iter().filter_map(|(k, v)| Some((k.as_str()?.to_string(), Ok(v.clone())))).collect();
            if let Some(t) = self.extension_table(&l, &[Ok(name.clone())], &kwargs, "library", LIBRARY_KEYS) {
                tables.push(t);
            }
        }
        if !tables.is_empty() && !self.has_tool("library") {
            self.table(&["tool", "cffi-forge"]).insert("library", Item::ArrayOfTables(tables));
        }
    }

    /// One `Extension(...)` or build_clib library as a table; `keys` maps setuptools'
    /// keyword names to ours.
    fn extension_table(
        &mut self,
        l: &Located,
        args: &[Result<Value, Unknown>],
        kwargs: &[(String, Result<Value, Unknown>)],
        what: &str,
        keys: &[(&str, &str)],
    ) -> Option<Table> {
        let mut all: Vec<(String, Result<Value, Unknown>)> = Vec::new();
        for (i, a) in args.iter().enumerate() {
            let key = ["name", "sources"].get(i).copied().unwrap_or("?");
            all.push((key.to_string(), a.clone()));
        }
        all.extend(kwargs.iter().cloned());
        let name = match all.iter().find(|(k, _)| k == "name").map(|(_, v)| v) {
            Some(Ok(Value::Str(n))) => n.clone(),
            _ => {
                self.todo(
                    l.file,
                    Some(l.arg.line),
                    format!("an {what} has no literal name; write it as a table by hand"),
                );
                return None;
            }
        };
        let mut table = Table::new();
        table.insert("name", toml_edit::value(name.as_str()));
        for (key, value) in &all {
            if key == "name" {
                continue;
            }
            let Some(&(_, ours)) = keys.iter().find(|(theirs, _)| theirs == key) else {
                self.todo(
                    l.file,
                    Some(l.arg.line),
                    format!("{what} `{name}`: `{key}` has no equivalent; dropped"),
                );
                continue;
            };
            let value = match value {
                Ok(v) => v,
                Err(u) => {
                    let u = u.clone();
                    self.computed(
                        l.file,
                        &format!("{key}` of {what} `{name}"),
                        &u,
                        &format!("{ours} = [...] in its table"),
                    );
                    continue;
                }
            };
            let item = match (ours, value) {
                ("language", Value::Str(s)) => toml_edit::value(s.as_str()),
                ("py-limited-api", Value::Bool(b)) => toml_edit::value(*b),
                ("define-macros", Value::List(macros)) => {
                    let mut out = Vec::new();
                    for m in macros {
                        match m {
                            Value::List(pair) => match pair.as_slice() {
                                [Value::Str(n), Value::None] => out.push(n.clone()),
                                [Value::Str(n), Value::Str(v) | Value::Num(v)] => {
                                    out.push(format!("{n}={v}"))
                                }
                                _ => {}
                            },
                            Value::Str(n) => out.push(n.clone()),
                            _ => {}
                        }
                    }
                    str_item(&out)
                }
                (_, Value::List(items)) => {
                    let mut out = Vec::new();
                    for item in items {
                        match item {
                            Value::Str(s) => out.push(s.clone()),
                            // `glob.glob("src/*.c")`: cffi-forge expands globs itself.
                            Value::Call { args, .. }
                                if item.call_name().is_some_and(|n| n.ends_with("glob")) =>
                            {
                                if let Some(Ok(Value::Str(pattern))) = args.first() {
                                    out.push(pattern.clone());
                                }
                            }
                            _ => {}
                        }
                    }
                    str_item(&out)
                }
                (_, Value::Call { args, .. }) if value.call_name().is_some_and(|n| n.ends_with("glob")) => {
                    match args.first() {
                        Some(Ok(Value::Str(pattern))) => str_item(&[pattern]),
                        _ => continue,
                    }
                }
                (_, Value::Str(s)) => str_item(&[s]),
                _ => {
                    self.todo(
                        l.file,
                        Some(l.arg.line),
                        format!("{what} `{name}`: `{key}` is not a list; write {ours} by hand"),
                    );
                    continue;
                }
            };
            if item.as_array().is_some_and(Array::is_empty) {
                continue; // `define_macros=[]` says nothing
            }
            table.insert(ours, item);
        }
        Some(table)
    }

    // -----------------------------------------------------------------------------
    // `dynamic` fields setuptools filled in.

    fn dynamic(&mut self) {
        let dynamic: Vec<String> = self
            .doc
            .get("project")
            .and_then(|p| p.get("dynamic"))
            .and_then(Item::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let setuptools_dynamic =
            self.doc.get("tool").and_then(|t| t.get("setuptools")).and_then(|s| s.get("dynamic")).cloned();
        let scm = self.scm;
        for field in dynamic {
            let from = setuptools_dynamic.as_ref().and_then(|d| d.get(&field));
            let attr = from.and_then(|f| f.get("attr")).and_then(|a| a.as_str()).map(str::to_string);
            let files: Vec<String> = from
                .and_then(|f| f.get("file"))
                .map(|f| match f.as_array() {
                    Some(a) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
                    None => f.as_str().map(|s| vec![s.to_string()]).unwrap_or_default(),
                })
                .unwrap_or_default();
            match field.as_str() {
                "version" => {
                    let has_source = self.doc.get("tool").and_then(|t| t.get("cffi-forge")).and_then(|t| t.get("version")).is_some();
                    if has_source {
                        continue;
                    }
                    let source = match (attr, files.as_slice()) {
                        (Some(attr), _) => Some(("attr", attr)),
                        (None, [file]) => Some(("file", file.clone())),
                        _ => None,
                    };
                    if let Some((kind, v)) = source {
                        let mut t = InlineTable::new();
                        t.insert(kind, v.as_str().into());
                        self.set_tool("version", Item::Value(t.into()));
                    } else if let Some(v) = self.pkg_info_version() {
                        self.drop_dynamic("version");
                        self.set_project("version", toml_edit::value(v.as_str()));
                        let how = if scm { "setuptools-scm (from git)" } else { "setup.py" };
                        self.note(
                            "pyproject.toml",
                            None,
                            format!("the version came from {how}; wrote version = \"{v}\" from PKG-INFO: update it for each release, or use [tool.cffi-forge] version = {{ file = ... }}"),
                        );
                    } else if scm {
                        self.todo(
                            "pyproject.toml",
                            None,
                            "the version comes from setuptools-scm, which cffi-forge does not run: write [project] version = \"...\" (or a version file with [tool.cffi-forge] version = { file = ... })".into(),
                        );
                    } else {
                        self.todo("pyproject.toml", None, "`dynamic` lists `version` and nothing says where it comes from: write [project] version = \"...\"".into());
                    }
                }
                "readme" if !files.is_empty() => {
                    let ct = from.and_then(|f| f.get("content-type")).and_then(|c| c.as_str()).map(str::to_string);
                    let item = match (files.as_slice(), ct) {
                        ([one], None) => toml_edit::value(one.as_str()),
                        ([one], Some(ct)) => {
                            let mut t = InlineTable::new();
                            t.insert("file", one.as_str().into());
                            t.insert("content-type", ct.as_str().into());
                            Item::Value(t.into())
                        }
                        _ => {
                            self.todo("pyproject.toml", None, "the readme concatenates several files: write [project] readme = \"...\"".into());
                            continue;
                        }
                    };
                    self.drop_dynamic("readme");
                    self.set_project("readme", item);
                }
                "dependencies" if !files.is_empty() => {
                    let mut deps = Vec::new();
                    for file in &files {
                        match std::fs::read_to_string(self.root.join(file)) {
                            Ok(text) => deps.extend(lines(&text).into_iter().map(|l| l.split(" #").next().unwrap_or("").trim().to_string())),
                            Err(_) => {
                                self.todo("pyproject.toml", None, format!("dependencies come from `{file}`, which cannot be read: write [project] dependencies = [...]"));
                                continue;
                            }
                        }
                    }
                    if let Some(bad) = deps.iter().find(|d| d.starts_with('-')) {
                        let bad = bad.clone();
                        self.todo("pyproject.toml", None, format!("requirements file option `{bad}` is not a requirement: write [project] dependencies = [...]"));
                        continue;
                    }
                    self.drop_dynamic("dependencies");
                    self.set_project("dependencies", str_item(&deps));
                }
                _ if self.has_project(&field) => self.drop_dynamic(&field),
                other => self.todo(
                    "pyproject.toml",
                    None,
                    format!("`dynamic` lists `{other}`, which setuptools filled in and cffi-forge does not: write it in [project]"),
                ),
            }
        }
    }

    fn drop_dynamic(&mut self, field: &str) {
        let project = self.table(&["project"]);
        let empty = match project.get_mut("dynamic").and_then(Item::as_array_mut) {
            Some(dynamic) => {
                dynamic.retain(|v| v.as_str() != Some(field));
                dynamic.is_empty()
            }
            None => false,
        };
        if empty {
            project.remove("dynamic");
        }
    }

    fn leftover(&mut self, l: &Located) {
        if l.arg.key == "headers" {
            return self.todo(
                l.file,
                Some(l.arg.line),
                "`headers` (C headers installed for other extensions to build against) are not installed by cffi-forge; ship them as package data if needed".into(),
            );
        }
        self.todo(
            l.file,
            Some(l.arg.line),
            format!(
                "`{}` is not translated (no pyproject.toml equivalent known to cffi-forge migrate)",
                l.arg.key
            ),
        );
    }
}

/// `[build-system]` first, then `[project]` and its subtables, then everything else in
/// the order it had (tables added here come after the ones they were added next to).
fn order_tables(doc: &mut DocumentMut) {
    fn collect(table: &Table, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, Option<isize>)>) {
        out.push((path.clone(), table.position()));
        for (key, item) in table.iter() {
            path.push(key.to_string());
            match item {
                Item::Table(t) => collect(t, path, out),
                Item::ArrayOfTables(array) => array.iter().for_each(|t| collect(t, path, out)),
                _ => {}
            }
            path.pop();
        }
    }
    fn assign(table: &mut Table, positions: &mut std::vec::IntoIter<isize>, first: isize) {
        let position = positions.next();
        // The file's first table had no blank line before it; it may not be first now.
        if position != Some(first) && table.decor().prefix().and_then(|p| p.as_str()) == Some("") {
            table.decor_mut().set_prefix("\n");
        }
        table.set_position(position);
        for (_, item) in table.iter_mut() {
            match item {
                Item::Table(t) => assign(t, positions, first),
                Item::ArrayOfTables(array) => array.iter_mut().for_each(|t| assign(t, positions, first)),
                _ => {}
            }
        }
    }
    let mut tables = Vec::new();
    collect(doc.as_table(), &mut Vec::new(), &mut tables);
    // The position a table without one is shown at: the last one seen before it.
    let mut last = 0;
    let keys: Vec<(u8, isize, usize)> = tables
        .iter()
        .enumerate()
        .map(|(i, (path, position))| {
            last = position.unwrap_or(last);
            let group = match path.first().map(String::as_str) {
                None => 0,
                Some("build-system") => 1,
                Some("project") => 2,
                Some(_) => 3,
            };
            (group, last, i)
        })
        .collect();
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| keys[i]);
    let mut positions = vec![0isize; keys.len()];
    for (rank, &i) in order.iter().enumerate() {
        positions[i] = rank as isize;
    }
    // The rank of the first table shown with a header (not the root, not implicit).
    let shown = |path: &Vec<String>| -> bool {
        let mut item = doc.as_item();
        for key in path {
            item = match item.get(key.as_str()) {
                Some(i) => i,
                None => return true, // inside an array of tables: always shown
            };
        }
        !path.is_empty() && item.as_table().is_none_or(|t| !t.is_implicit() && !t.is_dotted())
    };
    let first = order.iter().find(|&&i| shown(&tables[i].0)).map_or(0, |&i| positions[i]);
    assign(doc.as_table_mut(), &mut positions.into_iter(), first);
}

fn words_by_comma(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

const EXTENSION_KEYS: &[(&str, &str)] = &[
    ("sources", "sources"),
    ("include_dirs", "include-dirs"),
    ("define_macros", "define-macros"),
    ("undef_macros", "undef-macros"),
    ("libraries", "libraries"),
    ("library_dirs", "library-dirs"),
    ("runtime_library_dirs", "runtime-library-dirs"),
    ("extra_compile_args", "extra-compile-args"),
    ("extra_link_args", "extra-link-args"),
    ("extra_objects", "extra-objects"),
    ("depends", "depends"),
    ("language", "language"),
    ("py_limited_api", "py-limited-api"),
];

const LIBRARY_KEYS: &[(&str, &str)] = &[
    ("sources", "sources"),
    ("include_dirs", "include-dirs"),
    ("macros", "define-macros"),
    ("cflags", "extra-compile-args"),
];

/// setuptools' `find_packages` (or `find_namespace_packages`) over `dir`: dotted names of
/// directories with an `__init__.py` (any directory holding `.py` files for namespaces),
/// filtered by fnmatch-style `include` / `exclude` patterns, sorted.
fn find_packages(dir: &Path, namespace: bool, include: &[String], exclude: &[String]) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, namespace: bool, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            if !path.is_dir() || name.contains('.') || name.starts_with('_') && name == "__pycache__" {
                continue;
            }
            let is_package = path.join("__init__.py").is_file()
                || (namespace
                    && std::fs::read_dir(&path)
                        .map(|d| {
                            d.flatten()
                                .any(|e| e.path().extension().is_some_and(|x| x == "py") || e.path().is_dir())
                        })
                        .unwrap_or(false));
            if !is_package {
                continue;
            }
            let dotted = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
            out.push(dotted.clone());
            walk(&path, &dotted, namespace, out);
        }
    }
    let mut all = Vec::new();
    walk(dir, "", namespace, &mut all);
    let matches = |name: &str, patterns: &[String]| {
        patterns.iter().any(|p| globset::Glob::new(p).is_ok_and(|g| g.compile_matcher().is_match(name)))
    };
    all.into_iter()
        .filter(|p| include.is_empty() || matches(p, include))
        .filter(|p| !matches(p, exclude))
        .filter(|p| !["build", "dist", "venv", "env"].contains(&p.as_str()))
        .collect()
}
