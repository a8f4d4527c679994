//! English word forms for entity and table names ("order items" → `OrderItem`, `order_items`).

use heck::{ToPascalCase, ToSnakeCase};

/// Singular form of one English word, keeping its case ("Categories" → "Category").
pub fn singular(word: &str) -> String {
    if word.len() <= 2 || is_invariant(word) {
        return word.to_owned();
    }
    pluralizer::pluralize(word, 1, false)
}

/// Plural form of one English word ("category" → "categories").
pub fn plural(word: &str) -> String {
    if word.is_empty() {
        return String::new();
    }
    if is_invariant(word) {
        return word.to_owned();
    }
    pluralizer::pluralize(word, 2, false)
}

/// Words whose plural the inflector gets wrong for API naming ("status" is not a plural of
/// "statu"; "data" stays "data").
fn is_invariant(word: &str) -> bool {
    const INVARIANT: &[&str] = &["status", "data", "metadata", "news", "series", "species"];
    let lower = word.to_ascii_lowercase();
    INVARIANT.contains(&lower.as_str())
}

/// Entity name for a phrase: last word singular, PascalCase ("order items" → "OrderItem").
pub fn entity_name(phrase: &str) -> String {
    let snake = crate::sanitize::field_name(phrase);
    let mut words: Vec<String> = snake.split('_').map(str::to_owned).collect();
    if let Some(last) = words.last_mut() {
        *last = singular(last);
    }
    crate::sanitize::entity_name(&words.join(" "))
}

/// Plurals a collection cannot have: the generated API serves its documentation at these
/// paths (`/docs`, `/redoc`), so a collection there would shadow it.
pub const RESERVED_PLURALS: [&str; 2] = ["docs", "redoc"];

/// Table / collection name of an entity: snake_case with the last word plural
/// ("OrderItem" → "order_items"). "Doc" becomes `documents` (what it abbreviates), since
/// `/docs` is the API's documentation.
pub fn table_name(entity: &str) -> String {
    let snake = entity.to_snake_case();
    let mut words: Vec<String> = snake.split('_').map(str::to_owned).collect();
    if let Some(last) = words.last_mut() {
        *last = plural(last);
    }
    let name = crate::sanitize::field_name(&words.join("_"));
    match name.as_str() {
        "docs" => "documents".to_owned(),
        reserved if RESERVED_PLURALS.contains(&reserved) => format!("{reserved}_items"),
        _ => name,
    }
}

/// PascalCase of a snake or spaced phrase, without singularising.
pub fn pascal(phrase: &str) -> String {
    phrase.to_pascal_case()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect_entity: &str, expect_table: &str) {
        let entity = entity_name(input);
        assert_eq!(entity, expect_entity, "entity name of {input:?}");
        assert_eq!(
            table_name(&entity),
            expect_table,
            "table name of {entity:?}"
        );
    }

    #[test]
    fn entity_and_table_names() {
        check("order items", "OrderItem", "order_items");
        check("books", "Book", "books");
        check("Categories", "Category", "categories");
        check("people", "Person", "people");
        check("status", "Status", "status");
        check("sensor readings", "SensorReading", "sensor_readings");
        check("class", "Class", "classes");
        check("address", "Address", "addresses");
        check("boxes", "Box", "boxes");
        check("analyses", "Analysis", "analyses");
        check("class", "Class", "classes");
        check("species", "Species", "species");
        // `/docs` is the documentation: a Doc collection lives at /documents.
        check("docs", "Doc", "documents");
        check("api docs", "ApiDoc", "api_docs");
        check("news", "News", "news");
    }
}
