//! The route table as a `matchit` router: path templates to the routes (one per method) that
//! share them. Built once per server from [`super::table`].

use chat_core::ChatError;

use super::Route;
use crate::http::Params;

/// Every route, grouped by path template.
pub struct Router {
    router: matchit::Router<usize>,
    paths: Vec<(&'static str, Vec<Route>)>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("paths", &self.paths.len())
            .finish_non_exhaustive()
    }
}

/// A path that matched a template.
pub struct Matched<'a> {
    /// The template (the `route` label of logs and metrics).
    pub path: &'static str,
    /// The routes of that template, one per method.
    pub routes: &'a [Route],
    /// The path's parameters.
    pub params: Params,
}

impl Router {
    /// The router of [`super::table`].
    pub fn new() -> Result<Self, matchit::InsertError> {
        let mut paths: Vec<(&'static str, Vec<Route>)> = Vec::new();
        for route in super::table() {
            match paths.iter_mut().find(|(p, _)| *p == route.path) {
                Some((_, routes)) => routes.push(route),
                None => paths.push((route.path, vec![route])),
            }
        }
        let mut router = matchit::Router::new();
        for (i, (path, _)) in paths.iter().enumerate() {
            router.insert(*path, i)?;
        }
        Ok(Self { router, paths })
    }

    /// The template `path` matches, or `NotFound`.
    pub fn at(&self, path: &str) -> Result<Matched<'_>, ChatError> {
        let matched = self.router.at(path).map_err(|_| ChatError::NotFound)?;
        let (template, routes) = self.paths.get(*matched.value).ok_or(ChatError::NotFound)?;
        let params = Params(
            matched
                .params
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        );
        Ok(Matched {
            path: template,
            routes,
            params,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn router_builds_and_matches_templates() {
        let router = Router::new().unwrap();
        let m = router
            .at("/api/v1/accounts/7/chat/rooms/abc/members/12")
            .unwrap();
        assert_eq!(m.params.raw("user_id"), Some("12"));
        assert!(router.at("/api/v1/accounts/7/chat/rooms/").is_err());
    }
}
