//! Dependencies between the crate's top-level modules run one way: no module imports one
//! that imports it back (see `src/lib.rs`, "Modules").
//!
//! The test reads `src/**/*.rs` as text, without comments and literals, and takes an edge
//! `a → b` from every path into another top-level module: `crate::b…`, `super::…` (resolved
//! against the file and its inline modules), and in `lib.rs` the bare `b::…`. An item of the
//! crate root (`crate::Options`) is an edge to `lib`. It fails on any cycle, printing each
//! one with the lines that make it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

/// Where an edge was seen: the file (relative to the crate) and its line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Seen {
    file: String,
    line: usize,
    text: String,
}

/// `from → to → the places that import it`, between top-level modules (`lib` is the root).
type Graph = BTreeMap<String, BTreeMap<String, Vec<Seen>>>;

#[test]
fn top_level_modules_import_each_other_one_way_only() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect(&root.join("src"), &mut files);
    let sources: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(p).unwrap())
        })
        .collect();
    let graph = graph_of(&sources);
    for (from, tos) in &graph {
        println!(
            "{from} → {}",
            tos.keys().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    // The scanner sees the imports it must: a broken one would pass on an empty graph.
    for (from, to) in [("lib", "open"), ("open", "writer"), ("writer", "writes")] {
        assert!(
            graph.get(from).is_some_and(|t| t.contains_key(to)),
            "expected the edge {from} → {to}; the scanner missed it"
        );
    }
    let cycles = cycles(&graph);
    assert!(
        cycles.is_empty(),
        "modules import each other in a cycle:\n{}",
        render(&graph, &cycles)
    );
}

/// The checker itself: edges through `crate::`, `crate::{…}`, `super::super::` and the root's
/// bare paths, none from comments, strings or a module's own inline tests; and a back-import,
/// to a module or to an item of the root, is reported as a cycle with the line that makes it.
#[test]
fn a_back_import_is_reported_as_a_cycle() {
    let src = |f: &str, s: &str| (f.to_owned(), s.to_owned());
    let one_way = [
        src("src/lib.rs", "mod a;\nmod b;\npub use a::Thing;\n"),
        src(
            "src/a.rs",
            "use crate::{b::Other, c};\n// use crate::e;\nconst S: &str = \"crate::e::x\";\n\
             #[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
        ),
        src("src/b.rs", "use crate::c::Row;\nfn f() -> char { '{' }\n"),
        src("src/c/mod.rs", "mod d;\n"),
        src("src/c/d.rs", "use super::super::e::Thing;\n"),
        src("src/e.rs", "pub(crate) struct Thing;\n"),
    ];
    let graph = graph_of(&one_way);
    assert!(
        cycles(&graph).is_empty(),
        "{}",
        render(&graph, &cycles(&graph))
    );
    let edges: Vec<(&str, &str)> = graph
        .iter()
        .flat_map(|(f, t)| t.keys().map(move |t| (f.as_str(), t.as_str())))
        .collect();
    assert_eq!(
        edges,
        [("a", "b"), ("a", "c"), ("b", "c"), ("c", "e"), ("lib", "a")]
    );

    let mut back = one_way.to_vec();
    back[3] = src("src/c/mod.rs", "mod d;\nfn g() { crate::a::f(); }\n");
    let graph = graph_of(&back);
    let found = cycles(&graph);
    // One shortest cycle through each module on one: a → c → a, and b's through it.
    assert_eq!(found, [vec!["a", "b", "c"], vec!["a", "c"]]);
    let report = render(&graph, &found);
    assert!(report.contains("c → a: src/c/mod.rs:2"), "{report}");

    let mut back = one_way.to_vec();
    back[5] = src("src/e.rs", "use super::Options;\n");
    let found = cycles(&graph_of(&back));
    assert!(
        found.contains(&vec!["a".into(), "c".into(), "e".into(), "lib".into()]),
        "{found:?}"
    );
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file: `src/lib.rs` is `[]`, `src/a.rs` and `src/a/mod.rs` are `[a]`,
/// `src/a/b.rs` is `[a, b]`.
fn module_path(file: &str) -> Vec<String> {
    let inner = file.strip_prefix("src/").unwrap_or(file);
    let inner = inner.strip_suffix(".rs").unwrap_or(inner);
    let mut parts: Vec<String> = inner.split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
        parts.pop();
    }
    parts
}

fn graph_of(sources: &[(String, String)]) -> Graph {
    let modules: BTreeSet<String> = sources
        .iter()
        .filter_map(|(f, _)| module_path(f).into_iter().next())
        .collect();
    let mut graph = Graph::new();
    for (file, text) in sources {
        let path = module_path(file);
        let from = top(&path, &modules);
        let lines: Vec<&str> = text.lines().collect();
        for (to, line) in imports(&code_only(text), &path, &modules) {
            if to == from {
                continue;
            }
            graph
                .entry(from.clone())
                .or_default()
                .entry(to)
                .or_default()
                .push(Seen {
                    file: file.clone(),
                    line,
                    text: lines.get(line - 1).map_or("", |l| l.trim()).to_owned(),
                });
        }
    }
    graph
}

/// The top-level module a path names: its first segment if that is a module, else `lib`.
fn top(path: &[String], modules: &BTreeSet<String>) -> String {
    match path.first() {
        Some(m) if modules.contains(m) => m.clone(),
        _ => "lib".to_owned(),
    }
}

/// `src` with comments and string and char literals blanked (newlines kept), so that what is
/// left is code, and its braces balance.
fn code_only(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let (c, next) = (b[i], b.get(i + 1).copied());
        let ident_at = |j: usize| b[j].is_alphanumeric() || b[j] == '_';
        // `r` or `br` starting a token.
        let raw_prefix = match i {
            0 => true,
            1 => b[0] == 'b' || !ident_at(0),
            _ => !ident_at(i - 1) || (b[i - 1] == 'b' && !ident_at(i - 2)),
        };
        let end = if c == '/' && next == Some('/') {
            (i..b.len()).find(|&j| b[j] == '\n').unwrap_or(b.len())
        } else if c == '/' && next == Some('*') {
            let (mut j, mut depth) = (i, 0);
            while j < b.len() {
                if b[j] == '/' && b.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if b[j] == '*' && b.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            j
        } else if c == 'r' && raw_prefix && matches!(next, Some('"' | '#')) {
            let hashes = b[i + 1..].iter().take_while(|&&h| h == '#').count();
            let open = i + 1 + hashes;
            if b.get(open) == Some(&'"') {
                let closes =
                    |j: usize| b[j] == '"' && (1..=hashes).all(|k| b.get(j + k) == Some(&'#'));
                (open + 1..b.len())
                    .find(|&j| closes(j))
                    .map_or(b.len(), |j| j + 1 + hashes)
            } else {
                i + 1 // a raw identifier: code
            }
        } else if c == '"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != '"' {
                j += if b[j] == '\\' { 2 } else { 1 };
            }
            (j + 1).min(b.len())
        } else if c == '\'' && next == Some('\\') {
            (i + 3..b.len())
                .find(|&j| b[j] == '\'')
                .map_or(b.len(), |j| j + 1)
        } else if c == '\'' && b.get(i + 2) == Some(&'\'') {
            i + 3
        } else {
            out.push(c);
            i += 1;
            continue;
        };
        let is_code = c == 'r' && end == i + 1;
        for &ch in &b[i..end] {
            out.push(if is_code { ch } else { blank(ch) });
        }
        i = end;
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Path, // `::`
    Punct(char),
}

fn tokens(code: &str) -> Vec<(Tok, usize)> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            c if c.is_whitespace() => {}
            c if c.is_alphanumeric() || c == '_' => {
                let mut id = c.to_string();
                while let Some(&n) = chars.peek() {
                    if !(n.is_alphanumeric() || n == '_') {
                        break;
                    }
                    id.push(n);
                    chars.next();
                }
                out.push((Tok::Ident(id), line));
            }
            ':' if chars.peek() == Some(&':') => {
                chars.next();
                out.push((Tok::Path, line));
            }
            c => out.push((Tok::Punct(c), line)),
        }
    }
    out
}

/// The top-level modules `code` (of the file at module path `file`) names, with their lines.
fn imports(code: &str, file: &[String], modules: &BTreeSet<String>) -> Vec<(String, usize)> {
    let toks = tokens(code);
    let ident = |i: usize| match toks.get(i) {
        Some((Tok::Ident(s), _)) => Some(s.as_str()),
        _ => None,
    };
    let is = |i: usize, t: &Tok| toks.get(i).is_some_and(|(x, _)| x == t);
    let mut out = Vec::new();
    // Inline modules open in this file: (name, brace depth inside them).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < toks.len() {
        let line = toks[i].1;
        let here: Vec<String> = file
            .iter()
            .cloned()
            .chain(inline.iter().map(|(m, _)| m.clone()))
            .collect();
        let after_path = i > 0 && (is(i - 1, &Tok::Path) || is(i - 1, &Tok::Punct('$')));
        // Where a path starts, and the module it starts from.
        let start: Option<(Vec<String>, usize)> = match ident(i) {
            _ if after_path || !is(i + 1, &Tok::Path) => None,
            Some("crate") => Some((Vec::new(), i + 2)),
            Some("self") => Some((here.clone(), i + 2)),
            Some("super") => {
                let (mut base, mut j) = (here.clone(), i);
                while ident(j) == Some("super") && is(j + 1, &Tok::Path) {
                    base.pop();
                    j += 2;
                }
                Some((base, j))
            }
            Some(m) if here.is_empty() && modules.contains(m) => Some((Vec::new(), i)),
            _ => None,
        };
        if let Some((base, j)) = start {
            let mut firsts = Vec::new();
            if is(j, &Tok::Punct('{')) {
                // A group: the first segment of each entry at its own level.
                let (mut k, mut level, mut entry_start) = (j + 1, 1, true);
                while k < toks.len() && level > 0 {
                    match &toks[k].0 {
                        Tok::Punct('{') => level += 1,
                        Tok::Punct('}') => level -= 1,
                        Tok::Punct(',') if level == 1 => {
                            entry_start = true;
                            k += 1;
                            continue;
                        }
                        Tok::Ident(s) if level == 1 && entry_start => firsts.push(s.clone()),
                        _ => {}
                    }
                    entry_start = false;
                    k += 1;
                }
            } else if let Some(s) = ident(j) {
                firsts.push(s.to_owned());
            } else {
                firsts.push("self".to_owned());
            }
            for first in firsts {
                let mut target = base.clone();
                if first != "self" {
                    target.push(first);
                }
                out.push((top(&target, modules), line));
            }
        }
        match &toks[i].0 {
            Tok::Punct('{') => {
                depth += 1;
                if i >= 2 && ident(i - 2) == Some("mod") {
                    if let Some(name) = ident(i - 1) {
                        inline.push((name.to_owned(), depth));
                    }
                }
            }
            Tok::Punct('}') => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// One shortest cycle through each module that is on one, each as its modules in order
/// starting from the smallest name; no cycle twice.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let mut found = BTreeSet::new();
    for start in graph.keys() {
        // Breadth first from `start` back to it.
        let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue: VecDeque<&str> = VecDeque::from([start.as_str()]);
        let mut closed_by = None;
        while let Some(n) = queue.pop_front() {
            for next in graph.get(n).into_iter().flat_map(BTreeMap::keys) {
                if next == start {
                    closed_by = Some(n);
                    break;
                }
                if !came_from.contains_key(next.as_str()) {
                    came_from.insert(next.as_str(), n);
                    queue.push_back(next.as_str());
                }
            }
            if closed_by.is_some() {
                break;
            }
        }
        let Some(mut n) = closed_by else { continue };
        let mut cycle = vec![n.to_owned()];
        while n != start {
            n = came_from[n];
            cycle.push(n.to_owned());
        }
        cycle.reverse();
        let smallest = (0..cycle.len()).min_by_key(|&k| &cycle[k]).unwrap_or(0);
        cycle.rotate_left(smallest);
        found.insert(cycle);
    }
    found.into_iter().collect()
}

fn render(graph: &Graph, cycles: &[Vec<String>]) -> String {
    let mut out = String::new();
    for cycle in cycles {
        out.push_str(&format!("  {} → {}\n", cycle.join(" → "), cycle[0]));
        for (k, from) in cycle.iter().enumerate() {
            let to = &cycle[(k + 1) % cycle.len()];
            for seen in &graph[from][to] {
                out.push_str(&format!(
                    "    {from} → {to}: {}:{}  {}\n",
                    seen.file, seen.line, seen.text
                ));
            }
        }
    }
    out
}
