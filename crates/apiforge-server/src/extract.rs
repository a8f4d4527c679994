//! Request extractors whose rejections are problems, not axum's plain-text defaults.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};

use crate::problem::Problem;

/// `Json<T>` with problem+json rejections: 400 for malformed JSON, 415 for another content
/// type, 413 for an oversized body, 422 for JSON of the wrong shape.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(Problem))]
pub struct ApiJson<T>(pub T);

/// `Path<T>` with problem rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Problem))]
pub struct ApiPath<T>(pub T);

/// `Query<T>` with problem rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Problem))]
pub struct ApiQuery<T>(pub T);

impl From<JsonRejection> for Problem {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => {
                Problem::unprocessable(format!("the JSON body does not fit: {}", e.body_text()))
            }
            JsonRejection::JsonSyntaxError(e) => {
                Problem::bad_request(format!("the body is not valid JSON: {}", e.body_text()))
            }
            JsonRejection::MissingJsonContentType(_) => Problem::unsupported_media_type(
                "send the body as JSON with `Content-Type: application/json`",
            ),
            JsonRejection::BytesRejection(e) => {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    Problem::payload_too_large(format!(
                        "the body is larger than the limit of {} bytes",
                        crate::config::MAX_BODY_BYTES
                    ))
                } else {
                    Problem::bad_request(format!("the body could not be read: {}", e.body_text()))
                }
            }
            other => Problem::bad_request(other.body_text()),
        }
    }
}

impl From<PathRejection> for Problem {
    fn from(rejection: PathRejection) -> Self {
        Problem::bad_request(format!("the path is not valid: {}", rejection.body_text()))
    }
}

impl From<QueryRejection> for Problem {
    fn from(rejection: QueryRejection) -> Self {
        Problem::bad_request(format!(
            "the query string is not valid: {}",
            rejection.body_text()
        ))
    }
}

/// A project id from a URL: one that cannot exist answers 404 like one that is not visible.
pub fn project_id(text: &str) -> Result<apiforge_store::ProjectId, Problem> {
    apiforge_store::ProjectId::parse(text)
        .ok_or_else(|| Problem::not_found(format!("no project {text:?} that you can see")))
}

/// A job id from a URL.
pub fn job_id(text: &str) -> Result<apiforge_jobs::JobId, Problem> {
    text.parse()
        .map_err(|_| Problem::not_found(format!("no job {text:?} that you can see")))
}
