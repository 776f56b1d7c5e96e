//! The `register` engine (crate `baton-register`, after WAMR's fast interpreter): its driving API
//! (`docs/driving.md`) plugged into the shared `baton-runtime` session ([`super::runtime`]).

super::runtime::driving_api_backend!(Register, "register", baton_register);
