//! Every crate of the workspace has modules that depend one way: no module imports one that
//! imports it back (chat-server-min: server → routes → realtime → app, auth, http …;
//! chat-sqlite: lib → open → writer → writes → event_log …; chat-core: chat → store, policy,
//! actor …). Plus the checker's own tests on small made-up crates.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};

use module_graph::Graph;

/// `src/` of a crate of the workspace.
fn src_of(krate: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(krate)
        .join("src")
}

fn src() -> PathBuf {
    src_of("chat-server-min")
}

/// Fails with every cycle, each with the file and line of every step.
fn assert_acyclic(graph: &Graph) {
    let cycles = graph.cycles();
    let report: String = cycles.iter().map(ToString::to_string).collect();
    assert!(
        cycles.is_empty(),
        "module dependency cycles:\n{report}\nthe graph:\n{}",
        graph.render()
    );
}

#[test]
fn chat_server_min_has_no_module_cycles() {
    let graph = Graph::of_src(&src()).unwrap();
    // The parser found the crate: a graph without modules or edges would prove nothing.
    for m in ["server", "routes", "app", "http", "auth", "realtime"] {
        assert!(
            graph.modules.contains(m),
            "{m} missing:\n{}",
            graph.render()
        );
    }
    assert!(
        graph.deps("server").contains("routes"),
        "{}",
        graph.render()
    );
    assert_acyclic(&graph);
}

#[test]
fn lower_layers_never_reach_up() {
    // Stronger than "no cycle": the transports and the shared layers never name the route
    // table or the server, even where that would not close a loop today.
    let graph = Graph::of_src(&src()).unwrap();
    for low in [
        "app",
        "http",
        "auth",
        "realtime",
        "ops",
        "config",
        "ratelimit",
    ] {
        for high in ["routes", "server"] {
            let key = (low.to_owned(), high.to_owned());
            assert!(
                !graph.edges.contains_key(&key),
                "{low} -> {high} at {:?}",
                graph.edges[&key]
            );
        }
    }
    assert!(
        graph.deps("http").is_empty(),
        "http is the floor: {}",
        graph.render()
    );
}

/// Writes a small crate under a temporary directory.
fn fake_crate(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[test]
fn a_cycle_is_found_and_printed_with_its_sites() {
    let dir = fake_crate(&[
        (
            "lib.rs",
            "pub mod a;\npub mod b;\npub mod c;\npub use c::Thing;\n",
        ),
        ("a/mod.rs", "pub mod inner;\nuse crate::{b::X, self};\n"),
        // super::super from a/inner.rs is the root: `super::super::c` is module c.
        ("a/inner.rs", "fn f() { super::super::c::g(); }\n"),
        ("b.rs", "pub struct X;\nfn f() { let _ = crate::Thing; }\n"),
        (
            "c.rs",
            "pub struct Thing;\npub fn g() {}\nfn h() { crate::a::f(); }\n",
        ),
    ]);
    let graph = Graph::of_src(dir.path()).unwrap();
    assert_eq!(graph.deps("a").into_iter().collect::<Vec<_>>(), ["b", "c"]);
    assert_eq!(
        graph.deps("b").into_iter().collect::<Vec<_>>(),
        ["c"],
        "via the re-export"
    );
    let cycles = graph.cycles();
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    let text = cycles[0].to_string();
    assert!(text.contains("cycle: a -> "), "{text}");
    assert!(text.contains("c -> a   at c.rs:3"), "{text}");
}

#[test]
fn comments_strings_tests_and_macros_are_not_dependencies() {
    let dir = fake_crate(&[
        ("lib.rs", "mod a;\nmod b;\n"),
        (
            "a.rs",
            concat!(
                "//! See [`crate::b`].\n",
                "/* crate::b::x */\n",
                "const S: &str = \"crate::b\";\n",
                "const R: &str = r#\"crate::b \"quoted\" \"#;\n",
                "const C: char = '\"'; const Q: char = '\\'';\n",
                "fn f<'a>(x: &'a str) -> &'a str { x }\n",
                "macro_rules! m { () => { $crate::b::x() }; }\n",
                "pub(crate) fn g() {}\n",
                "#[cfg(test)]\nmod tests {\n    use super::*;\n    use super::g;\n}\n",
            ),
        ),
        ("b.rs", "pub fn x() {}\n"),
    ]);
    let graph = Graph::of_src(dir.path()).unwrap();
    assert!(graph.edges.is_empty(), "{:?}", graph.edges);
    assert!(graph.cycles().is_empty());
}

#[test]
fn chat_core_has_no_module_cycles() {
    let graph = Graph::of_src(&src_of("chat-core")).unwrap();
    for (from, to) in [("chat", "store"), ("chat", "policy"), ("presence", "actor")] {
        assert!(
            graph.deps(from).contains(to),
            "expected {from} -> {to}; the scanner missed it:\n{}",
            graph.render()
        );
    }
    assert_acyclic(&graph);
}

#[test]
fn chat_postgres_has_no_module_cycles() {
    let graph = Graph::of_src(&src_of("chat-postgres")).unwrap();
    for (from, to) in [
        ("writes", "event_log"),
        ("event_log", "tx"),
        ("bus", "connect"),
    ] {
        assert!(
            graph.deps(from).contains(to),
            "expected {from} -> {to}; the scanner missed it:\n{}",
            graph.render()
        );
    }
    assert_acyclic(&graph);
}

#[test]
fn chat_sqlite_has_no_module_cycles() {
    let graph = Graph::of_src(&src_of("chat-sqlite")).unwrap();
    for (from, to) in [
        ("open", "writer"),
        ("writer", "writes"),
        ("writes", "event_log"),
    ] {
        assert!(
            graph.deps(from).contains(to),
            "expected {from} -> {to}; the scanner missed it:\n{}",
            graph.render()
        );
    }
    assert_acyclic(&graph);
}
