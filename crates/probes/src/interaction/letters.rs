//! Published letters: the rows of letter lists (留言选登, 信件公开) and the letter pages they link
//! to, with their sent date (来信时间/留言时间), reply date (回复时间/答复时间), status
//! (已回复/未回复/办理中) and type.

use crate::html::{sel, text_of};
use chrono::NaiveDate;
use govwatch_config::ReplyRules;
use regex::Regex;
use scraper::{ElementRef, Html};
use std::sync::OnceLock;
use url::Url;

/// A letter's state as the site shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Replied,
    Unanswered,
    Processing,
    /// Not a valid message (不予受理, 无效, 重复…).
    Invalid,
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Replied => "replied",
            Status::Unanswered => "unanswered",
            Status::Processing => "processing",
            Status::Invalid => "invalid",
            Status::Unknown => "unknown",
        }
    }
}

/// What a list row or a letter page says about one letter.
#[derive(Debug, Clone, PartialEq)]
pub struct LetterInfo {
    pub url: Option<String>,
    pub title: String,
    pub sent: Option<NaiveDate>,
    pub replied: Option<NaiveDate>,
    pub status: Status,
    /// The type the site gives (咨询, 投诉, 建议, 求助, 举报…), when it gives one.
    pub kind_label: Option<String>,
    /// The text that shows it, for evidence.
    pub excerpt: String,
}

fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).expect("valid regex"))
}

const DATE: &str = r"(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})";

fn date_of(c: &regex::Captures, i: usize) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(
        c[i].parse().ok()?,
        c[i + 1].parse().ok()?,
        c[i + 2].parse().ok()?,
    )
}

fn all_dates(s: &str) -> Vec<NaiveDate> {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, DATE)
        .captures_iter(s)
        .filter_map(|c| date_of(&c, 1))
        .collect()
}

/// The status a text states, by the words sites use (`[replies]` of `interaction.toml`): invalid,
/// then unanswered, processing, replied.
pub fn status_in(s: &str, words: &ReplyRules) -> Option<Status> {
    let any = |ws: &[String]| ws.iter().any(|w| s.contains(w.as_str()));
    if any(&words.invalid_status) {
        Some(Status::Invalid)
    } else if any(&words.unanswered_status) {
        Some(Status::Unanswered)
    } else if any(&words.processing_status) {
        Some(Status::Processing)
    } else if any(&words.replied_status) {
        Some(Status::Replied)
    } else {
        None
    }
}

const SENT_LABELS: &str =
    r"(?:来信|留言|咨询|提问|写信|提交|发信|投诉|求助|建议|信件|反映)\s*(?:时间|日期)";
const REPLY_LABELS: &str = r"(?:回复|答复|办理|处理|办结|反馈|回信)\s*(?:时间|日期)";

/// Reads a letter page: one sent date under a sent label, and a reply date under a reply label.
/// `None` when the page is not a single letter (no label, or several sent labels: a list).
pub fn read_letter_page(text: &str, title: &str, words: &ReplyRules) -> Option<LetterInfo> {
    static SENT: OnceLock<Regex> = OnceLock::new();
    static REPLY: OnceLock<Regex> = OnceLock::new();
    static KIND: OnceLock<Regex> = OnceLock::new();
    static STATUS: OnceLock<Regex> = OnceLock::new();
    let sent_re = re(&SENT, &format!(r"{SENT_LABELS}\s*[：:]?\s*{DATE}"));
    let sents: Vec<regex::Captures> = sent_re.captures_iter(text).collect();
    if sents.len() != 1 {
        return None;
    }
    let sent = date_of(&sents[0], 1);
    let reply_re = re(&REPLY, &format!(r"{REPLY_LABELS}\s*[：:]?\s*{DATE}"));
    let reply = reply_re.captures(text);
    let replied = reply.as_ref().and_then(|c| date_of(c, 1));
    let status_re = re(
        &STATUS,
        r"(?:办理状态|处理状态|信件状态|回复状态|状态)\s*[：:]\s*(\S{2,6})",
    );
    let stated = status_re
        .captures(text)
        .and_then(|c| status_in(&c[1], words));
    let status = match (stated, replied) {
        (Some(s), _) => s,
        (None, Some(_)) => Status::Replied,
        (None, None) => status_in(text, words).unwrap_or(Status::Unknown),
    };
    let kind_re = re(
        &KIND,
        r"(?:信件类型|留言类型|来信类型|问题类型|诉求类型|类型|类别)\s*[：:]\s*([\p{Han}]{2,4})",
    );
    let kind_label = kind_re.captures(text).map(|c| c[1].to_string());
    let mut excerpt = sents[0][0].to_string();
    if let Some(r) = &reply {
        excerpt.push_str(" … ");
        excerpt.push_str(&r[0]);
    }
    Some(LetterInfo {
        url: None,
        title: title.to_string(),
        sent,
        replied,
        status,
        kind_label,
        excerpt,
    })
}

/// Which cell of a header row holds the sent date, the reply date, the status.
#[derive(Default, Clone, Copy)]
struct Columns {
    sent: Option<usize>,
    reply: Option<usize>,
}

fn header_columns(cells: &[String]) -> Option<Columns> {
    static S: OnceLock<Regex> = OnceLock::new();
    static R: OnceLock<Regex> = OnceLock::new();
    let s = re(
        &S,
        &format!("{SENT_LABELS}|^(?:时间|日期|提交时间|发布时间)$"),
    );
    let r = re(&R, REPLY_LABELS);
    let mut c = Columns::default();
    for (i, t) in cells.iter().enumerate() {
        if c.reply.is_none() && r.is_match(t) {
            c.reply = Some(i);
        } else if c.sent.is_none() && s.is_match(t) {
            c.sent = Some(i);
        }
    }
    (c.sent.is_some() || c.reply.is_some()).then_some(c)
}

/// Reads the rows of a letter list: rows with a link and a status word, or rows of a table whose
/// header names a sent or reply date column. Dates in a row outside a known column: the first is
/// the sent date, a second one the reply date.
pub fn read_letter_list(doc: &Html, base: &Url, words: &ReplyRules) -> Vec<LetterInfo> {
    let mut out = Vec::new();
    // Tables with a header row.
    let mut seen_rows = std::collections::HashSet::new();
    for table in doc.select(sel("table")) {
        let rows: Vec<ElementRef> = table
            .select(sel("tr"))
            .filter(|r| {
                // rows of this table, not of a nested one
                r.ancestors()
                    .filter_map(ElementRef::wrap)
                    .find(|a| a.value().name() == "table")
                    .is_some_and(|t| t.id() == table.id())
            })
            .collect();
        let mut cols: Option<Columns> = None;
        for row in rows {
            let cells: Vec<String> = row
                .children()
                .filter_map(ElementRef::wrap)
                .filter(|c| matches!(c.value().name(), "td" | "th"))
                .map(|c| text_of(&c))
                .collect();
            if let Some(h) = header_columns(&cells)
                && row.select(sel("a[href]")).next().is_none()
            {
                cols = Some(h);
                continue;
            }
            if let Some(l) = row_letter(&row, &cells, cols, base, words) {
                seen_rows.insert(row.id());
                out.push(l);
            }
        }
    }
    // Lists: li / dd / div rows holding a link and a status word.
    for row in doc.select(sel("li, dd, dl, div.item, div.list-item, p")) {
        if seen_rows.contains(&row.id()) || row.select(sel("li, dd, table")).next().is_some() {
            continue;
        }
        let cells: Vec<String> = row
            .children()
            .filter_map(ElementRef::wrap)
            .map(|c| text_of(&c))
            .collect();
        if let Some(l) = row_letter(&row, &cells, None, base, words) {
            out.push(l);
        } else if row.select(sel("a[href]")).next().is_none()
            && let Some(l) = qa_letter(&text_of(&row), words)
        {
            out.push(l);
        }
    }
    out
}

/// A question-and-answer block without links: "来信：… 2026-11-10 答复：… 2026-11-12".
fn qa_letter(text: &str, words: &ReplyRules) -> Option<LetterInfo> {
    static Q: OnceLock<Regex> = OnceLock::new();
    static A: OnceLock<Regex> = OnceLock::new();
    let q = re(
        &Q,
        &format!(r"(?:来信|留言|提问|问题|咨询|问)\s*[：:]\s*(.{{2,200}}?)\s*{DATE}"),
    );
    let a = re(
        &A,
        &format!(r"(?:答复|回复|回答|答)\s*[：:](.{{0,3000}}?){DATE}"),
    );
    let qc = q.captures(text)?;
    let sent = date_of(&qc, 2);
    let after = &text[qc.get(0)?.end()..];
    let replied = a.captures(after).and_then(|c| date_of(&c, 2));
    let status = match (status_in(text, words), replied) {
        (Some(s), _) => s,
        (None, Some(_)) => Status::Replied,
        (None, None) => return None,
    };
    Some(LetterInfo {
        url: None,
        title: crate::evidence::clip(qc[1].trim(), 40),
        sent,
        replied,
        status,
        kind_label: None,
        excerpt: crate::evidence::clip(text, 120),
    })
}

fn row_letter(
    row: &ElementRef,
    cells: &[String],
    cols: Option<Columns>,
    base: &Url,
    words: &ReplyRules,
) -> Option<LetterInfo> {
    let link = row.select(sel("a[href]")).next().filter(|l| {
        l.value()
            .attr("href")
            .is_some_and(|h| !h.starts_with("javascript:") && !h.starts_with('#'))
    });
    let (url, title) = match link {
        Some(l) => {
            let mut u = base.join(l.value().attr("href")?).ok()?;
            u.set_fragment(None);
            (Some(u.to_string()), text_of(&l))
        }
        // A table of letters whose titles are not links: the longest cell is the title.
        None if cols.is_some() => {
            let t = cells
                .iter()
                .filter(|c| all_dates(c).is_empty())
                .max_by_key(|c| c.chars().count())?
                .clone();
            (None, t)
        }
        None => return None,
    };
    if title.chars().count() < 4 {
        return None;
    }
    let row_text = text_of(row);
    let status = status_in(&row_text.replace(&title, ""), words);
    if cols.is_none() && status.is_none() {
        return None;
    }
    let (mut sent, mut replied) = (None, None);
    if let Some(c) = cols {
        sent = c
            .sent
            .and_then(|i| cells.get(i))
            .and_then(|t| all_dates(t).into_iter().next());
        replied = c
            .reply
            .and_then(|i| cells.get(i))
            .and_then(|t| all_dates(t).into_iter().next());
    }
    if sent.is_none() {
        let dates = all_dates(&row_text.replace(&title, ""));
        sent = dates.first().copied();
        if replied.is_none() && cols.is_none() {
            replied = dates.get(1).copied();
        }
    }
    sent?;
    let status = match (status, replied) {
        (Some(s), _) => s,
        (None, Some(_)) => Status::Replied,
        (None, None) => Status::Unknown,
    };
    Some(LetterInfo {
        url,
        title,
        sent,
        replied,
        status,
        kind_label: None,
        excerpt: crate::evidence::clip(&row_text, 120),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv() -> ReplyRules {
        ReplyRules {
            invalid_status: vec!["不予受理".into(), "无效".into()],
            ..govwatch_config::InteractionRules::default().replies
        }
    }

    #[test]
    fn letter_page_labels() {
        let t = "关于小区供暖的咨询 来信人：王** 来信时间：2026-02-13 信件类型：咨询 内容…… 回复单位：县住建局 回复时间：2026年02月24日 回复内容：……";
        let l = read_letter_page(t, "关于小区供暖的咨询", &inv()).unwrap();
        assert_eq!(l.sent, NaiveDate::from_ymd_opt(2026, 2, 13));
        assert_eq!(l.replied, NaiveDate::from_ymd_opt(2026, 2, 24));
        assert_eq!(l.status, Status::Replied);
        assert_eq!(l.kind_label.as_deref(), Some("咨询"));
        let u = read_letter_page("留言时间：2026/7/10 办理状态：未回复", "x", &inv()).unwrap();
        assert_eq!((u.status, u.replied), (Status::Unanswered, None));
        assert!(
            read_letter_page("来信时间：2026-01-01 来信时间：2026-01-02", "list", &inv()).is_none()
        );
    }

    #[test]
    fn list_rows_table_and_li() {
        let base = Url::parse("http://a.gov.test/hdjl/").unwrap();
        let doc = Html::parse_document(
            r#"<table><tr><th>标题</th><th>来信时间</th><th>回复时间</th><th>状态</th></tr>
            <tr><td><a href="1.html">关于道路维修的建议</a></td><td>2026-08-03</td><td>2026-08-20</td><td>已回复</td></tr>
            <tr><td><a href="2.html">咨询公积金提取办法</a></td><td>2026-07-10</td><td></td><td>未回复</td></tr></table>
            <ul><li><a href="3.html">咨询社保转移手续</a><span>[办理中]</span><span>2026-11-20</span></li>
            <li><a href="/xxgk/">政务公开专栏</a></li></ul>"#,
        );
        let l = read_letter_list(&doc, &base, &inv());
        assert_eq!(l.len(), 3, "{l:?}");
        assert_eq!(l[0].replied, NaiveDate::from_ymd_opt(2026, 8, 20));
        assert_eq!(l[1].status, Status::Unanswered);
        assert_eq!(l[2].status, Status::Processing);
        assert_eq!(l[2].url.as_deref(), Some("http://a.gov.test/hdjl/3.html"));
        // question-and-answer blocks without links
        let qa = Html::parse_document(
            "<ul><li><p><b>来信：</b>光伏发电项目备案需要提交哪些材料？<span>2026-10-28</span></p>\
             <p><b>答复：</b>您好！分布式光伏发电项目实行备案管理。<span>2026-10-30</span></p></li></ul>",
        );
        let l = read_letter_list(&qa, &base, &inv());
        assert_eq!(l.len(), 1, "{l:?}");
        assert_eq!(l[0].sent, NaiveDate::from_ymd_opt(2026, 10, 28));
        assert_eq!(l[0].replied, NaiveDate::from_ymd_opt(2026, 10, 30));
    }
}
