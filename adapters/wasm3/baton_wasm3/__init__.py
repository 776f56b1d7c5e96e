"""baton's Wasm3 adapter: serves the adapter protocol (protocol/proto/adapter.proto) with pywasm3."""
