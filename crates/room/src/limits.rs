//! Every limit of room control, with its default.

use std::time::Duration;

/// Room-control limits; the server maps each to a flag.
#[derive(Debug, Clone)]
pub struct RoomLimits {
    /// Participants per room (connected or within their grace period): the
    /// peer-to-peer mesh's size.
    pub max_participants: usize,
    /// How long a participant whose socket dropped stays in the roster.
    pub reconnect_grace: Duration,
    /// Room messages per connection per second (token bucket).
    pub messages_per_second: f64,
    /// The bucket's size: the largest burst.
    pub messages_burst: f64,
    /// Longest chat message, in characters.
    pub max_chat_chars: usize,
    /// Chat messages sent to a joiner as history.
    pub chat_history: usize,
    /// Queued commands per room task.
    pub room_queue: usize,
    /// Rooms with a task at once; a new room beyond it is refused (the
    /// server is full), so room names cannot be used to exhaust memory.
    pub max_rooms: usize,
    /// How long an empty room keeps its settings (lock, password, removed
    /// identities) before its task ends.
    pub empty_room_linger: Duration,
}

impl Default for RoomLimits {
    fn default() -> Self {
        RoomLimits {
            max_participants: 4,
            reconnect_grace: Duration::from_secs(20),
            messages_per_second: 50.0,
            messages_burst: 100.0,
            max_chat_chars: 2000,
            chat_history: 200,
            room_queue: 1024,
            max_rooms: 10_000,
            empty_room_linger: Duration::from_secs(60),
        }
    }
}
