use std::time::Instant;

use apiforge_runtime::{FailureKind, Step, verify};

use crate::{edit, fixture, fixture_copy, runtime};

#[test]
fn green_project() {
    let runtime = runtime();
    let start = Instant::now();
    let report = verify(&fixture(), &runtime, None).expect("verification runs");
    eprintln!("verify (green fixture): {:?}", start.elapsed());
    for step in &report.steps {
        assert!(step.ok, "{:?} failed:\n{}", step.step, step.output);
    }
    assert!(report.ok(), "{report:#?}");
    assert_eq!(report.tests.passed, 3);
    assert_eq!(report.tests.total(), 3);
    assert!(report.failed_tests.is_empty() && report.ruff_findings.is_empty());
    // Nothing was written back into the project.
    assert!(!fixture().join("app/__pycache__").exists());
    assert!(!fixture().join(apiforge_runtime::SOCKET).exists());
}

#[test]
fn failing_test_is_named_with_its_line() {
    let runtime = runtime();
    let project = fixture_copy();
    edit(
        project.path(),
        "tests/test_books.py",
        "status_code == 404",
        "status_code == 410",
    );
    let report = verify(project.path(), &runtime, None).expect("verification runs");
    assert!(!report.ok());
    assert_eq!(report.step(Step::Tests).map(|s| s.ok), Some(false));
    assert_eq!(report.step(Step::RuffCheck).map(|s| s.ok), Some(true));
    assert_eq!((report.tests.passed, report.tests.failed), (2, 1));
    let failed = &report.failed_tests[0];
    assert_eq!(failed.id, "tests/test_books.py::test_missing_book_is_404");
    assert_eq!(failed.location(), "tests/test_books.py:18");
    assert_eq!(failed.kind, FailureKind::Failure);
    assert!(failed.message.contains("404 == 410"), "{failed:?}");
}

#[test]
fn lint_format_and_syntax_errors_are_reported() {
    let runtime = runtime();
    let project = fixture_copy();
    edit(
        project.path(),
        "app/main.py",
        "from fastapi import",
        "import os\nfrom fastapi import",
    );
    edit(project.path(), "app/__init__.py", "", "x  =  1\n");
    std::fs::write(project.path().join("app/broken.py"), "def f(:\n    pass\n").expect("write");
    let report = verify(project.path(), &runtime, None).expect("verification runs");
    assert!(!report.ok());
    assert!(
        report
            .ruff_findings
            .iter()
            .any(|f| f.starts_with("app/main.py:3:8: F401")),
        "{:?}",
        report.ruff_findings
    );
    assert!(
        report.unformatted.iter().any(|f| f == "app/__init__.py"),
        "{:?}",
        report.unformatted
    );
    let compile = report.step(Step::Compile).expect("compile ran");
    assert!(
        !compile.ok && compile.output.contains("broken.py"),
        "{}",
        compile.output
    );
    // The tests themselves still pass: the app does not import the broken module.
    assert_eq!(report.tests.passed, 3);
}

#[test]
fn collection_errors_count_as_errors() {
    let runtime = runtime();
    let project = fixture_copy();
    std::fs::write(
        project.path().join("tests/test_import.py"),
        "import not_a_module  # noqa: F401\n",
    )
    .expect("write");
    let report = verify(project.path(), &runtime, None).expect("verification runs");
    assert!(!report.ok());
    assert!(report.tests.errors >= 1, "{:?}", report.tests);
    assert!(
        report
            .failed_tests
            .iter()
            .any(|f| f.kind == FailureKind::Error && f.id.contains("test_import")),
        "{:?}",
        report.failed_tests
    );
}
