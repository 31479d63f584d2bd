//! URL components through the browser's own encoder and parser (`encodeURIComponent`,
//! `URLSearchParams`), so what the pages write and read is what the address bar does, decoded
//! exactly once. (leptos_router 0.8's `use_query_map` decodes a value a second time, so a
//! search for `%41` would read as `A`: leptos#4731, fixed for 0.9.)

use wasm_bindgen::JsCast;

/// Encodes a query value or path segment, as `encodeURIComponent` does.
pub fn encode_component(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

/// The one query encoder: `a=1&b=x%20y`, keys and values encoded, in the order given.
pub fn query_string<K: AsRef<str>, V: AsRef<str>>(pairs: impl IntoIterator<Item = (K, V)>) -> String {
    let encoded: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", encode_component(k.as_ref()), encode_component(v.as_ref())))
        .collect();
    encoded.join("&")
}

/// The pairs of `a=1&b=x%20y` (with or without a leading `?`), in order, as `URLSearchParams`
/// decodes them (`+` is a space; a malformed escape stays as it is).
pub fn form_pairs(search: &str) -> Vec<(String, String)> {
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(search) else {
        return Vec::new();
    };
    let Ok(Some(entries)) = js_sys::try_iter(&params) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let pair = entry.unchecked_into::<js_sys::Array>();
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}
