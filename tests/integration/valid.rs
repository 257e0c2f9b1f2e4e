//! Valid inputs: every example and every case under `tests/valid/` compiles without any
//! diagnostic, and its YAML is snapshotted. Each file is its own unit; a directory under
//! `tests/valid/` is one unit of several files.

use crate::common::{relative, rendered, root, sources_of, with_snapshots};
use knetc::source::Sources;

fn yaml_of(name: &str, sources: &Sources) -> String {
    match knetc::build_yaml(sources) {
        Ok((yaml, warnings)) => {
            assert!(
                warnings.is_empty(),
                "{name}: a valid case must have no diagnostics:\n{}",
                rendered(&warnings, sources)
            );
            yaml
        }
        Err(diagnostics) => panic!("{name} must compile:\n{}", rendered(&diagnostics, sources)),
    }
}

#[test]
fn examples_compile() {
    with_snapshots("examples", || {
        insta::glob!("../../examples", "*.knet", |path| {
            let yaml = yaml_of(&relative(path), &sources_of(path));
            insta::assert_snapshot!(yaml);
        });
    });
}

#[test]
fn valid_cases_compile() {
    with_snapshots("valid", || {
        insta::glob!("../valid", "*.knet", |path| {
            let yaml = yaml_of(&relative(path), &sources_of(path));
            insta::assert_snapshot!(yaml);
        });
    });
}

/// A directory of several files is one model: references cross files, and blocks of one
/// namespace merge.
#[test]
fn multi_file_units_compile() {
    with_snapshots("valid", || {
        let dir = root().join("tests/valid-multi");
        let mut dirs: Vec<_> = std::fs::read_dir(&dir)
            .expect("tests/valid-multi exists")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        assert!(!dirs.is_empty());
        for unit in dirs {
            let mut files: Vec<_> = std::fs::read_dir(&unit)
                .expect("readable")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "knet"))
                .collect();
            files.sort();
            let mut sources = Sources::new();
            for file in &files {
                sources.add(
                    relative(file),
                    std::fs::read_to_string(file).expect("readable"),
                );
            }
            let name = relative(&unit);
            let yaml = yaml_of(&name, &sources);
            let snapshot_name = name.replace('/', "__");
            insta::assert_snapshot!(snapshot_name, yaml);
        }
    });
}
