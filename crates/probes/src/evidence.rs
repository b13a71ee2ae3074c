//! The one place findings are built, and helpers to cut evidence excerpts out of page text.
//!
//! Every probe builds its findings through [`finding`] and a [`FindingBuilder`], so a finding's
//! evidence (HTTP status, excerpt, archived copy, body hash) is filled alike everywhere: a page
//! given with [`FindingBuilder::page`] brings its status, its archived copy and its body hash.
//! Excerpts come from [`excerpt_around`] and [`clip`].

use govwatch_model::{Evidence, Finding, Page, Severity, Timestamp};
use serde_json::Value;

/// A finding of `probe` with `code` and `severity`, observed at `at`; the rest (URL, value,
/// message, evidence) is added with the builder's methods and the finding taken with
/// [`FindingBuilder::build`].
pub fn finding(probe: &str, code: &str, severity: Severity, at: Timestamp) -> FindingBuilder {
    FindingBuilder(Finding {
        probe: probe.into(),
        code: code.into(),
        severity,
        url: None,
        value: Value::Null,
        message: String::new(),
        evidence: Evidence {
            status: None,
            excerpt: None,
            archived: None,
            body_hash: None,
            extra: Value::Null,
        },
        observed_at: at,
    })
}

/// A finding being built (see [`finding`]).
#[must_use]
pub struct FindingBuilder(Finding);

impl FindingBuilder {
    /// The URL the finding is about.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.0.url = Some(url.into());
        self
    }

    /// The URL the finding is about, when there is one.
    pub fn url_opt(mut self, url: Option<String>) -> Self {
        self.0.url = url;
        self
    }

    /// The finding's value (what was measured, as JSON).
    pub fn value(mut self, value: Value) -> Self {
        self.0.value = value;
        self
    }

    /// The message shown to people.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.0.message = message.into();
        self
    }

    /// The excerpt that proves the finding.
    pub fn excerpt(mut self, excerpt: impl Into<Option<String>>) -> Self {
        self.0.evidence.excerpt = excerpt.into();
        self
    }

    /// The page the evidence comes from: its HTTP status, its archived copy and its body hash
    /// (nothing when `None`).
    pub fn page(mut self, page: Option<&Page>) -> Self {
        self.0.evidence.status = page.and_then(|p| p.fetch.status);
        self.0.evidence.archived = page.map(|p| p.fetch.url.clone());
        self.0.evidence.body_hash = page.and_then(|p| p.fetch.content_hash.clone());
        self
    }

    /// The HTTP status seen.
    pub fn status(mut self, status: Option<u16>) -> Self {
        self.0.evidence.status = status;
        self
    }

    /// Where the archived copy is (the URL of the page whose body the store kept).
    pub fn archived(mut self, archived: Option<String>) -> Self {
        self.0.evidence.archived = archived;
        self
    }

    /// The content hash of the archived body.
    pub fn body_hash(mut self, hash: Option<String>) -> Self {
        self.0.evidence.body_hash = hash;
        self
    }

    /// Anything else the evidence keeps (free-form JSON).
    pub fn extra(mut self, extra: Value) -> Self {
        self.0.evidence.extra = extra;
        self
    }

    /// The finding.
    pub fn build(self) -> Finding {
        self.0
    }
}

/// About `radius` characters either side of the first occurrence of `needle` in `text`, white
/// space folded; `None` when it does not occur. The cut never falls inside a tag (it widens to
/// the tag's `<` or `>`) nor inside a word of letters and digits (it widens to the word's end), so
/// an excerpt reads `<a href="…">` and whole words, never `ef="…` (Chinese text is cut between
/// any two characters).
pub fn excerpt_around(text: &str, needle: &str, radius: usize) -> Option<String> {
    if needle.is_empty() {
        return None;
    }
    let at = text.find(needle)?;
    let start = text[..at]
        .char_indices()
        .rev()
        .nth(radius.saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(0);
    let end_from = at + needle.len();
    let end = text[end_from..]
        .char_indices()
        .nth(radius)
        .map(|(i, _)| end_from + i)
        .unwrap_or(text.len());
    let (start, end) = (cut_start(text, start), cut_end(text, end));
    let s: String = text[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Some(s)
}

/// How far a cut may move to reach a tag's edge or a word's end, in bytes.
const CUT_SLACK: usize = 300;

/// A letter or digit of a word written in an alphabet (a cut between two of them splits a word).
fn wordy(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The start of an excerpt moved back out of a tag (to its `<`) or a word (to its first letter).
pub(crate) fn cut_start(text: &str, start: usize) -> usize {
    let before = &text[..start];
    let lt = before.rfind('<');
    if let Some(lt) = lt
        && before.rfind('>').is_none_or(|gt| gt < lt)
        && start - lt <= CUT_SLACK
    {
        return lt;
    }
    let next = text[start..].chars().next();
    if next.is_some_and(wordy) {
        let word = before
            .char_indices()
            .rev()
            .take_while(|&(i, c)| wordy(c) && start - i <= CUT_SLACK)
            .last();
        if let Some((i, _)) = word {
            return i;
        }
    }
    start
}

/// The end of an excerpt moved on out of a tag (past its `>`) or a word (past its last letter).
pub(crate) fn cut_end(text: &str, end: usize) -> usize {
    let before = &text[..end];
    if let Some(lt) = before.rfind('<')
        && before.rfind('>').is_none_or(|gt| gt < lt)
        && let Some(gt) = text[end..].find('>')
        && gt <= CUT_SLACK
    {
        return end + gt + 1;
    }
    if before.chars().next_back().is_some_and(wordy) {
        let more: usize = text[end..]
            .chars()
            .take_while(|&c| wordy(c))
            .map(char::len_utf8)
            .sum();
        if more <= CUT_SLACK {
            return end + more;
        }
    }
    end
}

/// Cuts a string to at most `n` characters, marking the cut.
pub fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_around_multibyte_text() {
        let t = "前面的文字<a href=\"/x.html\">  失效   链接</a>后面的文字";
        // the cut widens to the tag's `<`, and ends between two Chinese characters
        assert_eq!(
            excerpt_around(t, "/x.html", 6).unwrap(),
            "<a href=\"/x.html\"> 失效"
        );
        // never inside a tag or a word: `| ef="http://…` was the report's complaint
        let t = "<div class=\"links\"><a href=\"http://a.gov.test/\">甲</a> <a href=\"http://dead.test/\" target=\"_blank\">乙局</a> more text here</div>";
        assert_eq!(
            excerpt_around(t, "http://dead.test/", 8).unwrap(),
            "<a href=\"http://dead.test/\" target=\"_blank\">"
        );
        let t = "the quick brown fox jumps over the lazy dog";
        assert_eq!(excerpt_around(t, "jumps", 3).unwrap(), "fox jumps over");
        assert_eq!(excerpt_around(t, "nothing", 4), None);
        assert_eq!(clip("通知公告栏目", 4), "通知公告…");
    }
}
