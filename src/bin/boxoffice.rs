//! The box office server. Everything lives in the library; this only reads configuration,
//! sets up logging (text, or JSON with `LOG_FORMAT=json`) and turns Ctrl-C / SIGTERM into a
//! drain (`boxoffice::drain`).
//!
//! `boxoffice --print-openapi` prints the REST API's OpenAPI document (the one served at
//! `/api/openapi.json`) and exits, without configuration or a database: it is how
//! `web/openapi.json` is written (DEVELOPERS.md).

use clap::Parser;

use boxoffice::config::{Config, LogFormat};
use boxoffice::metrics::RemoteDropCounter;
use boxoffice::Application;
use tracing_subscriber::prelude::*;

// mimalloc returns freed memory to the system and fragments less than glibc malloc under
// many small per-connection allocations; it keeps idle sockets cheap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("--print-openapi") {
        print!("{}", boxoffice::http::openapi::json());
        return Ok(());
    }
    let config = Config::parse();
    let logs = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "boxoffice=info,tower_http=warn".into());
    // Text for people; JSON (one object a line, the request's span and its `request_id`
    // included) for collectors such as CloudWatch Logs.
    let format = match config.log_format {
        LogFormat::Text => tracing_subscriber::fmt::layer().boxed(),
        // `span` is the innermost span, `spans` all of them from the request's outward.
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(format.with_filter(logs))
        .with(RemoteDropCounter.with_filter(RemoteDropCounter::filter()))
        .init();
    let app = Application::build(config).await?;
    let drain = app.drain();
    app.run_until(shutdown_signal(drain)).await
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signal {
    Interrupt,
    Terminate,
}

/// The first SIGTERM drains over `DRAIN_SECONDS` (a deploy, a scale-in); Ctrl-C drains at
/// once (someone at a terminal wants it stopped, and the sockets still get `server:draining`
/// and reconnect); any second signal during a drain hurries it the same way.
async fn shutdown_signal(drain: boxoffice::drain::Drain) {
    let first = next_signal().await;
    match first {
        Signal::Terminate => tracing::info!("SIGTERM: draining"),
        Signal::Interrupt => {
            tracing::info!("Ctrl-C: draining at once");
            drain.hurry();
        }
    }
    tokio::spawn(async move {
        next_signal().await;
        tracing::info!("second signal: moving every socket now");
        drain.hurry();
    });
}

async fn next_signal() -> Signal {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => Signal::Interrupt,
        _ = terminate => Signal::Terminate,
    }
}
