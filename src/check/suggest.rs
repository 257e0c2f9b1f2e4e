//! "Did you mean" suggestions for misspelt names.
//!
//! In: the name the user wrote and the names that would have been valid in its place
//! (apps, ports, protocols, keywords). Out: the closest of them, if it is close enough to
//! be a likely typo, for a `help` line such as "did you mean `api`?". Pure; no messages
//! are built here.

/// The candidate closest to `wrong`, if it is within a small edit distance.
///
/// Distance is Damerau-Levenshtein on the lower-cased names, so a difference only in case
/// counts as 0 and is suggested (`API` → `api`), while a candidate exactly equal to
/// `wrong` is never suggested. The limit is one edit per three characters of `wrong`, and
/// at least one. Ties go to the candidate seen first. An empty `wrong` gets no suggestion:
/// there is nothing to have misspelt.
pub fn did_you_mean<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    if wrong.is_empty() {
        return None;
    }
    let wrong_lower = wrong.to_lowercase();
    let limit = (wrong.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == wrong {
            continue;
        }
        let distance = strsim::damerau_levenshtein(&wrong_lower, &candidate.to_lowercase());
        if distance > limit {
            continue;
        }
        match best {
            Some((best_distance, _)) if best_distance <= distance => {}
            _ => best = Some((distance, candidate)),
        }
    }
    best.map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_a_close_candidate() {
        assert_eq!(did_you_mean("apii", ["api", "web", "db"]), Some("api"));
        assert_eq!(did_you_mean("wbe", ["api", "web"]), Some("web"));
        assert_eq!(
            did_you_mean("metircs", ["metrics", "http"]),
            Some("metrics")
        );
    }

    #[test]
    fn transposition_is_one_edit() {
        // Plain Levenshtein would count `hpt` → `htp` as two edits, over the limit of 1.
        assert_eq!(did_you_mean("hpt", ["htp"]), Some("htp"));
    }

    #[test]
    fn rejects_candidates_beyond_the_limit() {
        assert_eq!(did_you_mean("abc", ["xyz"]), None);
        // Length 5: the limit is max(1, 5 / 3) = 1 edit.
        assert_eq!(did_you_mean("frnt", ["front"]), Some("front"));
        assert_eq!(did_you_mean("fnrt", ["front"]), None);
        // Length 6: the limit is 2 edits.
        assert_eq!(did_you_mean("backnd", ["backend"]), Some("backend"));
        assert_eq!(did_you_mean("bakcnd", ["backend"]), Some("backend"));
        assert_eq!(did_you_mean("bxkxnx", ["backend"]), None);
    }

    #[test]
    fn short_names_allow_one_edit() {
        assert_eq!(did_you_mean("a", ["b"]), Some("b"));
        assert_eq!(did_you_mean("ab", ["abc"]), Some("abc"));
        assert_eq!(did_you_mean("ab", ["abcd"]), None);
    }

    #[test]
    fn case_only_differences_are_suggested() {
        assert_eq!(did_you_mean("API", ["web", "api"]), Some("api"));
        assert_eq!(did_you_mean("tcp", ["TCP", "UDP", "SCTP"]), Some("TCP"));
        // Distance 0 by case beats an earlier candidate one edit away.
        assert_eq!(did_you_mean("Web", ["wed", "web"]), Some("web"));
    }

    #[test]
    fn an_identical_candidate_is_not_a_suggestion() {
        assert_eq!(did_you_mean("api", ["api"]), None);
        assert_eq!(did_you_mean("api", ["api", "apis"]), Some("apis"));
    }

    #[test]
    fn ties_go_to_the_first_candidate() {
        assert_eq!(did_you_mean("cat", ["bat", "hat"]), Some("bat"));
        assert_eq!(did_you_mean("cat", ["hat", "bat"]), Some("hat"));
    }

    #[test]
    fn empty_inputs_get_no_suggestion() {
        assert_eq!(did_you_mean("", ["a", "b"]), None);
        assert_eq!(did_you_mean("api", []), None);
    }

    #[test]
    fn accepts_any_iterator_of_str() {
        let names = [String::from("frontend"), String::from("backend")];
        assert_eq!(
            did_you_mean("frontnd", names.iter().map(String::as_str)),
            Some("frontend")
        );
    }
}
