//! The pages' headers and configuration. Each page gets the CSP of `web-client.md`: scripts,
//! styles and connections from this server only, nothing inline, and `frame-ancestors` naming
//! exactly the hosts that may frame it (`CHAT_EMBED_ORIGINS`; in dev mode also this server,
//! for `/dev`). The origins reach the page's script as data — a `<meta>` element where the
//! page has `<!--chat:config-->` — never as script.

use http::StatusCode;
use serde_json::json;

use crate::http::Reply;

/// The placeholder a page's HTML carries where its configuration goes.
pub const CONFIG_PLACEHOLDER: &str = "<!--chat:config-->";

/// The pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// `/embed`: the chat, framed by a host.
    Chat,
    /// `/embed/admin`: the admin console, framed by a host.
    Admin,
    /// `/dev`: the demo host (dev mode only); frames `/embed` from this server, never framed.
    Dev,
}

impl Page {
    /// The file `web/pages/{name}.html`.
    pub fn file(self) -> &'static str {
        match self {
            Page::Chat => "embed",
            Page::Admin => "admin",
            Page::Dev => "dev",
        }
    }
}

/// What a page's headers and configuration depend on.
#[derive(Debug, Clone)]
pub struct PageContext<'a> {
    /// `CHAT_EMBED_ORIGINS`.
    pub embed_origins: &'a [String],
    /// Dev mode: this server's own origin may frame the pages too (the `/dev` host).
    pub own_origin: Option<String>,
}

impl PageContext<'_> {
    /// The origins that may frame (or open) the chat and the console, for the page's script
    /// (where it posts `chat:ready`, whose `chat:init` it trusts).
    fn allowed_origins(&self) -> Vec<String> {
        let mut all: Vec<String> = self.embed_origins.to_vec();
        if let Some(own) = &self.own_origin {
            if !all.contains(own) {
                all.push(own.clone());
            }
        }
        all
    }
}

/// The page's `Content-Security-Policy`.
pub fn csp(page: Page, ctx: &PageContext<'_>) -> String {
    let mut policy = String::from(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'",
    );
    let ancestors = match page {
        Page::Dev => "'none'".to_owned(),
        Page::Chat | Page::Admin => {
            let mut list: Vec<String> = ctx.embed_origins.to_vec();
            if ctx.own_origin.is_some() {
                list.insert(0, "'self'".into());
            }
            if list.is_empty() {
                "'none'".into()
            } else {
                list.join(" ")
            }
        }
    };
    if page == Page::Dev {
        policy.push_str("; frame-src 'self'");
    }
    policy.push_str("; frame-ancestors ");
    policy.push_str(&ancestors);
    policy
}

/// The page's HTML with its configuration filled in, and its headers.
pub fn reply(page: Page, html: &str, ctx: &PageContext<'_>) -> Reply {
    let config = json!({
        "embedOrigins": ctx.allowed_origins(),
        "dev": ctx.own_origin.is_some(),
    });
    let meta = format!(
        "<meta name=\"chat-config\" content=\"{}\">",
        escape_attribute(&config.to_string())
    );
    let body = html.replacen(CONFIG_PLACEHOLDER, &meta, 1);
    let policy = csp(page, ctx);
    let framed = !policy.ends_with("frame-ancestors 'none'");
    let reply = Reply::raw(StatusCode::OK, "text/html; charset=utf-8", body)
        .header("content-security-policy", policy)
        .header("referrer-policy", "no-referrer");
    if framed {
        reply
    } else {
        // Not meant to be framed: say so to browsers that predate `frame-ancestors` too.
        reply.header("x-frame-options", "DENY")
    }
}

/// Text for a double-quoted HTML attribute value.
fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn frame_ancestors_follow_the_embed_origins() {
        let origins = vec!["https://hub.example".to_owned()];
        let ctx = PageContext {
            embed_origins: &origins,
            own_origin: None,
        };
        assert!(csp(Page::Chat, &ctx).ends_with("frame-ancestors https://hub.example"));
        let none = PageContext {
            embed_origins: &[],
            own_origin: None,
        };
        assert!(csp(Page::Admin, &none).ends_with("frame-ancestors 'none'"));
        let r = reply(Page::Admin, "<p>", &none);
        assert_eq!(header(&r, "x-frame-options"), Some("DENY"));
        let dev = PageContext {
            embed_origins: &[],
            own_origin: Some("http://127.0.0.1:8080".into()),
        };
        assert!(csp(Page::Chat, &dev).ends_with("frame-ancestors 'self'"));
        let d = csp(Page::Dev, &dev);
        assert!(d.contains("frame-src 'self'") && d.ends_with("frame-ancestors 'none'"));
        assert!(!csp(Page::Chat, &ctx).contains("unsafe"));
    }

    #[test]
    fn configuration_is_data_in_an_attribute() {
        let origins = vec!["https://a.example".to_owned()];
        let ctx = PageContext {
            embed_origins: &origins,
            own_origin: Some("http://127.0.0.1:1".into()),
        };
        let r = reply(Page::Chat, "<head><!--chat:config--></head>", &ctx);
        let body = std::str::from_utf8(&r.body).unwrap();
        assert_eq!(
            body,
            "<head><meta name=\"chat-config\" content=\"{&quot;dev&quot;:true,&quot;embedOrigins&quot;:[&quot;https://a.example&quot;,&quot;http://127.0.0.1:1&quot;]}\"></head>"
        );
        assert_eq!(header(&r, "referrer-policy"), Some("no-referrer"));
        assert_eq!(header(&r, "x-frame-options"), None);
        assert_eq!(escape_attribute("<\"&'>"), "&lt;&quot;&amp;&#39;&gt;");
    }
}
