//! The auto-fix loop: when a generated project fails verification and an LLM is
//! configured, the failing checks and the implicated files go to the fixer prompt; the
//! answer's whole-file patches `{path, sha, content}` are accepted only for files that were
//! offered and whose sha256 matches the current content (anything else is sent back in the
//! repair round); the patched project is verified again; at most [`MAX_ATTEMPTS`] rounds.
//! Every attempt, with the unified diff of what it changed, is kept in the test report.

use std::collections::BTreeMap;
use std::future::Future;

use apiforge_llm::{Chain, ChatRequest, Message};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::pipeline::{FileOut, Verified};

/// Fix rounds after the first failed verification.
pub const MAX_ATTEMPTS: u32 = 2;
/// The most file text offered to the model in one round.
const MAX_OFFERED_CHARS: usize = 60_000;
/// The most failure text sent.
const MAX_FAILURE_CHARS: usize = 8_000;

/// One round of the loop.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FixAttempt {
    pub attempt: u32,
    pub provider: Option<String>,
    pub model: Option<String>,
    /// What the model said was wrong.
    pub explanation: String,
    /// Unified diffs of the files it changed.
    pub diffs: Vec<PatchDiff>,
    /// Whether the project passed verification after this round.
    pub verified: bool,
    /// Why the round produced no patch (the providers' failure).
    pub error: Option<String>,
    pub tokens_in: u64,
    pub tokens_out: u64,
}

impl FixAttempt {
    /// The registry's record of this round: its explanation and diffs as the output.
    pub fn outcome(&self) -> apiforge_store::ExecutionOutcome {
        let output = std::iter::once(self.explanation.clone())
            .chain(self.diffs.iter().map(|d| d.diff.clone()))
            .collect::<Vec<_>>()
            .join("\n");
        apiforge_store::ExecutionOutcome {
            succeeded: self.error.is_none(),
            rendered: None,
            provider: self.provider.clone(),
            model: self.model.clone(),
            output: self.error.is_none().then_some(output),
            latency_ms: None,
            tokens_in: i64::try_from(self.tokens_in).ok(),
            tokens_out: i64::try_from(self.tokens_out).ok(),
            cost_micros: None,
            error: self.error.clone(),
        }
    }
}

/// A file changed by a fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchDiff {
    pub path: String,
    pub diff: String,
}

/// Where the loop ended: the (possibly patched) files, their latest verification and the
/// rounds it took.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fixed {
    pub files: Vec<FileOut>,
    pub verified: Verified,
    pub attempts: Vec<FixAttempt>,
}

#[derive(Debug, Deserialize)]
struct Answer {
    explanation: String,
    patches: Vec<Patch>,
}

#[derive(Debug, Deserialize)]
struct Patch {
    path: String,
    sha: String,
    content: String,
}

/// Files the fixer may never touch: the tests, the contract and the manifest are the
/// specification the code must meet.
fn fixable(path: &str) -> bool {
    !(path.starts_with("tests/")
        || path.starts_with(".apiforge/")
        || path.starts_with(".github/")
        || path.starts_with("openapi."))
}

/// The failing checks in words: failing tests with their location and message, lint
/// findings, unformatted files and the output of failed steps (truncated).
pub fn failure_text(report: &Value) -> String {
    let mut out = String::new();
    if let Some(problem) = report["problem"].as_str() {
        out.push_str(&format!("problem: {problem}\n"));
    }
    for test in report["failed_tests"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "test {} failed at {}: {}\n",
            test["id"].as_str().unwrap_or("?"),
            test["location"].as_str().unwrap_or("?"),
            test["message"].as_str().unwrap_or("")
        ));
    }
    for finding in report["ruff_findings"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "lint: {}\n",
            finding.as_str().unwrap_or(&finding.to_string())
        ));
    }
    for file in report["unformatted"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "not formatted (ruff format): {}\n",
            file.as_str().unwrap_or("?")
        ));
    }
    for step in report["steps"].as_array().into_iter().flatten() {
        if step["ok"] == false {
            let output = step["output"].as_str().unwrap_or("");
            let tail: String = output
                .chars()
                .rev()
                .take(2_000)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            out.push_str(&format!(
                "step {} failed (exit {}):\n{tail}\n",
                step["step"].as_str().unwrap_or("?"),
                step["exit_code"]
            ));
        }
    }
    out.chars().take(MAX_FAILURE_CHARS).collect()
}

/// The files to offer: fixable ones named in the failures (most likely to matter), then
/// the rest of the application code, within the size budget.
fn offered<'a>(files: &'a [FileOut], failures: &str) -> Vec<&'a FileOut> {
    let (mut named, mut others): (Vec<&FileOut>, Vec<&FileOut>) = files
        .iter()
        .filter(|f| fixable(&f.path) && f.path.ends_with(".py"))
        .partition(|f| failures.contains(&f.path));
    named.append(&mut others);
    let mut budget = MAX_OFFERED_CHARS;
    named
        .into_iter()
        .filter(|f| {
            let size = f.contents.chars().count();
            if size <= budget {
                budget -= size;
                true
            } else {
                false
            }
        })
        .collect()
}

/// Checks an answer against the offered files: known paths, matching sha256, no repeats.
/// The reason (sent back for repair) when it does not fit.
fn check_answer(answer: &str, offered: &BTreeMap<String, String>) -> Result<Answer, String> {
    let answer: Answer = serde_json::from_str(answer.trim())
        .map_err(|e| format!("the answer is not the requested JSON object: {e}"))?;
    if answer.patches.is_empty() {
        return Err("the answer has no patches: change at least one offered file".into());
    }
    let mut seen = std::collections::BTreeSet::new();
    for patch in &answer.patches {
        let Some(sha) = offered.get(&patch.path) else {
            return Err(format!(
                "{:?} was not offered: patch only the files shown (tests and the contract are fixed)",
                patch.path
            ));
        };
        if &patch.sha != sha {
            return Err(format!(
                "the sha of {:?} must be {sha}, the sha256 shown for its current content",
                patch.path
            ));
        }
        if !seen.insert(patch.path.as_str()) {
            return Err(format!("{:?} is patched twice", patch.path));
        }
    }
    Ok(answer)
}

/// Runs the loop on a failed verification. `verify` checks a set of files (the sandbox in
/// production); its error ends the loop.
pub async fn fix<V, F>(
    chain: &Chain,
    template: &str,
    target: &str,
    files: Vec<FileOut>,
    verified: Verified,
    verify: V,
) -> Fixed
where
    V: Fn(Vec<FileOut>) -> F,
    F: Future<Output = Result<Verified, String>>,
{
    let mut fixed = Fixed {
        files,
        verified,
        attempts: Vec::new(),
    };
    for attempt in 1..=MAX_ATTEMPTS {
        if fixed.verified.ok {
            break;
        }
        let failures = failure_text(&fixed.verified.report);
        let offer = offered(&fixed.files, &failures);
        let shas: BTreeMap<String, String> = offer
            .iter()
            .map(|f| {
                (
                    f.path.clone(),
                    apiforge_store::sha256_hex(f.contents.as_bytes()),
                )
            })
            .collect();
        let listed: Vec<Value> = offer
            .iter()
            .map(|f| json!({ "path": f.path, "sha256": shas[&f.path], "content": f.contents }))
            .collect();
        let values = BTreeMap::from([
            ("target".to_owned(), Value::String(target.to_owned())),
            ("failures".to_owned(), Value::String(failures)),
            ("files".to_owned(), Value::Array(listed)),
        ]);
        let mut record = FixAttempt {
            attempt,
            ..FixAttempt::default()
        };
        let rendered = match crate::registry::template::render(template, &values) {
            Ok(rendered) => rendered,
            Err(error) => {
                record.error = Some(format!("the fixer template: {error}"));
                fixed.attempts.push(record);
                break;
            }
        };
        let request = ChatRequest::new(vec![Message::user(rendered)])
            .with_schema("patches", apiforge_planner::llm::fixer_output_schema());
        let answer = match chain
            .chat_validated(&request, |text| check_answer(text, &shas))
            .await
        {
            Ok(answer) => answer,
            Err(error) => {
                record.error = Some(error.summary());
                fixed.attempts.push(record);
                break;
            }
        };
        record.provider = Some(answer.response.provider.clone());
        record.model = Some(answer.response.model.clone());
        record.tokens_in = answer.response.usage.prompt_tokens;
        record.tokens_out = answer.response.usage.completion_tokens;
        record.explanation = answer.value.explanation;
        for patch in answer.value.patches {
            if let Some(file) = fixed.files.iter_mut().find(|f| f.path == patch.path) {
                record.diffs.push(PatchDiff {
                    diff: crate::export::unified(
                        &patch.path,
                        file.contents.as_bytes(),
                        patch.content.as_bytes(),
                    ),
                    path: patch.path,
                });
                file.contents = patch.content;
            }
        }
        match verify(fixed.files.clone()).await {
            Ok(verified) => {
                record.verified = verified.ok;
                fixed.verified = verified;
            }
            Err(error) => {
                record.error = Some(format!("verifying the fix: {error}"));
                fixed.attempts.push(record);
                break;
            }
        }
        fixed.attempts.push(record);
    }
    fixed
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use apiforge_llm::{ChatResponse, LlmError, Provider, Usage};

    use super::*;

    /// A provider answering from a script, one answer per call.
    struct Scripted {
        answers: Vec<String>,
        calls: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl Provider for Scripted {
        fn name(&self) -> &str {
            "scripted"
        }
        fn model(&self) -> &str {
            "script"
        }
        async fn chat(&self, _request: &ChatRequest) -> Result<ChatResponse, LlmError> {
            let call = self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(ChatResponse {
                content: self.answers.get(call).cloned().unwrap_or_default(),
                provider: "scripted".into(),
                model: "script".into(),
                usage: Usage {
                    prompt_tokens: 10,
                    completion_tokens: 5,
                },
                latency: Duration::from_millis(1),
                cost_usd: None,
                attempts: 1,
            })
        }
    }

    fn scripted(answers: Vec<String>) -> (Chain, Arc<Scripted>) {
        let provider = Arc::new(Scripted {
            answers,
            calls: AtomicUsize::new(0),
        });
        (
            Chain::new(vec![provider.clone() as Arc<dyn Provider>], true),
            provider,
        )
    }

    fn file(path: &str, contents: &str) -> FileOut {
        FileOut {
            path: path.into(),
            contents: contents.into(),
            ownership: "generated".into(),
        }
    }

    fn failed() -> Verified {
        Verified {
            ok: false,
            report: json!({
                "failed_tests": [{ "id": "tests/test_api.py::test_create", "location": "app/routers/book.py:12",
                                   "message": "assert 500 == 201" }],
                "steps": [{ "step": "pytest", "ok": false, "exit_code": 1, "output": "1 failed" }]
            }),
        }
    }

    /// A verification that passes when `app/routers/book.py` holds `status_code=201`.
    fn verify(files: Vec<FileOut>) -> impl Future<Output = Result<Verified, String>> {
        let ok = files
            .iter()
            .any(|f| f.path == "app/routers/book.py" && f.contents.contains("status_code=201"));
        async move {
            Ok(Verified {
                ok,
                report: if ok {
                    json!({ "ok": true })
                } else {
                    failed().report
                },
            })
        }
    }

    fn project() -> Vec<FileOut> {
        vec![
            file(
                "app/routers/book.py",
                "def create():\n    return Response(status_code=500)\n",
            ),
            file("tests/test_api.py", "def test_create(): ...\n"),
            file("openapi.yaml", "openapi: 3.1.0\n"),
        ]
    }

    fn patch(path: &str, sha: &str, content: &str) -> String {
        json!({ "explanation": "wrong status", "patches": [{ "path": path, "sha": sha, "content": content }] })
            .to_string()
    }

    #[tokio::test]
    async fn a_matching_patch_is_applied_verified_and_its_diff_kept() {
        let files = project();
        let sha = apiforge_store::sha256_hex(files[0].contents.as_bytes());
        let fixed_code = "def create():\n    return Response(status_code=201)\n";
        let (chain, provider) = scripted(vec![patch("app/routers/book.py", &sha, fixed_code)]);
        let fixed = fix(
            &chain,
            apiforge_planner::llm::FIXER_TEMPLATE,
            "fastapi",
            files,
            failed(),
            verify,
        )
        .await;
        assert!(fixed.verified.ok);
        assert_eq!(fixed.attempts.len(), 1);
        let attempt = &fixed.attempts[0];
        assert!(attempt.verified);
        assert_eq!(attempt.explanation, "wrong status");
        assert_eq!(attempt.diffs.len(), 1);
        assert!(
            attempt.diffs[0]
                .diff
                .contains("-    return Response(status_code=500)")
        );
        assert!(
            attempt.diffs[0]
                .diff
                .contains("+    return Response(status_code=201)")
        );
        assert_eq!(fixed.files[0].contents, fixed_code);
        assert_eq!(provider.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_stale_sha_or_a_test_file_is_refused_and_repaired_or_dropped() {
        let files = project();
        let sha = apiforge_store::sha256_hex(files[0].contents.as_bytes());
        let fixed_code = "def create():\n    return Response(status_code=201)\n";
        // A wrong sha, then (in the repair round) the right one.
        let (chain, provider) = scripted(vec![
            patch("app/routers/book.py", &"0".repeat(64), fixed_code),
            patch("app/routers/book.py", &sha, fixed_code),
        ]);
        let fixed = fix(
            &chain,
            apiforge_planner::llm::FIXER_TEMPLATE,
            "fastapi",
            files.clone(),
            failed(),
            verify,
        )
        .await;
        assert!(fixed.verified.ok);
        assert_eq!(provider.calls.load(Ordering::SeqCst), 2, "one repair round");

        // Patching the tests is never accepted: the provider fails, nothing changes.
        let test_sha = apiforge_store::sha256_hex(files[1].contents.as_bytes());
        let (chain, _) = scripted(vec![
            patch("tests/test_api.py", &test_sha, "def test_create(): pass\n"),
            patch("tests/test_api.py", &test_sha, "def test_create(): pass\n"),
        ]);
        let fixed = fix(
            &chain,
            apiforge_planner::llm::FIXER_TEMPLATE,
            "fastapi",
            files.clone(),
            failed(),
            verify,
        )
        .await;
        assert!(!fixed.verified.ok);
        assert_eq!(fixed.files, files, "nothing was written");
        assert_eq!(fixed.attempts.len(), 1);
        assert!(fixed.attempts[0].error.is_some(), "{:?}", fixed.attempts);
    }

    #[tokio::test]
    async fn at_most_two_rounds_are_tried() {
        let files = project();
        let sha = apiforge_store::sha256_hex(files[0].contents.as_bytes());
        let still_broken = "def create():\n    return Response(status_code=502)\n";
        let sha2 = apiforge_store::sha256_hex(still_broken.as_bytes());
        let (chain, provider) = scripted(vec![
            patch("app/routers/book.py", &sha, still_broken),
            patch(
                "app/routers/book.py",
                &sha2,
                "def create():\n    return Response(status_code=503)\n",
            ),
            patch("app/routers/book.py", &sha2, "never asked"),
        ]);
        let fixed = fix(
            &chain,
            apiforge_planner::llm::FIXER_TEMPLATE,
            "fastapi",
            files,
            failed(),
            verify,
        )
        .await;
        assert!(!fixed.verified.ok);
        assert_eq!(fixed.attempts.len(), 2);
        assert!(
            fixed
                .attempts
                .iter()
                .all(|a| !a.verified && a.diffs.len() == 1)
        );
        assert_eq!(provider.calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn failures_name_tests_and_files_are_offered_tests_first_excluded() {
        let text = failure_text(&failed().report);
        assert!(
            text.contains(
                "tests/test_api.py::test_create failed at app/routers/book.py:12: assert 500 == 201"
            ),
            "{text}"
        );
        assert!(text.contains("step pytest failed (exit 1)"), "{text}");
        let files = vec![
            file("app/main.py", "x"),
            file("app/routers/book.py", "y"),
            file("tests/test_api.py", "z"),
            file("openapi.json", "{}"),
        ];
        let paths: Vec<&str> = offered(&files, &text)
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(paths, ["app/routers/book.py", "app/main.py"]);
    }
}
