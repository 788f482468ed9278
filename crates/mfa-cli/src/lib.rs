//! The parsers of the files mfa-admin reads (key files, target lists), as a library. The
//! binary reads each file's bytes and hands them here; the fuzz targets in `fuzz/` call the
//! same functions on arbitrary bytes, so what they check is exactly what the tool runs.

pub mod inputs;
