//! One build is one graph: the objects of every module and library compile in parallel,
//! then each library is archived once, then every module links.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use fs_err as fs;

use crate::spec::Language;

use super::compiler::Compiler;
use super::{CompileError, CompileJob, LibraryJob, Toolchain};

impl Toolchain {
    /// Compile every library and module, archive the libraries, link the modules;
    /// returns the built module files, in job order. Built files live in the build
    /// directory's cache: copy them, don't move them.
    pub fn build(&self, jobs: &[CompileJob], libraries: &[LibraryJob]) -> Result<Vec<PathBuf>, CompileError> {
        Ok(self.build_with_inputs(jobs, libraries)?.into_iter().map(|(module, _)| module).collect())
    }

    /// [`Toolchain::build`], with each module's inputs: the files its objects and the
    /// libraries it links were compiled from, headers included (the compiler's depfiles,
    /// as the object cache recorded them; with MSVC only the sources). For editable
    /// installs, which rebuild when one changes.
    pub fn build_with_inputs(
        &self,
        jobs: &[CompileJob],
        libraries: &[LibraryJob],
    ) -> Result<Vec<(PathBuf, Vec<PathBuf>)>, CompileError> {
        if let Some((slices, lipo)) = &self.universal {
            let built =
                slices.iter().map(|s| s.build_with_inputs(jobs, libraries)).collect::<Result<Vec<_>, _>>()?;
            // Every slice compiled the same sources: the first slice's inputs stand for all.
            return jobs
                .iter()
                .enumerate()
                .map(|(i, job)| {
                    let files: Vec<PathBuf> = built.iter().map(|b| b[i].0.clone()).collect();
                    let merged = super::darwin::merge(
                        &self.build_dir,
                        lipo,
                        &job.module,
                        &job.file_name,
                        &files,
                        &self.env,
                    )?;
                    Ok((merged, built[0][i].1.clone()))
                })
                .collect();
        }
        // A header edited since the last call is hashed anew.
        self.hashes.clear();
        let mut units = Vec::new();
        let owners = libraries.iter().enumerate().map(|(i, l)| (Owner::Library(i), &l.options, None)).chain(
            jobs.iter().enumerate().map(|(i, j)| (Owner::Module(i), &j.options, j.generated.as_ref())),
        );
        for (owner, options, generated) in owners {
            let mut sources: Vec<PathBuf> = generated.into_iter().cloned().collect();
            for source in &options.sources {
                let path = self.root.join(source);
                if !path.is_file() {
                    return Err(CompileError::MissingSource {
                        owner: owner.describe(jobs, libraries),
                        path: source.into(),
                    });
                }
                sources.push(path);
            }
            for source in sources {
                let language = language_of(&source);
                let tool = match language {
                    Language::C => self.c.clone(),
                    Language::Cxx => self.cxx()?,
                };
                units.push(Unit { owner, source, language, tool });
            }
        }
        fs::create_dir_all(self.build_dir.join("objects"))?;
        let objects = parallel(&units, self.jobs, |unit| self.compile(jobs, libraries, unit))?;
        let objects_of = |owner: Owner| -> Vec<PathBuf> {
            units.iter().zip(&objects).filter(|(u, _)| u.owner == owner).map(|(_, o)| o.clone()).collect()
        };
        let has_cxx = |owner: Owner| units.iter().any(|u| u.owner == owner && u.language == Language::Cxx);

        let archives: Vec<(usize, Vec<PathBuf>)> =
            (0..libraries.len()).map(|i| (i, objects_of(Owner::Library(i)))).collect();
        let archives = parallel(&archives, self.jobs, |(i, objects)| self.archive(&libraries[*i], objects))?;

        let built_names: Vec<&str> = libraries.iter().map(|l| l.name.as_str()).collect();
        let unit_objects = &objects;
        let links: Vec<(usize, Vec<PathBuf>)> =
            (0..jobs.len()).map(|i| (i, objects_of(Owner::Module(i)))).collect();
        parallel(&links, self.jobs, |(i, objects)| {
            let job = &jobs[*i];
            // The libraries this module names, as archives, in the order it names them.
            let linked: Vec<usize> = job
                .options
                .libraries
                .iter()
                .filter_map(|name| libraries.iter().position(|l| &l.name == name))
                .collect();
            let cxx = job.cxx_link
                || has_cxx(Owner::Module(*i))
                || linked.iter().any(|&l| has_cxx(Owner::Library(l)));
            let static_libs: Vec<&Path> = linked.iter().map(|&l| archives[l].as_path()).collect();
            let module = self.link(job, objects, &static_libs, &built_names, cxx)?;
            let mut inputs: Vec<PathBuf> =
                job.options.extra_objects.iter().map(|o| self.root.join(o)).collect();
            let owners: Vec<Owner> =
                std::iter::once(Owner::Module(*i)).chain(linked.iter().map(|&l| Owner::Library(l))).collect();
            for (unit, object) in units.iter().zip(unit_objects).filter(|(u, _)| owners.contains(&u.owner)) {
                inputs.push(unit.source.clone());
                inputs.extend(super::cache::recorded_deps(object));
            }
            inputs.sort();
            inputs.dedup();
            Ok((module, inputs))
        })
    }
}

/// What a source file belongs to: the index of a module job or of a library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Owner {
    Module(usize),
    Library(usize),
}

impl Owner {
    /// `module `pkg._foo`` / `library `bar``, for messages.
    pub(super) fn describe(self, jobs: &[CompileJob], libraries: &[LibraryJob]) -> String {
        match self {
            Owner::Module(i) => format!("module `{}`", jobs[i].module),
            Owner::Library(i) => format!("library `{}`", libraries[i].name),
        }
    }
}

pub(super) struct Unit {
    pub(super) owner: Owner,
    pub(super) source: PathBuf,
    pub(super) language: Language,
    pub(super) tool: Compiler,
}

impl Unit {
    /// The generated source of a CFFI module (not one of the user's own files).
    pub(super) fn is_generated(&self, jobs: &[CompileJob]) -> bool {
        matches!(self.owner, Owner::Module(i) if jobs[i].generated.as_ref() == Some(&self.source))
    }
}

/// C++ for the usual C++ extensions, C for everything else.
fn language_of(path: &Path) -> Language {
    match path.extension().and_then(|e| e.to_str()) {
        Some("cpp" | "cxx" | "cc" | "c++" | "C" | "CPP") => Language::Cxx,
        _ => Language::C,
    }
}

/// Run `f` over `items` on up to `jobs` threads; results in item order. After the first
/// failure no new item starts; of the items that ran, the earliest failure is returned.
pub(super) fn parallel<T: Sync, R: Send, E: Send>(
    items: &[T],
    jobs: usize,
    f: impl Fn(&T) -> Result<R, E> + Sync,
) -> Result<Vec<R>, E> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<R, E>>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() || failed.load(Ordering::Relaxed) {
                    break;
                }
                let result = f(&items[i]);
                if result.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                results.lock().unwrap()[i] = Some(result);
            });
        }
    });
    let mut out = Vec::with_capacity(items.len());
    for result in results.into_inner().unwrap() {
        match result {
            Some(Ok(r)) => out.push(r),
            Some(Err(e)) => return Err(e),
            None => {} // not started after a failure; that failure comes later in order
        }
    }
    Ok(out)
}
