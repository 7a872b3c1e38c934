//! The `cffi-forge` command line. Humans use `build`, `sdist` and `inspect`; the PEP 517
//! shim uses the hidden `pep517` commands; the cffi test harness uses `generate-c` and
//! `generate-py`. stdout carries only results; everything for humans goes to stderr.

// Generation allocates many small strings; mimalloc makes it about a third faster.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cffi_forge::config::module_table;
use cffi_forge::diagnostic::{Diagnostic, ToDiagnostic};
use cffi_forge::generate::{self, Generated};
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
    /// Generate the C source of an API-mode module from a spec file.
    #[command(name = "generate-c")]
    GenerateC(GenerateArgs),
    /// Generate the Python source of an ABI-mode module from a spec file.
    #[command(name = "generate-py")]
    GeneratePy(GenerateArgs),
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
    let cli = Cli::parse();
    ui::set_verbosity(if cli.quiet {
        0
    } else if cli.verbose {
        2
    } else {
        1
    });
    match cli.command {
        Command::GenerateC(args) => generate_command(args, false),
        Command::GeneratePy(args) => generate_command(args, true),
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
    let code = match (generate::generate(&spec), python) {
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
    if let Err(e) = write_atomically(&args.output, code.as_bytes()) {
        return report(&Diagnostic::error(format!("cannot write {}: {e}", args.output.display())));
    }
    ExitCode::SUCCESS
}

/// Write under a temporary name beside the target and rename on success, so a failure
/// never leaves a half-written file at the output path.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
