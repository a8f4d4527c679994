//! A field's type and constraints from its name alone ("email" → email, "unit_price" →
//! decimal ≥ 0, "checked_in" → boolean). What the sentence says (ranges, units, "optional",
//! enum values) is applied on top by `fields`.

use apiforge_manifest::{Field, FieldType};
use serde_json::Value;

/// Words meaning a yes/no fact when they name a field on their own.
const BOOLEAN_WORDS: &[&str] = &[
    "active",
    "done",
    "completed",
    "complete",
    "published",
    "archived",
    "enabled",
    "disabled",
    "verified",
    "paid",
    "available",
    "visible",
    "public",
    "private",
    "featured",
    "deleted",
    "approved",
    "confirmed",
    "pinned",
    "starred",
    "favorite",
    "favourite",
    "read",
    "checked_in",
    "in_stock",
    "vegetarian",
    "vegan",
    "gluten_free",
    "returned",
    "locked",
    "blocked",
    "banned",
    "hidden",
    "subscribed",
    "online",
    "remote",
    "attended",
    "present",
    "refunded",
    "billable",
    "urgent",
    "recurring",
    "all_day",
    "newsletter",
    "opt_in",
    "consent",
    "resolved",
    "flagged",
    "sold",
    "shipped",
    "delivered",
    "cancelled",
    "canceled",
];

/// First words that make a yes/no question of the name ("is_active", "has_wifi").
const BOOLEAN_PREFIXES: &[&str] = &[
    "is", "has", "can", "should", "allow", "allows", "was", "needs",
];

/// Words naming money.
const MONEY_WORDS: &[&str] = &[
    "price",
    "cost",
    "costs",
    "amount",
    "total",
    "fee",
    "fees",
    "salary",
    "budget",
    "revenue",
    "subtotal",
    "tax",
    "wage",
    "wages",
    "rent",
    "deposit",
    "payment",
    "charge",
    "tip",
    "income",
    "expense",
    "expenses",
    "fare",
    "spend",
    "earnings",
    "commission",
    "bonus",
    "discount",
    "refund",
    "donation",
    "payout",
    "balance",
    "msrp",
];

/// Words naming a count of things.
const COUNT_WORDS: &[&str] = &[
    "count",
    "quantity",
    "qty",
    "stock",
    "copies",
    "capacity",
    "servings",
    "sets",
    "reps",
    "repetitions",
    "credits",
    "points",
    "pages",
    "seats",
    "rooms",
    "bedrooms",
    "bathrooms",
    "floors",
    "guests",
    "views",
    "likes",
    "votes",
    "downloads",
    "calories",
    "kcal",
    "steps",
    "laps",
    "players",
    "attendees",
    "tickets",
    "units",
    "visits",
    "goals",
    "wins",
    "losses",
    "beds",
    "spots",
    "slots",
    "level",
    "rank",
    "sequence",
    "floor",
    "episodes",
    "seasons",
    "chapters",
    "tracks",
    "stars",
    "minutes",
    "seconds",
    "days",
    "weeks",
    "months",
    "duration",
    "occupants",
    "headcount",
    "employees",
    "members",
    "participants",
];

/// Words naming a measurement (a real number, usually not negative).
const MEASURE_WORDS: &[&str] = &[
    "weight",
    "height",
    "width",
    "length",
    "depth",
    "distance",
    "area",
    "volume",
    "speed",
    "pressure",
    "mileage",
    "bmi",
    "voltage",
    "power",
    "energy",
    "consumption",
    "hours",
    "hrs",
    "estimate",
    "dose",
    "dosage",
    "km",
    "miles",
    "size",
    "radius",
    "mass",
    "density",
    "wind",
];

/// Words naming a signed measurement.
const SIGNED_MEASURE_WORDS: &[&str] = &["temperature", "temp", "altitude", "elevation", "lux"];

/// Words naming a share of a whole.
const PERCENT_WORDS: &[&str] = &[
    "percent",
    "percentage",
    "pct",
    "humidity",
    "progress",
    "completion",
    "battery",
    "occupancy",
    "utilization",
    "utilisation",
];

/// Words naming long free text.
const TEXT_WORDS: &[&str] = &[
    "description",
    "body",
    "content",
    "notes",
    "note",
    "instructions",
    "bio",
    "biography",
    "summary",
    "comment",
    "comments",
    "message",
    "details",
    "text",
    "diagnosis",
    "abstract",
    "feedback",
    "directions",
    "remarks",
    "synopsis",
    "transcript",
    "treatment",
    "symptoms",
    "lyrics",
    "overview",
    "explanation",
    "template",
    "script",
];

/// Free-text fields nobody has to fill in.
const OPTIONAL_TEXT_WORDS: &[&str] = &[
    "description",
    "notes",
    "note",
    "bio",
    "biography",
    "details",
    "comments",
    "feedback",
    "remarks",
];

/// Names of codes that identify one record.
const IDENTIFIER_NAMES: &[&str] = &[
    "sku",
    "isbn",
    "ean",
    "upc",
    "barcode",
    "vin",
    "slug",
    "username",
    "user_name",
    "handle",
    "code",
    "serial",
    "serial_number",
    "license_plate",
    "iban",
    "asin",
    "course_code",
    "product_code",
    "promo_code",
    "coupon_code",
    "voucher_code",
    "sku_code",
    "imei",
    "mac_address",
    "hostname",
];

/// Words that name JSON blobs.
const JSON_WORDS: &[&str] = &[
    "metadata",
    "settings",
    "attributes",
    "payload",
    "properties",
    "config",
    "configuration",
    "preferences",
    "extra",
    "specs",
    "specifications",
    // "responses record the answers": one record holds every answer of a submission.
    "answers",
];

/// Durations named "… time" ("prep time") rather than points in time.
const DURATION_TIME_PREFIXES: &[&str] = &[
    "prep",
    "preparation",
    "cook",
    "cooking",
    "bake",
    "baking",
    "travel",
    "wait",
    "waiting",
    "response",
    "run",
    "running",
    "reading",
    "total",
    "lead",
    "processing",
    "screen",
    "play",
    "playing",
    "rest",
    "down",
    "up",
    "work",
    "transit",
];

/// Times of day named "… time" ("opening time").
const TIME_OF_DAY_PREFIXES: &[&str] = &["opening", "closing", "pickup", "daily", "alarm"];

/// Fields that make a record a weekly slot ("a lesson on a weekday at a start time").
const WEEKDAY_FIELDS: &[&str] = &["weekday", "day_of_week", "day_of_the_week"];

/// A weekly slot's "start time" and "end time" are times of day, not instants: the weekday
/// already places the slot, and a date would pin it to one week.
pub(super) fn times_of_weekly_slot(fields: &mut [Field]) {
    if !fields
        .iter()
        .any(|f| WEEKDAY_FIELDS.contains(&f.name.as_str()))
    {
        return;
    }
    for field in fields {
        if field.ty == FieldType::Datetime && field.name.ends_with("_time") {
            field.ty = FieldType::Time;
        }
    }
}

/// The type and default constraints of a field called `name` (already snake_case).
/// `person_like` says the entity is a person or account, whose email identifies it.
pub(super) fn typed(name: &str, person_like: bool) -> Field {
    let words: Vec<&str> = name.split('_').collect();
    let last = words.last().copied().unwrap_or_default();
    let first = words.first().copied().unwrap_or_default();
    let has = |list: &[&str]| words.iter().any(|w| list.contains(w));
    let mut field = Field::new(name, FieldType::String);

    if name == "id" {
        field.ty = FieldType::Integer;
    } else if has(&["uuid", "guid"]) {
        field.ty = FieldType::Uuid;
    } else if has(&["email"]) || name == "e_mail" || last == "mail" {
        field.ty = FieldType::Email;
        field.max_length = Some(254);
        field.unique = person_like
            && matches!(
                name,
                "email" | "email_address" | "work_email" | "e_mail" | "login_email"
            );
    } else if has(&[
        "url",
        "uri",
        "website",
        "link",
        "homepage",
        "href",
        "avatar",
        "image",
        "photo",
        "picture",
        "logo",
        "thumbnail",
    ]) {
        field.ty = FieldType::Url;
        field.max_length = Some(2048);
    } else if has(&["phone", "mobile", "fax", "telephone", "tel", "cellphone"]) {
        field.max_length = Some(32);
    } else if is_boolean(name, &words, first, last) {
        field.ty = FieldType::Boolean;
        field.required = false;
        field.default = Some(Value::Bool(false));
    } else if matches!(last, "at" | "timestamp" | "datetime")
        || matches!(
            name,
            "created" | "updated" | "modified" | "last_login" | "last_seen" | "time_stamp"
        )
    {
        field.ty = FieldType::Datetime;
        if matches!(first, "created" | "updated" | "modified" | "deleted") {
            field.required = false;
        }
    } else if last == "time" && words.len() == 1 {
        field.ty = FieldType::Time;
    } else if last == "time" && words.iter().any(|w| DURATION_TIME_PREFIXES.contains(w)) {
        field.ty = FieldType::Integer;
        field.min = Some(0.0);
    } else if last == "time" && words.iter().any(|w| TIME_OF_DAY_PREFIXES.contains(w)) {
        field.ty = FieldType::Time;
    } else if last == "time" {
        field.ty = FieldType::Datetime;
    } else if matches!(
        last,
        "date" | "day" | "birthday" | "dob" | "deadline" | "due" | "on"
    ) || first == "date"
    {
        field.ty = FieldType::Date;
    } else if matches!(last, "latitude" | "lat") {
        field.ty = FieldType::Number;
        field.min = Some(-90.0);
        field.max = Some(90.0);
    } else if matches!(last, "longitude" | "lng" | "lon") {
        field.ty = FieldType::Number;
        field.min = Some(-180.0);
        field.max = Some(180.0);
    } else if has(PERCENT_WORDS) || name == "battery_level" {
        field.ty = FieldType::Number;
        field.min = Some(0.0);
        field.max = Some(100.0);
    } else if last == "year" || last == "years" && words.len() == 1 {
        field.ty = FieldType::Integer;
    } else if last == "age" {
        field.ty = FieldType::Integer;
        field.min = Some(0.0);
        field.max = Some(150.0);
    } else if matches!(last, "rating" | "stars") {
        field.ty = FieldType::Integer;
        field.min = Some(1.0);
        field.max = Some(5.0);
    } else if matches!(last, "score" | "grade_points") {
        field.ty = FieldType::Integer;
        field.min = Some(0.0);
    } else if (has(COUNT_WORDS) && !has(MONEY_WORDS))
        || matches!(
            name,
            "party_size" | "group_size" | "team_size" | "class_size" | "household_size"
        )
    {
        field.ty = FieldType::Integer;
        field.min = Some(if matches!(name, "quantity" | "qty") {
            1.0
        } else {
            0.0
        });
    } else if has(MONEY_WORDS)
        || (last == "rate"
            && words
                .iter()
                .any(|w| matches!(*w, "hourly" | "daily" | "nightly" | "weekly" | "monthly")))
    {
        field.ty = FieldType::Decimal;
        if !has(&["balance"]) {
            field.min = Some(0.0);
        }
    } else if has(SIGNED_MEASURE_WORDS) {
        field.ty = FieldType::Number;
    } else if has(MEASURE_WORDS) {
        field.ty = FieldType::Number;
        field.min = Some(0.0);
    } else if has(JSON_WORDS) || name == "data" {
        field.ty = FieldType::Json;
    } else if TEXT_WORDS.contains(&last) && !has(&["name", "title"]) {
        field.ty = FieldType::Text;
        field.required = !OPTIONAL_TEXT_WORDS.contains(&last);
    } else if last == "priority" || last == "severity" {
        field.ty = FieldType::Enum;
        field.values = match last {
            "severity" => vec!["low", "medium", "high", "critical"],
            _ => vec!["low", "medium", "high"],
        }
        .into_iter()
        .map(str::to_owned)
        .collect();
    } else if last == "difficulty" {
        field.ty = FieldType::Enum;
        field.values = ["easy", "medium", "hard"].map(str::to_owned).to_vec();
    } else if last == "number"
        && matches!(
            first,
            "episode"
                | "season"
                | "chapter"
                | "track"
                | "page"
                | "lap"
                | "round"
                | "week"
                | "volume"
                | "step"
                | "lesson"
                | "sequence"
        )
    {
        // A position in a series, counted from 1 and shared across series.
        field.ty = FieldType::Integer;
        field.min = Some(1.0);
    } else if WEEKDAY_FIELDS.contains(&name) {
        field.ty = FieldType::Enum;
        field.values = [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ]
        .map(str::to_owned)
        .to_vec();
    } else if IDENTIFIER_NAMES.contains(&name)
        || (last == "number" && words.len() > 1)
        || (last == "id" && words.len() > 1)
    {
        field.unique = true;
        field.min_length = Some(1);
        field.max_length = Some(64);
    } else if matches!(
        last,
        "name" | "title" | "subject" | "label" | "headline" | "nickname"
    ) {
        field.min_length = Some(1);
        field.max_length = Some(if matches!(first, "first" | "last" | "middle") {
            100
        } else {
            200
        });
    } else if matches!(last, "currency") {
        field.min_length = Some(3);
        field.max_length = Some(3);
    } else if matches!(
        last,
        "color" | "colour" | "status" | "state" | "gender" | "grade" | "version" | "unit"
    ) {
        field.max_length = Some(50);
    } else if matches!(last, "zip" | "postcode" | "postal_code") || name.ends_with("zip_code") {
        field.max_length = Some(20);
    } else if matches!(last, "address" | "street") {
        field.max_length = Some(500);
    } else {
        field.max_length = Some(255);
    }
    field
}

fn is_boolean(name: &str, words: &[&str], first: &str, last: &str) -> bool {
    BOOLEAN_WORDS.contains(&name)
        || last == "flag"
        || (words.len() > 1 && BOOLEAN_PREFIXES.contains(&first))
        || (words.len() == 2 && BOOLEAN_WORDS.contains(&last) && matches!(first, "is" | "not"))
}

/// Whether an entity called `entity_snake` is a person or account.
pub(super) fn is_person_like(entity_snake: &str) -> bool {
    const PEOPLE: &[&str] = &[
        "user",
        "customer",
        "member",
        "employee",
        "attendee",
        "student",
        "owner",
        "author",
        "contact",
        "agent",
        "admin",
        "person",
        "patient",
        "client",
        "subscriber",
        "guest",
        "participant",
        "player",
        "teacher",
        "instructor",
        "doctor",
        "staff",
        "driver",
        "volunteer",
        "tenant",
        "landlord",
        "buyer",
        "seller",
        "applicant",
        "candidate",
        "speaker",
        "artist",
        "organizer",
        "organiser",
        "reviewer",
        "borrower",
        "patron",
        "passenger",
        "traveler",
        "traveller",
        "athlete",
        "coach",
        "manager",
        "account",
        "profile",
        "recipient",
        "friend",
        "follower",
        "musician",
        "trainer",
        "therapist",
        "nurse",
        "technician",
        "worker",
        "freelancer",
        "donor",
        "reader",
        "writer",
        "editor",
        "moderator",
        "developer",
        "lawyer",
        "vet",
        "veterinarian",
        "physician",
        "professor",
        "tutor",
        "learner",
        "pupil",
        "parent",
        "mentor",
        "mentee",
        "resident",
        "adopter",
        "runner",
        "renter",
        "shopper",
        "visitor",
        "homeowner",
        "employer",
        "investor",
    ];
    entity_snake
        .rsplit('_')
        .next()
        .is_some_and(|last| PEOPLE.contains(&last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, person_like: bool, expect: &str) {
        let field = typed(name, person_like);
        let mut got = field.ty.as_str().to_owned();
        if field.unique {
            got.push_str(" unique");
        }
        if let Some(min) = field.min {
            got.push_str(&format!(" min={min}"));
        }
        if let Some(max) = field.max {
            got.push_str(&format!(" max={max}"));
        }
        if !field.required {
            got.push_str(" optional");
        }
        assert_eq!(got, expect, "type of {name:?}");
    }

    #[test]
    fn types_from_names() {
        check("email", true, "email unique");
        check("supplier_email", false, "email");
        check("website", false, "url");
        check("external_uuid", false, "uuid");
        check("phone", false, "string");
        check("checked_in", false, "boolean optional");
        check("is_public", false, "boolean optional");
        check("has_wifi", false, "boolean optional");
        check("created_at", false, "datetime optional");
        check("timestamp", false, "datetime");
        check("start_time", false, "datetime");
        check("prep_time", false, "integer min=0");
        check("opening_time", false, "time");
        check("hire_date", false, "date");
        check("released_on", false, "date");
        check("latitude", false, "number min=-90 max=90");
        check("longitude", false, "number min=-180 max=180");
        check("battery_level", false, "number min=0 max=100");
        check("humidity", false, "number min=0 max=100");
        check("publication_year", false, "integer");
        check("copies", false, "integer min=0");
        check("quantity", false, "integer min=1");
        check("stock_quantity", false, "integer min=0");
        check("unit_price", false, "decimal min=0");
        check("salary", false, "decimal min=0");
        check("balance", false, "decimal");
        check("temperature", false, "number");
        check("weight", false, "number min=0");
        check("estimate_hours", false, "number min=0");
        check("description", false, "text optional");
        check("body", false, "text");
        check("sku", false, "string unique");
        check("serial_number", false, "string unique");
        check("employee_number", false, "string unique");
        check("priority", false, "enum");
        check("metadata", false, "json");
        check("answers", false, "json");
        check("rating", false, "integer min=1 max=5");
        check("title", false, "string");
    }

    #[test]
    fn people_are_recognised_by_their_last_word() {
        assert!(is_person_like("customer"));
        assert!(is_person_like("team_member"));
        assert!(!is_person_like("order"));
    }
}
