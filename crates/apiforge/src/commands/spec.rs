//! `apiforge spec`: manifest → OpenAPI 3.1 contract, validated against the official schema
//! before anything is written.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use apiforge_spec::Format;
use serde_json::json;

use crate::cli::SpecArgs;
use crate::exit::{BadInput, Failed};
use crate::output::{print_line, print_raw};

pub fn run(args: &SpecArgs) -> anyhow::Result<ExitCode> {
    let format = match &args.output {
        Some(path) => Format::from_path(path).ok_or_else(|| {
            BadInput(format!(
                "cannot tell the format of {}; name it .yaml, .yml or .json",
                path.display()
            ))
        })?,
        None => Format::Yaml,
    };
    if let Some(path) = &args.postman
        && Format::from_path(path) != Some(Format::Json)
    {
        return Err(BadInput(format!(
            "a Postman collection is JSON; name {} with .json",
            path.display()
        ))
        .into());
    }
    let manifest = crate::input::manifest(&args.input)?;
    let document = apiforge_spec::generate(&manifest);
    if let Err(invalid) = apiforge_spec::validate(&document) {
        return Err(Failed(format!(
            "the generated contract is not valid OpenAPI 3.1, so nothing was written ({invalid}); please report the input"
        ))
        .into());
    }
    let text = apiforge_spec::render(&document, format);
    if let Some(path) = &args.postman {
        let collection = apiforge_spec::postman(&document);
        write(path, &(serde_json::to_string_pretty(&collection)? + "\n"))?;
    }
    match &args.output {
        Some(path) => write(path, &text)?,
        None if !args.json => print_raw(&text),
        None => {}
    }
    if args.json {
        let operations = count_operations(&document);
        let result = json!({
            "ok": true,
            "output": args.output.as_ref().map(|p| p.display().to_string()),
            "format": match format { Format::Json => "json", Format::Yaml => "yaml" },
            "postman": args.postman.as_ref().map(|p| p.display().to_string()),
            "manifest_hash": manifest.hash(),
            "entities": manifest.entities.len(),
            "paths": document["paths"].as_object().map_or(0, serde_json::Map::len),
            "operations": operations,
            "spec": if args.output.is_none() { Some(document) } else { None },
        });
        print_line(&result.to_string());
    }
    Ok(ExitCode::SUCCESS)
}

fn count_operations(document: &serde_json::Value) -> usize {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    document["paths"].as_object().map_or(0, |paths| {
        paths
            .values()
            .map(|item| METHODS.iter().filter(|m| item.get(**m).is_some()).count())
            .sum()
    })
}

/// Writes through a temporary file in the same directory and renames it, so a failed run
/// never leaves a half-written contract behind.
fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !directory.is_dir() {
        return Err(BadInput(format!(
            "cannot write {}: directory {} does not exist",
            path.display(),
            directory.display()
        ))
        .into());
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = directory.join(format!(".{file_name}.apiforge-tmp"));
    fs_err::write(&temporary, text)
        .map_err(|e| BadInput(format!("cannot write {}: {e}", path.display())))?;
    fs_err::rename(&temporary, path)
        .with_context(|| format!("cannot move the contract into place at {}", path.display()))
        .map_err(|e| BadInput(format!("{e:#}")))?;
    Ok(())
}
