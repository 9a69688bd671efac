//! The version macros of include/trailstore.h are the version `trailstore_version()` reports
//! (the core crate's), so a C program's `#if` checks see the library it links.

#[test]
fn header_version_macros_match_the_crate() {
    let header = include_str!("../../../include/trailstore.h");
    let version = trailstore_core::VERSION;
    let numbers: Vec<&str> = version
        .split(['-', '+'])
        .take(1)
        .flat_map(|v| v.split('.'))
        .collect();
    assert_eq!(numbers.len(), 3, "{version}");
    for (name, want) in ["MAJOR", "MINOR", "PATCH"].into_iter().zip(numbers) {
        let prefix = format!("#define TRAILSTORE_VERSION_{name} ");
        let defined: Vec<&str> = header
            .lines()
            .filter_map(|line| line.strip_prefix(&prefix))
            .collect();
        assert_eq!(
            defined,
            [want],
            "TRAILSTORE_VERSION_{name} in include/trailstore.h"
        );
    }
}
