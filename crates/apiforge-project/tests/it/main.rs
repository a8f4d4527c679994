//! A generated project on disk: every branch of writing and regenerating, on real temp dirs.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use apiforge_codegen::{GeneratedFile, LOCK_PATH, Project, Target};
use apiforge_project::{
    Action, DirState, Lock, MANIFEST_PATH, ProjectError, Report, inspect, regenerate, sha256_hex,
    write_new,
};

fn project(files: Vec<GeneratedFile>) -> Project {
    let mut files = files;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Project {
        target: Target::FastApi,
        manifest_sha256: sha256_hex(format!("{files:?}").as_bytes()),
        files,
    }
}

/// A small project: two generated files (one nested) and a user hook.
fn v1() -> Project {
    project(vec![
        GeneratedFile::generated("app/models.py", "class Book:\n    title: str\n"),
        GeneratedFile::generated("openapi.yaml", "openapi: 3.1.0\npaths: {}\n"),
        GeneratedFile::user("app/hooks/books.py", "# your code\n"),
    ])
}

/// v1 with a field added to the model.
fn v2() -> Project {
    project(vec![
        GeneratedFile::generated(
            "app/models.py",
            "class Book:\n    title: str\n    isbn: str\n",
        ),
        GeneratedFile::generated("openapi.yaml", "openapi: 3.1.0\npaths: {}\n"),
        GeneratedFile::user("app/hooks/books.py", "# your code, v2 template\n"),
    ])
}

fn read(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

fn lock(dir: &Path) -> Lock {
    Lock::read(dir)
        .expect("lock readable")
        .expect("lock present")
}

/// (inode, mtime) of a file: both stay the same when it is not rewritten.
fn stamp(dir: &Path, path: &str) -> (u64, i64, i64) {
    let metadata = std::fs::metadata(dir.join(path)).expect("stat");
    (metadata.ino(), metadata.mtime(), metadata.mtime_nsec())
}

fn actions(report: &Report) -> Vec<(&str, &str)> {
    report
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.action.as_str()))
        .collect()
}

fn new_dir() -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("project");
    (temp, dir)
}

#[test]
fn writes_a_new_project_with_its_lock() {
    let (_temp, dir) = new_dir();
    assert_eq!(inspect(&dir).ok(), Some(DirState::Missing));
    let report = write_new(&dir, &v1(), false).expect("written");
    assert!(!report.regenerated);
    assert!(report.lock_written);
    assert_eq!(
        actions(&report),
        [
            ("app/hooks/books.py", "created"),
            ("app/models.py", "created"),
            ("openapi.yaml", "created"),
        ]
    );
    assert_eq!(read(&dir, "app/models.py"), "class Book:\n    title: str\n");
    let lock = lock(&dir);
    assert_eq!(lock.target, "fastapi");
    assert_eq!(lock.manifest_sha256, v1().manifest_sha256);
    assert!(lock.generator.starts_with("apiforge "));
    // Generated files only, with the sha of the bytes on disk.
    assert_eq!(
        lock.files.keys().map(String::as_str).collect::<Vec<_>>(),
        ["app/models.py", "openapi.yaml"]
    );
    for (path, sha) in &lock.files {
        let bytes = std::fs::read(dir.join(path)).expect("read");
        assert_eq!(&sha256_hex(&bytes), sha, "{path}");
    }
    let text = read(&dir, LOCK_PATH);
    assert!(
        text.starts_with("{\n  \"generator\": \"apiforge "),
        "{text}"
    );
    assert!(text.ends_with("}\n"));
    assert!(matches!(inspect(&dir), Ok(DirState::Project(_))));
    // No temporary file is left behind.
    let leftovers: Vec<_> = walk(&dir)
        .into_iter()
        .filter(|p| p.contains("apiforge-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("list") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(
                    path.strip_prefix(dir)
                        .expect("inside")
                        .display()
                        .to_string(),
                );
            }
        }
    }
    out.sort();
    out
}

#[test]
fn an_empty_directory_is_accepted() {
    let temp = tempfile::tempdir().expect("temp dir");
    assert_eq!(inspect(temp.path()).ok(), Some(DirState::Empty));
    write_new(temp.path(), &v1(), false).expect("written");
}

#[test]
fn a_non_empty_directory_is_refused_unless_forced() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(dir, "notes.txt", "mine\n");
    write(dir, "openapi.yaml", "openapi: 3.1.0\npaths: {}\n"); // same bytes as v1's
    write(dir, "app/models.py", "something else\n");
    write(dir, "app/hooks/books.py", "my hook\n");
    assert_eq!(inspect(dir).ok(), Some(DirState::NotEmpty));
    let error = write_new(dir, &v1(), false).expect_err("refused");
    assert!(matches!(error, ProjectError::NotEmpty { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("is not empty") && message.contains("--force"),
        "{message}"
    );
    assert_eq!(
        read(dir, "app/models.py"),
        "something else\n",
        "nothing written"
    );
    assert!(!dir.join(LOCK_PATH).exists());

    let report = write_new(dir, &v1(), true).expect("forced");
    assert_eq!(
        actions(&report),
        [
            ("app/hooks/books.py", "kept"),
            ("app/models.py", "overwritten"),
            ("openapi.yaml", "unchanged"),
        ]
    );
    assert_eq!(
        read(dir, "notes.txt"),
        "mine\n",
        "unrelated files untouched"
    );
    assert_eq!(
        read(dir, "app/hooks/books.py"),
        "my hook\n",
        "user file kept"
    );
    assert_eq!(read(dir, "app/models.py"), "class Book:\n    title: str\n");
    assert_eq!(report.diffs.len(), 1);
    assert_eq!(report.diffs[0].path, "app/models.py");
}

#[test]
fn a_file_where_the_directory_should_be_is_refused() {
    let temp = tempfile::tempdir().expect("temp dir");
    let file = temp.path().join("file");
    write(temp.path(), "file", "x");
    for dir in [file.clone(), file.join("project")] {
        let error = write_new(&dir, &v1(), false).expect_err("refused");
        assert!(
            matches!(error, ProjectError::NotADirectory { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("is not a directory"));
    }
}

#[test]
fn writing_new_over_a_project_is_refused_unless_forced() {
    let (_temp, dir) = new_dir();
    write_new(&dir, &v1(), false).expect("written");
    let error = write_new(&dir, &v1(), false).expect_err("refused");
    assert!(
        matches!(error, ProjectError::AlreadyAProject { .. }),
        "{error}"
    );
    write_new(&dir, &v2(), true).expect("forced");
    assert_eq!(
        read(&dir, "app/models.py"),
        "class Book:\n    title: str\n    isbn: str\n"
    );
}

#[test]
fn regenerating_the_same_project_touches_nothing() {
    let (_temp, dir) = new_dir();
    write_new(&dir, &v1(), false).expect("written");
    let paths = [
        "app/models.py",
        "openapi.yaml",
        "app/hooks/books.py",
        LOCK_PATH,
    ];
    let before: Vec<_> = paths.iter().map(|p| stamp(&dir, p)).collect();
    let report = regenerate(&dir, &v1(), false).expect("regenerated");
    assert!(report.regenerated);
    assert!(!report.lock_written);
    assert!(!report.changed_anything());
    assert!(report.diffs.is_empty());
    assert!(
        report.files.iter().all(|f| f.action == Action::Unchanged),
        "{report:?}"
    );
    let after: Vec<_> = paths.iter().map(|p| stamp(&dir, p)).collect();
    assert_eq!(before, after, "inode and mtime unchanged");
}

#[test]
fn regenerating_needs_a_lock_and_the_same_target() {
    let temp = tempfile::tempdir().expect("temp dir");
    let error = regenerate(temp.path(), &v1(), false).expect_err("no lock");
    assert!(matches!(error, ProjectError::NotAProject { .. }), "{error}");
    write_new(temp.path(), &v1(), false).expect("written");
    let text = read(temp.path(), LOCK_PATH).replace("\"fastapi\"", "\"express\"");
    write(temp.path(), LOCK_PATH, &text);
    let error = regenerate(temp.path(), &v1(), false).expect_err("other target");
    assert_eq!(
        error.to_string().lines().next(),
        Some(
            format!(
                "{} was generated for express, not fastapi",
                temp.path().display()
            )
            .as_str()
        )
    );
}

#[test]
fn a_broken_lock_is_reported() {
    let temp = tempfile::tempdir().expect("temp dir");
    write(temp.path(), LOCK_PATH, "{ broken");
    let error = inspect(temp.path()).expect_err("bad lock");
    assert!(matches!(error, ProjectError::BadLock { .. }), "{error}");
    let escaping = format!(
        r#"{{"generator":"g","target":"fastapi","manifest_sha256":"","files":{{"../victim":"{}"}}}}"#,
        "0".repeat(64)
    );
    write(temp.path(), LOCK_PATH, &escaping);
    let error = regenerate(temp.path(), &v1(), false).expect_err("unsafe lock");
    assert!(error.to_string().contains("unsafe path"), "{error}");
}

#[test]
fn unedited_changed_files_are_updated_with_a_diff() {
    let (_temp, dir) = new_dir();
    write_new(&dir, &v1(), false).expect("written");
    let yaml = stamp(&dir, "openapi.yaml");
    let report = regenerate(&dir, &v2(), false).expect("regenerated");
    assert_eq!(
        actions(&report),
        [
            // v2's hook template differs, but a user file is never rewritten.
            ("app/hooks/books.py", "kept"),
            ("app/models.py", "updated"),
            ("openapi.yaml", "unchanged"),
        ]
    );
    assert_eq!(
        stamp(&dir, "openapi.yaml"),
        yaml,
        "same content: not rewritten"
    );
    assert_eq!(
        read(&dir, "app/models.py"),
        "class Book:\n    title: str\n    isbn: str\n"
    );
    assert_eq!(
        read(&dir, "app/hooks/books.py"),
        "# your code\n",
        "user file never rewritten"
    );
    assert_eq!(report.diffs.len(), 1);
    let diff = &report.diffs[0];
    assert_eq!((diff.added, diff.removed), (1, 0));
    assert!(
        diff.unified.contains("+    isbn: str\n"),
        "{}",
        diff.unified
    );
    assert!(report.lock_written);
    assert_eq!(lock(&dir).manifest_sha256, v2().manifest_sha256);
}

/// The scenario of issue 4: the user edited a generated file and a user module, the manifest
/// changed (a field added), and the project is regenerated.
#[test]
fn edits_survive_a_regeneration_as_conflicts() {
    let (_temp, dir) = new_dir();
    write_new(&dir, &v1(), false).expect("written");
    let edited = "class Book:\n    title: str  # my tweak\n";
    write(&dir, "app/models.py", edited);
    write(&dir, "app/hooks/books.py", "def before_create(book): ...\n");
    let v1_sha = lock(&dir).files["app/models.py"].clone();

    let report = regenerate(&dir, &v2(), false).expect("regenerated");
    assert_eq!(
        actions(&report),
        [
            ("app/hooks/books.py", "kept"),
            ("app/models.py", "conflict"),
            ("openapi.yaml", "unchanged"),
        ]
    );
    assert_eq!(report.conflicts().len(), 1);
    assert_eq!(report.files[1].action, Action::ConflictEdited);
    assert_eq!(read(&dir, "app/models.py"), edited, "edit left alone");
    assert_eq!(
        read(&dir, "app/hooks/books.py"),
        "def before_create(book): ...\n"
    );
    // The diff shows what regenerating would change in the user's version.
    let diff = &report.diffs[0];
    assert_eq!(diff.action, Action::ConflictEdited);
    assert!(
        diff.unified.contains("-    title: str  # my tweak\n"),
        "{}",
        diff.unified
    );
    assert!(
        diff.unified.contains("+    isbn: str\n"),
        "{}",
        diff.unified
    );
    // The lock keeps what apiforge last wrote there, so the file stays a conflict…
    let lock_after = lock(&dir);
    assert_eq!(lock_after.files["app/models.py"], v1_sha);
    assert_eq!(lock_after.manifest_sha256, v2().manifest_sha256);
    let again = regenerate(&dir, &v2(), false).expect("regenerated");
    assert_eq!(again.conflicts().len(), 1);
    // …until the user restores the generated version: then it is regenerable again.
    write(&dir, "app/models.py", "class Book:\n    title: str\n");
    let restored = regenerate(&dir, &v2(), false).expect("regenerated");
    assert_eq!(restored.files[1].action, Action::Updated);
    assert_eq!(
        read(&dir, "app/models.py"),
        "class Book:\n    title: str\n    isbn: str\n"
    );
}

#[test]
fn force_overwrites_edited_generated_files_but_never_user_files() {
    let (_temp, dir) = new_dir();
    write_new(&dir, &v1(), false).expect("written");
    write(&dir, "app/models.py", "edited\n");
    write(&dir, "app/hooks/books.py", "my hook\n");
    let report = regenerate(&dir, &v2(), true).expect("regenerated");
    assert_eq!(report.paths(Action::Overwritten), ["app/models.py"]);
    assert_eq!(report.paths(Action::KeptUser), ["app/hooks/books.py"]);
    assert_eq!(
        read(&dir, "app/models.py"),
        "class Book:\n    title: str\n    isbn: str\n"
    );
    assert_eq!(read(&dir, "app/hooks/books.py"), "my hook\n");
    assert_eq!(
        lock(&dir).files["app/models.py"],
        sha256_hex(b"class Book:\n    title: str\n    isbn: str\n")
    );
}

#[test]
fn an_edit_the_generator_does_not_touch_is_not_a_conflict() {
    let (_temp, dir) = new_dir();
    write_new(&dir, &v1(), false).expect("written");
    write(&dir, "openapi.yaml", "openapi: 3.1.0\npaths: {} # mine\n");
    let report = regenerate(&dir, &v2(), false).expect("regenerated");
    let yaml = report
        .files
        .iter()
        .find(|f| f.path == "openapi.yaml")
        .expect("listed");
    assert_eq!(yaml.action, Action::EditedUnchanged);
    assert!(report.conflicts().is_empty());
    assert!(report.diffs.iter().all(|d| d.path != "openapi.yaml"));
    assert_eq!(
        read(&dir, "openapi.yaml"),
        "openapi: 3.1.0\npaths: {} # mine\n"
    );
}

#[test]
fn a_file_apiforge_did_not_write_is_a_conflict() {
    let (_temp, dir) = new_dir();
    write_new(&dir, &v1(), false).expect("written");
    let mut v3 = v1();
    v3.files
        .push(GeneratedFile::generated("README.md", "# Library\n"));
    write(&dir, "README.md", "my readme\n");
    let report = regenerate(&dir, &v3, false).expect("regenerated");
    assert_eq!(report.paths(Action::ConflictUntracked), ["README.md"]);
    assert_eq!(read(&dir, "README.md"), "my readme\n");
    assert!(
        !lock(&dir).files.contains_key("README.md"),
        "apiforge never wrote it"
    );
}

#[test]
fn files_no_longer_generated_are_deleted_unless_edited() {
    let (_temp, dir) = new_dir();
    let mut v3 = v1();
    v3.files
        .push(GeneratedFile::generated("app/api/authors.py", "authors\n"));
    v3.files
        .push(GeneratedFile::generated("app/api/loans.py", "loans\n"));
    v3.files
        .push(GeneratedFile::generated("tests/test_loans.py", "test\n"));
    v3.files
        .push(GeneratedFile::generated("extra/deep/only.py", "only\n"));
    write_new(&dir, &v3, false).expect("written");
    write(&dir, "app/api/authors.py", "authors, edited\n");
    std::fs::remove_file(dir.join("tests/test_loans.py")).expect("rm");
    let report = regenerate(&dir, &v1(), false).expect("regenerated");
    assert_eq!(
        report.paths(Action::Deleted),
        ["app/api/loans.py", "extra/deep/only.py"]
    );
    assert_eq!(
        report.paths(Action::NoLongerGenerated),
        ["app/api/authors.py"]
    );
    assert!(!dir.join("app/api/loans.py").exists());
    assert_eq!(read(&dir, "app/api/authors.py"), "authors, edited\n");
    // Directories emptied by a deletion are removed; the project directory stays.
    assert!(!dir.join("extra").exists());
    assert!(dir.join("app/api").is_dir());
    // A file the user already deleted is simply not reported.
    assert!(report.files.iter().all(|f| f.path != "tests/test_loans.py"));
    let files = lock(&dir).files;
    assert!(!files.contains_key("app/api/authors.py") && !files.contains_key("app/api/loans.py"));
}

#[test]
fn deleted_files_are_recreated() {
    let (_temp, dir) = new_dir();
    write_new(&dir, &v1(), false).expect("written");
    std::fs::remove_file(dir.join("app/hooks/books.py")).expect("rm");
    std::fs::remove_file(dir.join("openapi.yaml")).expect("rm");
    let report = regenerate(&dir, &v1(), false).expect("regenerated");
    assert_eq!(
        report.paths(Action::Created),
        ["app/hooks/books.py", "openapi.yaml"]
    );
}

#[test]
fn symbolic_links_inside_the_project_are_never_followed() {
    let temp = tempfile::tempdir().expect("temp dir");
    let outside = temp.path().join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    let dir = temp.path().join("project");
    write_new(&dir, &v1(), false).expect("written");

    // A directory on the way replaced by a link to a directory outside.
    std::fs::remove_dir_all(dir.join("app")).expect("rm");
    std::os::unix::fs::symlink(&outside, dir.join("app")).expect("symlink");
    let error = regenerate(&dir, &v1(), false).expect_err("refused");
    assert!(matches!(error, ProjectError::Symlink { .. }), "{error}");
    assert!(error.to_string().contains("refusing to write through it"));
    assert_eq!(
        std::fs::read_dir(&outside).expect("list").count(),
        0,
        "nothing outside"
    );
    std::fs::remove_file(dir.join("app")).expect("rm link");

    // The file itself replaced by a link to a file outside.
    let victim = outside.join("victim");
    std::fs::write(&victim, "precious\n").expect("write");
    std::fs::remove_file(dir.join("openapi.yaml")).expect("rm");
    std::os::unix::fs::symlink(&victim, dir.join("openapi.yaml")).expect("symlink");
    let error = regenerate(&dir, &v2(), true).expect_err("refused");
    assert!(matches!(error, ProjectError::Symlink { .. }), "{error}");
    assert_eq!(read(&outside, "victim"), "precious\n");

    // A link planted at the lock file's directory.
    let (_temp2, fresh) = new_dir();
    std::fs::create_dir_all(&fresh).expect("mkdir");
    std::os::unix::fs::symlink(&outside, fresh.join(".apiforge")).expect("symlink");
    let error = write_new(&fresh, &v1(), true).expect_err("refused");
    assert!(matches!(error, ProjectError::Symlink { .. }), "{error}");
    assert!(!outside.join("lock.json").exists());
}

#[test]
fn a_directory_where_a_file_belongs_is_in_the_way() {
    let (_temp, dir) = new_dir();
    write_new(&dir, &v1(), false).expect("written");
    std::fs::remove_file(dir.join("openapi.yaml")).expect("rm");
    std::fs::create_dir(dir.join("openapi.yaml")).expect("mkdir");
    let error = regenerate(&dir, &v1(), false).expect_err("refused");
    assert!(matches!(error, ProjectError::InTheWay { .. }), "{error}");
}

#[test]
fn unsafe_project_paths_are_refused_before_writing() {
    let (_temp, dir) = new_dir();
    let bad = project(vec![
        GeneratedFile::generated("a.py", "a\n"),
        GeneratedFile::generated("../escape.py", "x\n"),
    ]);
    let error = write_new(&dir, &bad, false).expect_err("refused");
    assert!(error.is_internal(), "{error}");
    assert!(!dir.join("a.py").exists(), "nothing written");
    assert!(!dir.parent().expect("parent").join("escape.py").exists());
}

#[test]
fn a_kept_files_permissions_survive_an_update() {
    use std::os::unix::fs::PermissionsExt;
    let (_temp, dir) = new_dir();
    write_new(&dir, &v1(), false).expect("written");
    let path = dir.join("app/models.py");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    regenerate(&dir, &v2(), false).expect("regenerated");
    let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
    assert_eq!(mode & 0o777, 0o755);
}

/// With a real manifest: the manifest file is part of the project, so a changed manifest
/// shows as a readable diff.
#[test]
fn the_manifest_file_diffs_when_a_field_is_added() {
    let (_temp, dir) = new_dir();
    let manifest = apiforge_planner::plan_prompt("Books have a title.").expect("planned");
    let mut first = apiforge_codegen::generate(&manifest, Target::FastApi).expect("generated");
    apiforge_project::add_manifest(&mut first, &manifest);
    assert!(first.file(MANIFEST_PATH).is_some());
    write_new(&dir, &first, false).expect("written");
    let manifest2 =
        apiforge_planner::plan_prompt("Books have a title and an isbn.").expect("planned");
    let mut second = apiforge_codegen::generate(&manifest2, Target::FastApi).expect("generated");
    apiforge_project::add_manifest(&mut second, &manifest2);
    let report = regenerate(&dir, &second, false).expect("regenerated");
    let diff = report
        .diffs
        .iter()
        .find(|d| d.path == MANIFEST_PATH)
        .expect("the manifest changed");
    assert!(diff.unified.contains("\"isbn\""), "{}", diff.unified);
    assert!(report.paths(Action::Updated).contains(&"openapi.yaml"));
    // The manifest file reads back as the same manifest.
    let again =
        apiforge_manifest::Manifest::parse_json(&read(&dir, MANIFEST_PATH)).expect("parses");
    assert_eq!(again.hash(), manifest2.hash());
    assert_eq!(lock(&dir).manifest_sha256, manifest2.hash());
}
