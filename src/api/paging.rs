//! TestRail 6.7+ paging: `{offset, limit, size, _links: {next, prev}, <key>: [...]}`.
//!
//! `limit` defaults to and may not exceed 250 (TestRail answers `Field :limit is too large
//! (maximum 250).`); an empty `limit=` or `offset=` is the same as none, on every route, as
//! empty filters are; `size` is the number of items on the page; `_links.next` repeats the
//! request's filters, then `&limit=L&offset=O`, and is null on the last page. Every page but the
//! last is full, which is how `testrail-api`'s `*_bulk` helpers find the end.

use serde_json::{json, Map, Value};

use super::Request;
use crate::error::Result;
use crate::messages as msg;

/// The largest page TestRail serves.
pub const PAGE_MAX: u64 = 250;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u64,
    pub offset: u64,
}

/// A natural-number parameter; absent and empty are the same (none given).
pub(crate) fn natural(req: &Request, key: &str) -> Result<Option<u64>> {
    match req.param(key).map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<u64>()
            .map(Some)
            .map_err(|_| msg::not_natural(key)),
    }
}

impl Page {
    /// The page a TestRail list route asks for: `limit` 250 unless given.
    pub fn from_request(req: &Request) -> Result<Page> {
        Page::with_default(req, PAGE_MAX)
    }

    /// The page of a route whose `limit` defaults to `default` (at most [`PAGE_MAX`]): the one
    /// rule for `limit` and `offset` of every paged route.
    pub fn with_default(req: &Request, default: u64) -> Result<Page> {
        let limit = match natural(req, "limit")? {
            None => default,
            Some(0) => return Err(msg::limit_too_small()),
            Some(l) if l > PAGE_MAX => return Err(msg::limit_too_large(PAGE_MAX)),
            Some(l) => l,
        };
        let offset = natural(req, "offset")?.unwrap_or(0);
        Ok(Page { limit, offset })
    }

    /// Whether the page has room for the item at position `index` of the whole result.
    pub fn wants(&self, index: u64) -> bool {
        index >= self.offset && index < self.offset.saturating_add(self.limit)
    }

    /// Whether an item at `index` lies past the page (so there is a next page).
    pub fn past(&self, index: u64) -> bool {
        index >= self.offset.saturating_add(self.limit)
    }
}

fn link(req: &Request, limit: u64, offset: u64) -> Value {
    let mut s = format!("/api/v2/{}", req.method.name());
    for id in &req.ids {
        s.push('/');
        s.push_str(&id.to_string());
    }
    if let Some(e) = &req.guid {
        s.push('/');
        s.push_str(e);
    }
    for (k, v) in &req.params {
        if k == "limit" || k == "offset" {
            continue;
        }
        s.push('&');
        s.push_str(k);
        s.push('=');
        s.push_str(&encode(v));
    }
    s.push_str(&format!("&limit={limit}&offset={offset}"));
    Value::String(s)
}

/// A query key or value percent-encoded for a route: the one encoder of links and of
/// [`Request::with_params`].
pub(crate) fn encode(text: &str) -> std::borrow::Cow<'_, str> {
    percent_encoding::utf8_percent_encode(text, QUERY).into()
}

/// Characters escaped in a link's query values: what would break `&`-splitting or a URL.
const QUERY: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'<')
    .add(b'>')
    .add(b'=');

/// Wraps one page of items. `has_more` says whether anything follows the page.
pub fn wrap(req: &Request, page: Page, key: &str, items: Vec<Value>, has_more: bool) -> Value {
    let mut out = head(req, page, items.len(), has_more);
    out.insert(key.to_string(), Value::Array(items));
    Value::Object(out)
}

/// A page object without its list: `offset`, `limit`, `size` (the items on the page) and
/// `_links`; the list follows under the caller's key.
pub fn head(req: &Request, page: Page, size: usize, has_more: bool) -> Map<String, Value> {
    let next = if has_more {
        link(req, page.limit, page.offset + page.limit)
    } else {
        Value::Null
    };
    let prev = if page.offset > 0 {
        link(req, page.limit, page.offset.saturating_sub(page.limit))
    } else {
        Value::Null
    };
    let mut out = Map::with_capacity(5);
    out.insert("offset".into(), page.offset.into());
    out.insert("limit".into(), page.limit.into());
    out.insert("size".into(), size.into());
    out.insert("_links".into(), json!({"next": next, "prev": prev}));
    out
}

/// Pages a list that is already complete in memory.
pub fn wrap_all(req: &Request, key: &str, items: Vec<Value>) -> Result<Value> {
    let page = Page::from_request(req)?;
    let total = items.len() as u64;
    let has_more = total > page.offset.saturating_add(page.limit);
    let items = items
        .into_iter()
        .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
        .take(page.limit as usize)
        .collect();
    Ok(wrap(req, page, key, items, has_more))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(route: &str, default: u64) -> Result<Page> {
        Page::with_default(&Request::parse(route, None)?, default)
    }

    #[test]
    fn limit_and_offset_follow_one_rule() {
        assert_eq!(page("get_cases/1", PAGE_MAX).unwrap().limit, 250);
        assert_eq!(page("x_search_cases/1", 50).unwrap().limit, 50);
        // Empty is the same as absent, on every route.
        assert_eq!(
            page("get_cases/1&limit=&offset=", PAGE_MAX).unwrap(),
            Page {
                limit: 250,
                offset: 0
            }
        );
        assert_eq!(page("x_search_cases/1&limit= ", 50).unwrap().limit, 50);
        assert_eq!(
            page("get_cases/1&limit=10&offset=20", PAGE_MAX).unwrap(),
            Page {
                limit: 10,
                offset: 20
            }
        );
        let message = |r: &str| page(r, PAGE_MAX).unwrap_err().to_string();
        assert_eq!(
            message("get_cases/1&limit=251"),
            "Field :limit is too large (maximum 250)."
        );
        assert!(message("get_cases/1&limit=0").starts_with("Field :limit"));
        assert_eq!(
            message("get_cases/1&limit=ten"),
            "Field :limit is not a valid natural number."
        );
        assert_eq!(
            message("get_cases/1&offset=-1"),
            "Field :offset is not a valid natural number."
        );
    }

    #[test]
    fn pages_link_to_their_neighbours_with_the_filters() {
        let req =
            Request::parse("get_cases/1&suite_id=2&filter=a%26b&limit=2&offset=2", None).unwrap();
        let page = Page::from_request(&req).unwrap();
        let out = wrap(&req, page, "cases", vec![Value::Null; 2], true);
        assert_eq!(
            out["_links"]["next"],
            "/api/v2/get_cases/1&suite_id=2&filter=a%26b&limit=2&offset=4"
        );
        assert_eq!(
            out["_links"]["prev"],
            "/api/v2/get_cases/1&suite_id=2&filter=a%26b&limit=2&offset=0"
        );
        let last = wrap(&req, page, "cases", vec![Value::Null], false);
        assert!(last["_links"]["next"].is_null());
        assert_eq!(last["size"], 1);
    }
}
