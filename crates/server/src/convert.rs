//! Office documents (PPTX, DOCX, ODP, ODT) become PDFs, which the slides
//! element shows: a background job per uploaded document runs LibreOffice
//! (`soffice --headless --convert-to pdf`) in a fresh directory and stores
//! the PDF as a blob. Jobs run one at a time (LibreOffice is heavy), under a
//! deadline, with a bounded queue; their state is polled at
//! `GET /api/conversions/{sha256}`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use blobs::{Blobs, Kind};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::AppState;
use crate::rooms::error;

/// Jobs waiting or running at once; more are refused until some finish.
const MAX_JOBS: usize = 16;
/// Finished jobs remembered (oldest forgotten first).
const MAX_FINISHED: usize = 1024;

/// Where a conversion stands.
#[derive(Debug, Clone, PartialEq)]
pub enum JobState {
    /// Waiting for the converter.
    Queued,
    /// LibreOffice is running.
    Converting {
        /// When it started.
        since: Instant,
    },
    /// Done: the PDF's hash.
    Done {
        /// SHA-256 of the PDF blob.
        pdf: String,
    },
    /// Failed, with a stable code and a message for people.
    Failed {
        /// `converter_missing`, `conversion_failed`, `conversion_timeout`,
        /// `too_busy`.
        code: &'static str,
        /// Why.
        message: String,
    },
}

impl JobState {
    /// The JSON clients poll.
    pub fn to_json(&self, sha256: &str) -> Value {
        match self {
            JobState::Queued => json!({"source": sha256, "state": "queued"}),
            JobState::Converting { since } => json!({
                "source": sha256, "state": "converting",
                "elapsedMs": u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX),
            }),
            JobState::Done { pdf } => json!({
                "source": sha256, "state": "done",
                "pdf": {"sha256": pdf, "url": format!("/blobs/{pdf}"), "contentType": "application/pdf"},
            }),
            JobState::Failed { code, message } => json!({
                "source": sha256, "state": "failed", "error": {"code": code, "message": message},
            }),
        }
    }
}

/// The converter and its jobs.
#[derive(Clone)]
pub struct Converter {
    inner: Arc<Inner>,
}

struct Inner {
    soffice: PathBuf,
    timeout: Duration,
    blobs: Blobs,
    max_pdf_bytes: u64,
    jobs: Mutex<HashMap<String, JobState>>,
    finished: Mutex<std::collections::VecDeque<String>>,
    one_at_a_time: Semaphore,
}

impl Converter {
    /// A converter running `soffice` (a path or a name on `PATH`).
    pub fn new(soffice: PathBuf, timeout: Duration, blobs: Blobs, max_pdf_bytes: u64) -> Converter {
        Converter {
            inner: Arc::new(Inner {
                soffice,
                timeout,
                blobs,
                max_pdf_bytes,
                jobs: Mutex::new(HashMap::new()),
                finished: Mutex::new(std::collections::VecDeque::new()),
                one_at_a_time: Semaphore::new(1),
            }),
        }
    }

    fn jobs(&self) -> std::sync::MutexGuard<'_, HashMap<String, JobState>> {
        // Whole states are swapped in and out: poisoning cannot leave one
        // half-written.
        self.inner.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The state of the job for `sha256`, if there is one.
    pub fn state(&self, sha256: &str) -> Option<JobState> {
        self.jobs().get(sha256).cloned()
    }

    /// Starts converting the office document `sha256` (of `kind`) unless a
    /// job for it exists already (identical uploads share one). Returns the
    /// job's state.
    pub fn start(&self, sha256: &str, kind: Kind) -> JobState {
        {
            let mut jobs = self.jobs();
            if let Some(state) = jobs.get(sha256)
                && !matches!(state, JobState::Failed { .. })
            {
                return state.clone();
            }
            let active = jobs
                .values()
                .filter(|s| matches!(s, JobState::Queued | JobState::Converting { .. }))
                .count();
            if active >= MAX_JOBS {
                return JobState::Failed {
                    code: "too_busy",
                    message: "too many documents are being converted; try again in a minute".into(),
                };
            }
            jobs.insert(sha256.to_owned(), JobState::Queued);
        }
        let this = self.clone();
        let sha = sha256.to_owned();
        tokio::spawn(async move {
            let _turn = this.inner.one_at_a_time.acquire().await;
            this.set(
                &sha,
                JobState::Converting {
                    since: Instant::now(),
                },
            );
            let end = match this.convert(&sha, kind).await {
                Ok(pdf) => JobState::Done { pdf },
                Err((code, message)) => {
                    tracing::warn!(source = %sha, code, %message, "conversion failed");
                    JobState::Failed { code, message }
                }
            };
            this.set(&sha, end);
            this.remember_finished(sha);
        });
        JobState::Queued
    }

    fn set(&self, sha256: &str, state: JobState) {
        self.jobs().insert(sha256.to_owned(), state);
    }

    fn remember_finished(&self, sha256: String) {
        let mut finished = self
            .inner
            .finished
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        finished.push_back(sha256);
        while finished.len() > MAX_FINISHED {
            if let Some(old) = finished.pop_front() {
                self.jobs().remove(&old);
            }
        }
    }

    async fn convert(&self, sha256: &str, kind: Kind) -> Result<String, (&'static str, String)> {
        let failed = |m: String| ("conversion_failed", m);
        let dir =
            tempfile::tempdir().map_err(|e| failed(format!("no temporary directory: {e}")))?;
        let ext = match kind {
            Kind::Pptx => "pptx",
            Kind::Docx => "docx",
            Kind::Odp => "odp",
            _ => "odt",
        };
        let input = dir.path().join(format!("document.{ext}"));
        self.copy_out(sha256, &input)
            .await
            .map_err(|e| failed(format!("cannot read the upload: {e}")))?;
        // A profile of its own: LibreOffice refuses to run twice on one, and
        // a shared one would keep state between documents.
        let profile = format!(
            "-env:UserInstallation=file://{}",
            dir.path().join("profile").display()
        );
        let mut cmd = tokio::process::Command::new(&self.inner.soffice);
        cmd.arg(&profile)
            .args([
                "--headless",
                "--norestore",
                "--nolockcheck",
                "--convert-to",
                "pdf",
                "--outdir",
            ])
            .arg(dir.path())
            .arg(&input)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let child = cmd.spawn().map_err(|e| {
            (
                "converter_missing",
                format!(
                    "LibreOffice ({}) is not available on this server: {e}; upload a PDF instead",
                    self.inner.soffice.display()
                ),
            )
        })?;
        let output = match tokio::time::timeout(self.inner.timeout, child.wait_with_output()).await
        {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => return Err(failed(format!("LibreOffice failed: {e}"))),
            Err(_) => {
                return Err((
                    "conversion_timeout",
                    format!(
                        "the conversion took longer than {} s",
                        self.inner.timeout.as_secs()
                    ),
                ));
            }
        };
        let pdf = dir.path().join("document.pdf");
        if !output.status.success() || !pdf.exists() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr.lines().last().unwrap_or("no output");
            return Err(failed(format!(
                "LibreOffice could not convert this document ({}): {last}",
                output.status
            )));
        }
        let file = tokio::fs::File::open(&pdf)
            .await
            .map_err(|e| failed(format!("cannot read the PDF: {e}")))?;
        let stream = tokio_util::io::ReaderStream::new(file);
        let stored = self
            .inner
            .blobs
            .put(stream, self.inner.max_pdf_bytes, |k| k == Kind::Pdf)
            .await
            .map_err(|e| failed(format!("the converted PDF was refused: {e}")))?;
        Ok(stored.sha256)
    }

    async fn copy_out(&self, sha256: &str, to: &std::path::Path) -> Result<(), String> {
        use tokio::io::AsyncWriteExt;
        let size = self
            .inner
            .blobs
            .size(sha256)
            .await
            .map_err(|e| e.to_string())?;
        let mut stream = self
            .inner
            .blobs
            .read(sha256, 0, size)
            .await
            .map_err(|e| e.to_string())?;
        let mut file = tokio::fs::File::create(to)
            .await
            .map_err(|e| e.to_string())?;
        while let Some(chunk) = stream.next().await {
            file.write_all(&chunk.map_err(|e| e.to_string())?)
                .await
                .map_err(|e| e.to_string())?;
        }
        file.flush().await.map_err(|e| e.to_string())
    }
}

/// `GET /api/conversions/{sha256}`: the job's state (the hash of the
/// uploaded document is unguessable, like the blob itself).
pub async fn status(State(state): State<AppState>, Path(sha256): Path<String>) -> Response {
    match state.converter.state(&sha256) {
        Some(job) => Json(job.to_json(&sha256)).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no conversion for this file",
        ),
    }
}
