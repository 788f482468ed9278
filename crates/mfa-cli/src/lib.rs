//! The parsers of the files mfa-admin reads (key files, target lists, user imports), as a
//! library. The binary reads each file (with its size limit, `input.rs`) and hands the
//! contents here; the fuzz targets in `fuzz/` call the same functions on arbitrary bytes, so
//! what they check is exactly what the tool runs.

pub mod parse;
