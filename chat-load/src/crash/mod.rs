//! `chat-load crash`: kills the server with `SIGKILL` at a random moment under load, restarts
//! it on the same database, and checks that nothing acknowledged was lost or doubled.
//!
//! Each cycle: start `chat-server-min` on the database (the same file every time), check the
//! database (see [`inspect`]), run the senders and the subscribers (see [`traffic`]) for a
//! random time, then `SIGKILL` the server mid-traffic. After the last cycle the server is
//! started once more, every send whose outcome the kill left in doubt is retried with its
//! `client_id`, and the final check also requires that the database holds exactly the
//! acknowledged messages. Any failed check stops the run with a non-zero exit.
//!
//! The checks read the SQLite file directly ([`inspect::Sqlite`]); a run on another backend
//! passes that backend's settings to the server with `--server-env` and needs an inspector of
//! its own over the same five questions.

mod inspect;
mod traffic;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::Http;
use crate::setup;
use crate::spawn::{self, Launch};

use inspect::Sqlite;
use traffic::{Sender, Subscriber};

/// `PRAGMA synchronous` of the server under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Synchronous {
    /// `NORMAL`.
    Normal,
    /// `FULL`.
    Full,
}

/// Options of `chat-load crash`.
#[derive(Debug, Clone, clap::Args)]
pub struct CrashArgs {
    /// Kill-and-restart cycles.
    #[arg(long, default_value_t = 50)]
    pub cycles: u32,
    /// `PRAGMA synchronous` of the server (`CHAT_SQLITE_SYNCHRONOUS`).
    #[arg(long, value_enum, default_value_t = Synchronous::Normal)]
    pub synchronous: Synchronous,
    /// Concurrent senders (one user and one connection each).
    #[arg(long, default_value_t = 32)]
    pub senders: usize,
    /// Live WebSocket subscribers (the first users of the account; they send too).
    #[arg(long, default_value_t = 4)]
    pub subscribers: usize,
    /// Rooms the senders write to (every user is a member of every room).
    #[arg(long, default_value_t = 4)]
    pub rooms: usize,
    /// The kill comes between this many milliseconds after the traffic starts …
    #[arg(long, default_value_t = 50)]
    pub min_kill_ms: u64,
    /// … and this many.
    #[arg(long, default_value_t = 1500)]
    pub max_kill_ms: u64,
    /// Seed of the kill times (printed; default from the clock).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Extra `KEY=VALUE` environment of the server (repeatable), e.g. another backend's
    /// settings.
    #[arg(long = "server-env")]
    pub server_env: Vec<String>,
    /// Keep the database and the server's log in this directory (default: a temporary one,
    /// deleted at the end).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// The account of the run.
const ACCOUNT: i64 = 77;

/// A small xorshift generator: the kill times need no more, and `--seed` replays them.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi.saturating_sub(lo) + 1)
    }
}

/// Runs the harness; `Err` names the first check that failed.
pub async fn run(args: CrashArgs) -> Result<(), String> {
    if args.senders == 0 || args.subscribers > args.senders || args.max_kill_ms < args.min_kill_ms {
        return Err(
            "need --senders ≥ 1, --subscribers ≤ --senders, --min-kill-ms ≤ --max-kill-ms".into(),
        );
    }
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1
    });
    let mut rng = Rng(seed.max(1));
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
            d.clone()
        }
        None => temp.path().to_path_buf(),
    };
    let sync = match args.synchronous {
        Synchronous::Normal => "normal",
        Synchronous::Full => "full",
    };
    let mut env = vec![("CHAT_SQLITE_SYNCHRONOUS".to_owned(), sync.to_owned())];
    for kv in &args.server_env {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("--server-env `{kv}`: expected KEY=VALUE"))?;
        env.push((k.to_owned(), v.to_owned()));
    }
    let launch = Launch {
        db: dir.join("crash.db"),
        addr: spawn::free_port()?,
        env,
        log: Some(dir.join("server.log")),
    };
    println!(
        "crash: {} cycles, synchronous={sync}, {} senders, {} subscribers, {} rooms, kill after {}..{} ms, seed {seed}, db {}",
        args.cycles, args.senders, args.subscribers, args.rooms, args.min_kill_ms, args.max_kill_ms,
        launch.db.display()
    );

    let secret = format!("crash-secret-{seed:032x}");
    let service = "crash-service-token-0123456789abcdef".to_owned();
    let http = Http::new(args.senders + 8);
    let began = Instant::now();

    let mut server = launch.start(&http, &secret, &service).await?;
    let base = format!("http://{}", launch.addr);
    let world = setup::account(
        &http,
        &base,
        &secret,
        &service,
        ACCOUNT,
        args.senders,
        args.rooms.max(1),
    )
    .await?;
    let rooms = Arc::new(world.rooms.clone());
    let db = Sqlite::new(&launch.db, ACCOUNT);
    let start_id = db.log_head()?;
    let mut senders: Vec<Sender> = world
        .users
        .iter()
        .map(|(user, token)| Sender::new(*user, token.clone()))
        .collect();
    let done = Arc::new(AtomicBool::new(false));
    let subscribers: Vec<Arc<Subscriber>> = world
        .users
        .iter()
        .take(args.subscribers)
        .map(|(user, token)| Subscriber::new(*user, token.clone(), start_id))
        .collect();
    let listeners: Vec<_> = subscribers
        .iter()
        .map(|s| {
            tokio::spawn(traffic::subscribe(
                s.clone(),
                launch.addr,
                ACCOUNT,
                done.clone(),
            ))
        })
        .collect();

    let mut totals = Totals::default();
    for cycle in 1..=args.cycles {
        let kill_after = Duration::from_millis(rng.between(args.min_kill_ms, args.max_kill_ms));
        let sent = traffic::send_until_killed(
            &mut senders,
            &http,
            &base,
            ACCOUNT,
            &rooms,
            &mut server,
            kill_after,
        )
        .await?;
        let t = Instant::now();
        server = launch.start(&http, &secret, &service).await?;
        let restart = t.elapsed();
        let t = Instant::now();
        let report = db.check(&senders, &subscribers, false).await?;
        totals.add(sent.acked, sent.replayed);
        println!(
            "cycle {cycle:>3}: killed after {:>4} ms, {:>5} acked ({} retried sends found stored), {} in doubt; restart {:>4} ms; checked in {:>4} ms: {report}",
            kill_after.as_millis(),
            sent.acked,
            sent.replayed,
            senders.iter().filter(|s| s.in_doubt()).count(),
            restart.as_millis(),
            t.elapsed().as_millis(),
        );
    }
    // Settle: every send left in doubt is retried once, then the database must hold exactly
    // what was acknowledged.
    let settled = traffic::retry_in_doubt(&mut senders, &http, &base, ACCOUNT).await?;
    totals.add(settled.acked, settled.replayed);
    let report = db.check(&senders, &subscribers, true).await?;
    done.store(true, Ordering::Relaxed);
    for l in listeners {
        l.abort();
    }
    let _ = server.child.start_kill();
    println!(
        "crash: PASS — {} cycles (synchronous={sync}) in {:.0} s: {} messages acknowledged, {} in-doubt sends found already stored on retry, nothing lost or doubled; final: {report}",
        args.cycles,
        began.elapsed().as_secs_f64(),
        totals.acked,
        totals.replayed,
    );
    Ok(())
}

#[derive(Default)]
struct Totals {
    acked: u64,
    replayed: u64,
}

impl Totals {
    fn add(&mut self, acked: u64, replayed: u64) {
        self.acked += acked;
        self.replayed += replayed;
    }
}
