//! The reachability analysis of every example: `knet matrix` (text) and a few
//! `knet why` answers, snapshotted. The matrices are checked against np-guard's analyzer
//! by `.ci/run` step 9 (tests/reach/compare.py); these snapshots show a change in review.

use crate::common::{relative, sources_of, with_snapshots};
use knetc::analysis::{analyze, matrix, why};

#[test]
fn matrices_of_the_examples() {
    with_snapshots("reach", || {
        insta::glob!("../../examples", "*.knet", |path| {
            let checked = knetc::compile(&sources_of(path));
            let model = checked
                .model
                .unwrap_or_else(|| panic!("{} must compile", relative(path)));
            let reach = analyze(&model);
            insta::assert_snapshot!(matrix::render(&reach, matrix::Format::Text));
        });
    });
}

#[test]
fn why_the_shop_allows_and_denies() {
    let path = crate::common::root().join("examples/shop.knet");
    let model = knetc::compile(&sources_of(&path))
        .model
        .expect("the shop compiles");
    let reach = analyze(&model);
    let id = |name: &str| reach.find(name).expect("endpoint");
    let tcp = knetc::ir::Protocol::Tcp;
    let answers = [
        why::explain(
            &reach,
            id("shop/frontend"),
            id("shop/api"),
            Some((tcp, 8080)),
        ),
        why::explain(
            &reach,
            id("shop/frontend"),
            id("shop/database"),
            Some((tcp, 5432)),
        ),
        why::explain(&reach, id("world"), id("shop/payment"), None),
        why::explain(&reach, id("shop/api"), id("metadata"), Some((tcp, 80))),
    ];
    let text: Vec<String> = answers.iter().map(why::Explanation::text).collect();
    with_snapshots("reach", || insta::assert_snapshot!(text.join("\n")));
}
