//! Printing and timing helpers shared by the benchmark groups.

use std::time::{Duration, Instant};

/// One figure: `name value unit`.
pub fn line(name: &str, value: f64, unit: &str) {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        println!("{name} {value:.0} {unit}");
    } else {
        println!("{name} {value:.4} {unit}");
    }
}

/// Runs `f` `runs` times and returns the median wall time.
pub fn median_time(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// The value at quantile `q` (0..=1) of unsorted samples.
pub fn quantile(samples: &mut [Duration], q: f64) -> Duration {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
    samples[i]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

pub use bitmodel_testkit::shared_dir;

pub use bitmodel_testkit::rng::Rng;
