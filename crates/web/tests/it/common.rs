//! What the web view's test modules share: the shipped scoring rules of the workspace's
//! `config/indicators.toml`.

use govwatch_testutil::workspace_root;

/// The scoring rules of the workspace's `config/indicators.toml`.
pub fn rules() -> govwatch_score::Rules {
    govwatch_score::load_rules(&workspace_root().join("config/indicators.toml")).unwrap()
}
