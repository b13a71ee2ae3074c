//! Shards of the site registry, for nightly runs spread over several machines
//! (`govwatch run --shard K/N`, then `govwatch merge`).
//!
//! - [`Shard`]: shard `K` of `N`, written `K/N` with `K` counted **from 0** (`0/3`, `1/3`, `2/3`),
//!   as a Kubernetes Indexed Job's completion index and a Slurm array `--array=0-2` give it.
//! - [`shard_of`]: the fixed assignment of a site id to a shard: the first 8 bytes of the
//!   SHA-256 of the id's UTF-8 bytes, read as a big-endian unsigned 64-bit number, modulo `N`.
//!   It depends on the id alone (never on the registry's order or size, never on Rust's
//!   `DefaultHasher`, whose algorithm may change between releases), so a site stays in its shard
//!   as the registry grows, on every machine and every build.
//! - [`ConfigDir::rules_sha256`]: one digest of the probe rule files, recorded with every run so
//!   shards crawled under different rules are refused when merged.

use crate::ConfigDir;
use crate::error::ConfigError;
use govwatch_model::Site;
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// Shard `index` of `count` (`index` from 0 to `count - 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    /// This shard, counted from 0.
    pub index: u32,
    /// How many shards the registry is split into (at least 1).
    pub count: u32,
}

/// Why a `--shard` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--shard {value:?}：{why}（应写成 K/N，N ≥ 1，K 从 0 到 N-1，如 0/3、1/3、2/3）")]
pub struct ShardError {
    /// The value as given.
    pub value: String,
    /// What is wrong with it.
    pub why: String,
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let err = |why: &str| ShardError {
            value: s.to_string(),
            why: why.to_string(),
        };
        let (k, n) = s.trim().split_once('/').ok_or_else(|| err("没有 `/`"))?;
        let index: u32 = k.trim().parse().map_err(|_| err("K 不是整数"))?;
        let count: u32 = n.trim().parse().map_err(|_| err("N 不是整数"))?;
        if count == 0 {
            return Err(err("N 至少应为 1"));
        }
        if index >= count {
            return Err(err(&format!(
                "K 应小于 N（分片从 0 数起：{count} 片中的最后一片是 {}）",
                count - 1
            )));
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether the site with this id belongs to this shard.
    pub fn contains(&self, site_id: &str) -> bool {
        shard_of(site_id, self.count) == self.index
    }

    /// The sites of the registry that belong to this shard, in registry order.
    pub fn select(&self, sites: Vec<Site>) -> Vec<Site> {
        sites.into_iter().filter(|s| self.contains(&s.id)).collect()
    }

    /// The shard as recorded in a run's settings: `{"index": K, "count": N, "text": "K/N"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"index": self.index, "count": self.count, "text": self.to_string()})
    }
}

/// The shard (0 to `count - 1`) a site id belongs to: SHA-256 of the id, first 8 bytes as a
/// big-endian `u64`, modulo `count`. `count` 0 is taken as 1.
pub fn shard_of(site_id: &str, count: u32) -> u32 {
    let digest = Sha256::digest(site_id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % u64::from(count.max(1))) as u32
}

impl ConfigDir {
    /// SHA-256 (hex) over the probe rule files that shape findings (`probes.toml`,
    /// `columns.toml`, `integrity.toml`, `interaction.toml`, `holidays.toml`, `media.toml`,
    /// `wording.toml`):
    /// each file's name, then its bytes (or the word `absent` for a missing file, which means
    /// the shipped rules). Two runs with the same digest judged pages by the same rules.
    pub fn rules_sha256(&self) -> Result<String, ConfigError> {
        let mut h = Sha256::new();
        for path in [
            self.probes_path(),
            self.columns_path(),
            self.integrity_path(),
            self.interaction_path(),
            self.holidays_path(),
            self.media_path(),
            self.wording_path(),
        ] {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            h.update(name.as_bytes());
            h.update([0u8]);
            match std::fs::read(&path) {
                Ok(bytes) => {
                    h.update((bytes.len() as u64).to_be_bytes());
                    h.update(&bytes);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => h.update(b"absent"),
                Err(source) => return Err(ConfigError::Io { path, source }),
            }
            h.update([0u8]);
        }
        Ok(hex::encode(h.finalize()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates() {
        assert_eq!("0/3".parse(), Ok(Shard { index: 0, count: 3 }));
        assert_eq!(" 2/3 ".parse(), Ok(Shard { index: 2, count: 3 }));
        assert_eq!("0/1".parse::<Shard>().unwrap().to_string(), "0/1");
        for bad in ["3/3", "1/0", "a/3", "1", "-1/3", "1/3/4", ""] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.to_string().contains("应写成 K/N"), "{bad}: {e}");
        }
        assert!(
            "3/3"
                .parse::<Shard>()
                .unwrap_err()
                .to_string()
                .contains("分片从 0 数起")
        );
    }

    #[test]
    fn assignment_is_the_documented_sha256() {
        // SHA-256("1310000001") starts 87 05 93 79 5f 5f 11 7c (Python:
        // int.from_bytes(hashlib.sha256(b"1310000001").digest()[:8], "big")): the values are
        // pinned so that a change of algorithm (which would move sites between machines) fails.
        assert_eq!(
            shard_of("1310000001", 7),
            (0x8705_9379_5f5f_117c_u64 % 7) as u32
        );
        let pinned: Vec<u32> = (1..=8)
            .map(|i| shard_of(&format!("131000000{i}"), 3))
            .collect();
        assert_eq!(pinned, PINNED);
        assert_eq!(shard_of("anything", 1), 0);
        assert_eq!(shard_of("anything", 0), 0);
    }

    const PINNED: [u32; 8] = [1, 2, 2, 1, 1, 0, 0, 2];

    #[test]
    fn every_site_is_in_exactly_one_shard_and_shards_are_even() {
        let ids: Vec<String> = (0..2000)
            .map(|i| format!("{:010}", 1_000_000_000 + i))
            .collect();
        for n in [1u32, 2, 3, 8, 16] {
            let mut sizes = vec![0usize; n as usize];
            for id in &ids {
                let owners: Vec<u32> = (0..n)
                    .filter(|&k| Shard { index: k, count: n }.contains(id))
                    .collect();
                assert_eq!(owners.len(), 1, "{id} in {owners:?} of {n}");
                sizes[owners[0] as usize] += 1;
            }
            // a fair hash: no shard more than 25 % off the mean over 2,000 ids
            let mean = ids.len() / n as usize;
            for s in sizes {
                assert!(s.abs_diff(mean) * 4 <= mean, "{n}: {s} vs {mean}");
            }
        }
    }
}
