//! The long explanation of each code (`knet explain CODE`): the code's book page, the
//! same text the book shows.

use super::Code;

/// The explanation of a code: its book page.
pub fn explanation(code: Code) -> &'static str {
    code.page()
}
