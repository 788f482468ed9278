//! Lets the addon link against the symbols Node provides at load time.

fn main() {
    napi_build::setup();
}
