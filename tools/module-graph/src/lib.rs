//! The module dependency graph of a crate, read from its sources, and the cycles in it.
//!
//! The workspace's rule that modules depend one way (`shared/spec/architecture.md` in the
//! project's planning notes; the README's "Architecture"), checked: `tests/workspace.rs`
//! asserts it for every crate, and `cargo run -p module-graph -- <crate>/src` prints a graph.
//! Std only.
//!
//! Granularity is the **top-level module** (`server`, `routes`, `app`…): the modules the
//! crate root (`lib.rs`, else `main.rs`) declares. An edge `a -> b` means some file under `a`
//! names `crate::b…`, a root re-export of `b` (`crate::Config` when `lib.rs` has
//! `pub use config::Config`), or reaches `b` through `super::`. Every path counts, not only
//! `use` lines: `crate::x::f()` in a body is as much a dependency as an import. Comments and
//! string literals are blanked first, so doc links and text do not count. Files the root does
//! not declare (a binary's own modules) are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// Where an edge was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// File, relative to the `src` directory.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// Top-level modules and the dependencies between them.
#[derive(Debug, Default)]
pub struct Graph {
    /// Every top-level module of the crate.
    pub modules: BTreeSet<String>,
    /// `(from, to)` → where `from` names `to` (first sites first).
    pub edges: BTreeMap<(String, String), Vec<Site>>,
}

/// One cycle: `path[0] -> path[1] -> … -> path[0]`, with a site for each step.
#[derive(Debug)]
pub struct Cycle {
    /// The modules in order; the last one depends on the first.
    pub path: Vec<String>,
    /// Modules of the strongly connected component the cycle was found in.
    pub component: Vec<String>,
    /// A site per step `path[i] -> path[i + 1]` (wrapping).
    pub sites: Vec<Site>,
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chain = self.path.join(" -> ");
        if let Some(first) = self.path.first() {
            chain.push_str(" -> ");
            chain.push_str(first);
        }
        writeln!(f, "cycle: {chain}")?;
        for (i, site) in self.sites.iter().enumerate() {
            let from = &self.path[i];
            let to = &self.path[(i + 1) % self.path.len()];
            writeln!(f, "  {from} -> {to}   at {site}")?;
        }
        if self.component.len() > self.path.len() {
            writeln!(f, "  (all tangled together: {})", self.component.join(", "))?;
        }
        Ok(())
    }
}

impl Graph {
    /// Reads every `.rs` file under `src` (a crate's source directory).
    pub fn of_src(src: &Path) -> std::io::Result<Self> {
        let root = ["lib.rs", "main.rs"]
            .iter()
            .map(|r| src.join(r))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("no lib.rs or main.rs in {}", src.display()),
                )
            })?;
        let root_text = strip(&std::fs::read_to_string(&root)?);
        let root_tokens = tokens(&root_text);
        let modules = declared_modules(&root_tokens);
        let reexports = root_reexports(&root_tokens, &modules);
        let mut graph = Graph {
            modules,
            edges: BTreeMap::new(),
        };
        let mut files = Vec::new();
        rust_files(src, &mut files)?;
        files.sort();
        for file in files {
            let rel = file.strip_prefix(src).unwrap_or(&file).to_path_buf();
            let Some(module_path) = module_path(&rel) else {
                continue;
            };
            if !graph.modules.contains(&module_path[0]) {
                continue;
            }
            let text = strip(&std::fs::read_to_string(&file)?);
            for (to, line) in references(&tokens(&text), &module_path) {
                let to = match reexports.get(&to) {
                    Some(m) if !graph.modules.contains(&to) => m.clone(),
                    _ => to,
                };
                if to != module_path[0] && graph.modules.contains(&to) {
                    graph
                        .edges
                        .entry((module_path[0].clone(), to))
                        .or_default()
                        .push(Site {
                            file: rel.clone(),
                            line,
                        });
                }
            }
        }
        Ok(graph)
    }

    /// The modules `from` depends on.
    pub fn deps(&self, from: &str) -> BTreeSet<&str> {
        self.edges
            .keys()
            .filter(|(f, _)| f == from)
            .map(|(_, t)| t.as_str())
            .collect()
    }

    /// Every cycle, one per strongly connected component of more than one module.
    pub fn cycles(&self) -> Vec<Cycle> {
        let mut out = Vec::new();
        for component in self.components() {
            if component.len() < 2 {
                continue;
            }
            let members: BTreeSet<&str> = component.iter().map(String::as_str).collect();
            let start = component[0].as_str();
            let path = self.shortest_cycle(start, &members);
            let sites = (0..path.len())
                .map(|i| {
                    let key = (path[i].clone(), path[(i + 1) % path.len()].clone());
                    self.edges[&key][0].clone()
                })
                .collect();
            out.push(Cycle {
                path,
                component: component.clone(),
                sites,
            });
        }
        out
    }

    /// `a -> b` lines, for a report.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for m in &self.modules {
            let deps: Vec<&str> = self.deps(m).into_iter().collect();
            out.push_str(&format!("{m} -> {}\n", deps.join(", ")));
        }
        out
    }

    /// Strongly connected components (Tarjan), each sorted.
    fn components(&self) -> Vec<Vec<String>> {
        struct State<'a> {
            graph: &'a Graph,
            index: BTreeMap<&'a str, usize>,
            low: BTreeMap<&'a str, usize>,
            stack: Vec<&'a str>,
            on_stack: BTreeSet<&'a str>,
            next: usize,
            out: Vec<Vec<String>>,
        }
        fn visit<'a>(s: &mut State<'a>, v: &'a str) {
            s.index.insert(v, s.next);
            s.low.insert(v, s.next);
            s.next += 1;
            s.stack.push(v);
            s.on_stack.insert(v);
            for w in s.graph.deps(v) {
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let lw = s.low[w];
                    let lv = s.low[v];
                    s.low.insert(v, lv.min(lw));
                } else if s.on_stack.contains(w) {
                    let iw = s.index[w];
                    let lv = s.low[v];
                    s.low.insert(v, lv.min(iw));
                }
            }
            if s.low[v] == s.index[v] {
                let mut comp = Vec::new();
                while let Some(w) = s.stack.pop() {
                    s.on_stack.remove(w);
                    comp.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                comp.sort();
                s.out.push(comp);
            }
        }
        let mut s = State {
            graph: self,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            on_stack: BTreeSet::new(),
            next: 0,
            out: Vec::new(),
        };
        for m in &self.modules {
            if !s.index.contains_key(m.as_str()) {
                visit(&mut s, m);
            }
        }
        s.out.sort();
        s.out
    }

    /// The shortest way from `start` back to itself inside `members` (breadth first).
    fn shortest_cycle(&self, start: &str, members: &BTreeSet<&str>) -> Vec<String> {
        let mut prev: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(v) = queue.pop_front() {
            for w in self.deps(v) {
                if !members.contains(w) {
                    continue;
                }
                if w == start {
                    let mut path = vec![v.to_owned()];
                    let mut at = v;
                    while at != start {
                        at = prev[at];
                        path.push(at.to_owned());
                    }
                    path.reverse();
                    return path;
                }
                if !prev.contains_key(w) && w != start {
                    prev.insert(w, v);
                    queue.push_back(w);
                }
            }
        }
        vec![start.to_owned()]
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// `realtime/open.rs` → `[realtime, open]`; `realtime/mod.rs` → `[realtime]`; the crate
/// roots → `None`.
fn module_path(rel: &Path) -> Option<Vec<String>> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop()?;
    let stem = last.strip_suffix(".rs")?;
    if parts.is_empty() && (stem == "lib" || stem == "main") {
        return None;
    }
    if stem != "mod" {
        parts.push(stem.to_owned());
    }
    (!parts.is_empty()).then_some(parts)
}

/// A token of the blanked source: an identifier or keyword, or one punctuation mark (`::` is
/// one token), with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    text: String,
    line: usize,
}

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token {
                text: chars[start..i].iter().collect(),
                line,
            });
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push(Token {
                text: "::".into(),
                line,
            });
            i += 2;
        } else {
            out.push(Token {
                text: c.to_string(),
                line,
            });
            i += 1;
        }
    }
    out
}

fn is_ident(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// `mod x;` and `mod x { … }` at the root's top level (attributes such as `#[cfg]` allowed).
fn declared_modules(tokens: &[Token]) -> BTreeSet<String> {
    let mut depth = 0usize;
    let mut out = BTreeSet::new();
    for (i, t) in tokens.iter().enumerate() {
        match t.text.as_str() {
            "{" => depth += 1,
            "}" => depth = depth.saturating_sub(1),
            "mod" if depth == 0 => {
                if let Some(name) = tokens.get(i + 1).filter(|n| is_ident(&n.text)) {
                    out.insert(name.text.clone());
                }
            }
            _ => {}
        }
    }
    out
}

/// Names the root re-exports, and the top-level module each comes from
/// (`pub use config::{Config, RateConfig};` → `Config → config`, `RateConfig → config`).
fn root_reexports(tokens: &[Token], modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].text == "use" {
            let mut j = i + 1;
            if tokens.get(j).is_some_and(|t| t.text == "crate") {
                j += 2;
            }
            let first = tokens.get(j).map(|t| t.text.clone()).unwrap_or_default();
            let end = tokens[j.min(tokens.len())..]
                .iter()
                .position(|t| t.text == ";")
                .map_or(tokens.len(), |p| j + p);
            if modules.contains(&first) {
                for t in &tokens[j + 1..end] {
                    if is_ident(&t.text) && !matches!(t.text.as_str(), "self" | "as") {
                        out.insert(t.text.clone(), first.clone());
                    }
                }
            }
            i = end;
        }
        i += 1;
    }
    out
}

/// The first segment of each item of a `{…}` group starting at `tokens[open]`.
fn group_heads(tokens: &[Token], open: usize) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut expect_head = true;
    for t in &tokens[open..] {
        match t.text.as_str() {
            "{" => {
                depth += 1;
                if depth == 1 {
                    expect_head = true;
                }
            }
            "}" => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            "," if depth == 1 => expect_head = true,
            text if depth == 1 && expect_head && is_ident(text) => {
                out.push((text.to_owned(), t.line));
                expect_head = false;
            }
            _ => {
                if depth == 1 {
                    expect_head = false;
                }
            }
        }
    }
    out
}

/// Every top-level name a file reaches through `crate::` or `super::`, with its line.
/// `file_module` is the file's module path; inline `mod x { … }` blocks extend it, so
/// `super::` inside a file's `mod tests` means the file's own module.
fn references(tokens: &[Token], file_module: &[String]) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    // One entry per open brace: the inline module it opens, if any.
    let mut braces: Vec<Option<String>> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| tokens[p].text.as_str());
        let next = tokens.get(i + 1).map(|n| n.text.as_str());
        match t.text.as_str() {
            "{" => {
                let opens_mod =
                    i >= 2 && tokens[i - 2].text == "mod" && is_ident(&tokens[i - 1].text);
                braces.push(opens_mod.then(|| tokens[i - 1].text.clone()));
            }
            "}" => {
                braces.pop();
            }
            // `$crate` (macros) and `a::crate` are not paths from this crate's root.
            "crate" if next == Some("::") && prev != Some("$") && prev != Some("::") => {
                out.extend(heads_after(tokens, i + 2));
            }
            "super" if next == Some("::") && prev != Some("::") => {
                let mut here: Vec<&str> = file_module.iter().map(String::as_str).collect();
                here.extend(braces.iter().flatten().map(String::as_str));
                let mut j = i;
                let mut up = 0;
                while tokens.get(j).is_some_and(|t| t.text == "super")
                    && tokens.get(j + 1).is_some_and(|t| t.text == "::")
                {
                    up += 1;
                    j += 2;
                }
                if up > here.len() {
                    continue;
                }
                let base = &here[..here.len() - up];
                match base.first() {
                    Some(top) => out.push(((*top).to_owned(), t.line)),
                    None => out.extend(heads_after(tokens, j)),
                }
            }
            _ => {}
        }
    }
    out
}

/// The segment (or the group's segments) right after a root path's `::`.
fn heads_after(tokens: &[Token], at: usize) -> Vec<(String, usize)> {
    match tokens.get(at) {
        Some(t) if t.text == "{" => group_heads(tokens, at),
        Some(t) if is_ident(&t.text) && t.text != "self" => vec![(t.text.clone(), t.line)],
        _ => Vec::new(),
    }
}

/// The source with comments and string and char literals blanked to spaces (newlines kept,
/// so lines still count right).
fn strip(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut i = 0;
    while i < c.len() {
        let at_boundary = i == 0 || !ident(c[i - 1]);
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
        } else if at_boundary && raw_string_start(&c, i).is_some() {
            let (hashes, body) = raw_string_start(&c, i).unwrap_or((0, i));
            for &ch in &c[i..body] {
                blank(&mut out, ch);
            }
            i = body;
            while i < c.len() {
                if c[i] == '"'
                    && c[i + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|h| **h == '#')
                        .count()
                        == hashes
                {
                    for _ in 0..=hashes {
                        out.push(' ');
                    }
                    i += 1 + hashes;
                    break;
                }
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == '"' {
            out.push(' ');
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    blank(&mut out, c[i]);
                    i += 1;
                }
                if i < c.len() {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c[i] == '\'' {
            // A char literal ('x', '\n', '\u{7f}'), else a lifetime ('a), left as it is.
            let end = if c.get(i + 1) == Some(&'\\') {
                (i + 3..c.len()).find(|&j| c[j] == '\'')
            } else if c.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(end) => {
                    for &ch in &c[i..=end] {
                        blank(&mut out, ch);
                    }
                    i = end + 1;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// At `r"`, `r#"`, `br#"`…: the number of `#` and where the body starts.
fn raw_string_start(c: &[char], i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    if c.get(j) == Some(&'b') {
        j += 1;
    }
    if c.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while c.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (c.get(j) == Some(&'"')).then_some((hashes, j + 1))
}
