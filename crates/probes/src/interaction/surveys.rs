//! Surveys and calls for comment (调查征集): activities counted over the year before the
//! monitoring time, online or by e-mail (`survey.count`), adverts among them left out.

use super::*;

impl Interaction {
    /// The survey pages, their commercial content, and the count of activities.
    pub(super) fn judge_surveys(
        &self,
        cx: &Ctx,
        today: NaiveDate,
        at: Timestamp,
        out: &mut ProbeOutput,
    ) {
        let pages = cx.input.pages();
        let survey_pages: Vec<usize> = (0..pages.len())
            .filter(|&i| {
                pages[i].is_html
                    && pages[i].fetch.ok()
                    && self.page_kind(cx, i) == Some(Kind::Survey)
            })
            .collect();
        let ad_pages = ads::scan(self, cx, &survey_pages, at, out);
        self.count_surveys(cx, &survey_pages, &ad_pages, today, at, out);
    }

    fn count_surveys(
        &self,
        cx: &Ctx,
        survey_pages: &[usize],
        ad_pages: &[String],
        today: NaiveDate,
        at: Timestamp,
        out: &mut ProbeOutput,
    ) {
        let input = cx.input;
        let pages = input.pages();
        let since = months_before(today, self.rules.surveys.months);
        let mut acts: BTreeMap<String, Value> = BTreeMap::new();
        let (mut online, mut email) = (0, 0);
        let mut excluded = Vec::new();
        for &i in survey_pages {
            // a survey list: its dated items are the activities
            let items = crate::lists::list_items(
                input.dom(i),
                &match Url::parse(&pages[i].fetch.final_url) {
                    Ok(u) => u,
                    Err(_) => continue,
                },
                today,
            );
            for it in items {
                let Some(listed) = it.date else { continue };
                if acts.contains_key(&it.url) || ad_pages.contains(&it.url) {
                    if ad_pages.contains(&it.url) && !excluded.contains(&it.url) {
                        excluded.push(it.url.clone());
                    }
                    continue;
                }
                let detail = cx.page(&it.url);
                let (start, channel) = match detail {
                    Some(d) => {
                        let text = cx.text(d);
                        (
                            survey_start(text).unwrap_or(listed),
                            survey_channel(input.dom(d), text),
                        )
                    }
                    None => (listed, "unknown"),
                };
                if start <= since || start > today {
                    continue;
                }
                match channel {
                    "online" => online += 1,
                    "email" => email += 1,
                    _ => {}
                }
                acts.insert(
                    it.url.clone(),
                    json!({"title": it.title, "url": it.url, "start": start.to_string(), "channel": channel}),
                );
            }
        }
        let home = input.home().map(|h| h.fetch.url.clone());
        let count = acts.len();
        out.facts.push(fact(
            codes::SURVEY_COUNT,
            home.as_deref(),
            json!({
                "count": count,
                "since": since.to_string(),
                "activities": acts.into_values().collect::<Vec<_>>(),
                "online": online > 0,
                "email_only": count > 0 && online == 0 && email > 0,
                "email_activities": email,
                "excluded_ads": excluded,
            }),
            at,
        ));
    }
}

/// The start of a survey: 征集时间/调查时间/起止时间 "A至B", else 开始时间, else 发布时间.
fn survey_start(text: &str) -> Option<NaiveDate> {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let r = R.get_or_init(|| {
        regex::Regex::new(
            r"(?:征集时间|征求意见时间|调查时间|起止时间|活动时间|开始时间|征集期限|时间为|发布时间|发布日期)\s*[：:]?\s*(?:自|从)?\s*(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})",
        )
        .expect("valid regex")
    });
    let c = r.captures(text)?;
    NaiveDate::from_ymd_opt(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
}

/// How a survey takes part: an online form or page (`online`), e-mail only (`email`), else
/// `other` (post, phone, fax).
fn survey_channel(doc: &Html, text: &str) -> &'static str {
    let form = doc
        .select(sel(
            "form textarea, form input[type=radio], form input[type=checkbox], form select",
        ))
        .next()
        .is_some();
    let link = doc.select(sel("a[href]")).any(|a| {
        let t: String = a.text().collect();
        [
            "在线提交",
            "我要参与",
            "参与调查",
            "发表意见",
            "在线留言",
            "网上投票",
            "问卷",
            "我要评论",
            "提交意见",
            "在线参与",
        ]
        .iter()
        .any(|w| t.contains(w))
    });
    if form || link {
        return "online";
    }
    let mail = text.contains('@')
        && [
            "电子邮件",
            "电子邮箱",
            "邮箱",
            "E-mail",
            "e-mail",
            "Email",
            "email",
        ]
        .iter()
        .any(|w| text.contains(w));
    if mail { "email" } else { "other" }
}
