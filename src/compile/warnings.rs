//! Compiler warnings about a module's generated source. They usually mean the cdef and the
//! C disagree (a pointer type, a signedness, a const), which cffi cannot check and which
//! crashes or corrupts at run time, so they are shown at the normal verbosity: each once,
//! however often the generated code repeats the call, or as one summary line under `-q`.
//! Warnings about the user's own C files are theirs to judge and appear with `-v`, with the
//! rest of the compiler's output.

use crate::ui;

/// One warning: its message, and the `note:` lines the compiler attached to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub message: String,
    pub notes: Vec<String>,
}

/// The distinct warnings the compiler gave about `file_name`, in order (gcc, clang, MSVC).
pub fn parse(output: &str, file_name: &str) -> Vec<Warning> {
    let mut warnings: Vec<Warning> = Vec::new();
    // Whether the last diagnostic line was a warning we kept (its notes follow it).
    let mut in_warning = false;
    for line in output.lines() {
        let Some((_, rest)) = line.split_once(file_name) else { continue };
        if let Some(message) = after_marker(rest, &["warning:", "warning "]) {
            let message = message.trim().to_string();
            in_warning = !warnings.iter().any(|w| w.message == message);
            if in_warning {
                warnings.push(Warning { message, notes: Vec::new() });
            }
        } else if let Some(note) = after_marker(rest, &["note:"]) {
            if in_warning {
                let note = note.trim().to_string();
                let last = warnings.last_mut().expect("in_warning follows a push");
                if !last.notes.contains(&note) {
                    last.notes.push(note);
                }
            }
        } else if after_marker(rest, &["error"]).is_some() {
            in_warning = false;
        }
    }
    warnings
}

/// The text after the first of `markers` in a diagnostic's location part (`:12:3: warning:`
/// or MSVC's `(12): warning C4047:`).
fn after_marker<'a>(rest: &'a str, markers: &[&str]) -> Option<&'a str> {
    let located = rest.starts_with(':') || rest.starts_with('(');
    if !located {
        return None;
    }
    markers.iter().find_map(|m| rest.find(m).map(|i| &rest[i + m.len()..]))
}

/// Show the warnings of `module`'s generated source, as the verbosity asks.
pub fn show_generated(module: &str, output: &str, file_name: &str) {
    if ui::is_verbose() {
        ui::verbose("Output", output.trim_end());
        return;
    }
    let warnings = parse(output, file_name);
    if warnings.is_empty() {
        return;
    }
    if ui::verbosity() == 0 {
        let n = warnings.len();
        ui::warning(format!(
            "module `{module}`: the C compiler gave {n} warning{} about the generated code (the cdef and the C \
             may disagree); run without -q to see {}",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it" } else { "them" }
        ));
        return;
    }
    for warning in &warnings {
        let mut text = format!("module `{module}`: generated code: {}", warning.message);
        for note in &warning.notes {
            text.push_str(&format!("\n  note: {note}"));
        }
        ui::warning(text);
    }
    ui::status(
        "Hint",
        format!(
            "warnings about {module}'s generated code usually mean its cdef and C disagree; \
             -v shows the compiler's full output"
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_warnings_with_their_notes_for_the_generated_file_only() {
        let gcc = "gen/_mod.c: In function '_cffi_d_two':\n\
                   gen/_mod.c:419:14: warning: passing argument 1 of 'two' from incompatible pointer type [-Wincompatible-pointer-types]\n\
                   \x20 419 |   return two(x0);\n\
                   gen/_mod.c:377:14: note: expected 'int *' but argument is of type 'long int *'\n\
                   gen/_mod.c: In function '_cffi_f_two':\n\
                   gen/_mod.c:442:18: warning: passing argument 1 of 'two' from incompatible pointer type [-Wincompatible-pointer-types]\n\
                   gen/_mod.c:377:14: note: expected 'int *' but argument is of type 'long int *'\n\
                   helper.c:2:26: warning: unused variable 'x'\n";
        assert_eq!(
            parse(gcc, "_mod.c"),
            [Warning {
                message: "passing argument 1 of 'two' from incompatible pointer type [-Wincompatible-pointer-types]"
                    .into(),
                notes: vec!["expected 'int *' but argument is of type 'long int *'".into()],
            }]
        );
        let msvc =
            "gen\\_mod.c(419): warning C4133: 'function': incompatible types - from 'long *' to 'int *'\n";
        assert_eq!(
            parse(msvc, "_mod.c")[0].message,
            "C4133: 'function': incompatible types - from 'long *' to 'int *'"
        );
    }
}
