//! Reading pytest's JUnit XML report (`-o junit_family=xunit1`, which adds each test's
//! `file` and `line`): the counts and every failing test with where it failed.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// Test counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TestCounts {
    /// Tests that passed.
    pub passed: u32,
    /// Tests whose assertions failed.
    pub failed: u32,
    /// Tests (or collection) that raised an error outside assertions.
    pub errors: u32,
    /// Tests skipped (including expected failures).
    pub skipped: u32,
}

impl TestCounts {
    /// Every test counted.
    pub fn total(&self) -> u32 {
        self.passed + self.failed + self.errors + self.skipped
    }
}

/// Whether a test failed an assertion or errored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// An assertion (or `pytest.fail`) failed.
    Failure,
    /// An exception outside assertions, in set-up, teardown or collection.
    Error,
}

impl FailureKind {
    /// `failure` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failure => "failure",
            Self::Error => "error",
        }
    }
}

/// A test that did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedTest {
    /// pytest's node id where the report allows (`tests/test_books.py::test_create`).
    pub id: String,
    /// The file where it failed (the failing line of the project's own code or test), or
    /// the test's file.
    pub file: Option<String>,
    /// The 1-based line in [`FailedTest::file`].
    pub line: Option<u32>,
    /// Failure or error.
    pub kind: FailureKind,
    /// The first line of pytest's message.
    pub message: String,
}

impl FailedTest {
    /// `file:line`, `file`, or the id when the report has no location.
    pub fn location(&self) -> String {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => format!("{file}:{line}"),
            (Some(file), None) => file.clone(),
            _ => self.id.clone(),
        }
    }
}

/// What a JUnit report says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JunitReport {
    /// The counts.
    pub counts: TestCounts,
    /// Every test that did not pass, in report order.
    pub failed: Vec<FailedTest>,
}

/// The test case being read.
#[derive(Debug, Default)]
struct Case {
    classname: String,
    name: String,
    file: Option<String>,
    line: Option<u32>,
    outcome: Option<(FailureKind, String)>,
    text: String,
    skipped: bool,
}

/// Where we are inside a `<failure>`/`<error>` element, to collect its text.
#[derive(Debug, PartialEq, Eq)]
enum In {
    Nothing,
    Outcome,
}

/// Parses a JUnit XML report as pytest writes it.
///
/// # Errors
/// A one-line description of malformed XML.
pub fn parse_junit(xml: &str) -> Result<JunitReport, String> {
    let mut reader = Reader::from_str(xml);
    let mut report = JunitReport::default();
    let mut case: Option<Case> = None;
    let mut inside = In::Nothing;
    loop {
        let event = reader.read_event().map_err(|e| {
            format!(
                "malformed JUnit XML at byte {}: {e}",
                reader.buffer_position()
            )
        })?;
        match event {
            Event::Eof => break,
            Event::Start(e) => {
                inside = start(&e, &mut case, &mut report)?;
            }
            Event::Empty(e) => {
                start(&e, &mut case, &mut report)?;
                if e.name().as_ref() == b"testcase" {
                    finish(case.take(), &mut report);
                }
            }
            Event::Text(t) if inside == In::Outcome => {
                if let Some(c) = case.as_mut() {
                    let text = t
                        .decode()
                        .map_err(|e| format!("bad text in JUnit XML: {e}"))?;
                    c.text.push_str(&unescape_basic(&text));
                }
            }
            Event::CData(t) if inside == In::Outcome => {
                if let Some(c) = case.as_mut() {
                    c.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) if inside == In::Outcome => {
                if let Some(c) = case.as_mut() {
                    let name = String::from_utf8_lossy(&r);
                    c.text.push_str(&unescape_basic(&format!("&{name};")));
                }
            }
            Event::End(e) => match e.name().as_ref() {
                b"testcase" => finish(case.take(), &mut report),
                b"failure" | b"error" => inside = In::Nothing,
                _ => {}
            },
            _ => {}
        }
    }
    Ok(report)
}

/// Handles an opening (or empty) element; returns whether its text is an outcome's.
fn start(
    e: &BytesStart<'_>,
    case: &mut Option<Case>,
    report: &mut JunitReport,
) -> Result<In, String> {
    let attr = |key: &[u8]| -> Result<Option<String>, String> {
        for a in e.attributes() {
            let a = a.map_err(|err| format!("bad attribute in JUnit XML: {err}"))?;
            if a.key.as_ref() == key {
                let raw = String::from_utf8_lossy(&a.value).into_owned();
                return Ok(Some(unescape_basic(&raw)));
            }
        }
        Ok(None)
    };
    match e.name().as_ref() {
        b"testcase" => {
            *case = Some(Case {
                classname: attr(b"classname")?.unwrap_or_default(),
                name: attr(b"name")?.unwrap_or_default(),
                file: attr(b"file")?.filter(|f| !f.is_empty()),
                // pytest writes the 0-based line of the test's `def`.
                line: attr(b"line")?
                    .and_then(|l| l.parse::<u32>().ok())
                    .map(|l| l + 1),
                ..Case::default()
            });
            Ok(In::Nothing)
        }
        kind @ (b"failure" | b"error") => {
            if let Some(c) = case.as_mut() {
                // A failing test whose teardown also errors keeps its first outcome.
                if c.outcome.is_none() {
                    let kind = if kind == b"failure" {
                        FailureKind::Failure
                    } else {
                        FailureKind::Error
                    };
                    c.outcome = Some((kind, attr(b"message")?.unwrap_or_default()));
                }
                return Ok(In::Outcome);
            }
            // An error outside any test case: count it.
            report.counts.errors += 1;
            Ok(In::Nothing)
        }
        b"skipped" => {
            if let Some(c) = case.as_mut() {
                c.skipped = true;
            }
            Ok(In::Nothing)
        }
        _ => Ok(In::Nothing),
    }
}

fn finish(case: Option<Case>, report: &mut JunitReport) {
    let Some(case) = case else { return };
    let counts = &mut report.counts;
    let Some((kind, message)) = case.outcome else {
        if case.skipped {
            counts.skipped += 1;
        } else {
            counts.passed += 1;
        }
        return;
    };
    match kind {
        FailureKind::Failure => counts.failed += 1,
        FailureKind::Error => counts.errors += 1,
    }
    let id = match &case.file {
        Some(file) => {
            // classname is the dotted module path plus any classes: keep the classes.
            let module = file.trim_end_matches(".py").replace('/', ".");
            let classes = case
                .classname
                .strip_prefix(&module)
                .map(|rest| rest.trim_start_matches('.'))
                .unwrap_or_default();
            if classes.is_empty() {
                format!("{file}::{}", case.name)
            } else {
                format!("{file}::{}::{}", classes.replace('.', "::"), case.name)
            }
        }
        None if case.classname.is_empty() => case.name.clone(),
        None => format!("{}.{}", case.classname, case.name),
    };
    let (file, line) = match failing_line(&case.text) {
        Some((file, line)) => (Some(file), Some(line)),
        None => (case.file.clone(), case.line),
    };
    let first = message.lines().next().unwrap_or_default().trim();
    let message = if first.is_empty() {
        case.text
            .lines()
            .rev()
            .find(|l| l.starts_with("E "))
            .map(|l| l.trim_start_matches('E').trim().to_owned())
            .unwrap_or_default()
    } else {
        first.to_owned()
    };
    report.failed.push(FailedTest {
        id,
        file,
        line,
        kind,
        message: truncate(&message, 300),
    });
}

/// The last `path.py:LINE: ` line of a pytest traceback outside the runtime's packages:
/// where the project's code or test failed.
fn failing_line(text: &str) -> Option<(String, u32)> {
    text.lines().rev().find_map(|line| {
        let (path, rest) = line.split_once(".py:")?;
        let (number, _) = rest.split_once(':')?;
        let number = number.parse::<u32>().ok()?;
        let path = format!("{path}.py");
        if path.contains(char::is_whitespace)
            || path.starts_with("/opt/")
            || path.starts_with("/usr/")
        {
            return None;
        }
        Some((path.trim_start_matches("/app/").to_owned(), number))
    })
}

/// Resolves the five predefined entities and numeric character references.
fn unescape_basic(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|end| *end <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

pub(crate) fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max_chars).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(xml: &str, counts: (u32, u32, u32, u32), failed: &[(&str, &str, &str)]) {
        let report = parse_junit(xml).expect("valid XML");
        let c = report.counts;
        assert_eq!((c.passed, c.failed, c.errors, c.skipped), counts);
        let got: Vec<(String, String, String)> = report
            .failed
            .iter()
            .map(|f| (f.id.clone(), f.location(), f.message.clone()))
            .collect();
        let want: Vec<(String, String, String)> = failed
            .iter()
            .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn pytest_xunit1_report() {
        check(
            r#"<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="4" time="0.5">
<testcase classname="tests.test_books" name="test_list" file="tests/test_books.py" line="4" time="0.01" />
<testcase classname="tests.test_books" name="test_create" file="tests/test_books.py" line="9" time="0.02"><failure message="assert 404 == 201&#10; +  where 404 = &lt;Response [404]&gt;.status_code">def test_create():
&gt;       assert r.status_code == 201
E       assert 404 == 201

tests/test_books.py:12: AssertionError</failure></testcase>
<testcase classname="tests.test_books.TestPages" name="test_skip" file="tests/test_books.py" line="20" time="0.0"><skipped type="pytest.skip" message="later">tests/test_books.py:21: later</skipped></testcase>
<testcase classname="tests.test_books.TestPages" name="test_ok" file="tests/test_books.py" line="24" time="0.0"></testcase>
</testsuite></testsuites>"#,
            (2, 1, 0, 1),
            &[(
                "tests/test_books.py::test_create",
                "tests/test_books.py:12",
                "assert 404 == 201",
            )],
        );
    }

    #[test]
    fn errors_and_collection_failures() {
        check(
            r#"<testsuites><testsuite errors="2" failures="0" skipped="0" tests="2">
<testcase classname="" name="tests.test_broken" time="0.0"><error message="collection failure">ImportError while importing test module '/app/tests/test_broken.py'.
E   ModuleNotFoundError: No module named 'nope'</error></testcase>
<testcase classname="tests.test_db.TestX" name="test_y" file="tests/test_db.py" line="2"><error message="failed on setup with &quot;RuntimeError: no db&quot;">/opt/apiforge/python/site-packages/x.py:3: RuntimeError</error></testcase>
</testsuite></testsuites>"#,
            (0, 0, 2, 0),
            &[
                (
                    "tests.test_broken",
                    "tests.test_broken",
                    "collection failure",
                ),
                (
                    "tests/test_db.py::TestX::test_y",
                    "tests/test_db.py:3",
                    "failed on setup with \"RuntimeError: no db\"",
                ),
            ],
        );
    }

    #[test]
    fn malformed_xml_is_an_error() {
        assert!(parse_junit("<testsuite><testcase></testsuite>").is_err());
        assert_eq!(parse_junit("").map(|r| r.counts.total()), Ok(0));
    }

    #[test]
    fn entities() {
        assert_eq!(
            unescape_basic("a &lt;b&gt; &amp;&#10;&#x41; & c"),
            "a <b> &\nA & c"
        );
    }
}
