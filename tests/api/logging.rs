//! Request ids and `LOG_FORMAT=json`: every answer carries `x-request-id` (the client's own
//! if short and printable, else a new one), and the real binary started with
//! `LOG_FORMAT=json` writes one JSON object a line, whose request lines carry that id.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{Backend, TestApp};

async fn request_id(app: &TestApp, sent: Option<&str>) -> String {
    let mut req = app.client.get(app.url("/api/health"));
    if let Some(id) = sent {
        req = req.header("x-request-id", id);
    }
    let res = req.send().await.unwrap();
    assert!(res.status().is_success());
    res.headers()
        .get("x-request-id")
        .expect("every answer carries x-request-id")
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_carry_a_request_id_and_odd_ones_are_replaced() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let made = request_id(&app, None).await;
    assert!(uuid::Uuid::parse_str(&made).is_ok(), "{made}");
    assert_ne!(request_id(&app, None).await, made, "one id per request");
    // A client's (or load balancer's) own id is kept when short and printable.
    assert_eq!(
        request_id(&app, Some("lb-1-abc.DEF_42")).await,
        "lb-1-abc.DEF_42"
    );
    // Too long, or with spaces: replaced by a new one.
    for odd in ["x".repeat(65), "two words".to_string()] {
        let got = request_id(&app, Some(&odd)).await;
        assert!(uuid::Uuid::parse_str(&got).is_ok(), "{odd:?} -> {got}");
    }
    // Socket.IO's requests get one too.
    let res = app
        .client
        .get(app.url("/socket.io/?EIO=4&transport=polling"))
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("x-request-id"));
    app.stop().await;
}

/// Kills the child when the test ends, however it ends.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_a_line_with_the_request_id() {
    let dir =
        std::env::temp_dir().join(format!("boxoffice-logs-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_boxoffice"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "boxoffice=info,tower_http=debug")
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .env("DATA_DIR", &dir)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.join("bo.db").display()),
        )
        .env("WEB_DIR", dir.join("no-web"))
        .env("SEED_DEMO", "false")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the boxoffice binary");
    let stdout = child.stdout.take().unwrap();
    let _child = Killed(child);
    // Lines as the server writes them, each checked to be one JSON object.
    let (tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<serde_json::Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let parsed: serde_json::Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| serde_json::json!({"unparsed": line, "error": e.to_string()}));
            if tx.send(parsed).is_err() {
                break;
            }
        }
    });
    let within = Duration::from_secs(30);
    let addr = tokio::time::timeout(within, async {
        loop {
            let line = lines.recv().await.expect("server still writing");
            assert!(line.get("unparsed").is_none(), "not JSON: {line}");
            if line["message"] == "boxoffice listening" {
                return line["addr"].as_str().expect("addr field").to_string();
            }
        }
    })
    .await
    .expect("the server started");

    let res = reqwest::Client::new()
        .get(format!("http://{addr}/api/health"))
        .header("x-request-id", "json-log-test-42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "json-log-test-42");
    let line = tokio::time::timeout(within, async {
        loop {
            let line = lines.recv().await.expect("server still writing");
            assert!(line.get("unparsed").is_none(), "not JSON: {line}");
            if line["span"]["request_id"] == "json-log-test-42" {
                return line;
            }
        }
    })
    .await
    .expect("a log line of the request carries its id");
    assert_eq!(line["span"]["path"], "/api/health", "{line}");
    assert!(
        line["timestamp"].is_string() && line["level"].is_string(),
        "{line}"
    );
    drop(_child);
    let _ = std::fs::remove_dir_all(&dir);
}
