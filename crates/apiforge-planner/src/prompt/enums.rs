//! Enumerations: "status (draft, published or archived)", "a type of sale or rent",
//! "low/medium/high", "status: pending/paid", "a role which can be admin or editor".
//!
//! Spellings that would be cut apart by list splitting are first rewritten into the
//! parenthesised form, which the field parser understands.

use std::sync::LazyLock;

use regex::Regex;

use super::text::regex;

/// Field names that take one of a few values.
pub(super) const ENUM_HEADS: &[&str] = &[
    "type",
    "kind",
    "category",
    "status",
    "state",
    "priority",
    "level",
    "role",
    "mode",
    "size",
    "tier",
    "plan",
    "gender",
    "difficulty",
    "visibility",
    "severity",
    "condition",
    "stage",
    "phase",
    "channel",
    "format",
    "method",
    "frequency",
    "genre",
    "rank",
    "unit",
    "department",
    "language",
    "currency",
];

/// "which can be a, b or c" / "that is one of a, b, c" / "one of: a, b" / "either a or b".
static VALUE_CLAUSE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)(?:,?\s+(?:which|that)\s+(?:can|could|may|must|should|will)?\s*(?:be|is|are)(?:\s+(?:one\s+of|either|any\s+of))?|\s+(?:being\s+)?(?:one|any)\s+of|\s+either)\s*:?\s+([\w-]+(?:\s*(?:,\s*(?:or\s+)?|/|\s+or\s+)[\w-]+)+)",
    )
});

/// "status: pending/paid/shipped" (slashes only, so a following comma still ends the list).
static COLON_SLASHES: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\b([a-z]+)\s*:\s*([\w-]+(?:\s*[/|]\s*[\w-]+)+)"));

/// "a status of pending, shipped or delivered": a head word, then a list closed by "or".
static HEAD_OF_LIST: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)\b(type|kind|category|status|state|priority|level|role|mode|size|tier|plan|gender|difficulty|visibility|severity|condition|stage|phase|channel|format|method|frequency|genre)\s+(?:of|being|as|like|:)?\s*((?:[\w-]+\s*,\s*)+[\w-]+\s*,?\s+or\s+[\w-]+)",
    )
});

/// Rewrites enum spellings into "name (a, b, c)".
pub(super) fn rewrite(text: &str) -> String {
    let text = HEAD_OF_LIST.replace_all(text, "$1 ($2)");
    let text = VALUE_CLAUSE.replace_all(&text, |caps: &regex::Captures<'_>| {
        let list = caps.get(1).map_or("", |m| m.as_str());
        // "open, pending or closed, and is assigned …": the list ends before ", and".
        let lower = list.to_ascii_lowercase();
        let cut = [", and", ", or", ",and", ",or"]
            .iter()
            .find(|suffix| lower.ends_with(*suffix))
            .map_or(list.len(), |suffix| list.len() - suffix.len());
        format!(" ({}){}", &list[..cut], &list[cut..])
    });
    COLON_SLASHES.replace_all(&text, "$1 ($2)").into_owned()
}

static VALUE_SEPARATOR: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\s*(?:,\s*(?:or|and)\s+|,|/|\||;)\s*|\s+(?:or|and)\s+"));

/// The values of "a, b or c" / "a/b/c", when it reads as a short list of words (at least
/// two values of at most three words each, not all numbers with units).
pub(super) fn values(list: &str) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    let parts: Vec<&str> = VALUE_SEPARATOR.split(list.trim()).collect();
    if parts.len() < 2 {
        return None;
    }
    for part in parts {
        let part = part
            .trim()
            .trim_matches(|c: char| matches!(c, '"' | '\'' | '.' | ':'));
        if part.is_empty() {
            continue;
        }
        if part.split_whitespace().count() > 3 {
            return None;
        }
        let value = value_name(part);
        if value.is_empty() {
            return None;
        }
        if !out.contains(&value) {
            out.push(value);
        }
    }
    (out.len() >= 2).then_some(out)
}

/// "In Progress" → "in_progress": lower case, runs of other characters become one `_`.
/// Values are data, not identifiers, so letters of any script are kept.
fn value_name(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

static HEAD_OF_VALUES: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(.*?\b(?:type|kind|category|status|state|priority|level|role|mode|size|tier|plan|gender|difficulty|visibility|severity|condition|stage|phase|channel|format|method|frequency|genre|unit|department|language|currency))\s+(?:of|being|is|as|:|-)?\s*(?:either\s+)?([\w-]+(?:\s*(?:,\s*(?:or\s+)?|/|\s+or\s+)[\w-]+)+)$",
    )
});

static SLASHED: LazyLock<Regex> = LazyLock::new(|| regex(r"[\w-]+(?:\s*/\s*[\w-]+)+"));

/// A whole list item that states an enum without parentheses: "a type of sale or rent",
/// "priority low/medium/high". Returns the name phrase and the values.
pub(super) fn inline(item: &str) -> Option<(String, Vec<String>)> {
    if let Some(caps) = HEAD_OF_VALUES.captures(item) {
        let head = caps.get(1).map_or("", |m| m.as_str());
        let list = caps.get(2).map_or("", |m| m.as_str());
        if let Some(values) = values(list) {
            return Some((head.trim().to_owned(), values));
        }
    }
    let slashed = SLASHED.find(item)?;
    let values = values(slashed.as_str())?;
    let mut head = item[..slashed.start()].to_owned();
    head.push_str(&item[slashed.end()..]);
    let head = head.trim().trim_end_matches([':', '-', ',']).trim();
    let head = head.strip_suffix(" of").unwrap_or(head).trim();
    Some((head.to_owned(), values))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Option<(&str, &[&str])>) {
        let (outside, groups) = super::super::text::paren_groups(&rewrite(input));
        let got = groups
            .iter()
            .find_map(|g| values(g))
            .map(|values| (outside.clone(), values))
            .or_else(|| inline(&outside));
        let got = got.as_ref().map(|(h, v)| {
            (
                h.trim().to_owned(),
                v.iter().map(String::as_str).collect::<Vec<_>>(),
            )
        });
        let expect = expect.map(|(h, v)| (h.to_owned(), v.to_vec()));
        assert_eq!(got, expect, "enum of {input:?}");
    }

    #[test]
    fn enum_spellings() {
        check(
            "status (draft, published or archived)",
            Some(("status", &["draft", "published", "archived"])),
        );
        check(
            "a type of sale or rent",
            Some(("a type", &["sale", "rent"])),
        );
        check(
            "priority low/medium/high",
            Some(("priority", &["low", "medium", "high"])),
        );
        check(
            "status: pending/paid/shipped/cancelled",
            Some(("status", &["pending", "paid", "shipped", "cancelled"])),
        );
        check(
            "a role which can be admin, editor or viewer",
            Some(("a role", &["admin", "editor", "viewer"])),
        );
        check(
            "a visibility that is either public or private",
            Some(("a visibility", &["public", "private"])),
        );
        check(
            "status (open, in progress, resolved, closed)",
            Some(("status", &["open", "in_progress", "resolved", "closed"])),
        );
        check(
            "a status of pending, shipped or delivered",
            Some(("a status", &["pending", "shipped", "delivered"])),
        );
        check("a title", None);
        check("weight in kg", None);
    }
}
