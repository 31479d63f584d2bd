//! The wasm binary Trunk builds. Everything it does lives in `token_console::embed`: the start
//! function that mounts every `data-token-console` element, and the `mount()` export for hosts.

use token_console::embed as _;

fn main() {}
