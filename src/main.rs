//! The wasm binary Trunk builds. Everything it does lives in `token_console::embed`: the start
//! function that mounts every `data-token-console` element, and the `mount()` export for hosts.
//! Linking the library is all this file has to do.

extern crate token_console;

fn main() {}
