//! Statements → manifest: entities in the order the prompt names them, their fields, links,
//! join entities, defaults for undescribed resources, auth and permissions.

use apiforge_manifest::sanitize::field_name;
use apiforge_manifest::words::{entity_name, table_name};
use apiforge_manifest::{Auth, Entity, Field, Manifest, Relation, RelationKind};
use heck::ToSnakeCase;

use super::auth::AuthFacts;
use super::clauses::Statement;
use super::defaults;
use super::fields::{self, Item, Owner};
use super::guard;
use super::names::entity_phrase;
use super::text;
use super::types::{is_person_like, times_of_weekly_slot};

/// Join nouns and the two kinds of thing they connect ("a loan: which book, which member").
const JOIN_NOUNS: &[(&str, &[&str], &[&str])] = &[
    (
        "enrollment",
        &["course", "class", "program", "module", "section"],
        &[
            "student",
            "learner",
            "user",
            "member",
            "pupil",
            "participant",
        ],
    ),
    (
        "enrolment",
        &["course", "class", "program", "module", "section"],
        &[
            "student",
            "learner",
            "user",
            "member",
            "pupil",
            "participant",
        ],
    ),
    (
        "registration",
        &[
            "event",
            "course",
            "conference",
            "session",
            "workshop",
            "race",
            "class",
        ],
        &[
            "attendee",
            "participant",
            "user",
            "member",
            "student",
            "guest",
            "runner",
        ],
    ),
    (
        "loan",
        &["book", "item", "copy", "equipment", "tool", "device"],
        &[
            "member", "user", "borrower", "patron", "student", "customer",
        ],
    ),
    (
        "booking",
        &[
            "room", "table", "flight", "seat", "car", "property", "listing", "event", "class",
            "court", "slot", "trip", "tour",
        ],
        &["guest", "customer", "user", "member", "passenger", "client"],
    ),
    (
        "reservation",
        &[
            "room", "table", "flight", "seat", "car", "property", "listing", "event", "class",
            "court", "slot", "book",
        ],
        &["guest", "customer", "user", "member", "passenger", "client"],
    ),
    (
        "attendance",
        &["event", "class", "session", "meeting", "lesson", "course"],
        &[
            "student",
            "attendee",
            "member",
            "employee",
            "participant",
            "user",
        ],
    ),
    (
        "membership",
        &[
            "group",
            "team",
            "club",
            "organization",
            "organisation",
            "community",
            "project",
        ],
        &["user", "member", "person", "employee", "player"],
    ),
    (
        "subscription",
        &[
            "plan",
            "channel",
            "newsletter",
            "magazine",
            "podcast",
            "service",
        ],
        &["user", "customer", "subscriber", "member"],
    ),
    (
        "rental",
        &[
            "car",
            "vehicle",
            "bike",
            "movie",
            "equipment",
            "property",
            "apartment",
            "tool",
        ],
        &["customer", "user", "member", "renter", "tenant"],
    ),
    (
        "assignment",
        &["project", "task", "course", "shift", "role"],
        &["employee", "user", "student", "member", "worker"],
    ),
    (
        "review",
        &[
            "product",
            "movie",
            "book",
            "restaurant",
            "hotel",
            "course",
            "place",
            "recipe",
            "listing",
        ],
        &["user", "customer", "reviewer", "member", "author"],
    ),
    (
        "rating",
        &[
            "product",
            "movie",
            "book",
            "restaurant",
            "hotel",
            "course",
            "recipe",
            "song",
        ],
        &["user", "customer", "member"],
    ),
    (
        "order_item",
        &["order"],
        &["product", "item", "menu_item", "dish"],
    ),
    (
        "line_item",
        &["order", "invoice", "cart"],
        &["product", "item", "service"],
    ),
    (
        "appointment",
        &[
            "doctor",
            "dentist",
            "therapist",
            "stylist",
            "vet",
            "veterinarian",
            "physician",
        ],
        &["patient", "client", "customer", "pet", "user"],
    ),
    (
        "application",
        &["job", "position", "program", "grant", "listing"],
        &["applicant", "candidate", "user", "student"],
    ),
    (
        "participation",
        &["event", "tournament", "competition", "project"],
        &["participant", "player", "team", "user"],
    ),
];

/// The manifest under construction.
#[derive(Debug, Default)]
struct Draft {
    entities: Vec<Entity>,
    /// The last word of each entity's snake_case name, in step with `entities`.
    last_words: Vec<String>,
    /// Link records whose two links say all there is ("a follow"): no default fields.
    bare_links: Vec<String>,
}

impl Draft {
    /// The entity a phrase names, registering it when new.
    fn register(&mut self, phrase: &str) -> Option<String> {
        let phrase = entity_phrase(phrase)?;
        let name = entity_name(&phrase);
        if let Some(existing) = self.find(&name) {
            return Some(existing);
        }
        self.push(name.clone());
        Some(name)
    }

    fn push_front(&mut self, name: String) {
        let snake = name.to_snake_case();
        self.last_words
            .insert(0, snake.rsplit('_').next().unwrap_or(&snake).to_owned());
        self.entities.insert(0, Entity::new(name));
    }

    fn push(&mut self, name: String) {
        let snake = name.to_snake_case();
        self.last_words
            .push(snake.rsplit('_').next().unwrap_or(&snake).to_owned());
        self.entities.push(Entity::new(name));
    }

    /// The registered entity with this name (or the same plural).
    fn find(&self, name: &str) -> Option<String> {
        if let Some(exact) = self.entities.iter().find(|e| e.name == name) {
            return Some(exact.name.clone());
        }
        let plural = table_name(name);
        if let Some(exact) = self
            .entities
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name) || e.plural == plural)
        {
            return Some(exact.name.clone());
        }
        // "each item belongs to a supplier" after "Each inventory item has …".
        let snake = name.to_snake_case();
        if snake.contains('_') {
            return None;
        }
        let mut matching = self
            .last_words
            .iter()
            .zip(&self.entities)
            .filter(|(last, _)| **last == snake);
        match (matching.next(), matching.next()) {
            (Some((_, only)), None) => Some(only.name.clone()),
            _ => None,
        }
    }

    fn entity_mut(&mut self, name: &str) -> Option<&mut Entity> {
        self.entities.iter_mut().find(|e| e.name == name)
    }

    fn add_fields(&mut self, entity: &str, fields: Vec<Field>) {
        let Some(entity) = self.entity_mut(entity) else {
            return;
        };
        for field in fields {
            if entity.field(&field.name).is_none() {
                entity.fields.push(field);
            }
        }
    }

    fn add_belongs_to(&mut self, child: &str, parent: &str, name: Option<String>, required: bool) {
        let Some(entity) = self.entity_mut(child) else {
            return;
        };
        let self_reference = child == parent;
        let name = match name {
            Some(name) => Some(name),
            None if self_reference => Some("parent".to_owned()),
            None => None,
        };
        let role = name.clone().unwrap_or_else(|| parent.to_snake_case());
        let exists = entity.relations.iter().any(|r| {
            r.kind == RelationKind::BelongsTo
                && r.name.clone().unwrap_or_else(|| r.target.to_snake_case()) == role
        });
        if exists {
            return;
        }
        let mut relation = Relation::new(RelationKind::BelongsTo, parent);
        relation.name = name.filter(|n| *n != parent.to_snake_case());
        relation.required = required && !self_reference;
        entity.relations.push(relation);
    }

    fn add_many_to_many(&mut self, left: &str, right: &str, link_fields: Vec<Field>) {
        if left == right {
            return;
        }
        let linked = |a: &str, b: &str| {
            self.entities.iter().any(|e| {
                e.name == a
                    && e.relations
                        .iter()
                        .any(|r| r.kind == RelationKind::ManyToMany && r.target == b)
            })
        };
        if linked(left, right) || linked(right, left) {
            return;
        }
        let Some(entity) = self.entity_mut(left) else {
            return;
        };
        let mut relation = Relation::new(RelationKind::ManyToMany, right);
        let reserved = [
            format!("{}_id", left.to_snake_case()),
            format!("{}_id", right.to_snake_case()),
        ];
        for field in link_fields {
            if !reserved.contains(&field.name)
                && !relation.fields.iter().any(|f| f.name == field.name)
            {
                relation.fields.push(field);
            }
        }
        entity.relations.push(relation);
    }

    /// Parses a field list for `entity`: fields are added, links become belongs_to.
    fn read_fields(&mut self, entity: &str, list: &str, known: &[String]) {
        let snake = entity.to_snake_case();
        let resolve = |phrase: &str| -> Option<String> {
            let phrase = entity_phrase(phrase)?;
            let name = entity_name(&phrase);
            known.iter().find(|k| **k == name).cloned()
        };
        let owner = Owner {
            snake: &snake,
            person_like: is_person_like(&snake),
            known: &resolve,
        };
        for item in fields::parse_list(list, &owner) {
            match item {
                Item::Fields(fields) => self.add_fields(entity, fields),
                Item::Link {
                    target,
                    name,
                    required,
                    many,
                } => {
                    let target = match self.find(&target) {
                        Some(found) => found,
                        None => {
                            self.push(target.clone());
                            target
                        }
                    };
                    if many {
                        self.add_many_to_many(entity, &target, Vec::new());
                    } else {
                        self.add_belongs_to(entity, &target, name, required);
                    }
                }
            }
        }
    }

    /// Link fields of a many-to-many ("a quantity for each").
    fn link_fields(&self, left: &str, list: &str) -> Vec<Field> {
        let snake = left.to_snake_case();
        let none = |_: &str| None;
        let owner = Owner {
            snake: &snake,
            person_like: false,
            known: &none,
        };
        fields::parse_list(list, &owner)
            .into_iter()
            .flat_map(|item| match item {
                Item::Fields(fields) => fields,
                Item::Link { .. } => Vec::new(),
            })
            .collect()
    }

    /// Join entities named like "enrollment" link the two things they join when the prompt
    /// did not say so.
    fn infer_join_links(&mut self) {
        let names: Vec<(String, String)> = self
            .entities
            .iter()
            .map(|e| (e.name.clone(), e.name.to_snake_case()))
            .collect();
        let last_word = |snake: &str| snake.rsplit('_').next().unwrap_or(snake).to_owned();
        for (name, snake) in &names {
            let Some((_, first, second)) = JOIN_NOUNS
                .iter()
                .find(|(noun, _, _)| *noun == snake || *noun == last_word(snake))
            else {
                continue;
            };
            let linked: usize = self
                .entities
                .iter()
                .find(|e| &e.name == name)
                .map_or(0, |e| {
                    e.relations
                        .iter()
                        .filter(|r| r.kind == RelationKind::BelongsTo)
                        .count()
                });
            if linked >= 2 {
                continue;
            }
            for group in [first, second] {
                let target = names.iter().find(|(other, other_snake)| {
                    other != name
                        && (group.contains(&other_snake.as_str())
                            || group.contains(&last_word(other_snake).as_str()))
                });
                if let Some((target, _)) = target {
                    let already = self.entities.iter().any(|e| {
                        &e.name == name && e.relations.iter().any(|r| &r.target == target)
                    });
                    if !already {
                        self.add_belongs_to(name, target, None, true);
                    }
                }
            }
        }
    }

    /// Whether the prompt (or an earlier inference) already links `a` and `b` directly, either
    /// way.
    fn linked(&self, a: &str, b: &str) -> bool {
        let points_to = |from: &str, to: &str| {
            self.entities
                .iter()
                .any(|e| e.name == from && e.relations.iter().any(|r| r.target == to))
        };
        points_to(a, b) || points_to(b, a)
    }

    /// Whether `a` and `b` are linked directly or through a third entity that belongs to both
    /// (an order's products via line items). Only for many-to-many links: a comment that
    /// belongs to a post and a user says nothing about who wrote the post.
    fn connected(&self, a: &str, b: &str) -> bool {
        self.linked(a, b)
            || self.entities.iter().any(|e| {
                e.name != a
                    && e.name != b
                    && [a, b].iter().all(|end| {
                        e.relations
                            .iter()
                            .any(|r| r.kind == RelationKind::BelongsTo && r.target == *end)
                    })
            })
    }

    /// The usual links between things the prompt names without relating them (an order's
    /// customer, a comment's post): run after every stated relation, never adding a belongs_to
    /// to an entity whose parents the prompt stated, nor linking two entities already linked.
    fn infer_domain_links(&mut self) {
        let names: Vec<(String, String)> = self
            .entities
            .iter()
            .map(|e| (e.name.clone(), e.name.to_snake_case()))
            .collect();
        // Each entity's parents as the prompt stated them (snake_case), before any added here.
        let stated: Vec<(String, Vec<String>)> = self
            .entities
            .iter()
            .map(|e| {
                let parents = e
                    .relations
                    .iter()
                    .filter(|r| r.kind == RelationKind::BelongsTo)
                    .map(|r| r.target.to_snake_case())
                    .collect();
                (e.name.clone(), parents)
            })
            .collect();
        // Links as the prompt left them: a link added here does not block a second role.
        let stated_links: Vec<(String, String)> = self
            .entities
            .iter()
            .flat_map(|e| {
                e.relations
                    .iter()
                    .map(|r| (e.name.clone(), r.target.clone()))
            })
            .collect();
        let linked = |a: &str, b: &str| {
            stated_links
                .iter()
                .any(|(from, to)| (from == a && to == b) || (from == b && to == a))
        };
        let is_word = |snake: &str, word: &str| {
            snake == word || snake.rsplit('_').next().is_some_and(|last| last == word)
        };
        for (word, kind, targets) in defaults::DOMAIN_LINKS {
            for (child, child_snake) in &names {
                if !is_word(child_snake, word) {
                    continue;
                }
                let target = targets.iter().find_map(|candidate| {
                    names
                        .iter()
                        .find(|(other, snake)| other != child && is_word(snake, candidate))
                        .map(|(other, _)| other.clone())
                });
                let Some(target) = target else {
                    continue;
                };
                match kind {
                    defaults::LinkKind::BelongsTo { role, required } => {
                        let parents = stated
                            .iter()
                            .find(|(name, _)| name == child)
                            .map(|(_, parents)| parents.as_slice())
                            .unwrap_or_default();
                        if link_is_free(word, targets, parents, &is_word) && !linked(child, &target)
                        {
                            let role = role.map(str::to_owned);
                            self.add_belongs_to(child, &target, role, *required);
                        }
                    }
                    defaults::LinkKind::ManyToMany(specs) => {
                        if !self.connected(child, &target) {
                            self.add_many_to_many(&target, child, link_fields_of(specs));
                        }
                    }
                    defaults::LinkKind::Through(join) => {
                        let join = entity_name(join);
                        if !self.connected(child, &target) && self.find(&join).is_none() {
                            self.push(join.clone());
                            self.add_belongs_to(&join, child, None, true);
                            self.add_belongs_to(&join, &target, None, true);
                        }
                    }
                }
            }
        }
    }

    /// Removes the entities `drop` names, and every link to them.
    fn drop_entities(&mut self, drop: impl Fn(&str) -> bool) {
        let mut index = 0;
        while index < self.entities.len() {
            if drop(&self.entities[index].name) {
                self.entities.remove(index);
                self.last_words.remove(index);
            } else {
                index += 1;
            }
        }
        for entity in &mut self.entities {
            entity.relations.retain(|r| !drop(&r.target));
        }
    }

    /// Defaults for undescribed entities, and no field that repeats a link's column.
    fn finish_fields(&mut self) {
        for entity in &mut self.entities {
            if entity.fields.is_empty() && !self.bare_links.contains(&entity.name) {
                entity.fields = defaults::fields_for(&entity.name.to_snake_case());
            }
            let roles: Vec<String> = entity
                .relations
                .iter()
                .filter(|r| r.kind == RelationKind::BelongsTo)
                .map(|r| r.name.clone().unwrap_or_else(|| r.target.to_snake_case()))
                .collect();
            entity.fields.retain(|field| {
                !roles.iter().any(|role| {
                    field.name == format!("{role}_id")
                        || (field.name == *role
                            && matches!(field.ty, apiforge_manifest::FieldType::String))
                })
            });
            if entity.fields.is_empty() && roles.is_empty() {
                entity.fields = defaults::fields_for("");
            }
            times_of_weekly_slot(&mut entity.fields);
        }
    }
}

/// Whether the table's link of a `word` entity to one of `targets` may be added to an entity
/// whose stated parents are `parents` (snake_case): not when a stated parent fills this slot
/// (a comment's post), nor when one the table does not know might (a comment's author, who
/// may be the user); a known parent of another slot leaves this one free ("comments belong to
/// posts" still lets users write them).
fn link_is_free(
    word: &str,
    targets: &[&str],
    parents: &[String],
    is_word: &dyn Fn(&str, &str) -> bool,
) -> bool {
    parents.iter().all(|parent| {
        let fills_this = targets.iter().any(|t| is_word(parent, t));
        let fills_another = defaults::DOMAIN_LINKS.iter().any(|(w, kind, others)| {
            *w == word
                && matches!(kind, defaults::LinkKind::BelongsTo { .. })
                && *others != targets
                && others.iter().any(|t| is_word(parent, t))
        });
        !fills_this && fills_another
    })
}

/// Link fields from the table's specs (`?` marks an optional one).
fn link_fields_of(specs: &[&str]) -> Vec<Field> {
    specs
        .iter()
        .map(|spec| {
            let (name, optional) = match spec.strip_suffix('?') {
                Some(name) => (name, true),
                None => (*spec, false),
            };
            let mut field = super::types::typed(name, false);
            if optional {
                field.required = false;
            }
            field
        })
        .collect()
}

/// Whether a join noun (a loan) joins the resource (a book) to something.
fn joins(noun: &str, resource: &str) -> bool {
    JOIN_NOUNS.iter().any(|(join, first, second)| {
        *join == noun && (first.contains(&resource) || second.contains(&resource))
    })
}

/// Whether the domain words are the resource itself ("recipes" → recipe), not a place or
/// activity it stands for ("bakery", "blogging") nor a longer phrase that merely holds it
/// ("customer support chat").
fn names_itself(domain: &str, resource: &str) -> bool {
    let domain_words: Vec<String> = text::words(domain)
        .iter()
        .map(|word| apiforge_manifest::words::singular(word))
        .collect();
    domain_words == text::words(resource)
}

/// Whether a name holds a word that is not trusted in a prompt that attempted an injection.
fn distrusted(name: &str) -> bool {
    text::words(&name.to_snake_case().replace('_', " "))
        .iter()
        .any(|word| guard::is_blocked(word))
}

/// Builds the manifest; `None` when the statements name no resource at all. `tainted`: the
/// prompt attempted an injection, so capability nouns name no entity and no API.
pub(super) fn manifest(
    statements: &[Statement],
    auth: &AuthFacts,
    tainted: bool,
) -> Option<Manifest> {
    let mut draft = Draft::default();
    let mut domain: Option<&str> = None;
    for statement in statements {
        match statement {
            Statement::Title { domain: words } => {
                if domain.is_none() && !words.is_empty() && !(tainted && distrusted(words)) {
                    domain = Some(words);
                }
            }
            Statement::Declare { entity, .. } => {
                draft.register(entity);
            }
            Statement::BelongsTo { child, parent, .. } => {
                draft.register(child);
                draft.register(parent);
            }
            Statement::ManyToMany { left, right, .. } => {
                draft.register(left);
                draft.register(right);
            }
            Statement::Join { join, parents, .. } => {
                for parent in parents {
                    draft.register(parent);
                }
                draft.register(join);
            }
            Statement::SelfJoin { join, entity, .. } => {
                draft.register(entity);
                if let Some(join) = draft.register(join) {
                    draft.bare_links.push(join);
                }
            }
        }
    }
    for permission in &auth.permissions {
        for item in text::split_list(&permission.entity) {
            draft.register(&item.text);
        }
    }
    if draft.entities.is_empty()
        && let Some(domain) = domain
    {
        match defaults::domain_resource(domain) {
            Some(resource) => draft.register(resource),
            None => draft.register(domain),
        };
    }
    if let Some(domain) = domain
        && let Some(resource) = defaults::domain_resource(domain)
        && names_itself(domain, resource)
        && let Some(phrase) = entity_phrase(resource)
    {
        // "Recipes API with ratings and comments": the API's own subject is a resource too,
        // and the one the others attach to, so it comes first.
        let name = entity_name(&phrase);
        if draft.find(&name).is_none() && !(tainted && distrusted(&name)) {
            draft.push_front(name);
        }
    }
    if let Some(domain) = domain
        && let Some((resource, stand_ins)) = defaults::main_resource(domain)
        && let Some(phrase) = entity_phrase(resource)
    {
        // "a blog with comments and tags": the post the comments and tags hang off is meant
        // too, unless it or a stand-in (a blog's articles) is named, or nothing hangs off it.
        let name = entity_name(&phrase);
        let snakes: Vec<String> = draft
            .entities
            .iter()
            .map(|e| e.name.to_snake_case())
            .collect();
        let plays_role = snakes.iter().zip(&draft.last_words).any(|(snake, last)| {
            [snake, last]
                .iter()
                .any(|w| w.as_str() == resource || stand_ins.contains(&w.as_str()))
        });
        let hangs_off = draft
            .last_words
            .iter()
            .any(|word| defaults::usually_linked(word, resource) || joins(word, resource));
        if draft.find(&name).is_none()
            && !plays_role
            && hangs_off
            && !(tainted && distrusted(&name))
        {
            draft.push_front(name);
        }
    }
    if draft.entities.is_empty() {
        return None;
    }

    let known: Vec<String> = draft.entities.iter().map(|e| e.name.clone()).collect();
    let name_of = |draft: &Draft, phrase: &str| -> Option<String> {
        draft.find(&entity_name(&entity_phrase(phrase)?))
    };
    for statement in statements {
        match statement {
            Statement::Title { .. } => {}
            Statement::Declare {
                entity,
                fields: Some(list),
            } => {
                if let Some(entity) = name_of(&draft, entity) {
                    draft.read_fields(&entity, list, &known);
                }
            }
            Statement::Declare { fields: None, .. } => {}
            Statement::BelongsTo {
                child,
                parent,
                required,
            } => {
                if let (Some(child), Some(parent)) =
                    (name_of(&draft, child), name_of(&draft, parent))
                {
                    draft.add_belongs_to(&child, &parent, None, *required);
                }
            }
            Statement::ManyToMany {
                left,
                right,
                link_fields,
            } => {
                if let (Some(left), Some(right)) = (name_of(&draft, left), name_of(&draft, right)) {
                    let fields = link_fields
                        .as_deref()
                        .map(|list| draft.link_fields(&left, list))
                        .unwrap_or_default();
                    draft.add_many_to_many(&left, &right, fields);
                }
            }
            Statement::SelfJoin {
                join,
                entity,
                roles,
            } => {
                if let (Some(join), Some(entity)) = (name_of(&draft, join), name_of(&draft, entity))
                    && join != entity
                {
                    for role in roles {
                        draft.add_belongs_to(&join, &entity, Some(role.clone()), true);
                    }
                }
            }
            Statement::Join {
                join,
                parents,
                fields,
            } => {
                let Some(join) = name_of(&draft, join) else {
                    continue;
                };
                for parent in parents {
                    if let Some(parent) = name_of(&draft, parent)
                        && parent != join
                    {
                        draft.add_belongs_to(&join, &parent, None, true);
                    }
                }
                if let Some(list) = fields {
                    draft.read_fields(&join, list, &known);
                }
            }
        }
    }
    if tainted {
        draft.drop_entities(distrusted);
        if draft.entities.is_empty() {
            return None;
        }
    }
    draft.infer_join_links();
    draft.infer_domain_links();
    draft.finish_fields();

    let auth_kind = if auth.enabled {
        Auth::Jwt {
            roles: auth.roles.clone(),
        }
    } else {
        Auth::None
    };
    if auth.enabled {
        for permission in &auth.permissions {
            for item in text::split_list(&permission.entity) {
                let Some(name) = name_of(&draft, &item.text) else {
                    continue;
                };
                let Some(entity) = draft.entity_mut(&name) else {
                    continue;
                };
                for operation in &permission.operations {
                    let allowed = entity.permissions.entry(*operation).or_default();
                    for role in &permission.roles {
                        if !allowed.contains(role) {
                            allowed.push(role.clone());
                        }
                    }
                }
            }
        }
    }

    let (name, title) = naming(domain, &draft.entities);
    let description = describe(&draft.entities);
    Some(Manifest {
        name,
        title,
        description,
        auth: auth_kind,
        entities: draft.entities,
    })
}

/// Machine name and human title from the domain words, else from the first entity.
fn naming(domain: Option<&str>, entities: &[Entity]) -> (String, String) {
    let words: Vec<String> = match domain {
        Some(domain) => text::words(domain),
        None => entities
            .first()
            .map(|e| text::words(&e.plural.replace('_', " ")))
            .unwrap_or_default(),
    };
    let name = field_name(&words.join(" "));
    let title_words: Vec<String> = words
        .iter()
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect();
    let title = if title_words.is_empty() {
        "API".to_owned()
    } else {
        format!("{} API", title_words.join(" "))
    };
    (name, title)
}

/// "Manages books, authors and loans."
fn describe(entities: &[Entity]) -> String {
    let plurals: Vec<String> = entities
        .iter()
        .map(|e| e.plural.replace('_', " "))
        .collect();
    match plurals.as_slice() {
        [] => String::new(),
        [only] => format!("Manages {only}."),
        [rest @ .., last] => format!("Manages {} and {last}.", rest.join(", ")),
    }
}
