//! Which phrases can name an entity: "each order item" → "order item", "a company's
//! employees" → "employees", "Import records" → "Import"; "it", "the API" → none.

use super::text;

/// Words that never name a resource on their own, wherever they stand in the phrase.
const NEVER_ENTITY: &[&str] = &[
    "api",
    "apis",
    "backend",
    "back-end",
    "service",
    "services",
    "microservice",
    "app",
    "apps",
    "application",
    "platform",
    "website",
    "site",
    "database",
    "db",
    "tool",
    "software",
    "crud",
    "rest",
    "restful",
    "graphql",
    "http",
    "json",
    "jwt",
    "auth",
    "authentication",
    "login",
    "token",
    "tokens",
    "it",
    "they",
    "them",
    "this",
    "that",
    "those",
    "these",
    "he",
    "she",
    "we",
    "you",
    "i",
    "me",
    "us",
    "which",
    "who",
    "what",
    "where",
    "when",
    "whether",
    "how",
    "everything",
    "something",
    "anything",
    "nothing",
    "everyone",
    "someone",
    "anyone",
    "field",
    "fields",
    "entity",
    "entities",
    "resource",
    "resources",
    "thing",
    "things",
    "stuff",
    "way",
    "lot",
    "lots",
    "part",
    "example",
    "relationship",
    "relationships",
    "relation",
    "relations",
    "reference",
    "references",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "has",
    "have",
    "had",
    "can",
    "will",
    "should",
    "must",
    "may",
    "would",
    "could",
    "do",
    "does",
    "not",
    "no",
    "yes",
    "please",
    "thanks",
    "thank",
    "hello",
    "hi",
    "also",
    "just",
    "only",
    "very",
    "simple",
    "basic",
    "etc",
    "eg",
    "ie",
    "e",
    "g",
    "crm",
    "cms",
    "erp",
    "portal",
    "dashboard",
    "need",
    "want",
    "build",
    "create",
    "make",
    "write",
    "generate",
    "design",
    "implement",
    "should",
    "like",
    "something",
    "some",
    "own",
    "and",
    "or",
    "but",
    "with",
    "without",
    "for",
    "from",
    "in",
    "on",
    "at",
    "by",
    "to",
    "of",
    "as",
    "into",
    "about",
    "per",
    "via",
    "many",
    "more",
    "most",
    "other",
    "others",
    "all",
    "any",
    "both",
    "either",
    "neither",
    "each",
    "every",
    "one",
    "ones",
    "two",
    "three",
    "first",
    "last",
    "next",
    "same",
    "such",
    "there",
    "here",
    "then",
    "than",
    "so",
    "if",
    "else",
    "because",
    "while",
    "after",
    "before",
    "over",
    "under",
    "between",
    "through",
    "up",
    "down",
    "out",
    "off",
    "again",
    "further",
    "once",
    "schema",
    "unique",
    "optional",
    "required",
    "mandatory",
    "nullable",
    "model",
    "models",
    "data",
    "info",
    "information",
];

/// Adjectives that describe the API rather than name the resource.
const FILLER_ADJECTIVES: &[&str] = &[
    "simple",
    "basic",
    "small",
    "little",
    "new",
    "internal",
    "rest",
    "restful",
    "crud",
    "minimal",
    "tiny",
    "full",
    "complete",
    "registered",
    "existing",
    "various",
    "different",
    "individual",
    "given",
    "specific",
    "separate",
    "actual",
    "real",
    "proper",
    "certain",
];

/// Trailing nouns that only say "a collection of" ("Import records", "todo list").
const GENERIC_TAILS: &[&str] = &[
    "records",
    "record",
    "entries",
    "entry",
    "rows",
    "objects",
    "object",
    "entity",
    "entities",
    "table",
    "tables",
    "resource",
    "resources",
    "list",
    "lists",
    "items",
    "data",
    "info",
    "information",
    "details",
    "model",
    "models",
];

/// Words that end a noun phrase ("books that …", "a venue in the city").
const PHRASE_ENDERS: &[&str] = &[
    "during",
    "after",
    "before",
    "within",
    "across",
    "under",
    "over",
    "about",
    "between",
    "among",
    "than",
    "without",
    "that",
    "which",
    "who",
    "whom",
    "whose",
    "where",
    "when",
    "with",
    "for",
    "from",
    "in",
    "on",
    "at",
    "by",
    "to",
    "via",
    "through",
    "using",
    "including",
    "each",
    "per",
    "as",
    "into",
    "if",
    "while",
    "so",
    "but",
    "because",
    "is",
    "are",
    "was",
    "were",
    "has",
    "have",
    "can",
    "will",
    "should",
    "must",
    "may",
    "might",
    "could",
    "would",
    "do",
    "does",
    "did",
];

/// The naming words of an entity phrase, lower-case and space-separated, or `None` when the
/// phrase names no resource.
pub(super) fn entity_phrase(raw: &str) -> Option<String> {
    let stripped = text::strip_determiners(raw);
    let mut words: Vec<String> = Vec::new();
    for word in text::words(stripped) {
        if PHRASE_ENDERS.contains(&word.as_str()) && !words.is_empty() {
            break;
        }
        words.push(word);
    }
    // Possessives ("a company's employees") name the owner, not the resource.
    if let Some(index) = words
        .iter()
        .rposition(|w| w.ends_with("'s") || w.ends_with("s'"))
    {
        words.drain(..=index);
    }
    while words
        .first()
        .is_some_and(|w| FILLER_ADJECTIVES.contains(&w.as_str()) || text::is_determiner(w))
    {
        words.remove(0);
    }
    while words.len() > 1
        && words
            .last()
            .is_some_and(|w| GENERIC_TAILS.contains(&w.as_str()))
        && !(words.len() == 2 && words[1] == "items" && words[0] != "todo")
    {
        words.pop();
    }
    if words.is_empty() || words.len() > 3 {
        return None;
    }
    if words.iter().any(|w| {
        NEVER_ENTITY.contains(&w.as_str())
            || w.chars().all(|c| c.is_ascii_digit())
            || w.chars().count() < 2
    }) {
        return None;
    }
    if !words
        .last()
        .is_some_and(|w| w.chars().any(char::is_alphabetic))
    {
        return None;
    }
    Some(words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Option<&str>) {
        assert_eq!(
            entity_phrase(input).as_deref(),
            expect,
            "entity phrase of {input:?}"
        );
    }

    #[test]
    fn entity_phrases() {
        check("Each order item", Some("order item"));
        check("many order items", Some("order items"));
        check("a company's employees", Some("employees"));
        check("Import records", Some("import"));
        check("a todo list", Some("todo"));
        check("books that are overdue", Some("books"));
        check("the API", None);
        check("it", None);
        // Capability nouns are data unless the prompt attempted an injection (`guard`).
        check("an endpoint", Some("endpoint"));
        check("servers", Some("servers"));
        check("Entities", None);
        check("a REST API for an internal helpdesk", None);
        check("inventory items", Some("inventory items"));
        check("42", None);
    }
}
