//! Realistic example values, derived only from a field's name, type and constraints (never
//! random), and always valid against the schema the field produces: linters (Spectral's
//! `oas3-valid-schema-example`) and contract tests replay them.

use apiforge_manifest::{Field, FieldType};
use serde_json::{Map, Number, Value, json};

use crate::shape::{EntityShape, KeyKind};

/// The UUID used wherever a UUID example is needed.
pub(crate) const UUID: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

/// Example of a field's value, or `None` when its pattern defeats every candidate (then the
/// caller leaves the field, or the whole example, out rather than show an invalid one).
pub(crate) fn field_example(field: &Field, entity: &str) -> Option<Value> {
    let name = field.name.as_str();
    let value = match field.ty {
        FieldType::String | FieldType::Text => return text_example(field, entity),
        FieldType::Email => {
            let candidates = ["jane.doe@example.com", "jane@example.com", "j@x.io"];
            return fitting_text(field, &candidates).map(Value::String);
        }
        FieldType::Url => {
            let url = if has_word(name, &["image", "photo", "avatar", "picture", "cover"]) {
                "https://example.com/images/cover.jpg"
            } else {
                "https://example.com/"
            };
            return fitting_text(field, &[url, "https://example.com/", "http://a.io"])
                .map(Value::String);
        }
        FieldType::Uuid => json!(UUID),
        FieldType::Integer => json!(integer_example(field)),
        FieldType::Number | FieldType::Decimal => number_example(field),
        FieldType::Boolean => match &field.default {
            Some(Value::Bool(default)) => json!(default),
            _ => json!(!has_word(
                name,
                &[
                    "done",
                    "completed",
                    "archived",
                    "deleted",
                    "cancelled",
                    "blocked"
                ]
            )),
        },
        FieldType::Date => json!(if has_word(name, &["birth", "born", "dob"]) {
            "1985-06-15"
        } else if has_word(name, &["due", "end", "until", "expires", "return"]) {
            "2025-04-14"
        } else {
            "2025-03-14"
        }),
        FieldType::Datetime => json!(if has_word(name, &["due", "end", "until", "expires"]) {
            "2025-04-14T17:00:00Z"
        } else {
            "2025-03-14T09:30:00Z"
        }),
        // RFC 3339 full-time carries an offset; the strict readings of format `time` need it.
        FieldType::Time => json!(if has_word(name, &["end", "close", "closes", "until"]) {
            "17:00:00Z"
        } else {
            "09:30:00Z"
        }),
        FieldType::Enum => match &field.default {
            Some(Value::String(default)) if field.values.contains(default) => json!(default),
            _ => json!(field.values.first().cloned().unwrap_or_default()),
        },
        FieldType::Json => match &field.default {
            Some(Value::Object(default)) => Value::Object(default.clone()),
            _ => json!({ "source": "web", "priority": 1 }),
        },
    };
    Some(value)
}

/// Example of an entity's key (path parameters, `id` properties, foreign keys).
pub(crate) fn key_example(entity: &EntityShape<'_>) -> Option<Value> {
    match entity.key.kind {
        KeyKind::Integer => Some(json!(1)),
        KeyKind::Uuid => Some(json!(UUID)),
        KeyKind::ClientString => {
            let field = entity.key.field?;
            text_candidates(field, format!("{}-001", entity.segment)).map(Value::String)
        }
    }
}

fn integer_example(field: &Field) -> i64 {
    let name = field.name.as_str();
    let guess: i64 = if has_word(name, &["year"]) {
        2024
    } else if has_word(name, &["age"]) {
        34
    } else if has_word(name, &["stock", "inventory"]) {
        25
    } else if has_word(name, &["copies", "quantity", "qty", "seats", "guests"]) {
        3
    } else if has_word(name, &["pages"]) {
        320
    } else if has_word(name, &["minutes", "duration", "length"]) {
        45
    } else if has_word(name, &["capacity", "size"]) {
        50
    } else if has_word(name, &["rating", "score", "stars"]) {
        4
    } else if has_word(name, &["price", "cost", "amount", "total", "cents"]) {
        1999
    } else if has_word(name, &["count", "number"]) {
        5
    } else {
        1
    };
    // Validation guarantees whole-number bounds with min <= max.
    let min = field.min.map_or(i64::MIN, |min| min.ceil() as i64);
    let max = field.max.map_or(i64::MAX, |max| max.floor() as i64);
    guess.clamp(min, max.max(min))
}

fn number_example(field: &Field) -> Value {
    let name = field.name.as_str();
    let guess: f64 = if has_word(name, &["latitude", "lat"]) {
        52.52
    } else if has_word(name, &["longitude", "lng", "lon", "long"]) {
        13.405
    } else if has_word(name, &["salary", "income", "budget", "revenue"]) {
        55000.0
    } else if has_word(
        name,
        &[
            "price", "cost", "amount", "total", "fee", "balance", "subtotal", "tax",
        ],
    ) {
        19.99
    } else if has_word(name, &["rating", "score"]) {
        4.5
    } else if has_word(name, &["temperature", "temp"]) {
        21.5
    } else if has_word(name, &["weight", "kg"]) {
        2.5
    } else if has_word(name, &["percent", "percentage", "rate", "discount"]) {
        12.5
    } else if has_word(name, &["humidity"]) {
        45.0
    } else {
        1.5
    };
    let mut value = guess;
    if let Some(min) = field.min {
        value = value.max(min);
    }
    if let Some(max) = field.max {
        value = value.min(max);
    }
    Number::from_f64(value).map_or(json!(0), Value::Number)
}

fn text_example(field: &Field, entity: &str) -> Option<Value> {
    text_candidates(field, natural_text(&field.name, entity)).map(Value::String)
}

/// The natural text if it fits the field, else a common code shape, else a string built
/// from the pattern.
fn text_candidates(field: &Field, natural: String) -> Option<String> {
    let mut candidates: Vec<String> = vec![natural];
    // Common code shapes read better than a string built from the pattern, so they go first.
    candidates.extend(
        [
            "ABC-123", "abc-123", "ABC-1234", "ABC123", "abc123", "abc", "ABC", "123", "A1", "a1",
            "example",
        ]
        .map(str::to_owned),
    );
    if let Some(pattern) = &field.pattern
        && let Some(generated) = from_pattern(pattern)
    {
        candidates.push(generated);
    }
    let refs: Vec<&str> = candidates.iter().map(String::as_str).collect();
    fitting_text(field, &refs)
}

/// The first candidate that, trimmed or padded to the field's lengths, matches its pattern.
fn fitting_text(field: &Field, candidates: &[&str]) -> Option<String> {
    let pattern = field
        .pattern
        .as_deref()
        .and_then(|pattern| regex::Regex::new(&anchored(pattern)).ok());
    candidates.iter().find_map(|candidate| {
        let fitted = fit_length(candidate, field.min_length, field.max_length);
        let length = u32::try_from(fitted.chars().count()).unwrap_or(u32::MAX);
        let long_enough = field.min_length.is_none_or(|min| length >= min);
        let short_enough = field.max_length.is_none_or(|max| length <= max);
        let matches = pattern.as_ref().is_none_or(|re| re.is_match(&fitted));
        (long_enough && short_enough && matches).then_some(fitted)
    })
}

fn fit_length(text: &str, min: Option<u32>, max: Option<u32>) -> String {
    let mut out: String = match max {
        Some(max) => text.chars().take(max as usize).collect(),
        None => text.to_owned(),
    };
    // Trimming may leave a trailing space, which reads as a mistake.
    while out.ends_with(' ') && out.chars().count() > min.unwrap_or(0) as usize {
        out.pop();
    }
    if let Some(min) = min {
        while (out.chars().count() as u32) < min {
            out.push('x');
        }
    }
    out
}

/// The manifest's pattern must match the whole text; JSON Schema's `pattern` matches anywhere,
/// so the contract anchors it. Code generators apply the same anchoring to stay with the
/// contract.
pub fn anchored(pattern: &str) -> String {
    let starts = pattern.starts_with('^');
    let ends = pattern.ends_with('$') && !pattern.ends_with("\\$");
    // A top-level `|` would bind looser than the anchors, so such patterns are wrapped too.
    if starts && ends && !pattern.contains('|') {
        pattern.to_owned()
    } else {
        format!("^(?:{pattern})$")
    }
}

/// A string matching simple patterns (literals, classes, escapes, groups, alternation,
/// quantifiers), taking the first alternative and the fewest repetitions. The caller checks
/// the result against the real regex, so a pattern this does not understand costs nothing.
fn from_pattern(pattern: &str) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut position = 0;
    let out = sequence(&chars, &mut position);
    Some(out)
}

fn sequence(chars: &[char], position: &mut usize) -> String {
    let mut out = String::new();
    while *position < chars.len() {
        let c = chars[*position];
        let atom: String = match c {
            '^' | '$' => {
                *position += 1;
                continue;
            }
            ')' => return out,
            '|' => {
                // Keep the first alternative: skip to the end of this group.
                let mut depth = 0usize;
                while *position < chars.len() {
                    match chars[*position] {
                        '\\' => *position += 1,
                        '(' => depth += 1,
                        ')' if depth == 0 => return out,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    *position += 1;
                }
                return out;
            }
            '(' => {
                *position += 1;
                if chars.get(*position) == Some(&'?') {
                    // (?:…) and friends: skip to the ':'.
                    while *position < chars.len() && chars[*position] != ':' {
                        *position += 1;
                    }
                    *position += 1;
                }
                let inner = sequence(chars, position);
                *position += 1; // ')'
                inner
            }
            '[' => {
                *position += 1;
                let first = class_member(chars, position);
                let mut escaped = false;
                while *position < chars.len() && (escaped || chars[*position] != ']') {
                    escaped = !escaped && chars[*position] == '\\';
                    *position += 1;
                }
                *position += 1;
                first.to_string()
            }
            '\\' => {
                *position += 1;
                let escaped = chars.get(*position).copied().unwrap_or('a');
                *position += 1;
                match escaped {
                    'd' => "1".into(),
                    'w' | 'D' | 'S' => "a".into(),
                    's' => " ".into(),
                    'W' => "-".into(),
                    other => other.to_string(),
                }
            }
            '.' => {
                *position += 1;
                "a".into()
            }
            other => {
                *position += 1;
                other.to_string()
            }
        };
        let repeat = quantifier(chars, position);
        for _ in 0..repeat {
            out.push_str(&atom);
        }
    }
    out
}

/// The first member of a character class, after `[` (a negated class gets a letter outside).
fn class_member(chars: &[char], position: &mut usize) -> char {
    match chars.get(*position) {
        Some('^') => {
            let excluded: Vec<char> = chars[*position..]
                .iter()
                .take_while(|c| **c != ']')
                .copied()
                .collect();
            ['a', 'x', 'Q', '7']
                .into_iter()
                .find(|c| !excluded.contains(c))
                .unwrap_or('z')
        }
        Some('\\') => match chars.get(*position + 1) {
            Some('d') => '1',
            Some('w') => 'a',
            Some('s') => ' ',
            Some(other) => *other,
            None => 'a',
        },
        Some(first) => *first,
        None => 'a',
    }
}

fn quantifier(chars: &[char], position: &mut usize) -> usize {
    let count = match chars.get(*position) {
        Some('?') | Some('*') => {
            *position += 1;
            0
        }
        Some('+') => {
            *position += 1;
            1
        }
        Some('{') => {
            let rest: String = chars[*position + 1..]
                .iter()
                .take_while(|c| **c != '}')
                .collect();
            let low = rest.split(',').next().unwrap_or("1").trim();
            match low.parse::<usize>() {
                Ok(n) => {
                    *position += rest.chars().count() + 2;
                    n.min(64)
                }
                Err(_) => 1,
            }
        }
        _ => 1,
    };
    // A lazy or possessive marker changes nothing about which strings match.
    if matches!(chars.get(*position), Some('?') | Some('+')) && count != 1 {
        *position += 1;
    }
    count
}

/// Whether one of `words` is a `_`-separated word of `name` (or the whole name).
fn has_word(name: &str, words: &[&str]) -> bool {
    name.split('_').any(|part| words.contains(&part))
}

/// Entities whose `name` is a person's name.
const PEOPLE: &[&str] = &[
    "Agent",
    "Author",
    "Volunteer",
    "Candidate",
    "Applicant",
    "Tenant",
    "Athlete",
    "Coach",
    "User",
    "Customer",
    "Member",
    "Employee",
    "Person",
    "Student",
    "Teacher",
    "Patient",
    "Doctor",
    "Contact",
    "Owner",
    "Instructor",
    "Speaker",
    "Guest",
    "Client",
    "Player",
    "Manager",
    "Staff",
    "Attendee",
    "Driver",
    "Artist",
    "Reader",
    "Subscriber",
];

fn natural_text(name: &str, entity: &str) -> String {
    let person = PEOPLE.contains(&entity);
    let text = match name {
        "first_name" | "given_name" | "firstname" => "Jane",
        "last_name" | "family_name" | "surname" | "lastname" => "Doe",
        "name" | "full_name" | "display_name" if person => "Jane Doe",
        "username" | "user_name" | "login" | "handle" => "jdoe",
        "isbn" => "978-0-13-468599-1",
        "sku" => "SKU-10042",
        "slug" => "getting-started",
        "phone" | "phone_number" | "mobile" | "telephone" => "+1-555-0100",
        "password" | "password_hash" => "correct-horse-battery-staple",
        "currency" => "EUR",
        "country_code" => "DE",
        "language" | "locale" => "en",
        "color" | "colour" => "blue",
        "version" => "1.0.0",
        "ip" | "ip_address" => "192.0.2.10",
        _ => "",
    };
    if !text.is_empty() {
        return text.to_owned();
    }
    let by_word: &[(&[&str], &str)] = &[
        (&["title", "headline", "subject"], title_for(entity)),
        (&["name"], name_for(entity)),
        (
            &["description", "summary", "about", "bio"],
            "A short, friendly description.",
        ),
        (
            &["body", "content", "text", "message"],
            "Thanks for the great write-up; it helped a lot.",
        ),
        (
            &["note", "notes", "comment", "remarks"],
            "Please deliver after 5 pm.",
        ),
        (&["street", "address"], "221B Baker Street"),
        (&["city", "town"], "Berlin"),
        (&["country"], "Germany"),
        (&["state", "region", "province"], "Berlin"),
        (&["zip", "postal", "postcode"], "10115"),
        (&["code", "reference", "ref", "number"], "ABC-123"),
        (&["status", "state"], "active"),
        (&["category", "genre", "type", "kind"], "Science Fiction"),
        (&["tag", "label"], "urgent"),
        (
            &["company", "organization", "organisation", "publisher"],
            "Acme Corp",
        ),
        (&["author", "owner", "creator"], "Jane Doe"),
        (&["location", "place", "venue"], "Main Hall"),
        (&["unit"], "kg"),
        (&["token", "key", "secret"], "abc123"),
        (&["timezone", "tz"], "Europe/Berlin"),
        (&["version"], "1.0.0"),
        (&["species"], "Dog"),
        (&["breed"], "Labrador Retriever"),
        (&["model"], "Model X1"),
        (&["diagnosis"], "Seasonal allergies"),
        (&["reason"], "Annual check-up"),
        (
            &["instructions", "steps", "directions"],
            "Mix the ingredients and bake for 25 minutes.",
        ),
        (&["grade"], "A"),
        (&["semester", "term"], "Fall 2025"),
        (&["source", "channel"], "web"),
        (&["answer"], "Paris"),
        (&["question"], "What is the capital of France?"),
    ];
    for (words, text) in by_word {
        if has_word(name, words) {
            return (*text).to_owned();
        }
    }
    format!("Sample {}", name.replace('_', " "))
}

fn title_for(entity: &str) -> &'static str {
    match entity {
        "Book" | "Novel" => "The Pragmatic Programmer",
        "Post" | "Article" | "BlogPost" | "Story" => "Getting Started with Rust",
        "Task" | "Todo" | "TodoItem" | "Ticket" | "Issue" => "Write the quarterly report",
        "Movie" | "Film" => "The Grand Budapest Hotel",
        "Course" | "Lesson" | "Class" => "Introduction to Databases",
        "Event" | "Meeting" | "Session" => "Annual Planning Meeting",
        "Song" | "Track" | "Album" => "Bohemian Rhapsody",
        "Job" | "Position" => "Senior Backend Engineer",
        _ => "Getting Started",
    }
}

fn name_for(entity: &str) -> &'static str {
    match entity {
        "Product" | "Item" => "Wireless Mouse",
        "Category" => "Electronics",
        "Tag" | "Label" => "urgent",
        "Project" => "Website Redesign",
        "Team" | "Department" => "Platform Team",
        "Company" | "Organization" | "Organisation" | "Publisher" | "Supplier" | "Vendor" => {
            "Acme Corp"
        }
        "Course" | "Class" => "Introduction to Databases",
        "Room" => "Room 101",
        "Sensor" | "Device" => "Greenhouse Sensor 1",
        "Restaurant" => "The Golden Fork",
        "Hotel" => "Grand Central Hotel",
        "City" | "Location" => "Berlin",
        "Warehouse" | "Store" | "Shop" => "Central Warehouse",
        "Ingredient" => "Basil",
        "Recipe" => "Margherita Pizza",
        "Role" => "editor",
        "Country" => "Germany",
        "Venue" => "Main Hall",
        "Exercise" => "Push-up",
        "Pet" | "Animal" => "Rex",
        "Brand" => "Acme",
        "Skill" => "Rust",
        "Genre" => "Science Fiction",
        "Language" => "English",
        "Workout" => "Morning Run",
        "Playlist" => "Road Trip Mix",
        "Menu" => "Lunch Menu",
        "Dish" => "Margherita Pizza",
        _ => "Sample name",
    }
}

/// Example object of `properties` in order, skipping fields without an example; `None` if a
/// required one has none.
pub(crate) fn object<'a>(
    entries: impl IntoIterator<Item = (&'a str, Option<Value>, bool)>,
) -> Option<Value> {
    let mut map = Map::new();
    for (name, value, required) in entries {
        match value {
            Some(value) => {
                map.insert(name.to_owned(), value);
            }
            None if required => return None,
            None => {}
        }
    }
    Some(Value::Object(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, ty: FieldType) -> Field {
        Field::new(name, ty)
    }

    fn check(field: &Field, expect: Option<Value>) {
        assert_eq!(field_example(field, "Book"), expect, "example of {field:?}");
    }

    #[test]
    fn names_pick_realistic_values() {
        check(
            &field("isbn", FieldType::String),
            Some(json!("978-0-13-468599-1")),
        );
        check(
            &field("email", FieldType::Email),
            Some(json!("jane.doe@example.com")),
        );
        check(
            &field("title", FieldType::String),
            Some(json!("The Pragmatic Programmer")),
        );
        check(&field("price", FieldType::Decimal), Some(json!(19.99)));
        check(&field("latitude", FieldType::Number), Some(json!(52.52)));
        check(
            &field("publication_year", FieldType::Integer),
            Some(json!(2024)),
        );
        check(
            &field("published_on", FieldType::Date),
            Some(json!("2025-03-14")),
        );
        check(&field("completed", FieldType::Boolean), Some(json!(false)));
    }

    #[test]
    fn constraints_win_over_names() {
        let mut year = field("year", FieldType::Integer);
        year.max = Some(1999.0);
        check(&year, Some(json!(1999)));
        let mut rating = field("rating", FieldType::Number);
        rating.min = Some(0.0);
        rating.max = Some(3.0);
        check(&rating, Some(json!(3.0)));
        let mut short = field("title", FieldType::String);
        short.max_length = Some(6);
        check(&short, Some(json!("The Pr")));
        let mut long = field("code", FieldType::String);
        long.min_length = Some(10);
        check(&long, Some(json!("ABC-123xxx")));
        let mut status = field("status", FieldType::Enum);
        status.values = vec!["draft".into(), "published".into()];
        status.default = Some(json!("published"));
        check(&status, Some(json!("published")));
    }

    #[test]
    fn patterns_are_satisfied_or_the_example_is_dropped() {
        let mut sku = field("sku", FieldType::String);
        sku.pattern = Some("[A-Z]{3}-[0-9]{4}".into());
        check(&sku, Some(json!("ABC-1234")));
        let mut isbn = field("isbn", FieldType::String);
        isbn.pattern = Some(r"^97[89]-\d-\d{2}-\d{6}-\d$".into());
        check(&isbn, Some(json!("978-0-13-468599-1")));
        let mut code = field("code", FieldType::String);
        code.pattern = Some("^(?:red|green)+$".into());
        check(&code, Some(json!("red")));
        let mut hex = field("color", FieldType::String);
        hex.pattern = Some("^#[0-9a-fA-F]{6}$".into());
        check(&hex, Some(json!("#000000")));
        let mut impossible = field("code", FieldType::String);
        impossible.pattern = Some("^[a-z]{5}$".into());
        impossible.max_length = Some(3);
        check(&impossible, None);
    }

    #[test]
    fn client_keys_satisfy_their_pattern() {
        let mut id = field("id", FieldType::String);
        id.pattern = Some("^[A-Z]{2}$".into());
        assert_eq!(
            text_candidates(&id, "countries-001".into()),
            Some("AA".to_owned())
        );
    }

    #[test]
    fn anchoring() {
        assert_eq!(anchored("^a+$"), "^a+$");
        assert_eq!(anchored("a+"), "^(?:a+)$");
        assert_eq!(anchored("^a|b$"), "^(?:^a|b$)$");
    }
}
