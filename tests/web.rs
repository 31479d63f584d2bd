//! Components in a real browser (headless Chromium through wasm-bindgen-test).
#![cfg(target_arch = "wasm32")]

use chrono::{Duration, Utc};
use leptos::{mount::mount_to, prelude::*, task::tick};
use token_api::tokens::{Person, TokenStatus, TokenView};
use token_console::components::language_switcher::LanguageSwitcher;
use token_console::components::token_table::TokenTable;
use token_console::i18n::{provide_i18n, Locale};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn token(name: &str, status: TokenStatus, used: bool, hint: &str) -> TokenView {
    let now = Utc::now();
    TokenView {
        id: name.to_owned(),
        name: name.to_owned(),
        owner: Person {
            id: "u".into(),
            email: "ben@acme.test".into(),
            name: "Ben".into(),
        },
        workspace_id: "ws".into(),
        created_at: now - Duration::days(3),
        expires_at: now + Duration::days(27),
        last_used_at: used.then_some(now),
        status,
        disabled_at: (status == TokenStatus::Disabled).then_some(now),
        disabled_by: None,
        hint: hint.to_owned(),
    }
}

fn container() -> web_sys::HtmlElement {
    let document = document();
    let section = document.create_element("section").unwrap();
    document.body().unwrap().append_child(&section).unwrap();
    section.unchecked_into()
}

fn texts(root: &web_sys::HtmlElement, selector: &str) -> Vec<String> {
    let nodes = root.query_selector_all(selector).unwrap();
    (0..nodes.length())
        .map(|i| nodes.item(i).unwrap().text_content().unwrap_or_default())
        .collect()
}

#[wasm_bindgen_test]
async fn the_table_tells_status_in_words_and_dims_inactive_tokens() {
    let root = container();
    let _mounted = mount_to(root.clone(), || {
        provide_i18n(Locale::En);
        let tokens = vec![
            token("CI deploy", TokenStatus::Active, true, "AbCd"),
            token("Old", TokenStatus::Disabled, false, "WxYz"),
        ];
        view! { <TokenTable tokens caption="Your tokens" /> }
    });
    tick().await;
    assert_eq!(texts(&root, "tbody th"), ["CI deploy", "Old"]);
    assert_eq!(texts(&root, "tbody .status"), ["Active", "Disabled"]);
    let rows = root.query_selector_all("tbody tr").unwrap();
    let class = |i| rows.item(i).unwrap().unchecked_into::<web_sys::Element>().class_name();
    assert!(!class(0).contains("inactive"));
    assert!(class(1).contains("inactive"), "disabled tokens are dimmed");
    let old_row = texts(&root, "tbody tr")[1].clone();
    assert!(old_row.contains("Never"), "{old_row}");
    assert!(old_row.contains("…WxYz"), "{old_row}");
    assert_eq!(texts(&root, "caption"), ["Your tokens"]);
}

#[wasm_bindgen_test]
async fn choosing_chinese_rewrites_the_page_and_the_document_language() {
    let root = container();
    let _mounted = mount_to(root.clone(), || {
        provide_i18n(Locale::En);
        let tokens = vec![token("部署", TokenStatus::Expired, false, "0000")];
        view! {
            <LanguageSwitcher />
            <TokenTable tokens caption="t" />
        }
    });
    tick().await;
    assert_eq!(texts(&root, "thead th")[0], "Name");
    let select: web_sys::HtmlSelectElement = root.query_selector("select").unwrap().unwrap().unchecked_into();
    select.set_value("zh-CN");
    select.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
    tick().await;
    assert_eq!(texts(&root, "thead th")[0], "名称");
    assert_eq!(texts(&root, "tbody .status"), ["已过期"]);
    assert!(texts(&root, "tbody tr")[0].contains("从未"));
    assert_eq!(
        document().document_element().unwrap().get_attribute("lang").as_deref(),
        Some("zh-CN")
    );
}
