//! `govwatch init DIR`: a new working folder: `DIR/config/` with every file a working folder
//! needs — every shipped rule file (each commented, each key at its default, its source cited),
//! an example `sites.toml` whose sites are commented out and `accounts.toml` (the new-media
//! registry, its example commented out). Files already there are kept, never overwritten.

use super::EXIT_CLEAN;
use crate::cli::InitArgs;
use anyhow::{Context, Result};
use govwatch_config::shipped;

/// Runs `govwatch init`.
pub(crate) fn cmd_init(a: InitArgs) -> Result<u8> {
    let config = a.dir.join("config");
    std::fs::create_dir_all(&config)
        .with_context(|| format!("无法建立文件夹 {}", config.display()))?;
    let sites = shipped::example_sites();
    let files = shipped::RULE_FILES.iter().copied().chain([
        ("sites.toml", sites.as_str()),
        ("accounts.toml", shipped::ACCOUNTS),
    ]);
    let (mut written, mut kept) = (0, 0);
    for (name, text) in files {
        let path = config.join(name);
        // created only when nothing is there: never through a symbolic link (even a dangling
        // one, which `exists()` calls absent), never over a file made meanwhile
        let mut file = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                outln!("已保留 (kept)    {}（已存在，未覆盖）", path.display());
                kept += 1;
                continue;
            }
            Err(e) => return Err(e).with_context(|| format!("无法写入 {}", path.display())),
        };
        std::io::Write::write_all(&mut file, text.as_bytes())
            .with_context(|| format!("无法写入 {}", path.display()))?;
        outln!("已写出 (written) {}", path.display());
        written += 1;
    }
    outln!(
        "{written} 个文件已写出，{kept} 个已存在。下一步：\n\
         1. 在 {} 中登记网站（或 govwatch sites import 名录.csv），然后 govwatch sites check；\n\
         2. 把 {} 中的 contact 改为本单位的联系邮箱（随每个请求发给被检查的网站）；\n\
         3. 需要检查政务新媒体时，在 {} 中登记账号（或 govwatch accounts import 账号.csv）；\n\
         4. 在 {} 中运行 govwatch run（每晚运行见 docs/deploy.md）。",
        config.join("sites.toml").display(),
        config.join("crawl.toml").display(),
        config.join("accounts.toml").display(),
        a.dir.display()
    );
    Ok(EXIT_CLEAN)
}
