//! What the CSV importers (edge lists, Epoch AI) share: an empty file is an error, not an
//! empty lineage, and a row the CSV reader cannot parse is reported and passed over instead of
//! ending the import.

use crate::{LineageError, Skipped};

/// A reader over `text` with `builder`'s settings; an empty (or blank) text is refused.
pub(crate) fn reader<'a>(
    text: &'a str,
    builder: &csv::ReaderBuilder,
) -> Result<csv::Reader<&'a [u8]>, LineageError> {
    if text.trim().is_empty() {
        return Err(LineageError::Empty);
    }
    Ok(builder.from_reader(text.as_bytes()))
}

/// The report line for a row the reader could not parse.
pub(crate) fn malformed(e: &csv::Error) -> Skipped {
    let line = e.position().map_or(0, |p| p.line());
    Skipped::row(line, "", format!("malformed CSV row: {e}"))
}
