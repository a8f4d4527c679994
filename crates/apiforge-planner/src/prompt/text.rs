//! Text plumbing: normalising a prompt, cutting it into clauses, splitting lists at the top
//! level (never inside parentheses) and stripping determiners from noun phrases.
//!
//! Separators are ASCII, so scanning bytes and slicing at the positions of ASCII bytes always
//! lands on `char` boundaries, whatever Unicode the prompt holds.

use std::sync::LazyLock;

use regex::Regex;

/// Compiles one of the planner's literal patterns (each is compiled once, in a `LazyLock`).
///
/// Word boundaries are ASCII: a Unicode `\b` keeps the regex engine off its fast DFA, and
/// every keyword the planner looks for is ASCII anyway.
pub(super) fn regex(pattern: &str) -> Regex {
    Regex::new(&pattern.replace(r"\b", r"(?-u:\b)"))
        .expect("the planner's regular expressions are literals that compile")
}

static BETWEEN_AND: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\bbetween\s+(-?\d+(?:\.\d+)?)\s+and\s+(-?\d+(?:\.\d+)?)"));
static ABBREVIATIONS: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)\b(e\.g|i\.e|etc|vs)\."));
static SCRIPT_ELEMENT: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?is)<(script|style)\b[^>]*>.*?</(?:script|style)\s*>"));
static MARKUP_TAG: LazyLock<Regex> = LazyLock::new(|| regex(r"</?[A-Za-z][^<>]{0,200}>"));
static SPACES: LazyLock<Regex> = LazyLock::new(|| regex(r"[ \t]+"));
/// "Books also have a price": the adverb between subject and verb hides the verb.
static ALSO_VERB: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)\b(?:also|additionally|each\s+also)\s+(?P<verb>have|has|need|needs|hold|holds|store|stores|record|records|include|includes|contain|contains|belong|belongs|track|tracks)\b",
    )
});
static BULLET: LazyLock<Regex> = LazyLock::new(|| regex(r"^\s*(?:[-*+•>]+|\d+[.)]|[a-z][.)])\s+"));

/// Unifies punctuation and spacing so later patterns see one spelling: smart quotes become
/// ASCII, markdown emphasis goes, "between 1 and 5" loses the `and` that would split a list.
pub(super) fn normalize(prompt: &str) -> String {
    let mut text = String::with_capacity(prompt.len());
    for c in prompt.chars() {
        match c {
            '\r' => {}
            '\t' => text.push(' '),
            '\u{2018}' | '\u{2019}' | '`' => text.push('\''),
            '\u{201c}' | '\u{201d}' => text.push('"'),
            '\u{2013}' | '\u{2014}' => text.push_str(" - "),
            '\u{2022}' | '\u{25aa}' | '\u{25cf}' => text.push('-'),
            '[' | '{' => text.push('('),
            ']' | '}' => text.push(')'),
            '&' => text.push_str(" and "),
            '#' => text.push(' '),
            _ => text.push(c),
        }
    }
    let text = text.replace("**", " ").replace("__", " ");
    let text = SCRIPT_ELEMENT.replace_all(&text, " ");
    let text = MARKUP_TAG.replace_all(&text, " ");
    let text = ABBREVIATIONS.replace_all(&text, |caps: &regex::Captures<'_>| {
        caps.get(1)
            .map_or(String::new(), |m| m.as_str().replace('.', ""))
    });
    let text = BETWEEN_AND.replace_all(&text, "between $1 to $2");
    let text = ALSO_VERB.replace_all(&text, "$verb");
    let lines: Vec<String> = text
        .lines()
        .map(|line| SPACES.replace_all(line.trim(), " ").into_owned())
        .collect();
    lines.join("\n")
}

/// Cuts text into clauses: lines (bullets stripped), then sentences (`.`, `!`, `?` followed
/// by a space) and `;`, never inside parentheses.
pub(super) fn clauses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in merge_outlines(text) {
        let line = BULLET.replace(&line, "");
        let bytes = line.as_bytes();
        let mut depth = 0usize;
        let mut start = 0;
        for (index, &byte) in bytes.iter().enumerate() {
            match byte {
                b'(' => depth += 1,
                b')' => depth = depth.saturating_sub(1),
                b';' if depth == 0 => {
                    push_clause(&mut out, &line[start..index]);
                    start = index + 1;
                }
                b'.' | b'!' | b'?' if depth == 0 => {
                    let next = bytes.get(index + 1);
                    if next.is_none_or(|b| b.is_ascii_whitespace()) {
                        push_clause(&mut out, &line[start..index]);
                        start = index + 1;
                    }
                }
                _ => {}
            }
        }
        push_clause(&mut out, &line[start..]);
    }
    out
}

static OUTLINE_HEADING: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^[\p{L}][\p{L}\p{N} _-]{0,40}:?$"));
static SENTENCE_VERB: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)\b(?:has|have|belongs?|is|are|can|contains?|references?|logs?|must|should)\b")
});

/// Outlines become terse declarations: a short heading line followed by bullet lines that
/// are bare field names ("User" / "- email (unique)" / "- created at") reads as
/// "User: email (unique), created at".
fn merge_outlines(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::with_capacity(lines.len());
    let mut index = 0;
    while index < lines.len() {
        let heading = lines[index].trim();
        let mut fields = Vec::new();
        if OUTLINE_HEADING.is_match(heading) && heading.split_whitespace().count() <= 3 {
            let mut next = index + 1;
            while let Some(line) = lines.get(next) {
                let Some(bullet) = BULLET.find(line) else {
                    break;
                };
                let item = line[bullet.end()..].trim();
                if item.contains(':')
                    || item.split_whitespace().count() > 6
                    || SENTENCE_VERB.is_match(item)
                {
                    break;
                }
                fields.push(item.trim_end_matches([',', ';', '.']));
                next += 1;
            }
            if !fields.is_empty() {
                let name = heading.trim_end_matches(':');
                out.push(format!("{name}: {}", fields.join(", ")));
                index = next;
                continue;
            }
        }
        out.push(lines[index].to_owned());
        index += 1;
    }
    out
}

fn push_clause(out: &mut Vec<String>, clause: &str) {
    let clause = clause.trim().trim_matches(|c: char| c == '"' || c == '\'');
    let clause = clause.trim();
    if clause.chars().any(char::is_alphanumeric) {
        out.push(clause.to_owned());
    }
}

/// The same text with everything inside parentheses replaced by `_` (byte for byte), so
/// patterns searched on it never match inside a parenthesised list and offsets still fit.
pub(super) fn mask_parens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => {
                depth += 1;
                out.push('(');
            }
            ')' => {
                depth = depth.saturating_sub(1);
                out.push(')');
            }
            _ if depth > 0 => {
                for _ in 0..c.len_utf8() {
                    out.push('_');
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// How a list item was joined to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Joiner {
    /// The first item.
    Start,
    /// `,`
    Comma,
    /// `and` (also `, and`, `plus`, `as well as`)
    And,
}

/// One item of a top-level list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ListItem {
    /// The item's text, trimmed.
    pub text: String,
    /// How it was joined to the previous item.
    pub joiner: Joiner,
}

static LIST_SEPARATOR: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i),\s*(?:and|plus|as well as)\s+|,|\s+(?:and|plus|as well as|along with)\s+")
});

/// Splits "a, b and c (x, y)" into items at the top level.
pub(super) fn split_list(text: &str) -> Vec<ListItem> {
    let masked = mask_parens(text);
    let mut items = Vec::new();
    let mut start = 0;
    let mut joiner = Joiner::Start;
    for found in LIST_SEPARATOR.find_iter(&masked) {
        push_item(&mut items, &text[start..found.start()], joiner);
        joiner = if found.as_str().trim() == "," {
            Joiner::Comma
        } else {
            Joiner::And
        };
        start = found.end();
    }
    push_item(&mut items, &text[start..], joiner);
    items
}

fn push_item(items: &mut Vec<ListItem>, text: &str, joiner: Joiner) {
    let text = text
        .trim()
        .trim_matches(|c: char| matches!(c, '.' | ':' | '"' | '\'' | '-'))
        .trim();
    if text.chars().any(char::is_alphanumeric) {
        items.push(ListItem {
            text: text.to_owned(),
            joiner,
        });
    }
}

/// Words that open a noun phrase without naming anything.
const DETERMINERS: &[&str] = &[
    "a",
    "an",
    "the",
    "each",
    "every",
    "all",
    "any",
    "some",
    "one",
    "many",
    "multiple",
    "several",
    "their",
    "its",
    "his",
    "her",
    "our",
    "my",
    "your",
    "this",
    "that",
    "these",
    "those",
    "various",
    "both",
    "also",
    "other",
    "another",
    "more",
    "new",
    "existing",
    "specific",
    "single",
    "particular",
    "different",
    "individual",
    "related",
    "associated",
    "own",
    "optional",
    "optionally",
    "zero",
    "or",
    "of",
    "lots",
    "list",
    "set",
    "number",
    "collection",
];

/// Whether a lower-case word is a determiner or quantifier.
pub(super) fn is_determiner(word: &str) -> bool {
    DETERMINERS.contains(&word)
}

/// Drops leading determiners and quantifiers ("each", "one or more", "a list of").
pub(super) fn strip_determiners(phrase: &str) -> &str {
    let mut rest = phrase.trim();
    loop {
        let Some((first, tail)) = rest.split_once(char::is_whitespace) else {
            return rest;
        };
        if DETERMINERS.contains(&first.to_ascii_lowercase().as_str()) {
            rest = tail.trim_start();
        } else {
            return rest;
        }
    }
}

/// The lower-case words of a phrase (letters, digits, `'` and `-` kept inside words);
/// camelCase is split ("publicationYear" → "publication", "year"; "IoT" stays one word).
pub(super) fn words(phrase: &str) -> Vec<String> {
    split_camel_case(phrase)
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
        .map(|w| w.trim_matches(|c| c == '\'' || c == '-').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// "orderItem" → "order Item": a space before an upper-case letter that follows a
/// lower-case one and precedes another lower-case one.
fn split_camel_case(phrase: &str) -> String {
    let chars: Vec<char> = phrase.chars().collect();
    let mut out = String::with_capacity(phrase.len() + 4);
    for (index, &c) in chars.iter().enumerate() {
        let after_lower = index > 0 && chars[index - 1].is_lowercase();
        let before_lower = chars.get(index + 1).is_some_and(|next| next.is_lowercase());
        if c.is_uppercase() && after_lower && before_lower {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The position of the first `(` at the top level, if any.
pub(super) fn top_level_colon(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (index, byte) in text.bytes().enumerate() {
        match byte {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b':' if depth == 0 => return Some(index),
            _ => {}
        }
    }
    None
}

/// Splits "name (inner) rest" into the text outside parentheses and each group's content.
pub(super) fn paren_groups(text: &str) -> (String, Vec<String>) {
    let mut outside = String::new();
    let mut groups = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => {
                if depth > 0 {
                    current.push(c);
                }
                depth += 1;
            }
            ')' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    groups.push(std::mem::take(&mut current).trim().to_owned());
                    outside.push(' ');
                } else {
                    current.push(c);
                }
            }
            ')' => {}
            _ if depth > 0 => current.push(c),
            _ => outside.push(c),
        }
    }
    if depth > 0 && !current.trim().is_empty() {
        // An unclosed group still counts, so "status (a, b" keeps its values.
        groups.push(current.trim().to_owned());
    }
    (outside.trim().to_owned(), groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: &[&str]) {
        let got = clauses(&normalize(input));
        assert_eq!(got, expect, "clauses of {input:?}");
    }

    #[test]
    fn clauses_split_sentences_lines_and_semicolons_but_not_parentheses() {
        check(
            "Books have a title. Authors (e.g. famous ones; or not) write; done!",
            &[
                "Books have a title",
                "Authors (eg famous ones; or not) write",
                "done",
            ],
        );
        check(
            "Entities:\n- Project: name\n* Task: title\n1. Tag: label",
            &["Entities:", "Project: name", "Task: title", "Tag: label"],
        );
        check("A price of 1.5 euros.", &["A price of 1.5 euros"]);
        check(
            "Users have a name. <script>alert(1)</script> <b>Posts</b> have a body.",
            &["Users have a name", "Posts have a body"],
        );
        check(
            "## Entities\n### User\n- email (unique)\n- created at\nNote\n- title\n- Notes belong to users",
            &[
                "Entities",
                "User: email (unique), created at",
                "Note: title",
                "Notes belong to users",
            ],
        );
        check("a rating between 1 and 5", &["a rating between 1 to 5"]);
    }

    #[test]
    fn lists_split_at_the_top_level_only() {
        let items = split_list("a title, a status (draft, published or archived) and notes");
        let texts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "a title",
                "a status (draft, published or archived)",
                "notes"
            ]
        );
        assert_eq!(
            items.iter().map(|i| i.joiner).collect::<Vec<_>>(),
            [Joiner::Start, Joiner::Comma, Joiner::And]
        );
        let texts: Vec<String> = split_list("first and last name, email")
            .into_iter()
            .map(|i| i.text)
            .collect();
        assert_eq!(texts, ["first", "last name", "email"]);
    }

    #[test]
    fn determiners_and_groups() {
        assert_eq!(strip_determiners("each of the books"), "books");
        assert_eq!(strip_determiners("one or more order items"), "order items");
        assert_eq!(
            paren_groups("status (open, closed) now"),
            ("status   now".to_owned(), vec!["open, closed".to_owned()])
        );
        assert_eq!(mask_parens("a (bé) c"), "a (___) c");
        assert_eq!(
            words("publicationYear of OrderItem"),
            ["publication", "year", "of", "order", "item"]
        );
        assert_eq!(words("IoT sensors"), ["iot", "sensors"]);
        assert_eq!(top_level_colon("x (a: b): c"), Some(8));
    }
}
