//! Independent single-threaded event loops for the clients, like `wrk`'s
//! threads: loop 0 is the caller's runtime, each other one a
//! current-thread runtime on a thread of its own. A client lives on one
//! loop for its whole life, so its socket, timers and wake-ups never cross
//! threads; a work-stealing runtime moves tasks between workers and pays
//! for it on every wake-up.

use std::io;
use std::thread::JoinHandle;

use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

/// The event loops of a run; the extra ones stop when this is dropped.
pub(crate) struct EventLoops {
    handles: Vec<Handle>,
    extra: Vec<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl EventLoops {
    /// `count` loops (at least one): the current runtime and `count - 1`
    /// new ones. Must be called inside a runtime.
    pub(crate) fn start(count: usize) -> io::Result<EventLoops> {
        let mut loops = EventLoops {
            handles: vec![Handle::current()],
            extra: Vec::new(),
        };
        for n in 1..count {
            let runtime = Builder::new_current_thread().enable_all().build()?;
            let handle = runtime.handle().clone();
            let (stop, stopped) = oneshot::channel::<()>();
            let thread = std::thread::Builder::new()
                .name(format!("loadgen-loop-{n}"))
                .spawn(move || {
                    // A dropped sender stops the loop as well as a sent ().
                    let _ = runtime.block_on(stopped);
                })?;
            loops.handles.push(handle);
            loops.extra.push((stop, thread));
        }
        Ok(loops)
    }

    /// The loop that client `index` runs on.
    pub(crate) fn for_client(&self, index: usize) -> &Handle {
        &self.handles[index % self.handles.len()]
    }
}

impl Drop for EventLoops {
    fn drop(&mut self) {
        for (stop, thread) in self.extra.drain(..) {
            let _ = stop.send(());
            // The loop's tasks have finished or were aborted by then; a
            // panicked loop thread has nothing left to report.
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn clients_are_spread_over_threads_and_loops_stop() {
        let loops = EventLoops::start(3).unwrap();
        let mut names = Vec::new();
        for index in 0..6 {
            let name = loops
                .for_client(index)
                .spawn(async { std::thread::current().name().map(str::to_owned) })
                .await
                .unwrap();
            names.push(name);
        }
        assert_eq!(names[3], names[0]);
        assert_eq!(names[1].as_deref(), Some("loadgen-loop-1"));
        assert_eq!(names[2].as_deref(), Some("loadgen-loop-2"));
        assert_eq!(names[4].as_deref(), Some("loadgen-loop-1"));
        assert_ne!(names[0], names[1]);
        drop(loops);
    }
}
