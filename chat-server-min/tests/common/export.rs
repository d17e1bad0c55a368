//! Helpers of the audit export tests: seeding the audit table directly (fast), and reading
//! CSV the way a spreadsheet does (RFC 4180).

use std::path::Path;

use chat_core::{AuditId, Timestamp};

/// Inserts `n` audit entries of `account` straight into the database file (one transaction):
/// `metadata_bytes` of padding in each, times from `start` ms up, 3 per millisecond.
pub fn seed_audit(db: &Path, account: i64, n: usize, metadata_bytes: usize, start: i64) {
    let mut conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO internal_chat_audit (id, account_id, actor_id, action, target_id, metadata, created_at) \
                 VALUES (?1, ?2, ?3, 'room.updated', ?4, ?5, ?6)",
            )
            .unwrap();
        let pad = "x".repeat(metadata_bytes);
        for i in 0..n {
            let meta = serde_json::json!({"i": i, "pad": pad}).to_string();
            stmt.execute(rusqlite::params![
                AuditId::new().0,
                account,
                1 + (i % 7) as i64,
                format!("seed-{i}"),
                meta,
                start + (i / 3) as i64,
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
}

/// A time an hour ago, in ms (seeded rows must be older than the export).
pub fn an_hour_ago() -> i64 {
    Timestamp::now().0 - 3_600_000
}

/// Parses RFC 4180 CSV with `delimiter`: records end with CRLF; quoted cells may hold the
/// delimiter, CR, LF and doubled quotes.
pub fn parse_csv(text: &str, delimiter: char) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                c => cell.push(c),
            }
            continue;
        }
        match c {
            '"' if cell.is_empty() => quoted = true,
            '"' => panic!("a bare quote inside an unquoted cell: {cell}"),
            c if c == delimiter => record.push(std::mem::take(&mut cell)),
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF outside quotes");
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            '\n' => panic!("LF without CR outside quotes"),
            c => cell.push(c),
        }
    }
    assert!(
        cell.is_empty() && record.is_empty(),
        "the last record has no CRLF"
    );
    records
}

/// A cell as written before neutralisation, checking that a risky one was neutralised.
pub fn unneutralise(cell: &str) -> String {
    const RISKY: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];
    assert!(
        !cell.starts_with(RISKY),
        "formula cell not neutralised: {cell:?}"
    );
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(RISKY) => rest.to_owned(),
        _ => cell.to_owned(),
    }
}
