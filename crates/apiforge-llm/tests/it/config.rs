//! `LlmConfig::from_env` and the per-provider resolution.

use std::collections::BTreeMap;
use std::time::Duration;

use apiforge_llm::{KindOverrides, LlmConfig, LlmError, Price, ProviderKind, Secret, env};

fn from(vars: &[(&str, &str)]) -> Result<LlmConfig, LlmError> {
    let map: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    LlmConfig::from_env(|name| map.get(name).cloned())
}

#[test]
fn nothing_set_gives_the_defaults() {
    let config = from(&[]).expect("no variables");
    assert_eq!(config, LlmConfig::default());
    assert_eq!(config.provider, ProviderKind::Builtin);
    assert_eq!(config.timeout, Duration::from_secs(60));
    assert_eq!(config.retries, 2);
    assert_eq!(config.backoff, Duration::from_millis(200));
    assert!(!config.offline);
    let blank = from(&[
        (env::PROVIDER, ""),
        (env::TIMEOUT, "  "),
        (env::OFFLINE, ""),
    ])
    .expect("empty values count as unset");
    assert_eq!(blank, LlmConfig::default());
}

#[test]
fn every_variable_is_read() {
    let config = from(&[
        (env::PROVIDER, "Ollama"),
        (env::BASE_URL, "http://127.0.0.1:9999"),
        (env::MODEL, "llama3.2:3b"),
        (env::API_KEY, "sk-env-key"),
        (env::TIMEOUT, "2.5"),
        (env::FALLBACK, "openai, builtin"),
        (env::OFFLINE, "yes"),
        (env::PRICES, "gpt-4o-mini=0.15/0.6,llama3.2:3b=0/0"),
        (env::OLLAMA_BASE_URL, "http://localhost:11434"),
        (env::OLLAMA_MODEL, "qwen2.5:0.5b"),
        (env::OPENAI_BASE_URL, "http://127.0.0.1:8080/v1"),
        (env::OPENAI_MODEL, "gpt-4o-mini"),
    ])
    .expect("valid variables");
    let expected = LlmConfig {
        provider: ProviderKind::Ollama,
        base_url: Some("http://127.0.0.1:9999".into()),
        model: Some("llama3.2:3b".into()),
        api_key: Some(Secret::new("sk-env-key")),
        timeout: Duration::from_millis(2500),
        fallback: vec![ProviderKind::Openai, ProviderKind::Builtin],
        offline: true,
        prices: BTreeMap::from([
            (
                "gpt-4o-mini".into(),
                Price {
                    input_per_million: 0.15,
                    output_per_million: 0.6,
                },
            ),
            (
                "llama3.2:3b".into(),
                Price {
                    input_per_million: 0.0,
                    output_per_million: 0.0,
                },
            ),
        ]),
        ollama: KindOverrides {
            base_url: Some("http://localhost:11434".into()),
            model: Some("qwen2.5:0.5b".into()),
        },
        openai: KindOverrides {
            base_url: Some("http://127.0.0.1:8080/v1".into()),
            model: Some("gpt-4o-mini".into()),
        },
        ..LlmConfig::default()
    };
    assert_eq!(config, expected);
    assert_eq!(env::ALL.len(), 12);
}

#[test]
fn offline_accepts_the_usual_spellings() {
    for (value, expected) in [
        ("1", true),
        ("true", true),
        ("YES", true),
        ("on", true),
        ("0", false),
        ("false", false),
        ("no", false),
        ("Off", false),
    ] {
        assert_eq!(
            from(&[(env::OFFLINE, value)]).expect(value).offline,
            expected,
            "{value}"
        );
    }
}

#[test]
fn bad_values_name_the_variable() {
    let cases: [(&str, &str, &str); 12] = [
        (
            env::PROVIDER,
            "gpt",
            "APIFORGE_LLM_PROVIDER must be builtin, ollama or openai, got \"gpt\"",
        ),
        (
            env::TIMEOUT,
            "abc",
            "APIFORGE_LLM_TIMEOUT must be a positive number of seconds, e.g. 60, got \"abc\"",
        ),
        (
            env::TIMEOUT,
            "0",
            "APIFORGE_LLM_TIMEOUT must be a positive number of seconds, e.g. 60, got \"0\"",
        ),
        (
            env::TIMEOUT,
            "-5",
            "APIFORGE_LLM_TIMEOUT must be a positive number of seconds, e.g. 60, got \"-5\"",
        ),
        (
            env::TIMEOUT,
            "1e30",
            "APIFORGE_LLM_TIMEOUT must be a positive number of seconds, e.g. 60, got \"1e30\"",
        ),
        (
            env::FALLBACK,
            "openai,claude",
            "APIFORGE_LLM_FALLBACK must be a comma list of builtin, ollama and openai, got \"claude\" in \"openai,claude\"",
        ),
        (
            env::OFFLINE,
            "maybe",
            "APIFORGE_OFFLINE must be 1, true, yes, on, 0, false, no or off, got \"maybe\"",
        ),
        (
            env::PRICES,
            "gpt-4o=abc",
            "APIFORGE_LLM_PRICES must be a comma list of model=input/output USD per million tokens (e.g. gpt-4o-mini=0.15/0.6), got \"gpt-4o=abc\"",
        ),
        (
            env::BASE_URL,
            "localhost:11434",
            "APIFORGE_LLM_BASE_URL must be an http:// or https:// URL, got localhost:11434",
        ),
        (
            env::BASE_URL,
            "ftp://127.0.0.1/",
            "APIFORGE_LLM_BASE_URL must be an http:// or https:// URL, got ftp://127.0.0.1/",
        ),
        (
            env::OLLAMA_BASE_URL,
            "127.0.0.1",
            "APIFORGE_LLM_OLLAMA_BASE_URL is not a valid URL (relative URL without a base): \"127.0.0.1\"\nhint: write it like http://127.0.0.1:11434",
        ),
        (
            env::OPENAI_BASE_URL,
            "http://user:sk-in-url@127.0.0.1/",
            "APIFORGE_LLM_OPENAI_BASE_URL must not contain a user name or password: http://127.0.0.1/\nhint: give the key in APIFORGE_LLM_API_KEY",
        ),
    ];
    for (variable, value, expected) in cases {
        let error = from(&[(variable, value)]).expect_err(value);
        assert!(matches!(error, LlmError::Config { .. }), "{error:?}");
        assert_eq!(error.to_string(), expected, "{variable}={value}");
    }
}

#[test]
fn apply_env_overlays_a_config_file() {
    let mut config = LlmConfig {
        provider: ProviderKind::Openai,
        model: Some("from-file".into()),
        prices: BTreeMap::from([(
            "from-file".into(),
            Price {
                input_per_million: 1.0,
                output_per_million: 1.0,
            },
        )]),
        ..LlmConfig::default()
    };
    config
        .apply_env(|name| (name == env::PRICES).then(|| "other=2/3".to_owned()))
        .expect("valid");
    assert_eq!(config.provider, ProviderKind::Openai);
    assert_eq!(config.model.as_deref(), Some("from-file"));
    assert_eq!(config.prices.len(), 2);
}

#[test]
fn each_kind_resolves_its_own_url_and_model() {
    // Nothing set: each kind's defaults.
    let config = LlmConfig {
        provider: ProviderKind::Ollama,
        ..LlmConfig::default()
    };
    let ollama = config.settings_for(ProviderKind::Ollama).expect("defaults");
    assert_eq!(
        (ollama.base_url.as_str(), ollama.model.as_str()),
        ("http://127.0.0.1:11434", "llama3.2")
    );
    let openai = config.settings_for(ProviderKind::Openai).expect("defaults");
    assert_eq!(
        (openai.base_url.as_str(), openai.model.as_str()),
        ("http://127.0.0.1:8080", "gpt-4o-mini")
    );

    // The shared values apply to every kind; per-kind values win.
    let config = from(&[
        (env::PROVIDER, "ollama"),
        (env::FALLBACK, "openai"),
        (env::BASE_URL, "http://127.0.0.1:11434"),
        (env::MODEL, "llama3.2"),
        (env::API_KEY, "sk-shared"),
        (env::OPENAI_MODEL, "gpt-4o-mini"),
    ])
    .expect("valid");
    let openai = config.settings_for(ProviderKind::Openai).expect("valid");
    assert_eq!(openai.base_url, "http://127.0.0.1:11434");
    assert_eq!(openai.model, "gpt-4o-mini");
    assert_eq!(openai.api_key, Some(Secret::new("sk-shared")));
    assert_eq!(openai.timeout, Duration::from_secs(60));
    assert_eq!(openai.retries, 2);

    let error = config
        .settings_for(ProviderKind::Builtin)
        .expect_err("builtin");
    assert!(matches!(error, LlmError::Config { .. }));
}

#[test]
fn offline_resolution_refuses_a_remote_shared_url() {
    let config = from(&[
        (env::PROVIDER, "openai"),
        (env::BASE_URL, "https://api.openai.com/v1"),
        (env::OFFLINE, "1"),
    ])
    .expect("reading is fine; building is refused");
    let error = config
        .settings_for(ProviderKind::Openai)
        .expect_err("remote");
    assert!(
        matches!(&error, LlmError::Offline { host, .. } if host == "api.openai.com"),
        "{error:?}"
    );
}

#[test]
fn display_summarises_the_chain() {
    let config = from(&[
        (env::PROVIDER, "ollama"),
        (env::FALLBACK, "openai,builtin"),
        (env::API_KEY, "sk-display"),
        (env::OFFLINE, "1"),
    ])
    .expect("valid");
    assert_eq!(
        config.to_string(),
        "provider ollama (llama3.2 at http://127.0.0.1:11434/), then openai (gpt-4o-mini at http://127.0.0.1:8080/), then builtin; timeout 60 s, 2 retries; offline; API key set"
    );
}
