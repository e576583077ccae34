//! In-process coordination for the single-instance (embedded) mode.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{Coord, Session, SESSION_TTL_SECS};
use crate::error::Result;

#[derive(Debug, Default)]
pub struct MemoryCoord {
    sessions: Mutex<HashMap<String, (Session, Instant)>>,
}

impl MemoryCoord {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Coord for MemoryCoord {
    async fn session(&self, user_id: &str) -> Result<Option<Session>> {
        let sessions = self.sessions.lock().expect("sessions lock");
        Ok(sessions
            .get(user_id)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(s, _)| s.clone()))
    }

    async fn save_session(&self, user_id: &str, session: &Session) -> Result<()> {
        let now = Instant::now();
        let mut sessions = self.sessions.lock().expect("sessions lock");
        // Forget lapsed sessions now and then, so memory follows the live users.
        if sessions.len() > 1024 && sessions.len().is_power_of_two() {
            sessions.retain(|_, (_, until)| *until > now);
        }
        sessions.insert(
            user_id.to_string(),
            (session.clone(), now + Duration::from_secs(SESSION_TTL_SECS)),
        );
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}
