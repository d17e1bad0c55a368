//! The web client's files as served: every file under `web/src/` becomes an asset under
//! `/assets/` with a content hash in its name (`chat/app.js` → `chat/app.3f2a9c1e5b7d.js`),
//! the references between files rewritten to those names, and text assets gzipped once here
//! — never per request. Hashing follows the references (a module's hash covers the hashed
//! names of what it imports), so any change reaches every page that depends on it, and an
//! asset may be cached forever (`immutable`).
//!
//! Pure: files in, [`Bundle`] out. Where the files come from (embedded or on disk) is
//! [`super::source`]'s business.

use std::collections::HashMap;
use std::io::Write as _;

use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use sha2::{Digest, Sha256};

use super::scan;

/// Hex digits of the content hash in asset names (48 bits: collisions are not a concern for
/// a few hundred files, and names stay readable).
const HASH_HEX: usize = 12;

/// Assets smaller than this are sent as they are (gzip would not pay for its header).
const GZIP_MIN_BYTES: usize = 512;

/// One file of `web/`, by its path relative to `web/` (`src/chat/app.js`, `pages/embed.html`).
#[derive(Debug, Clone)]
pub struct File {
    /// Path under `web/`, `/`-separated.
    pub path: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// A file ready to serve.
#[derive(Debug, Clone)]
pub struct Asset {
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The bytes as they are.
    pub body: Bytes,
    /// The same, gzipped, when that is smaller.
    pub gzip: Option<Bytes>,
    /// Strong validator (the content hash), quoted.
    pub etag: String,
}

/// Everything the web routes serve.
#[derive(Debug, Default)]
pub struct Bundle {
    /// By served path under `/assets/` (`chat/app.3f2a9c1e5b7d.js`).
    assets: HashMap<String, Asset>,
    /// Pages (`embed`, `admin`, `dev`: the name of `pages/{name}.html`), asset references
    /// written for the page's URL.
    pages: HashMap<String, String>,
    /// `src/embed.js` as served at `/embed.js` (imports pointing into `./assets/`).
    embed_js: Option<Asset>,
    /// Logical path under `src/` → served path under `/assets/`.
    names: HashMap<String, String>,
}

/// Why the files do not make a bundle (a developer's mistake, caught by a test over the real
/// tree; at run time the web routes answer 500 and log this).
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A reference names a file that does not exist.
    #[error("{file}: reference {reference:?} names no file under web/src/")]
    Unresolved {
        /// The referring file.
        file: String,
        /// The reference as written.
        reference: String,
    },
    /// Files reference each other in a cycle (content hashes cannot be computed).
    #[error("{file}: import cycle (content-hashed names need an acyclic module graph)")]
    Cycle {
        /// A file on the cycle.
        file: String,
    },
    /// A page or module that is not UTF-8.
    #[error("{file}: not UTF-8")]
    NotUtf8 {
        /// The file.
        file: String,
    },
}

/// Where a page is served, for its relative asset references: `embed` at `/embed`, `admin` at
/// `/embed/admin` (one level down), `dev` at `/dev`.
pub fn page_depth(name: &str) -> usize {
    usize::from(name == "admin")
}

impl Bundle {
    /// Builds the bundle from `web/`'s files (those outside `src/` and `pages/` are ignored).
    pub fn build(files: Vec<File>) -> Result<Self, BundleError> {
        let mut sources: HashMap<String, Vec<u8>> = HashMap::new();
        let mut pages = Vec::new();
        for f in files {
            if let Some(p) = f.path.strip_prefix("src/") {
                sources.insert(p.to_owned(), f.bytes);
            } else if let Some(name) = f
                .path
                .strip_prefix("pages/")
                .and_then(|p| p.strip_suffix(".html"))
            {
                if !name.contains('/') {
                    pages.push((name.to_owned(), f.bytes));
                }
            }
        }
        let mut hasher = Hasher {
            sources: &sources,
            named: HashMap::new(),
            rendered: HashMap::new(),
            visiting: Vec::new(),
        };
        let mut keys: Vec<&String> = sources.keys().collect();
        keys.sort();
        for path in keys {
            hasher.name_of(path)?;
        }
        let mut bundle = Bundle::default();
        for (path, served) in &hasher.named {
            let body = hasher.rendered.remove(path).unwrap_or_default();
            bundle
                .assets
                .insert(served.clone(), asset(path, body, &hash_hex(served)));
        }
        if sources.contains_key("embed.js") {
            let body = rewrite_js(&sources, "embed.js", &hasher.named, "./assets/", true)?;
            let etag = hash_hex(&String::from_utf8_lossy(&body));
            bundle.embed_js = Some(asset("embed.js", body, &etag));
        }
        for (name, bytes) in pages {
            let file = format!("pages/{name}.html");
            let html = String::from_utf8(bytes)
                .map_err(|_| BundleError::NotUtf8 { file: file.clone() })?;
            let prefix = "../".repeat(page_depth(&name));
            let mut out = String::with_capacity(html.len());
            let mut last = 0;
            for r in scan::html_asset_refs(&html) {
                let logical = &html[r.clone()]["/assets/".len()..];
                let served = hasher
                    .named
                    .get(logical)
                    .ok_or_else(|| BundleError::Unresolved {
                        file: file.clone(),
                        reference: html[r.clone()].to_owned(),
                    })?;
                out.push_str(&html[last..r.start]);
                out.push_str(&format!("{prefix}assets/{served}"));
                last = r.end;
            }
            out.push_str(&html[last..]);
            bundle.pages.insert(name, out);
        }
        bundle.names = hasher.named;
        Ok(bundle)
    }

    /// The asset served at `/assets/{path}`.
    pub fn asset(&self, path: &str) -> Option<&Asset> {
        self.assets.get(path)
    }

    /// The page `pages/{name}.html`, references rewritten.
    pub fn page(&self, name: &str) -> Option<&str> {
        self.pages.get(name).map(String::as_str)
    }

    /// `/embed.js`.
    pub fn embed_js(&self) -> Option<&Asset> {
        self.embed_js.as_ref()
    }

    /// The served path under `/assets/` of a file under `src/` (`chat/app.js` →
    /// `chat/app.3f2a9c1e5b7d.js`).
    pub fn served_path(&self, logical: &str) -> Option<String> {
        self.names.get(logical).cloned()
    }
}

/// Computes served names depth-first: a file's name needs the names of what it references.
struct Hasher<'a> {
    sources: &'a HashMap<String, Vec<u8>>,
    /// Logical path → served path (`chat/app.js` → `chat/app.3f2a….js`).
    named: HashMap<String, String>,
    /// Logical path → the bytes as served.
    rendered: HashMap<String, Vec<u8>>,
    visiting: Vec<String>,
}

impl Hasher<'_> {
    fn name_of(&mut self, path: &str) -> Result<String, BundleError> {
        if let Some(n) = self.named.get(path) {
            return Ok(n.clone());
        }
        if self.visiting.iter().any(|v| v == path) {
            return Err(BundleError::Cycle {
                file: path.to_owned(),
            });
        }
        self.visiting.push(path.to_owned());
        let sources = self.sources;
        let raw = sources.get(path).ok_or_else(|| BundleError::Unresolved {
            file: path.to_owned(),
            reference: path.to_owned(),
        })?;
        let refs = references(path, raw)?;
        for r in &refs {
            let target = resolve(path, &r.1).ok_or_else(|| BundleError::Unresolved {
                file: path.to_owned(),
                reference: r.1.clone(),
            })?;
            if !sources.contains_key(&target) {
                return Err(BundleError::Unresolved {
                    file: path.to_owned(),
                    reference: r.1.clone(),
                });
            }
            self.name_of(&target)?;
        }
        let body = if refs.is_empty() {
            raw.clone()
        } else if path.ends_with(".css") {
            rewrite(raw, path, &refs, &self.named, None)?
        } else {
            rewrite_js(sources, path, &self.named, "", false)?
        };
        let digest = hex(&Sha256::digest(&body));
        let (stem, ext) = split_ext(path);
        let served = format!("{stem}.{}{ext}", &digest[..HASH_HEX]);
        self.visiting.pop();
        self.named.insert(path.to_owned(), served.clone());
        self.rendered.insert(path.to_owned(), body);
        Ok(served)
    }
}

/// `(byte range, reference)` of the relative references of a JS or CSS file; none for others.
fn references(
    path: &str,
    raw: &[u8],
) -> Result<Vec<(std::ops::Range<usize>, String)>, BundleError> {
    let ranges = if path.ends_with(".js") {
        scan::js_specifiers(utf8(path, raw)?)
    } else if path.ends_with(".css") {
        scan::css_references(utf8(path, raw)?)
    } else {
        return Ok(Vec::new());
    };
    let text = utf8(path, raw)?;
    Ok(ranges
        .into_iter()
        .map(|r| {
            let s = text[r.clone()].to_owned();
            (r, s)
        })
        .collect())
}

/// A JS module with its relative specifiers replaced: by the hashed file name in the same
/// relative form (`../lib/x.js` → `../lib/x.3f2a….js`), or — `from_root` — by `base` plus
/// the target's served path (for `/embed.js`, served outside `/assets/`).
fn rewrite_js(
    sources: &HashMap<String, Vec<u8>>,
    path: &str,
    named: &HashMap<String, String>,
    base: &str,
    from_root: bool,
) -> Result<Vec<u8>, BundleError> {
    let raw = sources.get(path).ok_or_else(|| BundleError::Unresolved {
        file: path.to_owned(),
        reference: path.to_owned(),
    })?;
    let refs = references(path, raw)?;
    rewrite(raw, path, &refs, named, from_root.then_some(base))
}

fn rewrite(
    raw: &[u8],
    path: &str,
    refs: &[(std::ops::Range<usize>, String)],
    named: &HashMap<String, String>,
    root_base: Option<&str>,
) -> Result<Vec<u8>, BundleError> {
    let text = utf8(path, raw)?;
    let mut out = String::with_capacity(text.len() + refs.len() * (HASH_HEX + 1));
    let mut last = 0;
    for (range, spec) in refs {
        let unresolved = || BundleError::Unresolved {
            file: path.to_owned(),
            reference: spec.clone(),
        };
        let target = resolve(path, spec).ok_or_else(unresolved)?;
        let served = named.get(&target).ok_or_else(unresolved)?;
        out.push_str(&text[last..range.start]);
        match root_base {
            Some(base) => {
                out.push_str(base);
                out.push_str(served);
            }
            None => {
                // Same directories under /assets/ as under src/: only the file name changes.
                let dir_part = spec.rfind('/').map_or("", |i| &spec[..=i]);
                let file_part = served.rsplit('/').next().unwrap_or(served);
                out.push_str(dir_part);
                out.push_str(file_part);
            }
        }
        last = range.end;
    }
    out.push_str(&text[last..]);
    Ok(out.into_bytes())
}

/// The logical path a relative reference of `from` names, or `None` when it climbs out of
/// `src/` or has a query/fragment.
fn resolve(from: &str, spec: &str) -> Option<String> {
    if spec.contains(['?', '#', '\\']) {
        return None;
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in spec.split('/') {
        match seg {
            "." | "" => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

fn split_ext(path: &str) -> (&str, &str) {
    let name_start = path.rfind('/').map_or(0, |i| i + 1);
    match path[name_start..].rfind('.') {
        Some(dot) if dot > 0 => path.split_at(name_start + dot),
        _ => (path, ""),
    }
}

fn utf8<'b>(path: &str, raw: &'b [u8]) -> Result<&'b str, BundleError> {
    std::str::from_utf8(raw).map_err(|_| BundleError::NotUtf8 {
        file: path.to_owned(),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))[..HASH_HEX].to_owned()
}

fn asset(path: &str, body: Vec<u8>, hash: &str) -> Asset {
    let content_type = content_type(path);
    let gzip = (content_type.contains("charset=utf-8") || content_type == "image/svg+xml")
        .then(|| gzip(&body))
        .flatten()
        .filter(|z| body.len() >= GZIP_MIN_BYTES && z.len() < body.len())
        .map(Bytes::from);
    Asset {
        content_type,
        body: Bytes::from(body),
        gzip,
        etag: format!("\"{hash}\""),
    }
}

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(body).ok()?;
    enc.finish().ok()
}

/// `Content-Type` by extension; unknown kinds as opaque bytes (with `nosniff`, never run).
pub fn content_type(path: &str) -> &'static str {
    match split_ext(path).1 {
        ".js" | ".mjs" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".html" => "text/html; charset=utf-8",
        ".json" => "application/json; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        ".woff2" => "font/woff2",
        ".txt" | ".md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> File {
        File {
            path: path.to_owned(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    fn tree(lib: &str) -> Vec<File> {
        vec![
            file("src/lib/util.js", lib),
            file(
                "src/chat/main.js",
                "import { u } from \"../lib/util.js\";\nexport const m = u;\n",
            ),
            file(
                "src/embed.js",
                "import { u } from './lib/util.js';\nexport function mount() { return u; }\n",
            ),
            file("src/styles/chat.css", "@import \"./theme.css\";\n"),
            file("src/styles/theme.css", ":root { --bg: #fff }\n"),
            file(
                "pages/embed.html",
                "<link rel=\"stylesheet\" href=\"/assets/styles/chat.css\"><!--chat:config--><script type=\"module\" src=\"/assets/chat/main.js\"></script>",
            ),
            file(
                "pages/admin.html",
                "<script type=\"module\" src=\"/assets/chat/main.js\"></script>",
            ),
            file("tests/unit/x.test.js", "ignored"),
        ]
    }

    #[test]
    fn names_are_hashed_and_references_rewritten() {
        let b = Bundle::build(tree("export const u = 1;\n")).unwrap();
        let util = b.served_path("lib/util.js").unwrap();
        let main = b.served_path("chat/main.js").unwrap();
        let main_body = std::str::from_utf8(&b.asset(&main).unwrap().body).unwrap();
        let util_file = util.rsplit('/').next().unwrap();
        assert!(
            main_body.contains(&format!("\"../lib/{util_file}\"")),
            "{main_body}"
        );
        let embed = std::str::from_utf8(&b.embed_js().unwrap().body)
            .unwrap()
            .to_owned();
        assert!(embed.contains(&format!("'./assets/{util}'")), "{embed}");
        let css = b.served_path("styles/chat.css").unwrap();
        let theme = b.served_path("styles/theme.css").unwrap();
        let css_body = std::str::from_utf8(&b.asset(&css).unwrap().body).unwrap();
        assert!(css_body.contains(theme.rsplit('/').next().unwrap()));
        let page = b.page("embed").unwrap();
        assert!(page.contains(&format!("href=\"assets/{css}\"")), "{page}");
        assert!(page.contains(&format!("src=\"assets/{main}\"")));
        assert!(b
            .page("admin")
            .unwrap()
            .contains(&format!("src=\"../assets/{main}\"")));
        assert!(b.asset("x.test.js").is_none() && b.served_path("unit/x.test.js").is_none());
        assert_eq!(
            b.asset(&util).unwrap().content_type,
            "text/javascript; charset=utf-8"
        );
    }

    #[test]
    fn a_change_renames_the_file_and_everything_that_imports_it() {
        let a = Bundle::build(tree("export const u = 1;\n")).unwrap();
        let b = Bundle::build(tree("export const u = 2;\n")).unwrap();
        for path in ["lib/util.js", "chat/main.js"] {
            assert_ne!(a.served_path(path), b.served_path(path), "{path}");
        }
        assert_eq!(
            a.served_path("styles/chat.css"),
            b.served_path("styles/chat.css")
        );
        assert_ne!(a.embed_js().unwrap().etag, b.embed_js().unwrap().etag);
    }

    #[test]
    fn broken_trees_are_refused() {
        let mut t = tree("import x from './missing.js';\n");
        assert!(matches!(
            Bundle::build(t.clone()),
            Err(BundleError::Unresolved { .. })
        ));
        t[0] = file("src/lib/util.js", "import m from '../chat/main.js';\n");
        assert!(matches!(Bundle::build(t), Err(BundleError::Cycle { .. })));
        let escape = vec![file("src/a.js", "import x from '../../etc/passwd.js';\n")];
        assert!(Bundle::build(escape).is_err());
    }

    #[test]
    fn large_text_is_gzipped_once() {
        let big = format!("export const u = {:?};\n", "chat ".repeat(2000));
        let b = Bundle::build(tree(&big)).unwrap();
        let util = b.asset(&b.served_path("lib/util.js").unwrap()).unwrap();
        let z = util.gzip.as_ref().unwrap();
        assert!(z.len() < util.body.len() / 10);
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&z[..]), &mut out).unwrap();
        assert_eq!(out, util.body);
    }
}
