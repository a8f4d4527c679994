//! `apiforge serve` end to end over real HTTP (a blocking HTTP/1.1 client on `TcpStream`):
//! sign-in by magic link (read from the server's log), a generation job followed over SSE,
//! every project endpoint, the preview proxy, isolation between users, and bad input.
//! Runs on SQLite and on PostgreSQL (`TEST_DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`, one fresh database per test).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command as HostCommand, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::{LIBRARY, installed, shared_data_dir};

// ---------------------------------------------------------------- HTTP client

pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub(crate) fn describe(&self) -> String {
        format!("{} {:?}\n{}", self.status, self.headers, self.text())
    }
}

pub(crate) fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> Response {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream
        .set_read_timeout(Some(timeout))
        .expect("read timeout set");
    stream
        .set_write_timeout(Some(timeout))
        .expect("write timeout set");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .expect("request head sent");
    // The server may answer (413) before reading a large body and close: ignore write errors.
    let _ = stream.write_all(body);
    let _ = stream.flush();
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && !raw.is_empty() => break,
            Err(e) => panic!(
                "{method} {path}: read failed after {} bytes: {e}\n{}",
                raw.len(),
                String::from_utf8_lossy(&raw)
            ),
        }
    }
    parse_response(&raw).unwrap_or_else(|| {
        panic!(
            "{method} {path}: unparsable response: {}",
            String::from_utf8_lossy(&raw)
        )
    })
}

fn parse_response(raw: &[u8]) -> Option<Response> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        body = dechunk(&body)?;
    }
    Some(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

// ---------------------------------------------------------------- server fixture

pub(crate) struct Server {
    child: Child,
    pub(crate) addr: String,
    pub(crate) log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) const SHORT: Duration = Duration::from_secs(60);

impl Server {
    pub(crate) fn start(database_url: Option<&str>) -> Server {
        Server::start_with(database_url, &[], &[])
    }

    /// `apiforge serve` with `extra` arguments (e.g. `--no-worker`) and environment.
    pub(crate) fn start_with(
        database_url: Option<&str>,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        installed();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("a local address")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let url = match database_url {
            Some(url) => url.to_owned(),
            None => format!("sqlite://{}/db.sqlite", dir.path().display()),
        };
        let log = dir.path().join("server.log");
        let stderr = std::fs::File::create(&log).expect("log file created");
        let stdout =
            std::fs::File::create(dir.path().join("server.out")).expect("stdout file created");
        let child = HostCommand::new(assert_cmd::cargo::cargo_bin("apiforge"))
            .args(["serve", "--addr", &addr, "--data-dir"])
            .arg(shared_data_dir())
            .args(["--database-url", &url])
            .args(extra)
            .envs(env.iter().copied())
            .env("APIFORGE_LOG", "info")
            .env_remove("APIFORGE_OFFLINE")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("apiforge serve starts");
        let mut server = Server {
            child,
            addr,
            log,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = server.child.try_wait().expect("server status readable") {
                panic!("the server exited ({status}): {}", server.log_text());
            }
            if TcpStream::connect(&server.addr).is_ok() {
                let health = server.get("/api/health", None);
                if health.status == 200 {
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the server is not healthy after 120 s: {}",
                server.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub(crate) fn call(
        &self,
        method: &str,
        path: &str,
        jwt: Option<&str>,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let auth = jwt.map(|t| format!("Bearer {t}"));
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if let Some(auth) = &auth {
            all.push(("Authorization", auth));
        }
        request(&self.addr, method, path, &all, body, SHORT)
    }

    pub(crate) fn get(&self, path: &str, jwt: Option<&str>) -> Response {
        self.call("GET", path, jwt, &[], b"")
    }

    pub(crate) fn post_json(&self, path: &str, jwt: Option<&str>, body: &Value) -> Response {
        self.call(
            "POST",
            path,
            jwt,
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
    }

    /// Signs `email` in by the magic link the server logs; returns the JWT.
    pub(crate) fn sign_in(&self, email: &str) -> String {
        let before = self.log_text().len();
        let login = self.post_json("/api/auth/login", None, &json!({ "email": email }));
        assert_eq!(login.status, 202, "login: {}", login.describe());
        let deadline = Instant::now() + Duration::from_secs(30);
        let token = loop {
            let text = self.log_text();
            let fresh = text.get(before..).unwrap_or("");
            if let Some(token) = fresh
                .lines()
                .filter(|line| line.contains(email) || line.contains("callback?token="))
                .find_map(|line| {
                    let start = line.find("callback?token=")? + "callback?token=".len();
                    let token = line.get(start..start + 64)?;
                    token
                        .chars()
                        .all(|c| c.is_ascii_hexdigit())
                        .then(|| token.to_owned())
                })
            {
                break token;
            }
            assert!(
                Instant::now() < deadline,
                "no magic link for {email} in the log: {text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let verify = self.post_json("/api/auth/verify", None, &json!({ "token": token }));
        assert_eq!(verify.status, 200, "verify: {}", verify.describe());
        let cookie = verify.header("set-cookie").unwrap_or("");
        assert!(
            cookie.starts_with("apiforge_session=")
                && cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax"),
            "session cookie: {}",
            verify.describe()
        );
        let body = verify.json();
        assert_eq!(body["user"]["email"], email, "{body}");
        assert!(body["user"]["id"].is_string() || body["user"]["id"].is_number());
        assert!(body["token_type"].is_string(), "{body}");
        assert!(body["expires_in"].as_u64().unwrap_or(0) > 0, "{body}");
        body["token"].as_str().expect("a JWT").to_owned()
    }
}

/// Polls `GET /api/jobs/{job_id}` until `done` holds or `limit` passes.
pub(crate) fn wait_for(
    server: &Server,
    jwt: &str,
    job_id: &str,
    limit: Duration,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let response = server.get(&format!("/api/jobs/{job_id}"), Some(jwt));
        assert_ok("job", &response);
        let job = response.json();
        if done(&job) {
            return job;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {limit:?}: {job:#}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Asserts an RFC 9457 problem with one of `statuses`.
#[track_caller]
pub(crate) fn assert_problem(what: &str, response: &Response, statuses: &[u16]) -> Value {
    assert!(
        statuses.contains(&response.status),
        "{what}: expected {statuses:?}, got {}",
        response.describe()
    );
    let content_type = response.header("content-type").unwrap_or("");
    assert!(
        content_type.starts_with("application/problem+json"),
        "{what}: content type {content_type:?}: {}",
        response.describe()
    );
    let body = response.json();
    assert_eq!(
        body["status"].as_u64(),
        Some(u64::from(response.status)),
        "{what}: {body}"
    );
    assert!(body["title"].is_string(), "{what}: {body}");
    assert!(body["detail"].is_string(), "{what}: {body}");
    body
}

#[track_caller]
pub(crate) fn assert_ok(what: &str, response: &Response) {
    assert_eq!(response.status, 200, "{what}: {}", response.describe());
}

/// The SSE events of a stream as (event, data).
pub(crate) fn sse_events(text: &str) -> Vec<(String, Value)> {
    let mut events = Vec::new();
    for block in text.replace("\r\n", "\n").split("\n\n") {
        let mut kind = None;
        let mut data = String::new();
        for line in block.lines() {
            if let Some(value) = line.strip_prefix("event:") {
                kind = Some(value.trim().to_owned());
            } else if let Some(value) = line.strip_prefix("data:") {
                data.push_str(value.trim_start());
            }
        }
        if let Some(kind) = kind {
            let data = serde_json::from_str(&data).unwrap_or(Value::String(data));
            events.push((kind, data));
        }
    }
    events
}

pub(crate) fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_nanos();
    format!("{}_{}", std::process::id(), nanos % 1_000_000_000_000)
}

// ---------------------------------------------------------------- the flow

fn server_flow(server: &Server) {
    let ada = server.sign_in("ada@example.com");
    let me = server.get("/api/auth/me", Some(&ada));
    assert_ok("me", &me);
    assert_eq!(
        me.json()["email"]
            .as_str()
            .or(me.json()["user"]["email"].as_str()),
        Some("ada@example.com"),
        "{}",
        me.describe()
    );

    // Create and follow the job.
    let created = server.post_json("/api/projects", Some(&ada), &json!({ "prompt": LIBRARY }));
    assert_eq!(created.status, 202, "create: {}", created.describe());
    let created = created.json();
    let id = created["project"]["id"]
        .as_str()
        .expect("project id")
        .to_owned();
    let job = match &created["job_id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let started = Instant::now();
    let events = request(
        &server.addr,
        "GET",
        &format!("/api/jobs/{job}/events"),
        &[
            ("Authorization", &format!("Bearer {ada}")),
            ("Accept", "text/event-stream"),
        ],
        b"",
        Duration::from_secs(300),
    );
    assert_ok("events", &events);
    assert!(
        events
            .header("content-type")
            .unwrap_or("")
            .starts_with("text/event-stream"),
        "{}",
        events.describe()
    );
    let stream = sse_events(&events.text());
    eprintln!("job finished after {:?}", started.elapsed());
    let kinds: Vec<&str> = stream.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"enqueued"), "{}", events.text());
    assert!(kinds.contains(&"started"), "{}", events.text());
    assert_eq!(kinds.last(), Some(&"succeeded"), "{}", events.text());
    let steps: Vec<(String, String)> = stream
        .iter()
        .filter(|(k, _)| k.starts_with("step_"))
        .map(|(k, d)| {
            (
                k.clone(),
                d["data"]["step"]
                    .as_str()
                    .or(d["step"].as_str())
                    .unwrap_or("?")
                    .to_owned(),
            )
        })
        .collect();
    let mut expected = Vec::new();
    for step in ["plan", "spec", "codegen", "verify", "preview", "save"] {
        expected.push(("step_started".to_owned(), step.to_owned()));
        expected.push(("step_finished".to_owned(), step.to_owned()));
    }
    assert_eq!(steps, expected, "{}", events.text());
    let ids: Vec<u64> = events
        .text()
        .lines()
        .filter_map(|line| line.strip_prefix("id:"))
        .map(|id| id.trim().parse().expect("a numeric event id"))
        .collect();
    assert_eq!(ids.len(), stream.len(), "{}", events.text());
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");

    // The project and its artifacts.
    let base = format!("/api/projects/{id}");
    let project = server.get(&base, Some(&ada));
    assert_ok("project", &project);
    let project_json = project.json();
    let project_json = if project_json["project"].is_object() {
        project_json["project"].clone()
    } else {
        project_json
    };
    assert_eq!(project_json["status"], "ready", "{project_json}");
    assert_eq!(project_json["current_version"], 1, "{project_json}");
    let status = server.get(&format!("{base}/status"), Some(&ada));
    assert_ok("status", &status);
    assert!(status.text().contains("ready"), "{}", status.describe());
    let versions = server.get(&format!("{base}/versions"), Some(&ada));
    assert_ok("versions", &versions);
    let versions = versions.json();
    let list = versions
        .as_array()
        .or(versions["items"].as_array())
        .or(versions["versions"].as_array());
    assert_eq!(list.map(Vec::len), Some(1), "{versions}");
    let files = server.get(&format!("{base}/files"), Some(&ada));
    assert_ok("files", &files);
    let files = files.json();
    let list = files
        .as_array()
        .or(files["items"].as_array())
        .or(files["files"].as_array())
        .expect("a file list")
        .clone();
    let main = list
        .iter()
        .find(|f| f["path"] == "app/main.py")
        .unwrap_or_else(|| panic!("no app/main.py: {files}"));
    assert_eq!(main["sha256"].as_str().map(str::len), Some(64), "{main}");
    assert!(main["size"].as_u64().unwrap_or(0) > 0, "{main}");
    assert!(!main["ownership"].is_null(), "{main}");
    let content = server.get(
        &format!("{base}/files/content?path=app/main.py"),
        Some(&ada),
    );
    assert_ok("content", &content);
    assert!(content.text().contains("FastAPI"), "{}", content.describe());
    let spec = server.get(&format!("{base}/spec"), Some(&ada));
    assert_ok("spec", &spec);
    assert!(
        spec.text().starts_with("openapi: \"3.1.0\""),
        "{}",
        spec.describe()
    );
    let spec_json = server.get(&format!("{base}/spec?format=json"), Some(&ada));
    assert_ok("spec json", &spec_json);
    assert_eq!(spec_json.json()["openapi"], "3.1.0");
    let postman = server.get(&format!("{base}/postman"), Some(&ada));
    assert_ok("postman", &postman);
    assert!(postman.json()["info"].is_object(), "{}", postman.describe());
    let report = server.get(&format!("{base}/report"), Some(&ada));
    assert_ok("report", &report);
    let report = report.json();
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["tests"]["failed"], 0, "{report}");
    assert!(
        report["tests"]["passed"].as_u64().unwrap_or(0) > 0,
        "{report}"
    );

    // The preview.
    let preview = server.get(&format!("{base}/preview"), Some(&ada));
    assert_ok("preview", &preview);
    let preview = preview.json();
    assert_eq!(preview["path"], format!("/p/{id}/"), "{preview}");
    assert_eq!(preview["docs"], format!("/p/{id}/docs"), "{preview}");
    assert_eq!(preview["version"], 1, "{preview}");
    // `token` is only set when the generated API has auth; the library API has none.
    assert!(preview.get("token").is_some(), "{preview}");
    for field in ["path", "docs", "version"] {
        assert!(!preview[field].is_null(), "{field}: {preview}");
    }
    let docs = server.call(
        "GET",
        &format!("/p/{id}/docs"),
        None,
        &[("X-Apiforge-Token", &ada)],
        b"",
    );
    assert_ok("preview docs", &docs);
    let bundle = format!("/p/{id}/docs/assets/swagger-ui-bundle.js");
    assert!(docs.text().contains(&bundle), "{}", docs.describe());
    let asset = server.call("GET", &bundle, None, &[("X-Apiforge-Token", &ada)], b"");
    assert_ok("swagger bundle", &asset);
    assert!(
        asset
            .header("content-type")
            .unwrap_or("")
            .contains("javascript"),
        "{:?}",
        asset.headers
    );
    let books = server.call(
        "GET",
        &format!("/p/{id}/books"),
        None,
        &[("X-Apiforge-Token", &ada)],
        b"",
    );
    assert_ok("preview books", &books);
    assert!(books.json()["items"].is_array(), "{}", books.describe());

    // The server's own documents, metrics and audit log.
    let api_docs = server.get("/api/docs/", None);
    assert_ok("api docs", &api_docs);
    let openapi = server.get("/api/openapi.json", None);
    assert_ok("openapi", &openapi);
    assert_eq!(openapi.json()["openapi"], "3.1.0");
    let metrics = server.get("/api/metrics", Some(&ada));
    assert_ok("metrics", &metrics);
    assert!(
        metrics.text().contains("apiforge_"),
        "{}",
        metrics.describe()
    );
    let audit = server.get(&format!("/api/audit?project_id={id}"), Some(&ada));
    assert_ok("audit", &audit);
    let audit = audit.json();
    let runs: Vec<&Value> = audit
        .as_array()
        .unwrap_or_else(|| panic!("audit is an array: {audit}"))
        .iter()
        .filter(|e| e["kind"] == "sandbox.run")
        .collect();
    assert!(!runs.is_empty(), "{audit}");
    let sandbox_id = runs[0]["sandbox_id"]
        .as_str()
        .expect("sandbox_id")
        .to_owned();
    let one = server.get(&format!("/api/audit?sandbox_id={sandbox_id}"), Some(&ada));
    assert_ok("audit by sandbox", &one);
    let one = one.json();
    let one = one.as_array().expect("an array");
    eprintln!(
        "audit: {} events for the project, {} sandbox runs, {} for sandbox {sandbox_id}",
        audit.as_array().map_or(0, Vec::len),
        runs.len(),
        one.len()
    );
    assert!(!one.is_empty());
    assert!(
        one.iter().all(|e| e["sandbox_id"] == sandbox_id.as_str()),
        "{one:?}"
    );
    assert_eq!(one.len(), 1, "just that run: {one:?}");

    // Isolation: bob sees nothing of ada's.
    let bob = server.sign_in("bob@example.com");
    let mine = server.get("/api/projects", Some(&bob));
    assert_ok("bob's projects", &mine);
    let mine = mine.json();
    let mine_list = mine
        .as_array()
        .or(mine["items"].as_array())
        .or(mine["projects"].as_array());
    assert_eq!(mine_list.map(Vec::len), Some(0), "{mine}");
    let denied = [404, 403];
    for path in [
        base.clone(),
        format!("{base}/status"),
        format!("{base}/versions"),
        format!("{base}/files"),
        format!("{base}/files/content?path=app/main.py"),
        format!("{base}/spec"),
        format!("{base}/spec?format=json"),
        format!("{base}/postman"),
        format!("{base}/report"),
        format!("{base}/preview"),
        format!("/api/jobs/{job}"),
        format!("/api/jobs/{job}/events"),
    ] {
        assert_problem(
            &format!("bob GET {path}"),
            &server.get(&path, Some(&bob)),
            &denied,
        );
        assert_problem(
            &format!("anonymous GET {path}"),
            &server.get(&path, None),
            &[401],
        );
    }
    let retry = format!("/api/jobs/{job}/retry");
    assert_problem(
        "bob retry",
        &server.call("POST", &retry, Some(&bob), &[], b""),
        &denied,
    );
    assert_problem(
        "anonymous retry",
        &server.call("POST", &retry, None, &[], b""),
        &[401],
    );
    let docs_path = format!("/p/{id}/docs");
    assert_problem(
        "bob preview docs",
        &server.call("GET", &docs_path, None, &[("X-Apiforge-Token", &bob)], b""),
        &denied,
    );
    assert_problem(
        "anonymous preview docs",
        &server.get(&docs_path, None),
        &[401],
    );
    assert_problem(
        "anonymous projects",
        &server.get("/api/projects", None),
        &[401],
    );
    assert_problem("anonymous me", &server.get("/api/auth/me", None), &[401]);

    for (method, path, body) in [
        ("GET", format!("{base}/diff?from=1&to=1"), Value::Null),
        ("GET", format!("{base}/members"), Value::Null),
        ("POST", format!("{base}/export"), json!({ "format": "zip" })),
        ("POST", format!("{base}/regenerate"), json!({})),
        (
            "PUT",
            format!("{base}/members"),
            json!({ "email": "bob@example.com", "role": "editor" }),
        ),
        ("DELETE", base.clone(), Value::Null),
    ] {
        let body = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let json_type = [("Content-Type", "application/json")];
        assert_problem(
            &format!("bob {method} {path}"),
            &server.call(method, &path, Some(&bob), &json_type, &body),
            &denied,
        );
        assert_problem(
            &format!("anonymous {method} {path}"),
            &server.call(method, &path, None, &json_type, &body),
            &[401],
        );
    }
    assert_problem(
        "retry a succeeded job",
        &server.call("POST", &retry, Some(&ada), &[], b""),
        &[409],
    );
    job_over_websocket(server, &job, &ada, &bob);
    export_diff_and_plan(server, &base, &ada);
    sharing(server, &base, &job, &ada, &bob);

    // The owner deletes the project: gone for everyone, its preview stopped.
    let deleted = server.call("DELETE", &base, Some(&ada), &[], b"");
    assert_eq!(deleted.status, 204, "delete: {}", deleted.describe());
    assert_problem("deleted project", &server.get(&base, Some(&ada)), &[404]);
    assert_problem(
        "deleted project's preview",
        &server.call("GET", &docs_path, None, &[("X-Apiforge-Token", &ada)], b""),
        &[404],
    );

    // Logout revokes the JWT.
    let logout = server.call("POST", "/api/auth/logout", Some(&ada), &[], b"");
    assert_eq!(logout.status, 204, "logout: {}", logout.describe());
    assert_problem(
        "me after logout",
        &server.get("/api/auth/me", Some(&ada)),
        &[401],
    );
    assert_ok(
        "bob still signed in",
        &server.get("/api/auth/me", Some(&bob)),
    );
}

/// `/ws/jobs/{id}`: the owner gets every event of the finished job, then a close; another
/// user is refused before the upgrade.
fn job_over_websocket(server: &Server, job: &str, owner: &str, other: &str) {
    use tungstenite::client::IntoClientRequest;
    // The socket, or the HTTP status that refused the upgrade.
    let open = |jwt: &str| -> Result<tungstenite::WebSocket<TcpStream>, u16> {
        let mut request = format!("ws://{}/ws/jobs/{job}", server.addr)
            .into_client_request()
            .expect("a WebSocket request");
        request.headers_mut().insert(
            "Authorization",
            format!("Bearer {jwt}").parse().expect("a header value"),
        );
        let stream = TcpStream::connect(&server.addr).expect("connected");
        stream
            .set_read_timeout(Some(SHORT))
            .expect("read timeout set");
        match tungstenite::client(request, stream) {
            Ok((socket, response)) => {
                assert_eq!(response.status().as_u16(), 101);
                Ok(socket)
            }
            Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(response))) => {
                Err(response.status().as_u16())
            }
            Err(error) => panic!("the WebSocket handshake failed: {error}"),
        }
    };
    let mut socket = open(owner).expect("the WebSocket opens");
    let mut kinds = Vec::new();
    loop {
        match socket.read() {
            Ok(tungstenite::Message::Text(text)) => {
                let event: Value = serde_json::from_str(&text).expect("JSON event");
                kinds.push(event["kind"].as_str().unwrap_or("?").to_owned());
            }
            Ok(tungstenite::Message::Close(_)) | Err(tungstenite::Error::ConnectionClosed) => break,
            Ok(_) => {}
            Err(error) => panic!("WebSocket read failed after {kinds:?}: {error}"),
        }
    }
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("enqueued"),
        "{kinds:?}"
    );
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("succeeded"),
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "step_finished").count(),
        6,
        "{kinds:?}"
    );
    match open(other) {
        Err(status) => assert_eq!(status, 404, "another user is told there is no such job"),
        Ok(_) => panic!("another user opened the job's WebSocket"),
    }
}

/// The zip export, the diff between versions and planning without a project.
fn export_diff_and_plan(server: &Server, base: &str, jwt: &str) {
    let zip = server.call(
        "POST",
        &format!("{base}/export"),
        Some(jwt),
        &[("Content-Type", "application/json")],
        br#"{"format":"zip"}"#,
    );
    assert_ok("export", &zip);
    assert_eq!(zip.header("content-type"), Some("application/zip"));
    let disposition = zip.header("content-disposition").unwrap_or("");
    assert!(
        disposition.starts_with("attachment; filename=") && disposition.contains("-v1.zip"),
        "{disposition}"
    );
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(zip.body.clone())).expect("a zip archive");
    let names: Vec<String> = archive
        .file_names()
        .map(|name| name.expect("a readable entry name").into_owned())
        .collect();
    let folder = names[0].split('/').next().expect("a top folder").to_owned();
    assert!(
        names.iter().all(|n| n.starts_with(&format!("{folder}/"))),
        "{names:?}"
    );
    let files = server.get(&format!("{base}/files"), Some(jwt)).json();
    assert_eq!(
        names.len(),
        files.as_array().map_or(0, Vec::len),
        "{names:?}"
    );
    let mut main = String::new();
    std::io::Read::read_to_string(
        &mut archive
            .by_name(&format!("{folder}/app/main.py"))
            .expect("app/main.py in the zip"),
        &mut main,
    )
    .expect("UTF-8");
    let stored = server.get(&format!("{base}/files/content?path=app/main.py"), Some(jwt));
    assert_eq!(main, stored.text(), "the zip holds the stored file");
    assert_problem(
        "export as git",
        &server.call(
            "POST",
            &format!("{base}/export"),
            Some(jwt),
            &[("Content-Type", "application/json")],
            br#"{"format":"tarball"}"#,
        ),
        &[422],
    );

    let same = server.get(&format!("{base}/diff?from=1&to=1"), Some(jwt));
    assert_ok("diff", &same);
    assert_eq!(same.json()["files"], json!([]), "{}", same.describe());
    assert_problem(
        "diff to a missing version",
        &server.get(&format!("{base}/diff?from=1&to=9"), Some(jwt)),
        &[404],
    );
    assert_problem(
        "diff without versions",
        &server.get(&format!("{base}/diff"), Some(jwt)),
        &[400],
    );

    let planned = server.post_json("/api/plan", Some(jwt), &json!({ "prompt": LIBRARY }));
    assert_ok("plan", &planned);
    let entities: Vec<String> = planned.json()["manifest"]["entities"]
        .as_array()
        .expect("entities")
        .iter()
        .map(|e| e["name"].as_str().unwrap_or("?").to_owned())
        .collect();
    assert_eq!(entities, ["Book", "Author"], "{}", planned.describe());
    let (content_type, body) = multipart(
        "readings.csv",
        b"sensor,celsius,taken_at\nA1,21.5,2026-01-02T10:00:00Z\n",
    );
    let csv = server.call(
        "POST",
        "/api/plan",
        Some(jwt),
        &[("Content-Type", &content_type)],
        &body,
    );
    assert_ok("plan a CSV", &csv);
    let fields: Vec<String> = csv.json()["manifest"]["entities"][0]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| {
            format!(
                "{}:{}",
                f["name"].as_str().unwrap_or("?"),
                f["type"].as_str().unwrap_or("?")
            )
        })
        .collect();
    assert!(fields.contains(&"celsius:decimal".to_owned()), "{fields:?}");
    assert_problem(
        "plan nothing",
        &server.post_json("/api/plan", Some(jwt), &json!({ "prompt": " " })),
        &[422],
    );
    assert_problem(
        "plan anonymously",
        &server.post_json("/api/plan", None, &json!({ "prompt": LIBRARY })),
        &[401],
    );
    let projects = server.get("/api/projects", Some(jwt)).json();
    assert_eq!(
        projects.as_array().map(Vec::len),
        Some(1),
        "planning created no project"
    );
}

/// The owner shares with a viewer, who then reads but cannot change anything, until removed.
fn sharing(server: &Server, base: &str, job: &str, owner: &str, other: &str) {
    let json_type = [("Content-Type", "application/json")];
    let share = |role: &str| {
        server.call(
            "PUT",
            &format!("{base}/members"),
            Some(owner),
            &json_type,
            json!({ "email": "Bob@Example.com", "role": role })
                .to_string()
                .as_bytes(),
        )
    };
    assert_problem("share as owner", &share("owner"), &[422]);
    assert_problem("share with a bad role", &share("admin"), &[422]);
    let shared = share("viewer");
    assert_ok("share", &shared);
    let member = shared.json();
    assert_eq!(member["email"], "bob@example.com", "{member}");
    assert_eq!(member["role"], "viewer", "{member}");
    let members = server.get(&format!("{base}/members"), Some(other));
    assert_ok("members as viewer", &members);
    let roles: Vec<(String, String)> = members
        .json()
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                m["email"].as_str().unwrap_or("?").to_owned(),
                m["role"].as_str().unwrap_or("?").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            ("ada@example.com".to_owned(), "owner".to_owned()),
            ("bob@example.com".to_owned(), "viewer".to_owned())
        ]
    );
    let seen = server.get(base, Some(other));
    assert_ok("the viewer sees the project", &seen);
    assert_eq!(seen.json()["role"], "viewer");
    assert_ok(
        "the viewer reads the spec",
        &server.get(&format!("{base}/spec"), Some(other)),
    );
    assert_ok(
        "the viewer follows the job",
        &server.get(&format!("/api/jobs/{job}"), Some(other)),
    );
    assert_problem(
        "the viewer deletes",
        &server.call("DELETE", base, Some(other), &[], b""),
        &[403],
    );
    assert_problem(
        "the viewer shares",
        &server.call(
            "PUT",
            &format!("{base}/members"),
            Some(other),
            &json_type,
            br#"{"email":"eve@example.com","role":"editor"}"#,
        ),
        &[403],
    );
    assert_problem(
        "the viewer retries a job",
        &server.call(
            "POST",
            &format!("/api/jobs/{job}/retry"),
            Some(other),
            &[],
            b"",
        ),
        &[403, 409],
    );
    let bob_id = member["user_id"].as_str().expect("user id");
    let removed = server.call(
        "DELETE",
        &format!("{base}/members/{bob_id}"),
        Some(owner),
        &[],
        b"",
    );
    assert_eq!(removed.status, 204, "remove: {}", removed.describe());
    assert_problem("removed member", &server.get(base, Some(other)), &[404]);
    assert_problem(
        "remove again",
        &server.call(
            "DELETE",
            &format!("{base}/members/{bob_id}"),
            Some(owner),
            &[],
            b"",
        ),
        &[404],
    );
}

#[test]
fn server_flow_on_sqlite() {
    let server = Server::start(None);
    server_flow(&server);
}

pub(crate) struct PgDatabase {
    admin_url: String,
    name: String,
    pub(crate) url: String,
}

impl PgDatabase {
    pub(crate) fn create() -> PgDatabase {
        let admin_url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let name = format!("apiforge_e2e_{}", unique());
        let (prefix, _) = admin_url.rsplit_once('/').expect("a database URL");
        let url = format!("{prefix}/{name}");
        let database = PgDatabase {
            admin_url,
            name,
            url,
        };
        let output = database.psql(&format!("CREATE DATABASE {}", database.name));
        assert!(
            output.status.success(),
            "CREATE DATABASE failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        database
    }

    fn psql(&self, sql: &str) -> std::process::Output {
        HostCommand::new("psql")
            .args(["-d", &self.admin_url, "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .expect("psql runs")
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = self.psql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

#[test]
fn server_flow_on_postgres() {
    let database = PgDatabase::create();
    let server = Server::start(Some(&database.url));
    server_flow(&server);
    drop(server);
}

// ---------------------------------------------------------------- bad input

pub(crate) fn multipart(file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = format!("apiforgeboundary{}", unique());
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[test]
fn server_rejects_bad_input_on_sqlite() {
    let server = Server::start(None);
    let ada = server.sign_in("ada@example.com");
    let jwt = Some(ada.as_str());
    let json_type = [("Content-Type", "application/json")];

    let long = "a".repeat(20_001);
    assert_problem(
        "oversized prompt",
        &server.post_json("/api/projects", jwt, &json!({ "prompt": long })),
        &[413],
    );
    assert_problem(
        "empty prompt",
        &server.post_json("/api/projects", jwt, &json!({ "prompt": "  " })),
        &[422],
    );
    assert_problem(
        "malformed JSON",
        &server.call("POST", "/api/projects", jwt, &json_type, b"{\"prompt\":"),
        &[400],
    );
    assert_problem(
        "text/plain",
        &server.call(
            "POST",
            "/api/projects",
            jwt,
            &[("Content-Type", "text/plain")],
            LIBRARY.as_bytes(),
        ),
        &[415],
    );
    let binary: Vec<u8> = b"name,age\n\0\0\xff\xfe\x80,1\n".to_vec();
    let (content_type, body) = multipart("x.csv", &binary);
    assert_problem(
        "binary CSV",
        &server.call(
            "POST",
            "/api/projects",
            jwt,
            &[("Content-Type", &content_type)],
            &body,
        ),
        &[422],
    );
    let (content_type, body) = multipart("x.csv", b"");
    assert_problem(
        "empty CSV",
        &server.call(
            "POST",
            "/api/projects",
            jwt,
            &[("Content-Type", &content_type)],
            &body,
        ),
        &[422],
    );
    let mut big = b"name,age\n".to_vec();
    while big.len() <= 5 * 1024 * 1024 + 1024 {
        big.extend_from_slice(b"someone with a long name,42\n");
    }
    let (content_type, body) = multipart("x.csv", &big);
    assert_problem(
        "CSV over 5 MB",
        &server.call(
            "POST",
            "/api/projects",
            jwt,
            &[("Content-Type", &content_type)],
            &body,
        ),
        &[413],
    );
    assert_problem(
        "unknown route",
        &server.get("/api/no-such-route", jwt),
        &[404],
    );
    assert_problem(
        "login with a bad email",
        &server.post_json("/api/auth/login", None, &json!({ "email": "not-an-email" })),
        &[422],
    );
    assert_problem(
        "verify with a wrong token",
        &server.post_json(
            "/api/auth/verify",
            None,
            &json!({ "token": "0".repeat(64) }),
        ),
        &[401],
    );
    // None of it created a project.
    let projects = server.get("/api/projects", jwt).json();
    let list = projects
        .as_array()
        .or(projects["items"].as_array())
        .or(projects["projects"].as_array());
    assert_eq!(list.map(Vec::len), Some(0), "{projects}");
}

/// A prompt the planner cannot use fails permanently: the job is dead-lettered at once
/// (no pointless retries), listed for its owner only, and can be put back in the queue.
#[test]
fn dead_lettered_jobs_are_listed_and_retried() {
    let server = Server::start(None);
    let ada = server.sign_in("ada@example.com");
    let bob = server.sign_in("bob@example.com");
    let created = server.post_json("/api/projects", Some(&ada), &json!({ "prompt": "hello?" }));
    assert_eq!(created.status, 202, "{}", created.describe());
    let created = created.json();
    let job = created["job_id"].as_str().expect("job id").to_owned();
    let project = created["project"]["id"].as_str().expect("id").to_owned();
    // A retry gives the job a fresh budget of attempts; its steps count every run.
    let wait_dead = |plan_runs: u64| {
        wait_for(
            &server,
            &ada,
            &job,
            Duration::from_secs(60),
            "dead-lettering",
            |current| current["state"] == "dead" && current["steps"][0]["attempts"] == plan_runs,
        )
    };
    let dead = wait_dead(1);
    assert!(
        dead["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("found no resource in the prompt")),
        "{dead:#}"
    );
    let status = server.get(&format!("/api/projects/{project}/status"), Some(&ada));
    assert_eq!(status.json()["status"], "failed", "{}", status.describe());
    let listed = server.get("/api/jobs/dead", Some(&ada));
    assert_ok("dead jobs", &listed);
    let ids: Vec<&str> = listed
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|j| j["id"].as_str())
        .map(|id| if id == job { "job" } else { "other" })
        .collect();
    assert_eq!(ids, ["job"], "{}", listed.describe());
    let others = server.get("/api/jobs/dead", Some(&bob));
    assert_eq!(
        others.json(),
        json!([]),
        "bob sees none: {}",
        others.describe()
    );
    assert_problem(
        "anonymous dead jobs",
        &server.get("/api/jobs/dead", None),
        &[401],
    );

    let retry = format!("/api/jobs/{job}/retry");
    assert_problem(
        "bob retries",
        &server.call("POST", &retry, Some(&bob), &[], b""),
        &[404],
    );
    let retried = server.call("POST", &retry, Some(&ada), &[], b"");
    assert_eq!(retried.status, 202, "{}", retried.describe());
    assert!(
        matches!(
            retried.json()["state"].as_str(),
            Some("queued" | "running" | "dead")
        ),
        "{}",
        retried.describe()
    );
    let again = wait_dead(2);
    assert_eq!(
        again["attempts"], 1,
        "permanent: not retried by itself: {again:#}"
    );
    assert_eq!(again["max_attempts"], 3, "{again:#}");
    let events = server.get(&format!("/api/jobs/{job}/events"), Some(&ada));
    let kinds: Vec<String> = sse_events(&events.text())
        .into_iter()
        .map(|(kind, _)| kind)
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "dead").count(),
        2,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"retried".to_owned()), "{kinds:?}");
}

/// US-08 with auth: the preview of an API with JWT auth comes with a token minted for it,
/// which the previewed API accepts (what Swagger UI's "Authorize" takes for "Try it");
/// without it the API answers 401.
#[test]
fn the_preview_of_an_api_with_auth_accepts_its_minted_token() {
    const HELPDESK: &str = "Create a REST API for an internal helpdesk with JWT authentication. \
        Agents and admins log in. Tickets have a subject, a description, a priority and a \
        status (open, in progress, resolved, closed); each ticket is assigned to an agent. \
        Only admins can delete tickets.";
    let server = Server::start(None);
    let ada = server.sign_in("ada@example.com");
    let created = server.post_json("/api/projects", Some(&ada), &json!({ "prompt": HELPDESK }));
    assert_eq!(created.status, 202, "{}", created.describe());
    let created = created.json();
    let id = created["project"]["id"].as_str().expect("id").to_owned();
    let job = created["job_id"].as_str().expect("job").to_owned();
    let kinds = follow_job(&server, &ada, &job);
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("succeeded"),
        "{kinds:?}"
    );
    let preview = server.get(&format!("/api/projects/{id}/preview"), Some(&ada));
    assert_ok("preview", &preview);
    let token = preview.json()["token"]
        .as_str()
        .expect("a minted token for an API with auth")
        .to_owned();
    let tickets = format!("/p/{id}/tickets");
    let anonymous = server.call("GET", &tickets, None, &[("X-Apiforge-Token", &ada)], b"");
    assert_eq!(
        anonymous.status,
        401,
        "the API wants its own token: {}",
        anonymous.describe()
    );
    let bearer = format!("Bearer {token}");
    let listed = server.call(
        "GET",
        &tickets,
        None,
        &[("X-Apiforge-Token", &ada), ("Authorization", &bearer)],
        b"",
    );
    assert_ok("tickets with the minted token", &listed);
    assert!(listed.json()["items"].is_array(), "{}", listed.describe());
    // The minted token carries every role: an admin-only operation passes the role check
    // (404: there is no ticket 1, rather than 403).
    let deleted = server.call(
        "DELETE",
        &format!("{tickets}/1"),
        None,
        &[("X-Apiforge-Token", &ada), ("Authorization", &bearer)],
        b"",
    );
    assert_eq!(deleted.status, 404, "{}", deleted.describe());
    let docs = server.call(
        "GET",
        &format!("/p/{id}/docs"),
        None,
        &[("X-Apiforge-Token", &ada)],
        b"",
    );
    assert_ok("the preview's docs", &docs);
}

/// Per-user rate limits over HTTP, and `apiforge bench api|jobs` against a running server:
/// throttled, the benchmark fails and says why; unthrottled, it reports its figures.
#[test]
fn rate_limits_and_the_server_benchmarks() {
    let throttled = Server::start_with(
        None,
        &[],
        &[("APIFORGE_USER_RATE", "1/3"), ("APIFORGE_IP_RATE", "off")],
    );
    let ada = throttled.sign_in("ada@example.com");
    let statuses: Vec<u16> = (0..4)
        .map(|_| throttled.get("/api/auth/me", Some(&ada)).status)
        .collect();
    assert_eq!(statuses, [200, 200, 200, 429], "a burst of 3, then refused");
    let refused = throttled.get("/api/projects", Some(&ada));
    let problem = assert_problem("over the user's rate", &refused, &[429]);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("your account")),
        "{problem}"
    );
    assert!(
        refused
            .header("retry-after")
            .is_some_and(|s| s.parse::<u64>().is_ok()),
        "{}",
        refused.describe()
    );
    let bob = throttled.sign_in("bob@example.com");
    assert_ok("another user", &throttled.get("/api/auth/me", Some(&bob)));
    let url = format!("http://{}", throttled.addr);
    let (code, stdout, stderr) = crate::run(crate::apiforge().args([
        "bench",
        "api",
        "--url",
        &url,
        "--token",
        &bob,
        "--connections",
        "4",
        "--duration",
        "1",
        "--path",
        "/api/auth/me",
    ]));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("429") && stderr.contains("APIFORGE_USER_RATE=off"),
        "{stderr}"
    );
    drop(throttled);

    let server = Server::start_with(
        None,
        &[],
        &[("APIFORGE_USER_RATE", "off"), ("APIFORGE_IP_RATE", "off")],
    );
    let ada = server.sign_in("ada@example.com");
    let url = format!("http://{}", server.addr);
    let (code, stdout, stderr) = crate::run(crate::apiforge().args([
        "bench", "jobs", "--url", &url, "--token", &ada, "--jobs", "2", "--json",
    ]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let jobs: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(jobs["jobs"], 2, "{jobs}");
    assert_eq!(jobs["failed"], 0, "{jobs}");
    assert!(
        jobs["generations_per_hour"].as_f64().unwrap_or(0.0) > 0.0,
        "{jobs}"
    );
    assert!(jobs["queue_to_done_s"]["p95"].is_number(), "{jobs}");
    let (code, stdout, stderr) = crate::run(crate::apiforge().args([
        "bench",
        "api",
        "--url",
        &url,
        "--token",
        &ada,
        "--connections",
        "8",
        "--duration",
        "1",
        "--json",
    ]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let api: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(api["connections"], 8, "{api}");
    assert_eq!(api["failures"], 0, "{api}");
    assert_eq!(
        api["paths"].as_array().map(Vec::len),
        Some(4),
        "the list and one project's pages: {api}"
    );
    assert!(api["requests"].as_u64().unwrap_or(0) > 0, "{api}");
    for figure in ["p50", "p95", "p99", "max"] {
        assert!(api["latency_ms"][figure].is_number(), "{figure}: {api}");
    }
    // Bad settings are the caller's to fix (exit 2), before any load.
    for (args, expect) in [
        (
            vec!["--url", "ftp://x", "--token", "t"],
            "is not an http:// URL",
        ),
        (vec!["--url", &url, "--token", " "], "--token is empty"),
        (vec!["--url", &url, "--token", "wrong"], "answered 401"),
        (
            vec!["--url", &url, "--token", &ada, "--connections", "0"],
            "--connections must be between",
        ),
        (
            vec!["--url", &url, "--token", &ada, "--path", "api/x"],
            "must start with /",
        ),
    ] {
        let (code, stdout, stderr) =
            crate::run(crate::apiforge().args(["bench", "api"]).args(&args));
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains(expect), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

/// Follows a job's SSE stream to its end; the kinds of its events.
fn follow_job(server: &Server, jwt: &str, job: &str) -> Vec<String> {
    let events = request(
        &server.addr,
        "GET",
        &format!("/api/jobs/{job}/events"),
        &[("Authorization", &format!("Bearer {jwt}"))],
        b"",
        Duration::from_secs(300),
    );
    assert_ok("events", &events);
    sse_events(&events.text())
        .into_iter()
        .map(|(kind, _)| kind)
        .collect()
}

/// A revised description makes version 2; the diff between the versions shows the change;
/// only editors regenerate, one generation at a time, and CSV projects keep their CSV.
#[test]
fn regenerating_from_a_revised_prompt_makes_a_new_version_with_a_diff() {
    let server = Server::start(None);
    let ada = server.sign_in("ada@example.com");
    let bob = server.sign_in("bob@example.com");
    let created = server.post_json("/api/projects", Some(&ada), &json!({ "prompt": LIBRARY }));
    assert_eq!(created.status, 202, "{}", created.describe());
    let created = created.json();
    let id = created["project"]["id"].as_str().expect("id").to_owned();
    let base = format!("/api/projects/{id}");
    let regenerate = format!("{base}/regenerate");
    let busy = server.post_json(&regenerate, Some(&ada), &json!({}));
    assert_problem("regenerate while generating", &busy, &[409]);
    let first = created["job_id"].as_str().expect("job");
    assert_eq!(
        follow_job(&server, &ada, first).last().map(String::as_str),
        Some("succeeded")
    );

    let revised = "A library API. Books have a title, an ISBN, a publication year and a price. \
        Authors have a name. Each book belongs to an author.";
    assert_problem(
        "empty revision",
        &server.post_json(&regenerate, Some(&ada), &json!({ "prompt": " " })),
        &[422],
    );
    assert_problem(
        "a stranger regenerates",
        &server.post_json(&regenerate, Some(&bob), &json!({})),
        &[404],
    );
    let shared = server.call(
        "PUT",
        &format!("{base}/members"),
        Some(&ada),
        &[("Content-Type", "application/json")],
        br#"{"email":"bob@example.com","role":"viewer"}"#,
    );
    assert_ok("share", &shared);
    assert_problem(
        "a viewer regenerates",
        &server.post_json(&regenerate, Some(&bob), &json!({ "prompt": revised })),
        &[403],
    );
    let again = server.post_json(&regenerate, Some(&ada), &json!({ "prompt": revised }));
    assert_eq!(again.status, 202, "{}", again.describe());
    let job = again.json()["job_id"].as_str().expect("job").to_owned();
    assert_eq!(
        follow_job(&server, &ada, &job).last().map(String::as_str),
        Some("succeeded")
    );
    let project = server.get(&base, Some(&ada)).json();
    assert_eq!(project["current_version"], 2, "{project}");
    assert_eq!(
        project["prompt"], revised,
        "the page shows the revised description"
    );
    assert_eq!(project["status"], "ready", "{project}");
    let versions = server.get(&format!("{base}/versions"), Some(&ada)).json();
    assert_eq!(versions.as_array().map(Vec::len), Some(2), "{versions}");
    let diff = server.get(&format!("{base}/diff?from=1&to=2"), Some(&bob));
    assert_ok("diff", &diff);
    let diff = diff.json();
    let changed: Vec<&str> = diff["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert!(changed.contains(&"openapi.yaml"), "{changed:?}");
    assert!(changed.contains(&"app/models.py"), "{changed:?}");
    let spec = diff["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"] == "openapi.yaml")
        .expect("the contract changed");
    assert_eq!(spec["status"], "changed");
    assert!(
        spec["diff"].as_str().is_some_and(|d| d
            .starts_with("--- a/openapi.yaml\n+++ b/openapi.yaml\n")
            && d.lines().any(|l| l.starts_with('+') && l.contains("price"))),
        "{spec}"
    );
    // Regenerating without a prompt reuses the revised description: same contract.
    let same = server.post_json(&regenerate, Some(&ada), &json!({}));
    assert_eq!(same.status, 202, "{}", same.describe());
    let job = same.json()["job_id"].as_str().expect("job").to_owned();
    follow_job(&server, &ada, &job);
    let unchanged = server
        .get(&format!("{base}/diff?from=2&to=3"), Some(&ada))
        .json();
    assert_eq!(unchanged["files"], json!([]), "{unchanged}");

    // A CSV project regenerates from its CSV, never from a prompt.
    let (content_type, body) = multipart("people.csv", b"name,age\nAda,36\n");
    let csv = server.call(
        "POST",
        "/api/projects",
        Some(&ada),
        &[("Content-Type", &content_type)],
        &body,
    );
    assert_eq!(csv.status, 202, "{}", csv.describe());
    let csv = csv.json();
    let csv_id = csv["project"]["id"].as_str().expect("id");
    follow_job(&server, &ada, csv["job_id"].as_str().expect("job"));
    assert_problem(
        "a prompt for a CSV project",
        &server.post_json(
            &format!("/api/projects/{csv_id}/regenerate"),
            Some(&ada),
            &json!({ "prompt": LIBRARY }),
        ),
        &[422],
    );
}
