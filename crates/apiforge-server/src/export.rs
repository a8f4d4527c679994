//! A project's code leaving the forge: the zip of a version (`POST …/export`) and the diff
//! between two versions. Pushing to a git remote is a later issue; the endpoint already
//! takes a `format` so it can grow without a new route.

use std::io::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::problem::{ApiResult, Problem};
use crate::projects::chosen_version;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_project))
        .routes(routes!(version_diff))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ExportRequest {
    /// `zip` (the only format so far).
    #[serde(default = "default_format")]
    pub format: String,
    /// Version number (default: the current one).
    pub version: Option<i64>,
}

fn default_format() -> String {
    "zip".into()
}

/// Download a version as a zip: the project's files under one top folder.
#[utoipa::path(post, path = "/api/projects/{id}/export", tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    request_body = ExportRequest,
    responses(
        (status = 200, description = "The zip", content_type = "application/zip"),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project or version", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No version yet", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown format", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn export_project(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<ExportRequest>,
) -> ApiResult<Response> {
    if request.format != "zip" {
        return Err(Problem::unprocessable(format!(
            "export format {:?} is not available: use \"zip\"",
            request.format
        )));
    }
    let version = chosen_version(&state.db.tenant(&user.id), &id, request.version).await?;
    let files = state.db.version_files_system(&version.id).await?;
    let folder = slug(&version.manifest);
    let zip = zip_files(
        &folder,
        files.iter().map(|(f, c)| (f.path.as_str(), c.as_slice())),
    )
    .map_err(|e| Problem::internal(&e))?;
    let file_name = format!("{folder}-v{}.zip", version.number);
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        zip,
    )
        .into_response())
}

/// The folder and file name of an export: the manifest's API name in kebab case.
fn slug(manifest: &str) -> String {
    let manifest: serde_json::Value = serde_json::from_str(manifest).unwrap_or_default();
    let name = manifest["name"].as_str().unwrap_or_default();
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "api".to_owned()
    } else {
        slug.chars().take(60).collect()
    }
}

/// A deterministic zip (fixed timestamps, sorted entries, 0644) of `files` under `folder/`.
fn zip_files<'a>(
    folder: &str,
    files: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> zip::result::ZipResult<Vec<u8>> {
    use zip::write::SimpleFileOptions;
    let mut files: Vec<_> = files.collect();
    files.sort_by_key(|(path, _)| *path);
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (path, content) in files {
        writer.start_file(format!("{folder}/{path}"), options)?;
        writer.write_all(content)?;
    }
    Ok(writer.finish()?.into_inner())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The older version number.
    pub from: i64,
    /// The newer version number.
    pub to: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDiff {
    pub from: i64,
    pub to: i64,
    /// Changed, added and removed files by path (unchanged files are left out).
    pub files: Vec<FileDiff>,
}

#[derive(Debug, Serialize, ToSchema, PartialEq)]
pub struct FileDiff {
    pub path: String,
    /// `added`, `removed` or `changed`.
    pub status: String,
    /// A unified diff (`--- a/path`, `+++ b/path`, three lines of context).
    pub diff: String,
}

/// What changed between two versions, file by file.
#[utoipa::path(get, path = "/api/projects/{id}/diff", tag = "projects",
    params(("id" = String, Path, description = "Project id"), DiffQuery),
    responses(
        (status = 200, description = "The changed files with unified diffs", body = VersionDiff),
        (status = 400, description = "Bad query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project or version", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn version_diff(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<DiffQuery>,
) -> ApiResult<axum::Json<VersionDiff>> {
    let tenant = state.db.tenant(&user.id);
    let old = chosen_version(&tenant, &id, Some(query.from)).await?;
    let new = chosen_version(&tenant, &id, Some(query.to)).await?;
    let old_files = state.db.version_files_system(&old.id).await?;
    let new_files = state.db.version_files_system(&new.id).await?;
    let files = diff_files(
        old_files
            .iter()
            .map(|(f, c)| (f.path.as_str(), c.as_slice())),
        new_files
            .iter()
            .map(|(f, c)| (f.path.as_str(), c.as_slice())),
    );
    Ok(axum::Json(VersionDiff {
        from: old.number,
        to: new.number,
        files,
    }))
}

/// File-by-file unified diffs between two sets of files, by path.
fn diff_files<'a>(
    old: impl Iterator<Item = (&'a str, &'a [u8])>,
    new: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> Vec<FileDiff> {
    use std::collections::BTreeMap;
    let old: BTreeMap<&str, &[u8]> = old.collect();
    let new: BTreeMap<&str, &[u8]> = new.collect();
    let mut paths: Vec<&str> = old.keys().chain(new.keys()).copied().collect();
    paths.sort_unstable();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|path| {
            let (before, after) = (old.get(path).copied(), new.get(path).copied());
            let status = match (before, after) {
                (Some(a), Some(b)) if a == b => return None,
                (Some(_), Some(_)) => "changed",
                (None, _) => "added",
                (_, None) => "removed",
            };
            Some(FileDiff {
                path: path.to_owned(),
                status: status.to_owned(),
                diff: unified(path, before.unwrap_or_default(), after.unwrap_or_default()),
            })
        })
        .collect()
}

pub(crate) fn unified(path: &str, before: &[u8], after: &[u8]) -> String {
    match (std::str::from_utf8(before), std::str::from_utf8(after)) {
        (Ok(before), Ok(after)) => similar::TextDiff::from_lines(before, after)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{path}"), &format!("b/{path}"))
            .to_string(),
        _ => format!("Binary files a/{path} and b/{path} differ\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zip_holds_every_file_under_the_folder_and_is_reproducible() {
        let files = [
            ("app/main.py", b"print('hi')\n".as_slice()),
            ("README.md", b"# Library\n".as_slice()),
        ];
        let zip = zip_files("library-api", files.into_iter()).expect("zipped");
        let again = zip_files("library-api", files.into_iter().rev()).expect("zipped");
        assert_eq!(zip, again, "same files, same bytes, whatever the order");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("readable");
        let names: Vec<String> = archive
            .file_names()
            .map(|name| name.expect("a readable name").into_owned())
            .collect();
        assert_eq!(
            names,
            ["library-api/README.md", "library-api/app/main.py"],
            "sorted, under the folder"
        );
        let mut main = String::new();
        std::io::Read::read_to_string(
            &mut archive.by_name("library-api/app/main.py").expect("entry"),
            &mut main,
        )
        .expect("text");
        assert_eq!(main, "print('hi')\n");
    }

    #[test]
    fn the_slug_comes_from_the_manifest_name() {
        assert_eq!(slug(r#"{"name":"Library API"}"#), "library-api");
        assert_eq!(slug(r#"{"name":"  Ünïcode & more!! "}"#), "n-code-more");
        assert_eq!(slug("not json"), "api");
    }

    #[test]
    fn the_diff_lists_changed_added_and_removed_files_only() {
        let old = [
            ("same.txt", b"x\n".as_slice()),
            ("changed.py", b"a = 1\nb = 2\n".as_slice()),
            ("gone.md", b"bye\n".as_slice()),
        ];
        let new = [
            ("same.txt", b"x\n".as_slice()),
            ("changed.py", b"a = 1\nb = 3\n".as_slice()),
            ("new.bin", [0xff, 0x00].as_slice()),
        ];
        let diff = diff_files(old.into_iter(), new.into_iter());
        let summary: Vec<(&str, &str)> = diff
            .iter()
            .map(|d| (d.path.as_str(), d.status.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                ("changed.py", "changed"),
                ("gone.md", "removed"),
                ("new.bin", "added")
            ]
        );
        assert_eq!(
            diff[0].diff,
            "--- a/changed.py\n+++ b/changed.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n+b = 3\n"
        );
        assert!(diff[1].diff.contains("-bye"), "{}", diff[1].diff);
        assert_eq!(
            diff[2].diff,
            "Binary files a/new.bin and b/new.bin differ\n"
        );
    }
}
