//! In-process coordination for the single-instance (embedded) mode.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{Coord, Session, FIGURES_MAX, SESSION_TTL_SECS};
use crate::error::Result;
use crate::ids::UserId;
use crate::stats::InstanceFigures;

/// A user's connection slots: socket id -> lease end.
type Slots = HashMap<String, Instant>;

#[derive(Debug, Default)]
pub struct MemoryCoord {
    sessions: Mutex<HashMap<UserId, (Session, Instant)>>,
    sockets: Mutex<HashMap<UserId, Slots>>,
    /// Instance -> its last snapshot and when it lapses (in one process: this instance).
    figures: Mutex<HashMap<String, (InstanceFigures, Instant)>>,
}

impl MemoryCoord {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Coord for MemoryCoord {
    async fn session(&self, user_id: &UserId) -> Result<Option<Session>> {
        let sessions = self.sessions.lock().expect("sessions lock");
        Ok(sessions
            .get(user_id)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(s, _)| s.clone()))
    }

    async fn save_session(&self, user_id: &UserId, session: &Session) -> Result<()> {
        let now = Instant::now();
        let mut sessions = self.sessions.lock().expect("sessions lock");
        // Forget lapsed sessions now and then, so memory follows the live users.
        if sessions.len() > 1024 && sessions.len().is_power_of_two() {
            sessions.retain(|_, (_, until)| *until > now);
        }
        sessions.insert(
            user_id.clone(),
            (session.clone(), now + Duration::from_secs(SESSION_TTL_SECS)),
        );
        Ok(())
    }

    async fn claim_socket(
        &self,
        user_id: &UserId,
        socket_id: &str,
        max: u32,
        lease: Duration,
    ) -> Result<bool> {
        let now = Instant::now();
        let mut users = self.sockets.lock().expect("sockets lock");
        let slots = users.entry(user_id.clone()).or_default();
        slots.retain(|_, until| *until > now);
        if !slots.contains_key(socket_id) && slots.len() >= max as usize {
            return Ok(false);
        }
        slots.insert(socket_id.to_string(), now + lease);
        Ok(true)
    }

    async fn release_socket(&self, user_id: &UserId, socket_id: &str) -> Result<()> {
        let mut users = self.sockets.lock().expect("sockets lock");
        if let Some(slots) = users.get_mut(user_id) {
            slots.remove(socket_id);
            if slots.is_empty() {
                users.remove(user_id);
            }
        }
        Ok(())
    }

    async fn renew_sockets(&self, sockets: &[(UserId, String)], lease: Duration) -> Result<()> {
        let now = Instant::now();
        let mut users = self.sockets.lock().expect("sockets lock");
        for (user_id, socket_id) in sockets {
            users
                .entry(user_id.clone())
                .or_default()
                .insert(socket_id.clone(), now + lease);
        }
        // Forget users whose every slot lapsed, so memory follows the live sockets.
        users.retain(|_, slots| {
            slots.retain(|_, until| *until > now);
            !slots.is_empty()
        });
        Ok(())
    }

    async fn publish_figures(&self, figures: &InstanceFigures, ttl: Duration) -> Result<()> {
        let now = Instant::now();
        let mut all = self.figures.lock().expect("figures lock");
        all.retain(|_, (_, until)| *until > now);
        all.insert(figures.instance.clone(), (figures.clone(), now + ttl));
        Ok(())
    }

    async fn live_figures(&self) -> Result<Vec<InstanceFigures>> {
        let now = Instant::now();
        let all = self.figures.lock().expect("figures lock");
        Ok(all
            .values()
            .filter(|(_, until)| *until > now)
            .take(FIGURES_MAX)
            .map(|(f, _)| f.clone())
            .collect())
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: Duration = Duration::from_secs(30);

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    #[tokio::test]
    async fn a_user_gets_at_most_max_slots_and_a_release_frees_one() {
        let c = MemoryCoord::new();
        for i in 0..3 {
            assert!(c
                .claim_socket(&user("u"), &format!("s{i}"), 3, LEASE)
                .await
                .unwrap());
        }
        assert!(!c.claim_socket(&user("u"), "s3", 3, LEASE).await.unwrap());
        // Other users are counted apart.
        assert!(c.claim_socket(&user("v"), "s0", 3, LEASE).await.unwrap());
        // Claiming a slot already held is not a second slot.
        assert!(c.claim_socket(&user("u"), "s1", 3, LEASE).await.unwrap());
        c.release_socket(&user("u"), "s1").await.unwrap();
        assert!(c.claim_socket(&user("u"), "s3", 3, LEASE).await.unwrap());
        assert!(!c.claim_socket(&user("u"), "s4", 3, LEASE).await.unwrap());
    }

    #[tokio::test]
    async fn figures_count_while_their_lifetime_lasts() {
        let c = MemoryCoord::new();
        let figures = |instance: &str, connections| InstanceFigures {
            instance: instance.into(),
            connections,
            ..Default::default()
        };
        c.publish_figures(&figures("a", 1), LEASE).await.unwrap();
        c.publish_figures(&figures("b", 2), Duration::from_millis(20))
            .await
            .unwrap();
        // A new snapshot replaces the instance's last one.
        c.publish_figures(&figures("a", 5), LEASE).await.unwrap();
        let mut live = c.live_figures().await.unwrap();
        live.sort_by(|x, y| x.instance.cmp(&y.instance));
        assert_eq!(live, vec![figures("a", 5), figures("b", 2)]);
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(c.live_figures().await.unwrap(), vec![figures("a", 5)]);
    }

    #[tokio::test]
    async fn slots_that_are_not_renewed_lapse() {
        let c = MemoryCoord::new();
        let short = Duration::from_millis(30);
        assert!(c.claim_socket(&user("u"), "a", 2, short).await.unwrap());
        assert!(c.claim_socket(&user("u"), "b", 2, short).await.unwrap());
        // (Lapsed or not by now, "a" and "b" were both live when "b" was claimed.)
        // The heartbeat renews "a" only: "b" belonged to an instance that died.
        tokio::time::sleep(Duration::from_millis(15)).await;
        c.renew_sockets(&[(user("u"), "a".into())], LEASE)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(c.claim_socket(&user("u"), "c", 2, LEASE).await.unwrap());
        assert!(!c.claim_socket(&user("u"), "d", 2, LEASE).await.unwrap());
    }
}
