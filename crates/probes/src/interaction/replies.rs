//! Published letters and replies: letters read from lists and letter pages, judged by the
//! 互动回应 rules (`message.letter`, `message.latency`, `message.unanswered_3m`,
//! `message.no_recent_reply`).

use super::*;

/// A published letter with everything known about it.
#[derive(Debug, Clone)]
pub(super) struct Letter {
    pub(super) info: LetterInfo,
    pub(super) kind: Kind,
    /// The list page it was read from (if any) and the letter page (if fetched).
    pub(super) list: Option<String>,
    pub(super) page: Option<usize>,
}

impl Interaction {
    /// Whether a text holds a letter word (`[channels] letter_context`).
    pub(super) fn letterish(&self, text: &str) -> bool {
        self.rules
            .channels
            .letter_context
            .iter()
            .any(|w| text.contains(w.as_str()))
    }

    /// A page that names itself as about letters or messages: in its title or its first lines
    /// (the breadcrumb and heading).
    pub(super) fn letter_context(&self, p: &Page, text: &str) -> bool {
        let head: String = text.chars().take(300).collect();
        self.letterish(p.title.as_deref().unwrap_or("")) || self.letterish(&head)
    }

    /// A crawl started at a letters list (信件公开, 来信选登, 市长信箱 › 信件公开) rather than at
    /// the site's root: its rows are read as letters, as they are when the list is reached by a
    /// link.
    pub(super) fn direct_letter_list(&self, p: &Page, text: &str) -> bool {
        let root = Url::parse(&p.fetch.final_url).map_or(true, |u| u.path() == "/");
        !root && self.letter_context(p, text)
    }

    /// The letters of the consultation (and petition) channels: from letter lists, completed by
    /// the letter pages.
    pub(super) fn collect_letters(&self, cx: &Ctx) -> BTreeMap<String, Letter> {
        let pages = cx.input.pages();
        let mut letters: BTreeMap<String, Letter> = BTreeMap::new();
        for (i, p) in pages.iter().enumerate() {
            if !p.is_html
                || !p.fetch.ok()
                || (p.depth == 0 && !self.direct_letter_list(p, cx.text(i)))
            {
                continue;
            }
            let kind = self.page_kind(cx, i);
            if matches!(
                kind,
                Some(Kind::Survey | Kind::Interview | Kind::ErrorReport | Kind::Application)
            ) {
                continue;
            }
            let Some(sc) = cx.scan(self, i) else {
                continue;
            };
            // Only pages of an interaction channel, or that say they list letters: a 办件公示
            // table (受理/办结, 已办结) is services, not messages.
            if kind.is_none() && !sc.letter_context {
                continue;
            }
            for info in sc.letter_list.iter().cloned() {
                let key = info
                    .url
                    .clone()
                    .unwrap_or_else(|| format!("{}#{}", p.fetch.url, info.title));
                letters.entry(key).or_insert(Letter {
                    kind: kind.unwrap_or(Kind::Consultation),
                    info,
                    list: Some(p.fetch.url.clone()),
                    page: None,
                });
            }
        }
        for (i, p) in pages.iter().enumerate() {
            if !p.is_html || !p.fetch.ok() || p.depth == 0 {
                continue;
            }
            let Some(sc) = cx.scan(self, i) else {
                continue;
            };
            let Some(mut info) = sc.letter_page.clone() else {
                continue;
            };
            info.url = Some(p.fetch.url.clone());
            let key = [&p.fetch.url, &p.fetch.final_url]
                .into_iter()
                .find(|u| letters.contains_key(u.as_str()))
                .cloned()
                .unwrap_or_else(|| p.fetch.url.clone());
            match letters.get_mut(&key) {
                Some(l) => {
                    let listed = l.info.clone();
                    l.info = LetterInfo {
                        title: if listed.title.is_empty() {
                            info.title
                        } else {
                            listed.title
                        },
                        sent: info.sent.or(listed.sent),
                        replied: info.replied.or(listed.replied),
                        status: if info.status == Status::Unknown {
                            listed.status
                        } else {
                            info.status
                        },
                        kind_label: info.kind_label,
                        url: Some(key.clone()),
                        excerpt: info.excerpt,
                    };
                    l.page = Some(i);
                }
                None => {
                    let kind = match self.page_kind(cx, i) {
                        Some(k) => k,
                        None if sc.letter_context => Kind::Consultation,
                        None => continue,
                    };
                    if matches!(
                        kind,
                        Kind::Survey | Kind::Interview | Kind::ErrorReport | Kind::Application
                    ) {
                        continue;
                    }
                    letters.insert(
                        key,
                        Letter {
                            info,
                            kind,
                            list: None,
                            page: Some(i),
                        },
                    );
                }
            }
        }
        letters
    }

    /// Judges the published letters: a `message.letter` fact each, `message.unanswered_3m`
    /// for each consultation answered late or not at all, `message.latency` over the window and
    /// `message.no_recent_reply` when no recent reply is shown.
    pub(super) fn judge_letters(
        &self,
        letters: &BTreeMap<String, Letter>,
        pages: &[Page],
        today: NaiveDate,
        at: Timestamp,
        out: &mut ProbeOutput,
    ) {
        let since = months_before(today, self.rules.replies.lookback_months);
        let mut tally = Tally::default();
        for (key, l) in letters {
            let i = &l.info;
            let wd = match (i.sent, i.replied) {
                (Some(s), Some(rp)) if rp >= s => Some(self.calendar.working_days_between(s, rp)),
                _ => None,
            };
            out.facts.push(self.letter_fact(key, l, wd, at));
            if l.kind != Kind::Consultation || i.status == Status::Invalid {
                continue;
            }
            let Some(sent) = tally.add(l, wd, since, today) else {
                continue;
            };
            let page = l.page.map(|p| &pages[p]);
            out.findings
                .extend(self.unanswered_finding(key, l, sent, page, today, at));
        }
        tally.days.sort_unstable();
        if let Some(home) = pages.iter().find(|p| p.depth == 0) {
            out.facts.push(latency_fact(&tally, home, since, at));
        }
        self.no_recent_reply(&tally, letters, pages, today, at, out);
    }

    /// The `message.letter` fact of one letter (`wd`: working days from sent to replied).
    fn letter_fact(&self, key: &str, l: &Letter, wd: Option<u32>, at: Timestamp) -> Fact {
        let i = &l.info;
        fact(
            codes::LETTER,
            Some(key),
            json!({
                "url": key,
                "title": i.title,
                "sent": i.sent.map(|d| d.to_string()),
                "replied": i.replied.map(|d| d.to_string()),
                "status": i.status.as_str(),
                "kind": l.kind.as_str(),
                "label": i.kind_label,
                "working_days": wd,
                "calendar": i.sent.is_none_or(|d| self.calendar.covers(d)),
                "list": l.list,
            }),
            at,
        )
    }

    /// `message.unanswered_3m` for a consultation sent on `sent` (in the window), when it was
    /// unanswered for more than the rule's months within the past year.
    fn unanswered_finding(
        &self,
        key: &str,
        l: &Letter,
        sent: NaiveDate,
        page: Option<&Page>,
        today: NaiveDate,
        at: Timestamp,
    ) -> Option<Finding> {
        let (i, r) = (&l.info, &self.rules.replies);
        let limit = months_after(sent, r.unanswered_months);
        let late = match i.replied {
            Some(rp) => rp > limit,
            // Only a letter the site shows as unanswered or in progress: a row whose state
            // the crawl could not read is not evidence for a veto.
            None => matches!(i.status, Status::Unanswered | Status::Processing) && today > limit,
        };
        if !late {
            return None;
        }
        let msg = match i.replied {
            Some(rp) => format!(
                "{sent} 提交的咨询留言直到 {rp} 才答复，超过 {} 个月",
                r.unanswered_months
            ),
            None => format!(
                "{sent} 提交的咨询留言截至 {today} 仍未答复（{}），超过 {} 个月",
                i.status.as_str(),
                r.unanswered_months
            ),
        };
        Some(finding(
            codes::UNANSWERED_3M,
            Severity::Veto,
            key,
            json!({"sent": sent.to_string(), "replied": i.replied.map(|d| d.to_string()), "status": i.status.as_str(), "title": i.title}),
            msg,
            Some(format!("{} — {}", i.title, i.excerpt)),
            page,
            at,
        ))
    }

    /// No reply published in the last months (only judged where letters are published).
    fn no_recent_reply(
        &self,
        tally: &Tally,
        letters: &BTreeMap<String, Letter>,
        pages: &[Page],
        today: NaiveDate,
        at: Timestamp,
        out: &mut ProbeOutput,
    ) {
        let r = &self.rules.replies;
        let last_reply = tally.last_reply;
        let recent = months_before(today, r.no_recent_reply_months);
        let proven_recent = last_reply
            .max(tally.replied_by)
            .is_some_and(|d| d >= recent);
        if tally.consult == 0 || proven_recent {
            return;
        }
        let url = match &tally.newest_list {
            Some((_, u)) => u.clone(),
            None => letters.keys().next().cloned().unwrap_or_default(),
        };
        let page = pages.iter().find(|p| p.fetch.url == url);
        out.findings.push(finding(
            codes::NO_RECENT_REPLY,
            Severity::Deduct,
            &url,
            json!({"last_reply": last_reply.map(|d| d.to_string()), "since": recent.to_string()}),
            match last_reply {
                Some(d) => format!(
                    "自 {d} 起未公开答复：截至 {today} 的 {} 个月内无答复",
                    r.no_recent_reply_months
                ),
                None => format!("公开的来信均无答复（截至 {today}）"),
            },
            last_reply.map(|d| format!("newest reply {d}")),
            page,
            at,
        ));
    }
}

/// What the consultation letters add up to, for `message.latency` and
/// `message.no_recent_reply`.
#[derive(Debug, Default)]
struct Tally {
    /// Working days from sent to replied of the window's letters with both dates.
    days: Vec<u32>,
    in_window: u32,
    answered: u32,
    answered_undated: u32,
    /// The newest reply date shown (up to today).
    last_reply: Option<NaiveDate>,
    /// The newest sent date of a letter shown as answered without a reply date.
    replied_by: Option<NaiveDate>,
    /// The list that shows the newest letter.
    newest_list: Option<(NaiveDate, String)>,
    /// Consultation letters published.
    consult: u32,
}

impl Tally {
    /// Counts one consultation letter (`wd`: working days to its reply); its sent day when it
    /// was sent within the window (`since` to `today`).
    fn add(
        &mut self,
        l: &Letter,
        wd: Option<u32>,
        since: NaiveDate,
        today: NaiveDate,
    ) -> Option<NaiveDate> {
        let i = &l.info;
        self.consult += 1;
        if let Some(rp) = i.replied
            && rp <= today
        {
            self.last_reply = self.last_reply.max(Some(rp));
        }
        // Shown as answered without a reply date: it was answered on or after it was sent.
        if i.replied.is_none()
            && i.status == Status::Replied
            && let Some(s) = i.sent
            && s <= today
        {
            self.replied_by = self.replied_by.max(Some(s));
        }
        if let (Some(s), Some(list)) = (i.sent, &l.list)
            && self.newest_list.as_ref().is_none_or(|(d, _)| s > *d)
        {
            self.newest_list = Some((s, list.clone()));
        }
        let sent = i.sent?;
        if sent < since || sent > today {
            return None;
        }
        self.in_window += 1;
        if let Some(w) = wd {
            self.answered += 1;
            self.days.push(w);
        } else if i.status == Status::Replied {
            // marked 已回复 without a reply date: answered, its latency unknown
            self.answered += 1;
            self.answered_undated += 1;
        }
        Some(sent)
    }

    /// The median of `days` (sorted).
    fn median(&self) -> Option<f64> {
        let days = &self.days;
        if days.is_empty() {
            None
        } else if days.len() % 2 == 1 {
            Some(f64::from(days[days.len() / 2]))
        } else {
            Some(f64::from(days[days.len() / 2 - 1] + days[days.len() / 2]) / 2.0)
        }
    }
}

/// The `message.latency` fact on the home page: how fast the window's letters were answered.
fn latency_fact(t: &Tally, home: &Page, since: NaiveDate, at: Timestamp) -> Fact {
    let within = |n: u32| t.days.iter().filter(|&&d| d <= n).count() as u32;
    // shares are of the answers whose reply date is known
    let dated = t.answered - t.answered_undated;
    let share = |k: u32| (dated > 0).then(|| f64::from(k) / f64::from(dated));
    let (w1, w5) = (within(1), within(5));
    fact(
        codes::LATENCY,
        Some(&home.fetch.url),
        json!({
            "letters": t.in_window,
            "answered": t.answered,
            "answered_undated": t.answered_undated,
            "within_1": w1,
            "within_5": w5,
            "share_1": share(w1),
            "share_5": share(w5),
            "median_days": t.median(),
            "last_reply": t.last_reply.map(|d| d.to_string()),
            "published": t.consult,
            "since": since.to_string(),
        }),
        at,
    )
}
