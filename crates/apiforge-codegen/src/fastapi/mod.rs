//! The FastAPI target: Python 3.11, FastAPI, Pydantic v2, SQLAlchemy 2, Alembic, pytest and
//! ruff. Every file comes from a template under `templates/fastapi/` rendered with the
//! context of [`context`]; the Python the templates print is already in `ruff format` style
//! (long calls are split one argument per line with a trailing comma, as ruff would).

pub(crate) mod context;
mod python;
mod samples;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Serde, Value as JinjaValue};
use minijinja::{Environment, UndefinedBehavior};
use serde_json::Value;

use crate::CodegenError;
use crate::project::GeneratedFile;

/// Longest line `ruff format` keeps (its default).
const LINE_LENGTH: usize = 88;

/// Every template, by name (its path under `templates/fastapi/`).
const TEMPLATES: &[(&str, &str)] = &[
    (
        "header.py",
        include_str!("../../templates/fastapi/header.py"),
    ),
    (
        "app/__init__.py",
        include_str!("../../templates/fastapi/app/__init__.py"),
    ),
    (
        "app/main.py",
        include_str!("../../templates/fastapi/app/main.py"),
    ),
    (
        "app/config.py",
        include_str!("../../templates/fastapi/app/config.py"),
    ),
    (
        "app/db.py",
        include_str!("../../templates/fastapi/app/db.py"),
    ),
    (
        "app/errors.py",
        include_str!("../../templates/fastapi/app/errors.py"),
    ),
    (
        "app/types.py",
        include_str!("../../templates/fastapi/app/types.py"),
    ),
    (
        "app/crud.py",
        include_str!("../../templates/fastapi/app/crud.py"),
    ),
    (
        "app/auth.py",
        include_str!("../../templates/fastapi/app/auth.py"),
    ),
    (
        "app/models.py",
        include_str!("../../templates/fastapi/app/models.py"),
    ),
    (
        "app/schemas.py",
        include_str!("../../templates/fastapi/app/schemas.py"),
    ),
    (
        "app/routers/__init__.py",
        include_str!("../../templates/fastapi/app/routers/__init__.py"),
    ),
    (
        "app/routers/entity.py",
        include_str!("../../templates/fastapi/app/routers/entity.py"),
    ),
    (
        "app/hooks/__init__.py",
        include_str!("../../templates/fastapi/app/hooks/__init__.py"),
    ),
    (
        "app/hooks/entity.py",
        include_str!("../../templates/fastapi/app/hooks/entity.py"),
    ),
    (
        "migrations/env.py",
        include_str!("../../templates/fastapi/migrations/env.py"),
    ),
    (
        "migrations/script.py.mako",
        include_str!("../../templates/fastapi/migrations/script.py.mako"),
    ),
    (
        "migrations/versions/0001_initial.py",
        include_str!("../../templates/fastapi/migrations/versions/0001_initial.py"),
    ),
    (
        "alembic.ini",
        include_str!("../../templates/fastapi/alembic.ini"),
    ),
    (
        "tests/__init__.py",
        include_str!("../../templates/fastapi/tests/__init__.py"),
    ),
    (
        "tests/resources/__init__.py",
        include_str!("../../templates/fastapi/tests/__init__.py"),
    ),
    (
        "tests/conftest.py",
        include_str!("../../templates/fastapi/tests/conftest.py"),
    ),
    (
        "tests/support.py",
        include_str!("../../templates/fastapi/tests/support.py"),
    ),
    (
        "tests/test_entity.py",
        include_str!("../../templates/fastapi/tests/test_entity.py"),
    ),
    (
        "tests/test_api.py",
        include_str!("../../templates/fastapi/tests/test_api.py"),
    ),
    (
        "tests/test_auth.py",
        include_str!("../../templates/fastapi/tests/test_auth.py"),
    ),
    (
        "tests/test_migrations.py",
        include_str!("../../templates/fastapi/tests/test_migrations.py"),
    ),
    (
        "pyproject.toml",
        include_str!("../../templates/fastapi/pyproject.toml"),
    ),
    (
        "requirements.txt",
        include_str!("../../templates/fastapi/requirements.txt"),
    ),
    (
        "Dockerfile",
        include_str!("../../templates/fastapi/Dockerfile"),
    ),
    (
        ".dockerignore",
        include_str!("../../templates/fastapi/dockerignore"),
    ),
    (
        ".gitignore",
        include_str!("../../templates/fastapi/gitignore"),
    ),
    (
        ".env.example",
        include_str!("../../templates/fastapi/env.example"),
    ),
    (
        ".github/workflows/ci.yml",
        include_str!("../../templates/fastapi/github/workflows/ci.yml"),
    ),
    (
        ".github/dependabot.yml",
        include_str!("../../templates/fastapi/github/dependabot.yml"),
    ),
    (
        "README.md",
        include_str!("../../templates/fastapi/README.md"),
    ),
];

/// The prepared runtime's lock (`runtimes/python/requirements.lock`: every transitive
/// dependency of `requirements.in`, pinned, with hashes): the generated `requirements.txt`
/// pins exactly these versions (without the hashes, which are for one platform only).
const REQUIREMENTS_LOCK: &str = include_str!("../../../../runtimes/python/requirements.lock");

/// The default base image of the generated Dockerfile (users override it with
/// `--build-arg BASE_IMAGE=…`; the README says so).
pub(crate) const BASE_IMAGE: &str =
    "python:3.11-slim@sha256:4d440b214e447deddc0a94de23a3d97d28dfafdf125a8b4bb8073381510c9ee2";

/// Pinned requirement lines (`name==version`): hashes, comments and blank lines dropped.
pub(crate) fn requirement_pins() -> Vec<String> {
    REQUIREMENTS_LOCK
        .lines()
        .filter(|line| !line.starts_with([' ', '\t', '#']))
        .map(|line| line.trim_end_matches('\\').trim())
        .filter(|line| line.contains("=="))
        .map(str::to_owned)
        .collect()
}

/// `prefix` + `func(args…)` + `suffix` on one line when it fits, else one argument per line
/// with a trailing comma (both are fixed points of `ruff format`).
fn call(prefix: &str, func: &str, args: Vec<String>, suffix: Option<String>) -> String {
    wrap(prefix, func, &args, suffix.unwrap_or_default(), ('(', ')'))
}

/// Like [`call`] with square brackets: `prefix` + `name[args…]`.
fn subscript(prefix: &str, name: &str, args: Vec<String>, suffix: Option<String>) -> String {
    wrap(prefix, name, &args, suffix.unwrap_or_default(), ('[', ']'))
}

fn wrap(
    prefix: &str,
    func: &str,
    args: &[String],
    suffix: String,
    (open, close): (char, char),
) -> String {
    let one_line = format!("{prefix}{func}{open}{}{close}{suffix}", args.join(", "));
    if one_line.chars().count() <= LINE_LENGTH || args.is_empty() {
        return one_line;
    }
    let indent: String = prefix.chars().take_while(|c| *c == ' ').collect();
    let mut out = format!("{prefix}{func}{open}\n");
    for arg in args {
        out.push_str(&format!("{indent}    {arg},\n"));
    }
    out.push_str(&format!("{indent}{close}{suffix}"));
    out
}

fn environment() -> Result<Environment<'static>, CodegenError> {
    let mut env = Environment::new();
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(|e| CodegenError::Template {
            template: "(syntax)".into(),
            reason: e.to_string(),
        })?;
    env.set_syntax(syntax);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .map_err(|e| CodegenError::Template {
                template: (*name).to_owned(),
                reason: format!("{e:#}"),
            })?;
    }
    env.add_function("call", call);
    env.add_function("subscript", subscript);
    env.add_filter("pystr", |text: String| python::string(&text));
    env.add_filter("pylit", |value: JinjaValue| {
        serde_json::to_value(&value)
            .map(|v| python::literal(&v))
            .unwrap_or_else(|_| "None".to_owned())
    });
    env.add_filter("tojson_pretty", |value: JinjaValue| {
        serde_json::to_string_pretty(&value).unwrap_or_default()
    });
    Ok(env)
}

fn render(
    env: &Environment<'_>,
    template: &str,
    context: &JinjaValue,
) -> Result<String, CodegenError> {
    env.get_template(template)
        .and_then(|t| t.render(context))
        .map_err(|e| CodegenError::Template {
            template: template.to_owned(),
            reason: format!("{e:#}"),
        })
}

/// The project's files (contract files excluded: the caller adds them).
pub(crate) fn files(
    manifest: &apiforge_manifest::ValidManifest,
    spec: &Value,
) -> Result<Vec<GeneratedFile>, CodegenError> {
    let api = context::build(manifest, spec)?;
    let env = environment()?;
    let testdata: Vec<&Value> = api.entities.iter().map(|e| &e.tests.0).collect();
    let testdata = serde_json::to_string_pretty(&testdata).map_err(|e| CodegenError::Template {
        template: "tests/testdata.json".into(),
        reason: e.to_string(),
    })? + "\n";
    let base = minijinja::context! {
        api => JinjaValue::from(Serde(&api)),
        base_image => BASE_IMAGE,
        requirements => requirement_pins(),
    };
    let mut files = Vec::new();
    let fixed = [
        "app/__init__.py",
        "app/main.py",
        "app/config.py",
        "app/db.py",
        "app/errors.py",
        "app/types.py",
        "app/crud.py",
        "app/models.py",
        "app/schemas.py",
        "app/routers/__init__.py",
        "app/hooks/__init__.py",
        "migrations/env.py",
        "migrations/script.py.mako",
        "migrations/versions/0001_initial.py",
        "alembic.ini",
        "tests/__init__.py",
        "tests/resources/__init__.py",
        "tests/conftest.py",
        "tests/support.py",
        "tests/test_api.py",
        "tests/test_migrations.py",
        "pyproject.toml",
        "requirements.txt",
        "Dockerfile",
        ".dockerignore",
        ".gitignore",
        ".env.example",
        ".github/workflows/ci.yml",
        ".github/dependabot.yml",
        "README.md",
    ];
    for name in fixed {
        files.push(GeneratedFile::generated(name, render(&env, name, &base)?));
    }
    if api.auth {
        files.push(GeneratedFile::generated(
            "app/auth.py",
            render(&env, "app/auth.py", &base)?,
        ));
        files.push(GeneratedFile::generated(
            "tests/test_auth.py",
            render(&env, "tests/test_auth.py", &base)?,
        ));
    }
    for (index, entity) in api.entities.iter().enumerate() {
        let context = minijinja::context! {
            api => JinjaValue::from(Serde(&api)),
            entity => JinjaValue::from(Serde(entity)),
            index => index,
        };
        files.push(GeneratedFile::generated(
            format!("app/routers/{}.py", entity.module),
            render(&env, "app/routers/entity.py", &context)?,
        ));
        files.push(GeneratedFile::user(
            format!("app/hooks/{}.py", entity.module),
            render(&env, "app/hooks/entity.py", &context)?,
        ));
        files.push(GeneratedFile::generated(
            format!("tests/resources/test_{}.py", entity.module),
            render(&env, "tests/test_entity.py", &context)?,
        ));
    }
    files.push(GeneratedFile::generated("tests/testdata.json", testdata));
    Ok(files)
}
