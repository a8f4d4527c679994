//! Sessions and API tokens.

use apiforge_store::testing::TestDb;
use apiforge_store::{ApiTokenId, NewApiToken, NewSession, StoreError, now_ms};

use crate::{alice_and_bob, on_both};

async fn sessions_expire_and_revoke(db: &TestDb) {
    let (alice, _) = alice_and_bob(db).await;
    let now = now_ms();
    let session = db
        .create_session(&NewSession {
            user_id: alice.clone(),
            expires_at: now + 60_000,
            ip: Some("127.0.0.1".to_owned()),
            user_agent: Some("test".to_owned()),
        })
        .await
        .expect("create");
    assert_eq!(session.user_id, alice);
    assert_eq!(session.ip.as_deref(), Some("127.0.0.1"));
    let live = db.session(&session.id, now).await.expect("lookup");
    assert_eq!(live.as_ref(), Some(&session));
    assert_eq!(
        db.session(&session.id, now + 60_000).await.expect("lookup"),
        None,
        "expired"
    );
    assert!(db.revoke_session(&session.id).await.expect("revoke"));
    assert!(!db.revoke_session(&session.id).await.expect("revoke twice"));
    assert_eq!(
        db.session(&session.id, now).await.expect("lookup"),
        None,
        "revoked"
    );

    let mut ids = Vec::new();
    for _ in 0..2 {
        let s = db
            .create_session(&NewSession {
                user_id: alice.clone(),
                expires_at: now + 60_000,
                ip: None,
                user_agent: None,
            })
            .await
            .expect("create");
        ids.push(s.id);
    }
    assert_eq!(
        db.revoke_user_sessions(&alice).await.expect("revoke all"),
        2
    );
    for id in &ids {
        assert_eq!(db.session(id, now).await.expect("lookup"), None);
    }
    assert_eq!(db.prune_sessions(now_ms() + 1).await.expect("prune"), 3);
}

async fn api_tokens(db: &TestDb) {
    let (alice, bob) = alice_and_bob(db).await;
    let now = now_ms();
    let new = NewApiToken {
        user_id: alice.clone(),
        name: "ci".to_owned(),
        token_hash: "hash-1".to_owned(),
        prefix: "af_12345".to_owned(),
        expires_at: None,
    };
    let token = db.create_api_token(&new).await.expect("create");
    assert_eq!(
        (token.name.as_str(), token.prefix.as_str()),
        ("ci", "af_12345")
    );
    assert_eq!(token.last_used_at, None);
    assert!(matches!(
        db.create_api_token(&new).await,
        Err(StoreError::Conflict { .. })
    ));
    let found = db.api_token_by_hash("hash-1", now).await.expect("lookup");
    assert_eq!(found.as_ref(), Some(&token));
    assert_eq!(
        db.api_token_by_hash("hash-2", now).await.expect("lookup"),
        None
    );
    db.touch_api_token(&token.id, now + 5).await.expect("touch");
    let listed = db.list_api_tokens(&alice).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_used_at, Some(now + 5));
    assert!(db.list_api_tokens(&bob).await.expect("list").is_empty());

    // An expiring token dies at its time.
    let expiring = db
        .create_api_token(&NewApiToken {
            user_id: alice.clone(),
            name: "short".to_owned(),
            token_hash: "hash-3".to_owned(),
            prefix: "af_3".to_owned(),
            expires_at: Some(now + 1000),
        })
        .await
        .expect("create");
    assert!(
        db.api_token_by_hash("hash-3", now)
            .await
            .expect("lookup")
            .is_some()
    );
    assert_eq!(
        db.api_token_by_hash("hash-3", now + 1000)
            .await
            .expect("lookup"),
        None
    );
    assert_eq!(
        db.list_api_tokens(&alice).await.expect("list")[0].id,
        expiring.id
    );

    // Only its user revokes it.
    assert!(matches!(
        db.revoke_api_token(&bob, &token.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        db.revoke_api_token(&alice, &ApiTokenId::new()).await,
        Err(StoreError::NotFound { .. })
    ));
    db.revoke_api_token(&alice, &token.id)
        .await
        .expect("revoke");
    assert_eq!(
        db.api_token_by_hash("hash-1", now).await.expect("lookup"),
        None
    );
    assert!(matches!(
        db.revoke_api_token(&alice, &token.id).await,
        Err(StoreError::NotFound { .. })
    ));
    let listed = db.list_api_tokens(&alice).await.expect("list");
    assert!(
        listed
            .iter()
            .any(|t| t.id == token.id && t.revoked_at.is_some())
    );
}

on_both!(sessions_expire_and_revoke, api_tokens);
