//! The core's layering, checked on every test run so it cannot quietly decay: a module imports
//! only from its own layer or lower ones, and no two modules import each other, directly or
//! round a circle. The layers are listed in `src/lib.rs` and in `docs/architecture.md`.
//!
//! It reads the sources as text (every `crate::<module>` outside comments, in code and in unit
//! tests alike) rather than compiling them: that is all the check needs, and it runs in
//! milliseconds without a dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers below the features, lowest first. Every other top-level module is a feature.
const LAYERS: &[&str] = &[
    "base", "config", "net", "identity", "store", "context", "auth",
];

/// Layer folders whose modules are checked for circles one by one, not only as a whole.
const FOLDERS: &[&str] = &["base", "config", "net", "store", "context", "auth"];

fn layer(top: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| *l == top)
        .unwrap_or(LAYERS.len())
}

/// A file's path below `src/` as the module path it defines (`store/state.rs` → `store::state`).
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop().expect("a file name");
    let stem = file.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_owned());
    }
    parts
}

/// The node a module path stands for in the circle check: the top-level module, or for a layer
/// folder its direct child.
fn node(path: &[String]) -> Option<String> {
    let top = path.first()?;
    match path.get(1) {
        Some(child) if FOLDERS.contains(&top.as_str()) => Some(format!("{top}::{child}")),
        _ => Some(top.clone()),
    }
}

/// Every `crate::a::b` path in `source`, comments left out.
fn crate_paths(source: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in source.lines() {
        let code = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let before = rest[..i].chars().last();
            rest = &rest[i + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // e.g. `stratos_crate::`
            }
            let path: Vec<String> = rest
                .split("::")
                .map(|seg| {
                    seg.chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect::<String>()
                })
                .take_while(|seg| {
                    !seg.is_empty() && seg.chars().next().is_some_and(char::is_lowercase)
                })
                .collect();
            if !path.is_empty() {
                out.push(path);
            }
        }
    }
    out
}

/// The import edges between nodes, and the layering violations, of a set of (file, source).
fn analyse(files: &[(Vec<String>, String)]) -> (BTreeMap<String, BTreeSet<String>>, Vec<String>) {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut violations = Vec::new();
    for (module, source) in files {
        let Some(from) = node(module) else { continue };
        edges.entry(from.clone()).or_default();
        for path in crate_paths(source) {
            let Some(to) = node(&path) else { continue };
            if to == from {
                continue;
            }
            if layer(&path[0]) > layer(&module[0]) {
                violations.push(format!(
                    "{} (layer {}) imports crate::{} (layer {})",
                    module.join("::"),
                    layer(&module[0]),
                    path.join("::"),
                    layer(&path[0])
                ));
            }
            edges.entry(from.clone()).or_default().insert(to);
        }
    }
    (edges, violations)
}

/// One circle in the graph, if there is any, as the nodes round it.
fn find_circle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut circle = stack[i..].to_vec();
            circle.push(n.to_owned());
            return Some(circle);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_owned());
        for next in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, edges, done, stack) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|n| visit(n, edges, &mut done, &mut Vec::new()))
}

fn read_tree(dir: &Path, root: &Path, out: &mut Vec<(Vec<String>, String)>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            read_tree(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).expect("below src");
            let source = std::fs::read_to_string(&path).expect("a source file");
            out.push((module_of(relative), source));
        }
    }
}

#[test]
fn the_core_is_layered_without_circles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_tree(&src, &src, &mut files);
    assert!(
        files.len() > 30,
        "read only {} files of {}",
        files.len(),
        src.display()
    );

    let (edges, violations) = analyse(&files);
    assert!(
        violations.is_empty(),
        "lower layers must not import higher ones:\n{}",
        violations.join("\n")
    );
    for layer in LAYERS {
        assert!(
            edges
                .keys()
                .any(|n| n == layer || n.starts_with(&format!("{layer}::"))),
            "no module of the layer {layer}"
        );
    }
    if let Some(circle) = find_circle(&edges) {
        panic!("import circle: {}", circle.join(" → "));
    }
}

/// The checker itself finds what it is for: an upward import and a circle.
#[test]
fn the_check_catches_an_upward_import_and_a_circle() {
    let file = |path: &str, source: &str| (module_of(Path::new(path)), source.to_owned());
    let files = [
        file(
            "base/problem.rs",
            "use crate::accounts::AccountsError; // crate::net in a comment",
        ),
        file(
            "accounts.rs",
            "use crate::devices::Device;\nuse crate::base::problem::Problem;",
        ),
        file(
            "devices/mod.rs",
            "fn f() { crate::accounts::Accounts::open(); }",
        ),
        file("net/xrpc.rs", "use crate::base::redact; /* fine */"),
    ];
    let (edges, violations) = analyse(&files);
    assert_eq!(
        violations,
        ["base::problem (layer 0) imports crate::accounts (layer 7)"]
    );
    assert!(find_circle(&edges).is_some());

    let (edges, _) = analyse(&files[1..]);
    let circle = find_circle(&edges).expect("a circle");
    assert_eq!(circle, ["accounts", "devices", "accounts"]);

    let (edges, violations) = analyse(&files[3..]);
    assert!(violations.is_empty() && find_circle(&edges).is_none());
}
