//! The `cffi-forge` command line. Humans use `build`, `sdist` and `inspect`; the PEP 517
//! shim uses the hidden `pep517` commands; the cffi test harness uses `generate-c` and
//! `generate-py`. stdout carries only results; everything for humans goes to stderr.

// Generation allocates many small strings; mimalloc makes it about a third faster.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cffi_forge::audit::Compatibility;
use cffi_forge::config::module_table;
use cffi_forge::diagnostic::{Diagnostic, ToDiagnostic};
use cffi_forge::generator::{self, Generated};
use cffi_forge::pep517::{self, Hook};
use cffi_forge::pipeline::{self, WheelRequest};
use cffi_forge::ui;

#[derive(Parser)]
#[command(name = "cffi-forge", version, about = "Build wheels of CFFI projects, fast")]
struct Cli {
    /// Show every compiler command and other details.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Print errors only.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build a wheel of the project (into DIR/dist unless -o is given).
    Build(BuildArgs),
    /// Build a source distribution of the project (into DIR/dist unless -o is given).
    Sdist(SdistArgs),
    /// Build the project's embedding libraries (`ffi.embedding_api()`): shared libraries
    /// for C programs that run Python, linked with the interpreter's libpython. See
    /// docs/embedding.md.
    Embed(EmbedArgs),
    /// Show the resolved configuration: every module and where it comes from, libraries,
    /// extensions, the wheel's tag and why. Runs the build scripts; compiles nothing.
    Inspect(InspectArgs),
    /// Write the pyproject.toml tables of a setuptools project from its setup.py and
    /// setup.cfg, read statically (never run); list what could not be translated.
    Migrate(MigrateArgs),
    /// Backend of the PEP 517 hooks, called by the `cffi_forge` Python module.
    #[command(subcommand, hide = true)]
    Pep517(Pep517Command),
    /// Rebuild an editable install's modules into the build directory (run by its
    /// import hook when an input changed).
    #[command(name = "editable-rebuild", hide = true)]
    EditableRebuild(EditableRebuildArgs),
    /// Build the modules for a build-tool plugin (the hatchling / pdm-backend hooks) into a
    /// staging directory; print JSON: the files with their in-wheel paths, the wheel tag.
    #[command(name = "plugin-build", hide = true)]
    PluginBuild(PluginBuildArgs),
    /// Write the CFFI modules' generated source and resolved build inputs, for meson and
    /// CMake builds (meson-python, scikit-build-core).
    ///
    /// For each module: the source, `<module>.json` (sources, include dirs, defines with the
    /// limited-API macro, libraries, link args, pkg-config's flags, the file name and package
    /// path, resolved for one interpreter), `<module>.meson` and `<module>.cmake`; and
    /// `meson.build` (for `subdir()`) and `cffi-forge.cmake` (for `include()`) with every
    /// module of the run. See docs/plugins.md.
    Generate(GenerateInputsArgs),
    /// Generate the C source of an API-mode module from a spec file.
    #[command(name = "generate-c")]
    GenerateC(GenerateArgs),
    /// Generate the Python source of an ABI-mode module from a spec file.
    #[command(name = "generate-py")]
    GeneratePy(GenerateArgs),
    /// Generate the typed stub (`.pyi`) of a module from a spec file.
    #[command(name = "generate-pyi")]
    GeneratePyi(GenerateArgs),
}

#[derive(clap::Args)]
struct BuildArgs {
    /// The project directory (holding pyproject.toml).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Where to write the wheel [default: DIR/dist].
    #[arg(short, long)]
    out_dir: Option<PathBuf>,
    /// The Python interpreter to build for [default: python3 on PATH].
    #[arg(short, long)]
    interpreter: Option<PathBuf>,
    /// Build an editable wheel (PEP 660).
    #[arg(long)]
    editable: bool,
    /// Cross-build for this target triple (e.g. x86_64-pc-windows-gnu,
    /// aarch64-unknown-linux-gnu) [default: $CFFI_FORGE_TARGET, else the interpreter's
    /// platform]. See docs/cross.md.
    #[arg(long, value_name = "TRIPLE")]
    target: Option<String>,
    /// The platform tag of a Linux wheel: "auto" (the most compatible manylinux/musllinux
    /// policy the build satisfies), a policy ("manylinux_2_17", "manylinux2014",
    /// "musllinux_1_2"; the build fails unless it satisfies it), or "linux" (no audit).
    #[arg(long, value_parser = parse_compatibility)]
    compatibility: Option<Compatibility>,
}

#[derive(clap::Args)]
struct EmbedArgs {
    /// The project directory (holding pyproject.toml).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Where to write the libraries [default: DIR/dist].
    #[arg(short, long)]
    out_dir: Option<PathBuf>,
    /// The Python interpreter the libraries embed [default: python3 on PATH].
    #[arg(short, long)]
    interpreter: Option<PathBuf>,
    /// Cross-build for this target triple, as `build --target` (see docs/cross.md).
    #[arg(long, value_name = "TRIPLE")]
    target: Option<String>,
}

fn parse_compatibility(text: &str) -> Result<Compatibility, String> {
    Compatibility::parse(text)
}

#[derive(clap::Args)]
struct EditableRebuildArgs {
    /// The project directory (holding pyproject.toml).
    dir: PathBuf,
    /// The interpreter of the environment holding the editable install.
    #[arg(short, long)]
    interpreter: PathBuf,
}

#[derive(clap::Args)]
struct PluginBuildArgs {
    /// The project directory (holding pyproject.toml).
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// The interpreter the wheel is for.
    #[arg(short, long)]
    interpreter: PathBuf,
    /// Where to write the built files (at their in-wheel paths).
    #[arg(short, long)]
    out_dir: PathBuf,
    /// The hook table's build keys as a JSON object, merged over [tool.cffi-forge].
    #[arg(long)]
    options: Option<String>,
    /// The interpreter's facts as JSON (what backend/cffi_forge/_facts.py reports).
    #[arg(long)]
    interpreter_facts: Option<String>,
}

#[derive(clap::Args)]
struct SdistArgs {
    /// The project directory (holding pyproject.toml).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Where to write the sdist [default: DIR/dist].
    #[arg(short, long)]
    out_dir: Option<PathBuf>,
}

#[derive(clap::Args)]
struct InspectArgs {
    /// The project directory (holding pyproject.toml).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The Python interpreter to resolve for [default: python3 on PATH].
    #[arg(short, long)]
    interpreter: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Resolve for this target triple, as `build --target` builds for it.
    #[arg(long, value_name = "TRIPLE")]
    target: Option<String>,
}

#[derive(clap::Args)]
struct MigrateArgs {
    /// The project directory (holding setup.py and/or setup.cfg).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Write DIR/pyproject.toml (keeping what it already says) instead of printing it.
    #[arg(long)]
    write: bool,
}

/// The hooks, as `backend/cffi_forge/__init__.py` runs them from the project directory.
/// On success stdout holds the hook's result; on failure it is empty (the error is on stderr).
#[derive(Subcommand)]
enum Pep517Command {
    /// get_requires_for_build_wheel / _editable: a JSON list.
    RequiresForBuildWheel {
        #[command(flatten)]
        common: HookArgs,
        #[arg(long)]
        editable: bool,
    },
    /// prepare_metadata_for_build_wheel / _editable: the .dist-info directory name.
    PrepareMetadata {
        #[command(flatten)]
        common: HookArgs,
        #[arg(short, long)]
        out_dir: PathBuf,
        #[arg(long)]
        editable: bool,
    },
    /// build_wheel / build_editable: the wheel's file name.
    BuildWheel {
        #[command(flatten)]
        common: HookArgs,
        #[arg(short, long)]
        out_dir: PathBuf,
        #[arg(long)]
        metadata_directory: Option<PathBuf>,
        #[arg(long)]
        editable: bool,
        /// The `compatibility` config-setting.
        #[arg(long, value_parser = parse_compatibility)]
        compatibility: Option<Compatibility>,
    },
    /// build_sdist: the sdist's file name.
    BuildSdist {
        #[command(flatten)]
        common: HookArgs,
        #[arg(short, long)]
        out_dir: PathBuf,
    },
}

#[derive(clap::Args)]
struct HookArgs {
    /// The interpreter that called the hook.
    #[arg(short, long)]
    interpreter: PathBuf,
    /// Its facts as JSON (what backend/cffi_forge/_facts.py reports), so that no second
    /// Python starts to ask for them.
    #[arg(long)]
    interpreter_facts: Option<String>,
    /// The project directory.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
}

#[derive(clap::Args)]
struct GenerateInputsArgs {
    /// The project directory (holding pyproject.toml).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Only this module (its full dotted name, e.g. `pkg._foo`) [default: every module].
    #[arg(long)]
    module: Option<String>,
    /// Where to write the files (created if missing).
    #[arg(short, long)]
    out_dir: PathBuf,
    /// The Python interpreter the modules are for [default: python3 on PATH].
    #[arg(short, long)]
    interpreter: Option<PathBuf>,
}

#[derive(clap::Args)]
struct GenerateArgs {
    /// A TOML file with `[[module]]` tables (the schema of `[[tool.cffi-forge.module]]`).
    spec: PathBuf,
    /// Which module of the spec to generate.
    #[arg(long)]
    module: String,
    /// Where to write the generated source.
    #[arg(short, long)]
    output: PathBuf,
}

fn main() -> ExitCode {
    cffi_forge::timings::start();
    let code = run();
    cffi_forge::timings::finish();
    code
}

fn run() -> ExitCode {
    let cli = {
        let _t = cffi_forge::timings::phase("command-line");
        Cli::parse()
    };
    if let Err(e) = cffi_forge::process::stop_children_on_signals() {
        ui::warning(format!("cannot handle SIGINT/SIGTERM, so children may outlive an interrupted run: {e}"));
    }
    ui::set_verbosity(if cli.quiet {
        0
    } else if cli.verbose {
        2
    } else {
        1
    });
    match cli.command {
        Command::Build(args) => build_command(args),
        Command::Sdist(args) => sdist_command(args),
        Command::Embed(args) => embed_command(args),
        Command::Inspect(args) => inspect_command(args),
        Command::Migrate(args) => migrate_command(args),
        Command::Pep517(command) => pep517_command(command),
        Command::EditableRebuild(args) => match pipeline::rebuild_editable(&args.dir, &args.interpreter) {
            Ok(manifest) => {
                println!("{}", manifest.display());
                ExitCode::SUCCESS
            }
            Err(e) => report(&e.to_diagnostic()),
        },
        Command::PluginBuild(args) => plugin_build_command(args),
        Command::Generate(args) => generate_inputs_command(args),
        Command::GenerateC(args) => generate_command(args, false),
        Command::GeneratePy(args) => generate_command(args, true),
        Command::GeneratePyi(args) => generate_pyi_command(args),
    }
}

/// The default interpreter of `cffi-forge build`: the active virtual environment's,
/// else `python3` (`python` on Windows) on PATH.
fn default_python() -> PathBuf {
    let exe = if cfg!(windows) { "python.exe" } else { "python3" };
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        let python = PathBuf::from(venv).join(if cfg!(windows) { "Scripts" } else { "bin" }).join(exe);
        if python.is_file() {
            return python;
        }
    }
    PathBuf::from(exe)
}

/// `cffi-forge build`: the wheel's path on stdout.
fn build_command(args: BuildArgs) -> ExitCode {
    let request = WheelRequest {
        out_dir: args.out_dir.unwrap_or_else(|| args.dir.join("dist")),
        root: args.dir,
        python: args.interpreter.unwrap_or_else(default_python),
        editable: args.editable,
        compatibility: args.compatibility,
        target: cffi_forge::cross::requested(args.target.as_deref(), &cffi_forge::compile::process_env()),
    };
    match pipeline::build_wheel(&request) {
        Ok(wheel) => {
            println!("{}", wheel.display());
            ExitCode::SUCCESS
        }
        Err(e) => report(&e.to_diagnostic()),
    }
}

/// `cffi-forge embed`: the libraries' paths on stdout, one a line.
fn embed_command(args: EmbedArgs) -> ExitCode {
    let request = pipeline::embedded::EmbedRequest {
        out_dir: args.out_dir.unwrap_or_else(|| args.dir.join("dist")),
        root: args.dir,
        python: args.interpreter.unwrap_or_else(default_python),
        target: cffi_forge::cross::requested(args.target.as_deref(), &cffi_forge::compile::process_env()),
    };
    match pipeline::embedded::build_embedded(&request) {
        Ok(libraries) => {
            for library in libraries {
                println!("{}", library.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => report(&e.to_diagnostic()),
    }
}

/// `cffi-forge sdist`: the sdist's path on stdout.
fn sdist_command(args: SdistArgs) -> ExitCode {
    let out_dir = args.out_dir.unwrap_or_else(|| args.dir.join("dist"));
    match pipeline::build_sdist(&args.dir, &out_dir) {
        Ok(sdist) => {
            println!("{}", sdist.display());
            ExitCode::SUCCESS
        }
        Err(e) => report(&e.to_diagnostic()),
    }
}

/// `cffi-forge plugin-build`: the JSON report on stdout.
fn plugin_build_command(args: PluginBuildArgs) -> ExitCode {
    use cffi_forge::plugin;
    if let Some(json) = &args.interpreter_facts {
        if let Err(e) = cffi_forge::interpreter::Interpreter::provide(&args.interpreter, json) {
            return report(&e.to_diagnostic());
        }
    }
    let result = plugin::load_project(&args.dir, args.options.as_deref())
        .and_then(|project| plugin::build(project, &args.interpreter, None, &args.out_dir));
    match result {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => report(&e.to_diagnostic()),
    }
}

/// `cffi-forge generate`: each module's JSON file on stdout, one a line.
fn generate_inputs_command(args: GenerateInputsArgs) -> ExitCode {
    use cffi_forge::generate_inputs::{self, Request};
    let request = Request {
        root: args.dir,
        python: args.interpreter.unwrap_or_else(default_python),
        module: args.module,
        out_dir: args.out_dir,
    };
    match generate_inputs::generate(&request) {
        Ok(modules) => {
            for module in modules {
                println!("{}", module.files.json);
            }
            ExitCode::SUCCESS
        }
        Err(e) => report(&e.to_diagnostic()),
    }
}

/// `cffi-forge inspect`: the report on stdout.
fn inspect_command(args: InspectArgs) -> ExitCode {
    let python = args.interpreter.unwrap_or_else(default_python);
    let target = cffi_forge::cross::requested(args.target.as_deref(), &cffi_forge::compile::process_env());
    match pipeline::resolve_project(&args.dir, &python, target.as_deref()) {
        Ok((project, resolved)) => {
            let report = pipeline::inspect::Report::new(&project, &resolved);
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report).expect("reports serialise"));
            } else {
                print!("{}", report.render());
            }
            ExitCode::SUCCESS
        }
        Err(e) => report(&e.to_diagnostic()),
    }
}

/// `cffi-forge migrate`: the new pyproject.toml on stdout (or written with `--write`),
/// one `file:line: todo: ...` line on stderr for each thing left to do by hand.
fn migrate_command(args: MigrateArgs) -> ExitCode {
    let migration = match cffi_forge::migrate::migrate(&args.dir) {
        Ok(m) => m,
        Err(e) => return report(&e.to_diagnostic()),
    };
    if args.write {
        if let Err(e) = cffi_forge::migrate::write(&migration) {
            return report(&e.to_diagnostic());
        }
    } else {
        print!("{}", migration.pyproject);
    }
    for todo in &migration.todos {
        eprintln!("{todo}");
    }
    let todos = migration.todos.iter().filter(|t| t.level == "todo").count();
    let summary = format!("{todos} thing{} to do by hand", if todos == 1 { "" } else { "s" });
    if args.write {
        ui::status("Wrote", format!("{} ({summary})", migration.path.display()));
    } else {
        ui::status("Migrated", format!("pyproject.toml printed above ({summary}); --write writes it"));
    }
    ExitCode::SUCCESS
}

// The error is rendered once and the process exits: its size on the stack does not matter.
#[allow(clippy::result_large_err)]
fn pep517_command(command: Pep517Command) -> ExitCode {
    let (hook, common) = match command {
        Pep517Command::RequiresForBuildWheel { common, editable: _ } => (Hook::RequiresForBuildWheel, common),
        Pep517Command::PrepareMetadata { common, out_dir, editable: _ } => {
            (Hook::PrepareMetadata { out_dir }, common)
        }
        Pep517Command::BuildWheel { common, out_dir, metadata_directory, editable, compatibility } => {
            (Hook::BuildWheel { out_dir, metadata_dir: metadata_directory, editable, compatibility }, common)
        }
        Pep517Command::BuildSdist { common, out_dir } => (Hook::BuildSdist { out_dir }, common),
    };
    let provided = match &common.interpreter_facts {
        Some(json) => {
            let _t = cffi_forge::timings::phase("interpreter");
            cffi_forge::interpreter::Interpreter::provide(&common.interpreter, json)
        }
        None => Ok(()),
    };
    let result =
        provided.map_err(Into::into).and_then(|()| pep517::run(&hook, &common.dir, &common.interpreter));
    match result {
        Ok(result) => {
            println!("{result}");
            ExitCode::SUCCESS
        }
        // Rendered once, on stderr; stdout stays empty, so the shim exits with the status
        // alone instead of repeating the error.
        Err(e) => report(&e.to_diagnostic()),
    }
}

/// Render an error once, at the top.
fn report(diagnostic: &Diagnostic) -> ExitCode {
    ui::block(diagnostic.render(ui::stderr_is_styled()));
    ExitCode::FAILURE
}

/// `generate-c` / `generate-py`. Besides the rendered error, a failure prints one
/// `cffi-error: <Class>: <message>` line (newlines escaped) so the cffi test harness can
/// raise the exception cffi would have raised.
fn generate_command(args: GenerateArgs, python: bool) -> ExitCode {
    let spec = match module_table::load_spec_file(&args.spec, &args.module) {
        Ok(spec) => spec,
        Err(e) => return report(&e.to_diagnostic()),
    };
    let code = match (generator::generate(&spec), python) {
        (Ok(Generated::C { code }), false) | (Ok(Generated::Python { code }), true) => code,
        (Ok(_), _) => {
            let wanted = if python {
                "an ABI-mode module (no `source`)"
            } else {
                "an API-mode module (with `source`)"
            };
            return report(&Diagnostic::error(format!("module `{}` is not {wanted}", spec.name)));
        }
        (Err(e), _) => {
            let message = e.cffi_message().replace('\\', "\\\\").replace('\n', "\\n");
            eprintln!("cffi-error: {}: {}", e.cffi_class(), message);
            return report(&e.to_diagnostic());
        }
    };
    if let Err(e) = cffi_forge::atomic_write::write_atomically(&args.output, code.as_bytes()) {
        return report(&Diagnostic::error(format!("cannot write {}: {e}", args.output.display())));
    }
    ExitCode::SUCCESS
}

/// `generate-pyi`: the stub a wheel ships beside the module (API or ABI mode, as the
/// spec says).
fn generate_pyi_command(args: GenerateArgs) -> ExitCode {
    let spec = match module_table::load_spec_file(&args.spec, &args.module) {
        Ok(spec) => spec,
        Err(e) => return report(&e.to_diagnostic()),
    };
    let stub = match generator::typed_stub(&spec) {
        Ok(stub) => stub,
        Err(e) => return report(&e.to_diagnostic()),
    };
    if let Err(e) = cffi_forge::atomic_write::write_atomically(&args.output, stub.as_bytes()) {
        return report(&Diagnostic::error(format!("cannot write {}: {e}", args.output.display())));
    }
    ExitCode::SUCCESS
}
