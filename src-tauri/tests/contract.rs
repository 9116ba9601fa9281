//! The contract between the UI and the shell, checked without running either: every command the
//! UI invokes is registered, every registered command is invoked (or allow-listed with a reason),
//! and each call sends exactly the arguments its command takes (Tauri maps a Rust argument
//! `state_id` to the key `stateId`; `Option` arguments may be left out).
//!
//! The Rust side is read with `syn`: every `#[tauri::command]` fn under `src/` and the
//! `generate_handler![…]` list. The JS side is read by a small scanner rather than a JS parser:
//! the front end has no dependencies and no build step, and its calls are all in one simple style
//! (`invoke('name', { key, key: value, ...helper(x) })` in `ui/api.js`, an object built in a
//! variable or by a helper in the same file at most). Anything the scanner cannot read fails the
//! test, so a new style is noticed rather than passed over.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// Commands the UI does not invoke, and why that is right.
const NOT_INVOKED: &[(&str, &str)] = &[];

/// Arguments Tauri supplies itself, by the last segment of their type.
const INJECTED: &[&str] = &[
    "AppHandle",
    "State",
    "Window",
    "WebviewWindow",
    "Webview",
    "Channel",
    "Request",
];

/// One `#[tauri::command]` as the UI sees it.
#[derive(Debug, Default)]
struct Command {
    /// Where it is defined, for messages.
    file: String,
    /// Argument keys as the UI sends them, and whether each is required.
    args: BTreeMap<String, bool>,
}

/// One `invoke('name', …)` in the UI.
#[derive(Debug)]
struct Call {
    /// `file:line`, for messages.
    at: String,
    name: String,
    /// The keys sent.
    keys: BTreeSet<String>,
}

fn lower_camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn last_ident(ty: &syn::Type) -> Option<&syn::PathSegment> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last(),
        syn::Type::Reference(r) => last_ident(&r.elem),
        _ => None,
    }
}

/// The commands and the handler list in Rust sources.
#[derive(Default)]
struct RustSide {
    commands: BTreeMap<String, Command>,
    registered: Vec<String>,
    problems: Vec<String>,
    file: String,
}

impl<'ast> Visit<'ast> for RustSide {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let attr = f.attrs.iter().find(|a| {
            let segs: Vec<String> = a
                .path()
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            segs == ["tauri", "command"] || segs == ["command"]
        });
        if let Some(attr) = attr {
            // `#[tauri::command(rename_all = "snake_case")]` keeps the Rust names.
            let snake = matches!(&attr.meta, syn::Meta::List(l)
                if l.tokens.to_string().replace(' ', "").contains("rename_all=\"snake_case\""));
            let mut command = Command {
                file: self.file.clone(),
                ..Command::default()
            };
            for input in &f.sig.inputs {
                let syn::FnArg::Typed(arg) = input else {
                    continue;
                };
                let syn::Pat::Ident(name) = &*arg.pat else {
                    self.problems.push(format!(
                        "{}: a command argument of `{}` is not a plain name",
                        self.file, f.sig.ident
                    ));
                    continue;
                };
                let Some(seg) = last_ident(&arg.ty) else {
                    continue;
                };
                if INJECTED.contains(&seg.ident.to_string().as_str()) {
                    continue;
                }
                let name = name.ident.to_string();
                let key = if snake { name } else { lower_camel(&name) };
                command.args.insert(key, seg.ident != "Option");
            }
            let name = f.sig.ident.to_string();
            if self.commands.insert(name.clone(), command).is_some() {
                self.problems.push(format!(
                    "two commands are named `{name}` (one in {})",
                    self.file
                ));
            }
        }
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if m.path
            .segments
            .last()
            .is_some_and(|s| s.ident == "generate_handler")
        {
            let paths = m
                .parse_body_with(
                    syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
                )
                .expect("generate_handler! lists paths");
            self.registered.extend(
                paths
                    .iter()
                    .filter_map(|p| p.segments.last().map(|s| s.ident.to_string())),
            );
        }
        syn::visit::visit_macro(self, m);
    }
}

fn files_with(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files_with(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
    out.sort();
}

fn read_rust(root: &Path) -> RustSide {
    let mut side = RustSide::default();
    let mut files = Vec::new();
    files_with(&root.join("src"), "rs", &mut files);
    for path in files {
        let text = std::fs::read_to_string(&path).expect("a readable source file");
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        side.file = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        side.visit_file(&file);
    }
    side
}

// ---------- The JS side ----------

/// JS source with comments blanked out (newlines kept, so positions keep their lines); strings,
/// template literals and regular expressions are kept as they are.
fn strip_comments(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    // The last significant character outside comments: decides whether `/` starts a regex.
    let mut prev = b'\n';
    while i < b.len() {
        let c = b[i];
        match c {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = src[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
                out.extend(src[i..end].chars().filter(|&c| c == '\n'));
                i = end;
            }
            b'\'' | b'"' | b'`' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != c {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
                out.push_str(&src[start..i]);
                prev = c;
            }
            b'/' if b"(,=:[!&|?{};+-*%<>~^\n".contains(&prev) => {
                // A regular expression literal: copied up to its closing slash.
                let start = i;
                i += 1;
                let mut class = false;
                while i < b.len() && (class || b[i] != b'/') && b[i] != b'\n' {
                    match b[i] {
                        b'\\' => i += 1,
                        b'[' => class = true,
                        b']' => class = false,
                        _ => {}
                    }
                    i += 1;
                }
                i = (i + 1).min(b.len());
                out.push_str(&src[start..i]);
                prev = b'/';
            }
            _ => {
                let ch = src[i..].chars().next().expect("a character");
                out.push(ch);
                if !ch.is_whitespace() {
                    prev = if ch.is_ascii() { c } else { b'a' };
                } else if ch == '\n' && matches!(prev, b';' | b'{' | b'}') {
                    prev = b'\n';
                }
                i += ch.len_utf8();
            }
        }
    }
    out
}

/// The index just past the bracket that closes the one at `open`, skipping strings.
fn closing(src: &str, open: usize) -> Option<usize> {
    let b = src.as_bytes();
    let mut depth = 0;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'(' | b'{' | b'[' => depth += 1,
            b')' | b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Splits at top-level commas.
fn top_level(src: &str) -> Vec<&str> {
    let b = src.as_bytes();
    let (mut parts, mut start, mut i) = (Vec::new(), 0, 0);
    while i < b.len() {
        match b[i] {
            b'(' | b'{' | b'[' | b'\'' | b'"' | b'`' => {
                i = match b[i] {
                    b'\'' | b'"' | b'`' => {
                        let q = b[i];
                        let mut j = i + 1;
                        while j < b.len() && b[j] != q {
                            j += if b[j] == b'\\' { 2 } else { 1 };
                        }
                        j + 1
                    }
                    _ => closing(src, i).unwrap_or(b.len()),
                };
                continue;
            }
            b',' => {
                parts.push(src[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(src[start..].trim());
    parts.retain(|p| !p.is_empty());
    parts
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// The object literal a name is bound to in `src` before `before`: `const name = { … }`,
/// `const name = (…) => ({ … })` or `function name(…) { return { … }; }` (the last one wins).
fn bound_object<'a>(src: &'a str, name: &str, before: usize) -> Option<&'a str> {
    let mut found = None;
    for decl in ["const ", "let ", "var ", "function "] {
        let needle = format!("{decl}{name}");
        let mut from = 0;
        while let Some(at) = src[from..before].find(&needle).map(|a| a + from) {
            from = at + needle.len();
            let rest = &src[from..];
            if rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let body = if decl == "function " {
                let open = at + rest.find('{')? + needle.len();
                let end = closing(src, open)?;
                let ret = src[open..end].find("return ")? + open + "return ".len();
                src[ret..].trim_start().starts_with('{').then(|| {
                    let o = ret + src[ret..].find('{').expect("a brace");
                    &src[o..closing(src, o).expect("a closed object")]
                })
            } else {
                let value = rest.trim_start().strip_prefix('=')?.trim_start();
                let vstart = src.len() - value.len();
                if value.starts_with('{') {
                    Some(&src[vstart..closing(src, vstart)?])
                } else {
                    // An arrow function returning an object: `(…) => ({ … })`.
                    let arrow = value.find("=>").filter(|&a| !value[..a].contains(';'))?;
                    let after = value[arrow + 2..]
                        .trim_start()
                        .strip_prefix('(')?
                        .trim_start();
                    let o = src.len() - after.len();
                    after
                        .starts_with('{')
                        .then(|| closing(src, o).map(|e| &src[o..e]))
                        .flatten()
                }
            };
            if body.is_some() {
                found = body;
            }
        }
    }
    found
}

/// The keys of an object literal (`{ … }`), following spreads of objects bound in the file.
fn object_keys(src: &str, object: &str, at: usize) -> Result<BTreeSet<String>, String> {
    let inner = &object[1..object.len() - 1];
    let mut keys = BTreeSet::new();
    for entry in top_level(inner) {
        if let Some(spread) = entry.strip_prefix("...") {
            let name = spread.split('(').next().unwrap_or("").trim();
            let bound = bound_object(src, name, at)
                .ok_or_else(|| format!("cannot see which keys `...{spread}` adds"))?;
            keys.extend(object_keys(src, bound, at)?);
            continue;
        }
        let key = entry.split(':').next().unwrap_or("").trim();
        let key = key.trim_matches(|c| c == '\'' || c == '"');
        if !is_ident(key) {
            return Err(format!("cannot read the key of `{entry}`"));
        }
        keys.insert(key.to_owned());
    }
    Ok(keys)
}

/// Every `invoke('name', …)` call in one JS source.
fn js_calls(file: &str, raw: &str) -> Result<Vec<Call>, String> {
    let src = strip_comments(raw);
    let mut calls = Vec::new();
    let mut from = 0;
    while let Some(at) = src[from..].find("invoke(").map(|a| a + from) {
        from = at + "invoke(".len();
        let before = src[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '.') {
            continue;
        }
        let open = at + "invoke".len();
        let line = src[..at].matches('\n').count() + 1;
        let where_ = format!("{file}:{line}");
        let end = closing(&src, open).ok_or(format!("{where_}: an unclosed invoke("))?;
        let args = top_level(&src[open + 1..end - 1]);
        let Some(first) = args.first() else {
            return Err(format!("{where_}: invoke() without a command"));
        };
        let quoted = first.len() >= 2
            && (first.starts_with('\'') && first.ends_with('\'')
                || first.starts_with('"') && first.ends_with('"'));
        if !quoted {
            if first.starts_with('`') {
                return Err(format!(
                    "{where_}: a command name built at run time: {first}"
                ));
            }
            // The wrapper itself (`function invoke(cmd, args)`, `t.core.invoke(cmd, args)`)
            // passes a name on.
            continue;
        }
        let name = first[1..first.len() - 1].to_owned();
        let keys = match args.get(1).copied() {
            None => Ok(BTreeSet::new()),
            Some(obj) if obj.starts_with('{') => object_keys(&src, obj, at),
            Some(var) if is_ident(var) => bound_object(&src, var, at)
                .ok_or_else(|| format!("cannot see the object `{var}` holds"))
                .and_then(|o| object_keys(&src, o, at)),
            Some(other) => Err(format!("cannot read the arguments `{other}`")),
        }
        .map_err(|e| format!("{where_}: {name}: {e}"))?;
        if args.len() > 2 {
            return Err(format!(
                "{where_}: {name}: more than two arguments to invoke"
            ));
        }
        calls.push(Call {
            at: where_,
            name,
            keys,
        });
    }
    Ok(calls)
}

/// Every way the two sides disagree.
fn check(side: &RustSide, calls: &[Call], not_invoked: &[(&str, &str)]) -> Vec<String> {
    let mut problems = side.problems.clone();
    let registered: BTreeSet<&str> = side.registered.iter().map(String::as_str).collect();
    for name in &registered {
        if !side.commands.contains_key(*name) {
            problems.push(format!(
                "`{name}` is registered but no #[tauri::command] fn has that name"
            ));
        }
    }
    for (name, command) in &side.commands {
        if !registered.contains(name.as_str()) {
            problems.push(format!(
                "`{name}` ({}) is a command but not in generate_handler!",
                command.file
            ));
        }
    }
    let invoked: BTreeSet<&str> = calls.iter().map(|c| c.name.as_str()).collect();
    for name in &registered {
        let allowed = not_invoked.iter().any(|(n, _)| n == name);
        if !invoked.contains(name) && !allowed {
            problems.push(format!(
                "`{name}` is registered but the UI never invokes it"
            ));
        }
    }
    for call in calls {
        let Some(command) = side
            .commands
            .get(&call.name)
            .filter(|_| registered.contains(call.name.as_str()))
        else {
            problems.push(format!(
                "{}: `{}` is not a registered command",
                call.at, call.name
            ));
            continue;
        };
        for key in &call.keys {
            if !command.args.contains_key(key) {
                let takes: Vec<&str> = command.args.keys().map(String::as_str).collect();
                problems.push(format!(
                    "{}: `{}` does not take `{key}` (it takes: {})",
                    call.at,
                    call.name,
                    takes.join(", ")
                ));
            }
        }
        for (key, required) in &command.args {
            if *required && !call.keys.contains(key) {
                problems.push(format!(
                    "{}: `{}` needs `{key}`, which the call does not send",
                    call.at, call.name
                ));
            }
        }
    }
    problems
}

fn read_js(ui: &Path) -> Vec<Call> {
    let mut files = Vec::new();
    files_with(ui, "js", &mut files);
    let mut calls = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("a readable UI file");
        let file = path
            .strip_prefix(ui.parent().expect("ui/ has a parent"))
            .unwrap_or(&path);
        calls
            .extend(js_calls(&file.display().to_string(), &text).unwrap_or_else(|e| panic!("{e}")));
    }
    calls
}

#[test]
fn the_ui_invokes_exactly_the_commands_the_shell_registers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let side = read_rust(root);
    let calls = read_js(&root.join("../ui"));
    // A scanner that finds nothing must not pass.
    assert!(
        side.commands.len() >= 40,
        "found only {} commands",
        side.commands.len()
    );
    assert!(calls.len() >= 40, "found only {} invoke calls", calls.len());
    let problems = check(&side, &calls, NOT_INVOKED);
    assert!(
        problems.is_empty(),
        "the UI contract is broken:\n{}",
        problems.join("\n")
    );
}

/// The names of `build.rs`'s `AppManifest::commands(&[…])` list (what the capability file may
/// grant) and the capability's `allow-…` permissions, as command names.
fn declared_and_allowed(root: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let build = std::fs::read_to_string(root.join("build.rs")).expect("build.rs");
    let start = build
        .find(".commands(&[")
        .expect("build.rs declares the commands");
    let end = start + build[start..].find("])").expect("the list closes");
    let declared = build[start..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    let capability: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("capabilities/default.json")).expect("capability"),
    )
    .expect("the capability is JSON");
    let allowed = capability["permissions"]
        .as_array()
        .expect("a permission list")
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect();
    (declared, allowed)
}

/// A command the window may not call fails only at run time ("not allowed. Command not found"):
/// every registered command must be declared in build.rs and allowed in the capability, and
/// nothing else may be.
#[test]
fn every_registered_command_is_declared_and_allowed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let registered: BTreeSet<String> = read_rust(root).registered.into_iter().collect();
    let (declared, allowed) = declared_and_allowed(root);
    assert!(
        registered.len() >= 40,
        "found only {} commands",
        registered.len()
    );
    assert_eq!(
        registered.difference(&declared).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "registered but not declared in build.rs"
    );
    assert_eq!(
        declared.difference(&registered).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "declared in build.rs but not registered"
    );
    assert_eq!(
        registered.difference(&allowed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "registered but not allowed in capabilities/default.json"
    );
    assert_eq!(
        allowed.difference(&registered).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "allowed in capabilities/default.json but not registered"
    );
}

/// The checker on small sources of its own: what it must catch.
#[test]
fn the_checker_catches_what_it_should() {
    let rust = r#"
        #[tauri::command]
        pub async fn oauth_cancel(state: State<'_, AppState>, jobs: State<'_, Jobs>, state_id: String) {}
        #[tauri::command]
        pub async fn login(app: AppHandle, identifier: String, pds_host: Option<String>) {}
        #[tauri::command]
        pub async fn unused() {}
        fn main() { builder.invoke_handler(tauri::generate_handler![a::oauth_cancel, login, unused]); }
    "#;
    let mut side = RustSide::default();
    side.visit_file(&syn::parse_file(rust).unwrap());
    assert_eq!(
        side.commands["login"].args,
        BTreeMap::from([("identifier".into(), true), ("pdsHost".into(), false)])
    );
    let js = r#"
        // invoke('commented_out', {})
        const re = /\/\/ not a comment/; /* invoke('also_commented', {}) */
        const stepUp = ({ password = null } = {}) => ({ password, authFactorToken: null });
        export const cancel = (state) => invoke('oauth_cancel', { state });
        export const login = (id) => invoke('login', { identifier: id, ...stepUp() });
        export function nothing() { const args = { stateId: 'x' }; return invoke('oauth_cancel', args); }
        export const gone = () => invoke("no_such_command");
    "#;
    let calls = js_calls("api.js", js).unwrap();
    let names: Vec<&str> = calls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["oauth_cancel", "login", "oauth_cancel", "no_such_command"]
    );
    let problems = check(&side, &calls, &[]);
    let expected = [
        "api.js:5: `oauth_cancel` does not take `state` (it takes: stateId)",
        "api.js:5: `oauth_cancel` needs `stateId`, which the call does not send",
        "api.js:6: `login` does not take `authFactorToken` (it takes: identifier, pdsHost)",
        "api.js:6: `login` does not take `password` (it takes: identifier, pdsHost)",
        "api.js:8: `no_such_command` is not a registered command",
        "`unused` is registered but the UI never invokes it",
    ];
    let mut got = problems.clone();
    got.sort();
    let mut want: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    want.sort();
    assert_eq!(got, want);
    assert!(
        check(&side, &calls, &[("unused", "a test")])
            .iter()
            .all(|p| !p.contains("unused"))
    );
    assert!(js_calls("x.js", "invoke('x', someParam)").is_err());
}
