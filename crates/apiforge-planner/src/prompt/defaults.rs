//! Sensible fields for resources the prompt names without describing ("a todo list api",
//! "a user logs workouts"), and the resource a vague domain word stands for ("blog" → posts).

use apiforge_manifest::Field;

use super::types::{is_person_like, typed};

/// Field names per resource word; a trailing `?` marks an optional field.
const DEFAULT_FIELDS: &[(&str, &[&str])] = &[
    ("todo", &["title", "completed", "due_date?"]),
    (
        "task",
        &[
            "title",
            "description?",
            "completed",
            "due_date?",
            "priority",
        ],
    ),
    ("note", &["title", "body", "pinned"]),
    ("post", &["title", "body", "published", "published_at?"]),
    ("article", &["title", "body", "published", "published_at?"]),
    ("comment", &["body"]),
    ("reply", &["body"]),
    ("deal", &["title", "amount", "close_date?"]),
    ("match", &["scheduled_at", "home_score?", "away_score?"]),
    ("card", &["title", "description?", "due_date?"]),
    ("issue", &["title", "description?", "status"]),
    ("survey", &["title", "description?"]),
    ("response", &["submitted_at", "answers"]),
    ("thread", &["title"]),
    ("topic", &["title"]),
    (
        "product",
        &["name", "description?", "price", "sku", "stock_quantity"],
    ),
    ("item", &["name", "sku", "quantity", "location?"]),
    ("order_item", &["quantity", "unit_price"]),
    ("line_item", &["quantity", "unit_price"]),
    ("cart_item", &["quantity"]),
    ("customer", &["first_name", "last_name", "email", "phone?"]),
    ("user", &["username", "email", "full_name?"]),
    (
        "contact",
        &["first_name", "last_name", "email", "phone?", "company?"],
    ),
    (
        "event",
        &["title", "description?", "start_time", "end_time?"],
    ),
    ("book", &["title", "isbn", "publication_year?"]),
    (
        "movie",
        &[
            "title",
            "release_year",
            "genre?",
            "duration_minutes?",
            "rating?",
        ],
    ),
    (
        "film",
        &[
            "title",
            "release_year",
            "genre?",
            "duration_minutes?",
            "rating?",
        ],
    ),
    (
        "employee",
        &[
            "first_name",
            "last_name",
            "email",
            "hire_date",
            "job_title?",
        ],
    ),
    (
        "invoice",
        &[
            "invoice_number",
            "issue_date",
            "due_date",
            "total_amount",
            "paid",
        ],
    ),
    ("order", &["order_date", "status", "total_amount"]),
    ("category", &["name"]),
    ("tag", &["name"]),
    ("genre", &["name"]),
    ("label", &["name"]),
    ("department", &["name"]),
    (
        "project",
        &["name", "description?", "start_date?", "due_date?"],
    ),
    ("message", &["body", "sent_at"]),
    ("review", &["rating", "comment?"]),
    ("recipe", &["name", "instructions", "servings"]),
    ("company", &["name", "website?"]),
    ("organization", &["name", "website?"]),
    ("team", &["name"]),
    ("group", &["name", "description?"]),
    ("loan", &["loan_date", "due_date", "returned"]),
    ("enrollment", &["enrollment_date", "grade?"]),
    ("registration", &["registered_at", "checked_in"]),
    ("booking", &["start_date", "end_date", "status?"]),
    ("reservation", &["start_date", "end_date", "status?"]),
    ("attendance", &["date", "attended"]),
    ("membership", &["joined_at", "active"]),
    ("subscription", &["started_at", "active"]),
    ("rental", &["start_date", "end_date", "returned"]),
    ("application", &["submitted_at", "status"]),
    ("workout", &["date", "duration", "notes?"]),
    ("exercise", &["name", "sets", "reps", "weight?"]),
    ("payment", &["amount", "paid_at", "method?"]),
    ("room", &["name", "capacity"]),
    ("venue", &["name", "address", "capacity"]),
    ("course", &["code", "title", "credits"]),
    ("class", &["name"]),
    ("location", &["name", "address?", "latitude?", "longitude?"]),
    ("address", &["street", "city", "postal_code", "country"]),
    ("photo", &["title?", "url"]),
    ("image", &["title?", "url"]),
    ("file", &["name", "url", "size_bytes?"]),
    ("document", &["title", "url"]),
    ("attachment", &["name", "url"]),
    ("ticket", &["subject", "description", "priority", "status"]),
    ("device", &["serial_number", "model?", "installed_at?"]),
    ("reading", &["timestamp", "value"]),
    ("vehicle", &["make", "model", "year", "license_plate"]),
    ("car", &["make", "model", "year", "license_plate"]),
    ("song", &["title", "duration_seconds", "artist?"]),
    ("album", &["title", "release_year"]),
    (
        "photo_album",
        &["title", "description?", "cover_photo_url?"],
    ),
    ("playlist", &["name", "description?"]),
    ("question", &["text", "correct_answer?"]),
    ("answer", &["text", "is_correct"]),
    ("rating", &["stars"]),
    ("quiz", &["title", "description?"]),
    ("appointment", &["start_time", "end_time", "notes?"]),
    ("shift", &["start_time", "end_time"]),
    ("expense", &["description", "amount", "date"]),
    ("transaction", &["amount", "occurred_at", "description?"]),
    ("account", &["name", "balance"]),
    ("store", &["name", "address?"]),
    ("supplier", &["name", "email", "phone?"]),
    ("warehouse", &["name", "address?"]),
    ("property", &["title", "address", "price"]),
    ("listing", &["title", "price", "description?"]),
    ("job", &["title", "description?", "salary?"]),
    ("session", &["title", "start_time", "end_time?"]),
    ("meeting", &["title", "start_time", "end_time?"]),
    ("lesson", &["title", "content?"]),
    ("channel", &["name", "description?"]),
    ("habit", &["name", "frequency?", "active"]),
    ("goal", &["title", "target_date?", "achieved"]),
    ("bookmark", &["title", "url"]),
    (
        "menu_item",
        &["name", "description?", "price", "vegetarian"],
    ),
    ("spot", &["number", "level?", "reserved"]),
    ("page", &["title", "content"]),
    ("episode", &["title", "published_at", "duration_seconds?"]),
    ("subscriber", &["email", "name?", "subscribed"]),
    ("link", &["title", "url"]),
];

/// How a usual link between two kinds of thing is modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LinkKind {
    /// The first word belongs to the target, as the named role when there is one.
    BelongsTo {
        /// Role name of the link ("assignee"), else the target's own name.
        role: Option<&'static str>,
        /// Whether the link must be set.
        required: bool,
    },
    /// The first word and the target are linked many-to-many; the target declares the link
    /// (a post has tags, a recipe its ingredients, a student courses). The fields the link
    /// usually carries (a recipe's quantity of an ingredient) follow, `?` marking optional ones.
    ManyToMany(&'static [&'static str]),
    /// A join entity of this name belongs to both (an order's products: order items), so the
    /// link can carry a quantity and the price paid, as the corpus "shop" case models it.
    Through(&'static str),
}

const OWNED: LinkKind = LinkKind::BelongsTo {
    role: None,
    required: true,
};
const OPTIONAL: LinkKind = LinkKind::BelongsTo {
    role: None,
    required: false,
};

/// The links a user expects between things a vague prompt only names: (the entity's last
/// snake_case word, how it links, candidate targets). Only the first candidate the prompt
/// names is linked, so "order" goes to a customer, or to a user when there is no customer.
/// The builder applies these after the prompt's own relations and never against them.
pub(super) const DOMAIN_LINKS: &[(&str, LinkKind, &[&str])] = &[
    (
        "order",
        OWNED,
        &["customer", "client", "buyer", "user", "member"],
    ),
    (
        "order",
        LinkKind::Through("order item"),
        &["product", "item", "menu_item", "dish", "book"],
    ),
    (
        "comment",
        OWNED,
        &[
            "post", "article", "recipe", "ticket", "task", "issue", "photo", "video", "story",
            "episode", "question", "page", "document", "movie", "product",
        ],
    ),
    // Not "author": a blog's authors write its posts, its readers the comments.
    ("comment", OWNED, &["user", "member", "customer"]),
    (
        "review",
        OWNED,
        &[
            "product",
            "movie",
            "film",
            "book",
            "recipe",
            "restaurant",
            "hotel",
            "course",
            "place",
            "listing",
            "game",
            "album",
            "episode",
        ],
    ),
    ("review", OWNED, &["user", "customer", "reviewer", "member"]),
    (
        "rating",
        OWNED,
        &[
            "recipe",
            "product",
            "movie",
            "film",
            "book",
            "restaurant",
            "hotel",
            "course",
            "song",
            "album",
            "game",
            "episode",
        ],
    ),
    ("rating", OWNED, &["user", "customer", "member"]),
    ("task", OWNED, &["project", "board", "list", "sprint"]),
    (
        "task",
        LinkKind::BelongsTo {
            role: Some("assignee"),
            required: false,
        },
        &["user", "member", "employee"],
    ),
    ("issue", OWNED, &["project", "repository"]),
    ("ticket", OPTIONAL, &["agent", "technician"]),
    ("ticket", OWNED, &["customer", "requester", "user"]),
    ("thread", OWNED, &["forum", "board", "category", "topic"]),
    ("thread", OWNED, &["user", "member", "author"]),
    (
        "post",
        OWNED,
        &["thread", "topic", "forum", "blog", "channel", "group"],
    ),
    ("post", OWNED, &["user", "author", "member"]),
    (
        "reply",
        OWNED,
        &["post", "thread", "topic", "comment", "review", "message"],
    ),
    ("reply", OWNED, &["user", "member", "author"]),
    (
        "tag",
        LinkKind::ManyToMany(&[]),
        &[
            "post", "article", "recipe", "task", "issue", "note", "photo", "bookmark", "question",
            "product", "song", "movie", "book", "event", "todo",
        ],
    ),
    (
        "label",
        LinkKind::ManyToMany(&[]),
        &["issue", "task", "ticket", "card", "email", "note"],
    ),
    (
        "course",
        OPTIONAL,
        &["teacher", "instructor", "professor", "lecturer", "tutor"],
    ),
    (
        "course",
        LinkKind::ManyToMany(&[]),
        &["student", "pupil", "learner"],
    ),
    ("class", LinkKind::ManyToMany(&[]), &["student", "pupil"]),
    ("lesson", OWNED, &["course", "class", "module"]),
    ("employee", OPTIONAL, &["department", "team"]),
    ("invoice", OWNED, &["customer", "client", "company"]),
    (
        "payment",
        OWNED,
        &["invoice", "order", "booking", "reservation", "subscription"],
    ),
    ("episode", OWNED, &["season", "show", "podcast", "series"]),
    ("season", OWNED, &["show", "series"]),
    ("song", OPTIONAL, &["album"]),
    ("album", OWNED, &["artist", "band"]),
    ("book", OWNED, &["author"]),
    ("product", OPTIONAL, &["category"]),
    ("expense", OPTIONAL, &["category"]),
    ("transaction", OWNED, &["account"]),
    ("transaction", OPTIONAL, &["category"]),
    ("contact", OPTIONAL, &["company", "organization"]),
    ("deal", OWNED, &["contact", "company"]),
    (
        "question",
        OWNED,
        &["survey", "quiz", "exam", "test", "form"],
    ),
    ("response", OWNED, &["survey", "form", "questionnaire"]),
    ("answer", OWNED, &["question"]),
    ("option", OWNED, &["question"]),
    ("choice", OWNED, &["question"]),
    (
        "message",
        OWNED,
        &["channel", "conversation", "chat", "room"],
    ),
    ("message", OWNED, &["user", "member"]),
    ("workout", OWNED, &["user", "member", "athlete"]),
    ("exercise", OWNED, &["workout"]),
    ("reading", OWNED, &["device", "sensor"]),
    ("pet", OWNED, &["owner"]),
    ("room", OWNED, &["hotel", "building"]),
    ("photo", OPTIONAL, &["album", "gallery"]),
    // A recipe says how much of each ingredient it takes.
    (
        "ingredient",
        LinkKind::ManyToMany(&["quantity", "unit?"]),
        &["recipe", "dish", "product"],
    ),
    ("player", OPTIONAL, &["team"]),
    // A match is between two teams: two links to one entity need their own role names.
    (
        "match",
        LinkKind::BelongsTo {
            role: Some("home_team"),
            required: true,
        },
        &["team"],
    ),
    (
        "match",
        LinkKind::BelongsTo {
            role: Some("away_team"),
            required: true,
        },
        &["team"],
    ),
    ("job", OWNED, &["company", "employer", "organization"]),
    ("card", OWNED, &["list", "column", "board"]),
    ("list", OWNED, &["board"]),
    ("account", OWNED, &["customer", "user", "member"]),
];

/// Whether the table links two kinds of thing (singular snake_case words) either way.
pub(super) fn usually_linked(a: &str, b: &str) -> bool {
    DOMAIN_LINKS.iter().any(|(word, _, targets)| {
        (*word == a && targets.contains(&b)) || (*word == b && targets.contains(&a))
    })
}

/// A qualifying word that picks another resource's defaults for the last word of a name
/// ("photo album" is a photo album, not a music album with a release year): (qualifier,
/// last word, the DEFAULT_FIELDS key to use).
const QUALIFIED_DEFAULTS: &[(&str, &str, &str)] = &[
    ("photo", "album", "photo_album"),
    ("picture", "album", "photo_album"),
    ("wedding", "album", "photo_album"),
    ("family", "album", "photo_album"),
    ("travel", "album", "photo_album"),
    ("baby", "album", "photo_album"),
    ("music", "album", "album"),
    ("studio", "album", "album"),
];

/// Fields for someone or some account with nothing else said.
const PERSON_FIELDS: &[&str] = &["name", "email"];

/// Fields for anything else.
const GENERIC_FIELDS: &[&str] = &["name"];

/// Default fields of an entity whose snake_case name is `snake` ("inventory_item" looks up
/// "inventory_item", then "item").
pub(super) fn fields_for(snake: &str) -> Vec<Field> {
    let person_like = is_person_like(snake);
    let mut words = snake.rsplit('_');
    let last = words.next().unwrap_or(snake);
    let qualified = words.next().and_then(|qualifier| {
        QUALIFIED_DEFAULTS
            .iter()
            .find(|(q, head, _)| *q == qualifier && *head == last)
            .map(|(_, _, key)| *key)
    });
    let specs = DEFAULT_FIELDS
        .iter()
        .find(|(word, _)| *word == snake)
        .or_else(|| qualified.and_then(|key| DEFAULT_FIELDS.iter().find(|(word, _)| *word == key)))
        .or_else(|| DEFAULT_FIELDS.iter().find(|(word, _)| *word == last))
        .map(|(_, specs)| *specs)
        .unwrap_or(if person_like {
            PERSON_FIELDS
        } else {
            GENERIC_FIELDS
        });
    specs
        .iter()
        .map(|spec| {
            let (name, optional) = match spec.strip_suffix('?') {
                Some(name) => (name, true),
                None => (*spec, false),
            };
            let mut field = typed(name, person_like);
            if optional {
                field.required = false;
            }
            field
        })
        .collect()
}

/// Domain words of vague prompts → the resource they stand for.
const DOMAINS: &[(&str, &str)] = &[
    ("todo", "todo"),
    ("todos", "todo"),
    ("to-do", "todo"),
    ("note", "note"),
    ("notes", "note"),
    ("note-taking", "note"),
    ("notebook", "note"),
    ("blog", "post"),
    ("blogging", "post"),
    ("shop", "product"),
    ("store", "product"),
    ("e-commerce", "product"),
    ("ecommerce", "product"),
    ("webshop", "product"),
    ("catalog", "product"),
    ("catalogue", "product"),
    ("inventory", "inventory item"),
    ("library", "book"),
    ("bookstore", "book"),
    ("books", "book"),
    ("contacts", "contact"),
    ("contact", "contact"),
    ("address book", "contact"),
    ("crm", "contact"),
    ("calendar", "event"),
    ("events", "event"),
    ("scheduling", "appointment"),
    ("tasks", "task"),
    ("task", "task"),
    ("kanban", "task"),
    ("job board", "job"),
    ("jobs", "job"),
    ("movies", "movie"),
    ("movie", "movie"),
    ("films", "movie"),
    ("cinema", "movie"),
    ("hr", "employee"),
    ("employees", "employee"),
    ("payroll", "employee"),
    ("invoicing", "invoice"),
    ("invoices", "invoice"),
    ("billing", "invoice"),
    ("recipes", "recipe"),
    ("quiz", "quiz"),
    ("quizzes", "quiz"),
    ("survey", "survey"),
    ("surveys", "survey"),
    ("recipe", "recipe"),
    ("cooking", "recipe"),
    ("cookbook", "recipe"),
    ("fitness", "workout"),
    ("workout", "workout"),
    ("helpdesk", "ticket"),
    ("ticketing", "ticket"),
    ("support", "ticket"),
    ("chat", "message"),
    ("messaging", "message"),
    ("bookmarks", "bookmark"),
    ("expenses", "expense"),
    ("budget", "expense"),
    ("habits", "habit"),
    ("dentist", "appointment"),
    ("clinic", "appointment"),
    ("doctor", "appointment"),
    ("salon", "appointment"),
    ("gym", "member"),
    ("restaurant", "menu item"),
    ("menu", "menu item"),
    ("hotel", "room"),
    ("school", "student"),
    ("university", "course"),
    ("parking", "parking spot"),
    ("news", "article"),
    ("newsletter", "subscriber"),
    ("forum", "post"),
    ("wiki", "page"),
    ("photos", "photo"),
    ("gallery", "photo"),
    ("music album", "album"),
    ("music", "song"),
    ("podcast", "episode"),
    ("products", "product"),
    ("customers", "customer"),
    ("users", "user"),
    ("user", "user"),
    ("product", "product"),
    ("customer", "customer"),
    ("book", "book"),
    ("event", "event"),
    ("employee", "employee"),
    ("invoice", "invoice"),
    ("inventory item", "inventory item"),
];

/// What can stand in for a shop's products: a shop may sell dishes, books, services or plans.
const SHOP_STAND_INS: &[&str] = &[
    "item",
    "good",
    "menu_item",
    "dish",
    "book",
    "listing",
    "service",
    "plan",
    "article",
];

/// What can stand in for an online shop's products (no restaurant words).
const ONLINE_SHOP_STAND_INS: &[&str] = &["item", "good", "book", "listing", "service", "article"];

/// The main resource of a domain that prompts often leave unnamed ("a blog with comments and
/// tags" still means posts), and the resources that would play its role when named instead
/// (a blog's articles): (domain word, main resource, stand-ins as snake_case words).
const MAIN_RESOURCES: &[(&str, &str, &[&str])] = &[
    ("blog", "post", &["article", "entry", "story"]),
    ("blogging", "post", &["article", "entry", "story"]),
    ("shop", "product", SHOP_STAND_INS),
    ("store", "product", SHOP_STAND_INS),
    ("webshop", "product", ONLINE_SHOP_STAND_INS),
    ("e-commerce", "product", ONLINE_SHOP_STAND_INS),
    ("ecommerce", "product", ONLINE_SHOP_STAND_INS),
    // A forum's posts may be its threads' only named records: posts then play the thread.
    (
        "forum",
        "thread",
        &["topic", "post", "discussion", "question"],
    ),
    (
        "library",
        "book",
        &[
            "item", "copy", "title", "media", "medium", "resource", "document",
        ],
    ),
    ("bookstore", "book", &["title", "item"]),
    ("cookbook", "recipe", &["dish", "meal"]),
    ("recipe", "recipe", &["dish", "meal"]),
    ("recipes", "recipe", &["dish", "meal"]),
    ("podcast", "episode", &["show"]),
    (
        "school",
        "course",
        &["class", "subject", "lesson", "module", "program"],
    ),
    ("todo", "todo", &["task", "item"]),
    ("to-do", "todo", &["task", "item"]),
];

/// The main resource a domain implies and its stand-ins ("my blog" → post, or an article).
pub(super) fn main_resource(domain: &str) -> Option<(&'static str, &'static [&'static str])> {
    text_words(domain).find_map(|word| {
        MAIN_RESOURCES
            .iter()
            .find(|(domain_word, _, _)| *domain_word == word)
            .map(|(_, resource, stand_ins)| (*resource, *stand_ins))
    })
}

fn text_words(domain: &str) -> impl Iterator<Item = String> + '_ {
    domain.split_whitespace().map(str::to_lowercase)
}

/// The resource a vague domain stands for: the first domain word with a known resource.
pub(super) fn domain_resource(domain: &str) -> Option<&'static str> {
    let words: Vec<&str> = domain.split_whitespace().collect();
    for window in [2, 1] {
        for pair in words.windows(window) {
            let phrase = pair.join(" ");
            if let Some((_, resource)) = DOMAINS.iter().find(|(word, _)| *word == phrase) {
                return Some(resource);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(snake: &str, expect: &[&str]) {
        let got: Vec<String> = fields_for(snake).into_iter().map(|f| f.name).collect();
        assert_eq!(got, expect, "default fields of {snake:?}");
    }

    #[test]
    fn defaults_by_word() {
        check("todo", &["title", "completed", "due_date"]);
        check("inventory_item", &["name", "sku", "quantity", "location"]);
        check("agent", &["name", "email"]);
        check("gadget", &["name"]);
        assert_eq!(domain_resource("todo list"), Some("todo"));
        assert_eq!(domain_resource("simple blog"), Some("post"));
        assert_eq!(domain_resource("address book"), Some("contact"));
        assert_eq!(domain_resource("quantum widgets"), None);
    }

    #[test]
    fn qualifiers_pick_defaults() {
        check("photo_album", &["title", "description", "cover_photo_url"]);
        check(
            "wedding_album",
            &["title", "description", "cover_photo_url"],
        );
        check("music_album", &["title", "release_year"]);
        check("album", &["title", "release_year"]);
        check("photo", &["title", "url"]);
        assert_eq!(domain_resource("music album"), Some("album"));
    }

    #[test]
    fn main_resources_of_domains() {
        assert_eq!(main_resource("my blog").map(|m| m.0), Some("post"));
        assert_eq!(main_resource("online Shop").map(|m| m.0), Some("product"));
        assert_eq!(main_resource("recipe site").map(|m| m.0), Some("recipe"));
        assert_eq!(main_resource("quantum widgets"), None);
        for (domain, resource, stand_ins) in MAIN_RESOURCES {
            assert!(!stand_ins.contains(resource), "{domain}: {resource}");
            assert!(
                DEFAULT_FIELDS.iter().any(|(word, _)| word == resource),
                "{resource} has defaults"
            );
        }
    }

    #[test]
    fn domain_links_are_well_formed() {
        for (word, kind, targets) in DOMAIN_LINKS {
            assert!(!targets.is_empty(), "{word} links to something");
            assert!(!targets.contains(word), "{word} does not link to itself");
            if let LinkKind::Through(join) = kind {
                // The join entity gets its quantity and price from the defaults.
                check(&join.replace(' ', "_"), &["quantity", "unit_price"]);
            }
        }
    }
}
