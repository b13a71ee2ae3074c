//! The benchmark farm: a port of `/work/shared/bench/farm.py` (the generator the peer figures were
//! measured on), with one directory per host name instead of one loopback address per site.
//!
//! Same pages as the Python generator, byte for byte except the links to other sites: ~18 KB of
//! UTF-8 each (navigation to 6 columns, two dated lists of 12 links to pages of the same site, body
//! text, two links to other sites of the farm, a broken internal link on every tenth page), plus
//! the 6 column pages. Site `i` is served as `sNNNN.farm.test` (`NNNN` = `i`, four digits) by the
//! fixture server, which routes by `Host` and replaces `{{PORT}}` in the links to other sites.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

/// The six columns, as in `farm.py`.
pub const COLUMNS: [(&str, &str); 6] = [
    ("xwzx", "新闻中心"),
    ("tzgg", "通知公告"),
    ("zcwj", "政策文件"),
    ("zwgk", "政务公开"),
    ("hdjl", "互动交流"),
    ("bsfw", "办事服务"),
];

const SENTENCE: &str =
    "为深入贯彻落实省委省政府决策部署，进一步提升政府网站建设管理水平，现将有关事项通知如下。";

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FarmStats {
    pub sites: usize,
    /// Files written: `pages` numbered pages plus the 6 column pages per site.
    pub files: usize,
    pub bytes: u64,
    /// Bytes of the numbered pages alone (the ~18 KB pages).
    pub page_bytes: u64,
}

/// The host name of site `i`: `s0007.farm.test`.
pub fn host(i: usize) -> String {
    format!("s{i:04}.farm.test")
}

/// The 10-digit site identifier code of site `i`, as printed in its footer: `34` + 8 digits.
pub fn site_id(i: usize) -> String {
    format!("34{i:08}")
}

/// The site's name, as in its `<title>` and `SiteName` meta.
pub fn site_name(i: usize) -> String {
    format!("示例县人民政府{i}")
}

/// The path of page `j` inside its site (no leading `/`), as in `farm.py`.
pub fn page_path(j: usize) -> String {
    if j == 0 {
        "index.html".to_string()
    } else {
        let col = COLUMNS[j % COLUMNS.len()].0;
        format!("{col}/{}{:02}/t{j}.html", 2020 + j % 3, j % 12 + 1)
    }
}

/// Page `j` of site `i` in a farm of `nsites` sites with `npages` pages each.
pub fn page(i: usize, j: usize, nsites: usize, npages: usize) -> String {
    let filler = SENTENCE.repeat(6);
    page_with(i, j, nsites, npages, &filler.repeat(20))
}

fn page_with(i: usize, j: usize, nsites: usize, npages: usize, content: &str) -> String {
    let mut nav = String::new();
    for (c, name) in COLUMNS {
        let _ = write!(nav, r#"<li><a href="/{c}/">{name}</a></li>"#);
    }
    let mut items = String::new();
    for k in 0..12 {
        let link = page_path((j * 7 + k * 13 + 1) % npages);
        let _ = write!(
            items,
            r#"<li><a href="/{link}">关于做好第{k}项重点工作的通知</a><span>2020-{:02}-{:02}</span></li>"#,
            k % 12 + 1,
            k % 27 + 1
        );
    }
    let mut ext = String::new();
    for d in [1, 2] {
        let other = host((i + d) % nsites);
        let _ = write!(
            ext,
            r#"<a href="http://{other}:{{{{PORT}}}}/">兄弟网站{d}</a> "#
        );
    }
    let broken = if j.is_multiple_of(10) {
        r#"<a href="/missing/page.html">失效链接</a>"#
    } else {
        ""
    };
    let column = COLUMNS[j % COLUMNS.len()].1;
    let name = site_name(i);
    let id = site_id(i);
    format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>第{j}页 - {name}</title>
<meta name="SiteName" content="{name}"><meta name="ColumnName" content="{column}"></head>
<body><div class="head"><form action="/search" method="get"><input name="q"><input type="submit" value="搜索"></form></div>
<ul class="nav">{nav}</ul><div class="main"><ul class="list">{items}</ul>
<div class="content">{content}</div></div><div class="links">{ext}{broken}</div>
<div class="footer">示例县人民政府办公室 主办 网站标识码：{id}</div></body></html>"#
    )
}

/// A column's own page (`/xwzx/` → `xwzx/index.html`), as in `farm.py`.
pub fn column_page(name: &str) -> String {
    format!(
        r#"<html><head><meta charset="utf-8"><title>{name}</title></head><body><a href="/">首页</a></body></html>"#
    )
}

/// How a farm is laid out beyond its size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Layout {
    /// Page size in KB, as `farm.py`'s `FARM_PAGE_KB`: the body text is repeated to about this
    /// size (real government pages are 50–200 KB); 0 = the ~18 KB pages of the peer figures.
    pub page_kb: usize,
    /// Server addresses the sites are spread over (site `i` on address `i % addresses`); 0 =
    /// one address per site, like `farm.py` (`127.0.A.B`).
    pub addresses: usize,
}

/// The body text of a page: `farm.py`'s filler, 20 times, or (with `page_kb`) as many times as
/// make about that many KB.
pub fn content(page_kb: usize) -> String {
    let filler = SENTENCE.repeat(6);
    let times = if page_kb == 0 {
        20
    } else {
        (page_kb * 1024 / filler.len()).max(20)
    };
    filler.repeat(times)
}

/// The loopback address of server `k` of the farm, as `farm.py` numbers them: `127.0.A.B` with
/// `A = 1 + k / 250`, `B = 1 + k % 250`.
pub fn address(k: usize) -> std::net::Ipv4Addr {
    std::net::Ipv4Addr::new(127, 0, (1 + k / 250) as u8, (1 + k % 250) as u8)
}

/// The server address of site `i` under `layout`.
pub fn site_address(i: usize, layout: &Layout) -> std::net::Ipv4Addr {
    if layout.addresses == 0 {
        address(i)
    } else {
        address(i % layout.addresses)
    }
}

/// Writes the farm under `root` (`root/<host>/...`); `root` must be empty or missing.
pub fn generate(root: &Path, nsites: usize, npages: usize) -> io::Result<FarmStats> {
    generate_with(root, nsites, npages, &Layout::default())
}

/// [`generate`] with a page size and server addresses: each host's `_dns.toml` points it at its
/// address (the fixture DNS server reads it; the fixture HTTP server never serves it).
pub fn generate_with(
    root: &Path,
    nsites: usize,
    npages: usize,
    layout: &Layout,
) -> io::Result<FarmStats> {
    if nsites == 0 || npages == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the farm needs at least one site and one page",
        ));
    }
    std::fs::create_dir_all(root)?;
    let content = content(layout.page_kb);
    let mut stats = FarmStats {
        sites: nsites,
        ..FarmStats::default()
    };
    let mut page_bytes = 0u64;
    let mut write = |path: PathBuf, text: &str| -> io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, text)?;
        stats.files += 1;
        stats.bytes += text.len() as u64;
        Ok(())
    };
    for i in 0..nsites {
        let site_dir = root.join(host(i));
        std::fs::create_dir_all(&site_dir)?;
        std::fs::write(
            site_dir.join("_dns.toml"),
            format!("a = [\"{}\"]\n", site_address(i, layout)),
        )?;
        for j in 0..npages {
            let text = page_with(i, j, nsites, npages, &content);
            write(site_dir.join(page_path(j)), &text)?;
            page_bytes += text.len() as u64;
        }
        for (c, name) in COLUMNS {
            let path = site_dir.join(c).join("index.html");
            if !path.exists() {
                write(path, &column_page(name))?;
            }
        }
    }
    stats.page_bytes = page_bytes;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_paths_follow_farm_py() {
        assert_eq!(page_path(0), "index.html");
        assert_eq!(page_path(1), "tzgg/202102/t1.html");
        assert_eq!(page_path(18), "xwzx/202007/t18.html");
        assert_eq!(host(7), "s0007.farm.test");
        assert_eq!(site_id(7), "3400000007");
        assert_eq!(site_id(7).len(), 10);
    }

    #[test]
    fn pages_have_the_farm_shape() {
        let p = page(3, 10, 5, 100);
        assert!((18_000..20_500).contains(&p.len()), "{} bytes", p.len());
        assert!(p.contains(r#"<a href="http://s0004.farm.test:{{PORT}}/">兄弟网站1</a> "#));
        assert!(p.contains(r#"<a href="http://s0000.farm.test:{{PORT}}/">兄弟网站2</a> "#));
        assert!(p.contains(r#"<a href="/missing/page.html">失效链接</a>"#));
        assert!(p.contains("网站标识码：3400000003"));
        assert_eq!(p.matches("<li><a href=\"/").count(), 6 + 12);
        assert!(!page(3, 11, 5, 100).contains("/missing/"));
    }

    #[test]
    fn page_size_and_addresses() {
        assert_eq!(content(0), SENTENCE.repeat(120));
        let big = page_with(1, 3, 4, 10, &content(100)).len();
        assert!((100 * 1024..104 * 1024).contains(&big), "{big} bytes");
        assert_eq!(address(0).to_string(), "127.0.1.1");
        assert_eq!(address(251).to_string(), "127.0.2.2");
        let four = Layout {
            page_kb: 0,
            addresses: 4,
        };
        assert_eq!(site_address(6, &four).to_string(), "127.0.1.3");
        let dir = tempfile::tempdir().unwrap();
        generate_with(dir.path(), 5, 2, &four).unwrap();
        let dns = std::fs::read_to_string(dir.path().join(host(4)).join("_dns.toml")).unwrap();
        assert_eq!(dns, "a = [\"127.0.1.1\"]\n");
    }

    #[test]
    fn generate_writes_one_directory_per_host() {
        let dir = tempfile::tempdir().unwrap();
        let stats = generate(dir.path(), 3, 12).unwrap();
        assert_eq!(stats.files, 3 * (12 + 6));
        let per_page = stats.page_bytes / (3 * 12);
        assert!(
            (17_500..20_500).contains(&per_page),
            "{per_page} bytes a page"
        );
        for i in 0..3 {
            let site = dir.path().join(host(i));
            assert!(site.join("index.html").is_file());
            assert!(site.join("bsfw/index.html").is_file());
            assert!(site.join(page_path(11)).is_file());
        }
    }
}
