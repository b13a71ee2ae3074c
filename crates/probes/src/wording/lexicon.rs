//! The rules compiled once: every canonical name and phrase, every known wrong form and every
//! near miss of a name or phrase, in one Aho-Corasick automaton (leftmost-longest, so a canonical
//! form or a longer phrase wins over a near miss inside it).
//!
//! A near miss is left out when it is itself a canonical form (李克强 with 克 dropped is 李强), or
//! a canonical form with one character run on at either end (李强 with 强 doubled is 李强强, which
//! every "李强强调" holds): those are what right text looks like.

use super::variants::{Edit, LookAlikes, near_misses};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use govwatch_config::WordingRules;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

/// What a pattern stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `rules.leaders[i].name`.
    Name(usize),
    /// `rules.phrases[i].text`.
    Phrase(usize),
    /// `rules.wrong[i]`.
    Known(usize),
}

/// One pattern of the automaton.
#[derive(Debug, Clone, Copy)]
pub struct Pat {
    pub target: Target,
    /// `None` for the canonical form (and a known wrong form), else how the near miss differs.
    pub edit: Option<Edit>,
}

/// Full titles with the leaders (indexes of `rules.leaders`) who ever held each.
pub type FullTitles = Vec<(String, Vec<usize>)>;

/// The compiled rules.
pub struct Lexicon {
    pub rules: WordingRules,
    pub pats: Vec<Pat>,
    pub ac: AhoCorasick,
    /// Every full title, longest first, with the leaders who ever held it.
    pub full_titles: FullTitles,
    /// Per leader: every form of every title (full and short), longest first.
    pub context: Vec<Vec<String>>,
}

impl Lexicon {
    /// Compiles `rules` (see the module doc for what is left out).
    pub fn new(rules: &WordingRules) -> Lexicon {
        let (texts, pats) = patterns(rules);
        // a DFA: the fastest search over every page (about 20 MB for the shipped rules, built once
        // per process)
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            // a DFA: about 0.1 s of CPU to build once per process (0.38e9 instructions), paid
            // back after about a thousand pages (a contiguous NFA builds in 0.15e9 but reads each
            // page 1.7 times slower)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&texts)
            .expect("wording patterns build a matcher");
        let (full_titles, context) = titles(rules);
        Lexicon {
            rules: rules.clone(),
            pats,
            ac,
            full_titles,
            context,
        }
    }

    /// The lexicon of `rules`, compiled once per process for the same rules (every probe set,
    /// every account and every test of one rule set share it).
    pub fn shared(rules: &WordingRules) -> Arc<Lexicon> {
        /// Compiled lexicons by their rules (as JSON), the newest last.
        type Cache = Mutex<Vec<(String, Arc<Lexicon>)>>;
        static CACHE: OnceLock<Cache> = OnceLock::new();
        let key = serde_json::to_string(rules).unwrap_or_default();
        let cache = CACHE.get_or_init(Default::default);
        let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, l)) = c.iter().find(|(k, _)| *k == key) {
            return l.clone();
        }
        let l = Arc::new(Lexicon::new(rules));
        if c.len() >= 4 {
            c.remove(0);
        }
        c.push((key, l.clone()));
        l
    }

    /// The canonical text a pattern stands for, and for a known wrong form its right form.
    pub fn right(&self, t: Target) -> &str {
        match t {
            Target::Name(i) => &self.rules.leaders[i].name,
            Target::Phrase(i) => &self.rules.phrases[i].text,
            Target::Known(i) => &self.rules.wrong[i].right,
        }
    }

    /// The source of the entry a pattern stands for.
    pub fn source(&self, t: Target) -> &str {
        match t {
            Target::Name(i) => &self.rules.leaders[i].source,
            Target::Phrase(i) => &self.rules.phrases[i].source,
            Target::Known(i) => &self.rules.wrong[i].source,
        }
    }
}

/// Every pattern's text and what it stands for: the canonical forms and known wrong forms
/// first (they win over a near miss of the same text), then the near misses that are not
/// right text, each text once.
fn patterns(rules: &WordingRules) -> (Vec<String>, Vec<Pat>) {
    let look = LookAlikes::new(&rules.matching.confusables);
    let canon: HashSet<&str> = rules
        .leaders
        .iter()
        .map(|l| l.name.as_str())
        .chain(rules.phrases.iter().map(|p| p.text.as_str()))
        .collect();
    let known: HashSet<&str> = rules.wrong.iter().map(|w| w.text.as_str()).collect();
    let mut texts: Vec<String> = Vec::new();
    let mut pats: Vec<Pat> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut add = |text: String, pat: Pat, texts: &mut Vec<String>, pats: &mut Vec<Pat>| {
        if seen.contains_key(&text) {
            return;
        }
        seen.insert(text.clone(), pats.len());
        texts.push(text);
        pats.push(pat);
    };
    // canonical forms and known wrong forms first: they win over a near miss of the same text
    for (i, l) in rules.leaders.iter().enumerate() {
        let pat = Pat {
            target: Target::Name(i),
            edit: None,
        };
        add(l.name.clone(), pat, &mut texts, &mut pats);
    }
    for (i, p) in rules.phrases.iter().enumerate() {
        let pat = Pat {
            target: Target::Phrase(i),
            edit: None,
        };
        add(p.text.clone(), pat, &mut texts, &mut pats);
    }
    for (i, w) in rules.wrong.iter().enumerate() {
        let pat = Pat {
            target: Target::Known(i),
            edit: None,
        };
        add(w.text.clone(), pat, &mut texts, &mut pats);
    }
    let right_text = |v: &str| {
        let n = v.chars().count();
        let first = v.char_indices().nth(1).map(|(i, _)| i).unwrap_or(v.len());
        let last = v.char_indices().nth(n.saturating_sub(1)).map(|(i, _)| i);
        canon.contains(v)
            || known.contains(v)
            || canon.contains(&v[first..])
            || last.is_some_and(|l| canon.contains(&v[..l]))
    };
    let m = &rules.matching;
    let sources = rules
        .leaders
        .iter()
        .enumerate()
        .map(|(i, l)| (Target::Name(i), &l.name, m.min_edit_chars))
        .chain(
            rules
                .phrases
                .iter()
                .enumerate()
                .map(|(i, p)| (Target::Phrase(i), &p.text, m.min_phrase_edit_chars)),
        );
    for (target, text, min_edit) in sources {
        let edits = text.chars().count() >= min_edit;
        for (v, edit) in near_misses(text, &look, edits) {
            if right_text(&v) {
                continue;
            }
            let pat = Pat {
                target,
                edit: Some(edit),
            };
            add(v, pat, &mut texts, &mut pats);
        }
    }
    (texts, pats)
}

/// Every full title, longest first, with the leaders who ever held it; per leader, every form
/// of every title, longest first.
fn titles(rules: &WordingRules) -> (FullTitles, Vec<Vec<String>>) {
    let mut full: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut context = Vec::new();
    for (i, l) in rules.leaders.iter().enumerate() {
        let mut forms: Vec<String> = Vec::new();
        for t in &l.titles {
            full.entry(t.title.as_str()).or_default().push(i);
            forms.push(t.title.clone());
            forms.extend(t.short.iter().cloned());
        }
        forms.sort_by_key(|f| std::cmp::Reverse(f.chars().count()));
        forms.dedup();
        context.push(forms);
    }
    let mut full_titles: FullTitles = full
        .into_iter()
        .map(|(t, mut ls)| {
            ls.dedup();
            (t.to_string(), ls)
        })
        .collect();
    full_titles.sort_by(|a, b| {
        b.0.chars()
            .count()
            .cmp(&a.0.chars().count())
            .then(a.0.cmp(&b.0))
    });
    (full_titles, context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_text_is_never_a_near_miss() {
        let lex = Lexicon::shared(&WordingRules::default());
        let find = |t: &str| {
            lex.ac
                .find_iter(t)
                .map(|m| {
                    (
                        t[m.range()].to_string(),
                        lex.pats[m.pattern().as_usize()].edit,
                    )
                })
                .collect::<Vec<_>>()
        };
        // 李克强 with 克 dropped is 李强: a canonical name, not a near miss
        assert_eq!(find("李强"), vec![("李强".to_string(), None)]);
        // 李强强调: the name, then 强调 — never 李强 with 强 doubled
        assert_eq!(find("李强强调"), vec![("李强".to_string(), None)]);
        assert_eq!(
            find("习近乎"),
            vec![("习近乎".to_string(), Some(Edit::LookAlike))]
        );
        let n = lex.pats.len();
        eprintln!("{n} patterns, {} bytes", lex.ac.memory_usage());
        assert!(n > 1000, "{n} patterns");
    }
}
