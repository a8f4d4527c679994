//! `apiforge plan`: prompt or CSV → manifest JSON on stdout.

use std::process::ExitCode;

use crate::cli::PlanArgs;
use crate::output::print_line;

pub fn run(args: &PlanArgs) -> anyhow::Result<ExitCode> {
    if args.schema {
        let schema = apiforge_manifest::json_schema();
        print_line(&serde_json::to_string_pretty(&schema)?);
        return Ok(ExitCode::SUCCESS);
    }
    let manifest = crate::input::manifest(&args.input)?;
    print_line(&manifest.to_pretty_json());
    Ok(ExitCode::SUCCESS)
}
