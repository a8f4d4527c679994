//! Versions: numbering, files, content-addressed blobs, reads through the tenant API.

use apiforge_store::testing::TestDb;
use apiforge_store::{NewFile, Ownership, ProjectId, Role, StoreError, sha256_hex};

use crate::{alice_and_bob, count, new_version, on_both, project_of};

async fn numbered_per_project(db: &TestDb) {
    let (alice, _) = alice_and_bob(db).await;
    let one = project_of(db, &alice, "One").await;
    let two = project_of(db, &alice, "Two").await;
    let v1 = db
        .add_version(&one.id, &new_version(&[]))
        .await
        .expect("v1");
    let v2 = db
        .add_version(&one.id, &new_version(&[]))
        .await
        .expect("v2");
    let other = db
        .add_version(&two.id, &new_version(&[]))
        .await
        .expect("other");
    assert_eq!((v1.number, v2.number, other.number), (1, 2, 1));
    assert_eq!(v1.project_id, one.id);
    assert_eq!(v1.job_id.as_deref(), Some("job-1"));
    assert!(!v1.verified);
    let (project, _) = db
        .tenant(&alice)
        .project(&one.id)
        .await
        .expect("get")
        .expect("visible");
    assert_eq!(project.current_version, Some(2));
    let listed = db.tenant(&alice).versions(&one.id).await.expect("list");
    let numbers: Vec<i64> = listed.iter().map(|v| v.number).collect();
    assert_eq!(numbers, [2, 1], "newest first");
    assert!(!listed[1].has_test_report);
    assert_eq!(
        db.tenant(&alice).version(&one.id, 2).await.expect("get"),
        Some(v2.clone())
    );
    assert_eq!(
        db.tenant(&alice).version(&one.id, 3).await.expect("get"),
        None
    );
    assert!(matches!(
        db.add_version(&ProjectId::new(), &new_version(&[])).await,
        Err(StoreError::NotFound { .. })
    ));

    db.set_version_report(&v2.id, r#"{"passed":3}"#, true)
        .await
        .expect("report");
    let v2 = db
        .version_system(&one.id, 2)
        .await
        .expect("get")
        .expect("exists");
    assert!(v2.verified);
    assert_eq!(v2.test_report.as_deref(), Some(r#"{"passed":3}"#));
    let listed = db.tenant(&alice).versions(&one.id).await.expect("list");
    assert!(listed[0].has_test_report && listed[0].verified);
}

async fn concurrent_adds_get_distinct_numbers(db: &TestDb) {
    let (alice, _) = alice_and_bob(db).await;
    let project = project_of(db, &alice, "Busy").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..6u8 {
        let db = db.db().clone();
        let id = project.id.clone();
        tasks.spawn(async move {
            db.add_version(&id, &new_version(&[("same.txt", &[i])]))
                .await
                .map(|v| v.number)
        });
    }
    let mut numbers = Vec::new();
    while let Some(result) = tasks.join_next().await {
        numbers.push(result.expect("task").expect("add"));
    }
    numbers.sort_unstable();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6]);
}

async fn files_and_shared_blobs(db: &TestDb) {
    let (alice, bob) = alice_and_bob(db).await;
    let project = project_of(db, &alice, "Files").await;
    let binary: &[u8] = &[0, 159, 146, 150, 255];
    let mut first = new_version(&[("app/main.py", b"print(1)\n"), ("logo.bin", binary)]);
    first.files.push(NewFile {
        path: "app/hooks/books.py".to_owned(),
        contents: b"# yours\n".to_vec(),
        ownership: Ownership::User,
    });
    db.add_version(&project.id, &first).await.expect("v1");
    // v2 changes one file and keeps the others: only the new content is stored.
    let second = new_version(&[
        ("app/main.py", b"print(2)\n"),
        ("logo.bin", binary),
        ("copy.bin", binary),
    ]);
    db.add_version(&project.id, &second).await.expect("v2");
    assert_eq!(count(db, "blobs").await, 4);
    assert_eq!(count(db, "version_files").await, 6);

    let files = db
        .tenant(&alice)
        .files(&project.id, 1)
        .await
        .expect("files");
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["app/hooks/books.py", "app/main.py", "logo.bin"]);
    assert_eq!(files[0].ownership, Ownership::User);
    assert_eq!(files[1].ownership, Ownership::Generated);
    assert_eq!(files[2].sha256, sha256_hex(binary));
    assert_eq!(files[2].size, 5);
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let as_alice = db.tenant(&alice);
    assert_eq!(
        as_alice
            .file_content(&project.id, 1, "logo.bin")
            .await
            .expect("content")
            .as_deref(),
        Some(binary)
    );
    assert_eq!(
        as_alice
            .file_content(&project.id, 2, "app/main.py")
            .await
            .expect("content")
            .as_deref(),
        Some(&b"print(2)\n"[..])
    );
    assert_eq!(
        as_alice
            .file_content(&project.id, 1, "copy.bin")
            .await
            .expect("content"),
        None
    );
    assert_eq!(
        as_alice
            .file_content(&project.id, 3, "logo.bin")
            .await
            .expect("content"),
        None
    );
    assert!(matches!(
        as_alice.files(&project.id, 3).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        db.blob(&sha256_hex(binary)).await.expect("blob").as_deref(),
        Some(binary)
    );

    // The worker reads a version's files with their contents.
    let v1 = db
        .version_system(&project.id, 1)
        .await
        .expect("get")
        .expect("exists");
    let with_content = db.version_files_system(&v1.id).await.expect("files");
    assert_eq!(with_content.len(), 3);
    assert_eq!(with_content[2].1, binary);

    // Others see none of it; a viewer sees all of it.
    let as_bob = db.tenant(&bob);
    assert!(matches!(
        as_bob.versions(&project.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        as_bob.files(&project.id, 1).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(as_bob.version(&project.id, 1).await.expect("get"), None);
    assert_eq!(
        as_bob
            .file_content(&project.id, 1, "logo.bin")
            .await
            .expect("content"),
        None
    );
    as_alice
        .add_member(&project.id, &bob, Role::Viewer)
        .await
        .expect("share");
    assert_eq!(as_bob.versions(&project.id).await.expect("list").len(), 2);
    assert_eq!(as_bob.files(&project.id, 1).await.expect("files"), files);
    assert!(
        as_bob
            .file_content(&project.id, 1, "logo.bin")
            .await
            .expect("content")
            .is_some()
    );
}

async fn a_bad_version_stores_nothing(db: &TestDb) {
    let (alice, _) = alice_and_bob(db).await;
    let project = project_of(db, &alice, "Bad").await;
    let twice = new_version(&[("a.txt", b"1"), ("a.txt", b"2")]);
    assert!(matches!(
        db.add_version(&project.id, &twice).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(count(db, "versions").await, 0);
    assert_eq!(count(db, "blobs").await, 0);
    let (project, _) = db
        .tenant(&alice)
        .project(&project.id)
        .await
        .expect("get")
        .expect("visible");
    assert_eq!(project.current_version, None);
}

on_both!(
    numbered_per_project,
    concurrent_adds_get_distinct_numbers,
    files_and_shared_blobs,
    a_bad_version_stores_nothing,
);
