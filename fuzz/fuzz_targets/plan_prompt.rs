//! Any prompt text: the planner never panics, never produces an invalid manifest, and is
//! deterministic.
#![no_main]

use apiforge_manifest::sanitize::{is_entity_name, is_field_name};
use apiforge_planner::{PlanError, plan_prompt};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(prompt) = std::str::from_utf8(data) else { return };
    match plan_prompt(prompt) {
        Ok(manifest) => {
            for entity in &manifest.entities {
                assert!(is_entity_name(&entity.name), "{:?}", entity.name);
                assert!(entity.fields.iter().all(|f| is_field_name(&f.name)));
            }
            let again = plan_prompt(prompt).expect("planned once, plans again");
            assert_eq!(manifest.canonical_json(), again.canonical_json());
        }
        Err(PlanError::Invalid(errors)) => panic!("planner produced an invalid manifest: {errors}"),
        Err(_) => {}
    }
});
