//! Message forms and their kin (error-report, application, petition forms): limits, captcha
//! and login read from the markup (`message.form`), the message-form findings of consultation
//! forms, and whether a message can be looked up (`message.no_lookup`). Never submitted.

use super::*;

/// A form page as read: limits, login, visible text.
pub(super) struct FormScan {
    pub(super) limits: limits::FormLimits,
    pub(super) login: Option<Login>,
    pub(super) text: String,
}

/// A page to look a message up by its number (查询码, 信件编号 … in a form).
pub(super) fn is_lookup_page(doc: &Html, text: &str) -> bool {
    let words = [
        "查询码",
        "信件编号",
        "留言编号",
        "受理编号",
        "查询密码",
        "信件查询",
        "留言查询",
        "办件查询",
    ];
    let field = doc.select(sel("form input")).any(|e| {
        let v = e.value();
        let attrs = [v.attr("name"), v.attr("id"), v.attr("placeholder")];
        attrs.iter().flatten().any(|a| {
            let l = a.to_ascii_lowercase();
            words.iter().any(|w| a.contains(w))
                || [
                    "cxm",
                    "querycode",
                    "searchcode",
                    "letterno",
                    "letter_no",
                    "xjbh",
                    "cxmm",
                    "lybh",
                ]
                .iter()
                .any(|w| l.contains(w))
        })
    });
    field || (doc.select(sel("form")).next().is_some() && words.iter().any(|w| text.contains(w)))
}

pub(super) struct Login {
    required: bool,
    url: Option<String>,
    has_return: bool,
    excerpt: String,
}

impl Interaction {
    /// Reads every form page; says whether a message can be looked up (a lookup page, a working
    /// lookup or list link, or published letters).
    pub(super) fn read_forms(
        &self,
        cx: &Ctx,
        channels: &[Channel],
        letters: &BTreeMap<String, Letter>,
        at: Timestamp,
        out: &mut ProbeOutput,
    ) -> bool {
        let input = cx.input;
        let pages = input.pages();
        let mut has_lookup = channels.iter().any(|c| {
            c.kind == Kind::Consultation
                && matches!(c.role, Role::Lookup | Role::List)
                && c.ok == Some(true)
        });
        let public_letters = letters.values().any(|l| l.kind == Kind::Consultation);
        has_lookup |= public_letters;
        let write_targets: Vec<&str> = channels
            .iter()
            .filter(|c| c.kind == Kind::Consultation && c.role == Role::Write)
            .map(|c| c.url.as_str())
            .collect();
        let previous_forms: Vec<&Fact> = input
            .previous
            .map(|p| p.facts.iter().filter(|f| f.code == codes::FORM).collect())
            .unwrap_or_default();
        for (i, p) in pages.iter().enumerate() {
            if !p.is_html || !p.fetch.ok() {
                continue;
            }
            let Some(sc) = cx.scan(self, i) else {
                continue;
            };
            if !has_lookup && sc.lookup {
                has_lookup = true;
            }
            let has_textarea = sc.has_textarea;
            let kind = self.page_kind(cx, i);
            let targeted = write_targets.contains(&p.fetch.url.as_str())
                || write_targets.contains(&p.fetch.final_url.as_str());
            let was_form = previous_forms.iter().any(|f| {
                f.url.as_deref() == Some(p.fetch.url.as_str()) && f.value["form_present"] == true
            });
            if !(has_textarea || targeted || was_form) {
                continue;
            }
            // read while crawled; a write page without any form is read now
            let read_now;
            let form = match &sc.form {
                Some(f) => f,
                None => {
                    let (doc, text) = (input.dom(i), cx.text(i));
                    read_now = FormScan {
                        limits: limits::read_limits(doc, text),
                        login: self.login_state(doc, text, has_textarea, p),
                        text: text.to_string(),
                    };
                    &read_now
                }
            };
            let Some(kind) = kind.or_else(|| self.form_kind(cx, i, p, form)) else {
                continue;
            };
            // error-report, application and opinion (意见征集) forms are the same markup as
            // message forms: their limits, captcha and login are read and kept as facts; the
            // message-form findings are the consultation channel's alone
            if !matches!(
                kind,
                Kind::Consultation
                    | Kind::Petition
                    | Kind::ErrorReport
                    | Kind::Application
                    | Kind::Survey
            ) {
                continue;
            }
            let (lim, login, text) = (&form.limits, form.login.as_ref(), form.text.as_str());
            let hour = china(p.fetch.started_at).hour();
            out.facts.push(form_fact(kind, lim, login, p, hour, at));
            if kind != Kind::Consultation {
                continue;
            }
            self.judge_form(lim, login, p, text, &previous_forms, hour, at, out);
        }
        has_lookup
    }

    /// The kind of a form page no channel names: a form page reached or probed directly names
    /// itself — an error-report or application form by its channel's words in its title or
    /// head, a message form by the words of writing a letter; else `None` (not a form to read).
    fn form_kind(&self, cx: &Ctx, i: usize, p: &Page, form: &FormScan) -> Option<Kind> {
        let title = p.title.clone().unwrap_or_default();
        let head: String = form.text.chars().take(400).collect();
        let headings: Vec<String> = cx
            .input
            .dom(i)
            .select(sel("h1, h2, h3, h4, legend, caption"))
            .map(|h| h.text().collect::<String>())
            .collect();
        let named = std::iter::once(title.as_str())
            .chain(headings.iter().map(String::as_str))
            .find_map(|t| match self.classify(t) {
                Some(k @ (Kind::ErrorReport | Kind::Application)) => Some(k),
                _ => None,
            });
        if let Some(k) = named {
            Some(k)
        } else if ["写信", "留言", "咨询", "来信", "信箱"]
            .iter()
            .any(|w| title.contains(w) || head.contains(w))
            && !["评论", "找错", "纠错"].iter().any(|w| title.contains(w))
        {
            Some(Kind::Consultation)
        } else {
            None
        }
    }

    /// `message.no_lookup`: consultation channels work, but a message cannot be looked up.
    pub(super) fn judge_lookup(
        &self,
        channels: &[Channel],
        has_lookup: bool,
        home: &Page,
        at: Timestamp,
        out: &mut ProbeOutput,
    ) {
        let consult: Vec<&Channel> = channels
            .iter()
            .filter(|c| c.kind == Kind::Consultation)
            .collect();
        let working = consult.iter().any(|c| c.ok == Some(true));
        if !consult.is_empty() && working && !has_lookup {
            out.findings.push(finding(
                codes::NO_LOOKUP,
                Severity::Deduct,
                &home.fetch.url,
                json!({"lookup": false, "public_list": false}),
                "留言无法查询：既无按编号查询页面，也无公开的来信及答复列表".into(),
                Some(
                    consult
                        .iter()
                        .map(|c| c.name.clone())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                Some(home),
                at,
            ));
        }
    }

    pub(super) fn login_state(
        &self,
        doc: &Html,
        text: &str,
        has_textarea: bool,
        page: &Page,
    ) -> Option<Login> {
        let words = &self.rules.channels.login;
        let base = Url::parse(&page.fetch.final_url).ok()?;
        let mut links = Vec::new();
        for a in doc.select(sel("a[href]")) {
            let t: String = a.text().collect::<String>().trim().to_string();
            let href = a.value().attr("href").unwrap_or("");
            let hl = href.to_ascii_lowercase();
            let by_text = words.iter().any(|w| t.contains(w.as_str())) && t.chars().count() <= 12;
            let by_href = ["login", "sso", "passport", "/auth", "cas/"]
                .iter()
                .any(|w| hl.contains(w));
            if (by_text || by_href)
                && !hl.starts_with("javascript")
                && !hl.starts_with('#')
                && let Ok(u) = base.join(href)
            {
                links.push((u, t));
            }
        }
        let asks = [
            "请先登录",
            "登录后",
            "须登录",
            "需登录",
            "请登录",
            "登录后方可",
            "实名认证后",
            "先登录",
        ]
        .iter()
        .any(|w| text.contains(w));
        if links.is_empty() {
            return asks.then(|| Login {
                required: true,
                url: None,
                has_return: true,
                excerpt: String::new(),
            });
        }
        let required = asks || !has_textarea;
        let params = &self.rules.channels.return_params;
        let has_return = links.iter().any(|(u, _)| {
            u.query_pairs().any(|(k, v)| {
                let k = k.to_ascii_lowercase();
                !v.is_empty() && params.contains(&k)
            })
        });
        let (u, t) = &links[0];
        Some(Login {
            required,
            url: Some(u.to_string()),
            has_return,
            excerpt: format!("{t} → {u}"),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn judge_form(
        &self,
        lim: &limits::FormLimits,
        login: Option<&Login>,
        p: &Page,
        text: &str,
        previous_forms: &[&Fact],
        hour: u32,
        at: Timestamp,
        out: &mut ProbeOutput,
    ) {
        let r = &self.rules.limits;
        let url = &p.fetch.url;
        if let (Some(n), Some(src)) = (lim.min_len, &lim.min_source)
            && n > r.min_length_above
        {
            out.findings.push(finding(
                codes::MIN_LENGTH,
                Severity::Deduct,
                url,
                json!({"min_len": n, "threshold": r.min_length_above, "how": src.how}),
                format!("留言内容不得少于 {n} 字（见表单的 {}）", src.how),
                Some(src.excerpt.clone()),
                Some(p),
                at,
            ));
        }
        if let (Some(n), Some(src)) = (lim.max_len, &lim.max_source)
            && n < r.max_length_below
        {
            out.findings.push(finding(
                codes::MAX_LENGTH,
                Severity::Deduct,
                url,
                json!({"max_len": n, "threshold": r.max_length_below, "how": src.how}),
                format!("留言内容不得超过 {n} 字（见表单的 {}）", src.how),
                Some(src.excerpt.clone()),
                Some(p),
                at,
            ));
        }
        if let (Some(n), Some(src)) = (lim.daily_cap, &lim.daily_cap_source)
            && n <= r.daily_cap_at_most
        {
            out.findings.push(finding(
                codes::DAILY_CAP,
                Severity::Deduct,
                url,
                json!({"daily_cap": n, "how": src.how}),
                format!("每天最多只能留言 {n} 次（见表单的 {}）", src.how),
                Some(src.excerpt.clone()),
                Some(p),
                at,
            ));
        }
        out.findings
            .extend(self.open_hours_finding(lim, p, text, previous_forms, hour, at));
        if let Some(l) = login
            && l.required
            && l.url.is_some()
            && !l.has_return
        {
            out.findings.push(finding(
                codes::LOGIN_NO_RETURN,
                Severity::Deduct,
                url,
                json!({"login_url": l.url}),
                "写信须先登录，且登录链接不带返回地址：登录后不能回到写信页面".into(),
                Some(l.excerpt.clone()),
                Some(p),
                at,
            ));
        }
    }

    /// `message.open_hours`: the form is open only part of the day, as it says, or as the
    /// history shows (closed now, open in an earlier fetch at another hour).
    fn open_hours_finding(
        &self,
        lim: &limits::FormLimits,
        p: &Page,
        text: &str,
        previous_forms: &[&Fact],
        hour: u32,
        at: Timestamp,
    ) -> Option<Finding> {
        let r = &self.rules.limits;
        let url = &p.fetch.url;
        if let (Some((a, b)), Some(src)) = (lim.open, &lim.open_source)
            && (b - a) < r.open_hours_below * 60
        {
            return Some(finding(
                codes::OPEN_HOURS,
                Severity::Deduct,
                url,
                json!({"open_hours": lim.open_hours(), "workdays_only": lim.workdays_only, "how": src.how}),
                format!(
                    "渠道仅在 {}{} 开放（见表单的 {}）",
                    lim.open_hours().unwrap_or_default(),
                    if lim.workdays_only {
                        "（工作日）"
                    } else {
                        ""
                    },
                    src.how
                ),
                Some(src.excerpt.clone()),
                Some(p),
                at,
            ));
        } else if !lim.form_present {
            // Closed now, open in an earlier fetch at another hour: the history shows a window.
            let closed_words = [
                "关闭",
                "非开放",
                "不在",
                "暂停",
                "休息时间",
                "开放时间",
                "暂不受理",
            ];
            if closed_words.iter().any(|w| text.contains(w))
                && let Some(prev) = previous_forms.iter().find(|f| {
                    f.url.as_deref() == Some(url.as_str())
                        && f.value["form_present"] == true
                        && f.value["fetched_hour"]
                            .as_u64()
                            .is_some_and(|h| h as u32 != hour)
                })
            {
                let open_at = prev.value["fetched_hour"].as_u64().unwrap_or(0);
                let said = closed_words
                    .iter()
                    .find_map(|w| crate::evidence::excerpt_around(text, w, 30))
                    .unwrap_or_default();
                return Some(finding(
                    codes::OPEN_HOURS,
                    Severity::Deduct,
                    url,
                    json!({"open_hours": null, "open_at_hour": open_at, "closed_at_hour": hour, "how": "history"}),
                    format!("表单在 {open_at:02} 时抓取时开放、在 {hour:02} 时关闭：渠道限时开放"),
                    Some(said),
                    Some(p),
                    at,
                ));
            }
        }
        None
    }
}

/// The `message.form` fact of one form page: its limits, captcha and login as read, and the
/// hour it was fetched (China time).
fn form_fact(
    kind: Kind,
    lim: &limits::FormLimits,
    login: Option<&Login>,
    p: &Page,
    hour: u32,
    at: Timestamp,
) -> Fact {
    fact(
        codes::FORM,
        Some(&p.fetch.url),
        json!({
            "kind": kind.as_str(),
            "min_len": lim.min_len,
            "max_len": lim.max_len,
            "min_source": lim.min_source,
            "max_source": lim.max_source,
            "daily_cap": lim.daily_cap,
            "open_hours": lim.open_hours(),
            "workdays_only": lim.workdays_only,
            "captcha": lim.captcha,
            "login_required": login.map(|l| l.required).unwrap_or(false),
            "login_url": login.and_then(|l| l.url.clone()),
            "form_present": lim.form_present,
            "fetched_hour": hour,
        }),
        at,
    )
}
