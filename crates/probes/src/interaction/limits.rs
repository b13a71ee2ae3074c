//! Message-form limits read from a form page's markup, scripts and notice text — never by
//! submitting the form.
//!
//! - Length: `minlength`/`maxlength` on the content `<textarea>`, validator rules
//!   (nice-validator `length[5~400]`, jQuery-metadata `{required:true,minlength:50}`,
//!   jquery.validate `content: {minlength: 50}`), submit checks (`content.length < 50` + alert),
//!   placeholders ("5~400个字符") and notice text ("不少于50字", "50字以上", "不超过400个字符").
//! - Daily cap: notice text ("每天只能提交1次", "每日限留言一条") and scripts that keep today's date
//!   in a cookie or localStorage and refuse a second message.
//! - Opening hours: notice text ("开放时间为8:00至19:00", "工作日8:30-17:30") and scripts comparing
//!   `getHours()`.
//! - Captcha and login.

use regex::Regex;
use scraper::{ElementRef, Html};
use serde::Serialize;
use std::sync::OnceLock;

/// Where a limit was read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    /// `attribute`, `validator`, `script`, `placeholder` or `notice`.
    pub how: &'static str,
    pub excerpt: String,
}

/// Everything read from one form page.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FormLimits {
    pub min_len: Option<u32>,
    pub max_len: Option<u32>,
    /// The source of the binding minimum / maximum.
    pub min_source: Option<Source>,
    pub max_source: Option<Source>,
    pub daily_cap: Option<u32>,
    pub daily_cap_source: Option<Source>,
    /// Opening window as (start minute, end minute) of the day.
    pub open: Option<(u32, u32)>,
    pub workdays_only: bool,
    pub open_source: Option<Source>,
    pub captcha: bool,
    /// Whether the page holds a `<textarea>` to write in.
    pub form_present: bool,
}

impl FormLimits {
    pub fn open_hours(&self) -> Option<String> {
        self.open
            .map(|(a, b)| format!("{:02}:{:02}-{:02}:{:02}", a / 60, a % 60, b / 60, b % 60))
    }
}

use crate::html::sel;

fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).expect("valid regex"))
}

/// A number written in digits or simple Chinese numerals (一…九十, 百, 千, 两).
pub fn cn_number(s: &str) -> Option<u32> {
    if let Ok(n) = s.parse() {
        return Some(n);
    }
    let digit = |c: char| -> Option<u32> {
        Some(match c {
            '零' => 0,
            '一' => 1,
            '二' | '两' => 2,
            '三' => 3,
            '四' => 4,
            '五' => 5,
            '六' => 6,
            '七' => 7,
            '八' => 8,
            '九' => 9,
            _ => return None,
        })
    };
    let (mut total, mut cur) = (0u32, 0u32);
    let mut any = false;
    for c in s.chars() {
        any = true;
        match c {
            '十' => {
                total += if cur == 0 { 10 } else { cur * 10 };
                cur = 0;
            }
            '百' => {
                total += cur.max(1) * 100;
                cur = 0;
            }
            '千' => {
                total += cur.max(1) * 1000;
                cur = 0;
            }
            c => cur = digit(c)?,
        }
    }
    any.then_some(total + cur)
}

const NUM: &str = r"(\d+|[零一二两三四五六七八九十百千]+)";

/// Words that show a clause is about another field than the message text.
const OTHER_FIELD: &[&str] = &[
    "标题",
    "主题",
    "姓名",
    "名字",
    "电话",
    "手机",
    "地址",
    "附件",
    "验证码",
    "题目",
    "邮箱",
    "单位",
    "密码",
    "用户名",
    "关键词",
    "关键字",
    "搜索",
    "检索",
    "身份证",
    "用途",
];
/// Words that show a clause or alert is about the message text.
const CONTENT_WORDS: &[&str] = &[
    "内容",
    "留言",
    "信件",
    "来信",
    "正文",
    "字数",
    "问题描述",
    "描述",
    "诉求",
    "咨询",
    "建议",
];
/// Words of an identifier that name the message text field (whole words of `msg_content`,
/// `messageBoardContent`, `ly-nr`: a name is never matched by two letters inside another word).
const CONTENT_IDS: &[&str] = &[
    "content",
    "contents",
    "nr",
    "neirong",
    "message",
    "msg",
    "body",
    "question",
    "wtms",
    "xjnr",
    "lynr",
    "detail",
    "details",
    "remark",
    "desc",
    "description",
    "advice",
    "suggest",
    "suggestion",
];
/// Identifier fragments of other fields (matched anywhere: they only ever leave a field out).
const OTHER_IDS: &[&str] = &[
    "title", "name", "phone", "tel", "mobile", "addr", "email", "mail", "code", "theme", "subject",
    "card", "idno", "user", "pwd", "pass", "keyword", "search",
];
/// Words of an identifier naming another text field (用途 as `yt`, `purpose`), as whole words.
const OTHER_ID_WORDS: &[&str] = &["yt", "yongtu", "purpose", "usage"];

fn mentions(s: &str, words: &[&str]) -> bool {
    words.iter().any(|w| s.contains(w))
}

/// The words of an identifier, lower-cased: split at every non-alphanumeric character and at
/// each lower-to-upper case change (`messageBoardContent` → message, board, content).
fn ident_words(ident: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in ident.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

fn has_word(ident: &str, words: &[&str]) -> bool {
    ident_words(ident)
        .iter()
        .any(|w| words.contains(&w.trim_end_matches(|c: char| c.is_ascii_digit())))
}

fn ident_is_content(ident: &str, textarea_ids: &[String]) -> Option<bool> {
    let l = ident.to_ascii_lowercase();
    if textarea_ids
        .iter()
        .any(|t| !t.is_empty() && l.contains(&t.to_ascii_lowercase()))
    {
        return Some(true);
    }
    if OTHER_IDS.iter().any(|w| l.contains(w)) || has_word(ident, OTHER_ID_WORDS) {
        return Some(false);
    }
    if has_word(ident, CONTENT_IDS) {
        return Some(true);
    }
    None
}

/// Whether a text area's id or name says it holds the message text (content words first: a
/// `messageBoardContent` is content though it holds no other-field word, a `userContent` too).
fn textarea_is_content(ident: &str) -> Option<bool> {
    if has_word(ident, CONTENT_IDS) {
        Some(true)
    } else if OTHER_IDS
        .iter()
        .any(|w| ident.to_ascii_lowercase().contains(w))
        || has_word(ident, OTHER_ID_WORDS)
    {
        Some(false)
    } else {
        None
    }
}

/// Whether the words labelling a text area name the message text (`Some(true)`: 留言内容,
/// 所需信息的内容描述, 问题描述), another field (`Some(false)`: 所需信息的用途, 信件标题,
/// 来信人地址) or neither.
fn label_is_content(label: &str) -> Option<bool> {
    if label.trim().is_empty() {
        return None;
    }
    if mentions(label, &["内容", "正文", "描述", "诉求"]) {
        Some(true)
    } else if mentions(label, OTHER_FIELD) {
        Some(false)
    } else if mentions(label, CONTENT_WORDS) || mentions(label, &["意见"]) {
        Some(true)
    } else {
        None
    }
}

/// The text of an element, whitespace collapsed.
fn text_of(e: &ElementRef) -> String {
    e.text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether an element holds a form control (so its text labels that control, not ours).
fn holds_control(e: &ElementRef) -> bool {
    matches!(e.value().name(), "input" | "textarea" | "select")
        || e.select(sel("input, textarea, select")).next().is_some()
}

/// The words labelling a text area, most specific first: its `<label for>`, the `<label>` around
/// it, `aria-label` and `title`, the header cell of its table row (or the `<dt>` of its `<dd>`),
/// the words just before it, and its placeholder.
fn labels_of(doc: &Html, t: &ElementRef) -> Vec<String> {
    let v = t.value();
    let mut out = Vec::new();
    if let Some(id) = v.attr("id").filter(|s| !s.is_empty()) {
        for l in doc.select(sel("label[for]")) {
            if l.value().attr("for") == Some(id) {
                out.push(text_of(&l));
            }
        }
    }
    if let Some(l) = t
        .ancestors()
        .filter_map(ElementRef::wrap)
        .find(|a| a.value().name() == "label")
    {
        out.push(text_of(&l));
    }
    for a in ["aria-label", "title"] {
        if let Some(x) = v.attr(a) {
            out.push(x.to_string());
        }
    }
    // the header cell of its row: <tr><th>内容：</th><td><textarea>…
    if let Some(cell) = t
        .ancestors()
        .filter_map(ElementRef::wrap)
        .find(|a| matches!(a.value().name(), "td" | "dd"))
        && let Some(head) = cell
            .prev_siblings()
            .filter_map(ElementRef::wrap)
            .find(|e| matches!(e.value().name(), "th" | "td" | "dt"))
        && !holds_control(&head)
    {
        out.push(text_of(&head));
    }
    // the words just before it among its siblings: <p><span>留言内容</span><textarea>…
    let mut before = String::new();
    for n in t.prev_siblings() {
        if let Some(e) = ElementRef::wrap(n) {
            if holds_control(&e) || matches!(e.value().name(), "br" | "p" | "div" | "li") {
                break;
            }
            before = format!("{} {before}", text_of(&e));
        } else if let Some(tx) = n.value().as_text() {
            before = format!("{} {before}", &**tx);
        }
        if before.chars().count() > 40 {
            break;
        }
    }
    out.push(before.split_whitespace().collect::<Vec<_>>().join(" "));
    if let Some(p) = v.attr("placeholder") {
        out.push(p.to_string());
    }
    out
}

/// Whether a text area holds the message text: as its label says (the first label that says
/// either), else as its id or name says.
fn textarea_verdict(doc: &Html, t: &ElementRef) -> Option<bool> {
    if let Some(v) = labels_of(doc, t).iter().find_map(|l| label_is_content(l)) {
        return Some(v);
    }
    let v = t.value();
    let mut verdict = None;
    for id in [v.attr("id"), v.attr("name")].into_iter().flatten() {
        match textarea_is_content(id) {
            Some(true) => return Some(true),
            Some(false) => verdict = Some(false),
            None => {}
        }
    }
    verdict
}

/// Reads the limits of the form on `doc` (`text` is its visible text).
pub fn read_limits(doc: &Html, text: &str) -> FormLimits {
    let mut out = FormLimits::default();
    let all: Vec<ElementRef> = doc.select(sel("textarea")).collect();
    out.form_present = !all.is_empty();
    let textareas = content_textareas(doc, &all);
    let mut ids: Vec<String> = Vec::new();
    for t in &textareas {
        for a in ["id", "name"] {
            if let Some(v) = t.value().attr(a) {
                ids.push(v.to_string());
            }
        }
    }
    let mut mins: Vec<(u32, Source)> = Vec::new();
    let mut maxs: Vec<(u32, Source)> = Vec::new();

    // 1. Attributes, validator attributes and placeholders of the textarea.
    for t in &textareas {
        textarea_length_limits(t, &mut mins, &mut maxs);
    }

    // 2. Scripts: validator rule blocks keyed by the field, and submit checks.
    let scripts: Vec<String> = doc
        .select(sel("script"))
        .filter(|s| s.value().attr("src").is_none())
        .map(|s| s.text().collect::<String>())
        .collect();
    for js in &scripts {
        script_length_limits(js, &ids, &mut mins, &mut maxs);
    }

    // 3. Notice text, clause by clause.
    notice_length_limits(text, &mut mins, &mut maxs);

    // The binding limits: the largest minimum, the smallest maximum.
    if let Some((n, s)) = mins
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .max_by_key(|(n, _)| *n)
    {
        out.min_len = Some(n);
        out.min_source = Some(s);
    }
    if let Some((n, s)) = maxs
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .min_by_key(|(n, _)| *n)
    {
        out.max_len = Some(n);
        out.max_source = Some(s);
    }

    read_daily_cap(text, &scripts, &mut out);
    read_open_hours(text, &scripts, &mut out);
    out.captcha = has_captcha(doc, text);
    out
}

/// The text areas to write the message in, among `all` of the page's.
fn content_textareas<'a>(doc: &Html, all: &[ElementRef<'a>]) -> Vec<ElementRef<'a>> {
    // The text to write: with several text areas (an application's 所需信息内容描述 beside its
    // 用途, an error report's 问题描述 beside the page address), the ones labelled (or else named)
    // as the content; a form saying so of none keeps every text area not said to be another field.
    let named = |t: &ElementRef| -> Option<bool> { textarea_verdict(doc, t) };
    if all.len() > 1 && all.iter().any(|t| named(t) == Some(true)) {
        all.iter()
            .filter(|t| named(t) == Some(true))
            .copied()
            .collect()
    } else if all.len() > 1 {
        let kept: Vec<ElementRef> = all
            .iter()
            .filter(|t| named(t) != Some(false))
            .copied()
            .collect();
        if kept.is_empty() { all.to_vec() } else { kept }
    } else {
        all.to_vec()
    }
}

/// Length limits of one text area: its `minlength`/`maxlength`, validator attributes and
/// placeholder.
fn textarea_length_limits(
    t: &ElementRef,
    mins: &mut Vec<(u32, Source)>,
    maxs: &mut Vec<(u32, Source)>,
) {
    let v = t.value();
    let tag = tag_excerpt(t);
    for (attr, is_min) in [("minlength", true), ("maxlength", false)] {
        if let Some(n) = v.attr(attr).and_then(|x| x.trim().parse::<u32>().ok()) {
            let s = Source {
                how: "attribute",
                excerpt: tag.clone(),
            };
            if is_min {
                mins.push((n, s))
            } else {
                maxs.push((n, s))
            }
        }
    }
    for attr in [
        "data-rule",
        "data-rules",
        "data-validate",
        "data-options",
        "class",
        "lay-verify",
        "validate",
        "rules",
    ] {
        if let Some(val) = v.attr(attr) {
            let (lo, hi) = rule_limits(val);
            let s = || Source {
                how: "validator",
                excerpt: tag.clone(),
            };
            if let Some(n) = lo {
                mins.push((n, s()));
            }
            if let Some(n) = hi {
                maxs.push((n, s()));
            }
        }
    }
    if let Some(ph) = v.attr("placeholder") {
        let (lo, hi) = text_limits(ph);
        if let Some(n) = lo {
            mins.push((
                n,
                Source {
                    how: "placeholder",
                    excerpt: ph.trim().to_string(),
                },
            ));
        }
        if let Some(n) = hi {
            maxs.push((
                n,
                Source {
                    how: "placeholder",
                    excerpt: ph.trim().to_string(),
                },
            ));
        }
    }
}

/// Length limits the notice text states for the content, clause by clause.
fn notice_length_limits(text: &str, mins: &mut Vec<(u32, Source)>, maxs: &mut Vec<(u32, Source)>) {
    // A clause without a field of its own ("，不超过20字") is about the field named before it in
    // the same sentence.
    let mut other_field = false;
    for (clause, sentence_start) in clauses_in_sentences(text) {
        if sentence_start {
            other_field = false;
        }
        if mentions(clause, &["内容", "字数", "正文"]) || mentions(clause, CONTENT_WORDS) {
            other_field =
                mentions(clause, OTHER_FIELD) && !mentions(clause, &["内容", "字数", "正文"]);
        } else if mentions(clause, OTHER_FIELD) {
            other_field = true;
        }
        if other_field || !clause.contains('字') {
            continue;
        }
        let (lo, hi) = text_limits(clause);
        let s = || Source {
            how: "notice",
            excerpt: crate::evidence::clip(clause.trim(), 80),
        };
        if let Some(n) = lo {
            mins.push((n, s()));
        }
        if let Some(n) = hi {
            maxs.push((n, s()));
        }
    }
}

/// Daily cap: from the notice text, else from the page's scripts.
fn read_daily_cap(text: &str, scripts: &[String], out: &mut FormLimits) {
    if let Some((n, ex)) = text_daily_cap(text) {
        out.daily_cap = Some(n);
        out.daily_cap_source = Some(Source {
            how: "notice",
            excerpt: ex,
        });
    } else if let Some((n, ex)) = scripts.iter().find_map(|js| script_daily_cap(js)) {
        out.daily_cap = Some(n);
        out.daily_cap_source = Some(Source {
            how: "script",
            excerpt: ex,
        });
    }
}

/// Opening hours: from the notice text, else from the page's scripts.
fn read_open_hours(text: &str, scripts: &[String], out: &mut FormLimits) {
    if let Some((a, b, wd, ex)) = text_open_hours(text) {
        out.open = Some((a, b));
        out.workdays_only = wd;
        out.open_source = Some(Source {
            how: "notice",
            excerpt: ex,
        });
    } else if let Some((a, b, ex)) = scripts.iter().find_map(|js| script_open_hours(js)) {
        out.open = Some((a, b));
        out.open_source = Some(Source {
            how: "script",
            excerpt: ex,
        });
    }
}

fn tag_excerpt(e: &ElementRef) -> String {
    let v = e.value();
    let mut s = format!("<{}", v.name());
    for (k, val) in v.attrs() {
        s.push_str(&format!(" {k}=\"{val}\""));
    }
    s.push('>');
    crate::evidence::clip(&s, 200)
}

/// The comma-separated clauses of each sentence, with whether the clause starts a sentence.
fn clauses_in_sentences(text: &str) -> impl Iterator<Item = (&str, bool)> {
    text.split([
        '。', '；', ';', '！', '!', '\n', '？', '?', '（', '）', '(', ')',
    ])
    .flat_map(|sentence| {
        sentence
            .split(['，', ','])
            .filter(|c| !c.trim().is_empty())
            .enumerate()
            .map(|(i, c)| (c, i == 0))
    })
}

/// Clauses of notice text: a limit and the field it is about ("标题不少于5字，内容不少于50字")
/// sit in one clause between punctuation marks.
fn clauses(text: &str) -> impl Iterator<Item = &str> {
    text.split([
        '。', '；', ';', '！', '!', '\n', '？', '?', '（', '）', '(', ')', '，', ',',
    ])
    .filter(|c| !c.trim().is_empty())
}

/// Limits in a validator rule string: `length[5~400]`, `length(5~400)`, `length[~400]`,
/// `minlength:50`, `maxlength:800`, `rangelength:[5,400]`, `length[5, 400]`.
fn rule_limits(s: &str) -> (Option<u32>, Option<u32>) {
    static LEN: OnceLock<Regex> = OnceLock::new();
    static MINL: OnceLock<Regex> = OnceLock::new();
    static MAXL: OnceLock<Regex> = OnceLock::new();
    static RANGE: OnceLock<Regex> = OnceLock::new();
    let (mut lo, mut hi) = (None, None);
    if let Some(c) = re(
        &LEN,
        r"(?i)\blength\s*[\[(]\s*(\d*)\s*[~,，-]\s*(\d*)\s*(?:,\s*true)?\s*[\])]",
    )
    .captures(s)
    {
        lo = c[1].parse().ok();
        hi = c[2].parse().ok();
    }
    if let Some(c) = re(&MINL, r#"(?i)\bminlength['"]?\s*[:=]\s*['"]?(\d+)"#).captures(s) {
        lo = c[1].parse().ok();
    }
    if let Some(c) = re(&MAXL, r#"(?i)\bmaxlength['"]?\s*[:=]\s*['"]?(\d+)"#).captures(s) {
        hi = c[1].parse().ok();
    }
    if let Some(c) = re(
        &RANGE,
        r#"(?i)\brangelength['"]?\s*[:=]\s*\[\s*(\d+)\s*,\s*(\d+)\s*\]"#,
    )
    .captures(s)
    {
        lo = c[1].parse().ok();
        hi = c[2].parse().ok();
    }
    (lo, hi)
}

/// Limits stated in words: "5~400个字符", "不少于50字", "50字以上", "不超过400个字符",
/// "字数在10-500字之间", "400字以内".
pub fn text_limits(s: &str) -> (Option<u32>, Option<u32>) {
    static RANGE: OnceLock<Regex> = OnceLock::new();
    static MIN1: OnceLock<Regex> = OnceLock::new();
    static MIN2: OnceLock<Regex> = OnceLock::new();
    static MAX1: OnceLock<Regex> = OnceLock::new();
    static MAX2: OnceLock<Regex> = OnceLock::new();
    let unit = r"\s*个?\s*(?:汉字|中文字符|字符|字)";
    let (mut lo, mut hi) = (None, None);
    if let Some(c) = re(
        &RANGE,
        &format!(r"{NUM}\s*(?:个字符|个字|字)?\s*(?:~|～|-|—|－|至|到)\s*{NUM}{unit}"),
    )
    .captures(s)
    {
        lo = cn_number(&c[1]);
        hi = cn_number(&c[2]);
    }
    if let Some(c) = re(
        &MIN1,
        &format!(r"(?:不少于|不能少于|不得少于|不应少于|至少|最少|不低于|须满|应满){NUM}{unit}"),
    )
    .captures(s)
    {
        lo = cn_number(&c[1]);
    } else if let Some(c) = re(&MIN2, &format!(r"{NUM}{unit}(?:以上|及以上)")).captures(s) {
        lo = cn_number(&c[1]);
    }
    if let Some(c) = re(
        &MAX1,
        &format!(
            r"(?:不超过|不能超过|不得超过|不要超过|请勿超过|不多于|最多|不大于|限制?在|限){NUM}{unit}"
        ),
    )
    .captures(s)
    {
        hi = cn_number(&c[1]);
    } else if let Some(c) = re(&MAX2, &format!(r"{NUM}{unit}(?:以内|之内|以下)")).captures(s) {
        hi = cn_number(&c[1]);
    }
    (lo, hi)
}

/// Length limits in a script: validator rule blocks keyed by a field, and `x.length < N` checks
/// followed by an alert.
fn script_length_limits(
    js: &str,
    ids: &[String],
    mins: &mut Vec<(u32, Source)>,
    maxs: &mut Vec<(u32, Source)>,
) {
    // `field: "required;length[5~400]"` (nice-validator) or `field: {required: true, minlength: 50}`.
    static KEYED: OnceLock<Regex> = OnceLock::new();
    let keyed = re(
        &KEYED,
        r#"['"]?([A-Za-z_$][\w$.\[\]]*)['"]?\s*:\s*(\{[^{}]*\}|"[^"\n]*"|'[^'\n]*')"#,
    );
    for c in keyed.captures_iter(js) {
        let key = &c[1];
        if ident_is_content(key, ids) != Some(true) {
            continue;
        }
        let (lo, hi) = rule_limits(&c[2]);
        let s = || Source {
            how: "validator",
            excerpt: crate::evidence::clip(c[0].trim(), 120),
        };
        if let Some(n) = lo {
            mins.push((n, s()));
        }
        if let Some(n) = hi {
            maxs.push((n, s()));
        }
    }
    // `content.length < 50` … alert("…")
    static CHECK: OnceLock<Regex> = OnceLock::new();
    static ALERT: OnceLock<Regex> = OnceLock::new();
    let check = re(
        &CHECK,
        r#"([\w$.#'"\[\]()]+?)\s*\.\s*(?:val\(\)\s*\.\s*|value\s*\.\s*|trim\(\)\s*\.\s*)*length\s*(<=|>=|<|>)\s*(\d+)"#,
    );
    let alert = re(
        &ALERT,
        r#"(?:alert|layer\.msg|layer\.alert|\$\.messager\.alert|showMsg|confirm)\s*\(\s*['"]([^'"]{1,80})['"]"#,
    );
    for c in check.captures_iter(js) {
        let ident = &c[1];
        let n: u32 = match c[3].parse() {
            Ok(n) => n,
            Err(_) => continue,
        };
        let end = c.get(0).map_or(0, |m| m.end());
        let tail: String = js[end..].chars().take(200).collect();
        let said = alert.captures(&tail).map(|a| a[1].to_string());
        let by_ident = ident_is_content(ident, ids);
        let by_alert = said.as_deref().map(|t| {
            if mentions(t, OTHER_FIELD) && !mentions(t, &["内容", "字数", "正文"]) {
                false
            } else {
                mentions(t, CONTENT_WORDS)
            }
        });
        let applies = match (by_ident, by_alert) {
            (Some(false), _) => false,
            (_, Some(false)) if by_ident.is_none() => false,
            (Some(true), _) => true,
            (None, Some(true)) => true,
            _ => false,
        };
        if !applies {
            continue;
        }
        let excerpt = match &said {
            Some(t) => format!("{} → {t}", c[0].trim()),
            None => c[0].trim().to_string(),
        };
        let s = Source {
            how: "script",
            excerpt: crate::evidence::clip(&excerpt, 160),
        };
        match &c[2] {
            "<" if n > 1 => mins.push((n, s)),
            "<=" if n > 0 => mins.push((n + 1, s)),
            ">" => maxs.push((n, s)),
            ">=" if n > 1 => maxs.push((n - 1, s)),
            _ => {}
        }
    }
}

/// "每天只能提交1次", "每日限留言一条", "同一IP每天最多提交3次".
fn text_daily_cap(text: &str) -> Option<(u32, String)> {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = re(
        &R,
        &format!(
            r"(?:每天|每日|一天|一日|当天|当日|24小时内|二十四小时内)[^。；！\n\d零一二两三四五六七八九十]{{0,14}}?(?:只能|仅能|仅可|只可|限|最多|不超过|不得超过|不能超过|可)[^。；！\n\d零一二两三四五六七八九十]{{0,8}}?{NUM}\s*(?:次|条|封|件|个问题)"
        ),
    );
    let c = r.captures(text)?;
    let n = cn_number(&c[1])?;
    Some((n, c[0].trim().to_string()))
}

/// A script that keeps today's date (or a counter) in a cookie or localStorage and refuses the
/// message: one a day unless a counter comparison says otherwise.
fn script_daily_cap(js: &str) -> Option<(u32, String)> {
    let storage = [
        "document.cookie",
        "localStorage",
        "sessionStorage",
        "setCookie",
        "getCookie",
        "$.cookie",
        "jQuery.cookie",
        "Cookies.",
    ];
    let date = [
        "getDate()",
        "toDateString",
        "toLocaleDateString",
        "getFullYear()",
        "getDay()",
        "Date().getTime",
    ];
    if !storage.iter().any(|w| js.contains(w)) || !date.iter().any(|w| js.contains(w)) {
        return None;
    }
    if !(js.contains("alert") || js.contains("layer.msg") || js.contains("return false")) {
        return None;
    }
    if !(js.contains("==") || js.contains("!=")) {
        return None;
    }
    static COUNT: OnceLock<Regex> = OnceLock::new();
    let count = re(
        &COUNT,
        r"(?i)\b(?:count|cnt|times|num|total|submitted|sent)\w*\s*(>=|>)\s*(\d+)",
    );
    let n = match count.captures(js) {
        Some(c) => {
            let n: u32 = c[2].parse().ok()?;
            if &c[1] == ">=" { n.max(1) } else { n + 1 }
        }
        None => 1,
    };
    // The line that compares the stored date.
    let line = js
        .lines()
        .find(|l| {
            (l.contains("==") || l.contains("!="))
                && storage
                    .iter()
                    .chain(["today", "Today", "date", "Date", "day"].iter())
                    .any(|w| l.contains(w))
        })
        .unwrap_or("")
        .trim();
    Some((n, crate::evidence::clip(line, 160)))
}

/// "开放时间为8:00至19:00", "受理时间：工作日8:30-17:30", "每天8时至19时".
fn text_open_hours(text: &str) -> Option<(u32, u32, bool, String)> {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = re(
        &R,
        r"(\d{1,2})\s*(?:[:：]\s*(\d{2})|[点时])\s*(?:(\d{2})\s*分?)?\s*(?:至|到|-|—|－|~|～|──)\s*(?:次日)?\s*(\d{1,2})\s*(?:[:：]\s*(\d{2})|[点时])",
    );
    for clause in clauses(text) {
        let has_channel = mentions(
            clause,
            &[
                "开放", "受理", "留言", "信箱", "提交", "系统", "写信", "来信", "接收",
            ],
        );
        let phone = mentions(clause, &["电话", "热线", "办公时间", "营业", "窗口"]);
        if !has_channel || phone {
            continue;
        }
        if let Some(c) = r.captures(clause) {
            let h1: u32 = c[1].parse().ok()?;
            let m1: u32 = c
                .get(2)
                .or(c.get(3))
                .and_then(|m| m.as_str().parse().ok())
                .unwrap_or(0);
            let h2: u32 = c[4].parse().ok()?;
            let m2: u32 = c.get(5).and_then(|m| m.as_str().parse().ok()).unwrap_or(0);
            if h1 > 23 || h2 > 24 || m1 > 59 || m2 > 59 {
                continue;
            }
            let (a, b) = (h1 * 60 + m1, h2 * 60 + m2);
            if b <= a || b - a >= 24 * 60 {
                continue;
            }
            let workdays = clause.contains("工作日") || clause.contains("周一至周五");
            return Some((a, b, workdays, crate::evidence::clip(clause.trim(), 80)));
        }
    }
    None
}

/// `var h = new Date().getHours(); if (h < 8 || h >= 19) { alert(…) }`.
fn script_open_hours(js: &str) -> Option<(u32, u32, String)> {
    if !js.contains("getHours") {
        return None;
    }
    static VAR: OnceLock<Regex> = OnceLock::new();
    let var = re(&VAR, r"([A-Za-z_$][\w$]*)\s*=\s*[^;\n]*getHours\s*\(\s*\)");
    let mut names: Vec<String> = var.captures_iter(js).map(|c| c[1].to_string()).collect();
    names.push(r"[^;\n()]*getHours\s*\(\s*\)".to_string());
    let mut start: Option<u32> = None;
    let mut end: Option<u32> = None;
    let mut line = String::new();
    for name in &names {
        let pat = if name.starts_with('[') {
            name.clone()
        } else {
            format!(r"\b{}\b", regex::escape(name))
        };
        let Ok(cmp) = Regex::new(&format!(r"(?:{pat})\s*(<=|>=|<|>)\s*(\d{{1,2}})")) else {
            continue;
        };
        for c in cmp.captures_iter(js) {
            let n: u32 = match c[2].parse() {
                Ok(n) if n <= 24 => n,
                _ => continue,
            };
            match &c[1] {
                "<" => start = Some(n),
                "<=" => start = Some(n + 1),
                ">=" => end = Some(n),
                ">" => end = Some(n + 1),
                _ => {}
            }
            if line.is_empty() {
                let at = c.get(0).map_or(0, |m| m.start());
                let from = js[..at].rfind('\n').map_or(0, |i| i + 1);
                let to = js[at..].find('\n').map_or(js.len(), |i| at + i);
                line = js[from..to].trim().to_string();
            }
        }
        if start.is_some() || end.is_some() {
            break;
        }
    }
    let (a, b) = (start.unwrap_or(0), end.unwrap_or(24));
    if (a == 0 && b == 24) || b <= a {
        return None;
    }
    Some((a * 60, b * 60, crate::evidence::clip(&line, 160)))
}

fn has_captcha(doc: &Html, text: &str) -> bool {
    let words = [
        "captcha",
        "checkcode",
        "yzm",
        "verifycode",
        "validatecode",
        "randcode",
        "vcode",
        "getcode",
        "imgcode",
        "authcode",
        "kaptcha",
    ];
    let attr_hit = |v: Option<&str>| {
        v.is_some_and(|s| {
            let l = s.to_ascii_lowercase();
            words.iter().any(|w| l.contains(w))
        })
    };
    doc.select(sel("input, img")).any(|e| {
        attr_hit(e.value().attr("name"))
            || attr_hit(e.value().attr("id"))
            || attr_hit(e.value().attr("src"))
    }) || text.contains("验证码")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(html: &str) -> FormLimits {
        let doc = Html::parse_document(html);
        let text = crate::html::visible_text(&doc, &Default::default());
        read_limits(&doc, &text)
    }

    #[test]
    fn with_several_text_areas_the_one_labelled_as_content_binds() {
        // an application form: 所需信息的内容描述 (content) beside 所需信息的用途 (another
        // field), labelled by the header cells of their table rows
        let l = limits(
            r##"<form method="post" action="/ysqgk/save.do"><p>所需信息的用途不超过100字。</p><table>
            <tr><th>*所需信息的内容描述：</th><td><textarea name="xxnrms" maxlength="1000"></textarea></td></tr>
            <tr><th>所需信息的用途：</th><td><textarea name="xxyt" maxlength="100"></textarea></td></tr>
            </table>
            <script>$("#f").validate({rules: {xxnrms: {required: true, minlength: 20}, xxyt: {maxlength: 100}}});</script>
            <input name="yzm" maxlength="4"/></form>"##,
        );
        assert_eq!((l.min_len, l.max_len), (Some(20), Some(1000)), "{l:?}");
        assert_eq!(l.min_source.unwrap().how, "validator");
        assert!(l.captcha);
        // the same by <label for>, names saying nothing (f1, f2), the other field first
        let l = limits(
            r#"<form method="post" action="/x.do">
            <label for="f1">申请用途</label><textarea id="f1" maxlength="80"></textarea>
            <label for="f2">留言内容</label><textarea id="f2" maxlength="600"></textarea></form>"#,
        );
        assert_eq!(l.max_len, Some(600), "{l:?}");
        // by a <label> around it, a name holding `nr` inside another word (enroll) and one
        // ending in `yt` (maybeyt) that are both the wrong way round
        let l = limits(
            r#"<form method="post" action="/x.do">
            <label>报名备注及用途说明<textarea name="enroll" maxlength="50"></textarea></label>
            <label>来信正文<textarea name="maybeyt" maxlength="2000"></textarea></label></form>"#,
        );
        assert_eq!(l.max_len, Some(2000), "{l:?}");
        // by the words just before it and by placeholders, in a <dl>
        let l = limits(
            r#"<form method="post" action="/x.do"><dl>
            <dt>信件标题</dt><dd><textarea name="a" maxlength="30"></textarea></dd>
            <dt>　</dt><dd><span>问题描述：</span><textarea name="b" maxlength="300"></textarea></dd>
            <dd><textarea name="c" placeholder="请填写您的联系地址" maxlength="40"></textarea></dd>
            </dl></form>"#,
        );
        assert_eq!(l.max_len, Some(300), "{l:?}");
        // no label says anything: a name made of words decides (msg_content, the other
        // one's usage), and a name of one opaque word decides nothing
        let l = limits(
            r#"<form method="post" action="/x.do"><textarea name="msg_content" maxlength="800"></textarea>
            <textarea name="usage" maxlength="60"></textarea></form>"#,
        );
        assert_eq!(l.max_len, Some(800), "{l:?}");
        let l = limits(
            r#"<form method="post" action="/x.do"><textarea id="a1" maxlength="600"></textarea>
            <textarea name="xxyt" maxlength="50"></textarea></form>"#,
        );
        assert_eq!(l.max_len, Some(50), "{l:?}");
    }

    #[test]
    fn identifier_words() {
        assert_eq!(
            ident_words("messageBoardContent"),
            ["message", "board", "content"]
        );
        assert_eq!(ident_words("ly_nr2"), ["ly", "nr2"]);
        assert!(has_word("ly_nr2", CONTENT_IDS));
        assert!(!has_word("enroll", CONTENT_IDS));
        assert!(!has_word("xxnrms", CONTENT_IDS));
        assert!(has_word("xx-yt", OTHER_ID_WORDS));
        assert!(!has_word("xxyt", OTHER_ID_WORDS));
        assert_eq!(textarea_is_content("userContent"), Some(true));
        assert_eq!(textarea_is_content("unreadFlag"), None);
    }

    #[test]
    fn numbers() {
        assert_eq!(cn_number("50"), Some(50));
        assert_eq!(cn_number("一"), Some(1));
        assert_eq!(cn_number("五十"), Some(50));
        assert_eq!(cn_number("四百"), Some(400));
        assert_eq!(cn_number("十五"), Some(15));
        assert_eq!(cn_number("两千"), Some(2000));
    }

    #[test]
    fn minimum_three_ways() {
        let attr = limits(
            r##"<form><textarea name="content" minlength="50" maxlength="1000"></textarea></form>"##,
        );
        assert_eq!((attr.min_len, attr.max_len), (Some(50), Some(1000)));
        assert_eq!(attr.min_source.unwrap().how, "attribute");
        let meta = limits(
            r##"<form><textarea name="content" class="input {required:true,minlength:50,maxlength:800}"></textarea></form>"##,
        );
        assert_eq!((meta.min_len, meta.max_len), (Some(50), Some(800)));
        let js = limits(
            r##"<form><input name="name"><textarea id="content"></textarea></form><script>
            function check(){ var name=$("#name").val(); var content=$("#content").val();
            if(name.length<2||name.length>10){alert("姓名长度为2-10个字");return false;}
            if (content.length < 50) { alert("留言内容不能少于50个字"); return false; }
            return true;}</script>"##,
        );
        assert_eq!((js.min_len, js.max_len), (Some(50), None));
        assert_eq!(js.min_source.unwrap().how, "script");
        let validate = limits(
            r##"<form><textarea name="lynr"></textarea></form><script>$("#f").validate({rules: {title: {required: true, minlength: 5}, lynr: {required: true, minlength: 50, maxlength: 600}}});</script>"##,
        );
        assert_eq!((validate.min_len, validate.max_len), (Some(50), Some(600)));
    }

    #[test]
    fn notice_placeholder_and_nice_validator() {
        let l = limits(
            r##"<p>写信须知：来信字数不超过400个字符；标题不超过20个字。</p>
            <form><input name="title" placeholder="5~20个字符" maxlength="150">
            <textarea id="messageBoardContent" placeholder="请输入信件内容（必填，5~400个字符）"></textarea>
            <input name="checkCode" maxlength="4"><img src="/member/getCode"></form>
            <script>$('#f').validator({fields: {title: 'required;length[5~20]', messageBoardContent: 'required;length[5~400]'}});</script>"##,
        );
        assert_eq!((l.min_len, l.max_len), (Some(5), Some(400)));
        assert!(l.captcha);
        let t = limits("<p>留言内容应在五十字以上，每天只能提交1次。</p><textarea></textarea>");
        assert_eq!(t.min_len, Some(50));
        assert_eq!(t.daily_cap, Some(1));
        let t = limits("<p>为保证质量，每日限留言一条。</p><textarea></textarea>");
        assert_eq!(t.daily_cap, Some(1));
        // the title's limit and the content's limit in one sentence
        let t = limits(
            "<p>写信须知：标题不少于5字，内容不少于50字，不超过800字。</p><textarea></textarea>",
        );
        assert_eq!((t.min_len, t.max_len), (Some(50), Some(800)));
    }

    #[test]
    fn opening_hours_text_and_script() {
        let t =
            limits("<p>本信箱开放时间为8:00至19:00，其余时间暂停受理。</p><textarea></textarea>");
        assert_eq!(t.open_hours().as_deref(), Some("08:00-19:00"));
        let w = limits("<p>受理时间：工作日8:30-17:30</p><textarea></textarea>");
        assert_eq!(w.open_hours().as_deref(), Some("08:30-17:30"));
        assert!(w.workdays_only);
        // a phone line's hours are not the channel's
        let p = limits("<p>咨询电话：0551-1234567（工作日8:30-17:30）</p><textarea></textarea>");
        assert_eq!(p.open, None);
        let s = limits(
            "<textarea></textarea><script>function go(){var h = new Date().getHours();\n if (h < 8 || h >= 19) { alert('当前不在留言时间'); return false; }}</script>",
        );
        assert_eq!(s.open_hours().as_deref(), Some("08:00-19:00"));
    }

    #[test]
    fn daily_cap_in_a_cookie_script() {
        let s = limits(
            r##"<textarea id="content"></textarea><script>
            function canSubmit(){ var d = new Date(); var today = d.getFullYear()+'-'+(d.getMonth()+1)+'-'+d.getDate();
              if (getCookie('lastMsgDay') == today) { alert('您今天已经留过言了，请明天再来'); return false; }
              setCookie('lastMsgDay', today, 1); return true; }</script>"##,
        );
        assert_eq!(s.daily_cap, Some(1));
        assert_eq!(s.daily_cap_source.unwrap().how, "script");
        // a date widget with a cookie for the font size is not a cap
        let w = limits(
            "<textarea></textarea><script>var d=new Date(); document.write(d.getFullYear()); document.cookie='font=big';</script>",
        );
        assert_eq!(w.daily_cap, None);
    }
}
