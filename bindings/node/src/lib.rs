//! Node bindings (under construction).
