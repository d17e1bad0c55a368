//! Random tokens: connection tickets, and the secrets `--dev` generates. In `auth` because a
//! ticket is a credential; `dev` and the binary use it from here.

use std::fmt::Write as _;

/// `bytes` random bytes from the OS as lowercase hex.
pub fn random_hex(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)?;
    Ok(buf.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}
