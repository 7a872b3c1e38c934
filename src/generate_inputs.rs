//! `cffi-forge generate`: for build systems that compile the modules themselves
//! (meson-python, scikit-build-core), each CFFI module's generated source and its build
//! inputs resolved for one interpreter (sources, include dirs, defines with the limited-API
//! macro, libraries, link args, pkg-config's flags, the output file name and package path),
//! as `<module>.json` and as snippets a `meson.build` (`subdir()`) or `CMakeLists.txt`
//! (`include()`) takes as they are, so the build file repeats no `set_source` keyword.
//!
//! Everything is resolved and rendered in memory first; files are written (atomically,
//! unchanged ones left alone so meson and CMake see nothing new) only when all succeeded.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use crate::compile::LimitedApi;
use crate::diagnostic::{Diagnostic, ToDiagnostic};
use crate::generator::{self, Generated};
use crate::pipeline::{self, PipelineError, ResolvedModule};
use crate::pkgconfig::PkgConfig;
use crate::spec::Language;
use crate::ui;

/// The file `subdir()` reads in the output directory: every module of the run.
pub const MESON_FILE: &str = "meson.build";
/// The file a CMakeLists.txt `include()`s: every module of the run.
pub const CMAKE_FILE: &str = "cffi-forge.cmake";

#[derive(Debug, thiserror::Error)]
pub enum GenerateInputsError {
    /// Boxed: pipeline errors are large.
    #[error(transparent)]
    Pipeline(Box<PipelineError>),
    #[error("{} declares no CFFI module named `{module}`", pyproject.display())]
    UnknownModule { module: String, pyproject: PathBuf, known: Vec<String> },
    #[error("{} declares no CFFI module (no [[tool.cffi-forge.module]] table or build script applies)", pyproject.display())]
    NoModules { pyproject: PathBuf },
    /// A build script's `sources` entry naming no file (tables are checked when read).
    #[error("module `{module}` ({origin}): source file {} does not exist", path.display())]
    MissingSource { module: String, origin: String, path: PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

impl From<PipelineError> for GenerateInputsError {
    fn from(e: PipelineError) -> Self {
        GenerateInputsError::Pipeline(Box::new(e))
    }
}

impl ToDiagnostic for GenerateInputsError {
    fn to_diagnostic(&self) -> Diagnostic {
        match self {
            GenerateInputsError::Pipeline(e) => e.as_ref().to_diagnostic(),
            GenerateInputsError::UnknownModule { module, known, .. } => {
                let closest = known
                    .iter()
                    .map(|n| (strsim::jaro_winkler(n, module), n))
                    .filter(|(score, _)| *score > 0.8)
                    .max_by(|a, b| a.0.total_cmp(&b.0));
                let help = match closest {
                    Some((_, name)) => format!("did you mean `{name}`?"),
                    None => format!(
                        "its modules are {} (full dotted names; leave --module out to write them all)",
                        known.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                    ),
                };
                Diagnostic::error(self.to_string()).with_help(help)
            }
            GenerateInputsError::Write { .. } => {
                Diagnostic::error(self.to_string()).with_help("choose an output directory you can write to")
            }
            GenerateInputsError::MissingSource { .. } => Diagnostic::error(self.to_string())
                .with_help("`sources` paths are relative to the project root (the folder of pyproject.toml)"),
            GenerateInputsError::NoModules { .. } => Diagnostic::error(self.to_string()),
        }
    }
}

/// What `cffi-forge generate` was asked for.
#[derive(Clone, Debug)]
pub struct Request {
    /// The project root (holding `pyproject.toml`).
    pub root: PathBuf,
    /// The interpreter the modules are built for (names the files, runs build scripts).
    pub python: PathBuf,
    /// One module (full dotted name), or every module when `None`.
    pub module: Option<String>,
    pub out_dir: PathBuf,
}

/// The resolved build inputs of one module: the content of `<module>.json`. Paths are
/// absolute; list keys are those of `set_source` (pkg-config's flags merged in, after
/// the user's own, as cffi merges them).
#[derive(Clone, Debug, Serialize)]
pub struct ModuleInputs {
    /// Full dotted name, e.g. `pkg._foo`.
    pub module: String,
    /// The table or build script declaring it.
    pub origin: String,
    /// "api" (a compiled extension) or "abi" (a generated `.py` for `ffi.dlopen`).
    pub mode: &'static str,
    /// "c" or "c++" (the generated source's language; API mode).
    pub language: Option<&'static str>,
    /// The interpreter the inputs were resolved for.
    pub interpreter: String,
    /// The generated source (`.c`/`.cpp` in API mode, `.py` in ABI mode).
    pub generated: String,
    /// The typed stub to install beside the module, unless `stubs = false`.
    pub stub: Option<String>,
    /// The module's file name, e.g. `_foo.abi3.so`, `_foo.cpython-312-x86_64-linux-gnu.so`.
    pub file_name: String,
    /// Its package's directory inside the wheel (`pkg/sub`, "" at the top level).
    pub package_path: String,
    /// Its path inside the wheel, e.g. `pkg/_foo.abi3.so`.
    pub install_path: String,
    /// Compiled against the limited API (the macros are in `define_macros`).
    pub limited_api: bool,
    /// The macros that decide the Python C API used (`Py_LIMITED_API=0x03080000`, or
    /// `_CFFI_NO_LIMITED_API` for a version-specific module), first in `define_macros`.
    pub limited_api_macros: Vec<String>,
    /// The tag a wheel of these modules gets from cffi-forge (platform before any audit).
    pub wheel_tag: String,
    /// Why the module is or is not abi3.
    pub abi3_reason: String,
    /// Every C file: the generated one first, then `sources`.
    pub sources: Vec<String>,
    pub include_dirs: Vec<String>,
    /// `Python.h`'s directories for this interpreter.
    pub python_include_dirs: Vec<String>,
    /// `[name, value]`, value `null` for a bare `-DNAME`.
    pub define_macros: Vec<(String, Option<String>)>,
    pub undef_macros: Vec<String>,
    pub libraries: Vec<String>,
    pub library_dirs: Vec<String>,
    pub runtime_library_dirs: Vec<String>,
    pub extra_objects: Vec<String>,
    pub extra_compile_args: Vec<String>,
    pub extra_link_args: Vec<String>,
    /// Link arguments every Python module of the platform needs (macOS:
    /// `-undefined dynamic_lookup`), kept apart from the user's.
    pub platform_link_args: Vec<String>,
    /// Files the module depends on besides its sources (`depends`).
    pub depends: Vec<String>,
    /// What pkg-config gave (already merged into the lists above).
    pub pkg_config: PkgConfigReport,
    /// The files this run wrote for the module.
    pub files: WrittenFiles,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct PkgConfigReport {
    /// The requirements asked for (`pkgconfig=[...]`, `pkg-config = [...]`).
    pub packages: Vec<String>,
    pub include_dirs: Vec<String>,
    pub define_macros: Vec<(String, Option<String>)>,
    pub extra_compile_args: Vec<String>,
    pub library_dirs: Vec<String>,
    pub libraries: Vec<String>,
    pub extra_link_args: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct WrittenFiles {
    pub json: String,
    pub meson: String,
    pub cmake: String,
}

/// Resolve, generate and render every requested module, then write the files. Returns
/// the modules' inputs (what their JSON files say).
pub fn generate(request: &Request) -> Result<Vec<ModuleInputs>, GenerateInputsError> {
    let (project, resolved) = pipeline::resolve_project(&request.root, &request.python, None)?;
    let root = project.root.clone();
    let pyproject = root.join("pyproject.toml");
    let out_dir = std::path::absolute(&request.out_dir).unwrap_or_else(|_| request.out_dir.clone());
    let known: Vec<String> = resolved.modules.iter().map(|m| m.spec.name.clone()).collect();
    let chosen: Vec<&ResolvedModule> = match &request.module {
        Some(name) => match resolved.modules.iter().find(|m| &m.spec.name == name) {
            Some(module) => vec![module],
            None if known.is_empty() => return Err(GenerateInputsError::NoModules { pyproject }),
            None => {
                return Err(GenerateInputsError::UnknownModule { module: name.clone(), pyproject, known })
            }
        },
        None if known.is_empty() => return Err(GenerateInputsError::NoModules { pyproject }),
        None => resolved.modules.iter().collect(),
    };
    if request.module.is_none() {
        let left: Vec<String> = resolved
            .extensions
            .iter()
            .map(|e| format!("extension `{}`", e.extension.name))
            .chain(resolved.libraries.iter().map(|l| format!("library `{}`", l.library.name)))
            .collect();
        if !left.is_empty() {
            ui::warning(format!(
                "{} not written: `generate` covers CFFI modules; build {} in the build file",
                left.join(", "),
                if left.len() == 1 { "it" } else { "them" }
            ));
        }
    }

    let interp = &resolved.interp;
    let python_include_dirs: Vec<String> = {
        let mut seen = BTreeSet::new();
        [&interp.include, &interp.platinclude]
            .into_iter()
            .flatten()
            .filter(|dir| seen.insert(dir.to_path_buf()))
            .map(|dir| dir.display().to_string())
            .collect()
    };
    let platform_link_args: Vec<String> =
        if interp.is_macos() { vec!["-undefined".into(), "dynamic_lookup".into()] } else { Vec::new() };
    let pkg_config = PkgConfig::from_env();

    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut all = Vec::new();
    let (mut meson_all, mut cmake_all) = (Vec::new(), Vec::new());
    for module in chosen {
        let spec = &module.spec;
        let code = match &spec.pregenerated {
            Some(pregenerated) => pregenerated.code.clone(),
            None => match generator::generate(spec) {
                Ok(Generated::C { code } | Generated::Python { code }) => code,
                Err(source) => {
                    return Err(PipelineError::Generate {
                        module: spec.name.clone(),
                        source: Box::new(source),
                    }
                    .into())
                }
            },
        };
        let extension = spec.source.as_ref().map_or(".py", |s| s.extension.as_str());
        let generated = out_dir.join(format!("{}{extension}", spec.name));
        let stub = if spec.options.stubs == Some(false) {
            None
        } else {
            match generator::typed_stub(spec) {
                Ok(text) => Some((out_dir.join(format!("{}.pyi", spec.name)), text)),
                // cffi's emitter made the module (`generator = "cffi"`) from a cdef only it
                // reads: no stub, as a wheel build does.
                Err(e) if spec.pregenerated.is_some() => {
                    ui::warning(format!("module `{}`: no typed stub: {e}", spec.name));
                    None
                }
                Err(source) => {
                    return Err(PipelineError::Generate {
                        module: spec.name.clone(),
                        source: Box::new(source),
                    }
                    .into())
                }
            }
        };

        // Checked here, not left to meson or CMake, so the error names the module's origin.
        if let Some(missing) = spec.options.sources.iter().map(|s| root.join(s)).find(|p| !p.is_file()) {
            return Err(GenerateInputsError::MissingSource {
                module: spec.name.clone(),
                origin: spec.origin.to_string(),
                path: missing,
            });
        }
        let mut options = spec.options.clone();
        let mut report = PkgConfigReport { packages: options.pkg_config.clone(), ..Default::default() };
        if !options.pkg_config.is_empty() {
            let flags = pkg_config
                .flags(&options.pkg_config)
                .map_err(|source| PipelineError::PkgConfig { module: spec.name.clone(), source })?;
            report.include_dirs = flags.include_dirs.clone();
            report.define_macros =
                flags.define_macros.iter().map(|d| (d.name.clone(), d.value.clone())).collect();
            report.extra_compile_args = flags.extra_compile_args.clone();
            report.library_dirs = flags.library_dirs.clone();
            report.libraries = flags.libraries.clone();
            report.extra_link_args = flags.extra_link_args.clone();
            flags.merge_into(&mut options);
        }

        let absolute = |p: &String| root.join(p).display().to_string();
        let limited_api_macros: Vec<(String, Option<String>)> =
            module.limited_api.macros().into_iter().map(|(n, v)| (n.to_string(), v)).collect();
        let stem = out_dir.join(&spec.name).display().to_string();
        let inputs = ModuleInputs {
            module: spec.name.clone(),
            origin: spec.origin.to_string(),
            mode: if spec.is_api_mode() { "api" } else { "abi" },
            language: spec.source.as_ref().map(|s| match s.language() {
                Language::C => "c",
                Language::Cxx => "c++",
            }),
            interpreter: interp.executable.display().to_string(),
            generated: generated.display().to_string(),
            stub: stub.as_ref().map(|(path, _)| path.display().to_string()),
            file_name: module.file.file_name.clone(),
            package_path: spec.package().replace('.', "/"),
            install_path: module.file.archive_path.clone(),
            limited_api: matches!(module.limited_api, LimitedApi::Abi3 { .. } | LimitedApi::Abi3t { .. }),
            limited_api_macros: limited_api_macros
                .iter()
                .map(|(n, v)| v.as_ref().map_or_else(|| n.clone(), |v| format!("{n}={v}")))
                .collect(),
            wheel_tag: resolved.naming.tag.to_string(),
            abi3_reason: resolved.naming.reason.clone(),
            sources: std::iter::once(generated.display().to_string())
                .chain(options.sources.iter().map(absolute))
                .filter(|_| spec.is_api_mode())
                .collect(),
            include_dirs: options.include_dirs.iter().map(absolute).collect(),
            python_include_dirs: python_include_dirs.clone(),
            define_macros: limited_api_macros
                .into_iter()
                .chain(options.define_macros.iter().map(|d| (d.name.clone(), d.value.clone())))
                .collect(),
            undef_macros: options.undef_macros.clone(),
            libraries: options.libraries.clone(),
            library_dirs: options.library_dirs.iter().map(absolute).collect(),
            runtime_library_dirs: options.runtime_library_dirs.iter().map(absolute).collect(),
            extra_objects: options.extra_objects.iter().map(absolute).collect(),
            extra_compile_args: options.extra_compile_args.clone(),
            extra_link_args: options.extra_link_args.clone(),
            platform_link_args: platform_link_args.clone(),
            depends: options.depends.iter().map(absolute).collect(),
            pkg_config: report,
            files: WrittenFiles {
                json: format!("{stem}.json"),
                meson: format!("{stem}.meson"),
                cmake: format!("{stem}.cmake"),
            },
        };
        let json = serde_json::to_string_pretty(&inputs).expect("module inputs serialise") + "\n";
        files.push((generated, code.into_bytes()));
        if let Some((path, text)) = stub {
            files.push((path, text.into_bytes()));
        }
        files.push((PathBuf::from(&inputs.files.json), json.into_bytes()));
        let meson = meson_snippet(&inputs, &root, &out_dir);
        let cmake = cmake_snippet(&inputs);
        files.push((PathBuf::from(&inputs.files.meson), meson.clone().into_bytes()));
        files.push((PathBuf::from(&inputs.files.cmake), cmake.clone().into_bytes()));
        meson_all.push(meson);
        cmake_all.push(cmake);
        all.push(inputs);
    }
    files.push((out_dir.join(MESON_FILE), aggregate(&all, &meson_all, "subdir()").into_bytes()));
    files.push((out_dir.join(CMAKE_FILE), aggregate(&all, &cmake_all, "include()").into_bytes()));

    std::fs::create_dir_all(&out_dir)
        .map_err(|source| GenerateInputsError::Write { path: out_dir.clone(), source })?;
    for (path, bytes) in &files {
        crate::atomic_write::write_atomically(path, bytes)
            .map_err(|source| GenerateInputsError::Write { path: path.clone(), source })?;
    }
    for inputs in &all {
        ui::status("Generated", format!("{} → {} ({})", inputs.module, inputs.file_name, inputs.files.json));
    }
    Ok(all)
}

/// `meson.build` / `cffi-forge.cmake`: every module's snippet of the run, inlined (meson
/// cannot include a file; a CMake include of each would tie the folder to this one).
fn aggregate(modules: &[ModuleInputs], snippets: &[String], how: &str) -> String {
    let names: Vec<&str> = modules.iter().map(|m| m.module.as_str()).collect();
    let mut out = format!(
        "# Written by `cffi-forge generate` for {how}: the modules {}. Do not edit: the next\n\
         # run rewrites it.\n",
        names.join(", ")
    );
    for snippet in snippets {
        out.push('\n');
        out.push_str(snippet);
    }
    out
}

fn header(inputs: &ModuleInputs, needs: &str) -> String {
    format!(
        "# Written by `cffi-forge generate`: module `{}` ({}), for {}.\n\
         # Do not edit: the next run rewrites it. {needs}\n",
        inputs.module, inputs.origin, inputs.interpreter
    )
}

/// A meson string literal.
fn meson_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'").replace('\n', "\\n"))
}

fn meson_list<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    let items: Vec<String> = items.into_iter().map(|s| meson_str(s)).collect();
    format!("[{}]", items.join(", "))
}

/// `path` as meson wants it from `dir` (the folder holding the snippet): relative when
/// both are inside the project (meson refuses absolute include directories in the source
/// tree), absolute otherwise.
fn meson_path(path: &str, root: &Path, dir: &Path) -> String {
    let path = Path::new(path);
    if !path.starts_with(root) || !dir.starts_with(root) {
        return path.display().to_string();
    }
    relative(dir, path).display().to_string()
}

/// `to` relative to the folder `from`, both absolute.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component> = from.components().collect();
    let to_parts: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to_parts).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return to.to_path_buf();
    }
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for part in &to_parts[common..] {
        out.push(part);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

fn macro_flags(inputs: &ModuleInputs) -> Vec<String> {
    inputs
        .define_macros
        .iter()
        .map(|(n, v)| v.as_ref().map_or_else(|| format!("-D{n}"), |v| format!("-D{n}={v}")))
        .chain(inputs.undef_macros.iter().map(|n| format!("-U{n}")))
        .collect()
}

fn link_flags(inputs: &ModuleInputs) -> Vec<String> {
    inputs
        .library_dirs
        .iter()
        .map(|d| format!("-L{d}"))
        .chain(inputs.libraries.iter().map(|l| format!("-l{l}")))
        .chain(inputs.runtime_library_dirs.iter().map(|d| format!("-Wl,-rpath,{d}")))
        .chain(inputs.extra_objects.iter().cloned())
        .chain(inputs.extra_link_args.iter().cloned())
        .chain(inputs.platform_link_args.iter().cloned())
        .collect()
}

/// The module as meson code: a `shared_module` named exactly as the JSON says, installed
/// in its package under `py.get_install_dir()`.
fn meson_snippet(inputs: &ModuleInputs, root: &Path, dir: &Path) -> String {
    let var = format!("cffi_forge_{}", inputs.module.replace('.', "_"));
    let basename = inputs.module.rsplit('.').next().unwrap_or(&inputs.module);
    let install_dir = if inputs.package_path.is_empty() {
        "py.get_install_dir()".to_string()
    } else {
        format!("py.get_install_dir() / {}", meson_str(&inputs.package_path))
    };
    let mut out = header(inputs, "Needs `py`: import('python').find_installation(pure: false).");
    if inputs.mode == "api" {
        let here = |p: &String| meson_path(p, root, dir);
        let sources: Vec<String> = inputs.sources.iter().map(here).collect();
        let includes: Vec<String> =
            inputs.include_dirs.iter().map(here).chain(inputs.python_include_dirs.iter().cloned()).collect();
        let compile: Vec<String> =
            macro_flags(inputs).into_iter().chain(inputs.extra_compile_args.iter().cloned()).collect();
        // A C++ module may list C files too: both compilers get the flags.
        let args_key = if inputs.language == Some("c++") { "cpp_args" } else { "c_args" };
        let suffix =
            inputs.file_name.strip_prefix(basename).unwrap_or(&inputs.file_name).trim_start_matches('.');
        out.push_str(&format!(
            "{var} = shared_module({name},\n  {sources},\n  name_prefix: '',\n  name_suffix: {suffix},\n  \
             include_directories: include_directories({includes}),\n  {args_key}: {compile},\n{c_too}  \
             link_args: {link},\n  install: true,\n  install_dir: {install_dir},\n)\n",
            name = meson_str(basename),
            sources = meson_list(&sources),
            suffix = meson_str(suffix),
            includes = meson_list(&includes).trim_start_matches('[').trim_end_matches(']'),
            compile = meson_list(&compile),
            link = meson_list(&link_flags(inputs)),
            c_too = if args_key == "cpp_args" {
                format!("  c_args: {},\n", meson_list(&compile))
            } else {
                String::new()
            },
        ));
    } else {
        out.push_str(&format!(
            "install_data({}, rename: {}, install_dir: {install_dir})\n",
            meson_str(&meson_path(&inputs.generated, root, dir)),
            meson_str(&inputs.file_name),
        ));
    }
    if let Some(stub) = &inputs.stub {
        out.push_str(&format!(
            "install_data({}, rename: {}, install_dir: {install_dir})\n",
            meson_str(&meson_path(stub, root, dir)),
            meson_str(&format!("{basename}.pyi")),
        ));
    }
    out
}

/// A CMake quoted argument.
fn cmake_str(s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('"', "\\\"").replace('$', "\\$").replace(';', "\\;");
    format!("\"{escaped}\"")
}

fn cmake_args(items: impl IntoIterator<Item = String>) -> String {
    items.into_iter().map(|s| cmake_str(&s)).collect::<Vec<_>>().join(" ")
}

/// The module as CMake code: a `MODULE` library target named after the module, its file
/// named exactly as the JSON says, installed in its package (relative to the install
/// prefix, which scikit-build-core points at the wheel's root).
fn cmake_snippet(inputs: &ModuleInputs) -> String {
    let target = cmake_str(&inputs.module);
    let basename = inputs.module.rsplit('.').next().unwrap_or(&inputs.module);
    let destination = cmake_str(if inputs.package_path.is_empty() { "." } else { &inputs.package_path });
    let mut out = header(inputs, "Needs CMake 3.13 or newer.");
    if inputs.mode == "api" {
        let suffix = inputs.file_name.strip_prefix(basename).unwrap_or(&inputs.file_name);
        let language = if inputs.language == Some("c++") { "CXX" } else { "C" };
        out.push_str(&format!(
            "add_library({target} MODULE {})\n",
            cmake_args(inputs.sources.iter().cloned())
        ));
        out.push_str(&format!(
            "set_target_properties({target} PROPERTIES PREFIX \"\" OUTPUT_NAME {} SUFFIX {} LINKER_LANGUAGE {language})\n",
            cmake_str(basename),
            cmake_str(suffix)
        ));
        let includes = inputs.include_dirs.iter().chain(&inputs.python_include_dirs).cloned();
        out.push_str(&format!("target_include_directories({target} PRIVATE {})\n", cmake_args(includes)));
        let defines = inputs
            .define_macros
            .iter()
            .map(|(n, v)| v.as_ref().map_or_else(|| n.clone(), |v| format!("{n}={v}")));
        if !inputs.define_macros.is_empty() {
            out.push_str(&format!("target_compile_definitions({target} PRIVATE {})\n", cmake_args(defines)));
        }
        let options: Vec<String> = inputs
            .undef_macros
            .iter()
            .map(|n| format!("-U{n}"))
            .chain(inputs.extra_compile_args.iter().cloned())
            .collect();
        if !options.is_empty() {
            out.push_str(&format!("target_compile_options({target} PRIVATE {})\n", cmake_args(options)));
        }
        if !inputs.library_dirs.is_empty() {
            let dirs = inputs.library_dirs.iter().cloned();
            out.push_str(&format!("target_link_directories({target} PRIVATE {})\n", cmake_args(dirs)));
        }
        let libraries: Vec<String> = inputs.libraries.iter().chain(&inputs.extra_objects).cloned().collect();
        if !libraries.is_empty() {
            out.push_str(&format!("target_link_libraries({target} PRIVATE {})\n", cmake_args(libraries)));
        }
        let link: Vec<String> = inputs
            .runtime_library_dirs
            .iter()
            .map(|d| format!("-Wl,-rpath,{d}"))
            .chain(inputs.extra_link_args.iter().cloned())
            .chain(inputs.platform_link_args.iter().cloned())
            .collect();
        if !link.is_empty() {
            out.push_str(&format!("target_link_options({target} PRIVATE {})\n", cmake_args(link)));
        }
        out.push_str(&format!("install(TARGETS {target} LIBRARY DESTINATION {destination})\n"));
    } else {
        out.push_str(&format!(
            "install(FILES {} DESTINATION {destination} RENAME {})\n",
            cmake_str(&inputs.generated),
            cmake_str(&inputs.file_name)
        ));
    }
    if let Some(stub) = &inputs.stub {
        out.push_str(&format!(
            "install(FILES {} DESTINATION {destination} RENAME {})\n",
            cmake_str(stub),
            cmake_str(&format!("{basename}.pyi"))
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_out_of_the_snippet_folder() {
        let root = Path::new("/p");
        assert_eq!(meson_path("/p/csrc/a.c", root, Path::new("/p/_cffi")), "../csrc/a.c");
        assert_eq!(meson_path("/p/_cffi/m.c", root, Path::new("/p/_cffi")), "m.c");
        assert_eq!(meson_path("/usr/include", root, Path::new("/p/_cffi")), "/usr/include");
    }

    #[test]
    fn literals_are_escaped() {
        assert_eq!(meson_str("it's \\"), "'it\\'s \\\\'");
        assert_eq!(cmake_str("a\"b;$c"), "\"a\\\"b\\;\\$c\"");
    }
}
