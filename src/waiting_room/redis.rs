//! The line in Redis (`REDIS_URL`), shared by every instance. Every operation is one call of
//! `line.lua`, atomic in Redis.

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use redis::{Script, Value};

use super::line::{At, Joiner, Line, LineSummary, Place, Recovery, Tick};
use crate::clock::Millis;
use crate::coord::redis_unavailable as unavailable;
use crate::error::{Error, Result};

pub struct RedisLine {
    conn: ConnectionManager,
    prefix: String,
    script: Script,
}

impl RedisLine {
    pub fn new(conn: ConnectionManager, prefix: &str) -> Self {
        RedisLine {
            conn,
            prefix: prefix.to_string(),
            script: Script::new(include_str!("line.lua")),
        }
    }

    async fn call(&self, op: &str, at: At<'_>, user_id: &str) -> Result<Value> {
        self.call_with(op, at, user_id, &[]).await
    }

    /// One call of `line.lua`; `extra` are the op's own arguments (ARGV 12..). A `{'lost'}`
    /// reply becomes [`Error::LineLost`].
    async fn call_with(
        &self,
        op: &str,
        at: At<'_>,
        user_id: &str,
        extra: &[String],
    ) -> Result<Value> {
        // One hash tag per event keeps its keys together should the store be sharded.
        let (event_id, now, s) = (at.event_id, at.now, at.settings);
        let k = |name: &str| format!("{}:line:{{{event_id}}}:{name}", self.prefix);
        let mut inv = self.script.prepare_invoke();
        inv.key(k("meta"))
            .key(k("u2n"))
            .key(k("n2u"))
            .key(k("active"))
            .key(k("pre"))
            .key(format!("{}:lines", self.prefix))
            .key(k("ends"))
            .key(k("late"))
            .key(k("fresh"))
            .arg(op)
            .arg(event_id)
            .arg(user_id)
            .arg(now)
            .arg(s.capacity)
            .arg(s.admit_rate_per_sec)
            .arg(s.idle_ms)
            .arg(s.sale_opens_at)
            .arg(s.tick_ms)
            .arg(s.turn_ms)
            .arg(s.gate.as_str());
        for a in extra {
            inv.arg(a);
        }
        let v: Value = inv
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        if let Value::Array(items) = &v {
            if items.len() == 1 && text(&items[0]) == "lost" {
                return Err(Error::LineLost);
            }
        }
        Ok(v)
    }
}

fn items(v: Value) -> Result<Vec<Value>> {
    match v {
        Value::Array(items) => Ok(items),
        other => Err(Error::Internal(anyhow::anyhow!(
            "unexpected reply from line.lua: {other:?}"
        ))),
    }
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::BulkString(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        _ => 0,
    }
}

fn float(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::BulkString(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.0),
        Value::Double(d) => *d,
        _ => 0.0,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

fn place(v: Value) -> Result<Place> {
    let f = items(v)?;
    if f.len() < 5 {
        return Err(Error::Internal(anyhow::anyhow!(
            "short reply from line.lua"
        )));
    }
    Ok(match text(&f[0]).as_str() {
        "admitted" => Place::Admitted {
            turn_ends_at: f.get(5).map(int).unwrap_or(0),
            waiting: int(&f[3]),
        },
        "waiting" => Place::Waiting {
            number: int(&f[1]),
            serving: int(&f[2]),
            waiting: int(&f[3]),
            rate: float(&f[4]),
            active: f.get(5).map(int).unwrap_or(0),
        },
        "pending" => Place::Pending {
            position: int(&f[1]),
            waiting: int(&f[3]),
        },
        "presale" => Place::Presale {
            waiting: int(&f[3]),
        },
        _ => Place::Absent {
            waiting: int(&f[3]),
        },
    })
}

#[async_trait]
impl Line for RedisLine {
    async fn join_all(&self, at: At<'_>, joiners: &[Joiner]) -> Result<Vec<Place>> {
        if joiners.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = Vec::with_capacity(joiners.len() * 2);
        for j in joiners {
            args.push(j.user_id.clone());
            args.push(j.claim.code().to_string());
        }
        let places = items(self.call_with("join", at, "", &args).await?)?;
        if places.len() != joiners.len() {
            return Err(Error::Internal(anyhow::anyhow!(
                "line.lua answered {} places for {} joins",
                places.len(),
                joiners.len()
            )));
        }
        places.into_iter().map(place).collect()
    }

    async fn status(&self, at: At<'_>, user_id: &str) -> Result<Place> {
        place(self.call("status", at, user_id).await?)
    }

    async fn leave(&self, at: At<'_>, user_id: &str) -> Result<()> {
        self.call("leave", at, user_id).await?;
        Ok(())
    }

    async fn release(&self, at: At<'_>, user_id: &str) -> Result<()> {
        self.call("release", at, user_id).await?;
        Ok(())
    }

    async fn touch(&self, at: At<'_>, user_id: &str) -> Result<bool> {
        Ok(int(&self.call("touch", at, user_id).await?) == 1)
    }

    async fn reinstate(&self, at: At<'_>, user_id: &str, turn_ends_at: Millis) -> Result<bool> {
        let v = self
            .call_with("reinstate", at, user_id, &[turn_ends_at.to_string()])
            .await?;
        Ok(int(&v) == 1)
    }

    async fn init(&self, at: At<'_>, epoch: &str) -> Result<String> {
        Ok(text(
            &self.call_with("init", at, "", &[epoch.to_string()]).await?,
        ))
    }

    async fn recover(&self, at: At<'_>, r: &Recovery) -> Result<String> {
        let args = [
            r.new_epoch.clone(),
            r.seen_epoch.clone(),
            r.next.to_string(),
            r.serving.to_string(),
            r.active.to_string(),
            r.window_ms.to_string(),
            r.pause_ms.to_string(),
            r.reserve_ms.to_string(),
        ];
        let f = items(self.call_with("recover", at, "", &args).await?)?;
        Ok(f.get(1).map(text).unwrap_or_default())
    }

    async fn tick(&self, at: At<'_>) -> Result<Tick> {
        let f = items(self.call("tick", at, "").await?)?;
        if f.len() < 9 {
            return Err(Error::Internal(anyhow::anyhow!(
                "short tick reply from line.lua"
            )));
        }
        Ok(Tick {
            skipped: text(&f[0]) != "ok",
            serving: int(&f[1]),
            waiting: int(&f[2]),
            rate: float(&f[3]),
            active_shoppers: int(&f[4]),
            presale: int(&f[5]),
            epoch: text(&f[6]),
            next: int(&f[7]),
            recovering: int(&f[8]) == 1,
            admitted: f[9..].iter().map(text).collect(),
        })
    }

    async fn summary(&self, at: At<'_>) -> Result<LineSummary> {
        let f = items(self.call("summary", at, "").await?)?;
        Ok(LineSummary {
            active_shoppers: f.first().map(int).unwrap_or(0),
            waiting: f.get(1).map(int).unwrap_or(0),
            presale: f.get(2).map(int).unwrap_or(0),
            serving: f.get(3).map(int).unwrap_or(0),
            rate: f.get(4).map(float).unwrap_or(0.0),
            recovering: f.get(5).map(int) == Some(1),
        })
    }

    async fn lines(&self) -> Result<Vec<String>> {
        let mut conn = self.conn.clone();
        let ids: Vec<String> = redis::cmd("SMEMBERS")
            .arg(format!("{}:lines", self.prefix))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(ids)
    }
}
