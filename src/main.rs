//! The stand-alone app's entry: panic messages to the console, then mount.

fn main() {
    console_error_panic_hook::set_once();
    token_console::mount();
}
