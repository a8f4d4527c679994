//! Constraints an item states besides its name: ranges ("between 1 and 5", "at most 280
//! characters"), units ("in kg", "in minutes"), parenthesised values, descriptions and type
//! annotations, and how they change a field typed from its name.

use std::sync::LazyLock;

use apiforge_manifest::{Field, FieldType};
use regex::Regex;

use super::enums;
use super::fields::{OPTIONAL, UNIQUE};
use super::text::regex;

static RANGE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)(?:\b(?:between|from|ranging\s+from|in\s+the\s+range)\s+)?(-?\d+(?:\.\d+)?)\s*(?:to|-|\.\.|…)\s*(-?\d+(?:\.\d+)?)\s*(%|percent|characters|chars|letters)?",
    )
});
static AT_LEAST: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)(?:\bat\s+least|\bminimum(?:\s+of)?|\bmin\.?|>=|\bno\s+less\s+than)\s*(-?\d+(?:\.\d+)?)\s*(characters|chars|letters)?",
    )
});
static AT_MOST: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)(?:\bat\s+most|\bup\s+to|\bmaximum(?:\s+of)?|\bmax\.?|<=|\bno\s+more\s+than|\bless\s+than)\s*(-?\d+(?:\.\d+)?)\s*(characters|chars|letters)?",
    )
});
static OUT_OF: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)\bout\s+of\s+(\d+)"));
static POSITIVE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\b(?:positive|non-negative|nonnegative)\b"));

static UNIT: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)\b(?:in|as|measured\s+in)\s+(kg|kilograms?|kilos?|grams?|g|lbs?|pounds|ounces|oz|tons?|tonnes?|km|kilometers?|kilometres?|meters?|metres?|m|cm|centimeters?|centimetres?|mm|millimeters?|miles?|feet|ft|inch(?:es)?|minutes?|mins?|seconds?|secs?|hours?|hrs?|days?|weeks?|months?|years?|celsius|fahrenheit|kelvin|degrees(?:\s+celsius|\s+fahrenheit)?|°c|°f|percent|%|usd|eur|euros?|dollars?|gbp|pounds\s+sterling|cents|liters?|litres?|ml|milliliters?|kcal|calories|bytes|kb|mb|gb|kwh|watts?|volts?|km/h|mph|bpm|square\s+(?:meters?|metres?|feet|foot|km|kilometers?|miles?)|sq\s*m|sq\s*ft|sqft|m2|m²)\b",
    )
});
static UNIT_ONLY: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(?:in\s+)?(kg|grams?|lbs?|pounds|km|meters?|metres?|cm|mm|miles?|minutes?|mins?|seconds?|hours?|days?|celsius|fahrenheit|°c|°f|percent|%|usd|eur|euros?|dollars?|cents|liters?|litres?|ml|kcal)$",
    )
});

/// The field type a technical annotation names ("int", "bool", "timestamp").
pub(super) fn annotated_type(word: &str) -> Option<FieldType> {
    Some(match word.to_ascii_lowercase().as_str() {
        "string" | "str" | "varchar" | "char" => FieldType::String,
        "text" => FieldType::Text,
        "int" | "integer" | "long" | "bigint" => FieldType::Integer,
        "number" | "float" | "double" | "real" => FieldType::Number,
        "decimal" | "money" | "currency" => FieldType::Decimal,
        "bool" | "boolean" => FieldType::Boolean,
        "date" => FieldType::Date,
        "datetime" | "date-time" | "timestamp" => FieldType::Datetime,
        "time" => FieldType::Time,
        "email" => FieldType::Email,
        "url" | "uri" => FieldType::Url,
        "uuid" | "guid" => FieldType::Uuid,
        "json" | "object" => FieldType::Json,
        _ => return None,
    })
}

/// Changes the type, dropping constraints the new type cannot carry.
pub(super) fn retype(field: &mut Field, ty: FieldType) {
    if field.ty == ty {
        return;
    }
    field.ty = ty;
    if !ty.is_numeric() {
        field.min = None;
        field.max = None;
    }
    if !ty.is_textual() {
        field.min_length = None;
        field.max_length = None;
    }
    if ty != FieldType::Enum {
        field.values.clear();
    }
    if ty != FieldType::Boolean {
        field.default = None;
    }
    field.unique = field.unique && !matches!(ty, FieldType::Boolean);
    if ty != FieldType::Boolean {
        field.required = true;
    }
}

/// What parentheses, bounds and units said about an item.
#[derive(Debug, Default)]
pub(super) struct Facts {
    pub(super) values: Option<Vec<String>>,
    pub(super) annotated: Option<FieldType>,
    pub(super) location: bool,
    pub(super) min: Option<f64>,
    pub(super) max: Option<f64>,
    pub(super) min_length: Option<u32>,
    pub(super) max_length: Option<u32>,
    pub(super) percent: bool,
    pub(super) positive: bool,
    pub(super) unit: Option<String>,
    pub(super) description: Option<String>,
}

impl Facts {
    pub(super) fn bounds_said(&self) -> bool {
        self.min.is_some()
            || self.max.is_some()
            || self.min_length.is_some()
            || self.max_length.is_some()
            || self.unit.is_some()
    }

    pub(super) fn read_group(&mut self, group: &str) {
        let lower = group.to_lowercase();
        if lower.contains("lat") && (lower.contains("long") || lower.contains("lng")) {
            self.location = true;
            return;
        }
        let rest = self.read_bounds(group);
        let rest = self.read_unit(&rest);
        if let Some(caps) = UNIT_ONLY.captures(rest.trim()) {
            self.unit = caps.get(1).map(|m| m.as_str().to_owned());
            return;
        }
        let rest = OPTIONAL.replace_all(&rest, " ");
        let rest = UNIQUE.replace_all(&rest, " ");
        let rest = rest.trim();
        if rest.is_empty() {
            return;
        }
        if let Some(ty) = annotated_type(rest) {
            self.annotated = Some(ty);
            return;
        }
        if let Some(values) = enums::values(rest) {
            self.values = Some(values);
        } else if self.description.is_none() && rest.chars().any(char::is_alphabetic) {
            let rest = rest.strip_prefix("eg ").unwrap_or(rest);
            self.description = Some(sentence_case(rest));
        }
    }

    /// Reads ranges and limits, returning the text without them.
    pub(super) fn read_bounds(&mut self, text: &str) -> String {
        let mut text = text.to_owned();
        if POSITIVE.is_match(&text) {
            self.positive = true;
            text = POSITIVE.replace_all(&text, " ").into_owned();
        }
        if let Some(caps) = RANGE.captures(&text) {
            let low = caps.get(1).and_then(|m| m.as_str().parse::<f64>().ok());
            let high = caps.get(2).and_then(|m| m.as_str().parse::<f64>().ok());
            let suffix = caps.get(3).map(|m| m.as_str().to_ascii_lowercase());
            if let (Some(low), Some(high)) = (low, high) {
                let (low, high) = if low <= high {
                    (low, high)
                } else {
                    (high, low)
                };
                match suffix.as_deref() {
                    Some("characters" | "chars" | "letters") => {
                        self.min_length = to_length(low);
                        self.max_length = to_length(high);
                    }
                    Some(_) => {
                        self.percent = true;
                        self.min = Some(low);
                        self.max = Some(high);
                    }
                    None => {
                        self.min = Some(low);
                        self.max = Some(high);
                    }
                }
            }
            text = RANGE.replace(&text, " ").into_owned();
        }
        if let Some(caps) = AT_LEAST.captures(&text) {
            let bound = caps.get(1).and_then(|m| m.as_str().parse::<f64>().ok());
            if caps.get(2).is_some() {
                self.min_length = bound.and_then(to_length);
            } else {
                self.min = bound;
            }
            text = AT_LEAST.replace(&text, " ").into_owned();
        }
        if let Some(caps) = AT_MOST.captures(&text) {
            let bound = caps.get(1).and_then(|m| m.as_str().parse::<f64>().ok());
            if caps.get(2).is_some() {
                self.max_length = bound.and_then(to_length);
            } else {
                self.max = bound;
            }
            text = AT_MOST.replace(&text, " ").into_owned();
        }
        if let Some(caps) = OUT_OF.captures(&text) {
            self.max = caps.get(1).and_then(|m| m.as_str().parse::<f64>().ok());
            text = OUT_OF.replace(&text, " ").into_owned();
        }
        text
    }

    pub(super) fn read_unit(&mut self, text: &str) -> String {
        let Some(caps) = UNIT.captures(text) else {
            return text.to_owned();
        };
        self.unit = caps.get(1).map(|m| m.as_str().to_owned());
        UNIT.replace(text, " ").into_owned()
    }

    pub(super) fn apply(self, field: &mut Field) {
        if let Some(values) = self.values {
            retype(field, FieldType::Enum);
            field.values = values;
            field.unique = false;
        }
        if let Some(unit) = &self.unit {
            let unit_lower = unit.to_lowercase();
            let ty = unit_type(&unit_lower, field.ty);
            if ty != field.ty {
                retype(field, ty);
                if field.min.is_none()
                    && !matches!(unit_lower.as_str(), "celsius" | "fahrenheit" | "°c" | "°f")
                    && !unit_lower.starts_with("degrees")
                {
                    field.min = Some(0.0);
                }
            }
            if matches!(unit_lower.as_str(), "percent" | "%") {
                field.min = Some(0.0);
                field.max = Some(100.0);
            }
            field.description = Some(format!("{} in {unit}", humanize(&field.name)));
        }
        if let Some(description) = self.description
            && field.description.is_none()
        {
            field.description = Some(description);
        }
        if self.min_length.is_some() || self.max_length.is_some() {
            if !field.ty.is_textual() {
                retype(field, FieldType::String);
            }
            if let Some(min) = self.min_length {
                field.min_length = Some(min);
            }
            if let Some(max) = self.max_length.filter(|max| *max > 0) {
                field.max_length = Some(max);
            }
            if let (Some(min), Some(max)) = (field.min_length, field.max_length)
                && min > max
            {
                field.min_length = Some(max);
            }
        }
        if self.min.is_some() || self.max.is_some() {
            let whole = [self.min, self.max]
                .into_iter()
                .flatten()
                .all(|bound| bound.fract() == 0.0);
            match field.ty {
                FieldType::Integer if !whole => retype(field, FieldType::Number),
                FieldType::Integer | FieldType::Number | FieldType::Decimal => {}
                _ if whole => retype(field, FieldType::Integer),
                _ => retype(field, FieldType::Number),
            }
            if let Some(min) = self.min {
                field.min = Some(min);
            }
            if let Some(max) = self.max {
                field.max = Some(max);
            }
            if let (Some(min), Some(max)) = (field.min, field.max)
                && min > max
            {
                // A stated bound wins over a default one.
                if self.min.is_some() {
                    field.max = None;
                } else {
                    field.min = None;
                }
            }
        }
        if self.positive && field.ty.is_numeric() && field.min.is_none() {
            field.min = Some(0.0);
        }
        if self.percent && field.ty.is_numeric() && field.description.is_none() {
            field.description = Some(format!("{} in percent", humanize(&field.name)));
        }
    }
}

fn to_length(value: f64) -> Option<u32> {
    (value >= 0.0 && value.fract() == 0.0 && value <= f64::from(u32::MAX)).then_some(value as u32)
}

/// The type a measurement in `unit` should have, given the type its name suggested.
fn unit_type(unit: &str, current: FieldType) -> FieldType {
    const WHOLE: &[&str] = &[
        "minute", "minutes", "min", "mins", "second", "seconds", "sec", "secs", "day", "days",
        "week", "weeks", "month", "months", "year", "years", "cents", "bytes", "kcal", "calories",
        "bpm",
    ];
    const MONEY: &[&str] = &[
        "usd",
        "eur",
        "euro",
        "euros",
        "dollar",
        "dollars",
        "gbp",
        "pounds sterling",
    ];
    if MONEY.contains(&unit) {
        FieldType::Decimal
    } else if WHOLE.contains(&unit) {
        if current.is_numeric() {
            current
        } else {
            FieldType::Integer
        }
    } else if current.is_numeric() {
        current
    } else {
        FieldType::Number
    }
}

/// "prep_time" → "Prep time".
fn humanize(name: &str) -> String {
    sentence_case(&name.replace('_', " "))
}

fn sentence_case(text: &str) -> String {
    let mut chars = text.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompt::types::typed;

    /// Types `name`, reads `said` (the item's text besides the name) and renders the result.
    fn check(name: &str, said: &str, expect: &str) {
        let mut facts = Facts::default();
        let (outside, groups) = crate::prompt::text::paren_groups(said);
        for group in &groups {
            facts.read_group(group);
        }
        let rest = facts.read_bounds(&outside);
        facts.read_unit(&rest);
        let mut field = typed(name, false);
        facts.apply(&mut field);
        let mut got = field.ty.as_str().to_owned();
        let show = |bound: Option<f64>| bound.map(|b| b.to_string()).unwrap_or_default();
        if field.min.is_some() || field.max.is_some() {
            got.push_str(&format!(" {}..{}", show(field.min), show(field.max)));
        }
        if field.min_length.is_some() || field.max_length.is_some() {
            let show = |bound: Option<u32>| bound.map(|b| b.to_string()).unwrap_or_default();
            got.push_str(&format!(
                " len {}..{}",
                show(field.min_length),
                show(field.max_length)
            ));
        }
        if !field.values.is_empty() {
            got.push_str(&format!(" ={}", field.values.join("|")));
        }
        if let Some(description) = &field.description {
            got.push_str(&format!(" \"{description}\""));
        }
        assert_eq!(got, expect, "{name} {said:?}");
    }

    #[test]
    fn ranges_units_and_groups() {
        check("weight", "in kg", "number 0.. \"Weight in kg\"");
        check(
            "duration",
            "in minutes",
            "integer 0.. \"Duration in minutes\"",
        );
        check("price", "in euros", "decimal 0.. \"Price in euros\"");
        check(
            "temperature",
            "in celsius",
            "number \"Temperature in celsius\"",
        );
        check("rating", "between 1 to 10", "integer 1..10");
        check("score", "(0-100)", "integer 0..100");
        check("ratio", "from 0.5 to 1.5", "number 0.5..1.5");
        check("bio", "of at most 500 characters", "text len ..500");
        check("title", "(max 80 chars)", "string len 1..80");
        check("nickname", "at least 3 characters", "string len 3..200");
        check(
            "discount",
            "(percent)",
            "decimal 0..100 \"Discount in percent\"",
        );
        check("size", "(small, medium, large)", "enum =small|medium|large");
        check(
            "currency",
            "(ISO 4217 code)",
            "string len 3..3 \"ISO 4217 code\"",
        );
        check("rank", "positive", "integer 0..");
    }
}
