//! `govwatch serve`: the read-only web view of the database until SIGTERM or Ctrl-C.

use super::{EXIT_CLEAN, stop_signal};
use crate::cli::ServeArgs;
use anyhow::Result;

/// Runs `govwatch serve`.
pub(crate) async fn cmd_serve(a: ServeArgs) -> Result<u8> {
    let opts = govwatch_web::ServeOptions {
        db: a.db,
        config: a.config,
        listen: a.listen,
        token: a.token,
        token_file: a.token_file,
        limits: Default::default(),
    };
    govwatch_web::serve(opts, stop_signal()).await?;
    Ok(EXIT_CLEAN)
}
