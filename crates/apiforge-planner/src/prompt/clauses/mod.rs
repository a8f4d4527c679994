//! Clauses → statements. A clause is read as one of:
//! - a heading or terse declaration: "Entities:", "course: code, title, credits";
//! - a many-to-many statement: "Tasks and tags are many-to-many";
//! - subject + verb phrases: "Comments have a body and belong to a post and a user",
//!   "a user logs workouts with a date", "Members can borrow books through loans that record …";
//! - an imperative: "Track workouts", "Also track Import records with a source";
//! - the API's title: "Build a blogging API with users, posts and comments";
//! - a bare list: "courses, students, enrollments", "Owner(name, phone), Pet(name)".
//!
//! Statements keep phrases as written; the builder turns them into entity names.

use std::sync::LazyLock;

use apiforge_manifest::words::{entity_name, singular};
use regex::Regex;

use super::enums::ENUM_HEADS;
use super::names::entity_phrase;
use super::text::{self, regex};

mod verbs;

use verbs::{has_verb, split_with, verb_phrases};

/// What one clause states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Statement {
    /// The API as a whole ("a simple todo list api"): its domain words.
    Title {
        /// Domain words, e.g. "todo list".
        domain: String,
    },
    /// An entity exists, with a field list when one was given.
    Declare {
        /// The entity phrase.
        entity: String,
        /// Raw field list.
        fields: Option<String>,
    },
    /// `child` belongs to `parent`.
    BelongsTo {
        /// The entity holding the foreign key.
        child: String,
        /// The entity pointed at.
        parent: String,
        /// Whether the link must be set.
        required: bool,
    },
    /// `left` and `right` are linked many-to-many, with fields on the link.
    ManyToMany {
        /// The side that declares the link.
        left: String,
        /// The other side.
        right: String,
        /// Raw field list stored on the link.
        link_fields: Option<String>,
    },
    /// `join` links two records of `entity` in two roles (a follow: its follower and the
    /// user followed). A many-to-many link of an entity to itself is not expressible, and its
    /// two columns need distinct names.
    SelfJoin {
        /// The join entity.
        join: String,
        /// The entity linked to itself.
        entity: String,
        /// The role names of the two links.
        roles: [String; 2],
    },
    /// `join` records which of each `parents` (e.g. a loan: which member, which book).
    Join {
        /// The join entity.
        join: String,
        /// The entities it links.
        parents: Vec<String>,
        /// Raw field list of the join entity.
        fields: Option<String>,
    },
}

static TITLE_WORD: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)\b(?:api|apis|backend|back-end|service|microservice|app|application|system|platform|server|website|web\s+site|database|db|tool|software|portal|dashboard|crm|erp|cms|tracker)\b",
    )
});

static GENERIC_TITLE_WORD: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(?:api|apis|backend|back-end|service|microservice|app|application|system|platform|server|website|web\s+site|database|db|tool|software)$",
    )
});

static HEADING: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(?:the\s+)?(?:entities|resources|models|tables|objects|data\s+model|schema|fields|attributes|relations|relationships|data|requirements|features|notes|details|overview|spec|specification|example|examples)$",
    )
});

static CLAUSE_VERB: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)\b(?:has|have|had|belongs?|is|are|was|were|contains?|includes?|with|can|must|should|will|references?|logs?|sends?|uses?)\b",
    )
});

static LEADING_CONNECTOR: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(?:(?:also|and|then|plus|additionally|finally|next|so|moreover|furthermore|lastly|besides|in\s+addition|on\s+top\s+of\s+that|oh|ok|okay|note\s+that|remember\s+that)\b[,:]?\s*)+",
    )
});

static IMPERATIVE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(?:please\s+)?(?:(?:i|we)\s+(?:also\s+)?(?:need|want|would\s+like)\s+(?:to\s+(?:track|manage|store|keep\s+track\s+of|keep|record|have|model|handle|list|log)\s+)?|(?:track|manage|store|keep\s+track\s+of|keep|record|add|create|handle|support|include|model|list|log|need|want|build|make|design|write|generate|implement|set\s+up|provide)\s+|there\s+(?:are|is|should\s+be|will\s+be)\s+|(?:we|i)\s+have\s+|it\s+(?:has|needs|should\s+have|manages|tracks|stores)\s+)(.+)$",
    )
});

/// "Whether a song is explicit.": a sentence of its own that adds a flag to the thing named.
static WHETHER_SENTENCE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^whether\s+(?:or\s+not\s+)?(?:a|an|the|each|every)\s+(\w+(?:\s+\w+)?)\s+(is|are|was|were|has|have|had|can|may|should|must)\s+(.+)$",
    )
});
/// "Songs can be marked as explicit": a flag the records carry.
static MARKED_AS: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(.+?)\s+(?:(?:can|may|could|should|must)\s+be|(?:is|are)|gets?)\s+(?:marked|flagged|labell?ed|set)\s+as\s+(.+?)(?:\s+or\s+not)?$",
    )
});

static ENDPOINTS_FOR: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(?:(?:some|the|rest|restful|crud)\s+)*(?:endpoints?|routes?|apis?|crud)\s+(?:for|to\s+manage|managing|around|on)\s+",
    )
});

/// "users can be friends with other users", "members are friends with each other".
static FRIENDS_WITH: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(.+?)\s+(?:(?:can|may|could|will)\s+)?(?:(?:be|are|become)\s+friends\s+with|befriend)\s+(?:other|another|fellow)?\s*(.+)$",
    )
});
/// "Alice and Bob are friends": two people named by name are users who are friends.
static NAMED_FRIENDS: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^[A-Z][a-z]+\s+and\s+[A-Z][a-z]+\s+are\s+(?:(?:best|close|good)\s+)?friends$")
});

static LIKE_WORD: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)\S+-like\b"));
static QUOTED_NAME: LazyLock<Regex> = LazyLock::new(|| regex(r#"['"‘“][^'"‘’“”]{1,40}['"’”]\s+"#));

static MANY_TO_MANY: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(.+?)\s+(?:and|&)\s+(.+?)\s+(?:are|have|has|form|share|with|in)?\s*(?:an?\s+)?(?:many[\s-]+to[\s-]+many|n:m|m:n|n-to-n|m-to-n)\b(?:\s+(?:relationship|relation|link|association|related))?(?:\s*,?\s*with\s+(.+))?$",
    )
});
static MANY_TO_MANY_BETWEEN: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)(?:many[\s-]+to[\s-]+many|n:m|m:n)\s*(?:relationship|relation|link|association)?\s+between\s+(.+?)\s+and\s+(.+?)(?:\s*,?\s*with\s+(.+))?$",
    )
});
static MUTUAL_MANY: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(.+?)\s+(?:can\s+)?(?:has|have|belongs?\s+to|be\s+in|be\s+part\s+of|be\s+linked\s+to|be\s+tagged\s+with|contain|contains|include|includes|appear\s+in)\s+(?:many|multiple|several)\s+(.+?)\s*,?\s+and\s+(?:each\s+|a\s+|an\s+)?(.+?)\s+(?:can\s+)?(?:has|have|belongs?\s+to|be\s+in|contain|contains|include|includes|appear\s+in|be\s+used\s+by|be\s+tagged\s+on)\s+(?:many|multiple|several)\s+(.+)$",
    )
});
static VICE_VERSA: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(.+?)\s+(?:can\s+)?(?:has|have|belongs?\s+to)\s+(?:many|multiple|several)\s+(.+?)\s*,?\s+and\s+vice\s+versa$",
    )
});
static TAGGED: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(.+?)\s+(?:are|is|can\s+be)\s+(?:tagged|labell?ed|categori[sz]ed)\s+with\s+(?:many|multiple|several|one\s+or\s+more|any\s+number\s+of)?\s*(.+)$",
    )
});
static TITLE_MENTIONS: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)\b(?:with|for\s+managing|to\s+manage|to\s+track|for\s+tracking|that\s+manages|that\s+tracks|managing|tracking|to\s+handle|handling|to\s+store|storing|to\s+keep\s+track\s+of|to\s+organi[sz]e|to\s+list|listing|covering|including|to\s+book|to\s+schedule|to\s+sell|selling|to\s+rent|to\s+share|sharing)\s+(.+)$",
    )
});
static SINGULAR_ARTICLE: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)^(?:a|an|the|my|our)\s"));
static TITLE_THING_WITH_FIELDS: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^\s*(?:for|of|to\s+manage|for\s+managing|managing|to\s+track|for\s+tracking|tracking|to\s+store|storing)\s+([\w\s'-]+?)\s+(?:with|having|that\s+have|which\s+have)\s+(.+)$",
    )
});
static POSSESSIVE_ITEM: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)^\s*(?:their|its)\s"));
static TITLE_FOR: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)\b(?:for|of|about)\s+(.+)$"));
static TITLE_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(?:please\s+)?(?:(?:i|we)\s+(?:need|want|would\s+like)|build|create|make|design|write|generate|implement|set\s+up|give\s+me|provide|develop)?\s*(?:me\s+)?(?:an?|the|my|our)?\s*",
    )
});

/// "ratings from 1 to 5 stars" in a list of resources: the resource and the bounded value
/// each record holds, named by its unit when one is said.
static BOUNDED_RESOURCE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(?:(?:a|an|the)\s+)?([a-z]+(?:\s+[a-z]+)?)\s+(?:from|between)\s+(\d+)\s+(?:to|and|-)\s+(\d+)(?:\s+(stars|points))?$",
    )
});

/// Everything the clause reader needs beyond the clause.
pub(super) struct Context<'a> {
    /// The whole (cleaned) prompt in lower case, to tell whether a join noun is mentioned.
    pub prompt_lower: &'a str,
}

/// Reads one clause.
pub(super) fn read(clause: &str, context: &Context<'_>) -> Vec<Statement> {
    drop_redundant_mentions(read_raw(clause, context))
}

/// Roles of the two ends of a friendship: who asked and who accepted, since a friendship
/// row links two records of one entity and each end needs its own column.
const FRIENDSHIP_ROLES: [&str; 2] = ["requester", "addressee"];

/// "users can be friends with other users", "Alice and Bob are friends": a friendship record
/// joining two records of one entity, like the self links of the verb reader.
fn friendship(clause: &str) -> Option<Statement> {
    let statement = |entity: &str| Statement::SelfJoin {
        join: "friendship".to_owned(),
        entity: entity.to_owned(),
        roles: FRIENDSHIP_ROLES.map(str::to_owned),
    };
    if NAMED_FRIENDS.is_match(clause) {
        return Some(statement("user"));
    }
    let caps = FRIENDS_WITH.captures(clause)?;
    let subject = caps.get(1)?.as_str();
    let object = caps.get(2)?.as_str().trim().to_ascii_lowercase();
    let subject_name = entity_name(&entity_phrase(subject)?);
    let same = matches!(object.as_str(), "each other" | "one another" | "others")
        || entity_phrase(&object).is_some_and(|p| entity_name(&p) == subject_name);
    same.then(|| statement(subject))
}

/// Drops a bare mention of an entity that an earlier statement of the clause already names.
fn drop_redundant_mentions(statements: Vec<Statement>) -> Vec<Statement> {
    let named_elsewhere = |index: usize, entity: &str| {
        statements.iter().enumerate().any(|(other, statement)| {
            other < index
                && match statement {
                    Statement::Title { .. } => false,
                    Statement::Declare { entity: e, .. } => e == entity,
                    Statement::BelongsTo { child, parent, .. } => {
                        child == entity || parent == entity
                    }
                    Statement::ManyToMany { left, right, .. } => left == entity || right == entity,
                    Statement::Join { join, parents, .. } => {
                        join == entity || parents.iter().any(|p| p == entity)
                    }
                    Statement::SelfJoin {
                        join, entity: e, ..
                    } => join == entity || e == entity,
                }
        })
    };
    statements
        .iter()
        .enumerate()
        .filter(|(index, statement)| match statement {
            Statement::Declare {
                entity,
                fields: None,
            } => !named_elsewhere(*index, entity),
            _ => true,
        })
        .map(|(_, statement)| statement.clone())
        .collect()
}

fn read_raw(clause: &str, context: &Context<'_>) -> Vec<Statement> {
    let clause = LEADING_CONNECTOR.replace(clause.trim(), "");
    let clause = clause.trim().trim_end_matches(['.', ',', ':']);
    if clause.is_empty() || HEADING.is_match(clause) {
        return Vec::new();
    }
    if let Some(statements) = flag_sentence(clause) {
        return statements;
    }
    if let Some(statement) = friendship(clause) {
        return vec![statement];
    }
    if let Some(colon) = text::top_level_colon(clause) {
        return read_colon(&clause[..colon], &clause[colon + 1..], context);
    }
    if let Some(statements) = many_to_many(clause) {
        return statements;
    }
    if let (head, Some(list)) = split_with(clause)
        && let Some(statements) =
            domain_with_resources(&TITLE_PREFIX.replace(head.trim(), ""), list)
    {
        return statements;
    }
    if let Some(statements) = verb_phrases(clause, context) {
        return statements;
    }
    if let Some(caps) = IMPERATIVE.captures(clause) {
        let object = caps.get(1).map_or("", |m| m.as_str());
        // "endpoints for menu items": the endpoints are the API, the items its resource.
        let object = match ENDPOINTS_FOR.find(object) {
            Some(m) => &object[m.end()..],
            None => object,
        };
        // "'Café' menu items": the quoted name is the business, not part of the resource.
        let object = QUOTED_NAME.replace_all(object, "");
        let object = object.as_ref();
        if TITLE_WORD.is_match(object) {
            return title(clause);
        }
        return declarations(object, true);
    }
    if TITLE_WORD.is_match(clause) {
        return title(clause);
    }
    declarations(clause, false)
}

/// "Whether a song is explicit", "Songs can be marked as explicit": a boolean on the thing.
fn flag_sentence(clause: &str) -> Option<Vec<Statement>> {
    let (entity, field) = if let Some(caps) = WHETHER_SENTENCE.captures(clause) {
        let entity = entity_phrase(caps.get(1)?.as_str())?;
        let verb = caps.get(2)?.as_str().to_ascii_lowercase();
        let rest = caps.get(3)?.as_str().trim();
        let field = if matches!(verb.as_str(), "is" | "are" | "was" | "were")
            && text::words(rest).len() <= 3
        {
            // "is explicit": the quality itself names the flag.
            format!("{rest} flag")
        } else {
            format!("whether it {verb} {rest}")
        };
        (entity, field)
    } else if let Some(caps) = MARKED_AS.captures(clause) {
        let entity = entity_phrase(caps.get(1)?.as_str())?;
        let quality = text::strip_determiners(caps.get(2)?.as_str().trim());
        if text::words(quality).len() > 3 {
            return None;
        }
        (entity, format!("{quality} flag"))
    } else {
        return None;
    };
    Some(vec![Statement::Declare {
        entity,
        fields: Some(field),
    }])
}

fn read_colon(head: &str, rest: &str, context: &Context<'_>) -> Vec<Statement> {
    let head = head.trim();
    let rest = rest.trim();
    if rest.is_empty() {
        return if HEADING.is_match(head) {
            Vec::new()
        } else {
            read(head, context)
        };
    }
    if HEADING.is_match(head) {
        return read(rest, context);
    }
    let head_words = text::words(text::strip_determiners(head));
    let rest_has_verb = CLAUSE_VERB.is_match(&text::mask_parens(rest));
    if head_words
        .last()
        .is_some_and(|w| ENUM_HEADS.contains(&w.as_str()))
        && !rest_has_verb
        && head_words.len() > 1
    {
        return read(&format!("{head} ({rest})"), context);
    }
    if !rest_has_verb && is_declaration_list(rest) && !has_verb(head) {
        // "Fleet tracking: vehicles (plate, make), drivers (name, phone)"
        let mut statements = Vec::new();
        let domain = domain_words(head);
        if TITLE_WORD.is_match(head) {
            statements.extend(title(head));
        } else if !domain.is_empty() {
            statements.push(Statement::Title { domain });
        }
        statements.extend(declarations(rest, true));
        return statements;
    }
    // One word names a domain too when it stands for another resource ("Kanban" → tasks),
    // where "course: code, title" is a record and its fields.
    let domain_word = head_words.len() == 1
        && super::defaults::domain_resource(&head_words[0])
            .is_some_and(|resource| resource != singular(&head_words[0]));
    if !rest_has_verb
        && !has_verb(head)
        && ((head_words.len() >= 2 && is_resource_list(rest))
            || (domain_word && are_plural_nouns(&text::split_list(rest))))
    {
        // "School timetable: teachers, classrooms, subjects and lessons": a domain and the
        // things it manages, not a record with fields named like resources.
        let mut statements = title(head);
        if statements.is_empty() {
            statements.push(Statement::Title {
                domain: domain_words(head),
            });
        }
        statements.extend(declarations(rest, true));
        return statements;
    }
    if !rest_has_verb
        && let Some(caps) = IMPERATIVE.captures(head)
        && let Some(object) = caps.get(1)
        && let Some(entity) = entity_phrase(object.as_str())
        && text::words(text::strip_determiners(object.as_str())).len()
            <= entity.split(' ').count() + 1
    {
        // "I want to track my movies: title, release year, …"
        return vec![Statement::Declare {
            entity,
            fields: Some(rest.to_owned()),
        }];
    }
    let head_has_verb = has_verb(head);
    if head_words.len() <= 4
        && !head_has_verb
        && !rest_has_verb
        && !TITLE_WORD.is_match(head)
        && let Some(entity) = entity_phrase(head)
    {
        return vec![Statement::Declare {
            entity,
            fields: Some(rest.to_owned()),
        }];
    }
    let mut statements = read(head, context);
    statements.extend(read(rest, context));
    statements
}

/// Whether text is a bare list of plural resource nouns ("teachers, classrooms and lessons").
fn is_resource_list(text_in: &str) -> bool {
    let items = text::split_list(text_in);
    items.len() >= 2
        && items.iter().all(|item| {
            let bare = text::strip_determiners(&item.text);
            let Some(phrase) = entity_phrase(bare) else {
                return false;
            };
            let last = phrase.rsplit(' ').next().unwrap_or(&phrase);
            !bare.contains('(')
                && text::words(bare).len() == phrase.split(' ').count()
                && singular(last) != last
                && !verbs::is_field_plural(last)
        })
}

/// Whether text is a list of "thing (fields)" items, at least two of them.
fn is_declaration_list(text_in: &str) -> bool {
    let items = text::split_list(text_in);
    items.len() >= 2
        && items.iter().all(|item| {
            let (outside, groups) = text::paren_groups(&item.text);
            !groups.is_empty() && entity_phrase(&outside).is_some()
        })
}

fn many_to_many(clause: &str) -> Option<Vec<Statement>> {
    let (left, right, fields) = if let Some(caps) = MANY_TO_MANY
        .captures(clause)
        .or_else(|| MANY_TO_MANY_BETWEEN.captures(clause))
    {
        (
            caps.get(1)?.as_str(),
            caps.get(2)?.as_str(),
            caps.get(3).map(|m| m.as_str()),
        )
    } else if let Some(caps) = MUTUAL_MANY
        .captures(clause)
        .or_else(|| VICE_VERSA.captures(clause))
        .or_else(|| TAGGED.captures(clause))
    {
        (caps.get(1)?.as_str(), caps.get(2)?.as_str(), None)
    } else {
        return None;
    };
    let left = entity_phrase(left)?;
    let right = entity_phrase(right)?;
    Some(vec![
        Statement::Declare {
            entity: left.clone(),
            fields: None,
        },
        Statement::Declare {
            entity: right.clone(),
            fields: None,
        },
        Statement::ManyToMany {
            left,
            right,
            link_fields: fields.map(str::to_owned),
        },
    ])
}

/// A clause with no verb: "courses, students, enrollments", "Owner(name, phone), Pet(name)",
/// "workouts with a date". `imperative` relaxes the single-item rule ("Track workouts").
pub(super) fn declarations(text_in: &str, imperative: bool) -> Vec<Statement> {
    let (head, with_fields) = split_with(text_in);
    if let Some(fields) = with_fields
        && let Some(statements) = domain_with_resources(head, fields)
    {
        return statements;
    }
    if let Some(fields) = with_fields
        && let Some(entity) = entity_phrase(head)
    {
        return vec![Statement::Declare {
            entity,
            fields: Some(fields.to_owned()),
        }];
    }
    let items = text::split_list(text_in);
    let mut out = Vec::new();
    let domain = domain_words(text_in);
    if items.len() == 1
        && text::paren_groups(&items[0].text).1.is_empty()
        && let Some(resource) = super::defaults::domain_resource(&domain)
        && entity_phrase(&items[0].text).is_none_or(|p| !p.contains(resource))
    {
        // "an address book of contacts": a domain the vague-prompt defaults understand.
        return vec![Statement::Title { domain }];
    }
    let mut previous: Option<String> = None;
    for item in &items {
        let (outside, groups) = text::paren_groups(&item.text);
        if let Some(group) = groups.first()
            && let Some(entity) = entity_phrase(&outside)
        {
            out.push(Statement::Declare {
                entity: entity.clone(),
                fields: Some(group.clone()),
            });
            // "customers (name) and their orders (total)": orders belong to customers.
            if let Some(owner) = &previous
                && POSSESSIVE_ITEM.is_match(&outside)
            {
                out.push(Statement::BelongsTo {
                    child: entity.clone(),
                    parent: owner.clone(),
                    required: true,
                });
            }
            previous = Some(entity);
            continue;
        }
        if let Some(caps) = BOUNDED_RESOURCE.captures(text::strip_determiners(&item.text))
            && let Some(entity) = caps.get(1).and_then(|m| entity_phrase(m.as_str()))
            && let (Some(low), Some(high)) = (caps.get(2), caps.get(3))
        {
            let value = caps.get(4).map_or("score", |m| m.as_str());
            out.push(Statement::Declare {
                entity,
                fields: Some(format!(
                    "{value} from {} to {}",
                    low.as_str(),
                    high.as_str()
                )),
            });
            continue;
        }
        let Some(entity) = entity_phrase(&item.text) else {
            continue;
        };
        // A bare list names things; a longer item is a sentence this reader does not know.
        if text::words(text::strip_determiners(&item.text)).len() > entity.split(' ').count() + 1 {
            continue;
        }
        let last = entity.rsplit(' ').next().unwrap_or_default();
        let plural = singular(last) != last;
        let capitalized = text::strip_determiners(&item.text).starts_with(char::is_uppercase);
        if imperative || plural || (items.len() >= 2 && capitalized) {
            out.push(Statement::Declare {
                entity,
                fields: None,
            });
        } else if super::defaults::domain_resource(&entity).is_some() {
            // "a blog": a domain word the vague-prompt defaults understand.
            out.push(Statement::Title { domain: entity });
        }
    }
    out
}

/// "a blog with posts, comments and tags": a domain word that stands for another resource,
/// followed by plural nouns, names the domain and its resources rather than a record whose
/// fields are called posts and comments.
fn domain_with_resources(head: &str, list: &str) -> Option<Vec<Statement>> {
    // "Users write posts with comments and tags" is a sentence, not a domain.
    // "a blogging API with …" is the title reader's.
    if has_verb(head) || CLAUSE_VERB.is_match(head) || TITLE_WORD.is_match(head) {
        return None;
    }
    let domain = domain_words(head);
    let resource = super::defaults::domain_resource(&domain)?;
    let items = text::split_list(list);
    // "a quiz with questions and answers" describes a quiz; "a quiz with quizzes, questions
    // and answers" names the resources of a quiz app.
    let names_itself = singular(&domain) == resource;
    let lists_itself = items.iter().any(|item| {
        entity_phrase(text::strip_determiners(&item.text)).is_some_and(|p| singular(&p) == resource)
    });
    if domain.is_empty() || domain.split(' ').count() > 3 {
        return None;
    }
    // "a quiz with questions and answers": things a quiz usually has are its resources too,
    // where "recipes with ingredients and steps" stays a recipe's own list fields.
    // Each listed thing hangs off the resource or off another listed thing (a quiz's
    // questions, their answers).
    let listed: Vec<String> = items
        .iter()
        .filter_map(|item| entity_phrase(text::strip_determiners(&item.text)))
        .map(|phrase| singular(&phrase).replace(' ', "_"))
        .collect();
    let linked = |word: &String, to: &str| super::defaults::usually_linked(word, to);
    let parts_of_itself = names_itself
        && listed.len() == items.len()
        && listed.iter().any(|word| linked(word, resource))
        && listed.iter().all(|word| {
            linked(word, resource)
                || listed
                    .iter()
                    .any(|other| other != word && linked(word, other))
        });
    if names_itself && !lists_itself && !parts_of_itself {
        return None;
    }
    if !are_plural_nouns(&items) {
        return None;
    }
    let mut statements = vec![Statement::Title { domain }];
    if parts_of_itself && !lists_itself {
        statements.push(Statement::Declare {
            entity: resource.to_owned(),
            fields: None,
        });
    }
    statements.extend(declarations(list, true));
    Some(statements)
}

/// Whether a list is two or more bare plural nouns ("posts, comments and tags"). Unlike
/// `is_resource_list` it accepts words that are often fields ("comments"): after a domain
/// word they can only be its resources.
fn are_plural_nouns(items: &[text::ListItem]) -> bool {
    items.len() >= 2
        && items.iter().all(|item| {
            let bare = text::strip_determiners(&item.text);
            entity_phrase(bare).is_some_and(|phrase| {
                let last = phrase.rsplit(' ').next().unwrap_or(&phrase);
                !bare.contains('(')
                    && text::words(bare).len() == phrase.split(' ').count()
                    && singular(last) != last
            })
        })
}

/// The API's own description: its domain, and resources named after "with", "to manage", ….
fn title(clause: &str) -> Vec<Statement> {
    let mut out = Vec::new();
    let title_word = TITLE_WORD.find(clause);
    let before = title_word.map_or(clause, |m| &clause[..m.start()]);
    let after = title_word.map_or("", |m| &clause[m.end()..]);
    let mut domain = TITLE_PREFIX.replace(before.trim(), "").trim().to_owned();
    if let Some(caps) = TITLE_THING_WITH_FIELDS.captures(after)
        && let Some(entity) = caps.get(1).and_then(|m| entity_phrase(m.as_str()))
        && entity
            .rsplit(' ')
            .next()
            .is_some_and(|last| singular(last) != last)
    {
        // "a CRUD API for products with name, price and quantity"
        out.push(Statement::Declare {
            entity,
            fields: caps.get(2).map(|m| m.as_str().to_owned()),
        });
    } else if let Some(caps) = TITLE_MENTIONS.captures(after) {
        let list = caps.get(1).map_or("", |m| m.as_str());
        let single_thing = text::split_list(list).len() == 1
            && SINGULAR_ARTICLE.is_match(list)
            && entity_phrase(list).is_some_and(|p| {
                let last = p.rsplit(' ').next().unwrap_or(&p);
                singular(last) == last
            });
        if single_thing {
            // "for managing a pet adoption center": the domain, not a resource.
            if domain_words(&domain).is_empty() {
                domain = list.to_owned();
            }
        } else {
            out.extend(declarations(list, true));
        }
        // "an API for a bookstore with books …": the domain sits between.
        let between = caps.get(0).map_or(after, |m| &after[..m.start()]);
        if domain_words(&domain).is_empty()
            && let Some(caps) = TITLE_FOR.captures(between)
        {
            domain = caps.get(1).map_or("", |m| m.as_str()).to_owned();
        }
    } else if let Some(caps) = TITLE_FOR.captures(after) {
        let list = caps.get(1).map_or("", |m| m.as_str());
        let items = text::split_list(list);
        if items.len() >= 2 {
            for item in &items {
                if let Some(entity) = entity_phrase(&item.text) {
                    out.push(Statement::Declare {
                        entity,
                        fields: None,
                    });
                }
            }
        } else if domain_words(&domain).is_empty() {
            domain = list.to_owned();
        }
    }
    if domain_words(&domain).is_empty()
        && let Some(word) = title_word
        && !GENERIC_TITLE_WORD.is_match(word.as_str())
    {
        // "A CRM where …": the title word is the domain.
        domain = word.as_str().to_owned();
    }
    let domain = domain_words(&domain);
    if !domain.is_empty() {
        out.insert(0, Statement::Title { domain });
    }
    out
}

/// The content words of a title's domain ("a simple todo list" → "todo list").
fn domain_words(raw: &str) -> String {
    const FILLER: &[&str] = &[
        "a",
        "an",
        "the",
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
        "json",
        "web",
        "http",
        "graphql",
        "my",
        "our",
        "your",
        "quick",
        "full",
        "complete",
        "production",
        "ready",
        "production-ready",
        "modern",
        "nice",
        "good",
        "great",
        "clean",
        "fast",
        "lightweight",
        "secure",
        "scalable",
    ];
    // "GitHub-like issue tracker": the comparison is not the domain.
    let raw = LIKE_WORD.replace_all(raw, "");
    let words: Vec<String> = text::words(&raw)
        .into_iter()
        .map(|w| w.trim_end_matches("'s").to_owned())
        .filter(|w| !FILLER.contains(&w.as_str()))
        .collect();
    if words.len() > 4 {
        return String::new();
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(clause: &str, expect: &[&str]) {
        let context = Context {
            prompt_lower: &clause.to_ascii_lowercase(),
        };
        let got: Vec<String> = read(clause, &context)
            .into_iter()
            .map(|statement| match statement {
                Statement::Title { domain } => format!("title {domain}"),
                Statement::Declare { entity, fields } => match fields {
                    Some(fields) => format!("{entity}: {fields}"),
                    None => entity,
                },
                Statement::BelongsTo {
                    child,
                    parent,
                    required,
                } => format!("{child} -> {parent}{}", if required { "" } else { "?" }),
                Statement::ManyToMany {
                    left,
                    right,
                    link_fields,
                } => format!(
                    "{left} <-> {right}{}",
                    link_fields.map(|f| format!(" [{f}]")).unwrap_or_default()
                ),
                Statement::SelfJoin {
                    join,
                    entity,
                    roles,
                } => format!("{join} joins {entity} as {}", roles.join("+")),
                Statement::Join {
                    join,
                    parents,
                    fields,
                } => format!(
                    "{join} joins {}{}",
                    parents.join("+"),
                    fields.map(|f| format!(" [{f}]")).unwrap_or_default()
                ),
            })
            .collect();
        assert_eq!(got, expect, "statements of {clause:?}");
    }

    #[test]
    fn declarations_in_many_styles() {
        check(
            "Books have a title, an ISBN and a number of copies",
            &["books: a title, an ISBN and a number of copies"],
        );
        check(
            "course: code, title, credits",
            &["course: code, title, credits"],
        );
        check(
            "Owner(name, phone), Pet(name, species)",
            &["owner: name, phone", "pet: name, species"],
        );
        check(
            "recipes with a name and instructions",
            &["recipes: a name and instructions"],
        );
        check(
            "Also track Import records with a source",
            &["import: a source"],
        );
        check(
            "courses, students, enrollments",
            &["courses", "students", "enrollments"],
        );
        check("Entities:", &[]);
        check("Whether a song is explicit", &["song: explicit flag"]);
        check(
            "Whether the order has been paid",
            &["order: whether it has been paid"],
        );
        check("songs can be marked as explicit", &["songs: explicit flag"]);
        check(
            "Posts are flagged as featured or not",
            &["posts: featured flag"],
        );
        check(
            "Build a blogging API with users, posts and comments",
            &["title blogging", "users", "posts", "comments"],
        );
        check("a simple todo list api", &["title todo list"]);
        check(
            "a blog with posts, comments and tags",
            &["title blog", "posts", "comments", "tags"],
        );
        check(
            "Recipes API with ratings from 1 to 5 stars and comments",
            &["title recipes", "ratings: stars from 1 to 5", "comments"],
        );
        // The recipe's own fields, not a domain and its resources.
        check(
            "recipes with a name and instructions",
            &["recipes: a name and instructions"],
        );
    }

    #[test]
    fn relations_in_many_styles() {
        check(
            "Comments have a body and belong to a post and a user",
            &[
                "comments: a body",
                "post",
                "comments -> post",
                "user",
                "comments -> user",
            ],
        );
        check(
            "Pets belong to owners, visits belong to pets",
            &[
                "pets",
                "owners",
                "pets -> owners",
                "visits",
                "visits -> pets",
            ],
        );
        check(
            "Tasks and tags are many-to-many",
            &["tasks", "tags", "tasks <-> tags"],
        );
        check(
            "a recipe uses many ingredients with a quantity for each",
            &[
                "recipe",
                "ingredients",
                "recipe <-> ingredients [a quantity]",
            ],
        );
        check(
            "a user logs workouts with a date and notes",
            &["user", "workouts: a date and notes", "workouts -> user"],
        );
        check(
            "Members can borrow books through loans that record the due date",
            &[
                "members",
                "books",
                "loans joins members+books",
                "loans: the due date",
            ],
        );
        check(
            "a loan records which member borrowed which book",
            &["loan joins member+book"],
        );
        check(
            "Users follow other users",
            &["users", "follow joins users as follower+followed"],
        );
        check(
            "users can be friends with other users",
            &["friendship joins users as requester+addressee"],
        );
        check(
            "Members are friends with each other",
            &["friendship joins Members as requester+addressee"],
        );
        check(
            "Alice and Bob are friends",
            &["friendship joins user as requester+addressee"],
        );
        assert!(friendship("Users can be friends with pets").is_none());
        assert!(friendship("Users are friendly").is_none());
        check(
            "employees can mentor other employees",
            &["employees", "mentorship joins employees as mentor+mentee"],
        );
        check(
            "warehouses (name, city), stock levels record which product and which warehouse with a quantity",
            &[
                "warehouses: name, city",
                "stock levels joins product+warehouse [a quantity]",
            ],
        );
        check(
            "an order belongs to a customer and has many order items",
            &[
                "order",
                "customer",
                "order -> customer",
                "order items",
                "order items -> order",
            ],
        );
    }
}
