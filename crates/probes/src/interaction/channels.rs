//! Interaction channels: what a link leads to (咨询, 信访, 纪检, 访谈, 征集, 找错, 依申请公开, a
//! hub), found on every crawled page (`message.channel` facts), and `message.channel_missing`
//! when no consultation channel works.

use super::*;

/// What a channel is for; the rules exclude some kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Consultation,
    Petition,
    Discipline,
    Interview,
    Survey,
    ErrorReport,
    /// 依申请公开: applying for government information.
    Application,
    Hub,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Consultation => "consultation",
            Kind::Petition => "petition",
            Kind::Discipline => "discipline",
            Kind::Interview => "interview",
            Kind::Survey => "survey",
            Kind::ErrorReport => "error_report",
            Kind::Application => "application",
            Kind::Hub => "hub",
        }
    }
}

/// What a channel link leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Entry,
    Write,
    List,
    Lookup,
}

impl Role {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Role::Entry => "entry",
            Role::Write => "write",
            Role::List => "list",
            Role::Lookup => "lookup",
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Channel {
    pub(super) kind: Kind,
    pub(super) role: Role,
    pub(super) name: String,
    pub(super) url: String,
    pub(super) from: String,
    pub(super) ok: Option<bool>,
    pub(super) status: Option<u16>,
    pub(super) failure: Option<String>,
}

impl Interaction {
    /// The kind of a link or page name, by the channel words (first match in rule order).
    pub fn classify(&self, text: &str) -> Option<Kind> {
        let w = &self.rules.channels;
        let has = |words: &[String]| words.iter().any(|x| text.contains(x.as_str()));
        if has(&w.error_report) {
            Some(Kind::ErrorReport)
        } else if has(&w.discipline) {
            Some(Kind::Discipline)
        } else if has(&w.application) {
            Some(Kind::Application)
        } else if has(&w.petition) {
            Some(Kind::Petition)
        } else if has(&w.interview) {
            Some(Kind::Interview)
        } else if has(&w.survey) {
            Some(Kind::Survey)
        } else if has(&w.consultation) {
            Some(Kind::Consultation)
        } else if has(&w.hub) {
            Some(Kind::Hub)
        } else {
            None
        }
    }

    pub(super) fn role(&self, text: &str) -> Role {
        let w = &self.rules.channels;
        let letterish = self.letterish(text);
        if w.lookup.iter().any(|x| text.contains(x.as_str())) {
            Role::Lookup
        } else if letterish && w.public_list.iter().any(|x| text.contains(x.as_str())) {
            Role::List
        } else if w.write.iter().any(|x| text.contains(x.as_str())) {
            Role::Write
        } else {
            Role::Entry
        }
    }

    /// Every interaction link on the crawled pages, shallowest page first; notes each target's
    /// kind in `cx` (the rows of letter lists are letters, not channels).
    pub(super) fn find_channels(&self, cx: &mut Ctx) -> Vec<Channel> {
        let input = cx.input;
        let pages = input.pages();
        let mut order: Vec<usize> = (0..pages.len()).collect();
        order.sort_by_key(|&i| pages[i].depth);
        let mut channels: Vec<Channel> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut judged: HashMap<&str, (Option<Kind>, Role)> = HashMap::new();
        // the rows of letter lists are letters, not channels (a title with 咨询 is no channel)
        let letter_urls: HashSet<String> = (0..pages.len())
            .filter_map(|i| cx.scan(self, i))
            .flat_map(|sc| sc.letter_list.iter().filter_map(|l| l.url.clone()))
            .collect();
        for &i in &order {
            let p = &pages[i];
            if !p.is_html {
                continue;
            }
            for l in &p.links {
                if l.kind != LinkKind::Anchor
                    || !l.url.starts_with("http")
                    || letter_urls.contains(&l.url)
                {
                    continue;
                }
                let text = l.text.trim();
                let n = text.chars().count();
                if !(2..=16).contains(&n) {
                    continue;
                }
                // the same link texts (navigation) repeat on every page: classified once
                let (class, role) = *judged
                    .entry(text)
                    .or_insert_with(|| (self.classify(text), self.role(text)));
                let kind = match (class, role) {
                    (Some(k), _) => k,
                    (None, Role::Lookup | Role::List) if self.letterish(text) => Kind::Consultation,
                    _ => continue,
                };
                if let Some(&at) = seen.get(&l.url) {
                    // The same page linked as 互动交流 and as 县长信箱: the specific name wins.
                    if channels[at].kind == Kind::Hub && kind != Kind::Hub {
                        channels[at].kind = kind;
                        channels[at].role = role;
                        channels[at].name = text.to_string();
                        cx.kind_of_url.insert(l.url.clone(), kind);
                    }
                    continue;
                }
                let (ok, status, failure) = target_state(input, cx, &l.url);
                seen.insert(l.url.clone(), channels.len());
                cx.kind_of_url.entry(l.url.clone()).or_insert(kind);
                channels.push(Channel {
                    kind,
                    role,
                    name: text.to_string(),
                    url: l.url.clone(),
                    from: p.fetch.url.clone(),
                    ok,
                    status,
                    failure,
                });
            }
        }
        channels
    }

    /// The channel facts, and the veto when no consultation channel works.
    pub(super) fn judge_channels(
        &self,
        channels: &[Channel],
        home: &Page,
        at: Timestamp,
        out: &mut ProbeOutput,
    ) {
        for c in channels {
            out.facts.push(fact(
                codes::CHANNEL,
                Some(&c.url),
                json!({
                    "kind": c.kind.as_str(),
                    "role": c.role.as_str(),
                    "name": c.name,
                    "url": c.url,
                    "from": c.from,
                    "ok": c.ok,
                    "status": c.status,
                }),
                at,
            ));
        }
        let consult: Vec<&Channel> = channels
            .iter()
            .filter(|c| c.kind == Kind::Consultation)
            .collect();
        // a consultation form the crawl opened (a 我要写信 page probed directly, or reached) is
        // a working channel itself
        let form_open = out.facts.iter().any(|f| {
            f.code == codes::FORM
                && f.value["kind"] == "consultation"
                && f.value["form_present"] == true
        });
        let working = form_open || consult.iter().any(|c| c.ok == Some(true));
        // A link the crawl could not check (robots.txt, budget) proves nothing either way.
        let proven_dead = consult.iter().all(|c| c.ok == Some(false));
        // A home page that did not open shows no channels: availability reports it, not this.
        if !working && proven_dead && home.fetch.ok() {
            let (message, excerpt) = if consult.is_empty() {
                let others: Vec<String> = channels
                    .iter()
                    .filter(|c| c.kind != Kind::Hub)
                    .map(|c| format!("{} ({})", c.name, c.kind.as_str()))
                    .collect();
                (
                    "未发现在线咨询渠道（咨询/留言/信箱）；信访、纪检举报渠道不计在内".to_string(),
                    if others.is_empty() {
                        None
                    } else {
                        Some(format!("channels found: {}", others.join(", ")))
                    },
                )
            } else {
                let failed: Vec<String> = consult
                    .iter()
                    .map(|c| {
                        format!(
                            "{} → {} ({})",
                            c.name,
                            c.url,
                            c.failure.clone().unwrap_or_else(|| "not checked".into())
                        )
                    })
                    .collect();
                (
                    "咨询渠道均不可用：所有咨询链接都无法打开".to_string(),
                    Some(failed.join("; ")),
                )
            };
            out.findings.push(finding(
                codes::CHANNEL_MISSING,
                Severity::Veto,
                &home.fetch.url,
                json!({"consultation_links": consult.len(), "channels": channels.len()}),
                message,
                excerpt,
                Some(home),
                at,
            ));
        }
    }

    /// The form behind an error-report or application channel's page ("填写网上申请表",
    /// "在线纠错") is of the channel's kind, whatever its own link or title says.
    pub(super) fn inherit_kinds(&self, cx: &mut Ctx) {
        let pages = cx.input.pages();
        let mut inherited: Vec<(String, Kind)> = Vec::new();
        for p in pages {
            let kind = cx
                .kind_of_url
                .get(&p.fetch.url)
                .or_else(|| cx.kind_of_url.get(&p.fetch.final_url));
            let Some(&kind @ (Kind::ErrorReport | Kind::Application)) = kind else {
                continue;
            };
            if !p.is_html || !p.fetch.ok() {
                continue;
            }
            for l in p.links.iter().filter(|l| l.kind == LinkKind::Anchor) {
                let Some(j) = cx.page(&l.url) else { continue };
                let form = cx
                    .scan(self, j)
                    .is_some_and(|sc| sc.has_textarea || sc.form.is_some());
                if form && pages[j].depth > 0 && !cx.kind_of_url.contains_key(&l.url) {
                    inherited.push((l.url.clone(), kind));
                }
            }
        }
        for (url, kind) in inherited {
            cx.kind_of_url.entry(url).or_insert(kind);
        }
    }

    /// Kind of a page: the channel link pointing to it, else its title.
    pub(super) fn page_kind(&self, cx: &Ctx, i: usize) -> Option<Kind> {
        let p = &cx.input.pages()[i];
        cx.kind_of_url
            .get(&p.fetch.url)
            .or_else(|| cx.kind_of_url.get(&p.fetch.final_url))
            .copied()
            .filter(|k| *k != Kind::Hub)
            .or_else(|| {
                p.title
                    .as_deref()
                    .map(|t| t.split(['-', '_', '|', '—']).next().unwrap_or(t))
                    .and_then(|t| self.classify(t))
                    .filter(|k| *k != Kind::Hub)
            })
    }
}

/// Whether a link target answered: from the crawled page, else from the link check.
pub(super) fn target_state(
    input: &ProbeInput,
    cx: &Ctx,
    url: &str,
) -> (Option<bool>, Option<u16>, Option<String>) {
    if let Some(i) = cx.page(url) {
        let f = &input.crawl.pages[i].fetch;
        return (Some(f.ok()), f.status, f.failure());
    }
    if let Some(c) = input.crawl.link_checks.iter().find(|c| c.url == url) {
        let f = &c.record;
        let ok = f.error.is_none() && matches!(f.status, Some(s) if s < 400);
        return (Some(ok), f.status, f.failure());
    }
    (None, None, None)
}
