//! Identifier sanitising: any text (any Unicode, punctuation, digits first, empty) becomes a
//! name that is a valid identifier in Python, TypeScript and SQL.
//!
//! Reserved words (`class`, `import`, `order`, …) are deliberately kept: a user who says
//! "Class" means `Class`; each code generator quotes or suffixes them in its own syntax.

use heck::{ToPascalCase, ToSnakeCase};

/// Longest identifier we emit: PostgreSQL truncates names beyond 63 bytes.
pub const MAX_IDENTIFIER_LEN: usize = 63;

/// A field, relation, role or table name: `^[a-z][a-z0-9_]*$`, no `__`, no trailing `_`,
/// at most 63 bytes. Never empty.
pub fn field_name(raw: &str) -> String {
    if is_field_name(raw) {
        return raw.to_owned();
    }
    let ascii = words_of(raw).join(" ").to_snake_case();
    let mut name = collapse_underscores(&ascii);
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "f_");
    }
    if name.is_empty() {
        name.push_str("field");
    }
    truncate(&mut name);
    name
}

/// An entity name: `^[A-Z][A-Za-z0-9]*$`, at most 63 bytes. Never empty.
pub fn entity_name(raw: &str) -> String {
    if is_entity_name(raw) {
        return raw.to_owned();
    }
    let mut name = words_of(raw).join(" ").to_pascal_case();
    name.retain(|c| c.is_ascii_alphanumeric());
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'E');
    }
    if name.is_empty() {
        name.push_str("Entity");
    }
    truncate(&mut name);
    name
}

/// Whether `name` is what [`field_name`] produces (a fixed point).
pub fn is_field_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_IDENTIFIER_LEN
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        && !name.contains("__")
        && !name.ends_with('_')
}

/// Whether `name` is a valid entity name.
pub fn is_entity_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_IDENTIFIER_LEN
        && bytes[0].is_ascii_uppercase()
        && bytes.iter().all(u8::is_ascii_alphanumeric)
}

/// Transliterates to ASCII and splits on anything that is not a letter or digit.
fn words_of(raw: &str) -> Vec<String> {
    deunicode::deunicode(raw)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

fn collapse_underscores(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c == '_' && (out.is_empty() || out.ends_with('_')) {
            continue;
        }
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            out.push(c);
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

fn truncate(name: &mut String) {
    // Everything is ASCII here, so byte truncation is char truncation.
    name.truncate(MAX_IDENTIFIER_LEN);
    while name.ends_with('_') {
        name.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(raw: &str, expect_field: &str, expect_entity: &str) {
        assert_eq!(field_name(raw), expect_field, "field name of {raw:?}");
        assert_eq!(entity_name(raw), expect_entity, "entity name of {raw:?}");
    }

    #[test]
    fn sanitises_common_and_hostile_input() {
        check("First Name", "first_name", "FirstName");
        check("publicationYear", "publication_year", "PublicationYear");
        check("ISBN", "isbn", "ISBN");
        check("  e-mail address!! ", "e_mail_address", "EMailAddress");
        check("2fa code", "f_2fa_code", "E2faCode");
        check("", "field", "Entity");
        check("!!!", "field", "Entity");
        check("Café crème", "cafe_creme", "CafeCreme");
        check("Größe", "grosse", "Grosse");
        check("名前", "ming_qian", "MingQian");
        check("__init__", "init", "Init");
        check("class", "class", "Class");
        check("a__b", "a_b", "AB");
        check("AB", "ab", "AB");
    }

    #[test]
    fn long_names_are_cut_to_the_postgres_limit() {
        let long = "word ".repeat(40);
        assert!(field_name(&long).len() <= MAX_IDENTIFIER_LEN);
        assert!(is_field_name(&field_name(&long)));
        assert!(is_entity_name(&entity_name(&long)));
    }

    proptest! {
        #[test]
        fn any_text_gives_valid_identifiers(raw in any::<String>()) {
            let field = field_name(&raw);
            prop_assert!(is_field_name(&field), "{raw:?} → {field:?}");
            let entity = entity_name(&raw);
            prop_assert!(is_entity_name(&entity), "{raw:?} → {entity:?}");
        }

        #[test]
        fn sanitising_is_idempotent(raw in "\\PC{0,40}") {
            let field = field_name(&raw);
            prop_assert_eq!(field_name(&field), field.clone());
            let entity = entity_name(&raw);
            prop_assert_eq!(entity_name(&entity), entity.clone());
        }
    }
}
