//! Writing to standard streams. A closed pipe (`apiforge plan | head`) is not an error worth
//! a panic, so write failures are ignored here, in one place.

use std::io::Write;

/// Prints text followed by a newline on stdout.
pub fn print_line(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
}

/// Prints text as-is on stdout (it already ends with a newline).
pub fn print_raw(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
}

/// Prints a line on stderr.
pub fn eprint_line(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
}

/// Writes bytes as-is on stdout (a sandboxed command's output, not necessarily UTF-8).
pub fn write_stdout(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(bytes);
    let _ = stdout.flush();
}

/// Writes bytes as-is on stderr.
pub fn write_stderr(bytes: &[u8]) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(bytes);
}
