//! Unique names (component schemas, operation ids): the first claim of a name gets it as is,
//! later claims get a numeric suffix, so a user's entity named `Problem` or `BookPage` can
//! never make two components share a name.

use std::collections::BTreeSet;

#[derive(Debug, Default)]
pub(crate) struct Names {
    taken: BTreeSet<String>,
}

impl Names {
    /// `base` if free, else `base2`, `base3`, … (claims are made in manifest order, so the
    /// result is deterministic).
    pub fn claim(&mut self, base: &str) -> String {
        let mut candidate = base.to_owned();
        let mut n = 2;
        while self.taken.contains(&candidate) {
            candidate = format!("{base}{n}");
            n += 1;
        }
        self.taken.insert(candidate.clone());
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(claims: &[&str], expect: &[&str]) {
        let mut names = Names::default();
        let got: Vec<String> = claims.iter().map(|base| names.claim(base)).collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn later_claims_get_suffixes() {
        check(
            &["Book", "BookPage", "Book"],
            &["Book", "BookPage", "Book2"],
        );
        check(
            &["Problem", "Problem", "Problem"],
            &["Problem", "Problem2", "Problem3"],
        );
    }
}
