//! Projects, members and roles through the tenant API, and the worker's system calls.

use apiforge_store::testing::TestDb;
use apiforge_store::{
    NewProject, ProjectId, ProjectStatus, Role, SourceKind, StoreError, Target, UserId,
};

use crate::{alice_and_bob, new_version, on_both, project_of, user};

async fn create_list_get(db: &TestDb) {
    let (alice, bob) = alice_and_bob(db).await;
    let first = db
        .tenant(&alice)
        .create_project(&NewProject {
            name: "Sales".to_owned(),
            description: "from a CSV".to_owned(),
            target: Target::Express,
            source_kind: SourceKind::Csv,
            source: "id,total\n1,2\n".to_owned(),
        })
        .await
        .expect("create");
    assert_eq!(first.owner_id, alice);
    assert_eq!(
        (first.target, first.source_kind),
        (Target::Express, SourceKind::Csv)
    );
    assert_eq!(first.status, ProjectStatus::Queued);
    assert_eq!(
        (first.current_version, first.last_job_id.as_deref()),
        (None, None)
    );
    assert_eq!(first.source, "id,total\n1,2\n");
    let second = project_of(db, &alice, "Library").await;

    let listed = db.tenant(&alice).projects().await.expect("list");
    let ids: Vec<&ProjectId> = listed.iter().map(|p| &p.id).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&&first.id) && ids.contains(&&second.id));
    assert!(listed.iter().all(|p| p.role == Role::Owner));

    let (got, role) = db
        .tenant(&alice)
        .project(&first.id)
        .await
        .expect("get")
        .expect("visible to its owner");
    assert_eq!((got, role), (first.clone(), Role::Owner));
    assert_eq!(
        db.tenant(&alice).role(&first.id).await.expect("role"),
        Some(Role::Owner)
    );

    // Bob sees nothing of alice's.
    assert!(db.tenant(&bob).projects().await.expect("list").is_empty());
    assert_eq!(db.tenant(&bob).project(&first.id).await.expect("get"), None);
    assert_eq!(db.tenant(&bob).role(&first.id).await.expect("role"), None);
    assert_eq!(
        db.tenant(&alice)
            .project(&ProjectId::new())
            .await
            .expect("get"),
        None
    );
}

async fn members_and_roles(db: &TestDb) {
    let (alice, bob) = alice_and_bob(db).await;
    let carol = user(db, "carol@example.com").await.id;
    let project = project_of(db, &alice, "Shared").await;
    let id = &project.id;
    let (as_alice, as_bob, as_carol) = (db.tenant(&alice), db.tenant(&bob), db.tenant(&carol));

    let member = as_alice
        .add_member(id, &bob, Role::Viewer)
        .await
        .expect("share");
    assert_eq!(
        (member.email.as_str(), member.role),
        ("bob@example.com", Role::Viewer)
    );
    let (_, role) = as_bob.project(id).await.expect("get").expect("now visible");
    assert_eq!(role, Role::Viewer);
    let listed = as_bob.projects().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].role, Role::Viewer);

    // A viewer reads members but manages nothing.
    let members = as_bob.members(id).await.expect("members");
    let emails: Vec<&str> = members.iter().map(|m| m.email.as_str()).collect();
    assert_eq!(emails, ["alice@example.com", "bob@example.com"]);
    assert_eq!(members[0].role, Role::Owner);
    assert!(matches!(
        as_bob.add_member(id, &carol, Role::Viewer).await,
        Err(StoreError::Forbidden {
            needed: Role::Owner,
            ..
        })
    ));
    assert!(matches!(
        as_bob.delete_project(id).await,
        Err(StoreError::Forbidden {
            needed: Role::Owner,
            ..
        })
    ));
    assert!(matches!(
        as_bob.remove_member(id, &alice).await,
        Err(StoreError::Forbidden { .. })
    ));

    // A stranger learns nothing, not even that the project exists.
    assert!(matches!(
        as_carol.members(id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        as_carol.add_member(id, &carol, Role::Owner).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        as_carol.delete_project(id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        as_alice
            .add_member(&ProjectId::new(), &bob, Role::Viewer)
            .await,
        Err(StoreError::NotFound { .. })
    ));

    // Owners change roles; unknown users and the creator are refused.
    let promoted = as_alice
        .add_member(id, &bob, Role::Editor)
        .await
        .expect("promote");
    assert_eq!(promoted.role, Role::Editor);
    assert_eq!(as_bob.role(id).await.expect("role"), Some(Role::Editor));
    assert!(matches!(
        as_bob.add_member(id, &carol, Role::Viewer).await,
        Err(StoreError::Forbidden { .. })
    ));
    assert!(matches!(
        as_alice.add_member(id, &UserId::new(), Role::Viewer).await,
        Err(StoreError::NotFound { what: "user" })
    ));
    assert!(matches!(
        as_alice.add_member(id, &alice, Role::Viewer).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        as_alice.remove_member(id, &alice).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(as_alice.members(id).await.expect("members").len(), 2);

    // A second owner may share too.
    as_alice
        .add_member(id, &bob, Role::Owner)
        .await
        .expect("promote");
    as_bob
        .add_member(id, &carol, Role::Viewer)
        .await
        .expect("share");
    assert_eq!(as_carol.role(id).await.expect("role"), Some(Role::Viewer));

    // Removing a member hides the project again.
    as_alice.remove_member(id, &carol).await.expect("remove");
    assert_eq!(as_carol.project(id).await.expect("get"), None);
    assert!(matches!(
        as_alice.remove_member(id, &carol).await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn owner_deletes_with_everything(db: &TestDb) {
    let (alice, bob) = alice_and_bob(db).await;
    let project = project_of(db, &alice, "Doomed").await;
    let kept = project_of(db, &alice, "Kept").await;
    db.tenant(&alice)
        .add_member(&project.id, &bob, Role::Editor)
        .await
        .expect("share");
    db.add_version(&project.id, &new_version(&[("only/here.txt", b"unique")]))
        .await
        .expect("version");
    db.add_version(&kept.id, &new_version(&[("shared.txt", b"shared")]))
        .await
        .expect("version");
    db.add_version(&project.id, &new_version(&[("shared.txt", b"shared")]))
        .await
        .expect("version");
    assert!(matches!(
        db.tenant(&bob).delete_project(&project.id).await,
        Err(StoreError::Forbidden { .. })
    ));
    db.tenant(&alice)
        .delete_project(&project.id)
        .await
        .expect("delete");
    assert_eq!(
        db.tenant(&alice).project(&project.id).await.expect("get"),
        None
    );
    assert_eq!(
        db.tenant(&bob).project(&project.id).await.expect("get"),
        None
    );
    assert_eq!(db.project_system(&project.id).await.expect("get"), None);
    assert_eq!(db.version_system(&project.id, 1).await.expect("get"), None);
    assert_eq!(crate::count(db, "project_members").await, 1);
    assert_eq!(crate::count(db, "version_files").await, 1);
    // Blobs outlive the versions until pruned; shared ones stay.
    assert_eq!(crate::count(db, "blobs").await, 2);
    assert_eq!(db.prune_blobs().await.expect("prune"), 1);
    assert_eq!(crate::count(db, "blobs").await, 1);
    assert!(
        db.tenant(&alice)
            .file_content(&kept.id, 1, "shared.txt")
            .await
            .expect("content")
            .is_some()
    );
}

async fn worker_system_calls(db: &TestDb) {
    let (alice, bob) = alice_and_bob(db).await;
    let project = project_of(db, &alice, "Worked").await;
    let seen = db
        .project_system(&project.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(seen, project);
    db.set_project_job(&project.id, "job-42")
        .await
        .expect("job");
    db.set_project_status(&project.id, ProjectStatus::Running)
        .await
        .expect("status");
    let seen = db
        .project_system(&project.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(seen.status, ProjectStatus::Running);
    assert_eq!(seen.last_job_id.as_deref(), Some("job-42"));
    assert!(seen.updated_at >= project.updated_at);
    assert_eq!(
        db.project_role(&project.id, &alice).await.expect("role"),
        Some(Role::Owner)
    );
    assert_eq!(
        db.project_role(&project.id, &bob).await.expect("role"),
        None
    );
    assert!(matches!(
        db.set_project_status(&ProjectId::new(), ProjectStatus::Ready)
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        db.set_project_job(&ProjectId::new(), "job").await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn editors_change_the_source(db: &TestDb) {
    let (alice, bob) = alice_and_bob(db).await;
    let project = project_of(db, &alice, "Revised").await;
    let id = &project.id;
    let (as_alice, as_bob) = (db.tenant(&alice), db.tenant(&bob));
    assert!(matches!(
        as_bob.set_source(id, "not mine").await,
        Err(StoreError::NotFound { .. })
    ));
    as_alice
        .add_member(id, &bob, Role::Viewer)
        .await
        .expect("share");
    assert!(matches!(
        as_bob.set_source(id, "viewer edit").await,
        Err(StoreError::Forbidden {
            needed: Role::Editor,
            ..
        })
    ));
    as_alice
        .add_member(id, &bob, Role::Editor)
        .await
        .expect("promote");
    as_bob
        .set_source(id, "Books have a title and a price.")
        .await
        .expect("an editor revises the description");
    let (seen, _) = as_alice.project(id).await.expect("get").expect("exists");
    assert_eq!(seen.source, "Books have a title and a price.");
    assert!(seen.updated_at >= project.updated_at);
}

on_both!(
    editors_change_the_source,
    create_list_get,
    members_and_roles,
    owner_deletes_with_everything,
    worker_system_calls,
);
