//! CSV → one-entity manifest (US-01): the header names the fields, the rows decide their types.
//!
//! Types are inferred from every non-blank cell of a column (integer, decimal, number,
//! boolean true/false/yes/no/1/0, date, datetime, time, email, url, uuid, else string or
//! text); a column with any blank cell is optional. Handles a UTF-8 byte-order mark, quoted
//! cells with commas and `;` or tab delimiters. The entity is named after the file
//! (`sensor readings.csv` → `SensorReading`).

use std::sync::LazyLock;

use apiforge_manifest::sanitize::{MAX_IDENTIFIER_LEN, field_name};
use apiforge_manifest::words::{entity_name, table_name};
use apiforge_manifest::{Auth, Entity, Field, FieldType, Manifest, ValidManifest};
use regex::Regex;

use crate::PlanError;

/// Longest text kept as `string`; longer values make the column `text`.
const MAX_STRING_LEN: usize = 255;

/// Plans a one-entity manifest from a CSV file: header → fields, types inferred from rows.
///
/// `file_name` may be a path; only its last component (without extension) names the entity.
pub fn plan_csv(file_name: &str, data: &[u8]) -> Result<ValidManifest, PlanError> {
    let text = std::str::from_utf8(data).map_err(|_| PlanError::CsvNotText)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\0') {
        return Err(PlanError::CsvNotText);
    }
    if text.trim().is_empty() {
        return Err(PlanError::CsvEmpty);
    }
    let table = read_table(text)?;
    if table.headers.iter().all(|h| h.trim().is_empty()) {
        return Err(PlanError::CsvEmpty);
    }

    let stem = file_stem(file_name);
    let mut entity = Entity::new(entity_name(stem));
    entity.plural = table_name(&entity.name);
    entity.description = Some(format!(
        "A record imported from {} ({} row{}).",
        base_name(file_name),
        table.rows.len(),
        if table.rows.len() == 1 { "" } else { "s" }
    ));
    let names = column_names(&table.headers);
    for (index, (header, name)) in table.headers.iter().zip(names).enumerate() {
        let cells = table
            .rows
            .iter()
            .map(|row| row.get(index).map_or("", String::as_str));
        entity.fields.push(infer_field(header, name, cells));
    }

    let api_name = field_name(stem);
    let manifest = Manifest {
        title: format!("{} API", title_case(&entity.plural)),
        description: format!("REST API for the records of {}.", base_name(file_name)),
        name: api_name,
        auth: Auth::None,
        entities: vec![entity],
    };
    Ok(manifest.validate()?)
}

struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn read_table(text: &str) -> Result<Table, PlanError> {
    let delimiter = sniff_delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| malformed(&e))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| malformed(&e))?;
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue; // blank line between records
        }
        rows.push(record.iter().map(str::to_owned).collect());
    }
    Ok(Table { headers, rows })
}

fn malformed(error: &csv::Error) -> PlanError {
    let line = error.position().map(|p| p.line());
    let detail = match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "a row has {len} value{} but the header has {expected_len} column{}; quote cells that contain the delimiter",
            if *len == 1 { "" } else { "s" },
            if *expected_len == 1 { "" } else { "s" },
        ),
        csv::ErrorKind::Utf8 { .. } => "a cell is not UTF-8 text".to_owned(),
        _ => error.to_string(),
    };
    match line {
        Some(line) => PlanError::CsvMalformed(format!("line {line}: {detail}")),
        None => PlanError::CsvMalformed(detail),
    }
}

/// Picks `,`, `;` or tab: whichever occurs most often outside quotes in the header line.
fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for byte in header.bytes() {
        if byte == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(slot) = counts.iter_mut().find(|(d, _)| *d == byte) {
            slot.1 += 1;
        }
    }
    // Ties keep the earlier (comma first): max_by_key returns the last maximum, so reverse.
    counts
        .iter()
        .rev()
        .max_by_key(|(_, count)| *count)
        .map_or(b',', |(delimiter, _)| *delimiter)
}

/// Field names for the headers: sanitised, blank headers named by position, repeats numbered.
fn column_names(headers: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(headers.len());
    for (index, header) in headers.iter().enumerate() {
        let base = if header.trim().is_empty() {
            format!("column_{}", index + 1)
        } else {
            field_name(header)
        };
        let mut name = base.clone();
        let mut n = 2;
        while names.contains(&name) {
            // Cut the base so the numbered name still fits the identifier limit.
            let suffix = format!("_{n}");
            let mut stem = base.clone();
            stem.truncate(MAX_IDENTIFIER_LEN - suffix.len());
            name = format!("{}{suffix}", stem.trim_end_matches('_'));
            n += 1;
        }
        names.push(name);
    }
    names
}

/// What one cell could be, most specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CellKind {
    ZeroOrOne,
    Integer,
    Decimal,
    Number,
    Boolean,
    Date,
    Datetime,
    Time,
    Email,
    Url,
    Uuid,
    Text,
}

static INTEGER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[+-]?(0|[1-9][0-9]{0,17})$").expect("valid regex"));
static DECIMAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[+-]?(0|[1-9][0-9]*)\.([0-9]+)$").expect("valid regex"));
static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[+-]?((0|[1-9][0-9]*)(\.[0-9]+)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
        .expect("valid regex")
});
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$").expect("valid regex")
});
static DATETIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$",
    )
    .expect("valid regex")
});
static TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?$").expect("valid regex")
});
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
        .expect("valid regex")
});
static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^https?://[^\s/$.?#][^\s]*$").expect("valid regex"));
static UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
        .expect("valid regex")
});

fn classify(cell: &str) -> CellKind {
    let lower = cell.to_ascii_lowercase();
    if cell == "0" || cell == "1" {
        CellKind::ZeroOrOne
    } else if INTEGER.is_match(cell) {
        CellKind::Integer
    } else if DECIMAL.is_match(cell) {
        CellKind::Decimal
    } else if NUMBER.is_match(cell) && cell.parse::<f64>().is_ok_and(f64::is_finite) {
        CellKind::Number
    } else if matches!(lower.as_str(), "true" | "false" | "yes" | "no") {
        CellKind::Boolean
    } else if DATE.is_match(cell) {
        CellKind::Date
    } else if DATETIME.is_match(cell) {
        CellKind::Datetime
    } else if TIME.is_match(cell) {
        CellKind::Time
    } else if UUID.is_match(cell) {
        CellKind::Uuid
    } else if EMAIL.is_match(cell) {
        CellKind::Email
    } else if URL.is_match(cell) {
        CellKind::Url
    } else {
        CellKind::Text
    }
}

/// Column names whose 0/1 values are numbers, not flags.
fn is_count_like(name: &str) -> bool {
    name == "id"
        || name.ends_with("_id")
        || [
            "count", "number", "qty", "quantity", "amount", "total", "score", "rank",
        ]
        .iter()
        .any(|word| name.split('_').any(|part| part == *word))
}

fn infer_field<'a>(header: &str, name: String, cells: impl Iterator<Item = &'a str>) -> Field {
    let mut kinds: Vec<CellKind> = Vec::new();
    let mut blanks = 0usize;
    let mut longest = 0usize;
    let mut max_fraction_digits = 0usize;
    let mut values: Vec<&str> = Vec::new();
    for cell in cells {
        let cell = cell.trim();
        if cell.is_empty() {
            blanks += 1;
            continue;
        }
        let kind = classify(cell);
        if kind == CellKind::Decimal {
            let digits = cell.rsplit('.').next().map_or(0, str::len);
            max_fraction_digits = max_fraction_digits.max(digits);
        }
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
        longest = longest.max(cell.chars().count());
        values.push(cell);
    }
    let ty = column_type(&kinds, &name, max_fraction_digits, longest);
    let mut field = Field::new(name, ty);
    field.required = blanks == 0 && !values.is_empty();
    if field.ty == FieldType::String {
        field.max_length = Some(MAX_STRING_LEN as u32);
    }
    if field.name == "id" {
        field.unique = true;
        field.required = true;
        if !matches!(
            field.ty,
            FieldType::Integer | FieldType::Uuid | FieldType::String
        ) {
            // Keys must be integer, uuid or string: keep odd ids verbatim as text.
            field.ty = FieldType::String;
            field.max_length = Some(MAX_STRING_LEN as u32);
        }
    } else if values.len() >= 2 && is_identifier_like(&field.name) && all_distinct(&values) {
        field.unique = true;
    }
    if field_name(header) != header.trim() {
        field.description = Some(format!(
            "Column \"{}\" of the imported file.",
            header.trim()
        ));
    }
    field
}

/// Names of columns that identify a record (distinct values there are a real constraint).
fn is_identifier_like(name: &str) -> bool {
    ["sku", "email", "code", "uuid", "isbn", "username", "slug"]
        .iter()
        .any(|word| name == *word || name.ends_with(&format!("_{word}")))
}

fn all_distinct(values: &[&str]) -> bool {
    let mut sorted: Vec<&str> = values.to_vec();
    sorted.sort_unstable();
    sorted.windows(2).all(|pair| pair[0] != pair[1])
}

fn column_type(
    kinds: &[CellKind],
    name: &str,
    fraction_digits: usize,
    longest: usize,
) -> FieldType {
    use CellKind as K;
    let only =
        |allowed: &[CellKind]| !kinds.is_empty() && kinds.iter().all(|k| allowed.contains(k));
    if only(&[K::ZeroOrOne]) {
        if is_count_like(name) {
            FieldType::Integer
        } else {
            FieldType::Boolean
        }
    } else if only(&[K::ZeroOrOne, K::Boolean]) {
        FieldType::Boolean
    } else if only(&[K::ZeroOrOne, K::Integer]) {
        FieldType::Integer
    } else if only(&[K::ZeroOrOne, K::Integer, K::Decimal]) && fraction_digits <= 4 {
        FieldType::Decimal
    } else if only(&[K::ZeroOrOne, K::Integer, K::Decimal, K::Number]) {
        FieldType::Number
    } else if only(&[K::Date]) {
        FieldType::Date
    } else if only(&[K::Datetime]) || only(&[K::Date, K::Datetime]) {
        FieldType::Datetime
    } else if only(&[K::Time]) {
        FieldType::Time
    } else if only(&[K::Email]) {
        FieldType::Email
    } else if only(&[K::Url]) {
        FieldType::Url
    } else if only(&[K::Uuid]) {
        FieldType::Uuid
    } else if longest > MAX_STRING_LEN {
        FieldType::Text
    } else {
        FieldType::String
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn file_stem(path: &str) -> &str {
    let base = base_name(path);
    match base.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => base,
    }
}

fn title_case(snake: &str) -> String {
    snake
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plans `csv` as `file` and compares `name:type[?][!]` per field (`?` optional, `!` unique).
    fn check(file: &str, csv: &str, entity: &str, expect: &[&str]) {
        let manifest = plan_csv(file, csv.as_bytes()).expect("plans");
        let only = &manifest.entities[0];
        assert_eq!(only.name, entity);
        let fields: Vec<String> = only
            .fields
            .iter()
            .map(|f| {
                format!(
                    "{}:{}{}{}",
                    f.name,
                    f.ty.as_str(),
                    if f.required { "" } else { "?" },
                    if f.unique { "!" } else { "" }
                )
            })
            .collect();
        assert_eq!(fields, expect, "fields of {file}");
    }

    fn check_err(file: &str, data: &[u8], expect: &str) {
        let error = plan_csv(file, data).expect_err("rejected").to_string();
        assert!(
            error.contains(expect),
            "{error:?} should contain {expect:?}"
        );
    }

    #[test]
    fn corpus_products() {
        check(
            "products.csv",
            include_str!("../../../corpus/products.csv"),
            "Product",
            &[
                "sku:string!",
                "name:string",
                "price:decimal",
                "in_stock:boolean",
                "released_on:date",
                "supplier_email:email",
            ],
        );
    }

    #[test]
    fn corpus_people_with_blanks_and_quoted_commas() {
        check(
            "people.csv",
            include_str!("../../../corpus/people.csv"),
            "Person",
            &[
                "id:integer!",
                "full_name:string",
                "age:integer?",
                "signup_date:date",
                "newsletter:boolean",
                "score:decimal?",
            ],
        );
    }

    #[test]
    fn bom_semicolons_and_file_name() {
        check(
            "data/sensor readings.csv",
            "\u{feff}Sensor ID;Taken At;Temperature °C;OK\nabc;2024-01-01T10:00:00Z;21.125;1\ndef;2024-01-01 11:30;-3.5;0\n",
            "SensorReading",
            &[
                "sensor_id:string",
                "taken_at:datetime",
                "temperature_deg_c:decimal",
                "ok:boolean",
            ],
        );
    }

    #[test]
    fn every_inferred_type() {
        check(
            "things.csv",
            "uuid,site,count,ratio,starts,flag,note\n\
             6f1c2a9e-1d2b-4c3d-8e9f-0a1b2c3d4e5f,https://example.com/a,0,1.5e3,08:30,Y,hi\n\
             7f1c2a9e-1d2b-4c3d-8e9f-0a1b2c3d4e5f,http://example.org,1,0.123456,17:45:10,N,\n",
            "Thing",
            &[
                "uuid:uuid!",
                "site:url",
                "count:integer",
                "ratio:number",
                "starts:time",
                "flag:string",
                "note:string?",
            ],
        );
    }

    #[test]
    fn tabs_duplicate_and_blank_headers_and_long_text() {
        let long = "x".repeat(300);
        check(
            "notes.tsv",
            &format!("title\tTitle\t\tbody\nA\tB\tC\t{long}\n"),
            "Note",
            &[
                "title:string",
                "title_2:string",
                "column_3:string",
                "body:text",
            ],
        );
    }

    #[test]
    fn numbered_duplicates_of_long_headers_stay_within_the_limit() {
        // Found by the plan_csv fuzz target.
        let long = format!("sku_{}", "o".repeat(70));
        let manifest =
            plan_csv("x.csv", format!("{long},{long},{long}\n").as_bytes()).expect("plans");
        let names: Vec<&str> = manifest.entities[0]
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(names.len(), 3);
        assert!(
            names.iter().all(|n| n.len() <= MAX_IDENTIFIER_LEN),
            "{names:?}"
        );
        assert!(
            names[1].ends_with("_2") && names[2].ends_with("_3"),
            "{names:?}"
        );
    }

    #[test]
    fn header_only_gives_optional_strings() {
        check(
            "Empty Table.csv",
            "a,b\n",
            "EmptyTable",
            &["a:string?", "b:string?"],
        );
    }

    #[test]
    fn leading_zeros_stay_text() {
        check("zips.csv", "zip\n01234\n98765\n", "Zip", &["zip:string"]);
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        check_err("x.csv", b"", "empty");
        check_err("x.csv", b"\xef\xbb\xbf  \n", "empty");
        check_err("x.csv", b",,\n1,2,3\n", "empty");
        check_err("x.xlsx", b"PK\x03\x04\x00\x00\xff\xfe", "not UTF-8");
        check_err("x.csv", b"a\0b\n", "not UTF-8");
        check_err(
            "x.csv",
            b"a,b\n1,2,3\n",
            "line 2: a row has 3 values but the header has 2 columns",
        );
    }

    #[test]
    fn titles_and_names() {
        let manifest = plan_csv("/tmp/Sensor Readings.CSV", b"v\n1\n").expect("plans");
        assert_eq!(manifest.name, "sensor_readings");
        assert_eq!(manifest.title, "Sensor Readings API");
        assert_eq!(manifest.entities[0].plural, "sensor_readings");
    }
}
