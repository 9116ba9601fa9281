//! Long-running work the window can stop: tool jobs (blob repair, backup), migrations and browser
//! sign-ins waiting for their callback. One registry, so every kind starts, ends and is stopped
//! the same way, and a job's entry cannot outlive it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use stratos_core::backup::CancellationToken;
use tauri::State;

use crate::error::CommandError;

/// What a job is known by; the kinds are kept apart so a client-made job id can never stop a
/// migration or a sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JobKey {
    /// A tool job (`repair_blobs`, `backup_account`) by the id the window made for it.
    Tool(String),
    /// A migration run, by the account's DID.
    Migration(String),
    /// A recovery run (the old PDS gone), by the account's DID.
    Recovery(String),
    /// A browser sign-in's loopback listener, by the sign-in's `state`.
    SignIn(String),
}

type Running = HashMap<JobKey, (u64, CancellationToken)>;

/// The jobs under way, each with the token that stops it.
#[derive(Default)]
pub struct Jobs {
    running: Arc<Mutex<Running>>,
    next: AtomicU64,
}

impl Jobs {
    /// Registers a job under `key`; it stays registered until the returned [`Job`] is dropped.
    /// A job started again under the same key replaces the old entry.
    pub fn start(&self, key: JobKey) -> Job {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let token = CancellationToken::new();
        lock(&self.running).insert(key.clone(), (id, token.clone()));
        Job {
            running: self.running.clone(),
            key,
            id,
            token,
        }
    }

    /// Asks the job under `key` to stop; nothing happens when none is running.
    pub fn cancel(&self, key: &JobKey) {
        if let Some((_, token)) = lock(&self.running).get(key) {
            token.cancel();
        }
    }
}

fn lock(running: &Mutex<Running>) -> std::sync::MutexGuard<'_, Running> {
    running.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A registered job: its cancellation token, and its entry, removed when this is dropped
/// (however the job ends).
pub struct Job {
    running: Arc<Mutex<Running>>,
    key: JobKey,
    id: u64,
    token: CancellationToken,
}

impl Job {
    /// What the job's work watches to stop early.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        let mut running = lock(&self.running);
        // Only this job's own entry: a newer job under the same key stays.
        if running.get(&self.key).is_some_and(|(id, _)| *id == self.id) {
            running.remove(&self.key);
        }
    }
}

/// Stops a running tool job; what it finished stays (a backup resumes where it stopped).
#[tauri::command]
pub async fn cancel_job(jobs: State<'_, Jobs>, job_id: String) -> Result<(), CommandError> {
    jobs.cancel(&JobKey::Tool(job_id));
    Ok(())
}

/// Tells the window how far tool job `job_id` got (`job-progress`); `step` is the core's step
/// value (serialised to its name), so every tool reports alike.
pub fn report_progress(
    app: &tauri::AppHandle,
    job_id: &str,
    step: impl serde::Serialize,
    done: u64,
    total: Option<u64>,
) {
    use tauri::Emitter;
    let step = serde_json::to_value(step)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let progress = crate::models::JobProgress {
        job_id: job_id.to_owned(),
        step,
        done,
        total,
    };
    if let Err(e) = app.emit("job-progress", progress) {
        log::warn!("could not report progress to the window: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_cancelled_by_its_key_and_forgotten_when_it_ends() {
        let jobs = Jobs::default();
        let job = jobs.start(JobKey::Tool("a".into()));
        jobs.cancel(&JobKey::Migration("a".into()));
        assert!(!job.token().is_cancelled());
        jobs.cancel(&JobKey::Tool("a".into()));
        assert!(job.token().is_cancelled());
        drop(job);
        assert!(lock(&jobs.running).is_empty());
    }

    #[test]
    fn an_old_job_ending_leaves_a_newer_one_under_the_same_key() {
        let jobs = Jobs::default();
        let old = jobs.start(JobKey::SignIn("s".into()));
        let new = jobs.start(JobKey::SignIn("s".into()));
        drop(old);
        jobs.cancel(&JobKey::SignIn("s".into()));
        assert!(new.token().is_cancelled());
    }
}
