use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use apiforge_runtime::{Preview, RuntimeError};

use crate::{edit, fixture, fixture_copy, runtime};

/// One HTTP/1.1 request through the proxy; returns (status line, body).
pub fn get(addr: SocketAddr, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).expect("connect to the proxy");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (
        head.lines().next().unwrap_or_default().to_owned(),
        body.to_owned(),
    )
}

fn local() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

#[test]
fn serves_the_contract_and_stops_cleanly() {
    let runtime = runtime();
    let start = Instant::now();
    let preview = Preview::start(&fixture(), &runtime, local(), None).expect("preview starts");
    eprintln!("preview ready after {:?}", start.elapsed());
    let addr = preview.addr();
    assert_ne!(addr.port(), 0);
    assert_eq!(preview.url(), format!("http://{addr}"));

    let (status, body) = get(addr, "/openapi.json");
    assert!(status.contains("200"), "{status}");
    let contract: serde_json::Value = serde_json::from_str(&body).expect("JSON contract");
    assert_eq!(contract["info"]["title"], "Fixture API");
    let (status, body) = get(addr, "/docs");
    assert!(
        status.contains("200") && body.contains("swagger"),
        "{status}"
    );
    // Several connections at once.
    let threads: Vec<_> = (0..8)
        .map(|_| std::thread::spawn(move || get(addr, "/health")))
        .collect();
    for t in threads {
        let (status, body) = t.join().expect("thread");
        assert!(
            status.contains("200") && body.contains("ok"),
            "{status} {body}"
        );
    }

    let exit = preview.stop().expect("stops");
    assert!(exit.stopped, "{exit:?}");
    // Nothing left: the port is closed and the sandbox's processes are gone.
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err());
    assert!(!fixture().join(apiforge_runtime::SOCKET).exists());
}

#[test]
fn an_app_that_dies_reports_its_stderr() {
    let runtime = runtime();
    let project = fixture_copy();
    edit(
        project.path(),
        "app/main.py",
        "app = FastAPI(",
        "raise RuntimeError('boom at import')\napp = FastAPI(",
    );
    let err = Preview::start(project.path(), &runtime, local(), None).expect_err("the app dies");
    assert!(matches!(err, RuntimeError::AppDied { .. }), "{err}");
    assert!(err.is_project_failure());
    assert!(err.to_string().contains("boom at import"), "{err}");
}

#[test]
fn a_taken_port_is_refused() {
    let runtime = runtime();
    let taken = std::net::TcpListener::bind(local()).expect("bind");
    let addr = taken.local_addr().expect("addr");
    let err = Preview::start(&fixture(), &runtime, addr, None).expect_err("port taken");
    assert!(matches!(err, RuntimeError::Listen { .. }), "{err}");
}
