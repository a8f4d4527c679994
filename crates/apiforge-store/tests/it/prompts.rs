//! The prompt registry: versions on every update, built-in prompts seeded by the system
//! and read-only to users, one user's prompts and executions invisible to another.

use apiforge_store::testing::TestDb;
use apiforge_store::{
    ExecutionOutcome, ExecutionStatus, NewExecution, NewPrompt, NewPromptVersion, Priority,
    PromptId, Seeded, StoreError,
};

use crate::{alice_and_bob, on_both};

fn prompt(name: &str, template: &str) -> NewPrompt {
    NewPrompt {
        name: name.to_owned(),
        description: format!("{name} described"),
        version: NewPromptVersion {
            template: template.to_owned(),
            variables: r#"[{"name":"topic","type":"string","required":true}]"#.to_owned(),
            output_schema: Some(r#"{"type":"object"}"#.to_owned()),
            output_regex: None,
            max_length: Some(2000),
        },
    }
}

async fn versions_on_every_update(db: &TestDb) {
    let (alice, bob) = alice_and_bob(db).await;
    let (as_alice, as_bob) = (db.tenant(&alice), db.tenant(&bob));
    let created = as_alice
        .create_prompt(&prompt("summary", "Summarise {{ topic }}."))
        .await
        .expect("create");
    assert_eq!(created.current_version, 1);
    assert_eq!(created.owner_id.as_ref(), Some(&alice));
    assert!(matches!(
        as_alice.create_prompt(&prompt("summary", "again")).await,
        Err(StoreError::Conflict { .. })
    ));
    as_bob
        .create_prompt(&prompt("summary", "Bob's own"))
        .await
        .expect("names are per user");

    let mut changed = prompt("summary", "Summarise {{ topic }} in one line.");
    changed.description = "shorter".to_owned();
    let updated = as_alice
        .update_prompt(&created.id, &changed)
        .await
        .expect("update");
    assert_eq!(updated.current_version, 2);
    assert_eq!(updated.description, "shorter");
    let (seen, current) = as_alice
        .prompt(&created.id)
        .await
        .expect("get")
        .expect("visible");
    assert_eq!(seen.current_version, 2);
    assert_eq!(current.template, "Summarise {{ topic }} in one line.");
    assert_eq!(current.max_length, Some(2000));
    let versions = as_alice
        .prompt_versions(&created.id)
        .await
        .expect("versions");
    let templates: Vec<&str> = versions.iter().map(|v| v.template.as_str()).collect();
    assert_eq!(
        templates,
        [
            "Summarise {{ topic }}.",
            "Summarise {{ topic }} in one line."
        ]
    );
    assert_eq!(
        as_alice
            .prompt_version(&created.id, 1)
            .await
            .expect("v1")
            .map(|v| v.version),
        Some(1)
    );

    // Bob sees none of it.
    assert_eq!(as_bob.prompt(&created.id).await.expect("get"), None);
    assert!(matches!(
        as_bob.prompt_versions(&created.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        as_bob.update_prompt(&created.id, &changed).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        as_bob.delete_prompt(&created.id).await,
        Err(StoreError::NotFound { .. })
    ));
    let names: Vec<String> = as_bob
        .prompts()
        .await
        .expect("list")
        .into_iter()
        .map(|p| p.description)
        .collect();
    assert_eq!(names, ["summary described"], "only bob's own");

    as_alice.delete_prompt(&created.id).await.expect("delete");
    assert_eq!(as_alice.prompt(&created.id).await.expect("get"), None);
    assert!(as_alice.prompts().await.expect("list").is_empty());
    as_alice
        .create_prompt(&prompt("summary", "a new one"))
        .await
        .expect("the name is free again");
    assert!(matches!(
        as_alice.update_prompt(&PromptId::new(), &changed).await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn builtin_prompts_are_seeded_and_read_only(db: &TestDb) {
    let (alice, _) = alice_and_bob(db).await;
    let planner = prompt("planner", "Plan: {{ topic }}");
    assert_eq!(
        db.seed_builtin_prompt(&planner).await.expect("seed"),
        Seeded::Created
    );
    assert_eq!(
        db.seed_builtin_prompt(&planner).await.expect("seed"),
        Seeded::Unchanged
    );
    let changed = prompt("planner", "Plan better: {{ topic }}");
    assert_eq!(
        db.seed_builtin_prompt(&changed).await.expect("seed"),
        Seeded::NewVersion(2)
    );
    let (builtin, current) = db
        .builtin_prompt("planner")
        .await
        .expect("get")
        .expect("seeded");
    assert_eq!(builtin.owner_id, None);
    assert_eq!(current.version, 2);
    assert_eq!(current.template, "Plan better: {{ topic }}");

    let as_alice = db.tenant(&alice);
    let listed = as_alice.prompts().await.expect("list");
    assert_eq!(listed.len(), 1, "everyone sees built-in prompts");
    assert_eq!(
        as_alice
            .prompt_versions(&builtin.id)
            .await
            .expect("v")
            .len(),
        2
    );
    assert!(matches!(
        as_alice.update_prompt(&builtin.id, &planner).await,
        Err(StoreError::ReadOnly { .. })
    ));
    assert!(matches!(
        as_alice.delete_prompt(&builtin.id).await,
        Err(StoreError::ReadOnly { .. })
    ));
    as_alice
        .create_prompt(&prompt("planner", "my planner"))
        .await
        .expect("a user's prompt may share a built-in prompt's name");
}

async fn executions_are_queued_finished_and_private(db: &TestDb) {
    let (alice, bob) = alice_and_bob(db).await;
    let (as_alice, as_bob) = (db.tenant(&alice), db.tenant(&bob));
    let created = as_alice
        .create_prompt(&prompt("summary", "Summarise {{ topic }}."))
        .await
        .expect("create");
    let new = NewExecution {
        prompt_id: created.id.clone(),
        version: 1,
        priority: Priority::High,
        input: r#"{"topic":"rust"}"#.to_owned(),
        retry_of: None,
    };
    let queued = as_alice.create_execution(&new).await.expect("queue");
    assert_eq!(queued.status, ExecutionStatus::Queued);
    assert_eq!(queued.priority, Priority::High);
    assert!(matches!(
        as_bob.create_execution(&new).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        as_alice
            .create_execution(&NewExecution {
                version: 9,
                ..new.clone()
            })
            .await,
        Err(StoreError::NotFound { .. })
    ));
    db.set_execution_job(&queued.id, "job-1")
        .await
        .expect("job");
    db.start_execution(&queued.id).await.expect("start");
    let (running, version) = db
        .execution_system(&queued.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(running.status, ExecutionStatus::Running);
    assert_eq!(running.job_id.as_deref(), Some("job-1"));
    assert_eq!(version.template, "Summarise {{ topic }}.");
    db.finish_execution(
        &queued.id,
        &ExecutionOutcome {
            succeeded: true,
            rendered: Some("Summarise rust.".into()),
            provider: Some("openai".into()),
            model: Some("m".into()),
            output: Some("{}".into()),
            latency_ms: Some(12),
            tokens_in: Some(5),
            tokens_out: Some(7),
            cost_micros: Some(3),
            error: None,
        },
    )
    .await
    .expect("finish");
    let done = as_alice
        .execution(&queued.id)
        .await
        .expect("get")
        .expect("mine");
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(
        (
            done.tokens_in,
            done.tokens_out,
            done.cost_micros,
            done.latency_ms
        ),
        (Some(5), Some(7), Some(3), Some(12))
    );
    assert!(done.finished_at.is_some());
    let retry = as_alice
        .create_execution(&NewExecution {
            retry_of: Some(queued.id.clone()),
            priority: Priority::Low,
            ..new.clone()
        })
        .await
        .expect("retry");
    let listed = as_alice.executions(None, 10).await.expect("list");
    let ids: Vec<_> = listed.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids, [retry.id.clone(), queued.id.clone()], "newest first");
    assert_eq!(
        as_alice
            .executions(Some(&created.id), 1)
            .await
            .expect("list")
            .len(),
        1
    );
    assert_eq!(as_bob.execution(&queued.id).await.expect("get"), None);
    assert!(as_bob.executions(None, 10).await.expect("list").is_empty());
    // Deleting the prompt keeps its executions readable.
    as_alice.delete_prompt(&created.id).await.expect("delete");
    assert!(as_alice.execution(&queued.id).await.expect("get").is_some());
}

on_both!(
    versions_on_every_update,
    builtin_prompts_are_seeded_and_read_only,
    executions_are_queued_finished_and_private,
);
