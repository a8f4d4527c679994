//! Audit events: recorded by the system, filtered per user, pruned by age.

use apiforge_store::testing::TestDb;
use apiforge_store::{AuditFilter, NewAuditEvent, ProjectId, Role, UserId, now_ms};

use crate::{alice_and_bob, on_both, project_of};

fn event(
    at: i64,
    actor: Option<&UserId>,
    project: Option<&ProjectId>,
    sandbox: Option<&str>,
) -> NewAuditEvent {
    NewAuditEvent {
        at,
        actor_id: actor.cloned(),
        project_id: project.cloned(),
        kind: if sandbox.is_some() {
            "sandbox.run"
        } else {
            "auth.login"
        }
        .to_owned(),
        sandbox_id: sandbox.map(str::to_owned),
        data: r#"{"exit":0}"#.to_owned(),
    }
}

async fn filtered_per_user_and_pruned(db: &TestDb) {
    let (alice, bob) = alice_and_bob(db).await;
    let a = project_of(db, &alice, "A").await.id;
    let b = project_of(db, &bob, "B").await.id;
    let now = now_ms();
    let old = now - 40 * 24 * 3600 * 1000;
    for e in [
        event(old, None, Some(&a), Some("sb-old")),
        event(now, None, Some(&a), Some("sb-a1")),
        event(now + 1, Some(&alice), Some(&a), Some("sb-a2")),
        event(now + 2, None, Some(&b), Some("sb-b1")),
        event(now + 3, Some(&alice), None, None),
        event(now + 4, Some(&bob), None, None),
    ] {
        db.record_audit(&e).await.expect("record");
    }
    let sandboxes = |events: &[apiforge_store::AuditEvent]| -> Vec<Option<String>> {
        events.iter().map(|e| e.sandbox_id.clone()).collect()
    };

    let mine = db
        .tenant(&alice)
        .audit(&AuditFilter::default())
        .await
        .expect("audit");
    assert_eq!(
        sandboxes(&mine),
        [
            None,
            Some("sb-a2".into()),
            Some("sb-a1".into()),
            Some("sb-old".into())
        ],
        "alice: her own event and her project's, newest first"
    );
    assert_eq!(mine[0].actor_id.as_ref(), Some(&alice));
    assert_eq!(mine[0].data, r#"{"exit":0}"#);
    let by_sandbox = AuditFilter {
        sandbox_id: Some("sb-a1".to_owned()),
        ..AuditFilter::default()
    };
    let found = db.tenant(&alice).audit(&by_sandbox).await.expect("audit");
    assert_eq!(sandboxes(&found), [Some("sb-a1".into())]);
    assert_eq!(found[0].project_id.as_ref(), Some(&a));
    assert!(
        db.tenant(&bob)
            .audit(&by_sandbox)
            .await
            .expect("audit")
            .is_empty()
    );
    let by_project = AuditFilter {
        project_id: Some(a.clone()),
        since: Some(now),
        limit: Some(1),
        ..AuditFilter::default()
    };
    let found = db.tenant(&alice).audit(&by_project).await.expect("audit");
    assert_eq!(sandboxes(&found), [Some("sb-a2".into())]);
    assert!(
        db.tenant(&bob)
            .audit(&by_project)
            .await
            .expect("audit")
            .is_empty()
    );

    // A viewer of A sees A's events.
    db.tenant(&alice)
        .add_member(&a, &bob, Role::Viewer)
        .await
        .expect("share");
    assert_eq!(
        db.tenant(&bob)
            .audit(&by_sandbox)
            .await
            .expect("audit")
            .len(),
        1
    );

    let all = db
        .audit_system(&AuditFilter::default())
        .await
        .expect("audit");
    assert_eq!(all.len(), 6);
    let cutoff = now - 30 * 24 * 3600 * 1000;
    assert_eq!(db.prune_audit(cutoff).await.expect("prune"), 1);
    assert_eq!(
        db.audit_system(&AuditFilter::default())
            .await
            .expect("audit")
            .len(),
        5
    );
    assert_eq!(db.prune_audit(cutoff).await.expect("prune"), 0);
}

on_both!(filtered_per_user_and_pruned);
