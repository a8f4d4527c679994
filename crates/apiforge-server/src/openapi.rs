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
    let (_, api) = crate::app::api_router().split_for_parts();
    api.to_pretty_json().unwrap_or_default()
}
