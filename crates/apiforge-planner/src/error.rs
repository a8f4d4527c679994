use apiforge_manifest::ValidationErrors;

/// Why a prompt or CSV file could not be planned. Every variant is the caller's input, so the
/// CLI maps all of them to exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// Nothing but whitespace.
    #[error("the prompt is empty; describe the API, e.g. \"Books have a title and an author\"")]
    EmptyPrompt,
    /// Over [`crate::MAX_PROMPT_CHARS`].
    #[error("the prompt has {chars} characters; the limit is {max}, so shorten it")]
    PromptTooLong {
        /// Characters given.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// Control characters other than whitespace: not text.
    #[error("the prompt contains binary data (control characters); pass plain text")]
    BinaryPrompt,
    /// The prompt names nothing the planner can turn into a resource.
    #[error(
        "found no resource in the prompt; name the things the API manages, e.g. \"products with a name and a price\""
    )]
    NothingToPlan,
    /// The CSV bytes are not UTF-8 text.
    #[error(
        "the CSV file is not UTF-8 text (is it binary or a spreadsheet?); export it as CSV UTF-8"
    )]
    CsvNotText,
    /// No header row.
    #[error("the CSV file is empty; it needs a header row naming the columns")]
    CsvEmpty,
    /// The CSV reader rejected the file.
    #[error("the CSV file is malformed: {0}")]
    CsvMalformed(String),
    /// The planner produced a manifest that fails validation. A bug, reported rather than hidden.
    #[error("the planner produced an invalid manifest (please report this prompt): {0}")]
    Invalid(#[from] ValidationErrors),
}
