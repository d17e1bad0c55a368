//! Results: a JSON document and a markdown table.

use hdrhistogram::Histogram;
use serde::Serialize;

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Worst.
    pub max_ms: f64,
    /// Samples.
    pub count: u64,
}

impl Latency {
    /// From a histogram of microseconds.
    pub fn of(h: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        Self {
            p50_ms: ms(h.value_at_quantile(0.50)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
            count: h.len(),
        }
    }
}

/// One measured figure.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// What was measured.
    pub name: String,
    /// The value.
    pub value: f64,
    /// Its unit.
    pub unit: &'static str,
    /// The ceiling it is compared to, if any (same unit).
    pub ceiling: Option<f64>,
    /// The target, in words.
    pub target: &'static str,
}

/// The whole run.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Machine and settings.
    pub setup: serde_json::Value,
    /// The figures, in run order.
    pub figures: Vec<Figure>,
    /// Latency details per phase.
    pub latencies: Vec<(String, Latency)>,
    /// Non-2xx responses and transport errors, by phase and status.
    pub errors: Vec<(String, String, u64)>,
    /// Phases that could not run, and why.
    pub skipped: Vec<(String, String)>,
}

impl Report {
    /// Adds a figure.
    pub fn figure(
        &mut self,
        name: impl Into<String>,
        value: f64,
        unit: &'static str,
        ceiling: Option<f64>,
        target: &'static str,
    ) {
        self.figures.push(Figure {
            name: name.into(),
            value,
            unit,
            ceiling,
            target,
        });
    }

    /// Skipped phases and failed requests, one line each (empty: a clean run).
    pub fn problems(&self) -> Vec<String> {
        let skipped = self
            .skipped
            .iter()
            .map(|(phase, why)| format!("{phase} skipped: {why}"));
        let errors = self
            .errors
            .iter()
            .map(|(phase, status, n)| format!("{phase}: {n} × {status}"));
        skipped.chain(errors).collect()
    }

    /// The markdown table.
    pub fn markdown(&self) -> String {
        let mut out =
            String::from("| figure | value | ceiling | ratio | target |\n|---|---|---|---|---|\n");
        for f in &self.figures {
            let (ceiling, ratio) = match f.ceiling {
                Some(c) if c > 0.0 => {
                    (format!("{c:.1} {}", f.unit), format!("{:.2}×", f.value / c))
                }
                _ => ("".into(), "".into()),
            };
            out.push_str(&format!(
                "| {} | {:.2} {} | {} | {} | {} |\n",
                f.name, f.value, f.unit, ceiling, ratio, f.target
            ));
        }
        for (phase, l) in &self.latencies {
            out.push_str(&format!(
                "| {phase} latency | p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} samples) | | | |\n",
                l.p50_ms, l.p99_ms, l.max_ms, l.count
            ));
        }
        for (phase, status, n) in &self.errors {
            out.push_str(&format!("| {phase} errors | {n} × {status} | | | |\n"));
        }
        for (phase, why) in &self.skipped {
            out.push_str(&format!("| {phase} | skipped: {why} | | | |\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skipped_phase_or_a_failed_request_is_a_problem() {
        let mut r = Report::default();
        assert!(r.problems().is_empty(), "a clean run");
        r.skipped
            .push(("WebSocket phases".into(), "/ws not available".into()));
        r.errors.push(("GET /unread".into(), "503".into(), 2));
        assert_eq!(
            r.problems(),
            vec![
                "WebSocket phases skipped: /ws not available".to_owned(),
                "GET /unread: 2 × 503".to_owned(),
            ]
        );
    }
}
