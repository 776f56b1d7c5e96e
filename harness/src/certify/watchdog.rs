//! The whole-check time limit: a thread watching the running check. Past the battery's check
//! timeout it writes a failing certificate (the finished checks, the hung one failed, the rest
//! not run) and exits the process with status 1, when the options ask for it.
//!
//! Invariant: without `exit_on_hang` the watchdog never acts (tests wait hangs out instead).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::battery::Battery;
use super::certificate::{Certificate, CheckResult};
use super::subject::Identity;
use super::Options;

/// What is running and what finished before it.
struct Running {
    id: &'static str,
    title: &'static str,
    since: Instant,
    done: Vec<CheckResult>,
}

/// A handle on the watchdog thread.
pub(super) struct Watchdog {
    state: Arc<Mutex<Option<Running>>>,
    stop: Arc<Mutex<bool>>,
}

impl Watchdog {
    /// Starts watching (a no-op watcher without `exit_on_hang`).
    pub(super) fn start(identity: Identity, references: Vec<String>, options: &Options) -> Self {
        let state: Arc<Mutex<Option<Running>>> = Arc::new(Mutex::new(None));
        let stop = Arc::new(Mutex::new(false));
        if options.exit_on_hang {
            let (state, stop) = (state.clone(), stop.clone());
            let battery: &'static Battery = options.battery;
            let out = options.out.clone();
            std::thread::spawn(move || loop {
                std::thread::sleep(Duration::from_millis(500));
                if *lock(&stop) {
                    return;
                }
                let guard = lock(&state);
                let Some(running) = guard.as_ref() else {
                    continue;
                };
                if running.since.elapsed() < battery.check_timeout {
                    continue;
                }
                let mut checks = running.done.clone();
                let mut hung = CheckResult::new(running.id, running.title, true);
                hung.fail(format!(
                    "the check ran past the battery's limit of {:?} (an engine operation hangs)",
                    battery.check_timeout
                ));
                checks.push(hung);
                let certificate = Certificate::new(identity, references, battery, checks);
                let written = certificate.write(&out);
                println!("{}", certificate.summary());
                if let Err(error) = written {
                    eprintln!("writing the certificate into {}: {error}", out.display());
                }
                std::process::exit(1);
            });
        }
        Self { state, stop }
    }

    /// A check starts; `done` are the finished ones.
    pub(super) fn begin(&self, id: &'static str, title: &'static str, done: &[CheckResult]) {
        *lock(&self.state) = Some(Running {
            id,
            title,
            since: Instant::now(),
            done: done.to_vec(),
        });
    }

    /// Every check finished.
    pub(super) fn finish(&self) {
        *lock(&self.stop) = true;
        *lock(&self.state) = None;
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}
