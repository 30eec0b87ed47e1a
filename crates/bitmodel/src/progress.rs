//! Indexing progress: an `indicatif` bar (blocks, blocks/s, ETA) on a terminal, plain log
//! lines otherwise (every 1,000 blocks and at the tip), so a long first sync on a real
//! chain says how long it will take, and logs stay readable.

use std::cell::RefCell;
use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    what: &'static str,
    terminal: bool,
    state: RefCell<Option<(ProgressBar, u32, Instant)>>,
}

impl Progress {
    pub fn new(what: &'static str) -> Progress {
        Progress {
            what,
            terminal: std::io::stderr().is_terminal(),
            state: RefCell::new(None),
        }
    }

    /// Block `height` of `tip` is done.
    pub fn block(&self, height: u32, tip: u32) {
        let mut state = self.state.borrow_mut();
        let (bar, first, started) = state.get_or_insert_with(|| {
            let bar = if self.terminal {
                ProgressBar::new(u64::from(tip)).with_style(
                    ProgressStyle::with_template(
                        "{msg} block {pos}/{len} {wide_bar} {per_sec} ETA {eta}",
                    )
                    .expect("a valid template"),
                )
            } else {
                ProgressBar::hidden()
            };
            bar.set_message(self.what);
            bar.set_position(u64::from(height));
            (bar, height, Instant::now())
        });
        bar.set_length(u64::from(tip));
        bar.set_position(u64::from(height));
        if !self.terminal && ((height - *first + 1) % 1000 == 0 || height == tip) {
            let done = f64::from(height - *first + 1);
            let rate = done / started.elapsed().as_secs_f64().max(1e-3);
            let eta = f64::from(tip - height) / rate.max(1e-3);
            eprintln!(
                "{} block {height}/{tip}  {rate:.0} blocks/s  ETA {eta:.0}s",
                self.what
            );
        }
    }

    pub fn finish(&self) {
        if let Some((bar, _, _)) = self.state.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }
}
