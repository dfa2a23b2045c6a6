//! Paging a list the way the SDKs read it (docs/twilio.md "GET /v2/Services"): `PageSize`
//! (1–1000, default 50), `Page` (a number the client keeps; echoed) and `PageToken` (ours,
//! opaque to the client). The SDKs fetch the next page by `meta.next_page_url` verbatim
//! and stop at `null`.
//!
//! The token is a cursor, the sort key of the last item shown (`PA{created}-{sid}`), not
//! an offset: a service created or deleted between two pages neither repeats an item nor
//! skips one.

use super::error::TwilioError;
use super::form::Form;

/// Items per page when `PageSize` is not sent.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The largest `PageSize`.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// A page asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageAsk {
    /// `PageSize`.
    pub size: u32,
    /// `Page`, echoed (the client's own count).
    pub page: u32,
    /// After this sort key (`None`: from the first item).
    pub after: Option<(u64, String)>,
}

impl PageAsk {
    /// From a query string (without `?`). Other parameters are ignored.
    pub fn from_query(query: &str) -> Result<Self, TwilioError> {
        let form = Form::parse(query.as_bytes())?;
        let number = |name: &str, range: std::ops::RangeInclusive<u32>, default: u32| {
            form.get(name)?.map_or(Ok(default), |v| {
                v.parse::<u32>()
                    .ok()
                    .filter(|n| range.contains(n))
                    .ok_or_else(|| TwilioError::invalid_parameter(name))
            })
        };
        let size = number("PageSize", 1..=MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE)?;
        let page = number("Page", 0..=u32::MAX, 0)?;
        let after = form
            .get("PageToken")?
            .map(|t| parse_token(t).ok_or_else(|| TwilioError::invalid_parameter("PageToken")))
            .transpose()?;
        Ok(PageAsk { size, page, after })
    }

    /// This page of `items` (sorted by `key`), and the token of the next page (`None`: this
    /// is the last).
    pub fn slice<'a, T>(
        &self,
        items: &'a [T],
        key: impl Fn(&T) -> (u64, &str),
    ) -> (&'a [T], Option<String>) {
        let start = match &self.after {
            None => 0,
            Some((at, sid)) => items.partition_point(|i| key(i) <= (*at, sid.as_str())),
        };
        let end = (start + self.size as usize).min(items.len());
        let page = &items[start..end];
        let next = (end < items.len())
            .then(|| page.last().map(|i| token(key(i))))
            .flatten();
        (page, next)
    }

    /// The next page's URL under `path` (absolute, without a query).
    pub fn next_url(&self, path: &str, token: &str) -> String {
        format!(
            "{path}?PageSize={}&Page={}&PageToken={token}",
            self.size,
            self.page.saturating_add(1)
        )
    }

    /// This page's URL under `path`.
    pub fn url(&self, path: &str) -> String {
        let mut url = format!("{path}?PageSize={}&Page={}", self.size, self.page);
        if let Some(after) = &self.after {
            url.push_str("&PageToken=");
            url.push_str(&token((after.0, &after.1)));
        }
        url
    }
}

fn token((at, sid): (u64, &str)) -> String {
    format!("PA{at}-{sid}")
}

fn parse_token(t: &str) -> Option<(u64, String)> {
    let (at, sid) = t.strip_prefix("PA")?.split_once('-')?;
    let ok = !sid.is_empty() && sid.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then(|| Some((at.parse().ok()?, sid.to_owned())))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: u64) -> Vec<(u64, String)> {
        (0..n).map(|i| (i / 2, format!("VA{i:032x}"))).collect()
    }

    fn key(i: &(u64, String)) -> (u64, &str) {
        (i.0, &i.1)
    }

    #[test]
    fn pages_follow_one_another_to_the_end_without_repeats() {
        let all = items(7);
        let mut ask = PageAsk::from_query("PageSize=3").unwrap();
        let mut seen = vec![];
        loop {
            let (page, next) = ask.slice(&all, key);
            seen.extend(page.iter().cloned());
            let Some(next) = next else { break };
            let url = ask.next_url("/v2/Services", &next);
            ask = PageAsk::from_query(url.split_once('?').unwrap().1).unwrap();
        }
        assert_eq!(seen, all);
        assert_eq!(ask.page, 2);
    }

    #[test]
    fn an_item_deleted_between_pages_shifts_nothing() {
        let mut all = items(6);
        let ask = PageAsk::from_query("PageSize=2").unwrap();
        let (first, next) = ask.slice(&all, key);
        assert_eq!(first, &all[..2]);
        all.remove(1);
        let url = ask.next_url("/x", &next.unwrap());
        let ask = PageAsk::from_query(url.split_once('?').unwrap().1).unwrap();
        let (second, _) = ask.slice(&all, key);
        assert_eq!(second, &all[1..3]);
    }

    #[test]
    fn bad_paging_parameters_are_60200_naming_them() {
        for (query, name) in [
            ("PageSize=0", "PageSize"),
            ("PageSize=1001", "PageSize"),
            ("PageSize=x", "PageSize"),
            ("Page=-1", "Page"),
            ("PageToken=zz", "PageToken"),
            ("PageToken=PA12-", "PageToken"),
        ] {
            let e = PageAsk::from_query(query).unwrap_err();
            assert_eq!(
                (e.code, e.message.as_str()),
                (60200, format!("Invalid parameter: {name}").as_str()),
                "{query}"
            );
        }
        assert_eq!(PageAsk::from_query("").unwrap().size, DEFAULT_PAGE_SIZE);
        assert_eq!(PageAsk::from_query("PageSize=1000").unwrap().size, 1000);
    }

    #[test]
    fn an_empty_list_is_one_empty_page() {
        let all: Vec<(u64, String)> = vec![];
        let (page, next) = PageAsk::from_query("").unwrap().slice(&all, key);
        assert!(page.is_empty() && next.is_none());
    }
}
