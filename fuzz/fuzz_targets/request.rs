#![no_main]
//! Fuzz target: see trailstore::fuzzing::request.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| trailstore::fuzzing::request(data));
