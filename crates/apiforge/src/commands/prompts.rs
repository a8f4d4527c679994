//! `apiforge prompts list|show|run`: the prompt registry of a running server, over HTTP
//! (`/api/prompts`, `/api/executions`). The registry is per user and lives in the server's
//! database, so these commands never open it themselves.
//!
//! A prompt is named by its id or its name (yours first, then the built-in ones). `run`
//! converts `--input KEY=VALUE` values to the declared type of the variable (integer,
//! number, boolean, json; string otherwise) before anything is sent, executes, and follows
//! the execution until it is final. Exit codes: 1 when the execution failed (its error on
//! stderr); 2 for bad input: an unknown prompt or version, a bad `KEY=VALUE`, a value that
//! does not convert, no token, or any 4xx answer (its problem's detail in one line).

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::client::{Target, runtime};
use crate::cli::{
    PromptPriority, PromptsArgs, PromptsCommand, PromptsListArgs, PromptsRunArgs,
    PromptsServerArgs, PromptsShowArgs,
};
use crate::exit::{BadInput, Failed};
use crate::output::{eprint_line, print_line};

/// Largest `--inputs-json` document read.
const MAX_INPUTS_BYTES: u64 = 16 * 1024 * 1024;

pub fn run(args: &PromptsArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        PromptsCommand::List(list) => list_command(list),
        PromptsCommand::Show(show) => show_command(show),
        PromptsCommand::Run(run) => run_command(run),
    }
}

/// The server of a `prompts` command; a missing token is a one-line error.
fn target(args: &PromptsServerArgs) -> Result<Target, BadInput> {
    let Some(token) = args.token.as_deref().filter(|t| !t.trim().is_empty()) else {
        return Err(BadInput(format!(
            "no token: give --token or set {} (an API token from POST /api/auth/tokens, or a session JWT)",
            crate::settings::ENV_TOKEN
        )));
    };
    Target::new(&args.url, token, 2)
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The prompt named `wanted` (an id, or a name: yours before a built-in one).
async fn resolve(target: &Target, wanted: &str) -> anyhow::Result<Value> {
    let listed = target.get_json("/api/prompts").await?;
    let prompts = listed.as_array().map(Vec::as_slice).unwrap_or_default();
    let wanted = wanted.trim();
    let found = prompts
        .iter()
        .find(|p| text(p, "id") == wanted)
        .or_else(|| {
            prompts
                .iter()
                .find(|p| text(p, "name") == wanted && p["builtin"] != true)
        })
        .or_else(|| prompts.iter().find(|p| text(p, "name") == wanted));
    found.cloned().ok_or_else(|| {
        BadInput(format!(
            "no prompt named {wanted:?} (or with that id) among yours and the built-in ones; `apiforge prompts list` shows them"
        ))
        .into()
    })
}

/// A `--version` value: a positive whole number.
fn parse_version(text: Option<&str>) -> Result<Option<i64>, BadInput> {
    text.map(|t| {
        t.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| BadInput(format!("--version {t:?} is not a version number (1, 2, …)")))
    })
    .transpose()
}

/// The prompt's detail and the version asked for (default: the current one).
async fn version_of(
    target: &Target,
    id: &str,
    number: Option<i64>,
) -> anyhow::Result<(Value, Value, Vec<Value>)> {
    let detail = target.get_json(&format!("/api/prompts/{id}")).await?;
    let Some(number) = number else {
        let version = detail["version"].clone();
        return Ok((detail, version, Vec::new()));
    };
    let versions = versions(target, id).await?;
    let version = versions
        .iter()
        .find(|v| v["version"].as_i64() == Some(number))
        .cloned()
        .ok_or_else(|| {
            BadInput(format!(
                "prompt {:?} has no version {number} (its current version is {})",
                text(&detail, "name"),
                detail["current_version"]
            ))
        })?;
    Ok((detail, version, versions))
}

async fn versions(target: &Target, id: &str) -> anyhow::Result<Vec<Value>> {
    let listed = target
        .get_json(&format!("/api/prompts/{id}/versions"))
        .await?;
    Ok(listed.as_array().cloned().unwrap_or_default())
}

fn owner(prompt: &Value) -> &'static str {
    if prompt["builtin"] == true {
        "built-in"
    } else {
        "yours"
    }
}

fn list_command(args: &PromptsListArgs) -> anyhow::Result<ExitCode> {
    let target = target(&args.server)?;
    let listed = runtime()?.block_on(target.get_json("/api/prompts"))?;
    let prompts = listed.as_array().cloned().unwrap_or_default();
    if args.server.json {
        print_line(&json!({ "ok": true, "url": target.base(), "prompts": prompts }).to_string());
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<[String; 4]> = prompts
        .iter()
        .map(|p| {
            [
                text(p, "name").to_owned(),
                owner(p).to_owned(),
                p["current_version"].to_string(),
                text(p, "id").to_owned(),
            ]
        })
        .collect();
    let header = [
        "NAME".to_owned(),
        "OWNER".to_owned(),
        "VERSION".to_owned(),
        "ID".to_owned(),
    ];
    for line in table(&header, &rows) {
        print_line(&line);
    }
    Ok(ExitCode::SUCCESS)
}

/// Left-aligned columns two spaces apart (the last one unpadded).
fn table(header: &[String; 4], rows: &[[String; 4]]) -> Vec<String> {
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    std::iter::once(header)
        .chain(rows)
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(widths)
                .enumerate()
                .map(|(i, (cell, width))| {
                    if i + 1 == row.len() {
                        cell.clone()
                    } else {
                        format!("{cell:<width$}")
                    }
                })
                .collect();
            cells.join("  ")
        })
        .collect()
}

fn show_command(args: &PromptsShowArgs) -> anyhow::Result<ExitCode> {
    let number = parse_version(args.version.as_deref())?;
    let target = target(&args.server)?;
    let (detail, version, all) = runtime()?.block_on(async {
        let prompt = resolve(&target, &args.prompt).await?;
        let id = text(&prompt, "id").to_owned();
        let (detail, version, mut all) = version_of(&target, &id, number).await?;
        if args.versions && all.is_empty() {
            all = versions(&target, &id).await?;
        }
        anyhow::Ok((detail, version, all))
    })?;
    let mut info = detail.clone();
    if let Some(map) = info.as_object_mut() {
        map.remove("version");
    }
    if args.server.json {
        let mut object = json!({ "ok": true, "prompt": info, "version": version });
        if args.versions {
            object["versions"] = Value::Array(all);
        }
        print_line(&object.to_string());
        return Ok(ExitCode::SUCCESS);
    }
    print_line(&format!(
        "{} ({}, id {})",
        text(&detail, "name"),
        owner(&detail),
        text(&detail, "id")
    ));
    if !text(&detail, "description").is_empty() {
        print_line(&format!("description: {}", text(&detail, "description")));
    }
    if args.versions {
        print_line(&format!(
            "versions: {} (current {})",
            all.len(),
            detail["current_version"]
        ));
        for version in &all {
            print_line("");
            print_version(version, &detail);
        }
    } else {
        print_version(&version, &detail);
    }
    Ok(ExitCode::SUCCESS)
}

/// One version: its number, variables, output rules and template.
fn print_version(version: &Value, detail: &Value) {
    let current = version["version"] == detail["current_version"];
    print_line(&format!(
        "version {}{}",
        version["version"],
        if current { " (current)" } else { "" }
    ));
    let variables = version["variables"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if variables.is_empty() {
        print_line("variables: none");
    } else {
        print_line("variables:");
        for variable in variables {
            let mut line = format!(
                "  {}: {}",
                text(variable, "name"),
                variable
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("string")
            );
            if variable["required"] == true && variable.get("default").is_none() {
                line.push_str(", required");
            }
            if let Some(default) = variable.get("default") {
                line.push_str(&format!(", default {default}"));
            }
            if variable["secret"] == true {
                line.push_str(", secret");
            }
            if !text(variable, "description").is_empty() {
                line.push_str(&format!(" — {}", text(variable, "description")));
            }
            print_line(&line);
        }
    }
    let output = &version["output"];
    let mut rules = Vec::new();
    if let Some(schema) = output.get("json_schema") {
        rules.push(format!("  JSON Schema: {schema}"));
    }
    if let Some(regex) = output.get("regex").and_then(Value::as_str) {
        rules.push(format!("  matches: {regex}"));
    }
    if let Some(max) = output.get("max_length") {
        rules.push(format!("  at most {max} characters"));
    }
    if rules.is_empty() {
        print_line("output rules: none");
    } else {
        print_line("output rules:");
        for rule in rules {
            print_line(&rule);
        }
    }
    print_line("template:");
    for line in text(version, "template").lines() {
        print_line(&format!("  {line}"));
    }
}

/// The declared type of each variable of a version.
fn declared_types(version: &Value) -> Vec<(String, String)> {
    version["variables"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|v| {
            (
                text(v, "name").to_owned(),
                v.get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("string")
                    .to_owned(),
            )
        })
        .collect()
}

/// Splits `KEY=VALUE` (the value may contain `=`; the key must not be empty).
fn split_input(text: &str) -> Result<(&str, &str), BadInput> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim(), value)),
        _ => Err(BadInput(format!(
            "--input {text:?} is not KEY=VALUE (e.g. --input topic=rust)"
        ))),
    }
}

/// `value` as the JSON value of a variable of type `kind`.
fn convert(key: &str, kind: &str, value: &str) -> Result<Value, BadInput> {
    let bad = |what: &str| {
        BadInput(format!(
            "--input {key}={value:?}: variable {key:?} is {what}, and {value:?} is not one"
        ))
    };
    let trimmed = value.trim();
    Ok(match kind {
        "integer" => {
            if let Ok(n) = trimmed.parse::<i64>() {
                Value::from(n)
            } else {
                Value::from(trimmed.parse::<u64>().map_err(|_| bad("an integer"))?)
            }
        }
        "number" => match trimmed.parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => trimmed
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| bad("a number"))?,
        },
        "boolean" => match trimmed.to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(bad("a boolean (true or false)")),
        },
        "json" => serde_json::from_str(value).map_err(|_| bad("JSON"))?,
        _ => Value::String(value.to_owned()),
    })
}

/// The inputs: `--inputs-json` first, then each `--input` converted by its declared type.
fn inputs(
    pairs: &[String],
    from_json: Option<Map<String, Value>>,
    types: &[(String, String)],
) -> Result<Map<String, Value>, BadInput> {
    let mut inputs = from_json.unwrap_or_default();
    for pair in pairs {
        let (key, value) = split_input(pair)?;
        let kind = types
            .iter()
            .find(|(name, _)| name == key)
            .map_or("string", |(_, kind)| kind.as_str());
        inputs.insert(key.to_owned(), convert(key, kind, value)?);
    }
    Ok(inputs)
}

/// The object of `--inputs-json FILE|-`.
fn read_inputs_json(path: &Path) -> Result<Map<String, Value>, BadInput> {
    let mut bytes = Vec::new();
    let (shown, read) = if path == Path::new("-") {
        (
            "standard input".to_owned(),
            std::io::stdin()
                .lock()
                .take(MAX_INPUTS_BYTES)
                .read_to_end(&mut bytes),
        )
    } else {
        let shown = path.display().to_string();
        let read = std::fs::File::open(path)
            .and_then(|file| file.take(MAX_INPUTS_BYTES).read_to_end(&mut bytes));
        (shown, read)
    };
    read.map_err(|e| {
        BadInput(format!(
            "--inputs-json: cannot read {shown}: {}",
            crate::input::io_reason(&e)
        ))
    })?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(BadInput(format!(
            "--inputs-json: {shown} is not a JSON object of inputs ({{\"name\": value, …}})"
        ))),
        Err(e) => Err(BadInput(format!("--inputs-json: {shown} is not JSON: {e}"))),
    }
}

fn priority(priority: PromptPriority) -> &'static str {
    match priority {
        PromptPriority::Low => "LOW",
        PromptPriority::Normal => "NORMAL",
        PromptPriority::High => "HIGH",
    }
}

fn run_command(args: &PromptsRunArgs) -> anyhow::Result<ExitCode> {
    let number = parse_version(args.version.as_deref())?;
    for pair in &args.inputs {
        split_input(pair)?;
    }
    let from_json = args
        .inputs_json
        .as_deref()
        .map(read_inputs_json)
        .transpose()?;
    let target = target(&args.server)?;
    let execution = runtime()?.block_on(async {
        let prompt = resolve(&target, &args.prompt).await?;
        let id = text(&prompt, "id").to_owned();
        let (_, version, _) = version_of(&target, &id, number).await?;
        let inputs = inputs(&args.inputs, from_json, &declared_types(&version))?;
        let mut request = json!({ "inputs": inputs, "priority": priority(args.priority) });
        if let Some(number) = number {
            request["version"] = json!(number);
        }
        let queued = target
            .json(
                "POST",
                &format!("/api/prompts/{id}/execute"),
                Some(&request),
            )
            .await?;
        if args.no_wait {
            return anyhow::Ok(queued);
        }
        follow(&target, text(&queued, "id")).await
    })?;
    report(args, &execution)
}

/// Polls the execution until it is final (every 100 ms at first, then up to every second).
async fn follow(target: &Target, id: &str) -> anyhow::Result<Value> {
    let mut pause = Duration::from_millis(100);
    loop {
        let execution = target.get_json(&format!("/api/executions/{id}")).await?;
        if matches!(execution["status"].as_str(), Some("succeeded" | "failed")) {
            return Ok(execution);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
}

fn report(args: &PromptsRunArgs, execution: &Value) -> anyhow::Result<ExitCode> {
    let status = text(execution, "status");
    let failed = status == "failed";
    if args.server.json {
        print_line(&json!({ "ok": !failed, "execution": execution }).to_string());
        return Ok(if failed {
            crate::exit::work_failed()
        } else {
            ExitCode::SUCCESS
        });
    }
    if args.no_wait {
        print_line(text(execution, "id"));
        eprint_line(&format!(
            "queued execution {} ({status}); follow it at /api/executions/{}",
            text(execution, "id"),
            text(execution, "id")
        ));
        return Ok(ExitCode::SUCCESS);
    }
    if failed {
        let error = text(execution, "error")
            .split_whitespace()
            .collect::<Vec<_>>();
        return Err(Failed(format!(
            "execution {} failed: {}",
            text(execution, "id"),
            error.join(" ")
        ))
        .into());
    }
    print_line(text(execution, "output"));
    eprint_line(&metrics_line(execution));
    Ok(ExitCode::SUCCESS)
}

/// `provider openai, model m, 12 ms, 12 in + 7 out tokens, $0.000052` (cost unknown when
/// the model has no price).
fn metrics_line(execution: &Value) -> String {
    let number = |key: &str| {
        execution
            .get(key)
            .filter(|v| !v.is_null())
            .map_or_else(|| "?".to_owned(), ToString::to_string)
    };
    let cost = match execution["cost_usd"].as_f64() {
        Some(cost) => format!("${cost:.6}"),
        None => "cost unknown (no price for the model)".to_owned(),
    };
    format!(
        "provider {}, model {}, {} ms, {} in + {} out tokens, {cost}; execution {}",
        text(execution, "provider"),
        text(execution, "model"),
        number("latency_ms"),
        number("tokens_in"),
        number("tokens_out"),
        text(execution, "id"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: &str, value: &str, expect: Option<Value>) {
        assert_eq!(convert("k", kind, value).ok(), expect, "{kind} {value:?}");
    }

    #[test]
    fn inputs_are_converted_by_type() {
        check("string", " 12 ", Some(json!(" 12 ")));
        check("integer", "12", Some(json!(12)));
        check("integer", "-3", Some(json!(-3)));
        check("integer", "1.5", None);
        check("integer", "twelve", None);
        check("number", "1.5", Some(json!(1.5)));
        check("number", "7", Some(json!(7)));
        check("number", "NaN", None);
        check("boolean", "True", Some(json!(true)));
        check("boolean", "false", Some(json!(false)));
        check("boolean", "yes", None);
        check("json", r#"{"a":[1]}"#, Some(json!({ "a": [1] })));
        check("json", "{", None);
    }

    #[test]
    fn pairs_are_split_once() {
        assert_eq!(split_input("a=b=c").ok(), Some(("a", "b=c")));
        assert_eq!(split_input("a=").ok(), Some(("a", "")));
        assert!(split_input("=b").is_err());
        assert!(split_input("ab").is_err());
        let types = [("n".to_owned(), "integer".to_owned())];
        let from_json = serde_json::from_value(json!({ "n": 1, "s": "x" })).ok();
        let merged =
            inputs(&["n=2".into(), "t=3".into()], from_json, &types).expect("valid inputs");
        assert_eq!(Value::Object(merged), json!({ "n": 2, "s": "x", "t": "3" }));
    }

    #[test]
    fn versions_are_positive() {
        assert_eq!(parse_version(None).ok(), Some(None));
        assert_eq!(parse_version(Some("2")).ok(), Some(Some(2)));
        assert!(parse_version(Some("0")).is_err());
        assert!(parse_version(Some("v2")).is_err());
    }

    #[test]
    fn tables_align() {
        let header = [
            "A".to_owned(),
            "BB".to_owned(),
            "C".to_owned(),
            "D".to_owned(),
        ];
        let rows = [[
            "long".to_owned(),
            "x".to_owned(),
            "1".to_owned(),
            "id".to_owned(),
        ]];
        assert_eq!(table(&header, &rows), ["A     BB  C  D", "long  x   1  id"]);
    }
}
