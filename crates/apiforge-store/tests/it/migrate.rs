//! Migrations apply once and re-applying them is a no-op.

use apiforge_store::testing::TestDb;
use apiforge_store::{Backend, Db};

use crate::on_both;

async fn migrations_are_idempotent(db: &TestDb) {
    let alice = db.upsert_user("alice@example.com").await.expect("upsert");
    // Migrating again, and opening the same database twice more (each open migrates).
    db.migrate().await.expect("second migration");
    let again = db.reopen().await;
    let third = db.reopen().await;
    assert_eq!(again.backend(), db.backend());
    let seen = third.user(&alice.id).await.expect("user").expect("present");
    assert_eq!(seen, alice);
    let applied = match db.db() {
        Db::Sqlite(pool) => {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM _sqlx_migrations")
                .fetch_one(pool)
                .await
        }
        Db::Postgres(pool) => {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM _sqlx_migrations")
                .fetch_one(pool)
                .await
        }
    }
    .expect("counting migrations");
    let files = std::fs::read_dir(match db.backend() {
        Backend::Sqlite => concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"),
        Backend::Postgres => concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"),
    })
    .expect("migrations dir")
    .count();
    assert_eq!(applied, i64::try_from(files).expect("small"));
    again.close().await;
    third.close().await;
}

on_both!(migrations_are_idempotent);
