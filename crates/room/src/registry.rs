//! [`Rooms`], the registry of room tasks: a lookup table under a `std`
//! mutex (never held across an await) that starts a room's task on first use.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use store::Store;
use tokio::sync::{mpsc, oneshot};

use crate::actor::{RoomCommand, RoomTask};
use crate::state::Role;
use crate::{RcError, RoomLimits};

/// How long a caller waits for a room task's answer.
const ANSWER_DEADLINE: Duration = Duration::from_secs(5);

/// A handle to one room's task.
#[derive(Debug, Clone)]
pub struct RoomHandle {
    commands: mpsc::Sender<RoomCommand>,
}

impl RoomHandle {
    /// Sends `cmd`, waiting while the room's queue is full. False if the
    /// task is gone.
    pub async fn send(&self, cmd: RoomCommand) -> bool {
        self.commands.send(cmd).await.is_ok()
    }
}

struct Entry {
    generation: u64,
    commands: mpsc::Sender<RoomCommand>,
}

/// All rooms with a task.
#[derive(Clone)]
pub struct Rooms {
    inner: Arc<Inner>,
}

struct Inner {
    rooms: Mutex<HashMap<String, Entry>>,
    store: Store,
    limits: RoomLimits,
    next_generation: AtomicU64,
}

impl Rooms {
    /// A registry whose rooms keep chat in `store`.
    pub fn new(store: Store, limits: RoomLimits) -> Rooms {
        Rooms {
            inner: Arc::new(Inner {
                rooms: Mutex::new(HashMap::new()),
                store,
                limits,
                next_generation: AtomicU64::new(1),
            }),
        }
    }

    /// The limits every room runs with.
    pub fn limits(&self) -> &RoomLimits {
        &self.inner.limits
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // Entries are inserted and removed whole: poisoning cannot leave one
        // half-made.
        self.inner.rooms.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The task of `room`, started if needed; `None` when starting it
    /// would pass the limit on rooms.
    pub fn get(&self, room: &str) -> Option<RoomHandle> {
        let mut rooms = self.lock();
        if let Some(entry) = rooms.get(room)
            && !entry.commands.is_closed()
        {
            return Some(RoomHandle {
                commands: entry.commands.clone(),
            });
        }
        if !rooms.contains_key(room) && rooms.len() >= self.inner.limits.max_rooms {
            tracing::warn!(rooms = rooms.len(), "room limit reached");
            return None;
        }
        let (tx, rx) = mpsc::channel(self.inner.limits.room_queue.max(1));
        let generation = self.inner.next_generation.fetch_add(1, Ordering::Relaxed);
        rooms.insert(
            room.to_owned(),
            Entry {
                generation,
                commands: tx.clone(),
            },
        );
        drop(rooms);
        let task = RoomTask {
            room: room.to_owned(),
            generation,
            limits: self.inner.limits.clone(),
            store: self.inner.store.clone(),
            registry: self.clone(),
            commands: rx,
        };
        tokio::spawn(task.run());
        Some(RoomHandle { commands: tx })
    }

    /// The join endpoint's admission: the role for a new token, or why the
    /// room refuses a new participant.
    pub async fn admit(&self, room: &str, password: Option<String>) -> Result<Role, RcError> {
        let (reply, answer) = oneshot::channel();
        let Some(handle) = self.get(room) else {
            return Err(RcError::Unavailable);
        };
        if !handle.send(RoomCommand::Admit { password, reply }).await {
            return Err(RcError::Unavailable);
        }
        match tokio::time::timeout(ANSWER_DEADLINE, answer).await {
            Ok(Ok(result)) => result,
            _ => Err(RcError::Unavailable),
        }
    }

    /// True if a moderator removed `participant` from `room` (while the room
    /// lives). Rooms without a task have removed nobody.
    pub async fn is_removed(&self, room: &str, participant: &str) -> bool {
        let handle = {
            let rooms = self.lock();
            match rooms.get(room) {
                Some(entry) => RoomHandle {
                    commands: entry.commands.clone(),
                },
                None => return false,
            }
        };
        let (reply, answer) = oneshot::channel();
        let cmd = RoomCommand::IsRemoved {
            participant: participant.to_owned(),
            reply,
        };
        if !handle.send(cmd).await {
            return false;
        }
        matches!(
            tokio::time::timeout(ANSWER_DEADLINE, answer).await,
            Ok(Ok(true))
        )
    }

    /// Rooms with a task.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True with no room tasks.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes `room`'s entry if it is still `generation`'s and `idle()`
    /// holds under the lock (no command raced in). True if removed.
    pub(crate) fn remove_if(
        &self,
        room: &str,
        generation: u64,
        idle: impl FnOnce() -> bool,
    ) -> bool {
        let mut rooms = self.lock();
        match rooms.get(room) {
            Some(entry) if entry.generation == generation => {
                if idle() {
                    rooms.remove(room);
                    true
                } else {
                    false
                }
            }
            // Replaced already: this task is nobody's.
            _ => true,
        }
    }
}
