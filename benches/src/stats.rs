//! Latency samples: percentiles and rates.

use std::time::{Duration, Instant};

/// Timed samples of one operation.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    times: Vec<Duration>,
    /// Wall time the samples were taken in (for rates under concurrency).
    pub wall: Duration,
    /// Operations counted (may exceed `times.len()` for batched work: rows, not batches).
    pub ops: u64,
}

impl Samples {
    /// Empty.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds one timed operation.
    pub fn push(&mut self, d: Duration) {
        self.times.push(d);
        self.ops += 1;
    }
    /// Merges another set (concurrent workers).
    pub fn merge(&mut self, other: Samples) {
        self.times.extend(other.times);
        self.ops += other.ops;
    }
    /// Number of timed operations.
    pub fn len(&self) -> usize {
        self.times.len()
    }
    /// No samples.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }
    /// The `q` quantile (0..=1) in milliseconds (nearest rank).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.times.is_empty() {
            return f64::NAN;
        }
        let mut t = self.times.clone();
        t.sort_unstable();
        let rank = ((q * t.len() as f64).ceil() as usize).clamp(1, t.len());
        t[rank - 1].as_secs_f64() * 1e3
    }
    /// Arithmetic mean, ms.
    pub fn mean_ms(&self) -> f64 {
        let total: Duration = self.times.iter().sum();
        total.as_secs_f64() * 1e3 / self.times.len().max(1) as f64
    }
    /// Median, ms.
    pub fn p50(&self) -> f64 {
        self.quantile_ms(0.50)
    }
    /// 99th percentile, ms.
    pub fn p99(&self) -> f64 {
        self.quantile_ms(0.99)
    }
    /// Operations per second over the wall time.
    pub fn rate(&self) -> f64 {
        self.ops as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// Runs `f` until `count` samples or `budget` elapsed (at least one sample).
pub fn sample<F: FnMut()>(count: usize, budget: Duration, mut f: F) -> Samples {
    let mut s = Samples::new();
    let start = Instant::now();
    while s.len() < count && (s.is_empty() || start.elapsed() < budget) {
        let t = Instant::now();
        f();
        s.push(t.elapsed());
    }
    s.wall = start.elapsed();
    s
}

/// Runs the operations in turn (a, b, c, a, b, c…) until `count` rounds or `budget`, so that
/// figures compared as ratios see the same machine load (the machine may be shared).
pub fn interleaved(count: usize, budget: Duration, ops: &mut [&mut dyn FnMut()]) -> Vec<Samples> {
    let mut out: Vec<Samples> = ops.iter().map(|_| Samples::new()).collect();
    let start = Instant::now();
    let mut rounds = 0;
    while rounds < count && (rounds == 0 || start.elapsed() < budget) {
        for (op, s) in ops.iter_mut().zip(out.iter_mut()) {
            let t = Instant::now();
            op();
            s.push(t.elapsed());
        }
        rounds += 1;
    }
    let wall = start.elapsed();
    for s in &mut out {
        s.wall = wall / ops.len().max(1) as u32;
    }
    out
}
