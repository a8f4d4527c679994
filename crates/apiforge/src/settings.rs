//! Every environment variable the binary reads, named once, and the places derived from them.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::exit::BadInput;

/// `APIFORGE_OFFLINE`: never contact a network service.
pub const ENV_OFFLINE: &str = "APIFORGE_OFFLINE";
/// `APIFORGE_DATA_DIR`: where the forge keeps its data (audit log, later the database).
pub const ENV_DATA_DIR: &str = "APIFORGE_DATA_DIR";
/// `XDG_DATA_HOME`: the data directory's parent when `APIFORGE_DATA_DIR` is unset.
pub const ENV_XDG_DATA_HOME: &str = "XDG_DATA_HOME";
/// `HOME`: the last resort, `~/.local/share/apiforge`.
pub const ENV_HOME: &str = "HOME";
/// `APIFORGE_SECRET`: the server key shared by every server of a deployment (signs sessions).
pub const ENV_SECRET: &str = "APIFORGE_SECRET";
/// `APIFORGE_SMTP_URL` (`smtp://host:port`, `smtps://user:pass@host`): send sign-in mails.
pub const ENV_SMTP_URL: &str = "APIFORGE_SMTP_URL";
/// `APIFORGE_SMTP_FROM`: the sender of sign-in mails.
pub const ENV_SMTP_FROM: &str = "APIFORGE_SMTP_FROM";
/// `APIFORGE_LOG`: log filter of `serve` and `worker` (tracing's env-filter syntax).
pub const ENV_LOG: &str = "APIFORGE_LOG";
/// `APIFORGE_LOG_FORMAT=json`: structured JSON logs.
pub const ENV_LOG_FORMAT: &str = "APIFORGE_LOG_FORMAT";
/// `APIFORGE_AUDIT_RETENTION_DAYS`: how long sandbox audit lines are kept (default 30).
pub const ENV_AUDIT_RETENTION_DAYS: &str = "APIFORGE_AUDIT_RETENTION_DAYS";

/// `APIFORGE_URL`: the base URL of the running server that `apiforge prompts` talks to.
pub const ENV_URL: &str = "APIFORGE_URL";
/// `APIFORGE_TOKEN`: the credential of commands that call a running server (an API token
/// from `POST /api/auth/tokens` or a session JWT).
pub const ENV_TOKEN: &str = "APIFORGE_TOKEN";
/// `DATABASE_URL`: the server's database (`postgres://…` or `sqlite://PATH`).
pub const ENV_DATABASE_URL: &str = "DATABASE_URL";

/// `APIFORGE_IP_RATE`: requests per second per client address, `N` or `N/BURST`, or `off`.
pub const ENV_IP_RATE: &str = "APIFORGE_IP_RATE";
/// `APIFORGE_USER_RATE`: requests per second per signed-in user, `N` or `N/BURST`, or `off`.
pub const ENV_USER_RATE: &str = "APIFORGE_USER_RATE";

/// A rate limit setting: `Ok(None)` when unset (keep the default), `Ok(Some(None))` for
/// `off`, else the token bucket (burst defaults to ten seconds' worth).
pub fn rate(name: &str) -> Result<Option<Option<apiforge_server::RateSettings>>, BadInput> {
    rate_from(name, var(name).as_deref())
}

fn rate_from(
    name: &str,
    value: Option<&str>,
) -> Result<Option<Option<apiforge_server::RateSettings>>, BadInput> {
    let Some(value) = value.map(str::trim) else {
        return Ok(None);
    };
    if value.eq_ignore_ascii_case("off") {
        return Ok(Some(None));
    }
    let bad = || {
        BadInput(format!(
            "{name}={value:?} is not a rate: give requests per second as N or N/BURST (1 to 1000000), or off"
        ))
    };
    let (per_second, burst) = match value.split_once('/') {
        Some((rate, burst)) => (rate.trim(), Some(burst.trim())),
        None => (value, None),
    };
    let per_second: u64 = per_second.parse().map_err(|_| bad())?;
    let burst: u32 = match burst {
        Some(burst) => burst.parse().map_err(|_| bad())?,
        None => u32::try_from(per_second.saturating_mul(10)).unwrap_or(u32::MAX),
    };
    if !(1..=1_000_000).contains(&per_second) || burst == 0 {
        return Err(bad());
    }
    Ok(Some(Some(apiforge_server::RateSettings {
        per_second,
        burst,
    })))
}

/// The data directory: `APIFORGE_DATA_DIR`, else `$XDG_DATA_HOME/apiforge`, else
/// `~/.local/share/apiforge` (DESIGN.md).
pub fn data_dir() -> Result<PathBuf, BadInput> {
    data_dir_from(|name| std::env::var_os(name))
}

/// Where the sandbox audit log lives.
pub fn audit_dir() -> Result<PathBuf, BadInput> {
    Ok(data_dir()?.join("audit"))
}

/// How long audit lines are kept.
pub fn audit_retention() -> Result<Duration, BadInput> {
    retention_from(std::env::var_os(ENV_AUDIT_RETENTION_DAYS))
}

/// A variable's value, `None` when unset or empty.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn data_dir_from(get: impl Fn(&str) -> Option<OsString>) -> Result<PathBuf, BadInput> {
    // Empty values count as unset, as shells leave them; a relative XDG_DATA_HOME is
    // invalid per the XDG spec and ignored.
    let set = |name: &str| get(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = set(ENV_DATA_DIR) {
        return Ok(dir);
    }
    if let Some(dir) = set(ENV_XDG_DATA_HOME).filter(|d| d.is_absolute()) {
        return Ok(dir.join("apiforge"));
    }
    match set(ENV_HOME) {
        Some(home) => Ok(home.join(".local/share/apiforge")),
        None => Err(BadInput(format!(
            "cannot find the data directory: neither {ENV_DATA_DIR}, {ENV_XDG_DATA_HOME} nor {ENV_HOME} is set; set {ENV_DATA_DIR}"
        ))),
    }
}

fn retention_from(value: Option<OsString>) -> Result<Duration, BadInput> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(apiforge_sandbox::DEFAULT_RETENTION);
    };
    value
        .to_str()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|days| (1..=36_500).contains(days))
        .map(|days| Duration::from_secs(days * 86_400))
        .ok_or_else(|| {
            BadInput(format!(
                "{ENV_AUDIT_RETENTION_DAYS}={value:?} is not a number of days between 1 and 36500"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(vars: &[(&str, &str)]) -> Result<PathBuf, BadInput> {
        data_dir_from(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        })
    }

    #[test]
    fn data_dir_precedence() {
        let all = [
            (ENV_DATA_DIR, "/data"),
            (ENV_XDG_DATA_HOME, "/xdg"),
            (ENV_HOME, "/home/u"),
        ];
        assert_eq!(resolve(&all).ok(), Some(PathBuf::from("/data")));
        assert_eq!(
            resolve(&all[1..]).ok(),
            Some(PathBuf::from("/xdg/apiforge"))
        );
        assert_eq!(
            resolve(&all[2..]).ok(),
            Some(PathBuf::from("/home/u/.local/share/apiforge"))
        );
        assert_eq!(
            resolve(&[
                (ENV_DATA_DIR, ""),
                (ENV_XDG_DATA_HOME, "rel"),
                (ENV_HOME, "/h")
            ])
            .ok(),
            Some(PathBuf::from("/h/.local/share/apiforge"))
        );
        assert!(resolve(&[]).is_err());
    }

    #[test]
    fn rates() {
        use apiforge_server::RateSettings;
        let rate = |v| rate_from(ENV_IP_RATE, v).ok();
        assert_eq!(rate(None), Some(None));
        assert_eq!(rate(Some("off")), Some(Some(None)));
        assert_eq!(
            rate(Some("5")),
            Some(Some(Some(RateSettings {
                per_second: 5,
                burst: 50
            })))
        );
        assert_eq!(
            rate(Some(" 100 / 7 ")),
            Some(Some(Some(RateSettings {
                per_second: 100,
                burst: 7
            })))
        );
        for bad in ["0", "fast", "5/0", "5/x", "-1"] {
            let error = rate_from(ENV_IP_RATE, Some(bad)).expect_err(bad);
            assert!(error.0.starts_with("APIFORGE_IP_RATE="), "{}", error.0);
        }
    }

    #[test]
    fn retention() {
        assert_eq!(
            retention_from(None).ok(),
            Some(apiforge_sandbox::DEFAULT_RETENTION)
        );
        assert_eq!(
            retention_from(Some("7".into())).ok(),
            Some(Duration::from_secs(7 * 86_400))
        );
        assert!(retention_from(Some("0".into())).is_err());
        assert!(retention_from(Some("week".into())).is_err());
    }
}
