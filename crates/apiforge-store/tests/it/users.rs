//! Users (case-insensitive emails) and one-time login tokens.

use apiforge_store::testing::TestDb;
use apiforge_store::{MAX_LOGIN_ATTEMPTS, NewLoginToken, now_ms};

use crate::on_both;

fn token(email: &str, secret: &str, code: &str, expires_at: i64) -> NewLoginToken {
    NewLoginToken {
        email: email.to_owned(),
        token_hash: format!("token-{secret}"),
        code_hash: format!("code-{code}"),
        expires_at,
    }
}

async fn upsert_is_case_insensitive(db: &TestDb) {
    let first = db
        .upsert_user("  Alice@Example.COM ")
        .await
        .expect("upsert");
    assert_eq!(first.email, "alice@example.com");
    assert_eq!(first.last_login_at, None);
    let second = db.upsert_user("alice@example.com").await.expect("upsert");
    assert_eq!(second, first);
    let other = db.upsert_user("bob@example.com").await.expect("upsert");
    assert_ne!(other.id, first.id);
    let found = db.user_by_email("ALICE@example.com").await.expect("lookup");
    assert_eq!(found, Some(first.clone()));
    assert_eq!(db.user(&first.id).await.expect("lookup"), Some(first));
    assert_eq!(
        db.user_by_email("nobody@example.com")
            .await
            .expect("lookup"),
        None
    );
}

async fn login_token_is_single_use(db: &TestDb) {
    let now = now_ms();
    let created = db
        .create_login_token(&token("New@Example.com", "s1", "111111", now + 60_000))
        .await
        .expect("create");
    assert_eq!(created.email, "new@example.com");
    assert_eq!((created.used_at, created.attempts), (None, 0));
    // The user does not exist until the first sign-in.
    assert_eq!(
        db.user_by_email("new@example.com").await.expect("lookup"),
        None
    );
    let user = db
        .consume_login_token_by_token("token-s1", now)
        .await
        .expect("consume")
        .expect("a live token signs in");
    assert_eq!(user.email, "new@example.com");
    assert_eq!(user.last_login_at, Some(now));
    assert_eq!(
        db.consume_login_token_by_token("token-s1", now)
            .await
            .expect("consume"),
        None,
        "a token works once"
    );
    assert_eq!(
        db.consume_login_token_by_code("new@example.com", "code-111111", now)
            .await
            .expect("consume"),
        None,
        "its code died with it"
    );
    assert_eq!(
        db.consume_login_token_by_token("token-unknown", now)
            .await
            .expect("consume"),
        None
    );
    // The next sign-in finds the same user.
    db.create_login_token(&token("new@example.com", "s2", "222222", now + 60_000))
        .await
        .expect("create");
    let again = db
        .consume_login_token_by_code(" NEW@example.com", "code-222222", now + 1)
        .await
        .expect("consume")
        .expect("the code signs in");
    assert_eq!(again.id, user.id);
    assert_eq!(again.last_login_at, Some(now + 1));
}

async fn login_token_expires(db: &TestDb) {
    let now = now_ms();
    db.create_login_token(&token("a@example.com", "s1", "1", now + 1000))
        .await
        .expect("create");
    assert_eq!(
        db.consume_login_token_by_token("token-s1", now + 1000)
            .await
            .expect("consume"),
        None,
        "expired at expires_at"
    );
    assert_eq!(
        db.consume_login_token_by_code("a@example.com", "code-1", now + 5000)
            .await
            .expect("consume"),
        None
    );
    // Still unused, so it works within its lifetime.
    assert!(
        db.consume_login_token_by_token("token-s1", now + 999)
            .await
            .expect("consume")
            .is_some()
    );
    assert_eq!(db.prune_login_tokens(now + 2000).await.expect("prune"), 1);
}

async fn wrong_codes_kill_the_token(db: &TestDb) {
    let now = now_ms();
    db.create_login_token(&token("a@example.com", "s1", "123456", now + 60_000))
        .await
        .expect("create");
    for _ in 0..MAX_LOGIN_ATTEMPTS {
        assert_eq!(
            db.consume_login_token_by_code("a@example.com", "code-000000", now)
                .await
                .expect("consume"),
            None
        );
    }
    assert_eq!(
        db.consume_login_token_by_code("a@example.com", "code-123456", now)
            .await
            .expect("consume"),
        None,
        "the right code is refused after {MAX_LOGIN_ATTEMPTS} wrong ones"
    );
    assert_eq!(
        db.consume_login_token_by_token("token-s1", now)
            .await
            .expect("consume"),
        None,
        "and so is the link"
    );
    // A fresh token, a few wrong codes, then the right one.
    db.create_login_token(&token("a@example.com", "s2", "654321", now + 60_000))
        .await
        .expect("create");
    for _ in 0..MAX_LOGIN_ATTEMPTS - 1 {
        assert_eq!(
            db.consume_login_token_by_code("a@example.com", "code-000000", now)
                .await
                .expect("consume"),
            None
        );
    }
    assert!(
        db.consume_login_token_by_code("a@example.com", "code-654321", now)
            .await
            .expect("consume")
            .is_some()
    );
    // Another email's code never matches.
    db.create_login_token(&token("b@example.com", "s3", "999999", now + 60_000))
        .await
        .expect("create");
    assert_eq!(
        db.consume_login_token_by_code("a@example.com", "code-999999", now)
            .await
            .expect("consume"),
        None
    );
}

async fn sign_in_retires_other_tokens(db: &TestDb) {
    let now = now_ms();
    for secret in ["s1", "s2"] {
        db.create_login_token(&token("a@example.com", secret, secret, now + 60_000))
            .await
            .expect("create");
    }
    assert!(
        db.consume_login_token_by_token("token-s2", now)
            .await
            .expect("consume")
            .is_some()
    );
    assert_eq!(
        db.consume_login_token_by_token("token-s1", now)
            .await
            .expect("consume"),
        None
    );
}

async fn concurrent_consumers_win_once(db: &TestDb) {
    let now = now_ms();
    db.create_login_token(&token("a@example.com", "s1", "1", now + 60_000))
        .await
        .expect("create");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let db = db.db().clone();
        tasks.spawn(async move { db.consume_login_token_by_token("token-s1", now).await });
    }
    let mut winners = 0;
    while let Some(result) = tasks.join_next().await {
        if result.expect("task").expect("consume").is_some() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

async fn recent_tokens_are_counted(db: &TestDb) {
    let before = now_ms();
    for secret in ["s1", "s2", "s3"] {
        db.create_login_token(&token("A@example.com", secret, secret, before + 60_000))
            .await
            .expect("create");
    }
    db.create_login_token(&token("b@example.com", "s4", "s4", before + 60_000))
        .await
        .expect("create");
    assert_eq!(
        db.count_recent_login_tokens("a@example.com", before)
            .await
            .expect("count"),
        3
    );
    assert_eq!(
        db.count_recent_login_tokens("a@example.com", now_ms() + 1000)
            .await
            .expect("count"),
        0
    );
}

on_both!(
    upsert_is_case_insensitive,
    login_token_is_single_use,
    login_token_expires,
    wrong_codes_kill_the_token,
    sign_in_retires_other_tokens,
    concurrent_consumers_win_once,
    recent_tokens_are_counted,
);
