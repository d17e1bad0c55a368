//! `cargo run -p module-graph -- chat-core/src chat-sqlite/src …`: prints each crate's module
//! graph and its cycles; exits 1 if any crate has one (the tests assert the same).

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dirs: Vec<String> = std::env::args().skip(1).collect();
    if dirs.is_empty() {
        eprintln!("usage: module-graph <crate src dir>…");
        return ExitCode::from(2);
    }
    let mut cyclic = false;
    for dir in dirs {
        match module_graph::Graph::of_src(Path::new(&dir)) {
            Ok(graph) => {
                println!("{dir}:\n{}", graph.render());
                for cycle in graph.cycles() {
                    cyclic = true;
                    println!("{cycle}");
                }
            }
            Err(e) => {
                eprintln!("{dir}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if cyclic {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
