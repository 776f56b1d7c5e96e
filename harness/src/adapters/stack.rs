//! The `stack` engine (crate `baton-stack`, after WasmEdge's interpreter): its driving API
//! (`docs/driving.md`) plugged into the shared `baton-runtime` session ([`super::runtime`]).

super::runtime::driving_api_backend!(Stack, "stack", baton_stack);
