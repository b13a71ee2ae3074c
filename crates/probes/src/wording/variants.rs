//! Near misses of a canonical name or phrase: one character replaced by a character of the same
//! pronunciation or a look-alike, one interior character dropped, one inserted, or two
//! neighbours swapped.
//!
//! Same pronunciation is the same pinyin syllable with the same tone (李强/李墙, 主义/主意,
//! 共和国/共合国: the input method's neighbours that read alike), every reading of a heteronym
//! counted, from the `pinyin` crate. Replacements come only from the
//! 3,755 level-1 characters of GB 2312 (常用字: what an input method offers first), read from
//! the GBK decoder of `encoding_rs` rather than kept as a list here. Look-alikes are data
//! (`config/wording.toml [match] confusables`).

use pinyin::ToPinyinMulti;
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

/// How a near miss differs from its canonical form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Edit {
    Homophone,
    LookAlike,
    Dropped,
    Inserted,
    Swapped,
}

impl Edit {
    pub fn as_str(self) -> &'static str {
        match self {
            Edit::Homophone => "homophone",
            Edit::LookAlike => "look_alike",
            Edit::Dropped => "dropped",
            Edit::Inserted => "inserted",
            Edit::Swapped => "swapped",
        }
    }

    /// In Chinese, for messages.
    pub fn zh(self) -> &'static str {
        match self {
            Edit::Homophone => "同音字",
            Edit::LookAlike => "形近字",
            Edit::Dropped => "漏字",
            Edit::Inserted => "多字",
            Edit::Swapped => "颠倒",
        }
    }
}

/// The level-1 characters of GB 2312 (rows 16–55), decoded from their GBK bytes.
pub fn common_chars() -> &'static Vec<char> {
    static C: OnceLock<Vec<char>> = OnceLock::new();
    C.get_or_init(|| {
        let mut bytes = Vec::with_capacity(40 * 94 * 2);
        for hi in 0xB0u8..=0xD7 {
            for lo in 0xA1u8..=0xFE {
                bytes.extend([hi, lo]);
            }
        }
        let (text, _, _) = encoding_rs::GBK.decode(&bytes);
        text.chars().filter(|c| is_cjk(*c)).collect()
    })
}

/// A CJK unified ideograph of the basic block.
pub fn is_cjk(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

/// Every reading of a character, with its tone (`qiang2`).
fn readings(c: char) -> Vec<&'static str> {
    c.to_pinyin_multi()
        .map(|m| m.into_iter().map(|p| p.with_tone_num_end()).collect())
        .unwrap_or_default()
}

/// Common characters by reading.
fn by_reading() -> &'static HashMap<&'static str, Vec<char>> {
    static M: OnceLock<HashMap<&'static str, Vec<char>>> = OnceLock::new();
    M.get_or_init(|| {
        let mut m: HashMap<&'static str, Vec<char>> = HashMap::new();
        for &c in common_chars() {
            for r in readings(c) {
                let v = m.entry(r).or_default();
                if !v.contains(&c) {
                    v.push(c);
                }
            }
        }
        m
    })
}

/// Common characters read like `c` (any reading of either), `c` itself left out.
pub fn homophones(c: char) -> BTreeSet<char> {
    let m = by_reading();
    readings(c)
        .into_iter()
        .filter_map(|r| m.get(r))
        .flatten()
        .copied()
        .filter(|&h| h != c)
        .collect()
}

/// The look-alike table: each character of a group stands for each other one.
pub struct LookAlikes(HashMap<char, BTreeSet<char>>);

impl LookAlikes {
    pub fn new(groups: &[String]) -> LookAlikes {
        let mut m: HashMap<char, BTreeSet<char>> = HashMap::new();
        for g in groups {
            let chars: Vec<char> = g.chars().filter(|c| !c.is_whitespace()).collect();
            for &a in &chars {
                for &b in &chars {
                    if a != b {
                        m.entry(a).or_default().insert(b);
                    }
                }
            }
        }
        LookAlikes(m)
    }

    pub fn of(&self, c: char) -> impl Iterator<Item = char> + '_ {
        self.0.get(&c).into_iter().flatten().copied()
    }
}

/// Replacements of one character with how each differs (a homophone first, when a character is
/// both).
fn replacements(c: char, look: &LookAlikes) -> Vec<(char, Edit)> {
    let mut out: Vec<(char, Edit)> = homophones(c)
        .into_iter()
        .map(|h| (h, Edit::Homophone))
        .collect();
    for l in look.of(c) {
        if !out.iter().any(|(x, _)| *x == l) {
            out.push((l, Edit::LookAlike));
        }
    }
    out
}

/// Every near miss of `canonical`, with how it differs. `edits`: also dropped, inserted and
/// swapped characters (else only replaced ones). Only interior characters are dropped or
/// inserted: a canonical form cut or run on at its ends is what any text around it looks like.
pub fn near_misses(canonical: &str, look: &LookAlikes, edits: bool) -> Vec<(String, Edit)> {
    let chars: Vec<char> = canonical.chars().collect();
    let n = chars.len();
    let mut out = Vec::new();
    let build = |v: &[char]| v.iter().collect::<String>();
    for i in 0..n {
        for (r, e) in replacements(chars[i], look) {
            let mut v = chars.clone();
            v[i] = r;
            out.push((build(&v), e));
        }
    }
    if !edits {
        return out;
    }
    for i in 1..n.saturating_sub(1) {
        let mut v = chars.clone();
        v.remove(i);
        out.push((build(&v), Edit::Dropped));
    }
    for i in 1..n {
        // between chars[i - 1] and chars[i]: a neighbour doubled (重复字)
        let mut extra: Vec<char> = vec![chars[i - 1], chars[i]];
        extra.dedup();
        for x in extra {
            let mut v = chars.clone();
            v.insert(i, x);
            out.push((build(&v), Edit::Inserted));
        }
    }
    for i in 0..n.saturating_sub(1) {
        if chars[i] != chars[i + 1] {
            let mut v = chars.clone();
            v.swap(i, i + 1);
            out.push((build(&v), Edit::Swapped));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_characters_are_gb2312_level_1() {
        let c = common_chars();
        assert_eq!(c.len(), 3755);
        assert_eq!(c[0], '啊');
        assert!(c.contains(&'习') && c.contains(&'席') && !c.contains(&'囯'));
    }

    #[test]
    fn homophones_keep_the_tone_and_keep_to_common_characters() {
        let h = homophones('习');
        for c in ['席', '袭', '媳'] {
            assert!(h.contains(&c), "{c}");
        }
        for c in ['习', '西', '洗', '细', '近'] {
            assert!(!h.contains(&c), "{c}");
        }
        assert!(homophones('强').contains(&'墙'));
        assert!(homophones('义').contains(&'意'));
        // 乐 is read le4 and yue4: both count
        let le = homophones('乐');
        assert!(le.contains(&'勒') && le.contains(&'月'));
    }

    #[test]
    fn near_misses_of_each_kind() {
        let look = LookAlikes::new(&["平乎".to_string()]);
        let v = near_misses("习近平", &look, true);
        let has = |s: &str, e: Edit| v.iter().any(|(x, k)| x == s && *k == e);
        assert!(has("席近平", Edit::Homophone));
        assert!(has("习近乎", Edit::LookAlike));
        assert!(has("习平", Edit::Dropped));
        assert!(
            !v.iter().any(|(x, _)| x == "近平" || x == "习近"),
            "ends are never dropped"
        );
        assert!(has("习近近平", Edit::Inserted));
        assert!(has("近习平", Edit::Swapped));
        // without edits: only replaced characters
        let short = near_misses("李强", &look, false);
        assert!(short.iter().all(|(x, _)| x.chars().count() == 2));
        assert!(short.iter().any(|(x, _)| x == "李墙"));
    }
}
