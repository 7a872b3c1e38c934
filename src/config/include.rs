//! `include = ["pkg._base"]`: a declarative module that includes another module of the
//! same project. Each name is replaced by the other module's declarations (and what it
//! includes itself), and the modules are put in dependency order, the included ones
//! first. A name no table defines, or modules that include each other, are errors
//! naming the key (and the chain).

use rustc_hash::{FxHashMap, FxHashSet};

use super::module_table::{IncludeEntry, ModuleTable, ModuleTableError};
use crate::diagnostic::SourceFile;
use crate::spec::{FfiMode, IncludeSpec, ModuleOrigin, ModuleSpec, TableRef};

/// Fill in the named includes of `specs` (built from `tables`, the declarative
/// module tables of `file`; `key` names table `i`, e.g. `tool.cffi-forge.module[0]`)
/// and sort `specs` so that every module comes after the modules it includes.
pub fn resolve(
    specs: &mut Vec<ModuleSpec>,
    tables: &[ModuleTable],
    file: &SourceFile,
    key: impl Fn(usize) -> String,
) -> Result<(), ModuleTableError> {
    if !tables
        .iter()
        .any(|t| t.include.iter().flatten().any(|e| matches!(e.get_ref(), IncludeEntry::Name(_))))
    {
        return Ok(());
    }
    let by_name: FxHashMap<String, usize> =
        specs.iter().enumerate().map(|(i, s)| (s.name.clone(), i)).collect();
    let mut r = Resolver {
        specs,
        tables,
        file,
        key: &key,
        by_name: &by_name,
        resolved: FxHashMap::default(),
        stack: Vec::new(),
        order: Vec::new(),
        placed: FxHashSet::default(),
    };
    for i in 0..r.specs.len() {
        r.visit(i)?;
    }
    let mut resolved = std::mem::take(&mut r.resolved);
    let order = std::mem::take(&mut r.order);
    let mut old: Vec<Option<ModuleSpec>> = std::mem::take(specs).into_iter().map(Some).collect();
    for i in order {
        let mut spec = old[i].take().expect("each module is placed once");
        if let Some(includes) = resolved.remove(&i) {
            spec.includes = includes;
        }
        specs.push(spec);
    }
    Ok(())
}

struct Resolver<'a, K: Fn(usize) -> String> {
    specs: &'a [ModuleSpec],
    tables: &'a [ModuleTable],
    file: &'a SourceFile,
    key: &'a K,
    by_name: &'a FxHashMap<String, usize>,
    /// Spec index → its includes with every name filled in.
    resolved: FxHashMap<usize, Vec<IncludeSpec>>,
    /// The modules being resolved, outermost first (for the cycle's chain).
    stack: Vec<usize>,
    /// Spec indices in dependency order.
    order: Vec<usize>,
    placed: FxHashSet<usize>,
}

impl<K: Fn(usize) -> String> Resolver<'_, K> {
    fn table_of(&self, spec: usize) -> Option<usize> {
        match &self.specs[spec].origin {
            ModuleOrigin::Declarative { table: TableRef::Module(i) } => Some(*i),
            _ => None,
        }
    }

    /// Resolve module `i` (after the modules it includes) and place it.
    fn visit(&mut self, i: usize) -> Result<(), ModuleTableError> {
        if self.placed.contains(&i) {
            return Ok(());
        }
        self.stack.push(i);
        let mut includes = self.specs[i].includes.clone();
        if let Some(t) = self.table_of(i) {
            for (n, entry) in self.tables[t].include.iter().flatten().enumerate() {
                let IncludeEntry::Name(name) = entry.get_ref() else { continue };
                let span = entry.span();
                let field = format!("{}.include[{n}]", (self.key)(t));
                let Some(&target) = self.by_name.get(name) else {
                    if let Some(skipped) = self.tables.iter().position(|t| t.name.get_ref() == name) {
                        return Err(ModuleTableError::Invalid {
                            key: field,
                            file: self.file.clone(),
                            span,
                            message: format!(
                                "`{name}` ({}) is not built for this interpreter: its `when` marker is false",
                                (self.key)(skipped)
                            ),
                        });
                    }
                    let mut known: Vec<&str> = self.specs.iter().map(|s| s.name.as_str()).collect();
                    known.sort_unstable();
                    return Err(ModuleTableError::Invalid {
                        key: field,
                        file: self.file.clone(),
                        span: span.clone(),
                        message: format!(
                            "no module of this project is named `{}` (the modules are {})",
                            name,
                            known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                        ),
                    });
                };
                if let Some(pos) = self.stack.iter().position(|&s| s == target) {
                    let chain: Vec<&str> = self.stack[pos..]
                        .iter()
                        .chain([&target])
                        .map(|&s| self.specs[s].name.as_str())
                        .collect();
                    return Err(ModuleTableError::Invalid {
                        key: field,
                        file: self.file.clone(),
                        span: span.clone(),
                        message: format!("modules include each other in a cycle: {}", chain.join(" -> ")),
                    });
                }
                self.visit(target)?;
                let other = &self.specs[target];
                includes[n] = IncludeSpec {
                    name: Some(other.name.clone()),
                    mode: if other.is_api_mode() { FfiMode::Api } else { FfiMode::Abi },
                    cdefs: other.cdefs.clone(),
                    after_cdefs: 0,
                    includes: self.resolved.get(&target).cloned().unwrap_or_else(|| other.includes.clone()),
                };
            }
        }
        self.stack.pop();
        self.resolved.insert(i, includes);
        self.placed.insert(i);
        self.order.push(i);
        Ok(())
    }
}
