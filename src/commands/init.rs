//! `govwatch init DIR`: a new working folder: `DIR/config/` with every shipped rule file (each
//! commented, each key at its default, its source cited) and an example `sites.toml` whose sites
//! are commented out. Files already there are kept, never overwritten.

use super::EXIT_CLEAN;
use crate::cli::InitArgs;
use anyhow::{Context, Result};
use govwatch_config::shipped;

/// Runs `govwatch init`.
pub(crate) fn cmd_init(a: InitArgs) -> Result<u8> {
    let config = a.dir.join("config");
    std::fs::create_dir_all(&config).with_context(|| format!("creating {}", config.display()))?;
    let sites = shipped::example_sites();
    let files = shipped::RULE_FILES
        .iter()
        .copied()
        .chain(std::iter::once(("sites.toml", sites.as_str())));
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
                outln!("kept     {} (已存在，未覆盖)", path.display());
                kept += 1;
                continue;
            }
            Err(e) => return Err(e).with_context(|| format!("writing {}", path.display())),
        };
        std::io::Write::write_all(&mut file, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        outln!("written  {}", path.display());
        written += 1;
    }
    outln!(
        "{written} 个文件已写出，{kept} 个已存在。下一步：在 {} 中登记网站（或 govwatch sites import 名录.csv），\
         在 crawl.toml 中填写 contact 联系邮箱，然后在 {} 中运行 govwatch run",
        config.join("sites.toml").display(),
        a.dir.display()
    );
    Ok(EXIT_CLEAN)
}
