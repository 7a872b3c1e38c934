//! Running CFFI build scripts with the interpreter that called the hook, exactly as
//! cffi's setuptools integration runs them (see `script_runner.py`), and turning what
//! they declared into [`ModuleSpec`]s.
//!
//! Every `cdef()` call and every `set_source()` argument is recorded, so the native
//! generator can work from the spec alone. cffi's own emitter also runs (giving
//! `ModuleSpec::pregenerated`) when the caller asks for it, or when the script uses
//! something only cffi can generate (`ffi.include`, `set_unicode`).
//!
//! Scripts in the same folder share one Python process, run in order, as setuptools
//! ran all of them in `setup.py`'s process; scripts in different folders could import
//! different modules under the same name, so each folder gets its own process, and
//! those run in parallel.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;

use crate::diagnostic::{Diagnostic, SourceFile, ToDiagnostic};
use crate::discovery::BuildScript;
use crate::process::Running;
use crate::spec::{
    BuildOptions, CSource, CdefOptions, CdefSource, Define, Embedding, FfiMode, IncludeSpec, ModuleOrigin,
    ModuleSpec, Pregenerated,
};
use crate::ui;

const HELPER: &str = include_str!("script_runner.py");

#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("cannot run the Python interpreter `{}`: {source}", python.display())]
    Spawn { python: PathBuf, source: std::io::Error },
    #[error("the build scripts need cffi, but `{}` cannot import it ({message})", python.display())]
    NoCffi { python: PathBuf, message: String },
    #[error("build script `{path}` failed: {message}")]
    Raised { path: String, message: String, traceback: String },
    /// cffi's own refusals, with cffi's messages: variable missing, not an FFI,
    /// `set_source()` never called.
    #[error("{message}")]
    Refused { path: String, message: String },
    #[error("build script `{path}`: set_source() argument `{key}` {problem}")]
    /// `at`: the `set_source()` call's line in the script, when known.
    BadArgument {
        path: String,
        key: String,
        problem: String,
        at: Option<Box<(SourceFile, std::ops::Range<usize>)>>,
    },
    #[error("`{}` stopped ({status}) while running {scripts}", python.display())]
    Crashed { python: PathBuf, status: std::process::ExitStatus, scripts: String },
    #[error("`{}` gave an unreadable reply while running {scripts}: {detail}", python.display())]
    Protocol { python: PathBuf, scripts: String, detail: String },
    #[error("build script `{script}` ended the Python process (`{}`, exit status 0) before cffi-forge could read its FFI", python.display())]
    NoReply { python: PathBuf, script: String },
    #[error("build script `{script}` did not finish within {seconds} seconds ({TIMEOUT_VARIABLE}), and was stopped")]
    Timeout { script: String, seconds: f64 },
    #[error("{TIMEOUT_VARIABLE}={value:?} is not a number of seconds")]
    BadTimeout { value: String },
    #[error("{path}:{line}: this FFI's set_source({module:?}) module is not listed, so it would be left out of the wheel")]
    UnlistedFfi { path: String, line: usize, module: String, listed: String, variable: Option<String> },
}

impl ToDiagnostic for ScriptError {
    fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::error(self.to_string());
        match self {
            ScriptError::Raised { traceback, message, .. } => {
                let d = d.with_note(traceback.trim_end().to_string());
                match missing_module(message) {
                    Some(module) => d.with_help(format!(
                        "build scripts run in the build environment, which holds cffi and what \
                         [build-system] requires lists: if `{module}` comes from PyPI (setuptools, \
                         pkgconfig, ...), add it there; a module of the project must be in the \
                         script's folder, the project root or the Python source directory"
                    )),
                    None => d,
                }
            }
            ScriptError::Refused { path, .. } => d.with_note(format!("in build script `{path}`")),
            ScriptError::NoCffi { .. } => d.with_help(
                "install cffi into that environment (`pip install cffi`); build frontends do this \
                 themselves, since cffi-forge asks for cffi whenever build scripts must run",
            ),
            ScriptError::BadArgument { at, .. } => {
                let d = match at.as_deref() {
                    Some((file, range)) => d.with_label(file, range.clone(), "set_source() is called here"),
                    None => d,
                };
                d.with_help("setuptools' `Extension` keyword arguments take lists of strings")
            }
            ScriptError::NoReply { .. } => d
                .with_note("the script calls os._exit() or something like it, which ends the process at once")
                .with_help("let the script end normally (or raise an exception to report a failure)"),
            ScriptError::Timeout { .. } => d.with_help(format!(
                "if the script needs longer, set {TIMEOUT_VARIABLE} to more seconds (0: no limit); \
                 the default is {DEFAULT_TIMEOUT_SECONDS}"
            )),
            ScriptError::BadTimeout { .. } => d.with_help(format!(
                "give a number of seconds, or 0 for no limit (the default is {DEFAULT_TIMEOUT_SECONDS})"
            )),
            ScriptError::UnlistedFfi { path, listed, variable, .. } => {
                let entry = match variable {
                    Some(variable) => format!("\"{path}:{variable}\""),
                    None => "an entry for it (a module-level name or a function returning it)".into(),
                };
                d.with_note(format!("only `{listed}` is listed; cffi-forge builds one module per entry"))
                    .with_help(format!(
                        "list it too: [tool.cffi-forge] cffi-modules = [\"{listed}\", {entry}]"
                    ))
            }
            _ => d,
        }
    }
}

/// The top-level module a `ModuleNotFoundError: No module named 'a.b'` is about.
fn missing_module(message: &str) -> Option<&str> {
    let name = message.strip_prefix("ModuleNotFoundError: No module named '")?.strip_suffix('\'')?;
    name.split('.').next()
}

/// How long a build script may run: `CFFI_FORGE_SCRIPT_TIMEOUT` seconds (0: no limit).
pub const TIMEOUT_VARIABLE: &str = "CFFI_FORGE_SCRIPT_TIMEOUT";
const DEFAULT_TIMEOUT_SECONDS: u64 = 600;

fn script_timeout() -> Result<Option<Duration>, ScriptError> {
    let Some(value) = std::env::var_os(TIMEOUT_VARIABLE) else {
        return Ok(Some(Duration::from_secs(DEFAULT_TIMEOUT_SECONDS)));
    };
    let text = value.to_string_lossy();
    match text.trim().parse::<f64>() {
        // 0: no limit.
        Ok(seconds) if seconds >= 0.0 && seconds.is_finite() => {
            Ok((seconds > 0.0).then(|| Duration::from_secs_f64(seconds)))
        }
        _ => Err(ScriptError::BadTimeout { value: text.into_owned() }),
    }
}

/// Run `scripts` (paths relative to `root`) with `python` and return their modules in
/// the order of `scripts`. `emit`: also generate every module with cffi's emitter.
/// Each script can import modules from its own folder, then from the usual `sys.path`
/// (the build environment), then from `root` and the `import_dirs`.
///
/// The runner replies in a file, a JSON line at a time, and is waited for as a process:
/// a daemon a script started (which inherits its pipes) cannot hold the build up, and
/// when the runner stops early the last line says which script it was running.
pub fn run_build_scripts(
    python: &Path,
    root: &Path,
    import_dirs: &[PathBuf],
    scripts: &[BuildScript],
    emit: bool,
) -> Result<Vec<ModuleSpec>, ScriptError> {
    let timeout = script_timeout()?;
    // Group by folder, keeping first-seen order.
    let mut groups: Vec<(String, Vec<&BuildScript>)> = Vec::new();
    for script in scripts {
        let folder = script.path.rsplit_once('/').map_or("", |(dir, _)| dir).to_string();
        match groups.iter_mut().find(|(f, _)| *f == folder) {
            Some((_, group)) => group.push(script),
            None => groups.push((folder, vec![script])),
        }
    }
    let replies = tempfile::Builder::new()
        .prefix("cffi-forge-replies-")
        .tempdir()
        .map_err(|source| ScriptError::Spawn { python: python.into(), source })?;
    let _registered = crate::process::register_temp(replies.path());
    let started = Instant::now();
    let mut running = Vec::new();
    for (index, (_, group)) in groups.into_iter().enumerate() {
        for script in &group {
            ui::status("Running", format!("{} (build script)", script.path));
        }
        let reply = replies.path().join(format!("{index}.jsonl"));
        let child = spawn(python, root, import_dirs, &group, emit, &reply)?;
        running.push((group, child, reply));
    }

    let mut by_script: Vec<(&BuildScript, Result<ModuleSpec, ScriptError>)> = Vec::new();
    let mut produced: Vec<String> = Vec::new();
    let mut others: Vec<(&BuildScript, OtherFfi)> = Vec::new();
    for (group, mut child, reply_path) in running {
        let names = group.iter().map(|s| s.path.as_str()).collect::<Vec<_>>().join(", ");
        let waiting = crate::timings::child("python");
        let status = child
            .wait_until(timeout.map(|t| started + t))
            .map_err(|source| ScriptError::Spawn { python: python.into(), source })?;
        drop(waiting);
        let reply = read_reply(&reply_path);
        // The script that was running when the process ended (or was stopped).
        let current =
            || reply.running.clone().and_then(|p| group.iter().find(|s| s.path == p).map(|s| s.path.clone()));
        let Some(status) = status else {
            child.kill_group();
            return Err(ScriptError::Timeout {
                script: current().unwrap_or(names),
                seconds: timeout.map_or(0.0, |t| t.as_secs_f64()),
            });
        };
        // Whatever the script left running (a daemon) ends with it.
        drop(child);
        if !reply.done {
            let script = current();
            if let Some(detail) = reply.error {
                return Err(ScriptError::Protocol { python: python.into(), scripts: names, detail });
            }
            if reply.results.is_empty() && script.is_none() {
                // The runner never started: an interpreter it cannot run on.
                return Err(ScriptError::Crashed { python: python.into(), status, scripts: names });
            }
            let script = script.unwrap_or(names);
            return Err(if status.success() {
                ScriptError::NoReply { python: python.into(), script }
            } else {
                ScriptError::Crashed { python: python.into(), status, scripts: script }
            });
        }
        for (script, result) in group.iter().zip(reply.results) {
            for other in &result.others {
                others.push((script, other.clone()));
            }
            if let Some(module) = &result.module {
                produced.push(module.clone());
            }
            by_script.push((script, to_spec(python, root, script, result, emit)));
        }
    }
    // Report the first failure in the user's order, whichever process it came from.
    let mut specs = Vec::new();
    for script in scripts {
        let Some(index) = by_script.iter().position(|(s, _)| std::ptr::eq(*s, script)) else {
            continue; // not run: an earlier script of its folder failed
        };
        specs.push(by_script.swap_remove(index).1?);
    }
    if specs.len() != scripts.len() {
        // Only reachable if a process skipped scripts without reporting a failure.
        return Err(ScriptError::Protocol {
            python: python.into(),
            scripts: scripts.iter().map(|s| s.path.as_str()).collect::<Vec<_>>().join(", "),
            detail: "some scripts were not run".into(),
        });
    }
    account_for_other_ffis(&others, &produced)?;
    Ok(specs)
}

/// Every FFI a script created besides the one it is listed for must be accounted for: one
/// with `set_source()` builds a module nobody asked for (an error, unless another entry
/// gives that module); one without builds nothing (said, unless another FFI includes it).
fn account_for_other_ffis(
    others: &[(&BuildScript, OtherFfi)],
    produced: &[String],
) -> Result<(), ScriptError> {
    for (script, other) in others {
        match &other.module {
            Some(module) if !produced.contains(module) => {
                return Err(ScriptError::UnlistedFfi {
                    path: script.path.clone(),
                    line: other.line,
                    module: module.clone(),
                    listed: script.spec(),
                    variable: other.variable.clone(),
                });
            }
            Some(_) => {}
            None if other.included => {}
            None => ui::warning(format!(
                "{}:{}: this FFI is skipped: it never calls set_source(), so it builds no module \
                 (`{}` builds the one from `{}`)",
                script.path, other.line, script.path, script.variable
            )),
        }
    }
    Ok(())
}

/// What the runner wrote before it ended.
#[derive(Default)]
struct Reply {
    /// The last script it started.
    running: Option<String>,
    results: Vec<ScriptResult>,
    /// It wrote every result.
    done: bool,
    /// A line that could not be read.
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ReplyLine {
    Running(String),
    Result(Box<ScriptResult>),
    Done(bool),
}

fn read_reply(path: &Path) -> Reply {
    let mut reply = Reply::default();
    let Ok(text) = std::fs::read_to_string(path) else { return reply };
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<ReplyLine>(line) {
            Ok(ReplyLine::Running(path)) => reply.running = Some(path),
            Ok(ReplyLine::Result(result)) => {
                reply.results.push(*result);
                reply.running = None;
            }
            Ok(ReplyLine::Done(done)) => reply.done = done,
            // A line cut short by the end of the process is not a protocol error.
            Err(e) if e.is_eof() => break,
            Err(e) => {
                reply.error = Some(e.to_string());
                break;
            }
        }
    }
    reply
}

fn spawn(
    python: &Path,
    root: &Path,
    import_dirs: &[PathBuf],
    group: &[&BuildScript],
    emit: bool,
    reply: &Path,
) -> Result<Running, ScriptError> {
    let request = serde_json::json!({
        "root": root,
        "import_dirs": import_dirs,
        "emit": emit,
        "reply": reply,
        "scripts": group.iter().map(|s| serde_json::json!({"path": s.path, "variable": s.variable})).collect::<Vec<_>>(),
    });
    let mut command = Command::new(python);
    command
        .arg("-c")
        .arg(HELPER)
        .current_dir(root)
        .stdin(Stdio::piped())
        // What scripts print is for humans: stderr (stdout carries only results).
        .stdout(std::io::stderr())
        .stderr(Stdio::inherit());
    let mut running = crate::process::spawn(&mut command)
        .map_err(|source| ScriptError::Spawn { python: python.into(), source })?;
    let stdin = running.child().stdin.take().expect("stdin is piped");
    // A broken pipe here means Python died early; the exit status tells the story. The
    // pipe is closed at once, so a script reading stdin sees its end.
    let _ = { stdin }.write_all(request.to_string().as_bytes());
    Ok(running)
}

#[derive(Deserialize)]
struct ScriptResult {
    kind: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    traceback: String,
    module: Option<String>,
    source: Option<String>,
    source_extension: Option<String>,
    /// Where the runner found set_source()'s C source in the script.
    #[serde(default)]
    source_at: Option<CdefAt>,
    #[serde(default)]
    kwds: serde_json::Map<String, Value>,
    pkgconfig: Option<Vec<String>>,
    #[serde(default)]
    cdefs: Vec<RecordedCdef>,
    /// Its `ffi.include()` calls, in order.
    #[serde(default)]
    includes: Vec<RecordedInclude>,
    #[serde(default)]
    features: Vec<String>,
    code: Option<String>,
    /// `ffi.embedding_api()` was called: the init code (cffi's `ffi._embedding`).
    #[serde(default)]
    embedding: Option<String>,
    /// The other FFIs the script created.
    #[serde(default)]
    others: Vec<OtherFfi>,
    /// The project's files the script read, relative to the project root.
    #[serde(default)]
    reads: Vec<PathBuf>,
}

#[derive(Clone, Deserialize)]
struct OtherFfi {
    line: usize,
    /// Its `set_source()` module name, if it was called.
    module: Option<String>,
    /// The module-level name it is bound to, if any.
    variable: Option<String>,
    /// Another FFI `include()`s it.
    #[serde(default)]
    included: bool,
}

#[derive(Deserialize)]
struct RecordedCdef {
    text: String,
    #[serde(rename = "override")]
    override_: bool,
    packed: bool,
    pack: Option<u32>,
    /// Given to `embedding_api()` rather than `cdef()`.
    #[serde(default)]
    dllexport: bool,
    /// Where the runner found the string in the script.
    #[serde(default)]
    at: Option<CdefAt>,
}

/// One `ffi.include(other)` call: the other FFI as the runner saw it.
#[derive(Deserialize)]
struct RecordedInclude {
    /// Its `set_source()` module name, if it was called.
    module: Option<String>,
    /// `"api"` or `"abi"`.
    mode: String,
    cdefs: Vec<RecordedCdef>,
    /// How many of the including FFI's own cdefs came before the call.
    after_cdefs: usize,
    #[serde(default)]
    includes: Vec<RecordedInclude>,
}

#[derive(Deserialize)]
struct CdefAt {
    /// Byte offset of the string's first character in the script (a literal that holds
    /// the text verbatim).
    offset: Option<usize>,
    /// Line of the `cdef()` call otherwise.
    line: Option<usize>,
}

/// The script (read once into `script`) and the offset of `text` in it, when the runner
/// found it there and the file holds it verbatim.
fn in_script(
    root: &Path,
    path: &str,
    text: &str,
    at: Option<&CdefAt>,
    script: &mut Option<Option<SourceFile>>,
) -> Option<(SourceFile, usize)> {
    let offset = at?.offset?;
    let file = script
        .get_or_insert_with(|| {
            std::fs::read_to_string(root.join(path)).ok().map(|text| SourceFile::new(path, text))
        })
        .as_ref()?;
    (file.text.get(offset..offset + text.len()) == Some(text)).then(|| (file.clone(), offset))
}

/// The script and the byte range of line `at.line` (without its indentation).
fn call_line(
    root: &Path,
    path: &str,
    at: Option<&CdefAt>,
    script: &mut Option<Option<SourceFile>>,
) -> Option<(SourceFile, std::ops::Range<usize>)> {
    let line = at?.line?;
    let file = script
        .get_or_insert_with(|| {
            std::fs::read_to_string(root.join(path)).ok().map(|text| SourceFile::new(path, text))
        })
        .as_ref()?;
    let start = file.text.split_inclusive('\n').take(line.checked_sub(1)?).map(str::len).sum::<usize>();
    let text = file.text.get(start..)?;
    let text = &text[..text.find('\n').unwrap_or(text.len())];
    let indent = text.len() - text.trim_start().len();
    Some((file.clone(), start + indent..start + text.trim_end().len()))
}

/// Marks the name of a cdef that could not be found in its script: errors then count
/// lines from the start of the string (`PipelineError` adds a note saying so).
pub const CDEF_STRING_MARKER: &str = "(cdef string of line";

/// What cdef errors point into: the script itself when the runner found the string there
/// verbatim, else the string alone under a name saying where it was given.
fn cdef_file(
    root: &Path,
    path: &str,
    index: usize,
    cdef: &RecordedCdef,
    script: &mut Option<Option<SourceFile>>,
) -> (SourceFile, usize) {
    let at = cdef.at.as_ref();
    if let Some(found) = in_script(root, path, &cdef.text, at, script) {
        return found;
    }
    let name = match at.and_then(|a| a.line) {
        Some(line) => format!("{path} {CDEF_STRING_MARKER} {line})"),
        None => format!("{path}: cdef #{}", index + 1),
    };
    (SourceFile::new(name, cdef.text.as_str()), 0)
}

/// How the user wrote a feature recorded by the runner.
fn feature_call(feature: &str) -> String {
    format!("ffi.{feature}()")
}

fn to_spec(
    python: &Path,
    root: &Path,
    script: &BuildScript,
    result: ScriptResult,
    emit: bool,
) -> Result<ModuleSpec, ScriptError> {
    let path = script.path.clone();
    match result.kind.as_str() {
        "ok" => {}
        "no_cffi" => return Err(ScriptError::NoCffi { python: python.into(), message: result.message }),
        "raised" => {
            return Err(ScriptError::Raised { path, message: result.message, traceback: result.traceback })
        }
        _ => return Err(ScriptError::Refused { path, message: result.message }),
    }
    let name = result.module.unwrap_or_default();
    let mut script_text = None;
    let mut options = build_options(&path, result.kwds).map_err(|e| match e {
        ScriptError::BadArgument { path: p, key, problem, .. } => {
            let at = call_line(root, &path, result.source_at.as_ref(), &mut script_text).map(Box::new);
            ScriptError::BadArgument { path: p, key, problem, at }
        }
        other => other,
    })?;
    if let Some(pkgconfig) = result.pkgconfig {
        options.pkg_config.extend(pkgconfig);
    }
    if result.embedding.is_some() {
        // An embedding library uses the full C API (cffi's docs: no Py_LIMITED_API).
        options.py_limited_api = Some(false);
    }
    if !result.features.is_empty() {
        let used: Vec<String> = result.features.iter().map(|f| feature_call(f)).collect();
        let message = format!("{name}: generated by cffi's emitter, since it uses {}", used.join(", "));
        // Only news when the native generator was asked for.
        if emit {
            ui::verbose("Note", message);
        } else {
            ui::status("Falling back", message);
        }
    }
    let cdefs = recorded_cdefs(root, &path, result.cdefs, &mut script_text);
    let includes = recorded_includes(root, &path, result.includes, &mut script_text);
    Ok(ModuleSpec {
        name,
        origin: ModuleOrigin::Script { path: PathBuf::from(&script.path), variable: script.variable.clone() },
        cdefs,
        source: result.source.map(|text| {
            let at = in_script(root, &path, &text, result.source_at.as_ref(), &mut script_text);
            CSource { text, extension: result.source_extension.unwrap_or_else(|| ".c".into()), at }
        }),
        options,
        pregenerated: result.code.map(|code| Pregenerated { code }),
        reads: result.reads,
        includes,
        embedding: result.embedding.map(|init_code| Embedding { init_code, target: None }),
    })
}

fn recorded_cdefs(
    root: &Path,
    path: &str,
    cdefs: Vec<RecordedCdef>,
    script_text: &mut Option<Option<SourceFile>>,
) -> Vec<CdefSource> {
    cdefs
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let (file, offset) = cdef_file(root, path, i, &c, script_text);
            CdefSource {
                file,
                text: c.text,
                offset,
                options: CdefOptions {
                    packed: c.packed,
                    pack: c.pack,
                    override_: c.override_,
                    dllexport: c.dllexport,
                },
            }
        })
        .collect()
}

fn recorded_includes(
    root: &Path,
    path: &str,
    includes: Vec<RecordedInclude>,
    script_text: &mut Option<Option<SourceFile>>,
) -> Vec<IncludeSpec> {
    includes
        .into_iter()
        .map(|inc| IncludeSpec {
            name: inc.module,
            mode: if inc.mode == "abi" { FfiMode::Abi } else { FfiMode::Api },
            cdefs: recorded_cdefs(root, path, inc.cdefs, script_text),
            after_cdefs: inc.after_cdefs,
            includes: recorded_includes(root, path, inc.includes, script_text),
        })
        .collect()
}

/// `set_source(**kwds)` → [`BuildOptions`], with setuptools' `Extension` keywords.
fn build_options(path: &str, kwds: serde_json::Map<String, Value>) -> Result<BuildOptions, ScriptError> {
    let mut options = BuildOptions::default();
    for (key, value) in kwds {
        let list = |value: Value| string_list(path, &key, value);
        match key.as_str() {
            // `set_source(..., pkgconfig=[...])`, as cffi's docstring shows it; our own
            // spelling is not a keyword cffi knows.
            "pkgconfig" => options.pkg_config.extend(list(value)?),
            "pkg_config" => unsupported(path, &key),
            "define_macros" => options.define_macros = defines(path, value)?,
            "py_limited_api" => {
                options.py_limited_api = match value {
                    Value::Bool(b) => Some(b),
                    Value::Null => None,
                    Value::Number(n) => Some(n.as_f64() != Some(0.0)),
                    other => return Err(bad(path, &key, format!("must be True or False, not {other}"))),
                }
            }
            // Every other list of strings among the build keys, by its setuptools name.
            name => match options.strings_mut(name) {
                Some(field) => *field = list(value)?,
                None => unsupported(path, &key),
            },
        }
    }
    Ok(options)
}

fn unsupported(path: &str, key: &str) {
    ui::warning(format!(
        "build script `{path}`: set_source() argument `{key}` is not supported by cffi-forge and is ignored"
    ));
}

fn bad(path: &str, key: &str, problem: String) -> ScriptError {
    ScriptError::BadArgument { path: path.into(), key: key.into(), problem, at: None }
}

/// A list of strings; a lone string is accepted with a warning, as setuptools tolerated
/// (`extra_link_args=""` → `[]`, `libraries="z"` → `["z"]`, args split like a shell).
fn string_list(path: &str, key: &str, value: Value) -> Result<Vec<String>, ScriptError> {
    match value {
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                other => Err(bad(path, key, format!("must hold strings only, found {other}"))),
            })
            .collect(),
        Value::String(s) => {
            ui::warning(format!(
                "build script `{path}`: set_source({key}={s:?}) should be a list of strings"
            ));
            Ok(if key.starts_with("extra_") && key.ends_with("_args") {
                shlex::split(&s).unwrap_or_else(|| vec![s.clone()])
            } else if s.is_empty() {
                Vec::new()
            } else {
                vec![s]
            })
        }
        Value::Null => Ok(Vec::new()),
        other => Err(bad(path, key, format!("must be a list of strings, not {other}"))),
    }
}

/// `[("NAME", "VALUE"), ("NAME", None)]`.
fn defines(path: &str, value: Value) -> Result<Vec<Define>, ScriptError> {
    let Value::Array(items) = value else {
        return Err(bad(
            path,
            "define_macros",
            format!("must be a list of (name, value) pairs, not {value}"),
        ));
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Array(pair) => match pair.as_slice() {
                [Value::String(name)] | [Value::String(name), Value::Null] => {
                    Ok(Define { name: name.clone(), value: None })
                }
                [Value::String(name), Value::String(v)] => {
                    Ok(Define { name: name.clone(), value: Some(v.clone()) })
                }
                [Value::String(name), Value::Number(v)] => {
                    Ok(Define { name: name.clone(), value: Some(v.to_string()) })
                }
                _ => Err(bad(
                    path,
                    "define_macros",
                    format!("has an entry that is not (name, value): {pair:?}"),
                )),
            },
            other => {
                Err(bad(path, "define_macros", format!("has an entry that is not (name, value): {other}")))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::ScriptSource;

    /// The Python with cffi that the tests use; fails loudly if cffi is missing.
    fn python() -> PathBuf {
        ui::set_verbosity(0); // status lines would bypass the test harness's capture
        let python =
            PathBuf::from(std::env::var_os("CFFI_FORGE_TEST_PYTHON").unwrap_or_else(|| "python3".into()));
        let ok = Command::new(&python).args(["-c", "import cffi"]).status().is_ok_and(|s| s.success());
        assert!(
            ok,
            "{} cannot import cffi: set CFFI_FORGE_TEST_PYTHON to a Python with cffi",
            python.display()
        );
        python
    }

    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn script(path: &str, variable: &str) -> BuildScript {
        BuildScript {
            path: path.into(),
            variable: variable.into(),
            source: ScriptSource::Config,
            ext_package: None,
        }
    }

    const API_SCRIPT: &str = r#"
import os, sys
from cffi import FFI
import _helper  # a sibling module: the script's folder is importable
assert __name__ == "__cffi__", __name__
assert os.path.basename(__file__) == "_foo_build.py", __file__
assert os.path.isfile("pyproject.toml"), os.getcwd()
print("chatty build script output")  # must not corrupt the reply
ffibuilder = FFI()
ffibuilder.cdef("int add(int, int);")
ffibuilder.cdef("struct pt { char c; int x; };", packed=True)
ffibuilder.set_source("pkg._foo", "int add(int a, int b) { return a + b; }",
    libraries=["m"], define_macros=[("A", "1"), ("B", None)], py_limited_api=False,
    sources=["src/extra.c"], extra_link_args="")
"#;

    #[test]
    fn runs_api_mode_script_like_setuptools_and_records_everything() {
        let dir = project(&[
            ("pyproject.toml", ""),
            ("src/pkg/_foo_build.py", API_SCRIPT),
            ("src/pkg/_helper.py", "X = 1\n"),
        ]);
        let specs = run_build_scripts(
            &python(),
            dir.path(),
            &[],
            &[script("src/pkg/_foo_build.py", "ffibuilder")],
            true,
        )
        .unwrap();
        let spec = &specs[0];
        assert_eq!(spec.name, "pkg._foo");
        assert_eq!(spec.cdefs.len(), 2);
        assert_eq!(spec.cdefs[0].text, "int add(int, int);");
        assert!(!spec.cdefs[0].options.packed && spec.cdefs[1].options.packed);
        // Errors point into the script itself, where the literal's text starts.
        let second = &spec.cdefs[1];
        assert_eq!(second.file.name, "src/pkg/_foo_build.py");
        assert_eq!(&second.file.text[second.offset..second.offset + second.text.len()], second.text);
        assert_eq!(second.file.line_col(second.offset), (11, 18));
        let source = spec.source.as_ref().unwrap();
        assert_eq!(source.extension, ".c");
        assert!(source.text.contains("return a + b"));
        assert_eq!(spec.options.libraries, ["m"]);
        assert_eq!(spec.options.sources, ["src/extra.c"]);
        assert!(spec.options.extra_link_args.is_empty());
        assert_eq!(
            spec.options.define_macros,
            [Define { name: "A".into(), value: Some("1".into()) }, Define { name: "B".into(), value: None }]
        );
        assert_eq!(spec.options.py_limited_api, Some(false));
        let code = &spec.pregenerated.as_ref().expect("emit was asked for").code;
        assert!(code.contains("PyInit__foo") && code.contains("_cffi_f_add"), "cffi's C for the module");
    }

    #[test]
    fn abi_mode_function_variable_pkgconfig_and_no_emit() {
        let abi = "import cffi\ndef make():\n    ffi = cffi.FFI()\n    ffi.cdef('int abs(int);')\n    \
                   ffi.set_source('_abi', None)\n    return ffi\n";
        let pkg = "from cffi import FFI\nffi = FFI()\nffi.cdef('int f(void);')\n\
                   ffi.set_source_pkgconfig('_pc', ['surely-not-installed >= 9'], '')\n";
        let dir = project(&[("abi_build.py", abi), ("tools/pc_build.py", pkg)]);
        let scripts = [script("abi_build.py", "make"), script("tools/pc_build.py", "ffi")];
        let specs = run_build_scripts(&python(), dir.path(), &[], &scripts, true).unwrap();
        assert_eq!(specs[0].name, "_abi");
        assert!(!specs[0].is_api_mode());
        assert!(specs[0].pregenerated.as_ref().unwrap().code.contains("_cffi_backend"));
        // pkg-config is left to cffi-forge: the script does not fail on a missing package.
        assert_eq!(specs[1].options.pkg_config, ["surely-not-installed >= 9"]);

        let specs = run_build_scripts(&python(), dir.path(), &[], &scripts, false).unwrap();
        assert!(specs.iter().all(|s| s.pregenerated.is_none()));
    }

    #[test]
    fn scripts_sharing_a_process_each_start_in_the_project_root() {
        let first = "# -*- coding: latin-1 -*-\nimport os\nfrom cffi import FFI\nos.chdir('/')\nname = 'é'\n\
                     ffi = FFI()\nffi.set_source('_a', None)\n";
        let second = "import os\nfrom cffi import FFI\nassert os.path.isfile('marker'), os.getcwd()\n\
                      ffi = FFI()\nffi.set_source('_b', None)\n";
        let dir = project(&[("marker", ""), ("second_build.py", second)]);
        // A latin-1 source file, as its coding line says.
        let mut bytes = first.as_bytes().to_vec();
        let at = bytes.iter().position(|&b| b == 0xc3).unwrap();
        bytes.splice(at..at + 2, [0xe9]);
        std::fs::write(dir.path().join("first_build.py"), bytes).unwrap();
        let scripts = [script("first_build.py", "ffi"), script("second_build.py", "ffi")];
        let specs = run_build_scripts(&python(), dir.path(), &[], &scripts, false).unwrap();
        assert_eq!(specs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["_a", "_b"]);
    }

    #[test]
    fn scripts_import_from_the_root_and_import_dirs_and_missing_modules_get_a_hint() {
        let script_text = "from cffi import FFI\nimport root_helper, src_helper\nffi = FFI()\n\
                           ffi.set_source(root_helper.NAME + src_helper.SUFFIX, None)\n";
        let dir = project(&[
            ("tools/x_build.py", script_text),
            ("root_helper.py", "NAME = '_from_root'\n"),
            ("src/src_helper.py", "SUFFIX = '_and_src'\n"),
            ("tools/y_build.py", "import surely_not_installed.sub\n"),
        ]);
        let src = dir.path().join("src");
        let specs =
            run_build_scripts(&python(), dir.path(), &[src], &[script("tools/x_build.py", "ffi")], false)
                .unwrap();
        assert_eq!(specs[0].name, "_from_root_and_src");

        let err = run_build_scripts(&python(), dir.path(), &[], &[script("tools/y_build.py", "ffi")], false)
            .unwrap_err();
        let text = err.to_diagnostic().render(false);
        assert!(text.contains("if `surely_not_installed` comes from PyPI"), "{text}");
        assert!(text.contains("[build-system] requires"), "{text}");
    }

    #[test]
    fn the_projects_files_a_script_reads_are_recorded_and_nothing_else() {
        let text = "from cffi import FFI\nimport root_helper\nffi = FFI()\n\
                    ffi.cdef(open('api.h').read())\nopen('written.txt', 'w').write('x')\n\
                    import json\nffi.set_source('_r', None)\n";
        let dir =
            project(&[("r_build.py", text), ("root_helper.py", "X = 1\n"), ("api.h", "int f(void);\n")]);
        let specs =
            run_build_scripts(&python(), dir.path(), &[], &[script("r_build.py", "ffi")], false).unwrap();
        // Not the script itself, a file it writes, nor the standard library.
        assert_eq!(specs[0].reads, [PathBuf::from("api.h"), PathBuf::from("root_helper.py")]);
    }

    #[test]
    fn set_unicode_adds_macros_and_forces_cffis_emitter() {
        let text = "from cffi import FFI\nffi = FFI()\nffi.set_unicode(True)\nffi.cdef('int f(void);')\n\
                    ffi.set_source('_u', 'int f(void) { return 1; }')\n";
        let dir = project(&[("u_build.py", text)]);
        let specs =
            run_build_scripts(&python(), dir.path(), &[], &[script("u_build.py", "ffi")], false).unwrap();
        let names: Vec<_> = specs[0].options.define_macros.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["UNICODE", "_UNICODE"]);
        assert!(specs[0].pregenerated.is_some());
    }

    #[test]
    fn with_the_native_generator_cffi_parses_a_cdef_only_when_something_reads_it() {
        // pycparser never sees the cdef unless the script asks cffi about it: a broken
        // cdef is left to cffi-forge's parser (and its diagnostics).
        let broken = "from cffi import FFI\nffi = FFI()\nffi.cdef('int f(;')\nffi.set_source('_b', None)\n";
        let asks = "from cffi import FFI\nffi = FFI()\nffi.cdef('struct s { int a; char b; };')\n\
                    ffi.cdef('typedef struct s s_t;')\nassert ffi.sizeof('s_t') == 8\n\
                    ffi.set_source('_a', None)\n";
        let dir = project(&[("broken_build.py", broken), ("asks_build.py", asks)]);
        let py = python();
        let broken = [script("broken_build.py", "ffi")];
        let specs = run_build_scripts(&py, dir.path(), &[], &broken, false).unwrap();
        assert_eq!(specs[0].cdefs[0].text, "int f(;");
        let err = run_build_scripts(&py, dir.path(), &[], &broken, true).unwrap_err();
        assert!(matches!(err, ScriptError::Raised { .. }), "cffi's emitter parses eagerly: {err:?}");

        let specs =
            run_build_scripts(&py, dir.path(), &[], &[script("asks_build.py", "ffi")], false).unwrap();
        assert_eq!(specs[0].cdefs.len(), 2);
    }

    #[test]
    fn failures_name_the_script_and_carry_cffis_message() {
        let raising = "from cffi import FFI\nffi = FFI()\n\nraise RuntimeError('no header here')\n";
        let silent = "from cffi import FFI\nffi = FFI()\nffi.cdef('int f(void);')\n";
        let dir = project(&[("a_build.py", raising), ("b/b_build.py", silent)]);
        let py = python();

        let err = run_build_scripts(&py, dir.path(), &[], &[script("a_build.py", "ffi")], false).unwrap_err();
        let ScriptError::Raised { path, message, traceback } = &err else { panic!("{err:?}") };
        assert_eq!((path.as_str(), message.as_str()), ("a_build.py", "RuntimeError: no header here"));
        assert!(traceback.contains("a_build.py\", line 4"), "{traceback}");
        assert!(!traceback.contains("<string>"), "helper frames are hidden: {traceback}");

        let err =
            run_build_scripts(&py, dir.path(), &[], &[script("b/b_build.py", "ffi")], false).unwrap_err();
        assert_eq!(err.to_string(), "'b/b_build.py:ffi': the set_source() method was not called");

        let err =
            run_build_scripts(&py, dir.path(), &[], &[script("b/b_build.py", "nope")], false).unwrap_err();
        assert_eq!(err.to_string(), "'b/b_build.py:nope': object 'nope' not found in module");

        // The first failure in the user's order wins, across processes.
        let both = [script("b/b_build.py", "ffi"), script("a_build.py", "ffi")];
        let err = run_build_scripts(&py, dir.path(), &[], &both, false).unwrap_err();
        assert!(matches!(err, ScriptError::Refused { .. }), "{err:?}");
    }
}
