//! Offline mode (US-06): only loopback providers; anything else is refused before any DNS
//! lookup or connection.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use apiforge_llm::{
    Chain, ChatRequest, KindOverrides, LlmConfig, LlmError, Message, OllamaProvider,
    OpenAiProvider, Provider, ProviderKind, check_offline,
};

use crate::support::{MockServer, Reply, ollama_answer, settings};

fn offline_config(provider: ProviderKind, base_url: &str) -> LlmConfig {
    LlmConfig {
        provider,
        base_url: Some(base_url.to_owned()),
        offline: true,
        ..LlmConfig::default()
    }
}

#[test]
fn non_loopback_providers_are_refused_when_the_chain_is_built() {
    for (kind, url, host) in [
        (ProviderKind::Ollama, "http://example.com", "example.com"),
        (ProviderKind::Ollama, "http://10.0.0.1:11434", "10.0.0.1"),
        (
            ProviderKind::Openai,
            "https://api.openai.com/v1",
            "api.openai.com",
        ),
        (
            ProviderKind::Openai,
            "http://[2001:db8::1]:8080",
            "[2001:db8::1]",
        ),
    ] {
        let started = Instant::now();
        let error = Chain::from_config(&offline_config(kind, url)).expect_err(url);
        assert!(started.elapsed() < Duration::from_millis(100), "{url}");
        match &error {
            LlmError::Offline { host: refused, .. } => assert_eq!(refused, host),
            other => panic!("{url}: unexpected {other:?}"),
        }
        let text = error.to_string();
        assert!(
            text.contains(&format!(": {host} is not a loopback address\nhint: use a server on 127.0.0.1, ::1 or localhost, or turn offline mode off (unset APIFORGE_OFFLINE / drop --offline)")),
            "{text}"
        );
        assert!(!error.is_transient());
    }
}

#[test]
fn a_refused_fallback_refuses_the_whole_chain() {
    let config = LlmConfig {
        provider: ProviderKind::Ollama,
        fallback: vec![ProviderKind::Openai],
        openai: KindOverrides {
            base_url: Some("https://api.openai.com".into()),
            model: None,
        },
        offline: true,
        ..LlmConfig::default()
    };
    let error = Chain::from_config(&config).expect_err("openai is remote");
    assert!(
        matches!(&error, LlmError::Offline { host, .. } if host == "api.openai.com"),
        "{error:?}"
    );
}

#[test]
fn providers_refuse_on_construction() {
    for url in ["http://example.com", "http://10.0.0.1:11434"] {
        let mut offline = settings(url, "m");
        offline.offline = true;
        assert!(matches!(
            OllamaProvider::new(offline.clone()),
            Err(LlmError::Offline { .. })
        ));
        assert!(matches!(
            OpenAiProvider::new(offline),
            Err(LlmError::Offline { .. })
        ));
        assert!(matches!(
            check_offline(url, true),
            Err(LlmError::Offline { .. })
        ));
    }
}

#[test]
fn default_urls_are_loopback_and_allowed() {
    let config = LlmConfig {
        provider: ProviderKind::Ollama,
        fallback: vec![ProviderKind::Openai, ProviderKind::Builtin],
        offline: true,
        ..LlmConfig::default()
    };
    let chain = Chain::from_config(&config).expect("defaults are loopback");
    assert_eq!(chain.providers().len(), 2);
}

#[tokio::test]
async fn loopback_servers_answer_in_offline_mode() {
    let server = MockServer::start(vec![Reply::json(ollama_answer("{}", 1, 1))]).await;
    for url in [
        server.url.clone(),
        format!("http://localhost:{}", server.port),
    ] {
        let mut offline = settings(&url, "llama3.2");
        offline.offline = true;
        let provider = OllamaProvider::new(offline).expect("loopback is allowed");
        provider
            .chat(&ChatRequest::new(vec![Message::user("hi")]))
            .await
            .expect(&url);
    }
    assert_eq!(server.requests().len(), 2);
}

/// A non-loopback address of this machine, if it has one (no packet is sent: connecting a
/// UDP socket only picks the route).
fn own_non_loopback_address() -> Option<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// The proof that nothing is contacted: a server this test controls, on one of the
/// machine's own non-loopback addresses, counts connections. Online, a call reaches it;
/// offline, the same URL is refused and the server sees no connection.
#[tokio::test]
async fn a_refused_url_is_never_contacted() {
    let Some(ip) = own_non_loopback_address() else {
        eprintln!("skipped: this machine has no non-loopback address");
        return;
    };
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, 0))
        .await
        .expect("bind the non-loopback address");
    let port = listener.local_addr().expect("local address").port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&connections);
    let accept = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    let url = format!("http://{}", SocketAddr::new(ip, port));
    let request = ChatRequest::new(vec![Message::user("hi")]);

    let mut offline = settings(&url, "m");
    offline.offline = true;
    let started = Instant::now();
    let refused = OllamaProvider::new(offline.clone()).expect_err("offline refuses it");
    assert!(matches!(refused, LlmError::Offline { .. }), "{refused:?}");
    let refused = Chain::from_config(&offline_config(ProviderKind::Openai, &url))
        .expect_err("offline refuses it");
    assert!(matches!(refused, LlmError::Offline { .. }), "{refused:?}");
    assert!(started.elapsed() < Duration::from_millis(100));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "offline mode connected"
    );

    // Control: online, the same URL is contacted, so the counter would have seen it.
    let mut online = settings(&url, "m");
    online.retries = 0;
    online.timeout = Duration::from_secs(2);
    let _ = OllamaProvider::new(online)
        .expect("online allows it")
        .chat(&request)
        .await;
    assert!(
        connections.load(Ordering::SeqCst) >= 1,
        "the control call was not seen"
    );
    accept.abort();
}
