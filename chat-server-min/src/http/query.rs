//! Query strings, decoded with `form_urlencoded`; bad values are `Validation` errors.

use chat_core::ChatError;

/// The decoded query parameters of a request.
#[derive(Debug, Default, Clone)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string (`None`: no query).
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Self { pairs }
    }

    /// The value of `name`; a parameter given twice is refused rather than guessed at.
    pub fn get(&self, name: &str) -> Result<Option<&str>, ChatError> {
        let mut found = self.pairs.iter().filter(|(k, _)| k == name);
        let first = found.next().map(|(_, v)| v.as_str());
        if found.next().is_some() {
            return Err(ChatError::invalid(name, "given more than once"));
        }
        Ok(first)
    }

    /// `limit`: an integer (the library checks the range 1–100).
    pub fn limit(&self) -> Result<Option<u32>, ChatError> {
        self.get("limit")?
            .map(|v| {
                v.parse::<u32>()
                    .map_err(|_| ChatError::invalid("limit", "must be an integer from 1 to 100"))
            })
            .transpose()
    }

    /// `cursor`: an opaque string from an earlier page.
    pub fn cursor(&self) -> Result<Option<&str>, ChatError> {
        self.get("cursor")
    }

    /// A 64-bit integer id parameter.
    pub fn int(&self, name: &str) -> Result<Option<i64>, ChatError> {
        self.get(name)?
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| ChatError::invalid(name, "must be an integer id"))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        let q = Query::parse(Some("limit=5&cursor=a%2Bb&x=1"));
        assert_eq!(q.limit().ok().flatten(), Some(5));
        assert_eq!(q.cursor().ok().flatten(), Some("a+b"));
        assert!(Query::parse(Some("limit=-1")).limit().is_err());
        assert!(Query::parse(Some("limit=abc")).limit().is_err());
        assert!(Query::parse(Some("limit=1&limit=2")).limit().is_err());
        assert_eq!(Query::parse(None).limit().ok().flatten(), None);
    }
}
