//! Where the web client's files come from: embedded in the binary in release builds, read
//! from `web/` on disk in debug builds (so a page reload shows an edit without a rebuild) —
//! `rust-embed` does both. [`Source`] keeps the current [`Bundle`], rebuilt in debug builds
//! when a file changed.

use std::sync::{Arc, RwLock};

use rust_embed::RustEmbed;

use super::bundle::{Bundle, BundleError, File};

/// `web/src/**` and `web/pages/*.html` (not the tests, not `node_modules`).
#[derive(RustEmbed)]
#[folder = "../web/"]
#[include = "src/**/*"]
#[include = "pages/*.html"]
struct WebFiles;

/// The current bundle, with the files it was built from (debug builds compare them).
#[derive(Default)]
pub struct Source {
    current: RwLock<Option<(Vec<File>, Arc<Bundle>)>>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source").finish_non_exhaustive()
    }
}

impl Source {
    /// The bundle. Release builds build it once from the embedded files; debug builds read
    /// the files again (a few dozen small reads) and rebuild when any differs.
    pub fn bundle(&self) -> Result<Arc<Bundle>, BundleError> {
        if !cfg!(debug_assertions) {
            if let Some((_, b)) = self.read_current().as_ref() {
                return Ok(Arc::clone(b));
            }
        }
        let files = files();
        if let Some((seen, b)) = self.read_current().as_ref() {
            if same(seen, &files) {
                return Ok(Arc::clone(b));
            }
        }
        let bundle = Arc::new(Bundle::build(files.clone())?);
        if let Ok(mut current) = self.current.write() {
            *current = Some((files, Arc::clone(&bundle)));
        }
        Ok(bundle)
    }

    /// The bundle already built, if any, without looking at the files (an asset request:
    /// its hashed name either is in the bundle that named it or is stale).
    pub fn cached(&self) -> Option<Arc<Bundle>> {
        self.read_current().as_ref().map(|(_, b)| Arc::clone(b))
    }

    fn read_current(&self) -> std::sync::RwLockReadGuard<'_, Option<(Vec<File>, Arc<Bundle>)>> {
        // A panic while holding the lock cannot leave a half-written value (it is replaced
        // whole), so a poisoned lock is still good to read.
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn files() -> Vec<File> {
    let mut out: Vec<File> = WebFiles::iter()
        .filter_map(|path| {
            WebFiles::get(&path).map(|f| File {
                path: path.into_owned(),
                bytes: f.data.into_owned(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn same(a: &[File], b: &[File]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.path == y.path && x.bytes == y.bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The real `web/` tree makes a bundle: every reference resolves, no cycle, and every
    /// page's assets exist (a broken import fails here, not in a user's browser).
    #[test]
    fn the_real_web_tree_bundles() {
        let source = Source::default();
        let b = source.bundle().unwrap();
        assert!(
            b.embed_js().is_some(),
            "web/src/embed.js is served at /embed.js"
        );
        for page in ["embed", "admin", "dev"] {
            let file = format!("{}/../web/pages/{page}.html", env!("CARGO_MANIFEST_DIR"));
            if !std::path::Path::new(&file).exists() {
                continue;
            }
            let html = b
                .page(page)
                .unwrap_or_else(|| panic!("web/pages/{page}.html"));
            assert!(
                !html.contains("\"/assets/"),
                "{page}: unrewritten asset reference"
            );
        }
        assert!(b.page("dev").is_some());
        let again = source.bundle().unwrap();
        assert!(Arc::ptr_eq(&b, &again), "unchanged files are not rebuilt");
    }
}
