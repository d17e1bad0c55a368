//! TLS with rustls against the local server (Debian's cluster serves TLS with its self-signed
//! "snakeoil" certificate): `sslmode=require` encrypts without verifying, `verify-full` refuses
//! a certificate no trusted root signed, and `prefer` on loopback stays plain.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chat_postgres::{Options, PgStore};
use common::{client, TestDb, APP_ROLE};

/// Whether the store's connections to `db` use TLS, as the server sees them.
async fn store_uses_tls(db: &TestDb) -> Vec<bool> {
    let admin = client(&db.url(None)).await;
    admin
        .query(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.datname = current_database() AND a.usename = $1",
            &[&APP_ROLE],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn sslmode_require_encrypts_verify_full_refuses_an_untrusted_certificate() {
    let db = TestDb::create();
    let ssl_on: String = client(&db.url(None))
        .await
        .query_one("SHOW ssl", &[])
        .await
        .unwrap()
        .get(0);
    if ssl_on != "on" {
        eprintln!("SKIPPED: the server does not offer TLS (ssl = {ssl_on})");
        return;
    }
    let options = Options {
        pool_size: 1,
        ..Options::default()
    };
    let base = db.url(Some(APP_ROLE));

    let plain = PgStore::new(&base, &options).unwrap();
    plain.ping().await.unwrap();
    assert_eq!(
        store_uses_tls(&db).await,
        [false],
        "prefer on loopback: plain"
    );
    drop(plain);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let required = PgStore::new(&format!("{base} sslmode=require"), &options).unwrap();
    required.ping().await.unwrap();
    assert_eq!(store_uses_tls(&db).await, [true], "require: TLS");
    drop(required);

    let verified = PgStore::new(&format!("{base} sslmode=verify-full"), &options).unwrap();
    let refused = verified
        .ping()
        .await
        .expect_err("a self-signed certificate is not trusted");
    assert!(
        format!("{refused:?}").contains("Certificate"),
        "{refused:?}"
    );
}
