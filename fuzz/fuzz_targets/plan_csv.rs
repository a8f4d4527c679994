//! Any bytes as a CSV file: the importer never panics and never produces an invalid manifest.
#![no_main]

use apiforge_planner::{PlanError, plan_csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(PlanError::Invalid(errors)) = plan_csv("fuzz input.csv", data) {
        panic!("CSV import produced an invalid manifest: {errors}");
    }
});
