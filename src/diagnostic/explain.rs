//! The long explanation of each code (`knet explain CODE`): the code's book page.

use super::Code;

/// The explanation of a code: its book page.
pub fn explanation(code: Code) -> String {
    format!("{}: {}\n", code.as_str(), code.summary())
}
