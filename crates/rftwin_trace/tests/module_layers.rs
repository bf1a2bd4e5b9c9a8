//! The crate's modules form layers (see the crate doc): a module may import only from
//! the layers below it, and no modules import each other in a circle. This reads the
//! sources and checks every `crate::…` / `super::…` path outside comments.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module → the top-level modules it may use.
fn allowed() -> BTreeMap<&'static str, &'static [&'static str]> {
    BTreeMap::from([
        ("lib", &["backend", "coverage", "error", "paths", "physics", "scattering", "scene_geometry", "tolerance"][..]),
        ("error", &[][..]),
        ("tolerance", &[][..]),
        ("backend", &["error"][..]),
        ("scene_geometry", &["error", "backend", "tolerance"][..]),
        ("physics", &["error", "tolerance"][..]),
        ("paths", &["error", "backend", "tolerance", "scene_geometry", "physics"][..]),
        ("scattering", &["error", "backend", "tolerance", "scene_geometry", "physics", "paths"][..]),
        ("coverage", &["error", "backend", "tolerance", "scene_geometry", "physics", "paths", "scattering"][..]),
    ])
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src/ is readable") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Module path of a source file, e.g. `paths::solver`, `scattering` (for `mod.rs`), `lib`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string()).collect();
    if parts.last().is_some_and(|l| l == "mod") {
        parts.pop();
    }
    parts
}

/// Module paths used by `code` (comments stripped), resolved against `this`
/// (`super::` from a file module is its parent's sibling).
fn used_modules(code: &str, this: &[String], is_mod_rs: bool) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        for (prefix, base) in [("crate::", Vec::new()), ("super::", {
            let mut b = this.to_vec();
            // `super` of `a/b.rs` (module a::b) is `a`; of `a/mod.rs` (module a) is the root
            if !is_mod_rs || !b.is_empty() {
                b.pop();
            }
            b
        })] {
            let mut rest = line;
            while let Some(i) = rest.find(prefix) {
                let preceded = rest[..i].chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
                rest = &rest[i + prefix.len()..];
                if preceded {
                    continue;
                }
                let mut path = base.clone();
                for seg in rest.split("::") {
                    let name: String = seg.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    // module names are lower case; stop at the first item (type, fn or const)
                    if name.is_empty() || !name.chars().all(|c| c.is_lowercase() || c == '_' || c.is_ascii_digit()) || name.len() != seg.len() {
                        if !name.is_empty() && name.chars().all(|c| c.is_lowercase() || c == '_' || c.is_ascii_digit()) {
                            path.push(name);
                        }
                        break;
                    }
                    path.push(name);
                }
                if !path.is_empty() {
                    out.insert(path);
                }
            }
        }
    }
    out
}

type Edges = BTreeMap<Vec<String>, BTreeSet<Vec<String>>>;

/// Every import circle of the module graph `edges`, as `a → b → … → a`.
fn circles(edges: &Edges) -> Vec<String> {
    fn visit(n: &Vec<String>, edges: &Edges, state: &mut BTreeMap<Vec<String>, u8>, stack: &mut Vec<Vec<String>>, cycles: &mut Vec<String>) {
        state.insert(n.clone(), 1);
        stack.push(n.clone());
        for m in edges.get(n).into_iter().flatten() {
            match state.get(m).copied().unwrap_or(0) {
                0 => visit(m, edges, state, stack, cycles),
                1 => {
                    let from = stack.iter().position(|s| s == m).unwrap_or(0);
                    let names: Vec<String> = stack[from..].iter().chain([m]).map(|p| p.join("::")).collect();
                    cycles.push(names.join(" → "));
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.clone(), 2);
    }
    let mut state = BTreeMap::new();
    let mut cycles = Vec::new();
    for n in edges.keys() {
        if state.get(n).copied().unwrap_or(0) == 0 {
            visit(n, edges, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    cycles
}

/// Module → module imports of the crate whose sources are in `src`.
fn module_edges(src: &Path) -> Edges {
    let mut files = Vec::new();
    sources(src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(src, f)).collect();
    let mut edges = Edges::new();
    for f in &files {
        let this = module_of(src, f);
        let code = std::fs::read_to_string(f).expect("readable");
        let is_mod_rs = f.file_name().is_some_and(|n| n == "mod.rs");
        for used in used_modules(&code, &this, is_mod_rs) {
            let target = (1..=used.len()).rev().map(|n| used[..n].to_vec()).find(|p| modules.contains(p));
            if let Some(target) = target.filter(|t| *t != this && !this.starts_with(t)) {
                edges.entry(this.clone()).or_default().insert(target);
            }
        }
    }
    edges
}

#[test]
fn no_crate_of_the_workspace_has_an_import_circle() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(&crates).expect("crates/ is readable") {
        let src = entry.expect("entry").path().join("src");
        if src.is_dir() {
            checked += 1;
            found.extend(circles(&module_edges(&src)).into_iter().map(|c| format!("{}: {c}", src.display())));
        }
    }
    assert!(checked >= 6, "found only {checked} crates");
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn modules_import_only_lower_layers_and_form_no_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    assert!(files.len() > 15, "found only {} source files", files.len());
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(&src, f)).collect();
    let allowed = allowed();
    let mut violations = Vec::new();
    let mut edges = Edges::new();
    for f in &files {
        let this = module_of(&src, f);
        let top = this.first().cloned().unwrap_or_else(|| "lib".into());
        let code = std::fs::read_to_string(f).expect("readable");
        let is_mod_rs = f.file_name().is_some_and(|n| n == "mod.rs");
        let Some(ok) = allowed.get(top.as_str()) else {
            violations.push(format!("{}: top-level module `{top}` has no layer in this test", f.display()));
            continue;
        };
        for used in used_modules(&code, &this, is_mod_rs) {
            // the longest known module that prefixes the used path
            let target = (1..=used.len()).rev().map(|n| used[..n].to_vec()).find(|p| modules.contains(p));
            let Some(target) = target else { continue };
            let target_top = target[0].as_str();
            if target_top != top && !ok.contains(&target_top) && top != "lib" {
                violations.push(format!("{} uses {} (layer `{top}` may use only {:?})", this.join("::"), target.join("::"), ok));
            }
            if target != this && !this.starts_with(&target) {
                edges.entry(this.clone()).or_default().insert(target);
            }
        }
    }
    violations.extend(circles(&edges).into_iter().map(|c| format!("import circle: {c}")));
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_checker_sees_a_circle() {
    // guard: the parser finds `crate::` paths in `use` lines and in expressions
    let used = used_modules("use crate::paths::solver::PathSolver;\nlet x = crate::physics::utd::atan2(a, b); // crate::coverage", &["x".into()], false);
    assert!(used.contains(&vec!["paths".to_string(), "solver".into()]));
    assert!(used.contains(&vec!["physics".to_string(), "utd".into(), "atan2".into()]));
    assert!(!used.iter().any(|p| p[0] == "coverage"), "comments are skipped");
}
