//! The report: how figures are printed (milliseconds, percentiles, rates, ratios), the
//! markdown tables, and the header and footer that say what the figures were measured on.

use std::fmt::Write as _;
use std::time::Instant;

use chat_benches::stats::Samples;

use crate::harness::Run;

/// Milliseconds: three decimals below 1 ms, where the interesting figures are.
pub fn ms(x: f64) -> String {
    if x < 1.0 {
        format!("{x:.3}")
    } else {
        format!("{x:.2}")
    }
}
/// A latency figure: median and tail.
pub fn lat(s: &Samples) -> String {
    format!("p50 {} / p99 {} ms", ms(s.p50()), ms(s.p99()))
}
/// A throughput figure.
pub fn rate(s: &Samples) -> String {
    format!("{:.0}/s", s.rate())
}
/// A store ÷ raw (or before ÷ after) figure.
pub fn ratio(x: f64) -> String {
    format!("{x:.2}×")
}

/// A markdown table, built row by row.
pub struct Table {
    /// The markdown so far.
    pub out: String,
}

impl Table {
    /// A table with a `###` title and its header row.
    pub fn new(title: &str, head: &[&str]) -> Self {
        let mut out = format!("\n### {title}\n\n| {} |\n|", head.join(" | "));
        for _ in head {
            out.push_str("---|");
        }
        out.push('\n');
        Self { out }
    }
    /// Appends a row.
    pub fn row(&mut self, cells: &[String]) {
        let _ = writeln!(self.out, "| {} |", cells.join(" | "));
    }
}

/// The machine the figures come from: they mean nothing without it.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!(
        "{date} · {cpu} · {cores} cores · SQLite {} · {} build",
        rusqlite::version(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    )
}

/// The load average (`/proc/loadavg`): the machine is shared, so the report shows it.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default()
}

/// The report's title and what the figures were measured on.
pub fn header(run: &Run) -> String {
    format!(
        "## Store benchmarks\n\n{} · data: {} messages over {} rooms in 2 accounts ({} MiB), \
         a user in {} rooms; twin with {} messages{}\n",
        machine(),
        run.big.messages,
        run.layout.rooms.len(),
        run.db_mb,
        run.big.reader_rooms,
        run.small.messages,
        if run.quick {
            " · QUICK MODE (tiny data, figures meaningless)"
        } else {
            ""
        }
    )
}

/// Appends the run time and the load averages before and after the run.
pub fn footer(report: &mut String, started: Instant, load_before: &str) {
    let _ = writeln!(
        report,
        "\nTotal run time {:.0}s (data generation included when not cached). \
         Load average before: {}; after: {} (the machine is shared).",
        started.elapsed().as_secs_f64(),
        load_before
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        loadavg()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    );
}
