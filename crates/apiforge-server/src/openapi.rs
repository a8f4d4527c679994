//! The server's own OpenAPI 3.1 document, assembled from the handlers' annotations.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "SmartAPIForge API",
        description = "Turn a plain-language description or a CSV file into a verified REST API: projects, generation jobs with progress, contracts, files and live previews.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
        contact(name = "SmartAPIForge", url = "https://github.com/smartapiforge/smartapiforge"),
    ),
    servers((url = "/", description = "This server")),
    tags(
        (name = "auth", description = "Magic-link sign-in, sessions and API tokens"),
        (name = "projects", description = "Projects and what their generation produced"),
        (name = "jobs", description = "Generation jobs and their progress"),
        (name = "system", description = "Health, metrics and the sandbox audit trail"),
        (name = "prompts", description = "The prompt registry: prompts, versions and executions"),
    ),
    modifiers(&BearerAuth),
    components(schemas(crate::problem::Problem))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or API token")
                    .build(),
            ),
        );
    }
}

/// The whole document as JSON (what `/api/openapi.json` serves).
pub fn openapi_json() -> String {
    let (_, mut api) = crate::app::api_router().split_for_parts();
    finish(&mut api);
    api.to_pretty_json().unwrap_or_default()
}

/// utoipa makes a handler's first doc line the summary and the rest the description, which
/// cuts a sentence that wraps. Each operation gets its whole doc comment as the description
/// and its first clause (up to `. ` or `; `) as the summary.
pub fn finish(document: &mut utoipa::openapi::OpenApi) {
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            let whole = [operation.summary.take(), operation.description.take()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            if whole.is_empty() {
                continue;
            }
            operation.summary = Some(first_clause(&whole));
            operation.description = Some(whole);
        }
    }
}

fn first_clause(text: &str) -> String {
    let end = [". ", "; "]
        .iter()
        .filter_map(|stop| text.find(stop))
        .min()
        .unwrap_or(text.len());
    text[..end].trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_a_whole_summary_and_a_description() {
        let document: serde_json::Value =
            serde_json::from_str(&openapi_json()).expect("the document is JSON");
        let mut count = 0;
        for (path, item) in document["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("operations") {
                count += 1;
                let summary = operation["summary"].as_str().unwrap_or_default();
                let description = operation["description"].as_str().unwrap_or_default();
                assert!(!summary.is_empty(), "{method} {path}");
                assert!(
                    description.starts_with(summary),
                    "{method} {path}: {summary:?} / {description:?}"
                );
                assert!(
                    !summary.ends_with(','),
                    "a cut sentence: {method} {path}: {summary:?}"
                );
            }
        }
        assert!(count > 40, "{count} operations");
        assert_eq!(
            first_clause("Create a project (JSON); generation starts. More."),
            "Create a project (JSON)"
        );
    }
}
