//! `chat-server-min`: parses configuration and calls [`chat_server_min::serve`]; `--dev` seeds a
//! demo account; `token` mints a user token.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chat_core::hub::LocalBus;
use chat_core::presence::PresenceConfig;
use chat_core::{AccountRole, Chat};
use chat_server_min::config::MIN_SECRET_BYTES;
use chat_server_min::{auth, dev, ops, serve};
use clap::Parser;

mod cli;

use cli::{Cli, Command, ServerArgs, TokenArgs};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Token(args)) => token(&cli.server, &args),
        None => run(&cli.server),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-server-min: {e}");
            ExitCode::FAILURE
        }
    }
}

fn secret_from(args: &ServerArgs) -> Result<Vec<u8>, String> {
    match args.jwt_secret.as_deref() {
        Some(s) if s.len() >= MIN_SECRET_BYTES => Ok(s.as_bytes().to_vec()),
        Some(_) => Err(format!("CHAT_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")),
        None => Err(format!(
            "CHAT_JWT_SECRET is required (at least {MIN_SECRET_BYTES} bytes); try --dev for a local demo"
        )),
    }
}

fn token(args: &ServerArgs, t: &TokenArgs) -> Result<(), String> {
    let secret = secret_from(args)?;
    let role = AccountRole::parse(&t.role)
        .ok_or_else(|| format!("unknown role `{}` (admin, supervisor, agent)", t.role))?;
    if t.account <= 0 || t.user <= 0 {
        return Err("--account and --user must be positive".into());
    }
    // Tokens for the server as configured: with its `iss`/`aud` when it checks them.
    let config = args.config(secret.clone()).map_err(|e| e.to_string())?;
    let mut claims = auth::claims_for(t.account, t.user, role, t.name.as_deref(), t.ttl)
        .map_err(|e| e.to_string())?;
    claims.iss = config.jwt_issuer;
    claims.aud = config.jwt_audience.map(serde_json::Value::String);
    let token = auth::mint_claims(&secret, &claims).map_err(|e| e.to_string())?;
    println!("{token}");
    Ok(())
}

fn run(args: &ServerArgs) -> Result<(), String> {
    ops::log::init_stderr();
    if args.dev && args.database_url.is_some() {
        return Err("--dev runs on SQLite: leave CHAT_DATABASE_URL unset".into());
    }
    let db = args
        .db
        .clone()
        .unwrap_or_else(|| PathBuf::from(if args.dev { "chat-dev.db" } else { "chat.db" }));
    let new_dev_db = if args.dev {
        dev::guard(
            args.jwt_secret.is_some() || args.service_token.is_some(),
            args.addr,
            &db,
        )?
    } else {
        false
    };
    // Demo mode makes its own secrets (`dev::guard` refuses configured ones) and keeps them
    // beside its database, so the demo's tokens survive a restart.
    let (secret, dev_service_token) = if args.dev {
        let (jwt, service) = dev::secrets(&db)?;
        (jwt.into_bytes(), Some(service))
    } else {
        (secret_from(args)?, None)
    };
    let mut config = args.config(secret).map_err(|e| e.to_string())?;
    if let Some(token) = dev_service_token {
        config = config
            .with_service_token(token)
            .map_err(|e| e.to_string())?;
    }
    let presence = PresenceConfig {
        grace: Duration::from_secs(args.presence_grace_secs),
        ..PresenceConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let (chat, store_name) = match &args.database_url {
        Some(url) => {
            let chat = runtime.block_on(open_postgres(args, url, presence))?;
            (chat, "postgres".to_owned())
        }
        None => {
            let options = chat_sqlite::Options {
                inline_reads: args.sqlite_inline_reads,
                mmap_size: args.sqlite_mmap_mib.saturating_mul(1 << 20),
                read_queue: args.sqlite_read_queue,
                write_queue: args.sqlite_write_queue,
                synchronous_full: args.sqlite_synchronous == cli::Synchronous::Full,
                check_on_open: args.sqlite_check_on_open,
                ..chat_sqlite::Options::default()
            };
            let store = chat_sqlite::SqliteStore::open_with(&db, &options)
                .map_err(|e| format!("cannot open {}: {e}", db.display()))?;
            if new_dev_db {
                dev::mark(&db)?;
            }
            let chat = Chat::with_options(Arc::new(store), Arc::new(LocalBus::default()), presence);
            (chat, db.display().to_string())
        }
    };
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        if args.dev {
            let demo = dev::seed(&chat).await.map_err(|e| e.to_string())?;
            let text = dev::walkthrough(&format!("http://{addr}"), &config, &demo)
                .map_err(|e| e.to_string())?;
            println!("{text}");
        }
        tracing::info!(addr = %addr, db = %store_name, dev = args.dev, "listening");
        serve(listener, chat, config, shutdown_signal())
            .await
            .map_err(|e| e.to_string())
    })
}

/// The chat on PostgreSQL (`--database-url`): migrated first if asked, the store checked
/// (reachable, this build's schema), and the bus that carries events between servers.
async fn open_postgres(
    args: &ServerArgs,
    url: &str,
    presence: PresenceConfig,
) -> Result<Chat, String> {
    let options = chat_postgres::Options {
        pool_size: args.database_pool_size,
        statement_timeout: Duration::from_millis(args.database_statement_timeout_ms),
        ..chat_postgres::Options::default()
    };
    if args.database_migrate {
        chat_postgres::PgStore::migrate(url, &options, None)
            .await
            .map_err(|e| format!("cannot migrate the database: {e}"))?;
    }
    let store = Arc::new(
        chat_postgres::PgStore::connect(url, &options)
            .await
            .map_err(|e| format!("cannot open the database: {e}"))?,
    );
    let bus = chat_postgres::PgBus::start(url, &options, Arc::clone(&store))
        .map_err(|e| format!("cannot start the event bus: {e}"))?;
    Ok(Chat::with_options(store, bus, presence))
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received; draining");
}
