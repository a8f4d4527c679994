//! Verb phrases: "Comments have a body and belong to a post and a user", "a user logs
//! workouts with a date", "Members can borrow books through loans that record …",
//! "Vets treat pets in appointments, which have a date".
//!
//! A clause is cut at its verbs; the text before the first verb is the subject, the text
//! between verbs the objects. Verbs that are also nouns ("books", "records", "posts") only
//! count right after a subject.

use std::sync::LazyLock;

use apiforge_manifest::words::{entity_name, singular};
use regex::Regex;

use super::super::names::entity_phrase;
use super::super::text::{self, regex};
use super::{Context, Statement, TITLE_WORD, declarations, title};

static REGISTERS_WHICH: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)^(?:which|who|what)\b"));

static SUBJECT_AFTER: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\b(?:where|in\s+which|whereby)\s+"));
static RELATIVE_TAIL: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)^(.*?\w)\s*,?\s*\b(?:which|that|who)\s*$"));
static LAST_NOUN: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)\b(?:during|in|at|on|for|of|to|from|with|through|into|by)\s+((?:\w+\s+)?\w+)\s*$")
});
static JOIN_WHEN: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(.+?)\s+(?:for|from|on|at|during)\s+(.*\b(?:time|times|date|dates|day|days|hours?|period|duration|slot|night|nights)\b.*)$",
    )
});
static FOR_TARGET: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)\b(?:for|of|at|on|in)\s+(?:a|an|the|one|their|its)\s+(\w+(?:\s+\w+)?)$")
});
static THROUGH: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(.+?)\s+(?:through|via|by\s+means\s+of|using|by\s+creating|by\s+making)\s+(.+?)(?:\s+(?:that|which|who)\s+(?:also\s+)?(?:records?|stores?|tracks?|keeps?|has|have|holds?|includes?|saves?|notes?|contain|contains|with)\s+(.+))?$",
    )
});
static WITH: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)\s+(?:with|having|including)\s+"));
static POSSESSIVE_START: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)^(?:their|his|her|its|your|our)\s+"));
static FOR_EACH: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)\s*,?\s*(?:for|per)\s+(?:each|every)(?:\s+(?:one|\w+))?\s*$|\s+each$")
});
/// "each server has …": a record, even when its noun could also name the API ("server").
static EACH_START: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)^\s*(?:each|every)\s"));
static MANY_START: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)^(?:many|multiple|several|one\s+or\s+more|any\s+number\s+of)\s"));

/// A verb phrase's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    /// "has", "records": the object is a field list.
    Fields,
    /// "with": a field list, only right after the subject.
    With,
    /// "has many": the objects belong to the subject.
    HasMany,
    /// "contains": like has-many when the object is plural, else fields.
    Contains,
    /// "belongs to", "is assigned to", "references".
    BelongsTo,
    /// "uses": many-to-many.
    Uses,
    /// "borrows", "registers for": a join entity or many-to-many.
    Join,
    /// "logs", "sends", "writes": the objects belong to the subject.
    Owns,
    /// "links", "connects": the subject is a join entity of the objects.
    Links,
}

struct VerbPattern {
    regex: LazyLock<Regex>,
    kind: Verb,
    /// Words that are also nouns ("books", "posts", "records"): only a verb right after a
    /// subject.
    ambiguous: bool,
}

static VERBS: [VerbPattern; 11] = [
    VerbPattern {
        regex: LazyLock::new(|| regex(r"(?i)\b(?:links|connects|ties|relates|associates|pairs)\b")),
        kind: Verb::Links,
        ambiguous: true,
    },
    VerbPattern {
        regex: LazyLock::new(|| {
            regex(
                r"(?i)\b(?:(?:can|may|will|should|must|could)\s+(?:also\s+)?)?(?:has|have|contains?|includes?|holds?|owns?)\s+(?:many|multiple|several|one\s+or\s+more|zero\s+or\s+more|any\s+number\s+of|a\s+list\s+of|a\s+set\s+of|lots\s+of|a\s+collection\s+of)\b",
            )
        }),
        kind: Verb::HasMany,
        ambiguous: false,
    },
    VerbPattern {
        regex: LazyLock::new(|| {
            regex(
                r"(?i)\b(?:(?:can|may|must|should)\s+(?:optionally\s+)?)?(?:optionally\s+)?(?:(?:belongs?|belonging)\s+to|(?:is|are)\s+(?:optionally\s+)?(?:assigned|linked|attached|tied|related|connected|bound|associated)\s+(?:to|with)|(?:is|are)\s+(?:owned|written|created|authored|made|placed|posted|submitted|managed|taught|led|run|hosted|organi[sz]ed|booked|filed|raised|reported|sent|issued|published|uploaded|recorded|logged|given|signed|performed|prescribed|handled|supervised|directed|produced|sold|provided|offered|delivered)\s+by|takes?\s+place\s+(?:at|in|on)|(?:is|are)\s+(?:held|located|stored|based|kept|housed|scheduled)\s+(?:at|in|on)|(?:is|are)\s+(?:a\s+)?part\s+of|(?:is|are)\s+about|(?:is|are)\s+for|covers)\b",
            )
        }),
        kind: Verb::BelongsTo,
        ambiguous: false,
    },
    VerbPattern {
        // Also nouns ("a reference code"), so only right after a subject.
        regex: LazyLock::new(|| {
            regex(r"(?i)\b(?:(?:can|may|must)\s+)?(?:references?|refers?\s+to|points?\s+to)\b")
        }),
        kind: Verb::BelongsTo,
        ambiguous: true,
    },
    VerbPattern {
        regex: LazyLock::new(|| {
            regex(r"(?i)\b(?:contains?|consists?\s+of|(?:is|are)\s+made\s+up\s+of|comprises?)\b")
        }),
        kind: Verb::Contains,
        ambiguous: false,
    },
    VerbPattern {
        regex: LazyLock::new(|| regex(r"(?i)\b(?:(?:can|may)\s+)?(?:uses?|requires?|needs?)\b")),
        kind: Verb::Uses,
        ambiguous: true,
    },
    VerbPattern {
        regex: LazyLock::new(|| {
            regex(
                r"(?i)\b(?:(?:can|may)\s+)?(?:borrows?|register(?:s)?\s+(?:for|to)|enrol(?:l)?s?\s+(?:in|for|on|to)|reserves?|subscribes?\s+to|attends?|rents?|appl(?:y|ies)\s+(?:to|for)|signs?\s+up\s+(?:for|to)|joins?|books?|likes?|rates?|reviews?|comments?\s+on|votes?\s+(?:on|for)|follows?|favou?rites?|bookmarks?)\b",
            )
        }),
        kind: Verb::Join,
        ambiguous: true,
    },
    VerbPattern {
        regex: LazyLock::new(|| {
            regex(
                r"(?i)\b(?:(?:should|must|will|would|can|may)\s+(?:also\s+)?)?(?:has|have|having)\b|\b(?:is|are)\s+(?:described|defined|identified|characteri[sz]ed)\s+by\b|\bcomes?\s+with\b",
            )
        }),
        kind: Verb::Fields,
        ambiguous: false,
    },
    VerbPattern {
        regex: LazyLock::new(|| {
            regex(
                r"(?i)\b(?:(?:should|must|will|can|may)\s+(?:also\s+)?)?(?:holds?|stores?|records?|keeps?|includes?|tracks?|saves?|captures?|recording|storing|tracking|holding|keeping|including|containing|listing|capturing|noting)\b",
            )
        }),
        kind: Verb::Fields,
        ambiguous: true,
    },
    VerbPattern {
        regex: LazyLock::new(|| {
            regex(
                r"(?i)\b(?:(?:can|may|will)\s+)?(?:logs|log|sends?|writes?|posts?|creates?|places?|makes?|submits?|uploads?|publish(?:es)?|leaves?|adds?|manages?|teach(?:es)?|watch(?:es)?|coach(?:es)?|sponsors?|mentors?|organi[sz]es?|hosts?|generates?|produces?|files?|raises?|opens?|issues?|receives?|owns?|runs?|leads?|gives?|takes?|schedules?|orders?|purchases?|buys?|sells?|writes?|authors?|plays?|completes?|earns?|collects?|reports?|performs?|handles?|supervises?|treats?|prescribes?|drives?)\b",
            )
        }),
        kind: Verb::Owns,
        ambiguous: true,
    },
    VerbPattern {
        regex: LazyLock::new(|| regex(r"(?i)\b(?:with|having)\b")),
        kind: Verb::With,
        ambiguous: true,
    },
];

/// One verb occurrence.
#[derive(Debug, Clone, Copy)]
struct VerbMatch {
    start: usize,
    end: usize,
    kind: Verb,
    ambiguous: bool,
    modal: bool,
}

/// Whether the text holds a verb this reader knows.
pub(super) fn has_verb(clause: &str) -> bool {
    verb_matches(clause).next().is_some()
}

fn verb_matches(clause: &str) -> impl Iterator<Item = VerbMatch> {
    let masked = text::mask_parens(clause);
    let mut found: Vec<VerbMatch> = Vec::new();
    for pattern in &VERBS {
        for m in pattern.regex.find_iter(&masked) {
            let lower = m.as_str().to_ascii_lowercase();
            if pattern.ambiguous && !object_follows(&masked[m.end()..]) {
                continue;
            }
            if masked[..m.start()].ends_with('-') {
                // "GitHub-like", "user-owned": part of a compound word, not a verb.
                continue;
            }
            found.push(VerbMatch {
                start: m.start(),
                end: m.end(),
                kind: pattern.kind,
                ambiguous: pattern.ambiguous,
                modal: lower.starts_with("can ")
                    || lower.starts_with("may ")
                    || lower.starts_with("will ")
                    || lower.starts_with("must ")
                    || lower.starts_with("should "),
            });
        }
    }
    // Earliest first; at one position the longest; at equal length the pattern listed first.
    found.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut kept: Vec<VerbMatch> = Vec::new();
    for verb in found {
        if kept.last().is_some_and(|last| verb.start < last.end) {
            continue;
        }
        kept.push(verb);
    }
    kept.into_iter()
}

/// Whether the text after an ambiguous verb starts like an object ("readings", "a post"),
/// not like the rest of a noun phrase ("records with …", "list api").
fn object_follows(rest: &str) -> bool {
    const NOT_OBJECT_STARTS: &[&str] = &[
        "with", "having", "and", "or", "of", "that", "are", "is", "have", "has", "can", "will",
        "should", "must", "belong", "belongs", "for", "in", "on", "to", "from", "by", "as",
    ];
    let trimmed = rest.trim_start();
    if trimmed.starts_with(|c: char| !c.is_alphanumeric()) {
        return false;
    }
    match trimmed.split_whitespace().next() {
        None => false,
        Some(word) => {
            let word = word.to_ascii_lowercase();
            !NOT_OBJECT_STARTS.contains(&word.as_str()) && !TITLE_WORD.is_match(&word)
        }
    }
}

/// Whether a would-be subject opens with a verb that is only ever an imperative ("track
/// Import records with …"), so the clause is an instruction, not a statement about a subject.
fn starts_imperative(subject: &str) -> bool {
    const IMPERATIVES: &[&str] = &[
        "track",
        "manage",
        "keep",
        "add",
        "create",
        "handle",
        "support",
        "include",
        "build",
        "make",
        "design",
        "write",
        "generate",
        "implement",
        "provide",
        "please",
        "need",
        "want",
        "allow",
        "let",
        "enable",
        "also",
    ];
    let words = text::words(subject);
    words.len() >= 2 && IMPERATIVES.contains(&words[0].as_str())
}

/// Subject phrases of "Students and teachers" → ["students", "teachers"].
fn subjects(text: &str) -> Vec<String> {
    text::split_list(text)
        .into_iter()
        .filter_map(|item| entity_phrase(&item.text))
        .collect()
}

/// The new subject at the end of "owners, visits" (before "belong to pets"), or the noun a
/// relative pronoun refers back to ("appointments, which have …"), if any.
fn trailing_subject(between: &str) -> Option<(usize, String)> {
    if let Some(caps) = RELATIVE_TAIL.captures(between) {
        let before = caps.get(1)?;
        let noun = LAST_NOUN
            .captures(before.as_str())
            .and_then(|c| c.get(1))
            .map_or(before.as_str(), |m| m.as_str());
        let phrase = entity_phrase(noun)?;
        return Some((before.end(), phrase));
    }
    let masked = text::mask_parens(between);
    let comma = masked.rfind(',')?;
    let tail = between[comma + 1..].trim();
    let first = tail.split_whitespace().next()?.to_ascii_lowercase();
    if matches!(
        first.as_str(),
        "and" | "or" | "but" | "then" | "so" | "while"
    ) {
        return None;
    }
    let phrase = entity_phrase(tail)?;
    let whole = text::words(text::strip_determiners(tail)).len() == phrase.split(' ').count();
    whole.then_some((comma, phrase))
}

/// "warehouses (name, city), products (name), stock levels" → ("warehouses (name, city),
/// products (name)", "stock levels"): items with their own field lists, then the subject.
fn leading_declarations(subject: &str) -> Option<(&str, &str)> {
    let masked = text::mask_parens(subject);
    let comma = masked.rfind(',')?;
    let before = &subject[..comma];
    let tail = &subject[comma + 1..];
    let items = text::split_list(before);
    let all_declared = !items.is_empty()
        && items.iter().all(|item| {
            let (outside, groups) = text::paren_groups(&item.text);
            !groups.is_empty() && entity_phrase(&outside).is_some()
        });
    (all_declared && paren_free(tail)).then_some((before, tail))
}

fn paren_free(text: &str) -> bool {
    !text.contains(['(', ')'])
}

pub(super) fn verb_phrases(clause: &str, context: &Context<'_>) -> Option<Vec<Statement>> {
    let candidates: Vec<VerbMatch> = verb_matches(clause).collect();
    let mut accepted: Vec<(VerbMatch, Vec<String>)> = Vec::new();
    let mut cut_before: Vec<usize> = Vec::new();
    let mut title_statements = Vec::new();
    for verb in candidates {
        match accepted.last() {
            None => {
                let full_subject = &clause[..verb.start];
                // "A CRM where companies have …": the subject is what follows "where".
                let (prefix, subject) = match SUBJECT_AFTER.find_iter(full_subject).last() {
                    Some(m) => (&full_subject[..m.start()], &full_subject[m.end()..]),
                    None => ("", full_subject),
                };
                // "Vets see pets in appointments, which have …": the subject is the noun the
                // relative pronoun refers back to.
                let relative = RELATIVE_TAIL.is_match(subject);
                // "warehouses (name, city), stock levels record …": the list before the
                // subject declares things of its own.
                let (declared, subject) = match leading_declarations(subject) {
                    Some((before, tail)) if !relative => (declarations(before, true), tail),
                    _ => (Vec::new(), subject),
                };
                let phrases = match trailing_subject(subject) {
                    Some((_, phrase)) if relative => vec![phrase],
                    _ => subjects(subject),
                };
                let words = text::words(subject).len();
                if phrases.is_empty()
                    || words > 8
                    || (TITLE_WORD.is_match(subject) && !EACH_START.is_match(subject))
                    || starts_imperative(subject)
                {
                    continue;
                }
                if TITLE_WORD.is_match(prefix) {
                    title_statements = title(prefix);
                }
                title_statements.extend(declared);
                accepted.push((verb, phrases));
                cut_before.push(verb.start);
            }
            Some((last, phrases)) => {
                if verb.start < last.end || verb.kind == Verb::With {
                    continue;
                }
                let between = &clause[last.end..verb.start];
                let new_subject = trailing_subject(between);
                if verb.ambiguous && !verb.modal && new_subject.is_none() {
                    continue;
                }
                let (cut, phrases) = match new_subject {
                    Some((comma, phrase)) => (last.end + comma, vec![phrase]),
                    None => (verb.start, phrases.clone()),
                };
                accepted.push((verb, phrases));
                cut_before.push(cut);
            }
        }
    }
    if accepted.is_empty() {
        return None;
    }
    let mut statements = title_statements;
    for (index, (verb, subject)) in accepted.iter().enumerate() {
        let end = cut_before.get(index + 1).copied().unwrap_or(clause.len());
        let object = trim_object(&clause[verb.end..end.max(verb.end)]);
        let verb_text = clause[verb.start..verb.end].to_ascii_lowercase();
        for phrase in subject {
            phrase_statements(
                phrase,
                verb.kind,
                &verb_text,
                object,
                context,
                &mut statements,
            );
        }
    }
    Some(statements)
}

fn trim_object(object: &str) -> &str {
    let mut object = object.trim();
    loop {
        let before = object;
        object = object.trim_end_matches([',', ';', ':', '.']).trim_end();
        for connector in [" and", " or", " but", " then", " and also", " also"] {
            let start = object.len().saturating_sub(connector.len());
            if start > 0
                && object
                    .get(start..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case(connector))
            {
                object = object[..start].trim_end();
            }
        }
        if object == before {
            return object;
        }
    }
}

/// Splits "exercises with a name, sets" into the object and its field list.
pub(super) fn split_with(object: &str) -> (&str, Option<&str>) {
    let masked = text::mask_parens(object);
    match WITH.find(&masked) {
        Some(m) => (&object[..m.start()], Some(&object[m.end()..])),
        None => (object, None),
    }
}

fn phrase_statements(
    subject: &str,
    verb: Verb,
    verb_text: &str,
    object: &str,
    context: &Context<'_>,
    out: &mut Vec<Statement>,
) {
    if matches!(verb, Verb::BelongsTo | Verb::Uses | Verb::Join) {
        // The subject is named first, so it is registered first.
        out.push(Statement::Declare {
            entity: subject.to_owned(),
            fields: None,
        });
    }
    match verb {
        Verb::Fields | Verb::With => {
            if REGISTERS_WHICH.is_match(object) {
                let (parents, fields) = which_entities(object);
                if !parents.is_empty() {
                    out.push(Statement::Join {
                        join: subject.to_owned(),
                        parents,
                        fields,
                    });
                    return;
                }
            }
            if verb == Verb::Fields
                && verb_text.contains("has")
                && let Some(children) = plural_entities(object)
                && children.len() >= 2
            {
                // "The blog has posts and comments": resources, not fields.
                out.push(Statement::Declare {
                    entity: subject.to_owned(),
                    fields: None,
                });
                for child in children {
                    out.push(Statement::Declare {
                        entity: child.clone(),
                        fields: None,
                    });
                    out.push(Statement::BelongsTo {
                        child,
                        parent: subject.to_owned(),
                        required: true,
                    });
                }
                return;
            }
            out.push(Statement::Declare {
                entity: subject.to_owned(),
                fields: Some(object.to_owned()),
            });
        }
        Verb::HasMany | Verb::Owns => {
            if let Some(statement) = self_join(subject, verb_text, object) {
                out.push(Statement::Declare {
                    entity: subject.to_owned(),
                    fields: None,
                });
                out.push(statement);
                return;
            }
            let (children, fields) = split_with(object);
            children_of(subject, children, fields, false, out);
        }
        Verb::Contains => {
            let (children, fields) = split_with(object);
            if plural_entities(children).is_some() {
                children_of(subject, children, fields, true, out);
            } else {
                out.push(Statement::Declare {
                    entity: subject.to_owned(),
                    fields: Some(object.to_owned()),
                });
            }
        }
        Verb::Uses => {
            let (targets, fields) = split_with(object);
            for target in text::split_list(targets) {
                if let Some(right) = entity_phrase(&target.text) {
                    out.push(Statement::Declare {
                        entity: right.clone(),
                        fields: None,
                    });
                    out.push(Statement::ManyToMany {
                        left: subject.to_owned(),
                        right,
                        link_fields: fields.map(link_fields),
                    });
                }
            }
        }
        Verb::BelongsTo => {
            // "covers a subject, with a weekday and a start time": the fields are the subject's.
            let (object, fields) = split_with(object);
            if let Some(fields) = fields {
                out.push(Statement::Declare {
                    entity: subject.to_owned(),
                    fields: Some(fields.to_owned()),
                });
            }
            let object = trim_object(object);
            let many = MANY_START.is_match(object);
            let optional = verb_text.contains("optionally")
                || verb_text.starts_with("can ")
                || verb_text.starts_with("may ");
            for target in text::split_list(object) {
                let Some(parent) = entity_phrase(&target.text) else {
                    continue;
                };
                out.push(Statement::Declare {
                    entity: parent.clone(),
                    fields: None,
                });
                if many {
                    out.push(Statement::ManyToMany {
                        left: subject.to_owned(),
                        right: parent,
                        link_fields: None,
                    });
                } else {
                    let optional =
                        optional || target.text.to_ascii_lowercase().contains("optional");
                    out.push(Statement::BelongsTo {
                        child: subject.to_owned(),
                        parent,
                        required: !optional,
                    });
                }
            }
        }
        Verb::Join => join(subject, verb_text, object, context, out),
        Verb::Links => {
            let parents: Vec<String> = text::split_list(object)
                .iter()
                .filter_map(|item| entity_phrase(&item.text))
                .collect();
            if !parents.is_empty() {
                out.push(Statement::Join {
                    join: subject.to_owned(),
                    parents,
                    fields: None,
                });
            }
        }
    }
}

/// "which member borrowed which book and the due date" → (["member", "book"], "the due date").
fn which_entities(object: &str) -> (Vec<String>, Option<String>) {
    let mut parents = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    for item in text::split_list(object) {
        let lower = item.text.to_ascii_lowercase();
        if !(lower.contains("which ") || lower.contains("who ") || lower.starts_with("what ")) {
            let text = item.text.trim();
            let text = text
                .strip_prefix("with ")
                .or_else(|| text.strip_prefix("With "))
                .unwrap_or(text);
            // "the start and end time": keep the "and" that shares "time" out.
            match fields.last_mut() {
                Some(previous) if item.joiner == text::Joiner::And => {
                    previous.push_str(" and ");
                    previous.push_str(text);
                }
                _ => fields.push(text.to_owned()),
            }
            continue;
        }
        // "which warehouse with a quantity": the fields follow the last parent.
        let (parent_text, with_fields) = split_with(&item.text);
        if let Some(with_fields) = with_fields {
            fields.push(with_fields.trim().to_owned());
        }
        let lower = parent_text.to_ascii_lowercase();
        let parts: Vec<&str> = lower
            .split("which ")
            .skip(1)
            .chain(lower.split("who ").skip(1))
            .collect();
        for (index, part) in parts.iter().enumerate() {
            let words: Vec<&str> = part.split_whitespace().take(2).collect();
            // "which student takes which course": a later "which" means a verb sits between.
            let verb_follows = index + 1 < parts.len();
            let two_word_entity = words.len() == 2
                && !verb_follows
                && !words[1].ends_with("ed")
                && entity_phrase(&words.join(" ")).is_some_and(|p| p.contains(' '));
            let candidate = if two_word_entity {
                words.join(" ")
            } else {
                words.first().copied().unwrap_or_default().to_owned()
            };
            if let Some(phrase) = entity_phrase(&candidate)
                && !parents.contains(&phrase)
            {
                parents.push(phrase);
            }
        }
    }
    let fields = (!fields.is_empty()).then(|| fields.join(", "));
    (parents, fields)
}

/// The entity phrases of an object list when each is a plural noun ("posts and comments").
fn plural_entities(object: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for item in text::split_list(object) {
        let phrase = entity_phrase(&item.text)?;
        let last = phrase.rsplit(' ').next()?;
        if singular(last) == last || is_field_plural(last) {
            return None;
        }
        out.push(phrase);
    }
    (!out.is_empty()).then_some(out)
}

/// Plural words that are fields rather than resources ("sets", "reps", "notes").
pub(super) fn is_field_plural(word: &str) -> bool {
    const FIELD_PLURALS: &[&str] = &[
        "sets",
        "reps",
        "servings",
        "copies",
        "credits",
        "points",
        "notes",
        "instructions",
        "hours",
        "minutes",
        "seconds",
        "days",
        "pages",
        "seats",
        "calories",
        "views",
        "likes",
        "votes",
        "details",
        "comments",
        "directions",
        "steps",
        "dimensions",
        "specs",
        "settings",
        "preferences",
        "metadata",
        "keywords",
        "stars",
        "years",
        "wins",
        "losses",
        "goals",
    ];
    FIELD_PLURALS.contains(&word)
}

/// `shared_when_contained`: "contains" was said, so shared things ("products") are linked.
fn children_of(
    parent: &str,
    children: &str,
    fields: Option<&str>,
    shared_when_contained: bool,
    out: &mut Vec<Statement>,
) {
    out.push(Statement::Declare {
        entity: parent.to_owned(),
        fields: None,
    });
    let (subject_fields, child_fields) = match fields {
        Some(fields) if POSSESSIVE_START.is_match(fields) => (
            Some(POSSESSIVE_START.replace(fields, "").into_owned()),
            None,
        ),
        Some(fields) => (None, Some(fields)),
        None => (None, None),
    };
    if let Some(fields) = subject_fields {
        out.push(Statement::Declare {
            entity: parent.to_owned(),
            fields: Some(fields),
        });
    }
    let link = child_fields.is_some_and(|f| FOR_EACH.is_match(f));
    for child in text::split_list(children) {
        let for_parent = FOR_TARGET
            .captures(&child.text)
            .and_then(|caps| entity_phrase(caps.get(1).map_or("", |m| m.as_str())));
        let Some(child) = entity_phrase(&child.text) else {
            continue;
        };
        if entity_name(&child) == entity_name(parent) {
            // "users follow other users": a self-link this reader cannot name well.
            continue;
        }
        if let Some(other) = for_parent {
            // "reservations for a table": the child also belongs to the table.
            out.push(Statement::BelongsTo {
                child: child.clone(),
                parent: other,
                required: true,
            });
        }
        if link {
            out.push(Statement::Declare {
                entity: child.clone(),
                fields: None,
            });
            out.push(Statement::ManyToMany {
                left: parent.to_owned(),
                right: child,
                link_fields: child_fields.map(link_fields),
            });
        } else if shared_when_contained && is_shared_noun(&child) {
            // "orders contain products": products exist on their own, in many orders.
            out.push(Statement::Declare {
                entity: child.clone(),
                fields: child_fields.map(str::to_owned),
            });
            out.push(Statement::ManyToMany {
                left: parent.to_owned(),
                right: child,
                link_fields: None,
            });
        } else {
            out.push(Statement::Declare {
                entity: child.clone(),
                fields: child_fields.map(str::to_owned),
            });
            out.push(Statement::BelongsTo {
                child,
                parent: parent.to_owned(),
                required: true,
            });
        }
    }
}

/// Things that exist on their own and are shared by many owners (a product is in many
/// orders, a tag on many posts), so "X contains Ys" links rather than owns them.
fn is_shared_noun(phrase: &str) -> bool {
    const SHARED: &[&str] = &[
        "product",
        "ingredient",
        "tag",
        "category",
        "skill",
        "genre",
        "label",
        "topic",
        "keyword",
        "feature",
        "amenity",
        "song",
        "track",
        "actor",
        "language",
        "tool",
        "course",
        "book",
        "movie",
        "service",
        "permission",
        "item",
    ];
    let last = phrase.rsplit(' ').next().unwrap_or(phrase);
    SHARED.contains(&singular(last).as_str())
}

/// "a quantity for each" → "a quantity".
fn link_fields(fields: &str) -> String {
    FOR_EACH.replace(fields, "").trim().to_owned()
}

/// The noun a verb makes of its join: "borrows" → "loan".
fn join_noun(verb_text: &str) -> &'static str {
    const NOUNS: &[(&str, &str)] = &[
        ("borrow", "loan"),
        ("register", "registration"),
        ("enrol", "enrollment"),
        ("reserve", "reservation"),
        ("subscribe", "subscription"),
        ("attend", "attendance"),
        ("rent", "rental"),
        ("appl", "application"),
        ("sign", "registration"),
        ("join", "membership"),
        ("book", "booking"),
        ("like", "like"),
        ("rate", "rating"),
        ("review", "review"),
        ("comment", "comment"),
        ("vote", "vote"),
        ("follow", "follow"),
        ("favo", "favorite"),
        ("bookmark", "bookmark"),
    ];
    let verb = verb_text
        .trim_start_matches("can ")
        .trim_start_matches("may ");
    NOUNS
        .iter()
        .find(|(stem, _)| verb.starts_with(stem))
        .map_or("link", |(_, noun)| noun)
}

/// Verbs that link two records of one kind, the record naming the link and its two roles.
const SELF_LINKS: &[(&str, &str, &str, &str)] = &[
    ("follow", "follow", "follower", "followed"),
    ("mentor", "mentorship", "mentor", "mentee"),
    ("block", "block", "blocker", "blocked"),
    ("refer", "referral", "referrer", "referred"),
    ("invite", "invitation", "inviter", "invitee"),
    ("endorse", "endorsement", "endorser", "endorsed"),
    ("review", "review", "reviewer", "reviewee"),
    ("rate", "rating", "rater", "rated"),
    ("coach", "coaching", "coach", "coachee"),
    ("sponsor", "sponsorship", "sponsor", "sponsored"),
];

/// "users follow other users": a record of the link with both ends named by role, since a
/// many-to-many link of an entity to itself is not expressible and needs two column names.
fn self_join(subject: &str, verb_text: &str, object: &str) -> Option<Statement> {
    let verb = text::words(verb_text)
        .into_iter()
        .find(|w| !matches!(w.as_str(), "can" | "may" | "will" | "also"))?;
    let (_, join, first, second) = SELF_LINKS
        .iter()
        .find(|(stem, ..)| verb.starts_with(stem))?;
    let lower = object.trim().to_ascii_lowercase();
    let same = matches!(lower.as_str(), "each other" | "one another" | "others")
        || entity_phrase(&lower).is_some_and(|p| entity_name(&p) == entity_name(subject));
    same.then(|| Statement::SelfJoin {
        join: (*join).to_owned(),
        entity: subject.to_owned(),
        roles: [(*first).to_owned(), (*second).to_owned()],
    })
}

fn join(
    subject: &str,
    verb_text: &str,
    object: &str,
    context: &Context<'_>,
    out: &mut Vec<Statement>,
) {
    if let Some(statement) = self_join(subject, verb_text, object) {
        out.push(statement);
        return;
    }
    if let Some(caps) = THROUGH.captures(object) {
        let target = caps.get(1).map_or("", |m| m.as_str());
        let join = caps.get(2).map_or("", |m| m.as_str());
        let fields = caps.get(3).map(|m| m.as_str().to_owned());
        if let (Some(target), Some(join)) = (entity_phrase(target), entity_phrase(join)) {
            out.push(Statement::Declare {
                entity: target.clone(),
                fields: None,
            });
            out.push(Statement::Join {
                join,
                parents: vec![subject.to_owned(), target],
                fields,
            });
            return;
        }
    }
    let (target, fields) = match JOIN_WHEN.captures(object) {
        // "book rooms for a start time and an end time": the times belong to the booking.
        Some(caps) => (
            caps.get(1).map_or(object, |m| m.as_str()),
            caps.get(2).map(|m| m.as_str()),
        ),
        None => split_with(object),
    };
    let Some(target) = entity_phrase(target) else {
        return;
    };
    out.push(Statement::Declare {
        entity: target.clone(),
        fields: None,
    });
    let mut join_fields = None;
    if let Some(fields) = fields {
        if POSSESSIVE_START.is_match(fields) {
            out.push(Statement::Declare {
                entity: subject.to_owned(),
                fields: Some(POSSESSIVE_START.replace(fields, "").into_owned()),
            });
        } else {
            join_fields = Some(fields.to_owned());
        }
    }
    let noun = join_noun(verb_text);
    // The join noun counts as mentioned when it appears as a word other than the verb itself
    // ("users comment on posts; comments have …", not "users like posts").
    let plural = apiforge_manifest::words::plural(noun);
    let is_noun = |word: &String| word == noun || *word == plural;
    let in_prompt = text::words(context.prompt_lower)
        .iter()
        .filter(|w| is_noun(w))
        .count();
    let in_verb = text::words(verb_text).iter().filter(|w| is_noun(w)).count();
    let mentioned = noun != "link" && in_prompt > in_verb;
    if mentioned || (join_fields.is_some() && noun != "link") {
        out.push(Statement::Join {
            join: noun.to_owned(),
            parents: vec![subject.to_owned(), target],
            fields: join_fields,
        });
    } else {
        out.push(Statement::ManyToMany {
            left: subject.to_owned(),
            right: target,
            link_fields: join_fields,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The accepted verbs of a clause and their subjects, as `subject|verb text`.
    fn check(clause: &str, expect: &[&str]) {
        let masked = text::mask_parens(clause);
        let got: Vec<String> = verb_matches(clause)
            .map(|verb| format!("{}|{}", verb.start, &masked[verb.start..verb.end]))
            .collect();
        assert_eq!(got, expect, "verbs of {clause:?}");
    }

    #[test]
    fn verbs_that_are_also_nouns_need_an_object() {
        check("Devices send readings", &["8|send"]);
        check(
            "Also track Import records with a source",
            &["5|track", "26|with"],
        );
        check("a simple todo list api", &[]);
        check(
            "Members have a name, and can borrow books",
            &["8|have", "25|can borrow"],
        );
        check("a status (has, many) belongs to", &["21|belongs to"]);
    }

    #[test]
    fn subjects_after_where_and_relative_pronouns() {
        let context = Context { prompt_lower: "" };
        let subjects_of = |clause: &str| -> Vec<String> {
            verb_phrases(clause, &context)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|statement| match statement {
                    Statement::Declare {
                        entity,
                        fields: Some(_),
                    } => Some(entity),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(
            subjects_of("A CRM where companies have a name"),
            ["companies"]
        );
        assert_eq!(
            subjects_of("Vets treat pets in appointments, which have a date"),
            ["appointments"]
        );
        assert_eq!(
            subjects_of("Students and teachers have a name"),
            ["students", "teachers"]
        );
    }
}
