//! Field lists → fields: "a title, an optional ISBN (unique), weight in kg, a rating between
//! 1 and 5, a status (draft or published), a location, whether it is paid, an optional
//! manager who is also an employee".
//!
//! Each list item becomes fields, or a link to another entity when the item names one.

use std::sync::LazyLock;

use apiforge_manifest::sanitize::field_name;
use apiforge_manifest::words::singular;
use apiforge_manifest::{Field, FieldType};
use regex::Regex;

use super::constraints::{Facts, annotated_type, retype};
use super::enums;
use super::text::{self, Joiner, regex};
use super::types::typed;

/// What one list item says.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Item {
    /// One or more fields (a location gives two).
    Fields(Vec<Field>),
    /// A link to the entity named by `target` (a phrase, resolved by the caller).
    Link {
        /// The entity phrase.
        target: String,
        /// Role name when it differs from the target ("manager", "home_team").
        name: Option<String>,
        /// Whether the link must be set.
        required: bool,
        /// "many tags": a many-to-many link rather than a belongs_to.
        many: bool,
    },
}

/// What the parser needs to know about the entity the list belongs to.
pub(super) struct Owner<'a> {
    /// The entity's snake_case name.
    pub snake: &'a str,
    /// Whether the entity is a person or account.
    pub person_like: bool,
    /// Resolves a phrase to a declared entity name, if it names one.
    pub known: &'a dyn Fn(&str) -> Option<String>,
}

/// Modifier words that adjust an item rather than name it.
pub(super) static OPTIONAL: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)\b(?:optional(?:ly)?|nullable|if\s+any|may\s+be\s+(?:empty|blank|null|missing)|not\s+required)\b",
    )
});
static REQUIRED: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\b(?:required|mandatory|must\s+be\s+(?:set|given))\b"));
pub(super) static UNIQUE: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)\b(?:unique|distinct)\b"));

static TYPE_ANNOTATION: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(.+?)\s*(?::|=|-|\bas\b|\bof\s+type\b)\s*(string|str|varchar|char|text|int|integer|long|bigint|number|float|double|real|decimal|money|currency|bool|boolean|date|datetime|date-time|timestamp|time|email|url|uri|uuid|guid|json|object)\??$",
    )
});
static MANY_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(?:(?:can\s+)?(?:have\s+)?)?(?:many|multiple|several|one\s+or\s+more|any\s+number\s+of|a\s+list\s+of|a\s+set\s+of)\s",
    )
});
static LIST_SUFFIX: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)^(.+?)\s+list$"));
static SELF_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(.+?)\s+(?:who|which|that)\s+(?:is|are)\s+(?:also\s+)?(?:itself\s+)?(?:(?:an|a|another|the|one\s+of\s+the)\s+)?(.+)$",
    )
});
static WHETHER: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)^(?:a\s+flag\s+for\s+)?whether\s+(?:or\s+not\s+)?(.+)$"));
static WHEN: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(?:the\s+)?(?:(time|date|moment|day)\s+)?(?:when|that)\s+(?:it|they|this|he|she|the\s+\w+(?:\s+\w+)?)\s+(?:was|were|is|are|got|has\s+been|had\s+been|gets)\s+(?:last\s+|first\s+)?(\w+)$",
    )
});
static NUMBER_OF: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(?:(?:the|a|an)\s+)*(?:(total|maximum|max|minimum|min)\s+)?(?:number|count|amount|quantity|#)\s+of\s+(.+)$",
    )
});
static FLAG_SUFFIX: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)^(.+?)\s+(?:flag|boolean|bool|checkbox|toggle|yes/no)$"));
static LOCATION: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(?:gps\s+|geo\s*|geographic\s+)?(?:location|coordinates|coords|geolocation|gps\s+position|lat/long|lat/lng|latitude/longitude|latlng)$",
    )
});

/// Items of a list, with "first and last name" shared out to "first name", "last name".
fn items(list: &str) -> Vec<String> {
    let raw = text::split_list(list);
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (index, item) in raw.iter().enumerate() {
        let next = raw.get(index + 1);
        // "the start and end time": the determiner does not stop the sharing.
        let head = text::strip_determiners(&item.text);
        let text = match next {
            Some(next)
                if next.joiner == Joiner::And
                    && head.split_whitespace().count() == 1
                    && is_modifier(head)
                    && next.text.split_whitespace().count() >= 2 =>
            {
                let tail = next.text.split_whitespace().skip(1).collect::<Vec<_>>();
                format!("{head} {}", tail.join(" "))
            }
            _ => item.text.clone(),
        };
        out.push(text);
    }
    out
}

fn is_modifier(word: &str) -> bool {
    const MODIFIERS: &[&str] = &[
        "first",
        "last",
        "middle",
        "start",
        "end",
        "min",
        "max",
        "minimum",
        "maximum",
        "home",
        "work",
        "mobile",
        "opening",
        "closing",
        "check-in",
        "checkout",
        "departure",
        "arrival",
        "billing",
        "shipping",
        "birth",
        "due",
        "pickup",
        "delivery",
        "origin",
        "destination",
        "sender",
        "recipient",
        "street",
        "given",
        "family",
        "primary",
        "secondary",
    ];
    MODIFIERS.contains(&word.to_ascii_lowercase().as_str())
}

/// Parses a field list.
pub(super) fn parse_list(list: &str, owner: &Owner<'_>) -> Vec<Item> {
    let list = list.trim();
    let list = list
        .strip_suffix("for each")
        .or_else(|| list.strip_suffix("for each one"))
        .unwrap_or(list);
    items(list)
        .iter()
        .filter_map(|item| parse_item(item, owner))
        .collect()
}

/// Parses one item; `None` when it names nothing.
pub(super) fn parse_item(raw: &str, owner: &Owner<'_>) -> Option<Item> {
    let mut phrase = raw.trim().to_owned();
    let mut many = MANY_PREFIX.is_match(&phrase);
    if let Some(caps) = LIST_SUFFIX.captures(&phrase)
        && let Some(head) = caps.get(1)
        && text::words(head.as_str())
            .last()
            .is_some_and(|last| singular(last) != *last)
    {
        // "an allergens list": a list of plain values.
        many = true;
        phrase = head.as_str().to_owned();
    }
    let optional = OPTIONAL.is_match(&phrase);
    let required_said = REQUIRED.is_match(&phrase);
    let unique = UNIQUE.is_match(&phrase);
    phrase = OPTIONAL.replace_all(&phrase, " ").into_owned();
    phrase = REQUIRED.replace_all(&phrase, " ").into_owned();
    phrase = UNIQUE.replace_all(&phrase, " ").into_owned();

    let mut facts = Facts::default();
    let (outside, groups) = text::paren_groups(&phrase);
    phrase = outside;
    for group in &groups {
        facts.read_group(group);
    }
    phrase = facts.read_bounds(&phrase);
    phrase = facts.read_unit(&phrase);
    if facts.values.is_none()
        && let Some((head, values)) = enums::inline(&phrase)
    {
        phrase = head;
        facts.values = Some(values);
    }
    let phrase = phrase.trim().trim_matches([',', ':', '-', '.']);

    if let Some(caps) = SELF_REFERENCE.captures(phrase) {
        let role = name_phrase(caps.get(1).map_or("", |m| m.as_str()));
        let target = caps.get(2).map_or("", |m| m.as_str()).trim();
        if let Some(entity) = (owner.known)(target).or_else(|| plausible_entity(target)) {
            let self_reference = field_name(&entity) == owner.snake;
            let name = field_name(&role);
            let name = (name != field_name(&entity)).then_some(name);
            return Some(Item::Link {
                target: entity,
                name,
                required: !optional && !self_reference,
                many,
            });
        }
    }

    let mut forced: Option<FieldType> = facts.annotated;
    let mut counted = false;
    let mut name_words: String;
    if let Some(caps) = TYPE_ANNOTATION.captures(phrase) {
        // "pages: int", "title - string"
        name_words = name_phrase(caps.get(1).map_or("", |m| m.as_str()));
        forced = caps.get(2).and_then(|m| annotated_type(m.as_str()));
    } else if let Some(caps) = WHETHER.captures(phrase) {
        name_words = whether_name(caps.get(1).map_or("", |m| m.as_str()));
        forced = Some(FieldType::Boolean);
    } else if let Some(caps) = WHEN.captures(phrase) {
        let verb = caps.get(2).map_or("", |m| m.as_str());
        let date_only = caps
            .get(1)
            .is_some_and(|m| matches!(m.as_str().to_ascii_lowercase().as_str(), "date" | "day"));
        if date_only {
            name_words = format!("{verb} date");
            forced = Some(FieldType::Date);
        } else {
            name_words = format!("{verb} at");
            forced = Some(FieldType::Datetime);
        }
    } else if let Some(caps) = NUMBER_OF.captures(phrase) {
        counted = true;
        let counted = name_phrase(caps.get(2).map_or("", |m| m.as_str()));
        name_words = match caps.get(1).map(|m| m.as_str().to_ascii_lowercase()) {
            Some(limit) if limit.starts_with("max") => format!("max {counted}"),
            Some(limit) if limit.starts_with("min") => format!("min {counted}"),
            _ => counted,
        };
        forced = Some(FieldType::Integer);
    } else if let Some(caps) = FLAG_SUFFIX.captures(phrase) {
        name_words = name_phrase(caps.get(1).map_or("", |m| m.as_str()));
        forced = Some(FieldType::Boolean);
    } else {
        name_words = name_phrase(phrase);
    }
    if matches!(
        name_words.trim(),
        "" | "is" | "are" | "can be" | "either" | "be" | "one of" | "whether"
    ) {
        match &facts.values {
            Some(values) => name_words = name_for_values(values).to_owned(),
            None => return None,
        }
    }
    if facts.values.as_deref().is_some_and(is_yes_no) {
        facts.values = None;
        forced = Some(FieldType::Boolean);
    }

    if forced.is_none()
        && facts.values.is_none()
        && let Some(target) = groups.iter().find_map(|group| (owner.known)(group))
    {
        // "a manager (another employee)": the parentheses name the linked entity.
        let self_reference = field_name(&target) == owner.snake;
        let name = field_name(&name_words);
        return Some(Item::Link {
            name: (name != field_name(&target)).then_some(name),
            target,
            required: !optional && !self_reference,
            many,
        });
    }

    if forced.is_none()
        && facts.values.is_none()
        && !facts.bounds_said()
        && let Some(target) = (owner.known)(&name_words)
    {
        let self_reference = field_name(&target) == owner.snake;
        // "issues have a title and labels": many labels, each on many issues.
        let plural = name_words
            .split_whitespace()
            .last()
            .is_some_and(|last| singular(&last.to_ascii_lowercase()) != last.to_ascii_lowercase());
        return Some(Item::Link {
            target,
            name: self_reference.then(|| "parent".to_owned()),
            required: !optional && !self_reference,
            many: many || (plural && !self_reference),
        });
    }
    if forced.is_none()
        && facts.values.is_none()
        && let Some((modifier, target)) = split_role(&name_words, owner)
    {
        let self_reference = field_name(&target) == owner.snake;
        return Some(Item::Link {
            target,
            name: Some(field_name(&modifier)),
            required: !optional && !self_reference,
            many,
        });
    }

    if facts.location || LOCATION.is_match(name_words.trim()) {
        let mut latitude = typed("latitude", false);
        let mut longitude = typed("longitude", false);
        latitude.required = !optional;
        longitude.required = !optional;
        return Some(Item::Fields(vec![latitude, longitude]));
    }

    if many && facts.values.is_none() && forced.is_none() {
        // "a list of ingredients" that are not a resource: a JSON list on the record.
        let mut field = Field::new(field_name(&name_words), FieldType::Json);
        field.required = !optional;
        field.description = Some(format!("List of {}", name_words.trim()));
        return Some(Item::Fields(vec![field]));
    }

    let name = alias(&field_name(&name_words));
    let mut field = typed(&name, owner.person_like);
    if name == "quantity"
        && owner
            .snake
            .split('_')
            .any(|w| matches!(w, "stock" | "inventory"))
    {
        // An order line orders at least one; a stock level may well be empty.
        field.min = Some(0.0);
    }
    if let Some(ty) = forced {
        retype(&mut field, ty);
        if counted {
            field.min = Some(0.0);
        }
        if ty == FieldType::String && field.max_length.is_none() {
            field.max_length = Some(255);
        }
        if ty == FieldType::Boolean {
            field.required = false;
            field.default = Some(serde_json::Value::Bool(false));
        }
    }
    facts.apply(&mut field);
    if unique {
        field.unique = true;
    }
    if optional {
        field.required = false;
    } else if required_said {
        field.required = true;
    }
    Some(Item::Fields(vec![field]))
}

/// A name for values stated without one ("is either public or private" → visibility).
fn name_for_values(values: &[String]) -> &'static str {
    let has = |value: &str| values.iter().any(|v| v == value);
    if has("public") || has("private") {
        "visibility"
    } else if has("active") || has("inactive") {
        "status"
    } else if has("male") || has("female") {
        "gender"
    } else if has("low") || has("high") {
        "level"
    } else if has("small") || has("large") {
        "size"
    } else {
        "kind"
    }
}

/// "(yes/no)", "(true or false)": a flag, not an enumeration.
fn is_yes_no(values: &[String]) -> bool {
    matches!(
        values,
        [a, b] if matches!(
            (a.as_str(), b.as_str()),
            ("yes", "no") | ("no", "yes") | ("true", "false") | ("false", "true") | ("y", "n")
        )
    )
}

/// "the attendee checked in" → "checked in"; "it is paid" → "is paid".
fn whether_name(rest: &str) -> String {
    const AUX: &[&str] = &[
        "is", "are", "was", "were", "has", "have", "had", "been", "did", "does",
    ];
    const PRONOUNS: &[&str] = &["it", "they", "he", "she", "this", "we", "you", "i"];
    let words = text::words(rest);
    let mut index = 0;
    let mut had_determiner = false;
    while index < words.len() && matches!(words[index].as_str(), "the" | "a" | "an" | "this") {
        index += 1;
        had_determiner = true;
    }
    if index < words.len() && PRONOUNS.contains(&words[index].as_str()) {
        index += 1;
    } else if had_determiner && index + 1 < words.len() {
        index += 1; // the subject noun: "the attendee"
    }
    let mut name = Vec::new();
    if index < words.len() && matches!(words[index].as_str(), "is" | "are" | "was" | "were") {
        name.push("is".to_owned());
    }
    while index < words.len() && AUX.contains(&words[index].as_str()) {
        index += 1;
    }
    while index < words.len() && matches!(words[index].as_str(), "a" | "an" | "the") {
        index += 1;
    }
    name.extend(words[index..].iter().cloned());
    if name == ["is"] {
        return String::new();
    }
    name.join(" ")
}

/// The naming words of an item: determiners, possessives and filler nouns removed.
fn name_phrase(raw: &str) -> String {
    let stripped = text::strip_determiners(raw);
    let mut words: Vec<String> = text::words(stripped)
        .into_iter()
        .filter(|w| !w.ends_with("'s"))
        .collect();
    while words.first().is_some_and(|w| {
        matches!(
            w.as_str(),
            "the" | "a" | "an" | "its" | "their" | "his" | "her"
        )
    }) {
        words.remove(0);
    }
    while words.last().is_some_and(|w| {
        matches!(
            w.as_str(),
            "field" | "column" | "attribute" | "property" | "value" | "of" | "for" | "each" | "in"
        )
    }) && words.len() > 1
    {
        words.pop();
    }
    words.join(" ")
}

/// Well-known spellings of one idea collapsed to one name.
fn alias(name: &str) -> String {
    // "a sent at timestamp": the `_at` already says it is a moment.
    if let Some(moment) = name.strip_suffix("_timestamp")
        && moment.ends_with("_at")
    {
        return moment.to_owned();
    }
    match name {
        "email_address" | "e_mail" | "mail" | "e_mail_address" => "email",
        "difficulty_level" => "difficulty",
        "lat" => "latitude",
        "lng" | "lon" | "long" => "longitude",
        "dob" => "date_of_birth",
        "qty" => "quantity",
        "desc" => "description",
        "telephone" | "phone_no" | "tel" => "phone",
        "web_site" => "website",
        "zip" => "zip_code",
        other => other,
    }
    .to_owned()
}

/// "home team" where Team is an entity → ("home", "Team").
fn split_role(phrase: &str, owner: &Owner<'_>) -> Option<(String, String)> {
    let words: Vec<&str> = phrase.split_whitespace().collect();
    if words.len() < 2 || words.len() > 3 {
        return None;
    }
    let last = words.last()?;
    let target = (owner.known)(last)?;
    let modifier = words[..words.len() - 1].join(" ");
    const ROLE_WORDS: &[&str] = &[
        "parent",
        "home",
        "away",
        "primary",
        "secondary",
        "main",
        "assigned",
        "reporting",
        "previous",
        "next",
        "preferred",
        "default",
        "billing",
        "shipping",
        "source",
        "target",
        "origin",
        "destination",
        "sender",
        "recipient",
        "reviewing",
        "supervising",
        "lead",
        "head",
        "backup",
        "current",
        "original",
        "related",
        "linked",
        "owning",
        "responsible",
    ];
    ROLE_WORDS
        .contains(&modifier.as_str())
        .then_some((modifier, target))
}

/// A target phrase of a self-reference that is not yet a declared entity: its entity name.
fn plausible_entity(phrase: &str) -> Option<String> {
    let phrase = super::names::entity_phrase(phrase)?;
    (!phrase.contains(' ')).then(|| apiforge_manifest::words::entity_name(&phrase))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(phrase: &str) -> Option<String> {
        let name = apiforge_manifest::words::entity_name(text::strip_determiners(phrase));
        ["Employee", "Author", "Team", "Category"]
            .contains(&name.as_str())
            .then_some(name)
    }

    /// Renders parsed items compactly: `name:type[!unique][?optional][min..max][=values]`.
    fn check(entity: &str, input: &str, expect: &[&str]) {
        let owner = Owner {
            snake: entity,
            person_like: super::super::types::is_person_like(entity),
            known: &known,
        };
        let got: Vec<String> = parse_list(input, &owner)
            .into_iter()
            .flat_map(|item| match item {
                Item::Fields(fields) => fields.into_iter().map(render).collect::<Vec<_>>(),
                Item::Link {
                    target,
                    name,
                    required,
                    many,
                } => vec![format!(
                    "{}{target}{}{}",
                    if many { "<->" } else { "->" },
                    name.map(|n| format!(" as {n}")).unwrap_or_default(),
                    if required { "" } else { "?" }
                )],
            })
            .collect();
        assert_eq!(got, expect, "fields of {input:?}");
    }

    fn render(field: Field) -> String {
        let mut out = format!("{}:{}", field.name, field.ty.as_str());
        if field.unique {
            out.push('!');
        }
        if !field.required {
            out.push('?');
        }
        if field.min.is_some() || field.max.is_some() {
            let show = |b: Option<f64>| b.map(|b| b.to_string()).unwrap_or_default();
            out.push_str(&format!("[{}..{}]", show(field.min), show(field.max)));
        }
        if field.min_length.is_some() || field.max_length.is_some() {
            let show = |b: Option<u32>| b.map(|b| b.to_string()).unwrap_or_default();
            out.push_str(&format!(
                "[len {}..{}]",
                show(field.min_length),
                show(field.max_length)
            ));
        }
        if !field.values.is_empty() {
            out.push_str(&format!("={}", field.values.join("|")));
        }
        if let Some(description) = field.description {
            out.push_str(&format!(" \"{description}\""));
        }
        out
    }

    #[test]
    fn sentences_of_fields() {
        check(
            "book",
            "a title, an ISBN, a publication year and a number of copies",
            &[
                "title:string[len 1..200]",
                "isbn:string![len 1..64]",
                "publication_year:integer",
                "copies:integer[0..]",
            ],
        );
        check(
            "employee",
            "first and last name, work email, an active flag and an optional manager who is also an employee",
            &[
                "first_name:string[len 1..100]",
                "last_name:string[len 1..100]",
                "work_email:email![len ..254]",
                "active:boolean?",
                "->Employee as manager?",
            ],
        );
    }

    #[test]
    fn units_ranges_and_enums() {
        check(
            "pet",
            "weight in kg, a rating between 1 to 10, a status (draft, published or archived)",
            &[
                "weight:number[0..] \"Weight in kg\"",
                "rating:integer[1..10]",
                "status:enum=draft|published|archived",
            ],
        );
        check(
            "listing",
            "a type of sale or rent, priority low/medium/high, a score from 0 to 100",
            &[
                "type:enum=sale|rent",
                "priority:enum=low|medium|high",
                "score:integer[0..100]",
            ],
        );
        check(
            "recipe",
            "prep time in minutes, a bio of at most 500 characters",
            &[
                "prep_time:integer[0..] \"Prep time in minutes\"",
                "bio:text?[len ..500]",
            ],
        );
    }

    #[test]
    fn flags_dates_locations_and_links() {
        check(
            "registration",
            "when it was created and whether the attendee checked in",
            &["created_at:datetime?", "checked_in:boolean?"],
        );
        check(
            "device",
            "a location (latitude and longitude), an optional unique code",
            &[
                "latitude:number[-90..90]",
                "longitude:number[-180..180]",
                "code:string!?[len 1..64]",
            ],
        );
        check(
            "book",
            "an author, a home team, a parent category",
            &["->Author", "->Team as home", "->Category as parent"],
        );
        check(
            "post",
            "whether it is public, a published flag",
            &["is_public:boolean?", "published:boolean?"],
        );
    }
}
