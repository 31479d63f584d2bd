//! Components in a real browser (headless Chromium through wasm-bindgen-test).
#![cfg(target_arch = "wasm32")]

use chrono::{Duration, Utc};
use leptos::{mount::mount_to, prelude::*, task::tick};
use token_api::query::{SortDir, SortField};
use token_api::tokens::{BatchAction, Person, TokenStatus, TokenView};
use token_console::bulk::BulkCount;
use token_console::components::bulk_toolbar::BulkToolbar;
use token_console::components::generate_dialog::GenerateDialog;
use token_console::components::language_switcher::LanguageSwitcher;
use token_console::components::token_table::{RowActions, TokenTable};
use token_console::i18n::{provide_i18n, Locale};
use token_console::reveal::Flow;
use token_console::selection::Selection;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn token(name: &str, status: TokenStatus, used: bool, hint: &str) -> TokenView {
    let now = Utc::now();
    let lifetime = if status == TokenStatus::Expired { -1 } else { 27 };
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
        expires_at: now + Duration::days(lifetime),
        last_used_at: used.then_some(now),
        status,
        disabled_at: (status == TokenStatus::Disabled).then_some(now),
        disabled_by: None,
        disabled_cause: None,
        disabled_reason: None,
        description: None,
        hint: hint.to_owned(),
        replaced_by: None,
        all_permissions: true,
        permissions: Vec::new(),
        ranges: Vec::new(),
    }
}

/// Active, unused tokens of these names.
fn active(names: impl IntoIterator<Item = impl AsRef<str>>) -> Vec<TokenView> {
    names
        .into_iter()
        .map(|n| token(n.as_ref(), TokenStatus::Active, false, "0000"))
        .collect()
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

fn el<T: JsCast>(root: &web_sys::HtmlElement, selector: &str) -> T {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector}"))
        .unchecked_into()
}

fn all<T: JsCast>(root: &web_sys::HtmlElement, selector: &str) -> Vec<T> {
    let nodes = root.query_selector_all(selector).unwrap();
    (0..nodes.length())
        .map(|i| nodes.item(i).unwrap().unchecked_into())
        .collect()
}

fn click_with_shift(target: &web_sys::HtmlElement) {
    let init = web_sys::MouseEventInit::new();
    init.set_bubbles(true);
    init.set_shift_key(true);
    let ev = web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &init).unwrap();
    target.dispatch_event(&ev).unwrap();
}

fn no_actions() -> RowActions {
    RowActions {
        disable: Callback::new(|_| {}),
        delete: Callback::new(|_| {}),
        show_owner: None,
        show_owner_label: None,
        regenerate: None,
        describe: None,
    }
}

fn mount_table(tokens: Vec<TokenView>, selection: RwSignal<Selection>) -> web_sys::HtmlElement {
    let root = container();
    let mounted = mount_to(root.clone(), move || {
        provide_i18n(Locale::En);
        view! {
            <TokenTable
                rows=Signal::stored(tokens.clone())
                caption="Your tokens"
                selection
                sort=Signal::stored((SortField::Created, SortDir::Desc))
                on_sort=Callback::new(|_| {})
                actions=no_actions()
                empty="No token matches this search or filter."
            />
        }
    });
    std::mem::forget(mounted);
    root
}

#[wasm_bindgen_test]
async fn the_table_tells_status_in_words_and_dims_inactive_tokens() {
    let selection = RwSignal::new(Selection::default());
    let root = mount_table(
        vec![
            token("CI deploy", TokenStatus::Active, true, "AbCd"),
            token("Old", TokenStatus::Disabled, false, "WxYz"),
        ],
        selection,
    );
    tick().await;
    assert_eq!(texts(&root, "tbody th > span[id]"), ["CI deploy", "Old"]);
    assert_eq!(texts(&root, "tbody .status"), ["Active", "Disabled"]);
    let rows: Vec<web_sys::Element> = all(&root, "tbody tr");
    assert!(!rows[0].class_name().contains("inactive"));
    assert!(rows[1].class_name().contains("inactive"), "disabled tokens are dimmed");
    let old_row = texts(&root, "tbody tr")[1].clone();
    assert!(old_row.contains("Never"), "{old_row}");
    assert!(old_row.contains("…WxYz"), "{old_row}");
    let menus: Vec<web_sys::Element> = all(&root, "button[aria-haspopup=menu]");
    assert_eq!(
        menus[0].get_attribute("aria-label").as_deref(),
        Some("Actions for CI deploy")
    );
}

#[wasm_bindgen_test]
async fn a_search_matching_nothing_keeps_the_header_and_says_so() {
    let selection = RwSignal::new(Selection::default());
    let rows = RwSignal::new(active(["a", "b"]));
    let root = container();
    let mounted = mount_to(root.clone(), move || {
        provide_i18n(Locale::En);
        view! {
            <TokenTable
                rows
                caption="Your tokens"
                selection
                sort=Signal::stored((SortField::Created, SortDir::Desc))
                on_sort=Callback::new(|_| {})
                actions=no_actions()
                empty="No token matches this search or filter."
            />
        }
    });
    std::mem::forget(mounted);
    tick().await;
    let header: web_sys::HtmlInputElement = el(&root, "thead input[type=checkbox]");
    let table: web_sys::Element = el(&root, "table");
    assert!(texts(&root, "td.empty").is_empty(), "rows: no message");
    rows.set(Vec::new());
    tick().await;
    assert_eq!(
        texts(&root, "tbody td.empty"),
        ["No token matches this search or filter."]
    );
    assert!(header.disabled(), "nothing to select");
    assert!(
        table.is_same_node(Some(&el::<web_sys::Element>(&root, "table"))),
        "the same table, not a new one"
    );
    assert_eq!(texts(&root, "thead .sort-button").len(), 4, "sorting stays at hand");
    rows.set(active(["c"]));
    tick().await;
    assert_eq!(texts(&root, "tbody th > span[id]"), ["c"]);
    assert!(texts(&root, "td.empty").is_empty() && !header.disabled());
}

#[wasm_bindgen_test]
async fn checkboxes_select_ranges_and_the_header_is_tri_state() {
    let selection = RwSignal::new(Selection::default());
    let root = mount_table(active(["a", "b", "c", "d", "e"]), selection);
    tick().await;
    let boxes: Vec<web_sys::HtmlInputElement> = all(&root, "tbody input[type=checkbox]");
    let header: web_sys::HtmlInputElement = el(&root, "thead input[type=checkbox]");
    boxes[1].click();
    tick().await;
    assert!(header.indeterminate(), "some selected: indeterminate");
    click_with_shift(&boxes[3]);
    tick().await;
    let checked: Vec<bool> = boxes.iter().map(|b| b.checked()).collect();
    assert_eq!(checked, [false, true, true, true, false], "shift-click selects b to d");
    header.click();
    tick().await;
    assert!(header.checked() && !header.indeterminate());
    assert_eq!(selection.with_untracked(Selection::len), 5);
    header.click();
    tick().await;
    assert!(!header.checked() && !header.indeterminate());
    assert!(boxes.iter().all(|b| !b.checked()));
}

/// Waits for two animation frames: what the table does after the browser lays it out is done.
async fn frames() {
    for _ in 0..2 {
        let frame = js_sys::Promise::new(&mut |resolve, _| {
            window().request_animation_frame(&resolve).unwrap();
        });
        wasm_bindgen_futures::JsFuture::from(frame).await.unwrap();
    }
    tick().await;
}

/// Scrolls the page and lets the table follow.
async fn scroll_to(y: f64) {
    window().scroll_to_with_x_and_y(0.0, y);
    for _ in 0..3 {
        frames().await;
    }
}

#[wasm_bindgen_test]
async fn a_long_list_renders_the_rows_in_view_and_selects_all_of_it() {
    let selection = RwSignal::new(Selection::default());
    let root = mount_table(active((0..1000).map(|i| format!("token {i:04}"))), selection);
    let table: web_sys::Element = el(&root, "table");
    scroll_to(0.0).await;
    let top = table.get_bounding_client_rect().top() + window().scroll_y().unwrap();
    scroll_to(top).await;
    assert_eq!(
        table.get_attribute("aria-rowcount").as_deref(),
        Some("1001"),
        "the whole list, header included"
    );
    let rendered = |root: &web_sys::HtmlElement| all::<web_sys::Element>(root, "tbody tr[aria-rowindex]");
    let first = rendered(&root);
    assert!(first.len() < 200, "{} rows in the document", first.len());
    assert_eq!(first[0].get_attribute("aria-rowindex").as_deref(), Some("2"));
    assert_eq!(texts(&root, "tbody tr[aria-rowindex] th > span[id]")[0], "token 0000");
    assert!(texts(&root, "tbody tr[aria-rowindex] th > span[id]").contains(&"token 0010".to_owned()));

    // The first row, then shift-click at the far end: the range takes the rows between too.
    el::<web_sys::HtmlElement>(&root, "tbody tr[aria-rowindex='2'] input").click();
    let bottom = table.get_bounding_client_rect().bottom() + window().scroll_y().unwrap();
    scroll_to(bottom - 300.0).await;
    let last = rendered(&root);
    let last_row = last.last().unwrap();
    assert_eq!(last_row.get_attribute("aria-rowindex").as_deref(), Some("1001"));
    assert_eq!(
        texts(&root, "tbody tr[aria-rowindex] th > span[id]").last().unwrap(),
        "token 0999"
    );
    assert!(last.len() < 200, "{} rows in the document", last.len());
    click_with_shift(&el(&root, "tbody tr[aria-rowindex='1001'] input"));
    tick().await;
    assert_eq!(
        selection.with_untracked(Selection::len),
        1000,
        "the range spans the unrendered rows"
    );
    let header: web_sys::HtmlInputElement = el(&root, "thead input[type=checkbox]");
    assert!(header.checked());

    // Clearing from the header; then a row scrolled back into view shows its state.
    header.click();
    tick().await;
    assert_eq!(selection.with_untracked(Selection::len), 0);
    selection.update(|s| s.toggle("token 0500"));
    scroll_to(top + (bottom - top) / 2.0).await;
    let middle: web_sys::HtmlInputElement = el(&root, "tbody tr.selected input");
    assert!(middle.checked());
    assert!(texts(&root, "tbody tr.selected th > span[id]") == ["token 0500"]);
    scroll_to(0.0).await;
}

#[wasm_bindgen_test]
async fn the_toolbar_counts_what_can_be_disabled() {
    let root = container();
    let cleared = RwSignal::new(0);
    let on_clear = Callback::new(move |_| cleared.update(|c| *c += 1));
    let count = RwSignal::new(BulkCount {
        selected: 5,
        disableable: Some(3),
    });
    let mounted = mount_to(root.clone(), move || {
        provide_i18n(Locale::En);
        view! {
            <BulkToolbar
                count
                on_disable=Callback::new(|_| {})
                on_delete=Callback::new(|_| {})
                on_clear
            />
        }
    });
    std::mem::forget(mounted);
    tick().await;
    let toolbar: web_sys::Element = el(&root, "[role=toolbar]");
    assert_eq!(toolbar.get_attribute("aria-label").as_deref(), Some("Selected tokens"));
    let text = toolbar.text_content().unwrap();
    assert!(text.contains("5 selected"), "{text}");
    assert!(text.contains("Disable 3 of 5 selected"), "{text}");
    assert!(text.contains("2 are already disabled or expired"), "{text}");
    assert!(text.contains("Delete 5"), "{text}");
    let buttons: Vec<web_sys::HtmlElement> = all(&root, "[role=toolbar] button");
    buttons.last().unwrap().click();
    assert_eq!(cleared.get_untracked(), 1);
    // While the page counts what Disable can change, it says so and claims nothing.
    count.set(BulkCount {
        selected: 5,
        disableable: None,
    });
    tick().await;
    let text = toolbar.text_content().unwrap();
    assert!(text.contains("Counting…"), "{text}");
    assert!(!text.contains("already disabled"), "{text}");
    let disable: web_sys::HtmlButtonElement = el(&root, "[role=toolbar] button");
    assert!(disable.disabled());
    // Nothing it can change: no Disable button at all.
    count.set(BulkCount {
        selected: 5,
        disableable: Some(0),
    });
    tick().await;
    assert!(disable.hidden());
    assert!(toolbar
        .text_content()
        .unwrap()
        .contains("5 are already disabled or expired"));
}

#[wasm_bindgen_test]
async fn the_generate_dialog_validates_sends_once_reveals_and_forgets() {
    let root = container();
    let flow = RwSignal::new(Flow::Closed);
    let sent = RwSignal::new(Vec::<(String, u32)>::new());
    let on_submit = Callback::new(move |req: token_api::tokens::CreateTokenRequest| {
        assert!(req.replaces.is_none());
        sent.update(|s| s.push((req.name, req.lifetime_days)))
    });
    let mounted = mount_to(root.clone(), move || {
        provide_i18n(Locale::En);
        view! {
            <GenerateDialog
                flow
                workspace="Acme"
                names=Signal::stored(vec!["CI deploy".to_owned()])
                max_days=Signal::stored(365)
                policy=token_api::policy::WorkspacePolicy::default()
                admin=false
                client_id="tcc_acme"
                token_endpoint="http://example.test/oauth2/token"
                error=Signal::stored(None)
                on_submit
            />
        }
    });
    std::mem::forget(mounted);
    flow.update(|f| f.open());
    tick().await;
    let dialog: web_sys::HtmlDialogElement = el(&root, "dialog");
    assert!(dialog.open(), "shown as a modal");
    let name: web_sys::HtmlInputElement = el(&root, "#token-name");
    let submit: web_sys::HtmlButtonElement = el(&root, "button[type=submit]");
    assert!(submit.disabled(), "no name yet");

    name.set_value("bad\u{7}name");
    name.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
    tick().await;
    assert_eq!(
        texts(&root, "#token-name-error"),
        ["Remove line breaks and other control characters."]
    );
    assert!(submit.disabled());

    name.set_value("  deploy bot ");
    name.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
    let quick: Vec<web_sys::HtmlElement> = all(&root, ".quick-choices button");
    quick[2].click(); // 90 days
    tick().await;
    assert_eq!(el::<web_sys::HtmlInputElement>(&root, "#token-lifetime").value(), "90");
    assert!(texts(&root, "#token-lifetime-expiry")[0].starts_with("The refresh token expires on"));
    assert!(!submit.disabled());
    submit.click();
    submit.click();
    tick().await;
    assert_eq!(
        sent.get_untracked(),
        [("deploy bot".to_owned(), 90)],
        "one request, trimmed name"
    );

    flow.update(|f| f.created("eyJ.access.token".into(), "tcr_secretrefreshvalue".into()));
    // The reveal is built, then its reactive values are applied: two turns of the scheduler.
    tick().await;
    tick().await;
    assert_eq!(
        el::<web_sys::HtmlInputElement>(&root, "#access-token").value(),
        "eyJ.access.token"
    );
    assert_eq!(
        el::<web_sys::HtmlInputElement>(&root, "#refresh-token").value(),
        "tcr_secretrefreshvalue"
    );
    let curl: web_sys::HtmlTextAreaElement = el(&root, "#curl-command");
    assert!(curl.value().contains("-d client_id=tcc_acme"), "{}", curl.value());

    // Close without copying: asked once, then closed, and the secrets leave the DOM.
    let close = || {
        all::<web_sys::HtmlElement>(&root, ".dialog-actions button")
            .pop()
            .unwrap()
    };
    close().click();
    tick().await;
    assert!(root
        .text_content()
        .unwrap()
        .contains("Close without copying the refresh token?"));
    close().click();
    tick().await;
    assert_eq!(flow.get_untracked(), Flow::Closed);
    assert!(!dialog.open());
    let html = document().body().unwrap().inner_html();
    assert!(!html.contains("tcr_secretrefreshvalue") && !html.contains("eyJ.access.token"));

    // Reopening starts from an empty form.
    flow.update(|f| f.open());
    tick().await;
    assert_eq!(el::<web_sys::HtmlInputElement>(&root, "#token-name").value(), "");
}

#[wasm_bindgen_test]
async fn choosing_chinese_rewrites_the_page() {
    let root = container();
    let selection = RwSignal::new(Selection::default());
    let mounted = mount_to(root.clone(), move || {
        provide_i18n(Locale::En);
        let tokens = vec![token("部署", TokenStatus::Expired, false, "0000")];
        view! {
            <LanguageSwitcher />
            <TokenTable
                rows=Signal::stored(tokens)
                caption="t"
                selection
                sort=Signal::stored((SortField::Name, SortDir::Asc))
                on_sort=Callback::new(|_| {})
                actions=no_actions()
                empty="No token matches this search or filter."
            />
        }
    });
    std::mem::forget(mounted);
    tick().await;
    assert!(texts(&root, "thead th")[1].starts_with("Name"));
    // Rows are rebuilt in the new language; what was selected stays selected.
    el::<web_sys::HtmlElement>(&root, "tbody input[type=checkbox]").click();
    tick().await;
    let select: web_sys::HtmlSelectElement = el(&root, "select");
    select.set_value("zh-CN");
    select.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
    tick().await;
    assert!(texts(&root, "thead th")[1].starts_with("名称"));
    assert_eq!(texts(&root, "tbody .status"), ["已过期"]);
    assert!(texts(&root, "tbody tr")[0].contains("从未"));
    assert!(el::<web_sys::HtmlInputElement>(&root, "tbody input[type=checkbox]").checked());
    assert!(selection.with_untracked(|s| s.contains("部署")));
    // And the rebuilt row's checkbox still follows the selection.
    selection.update(|s| s.toggle("部署"));
    tick().await;
    assert!(!el::<web_sys::HtmlInputElement>(&root, "tbody input[type=checkbox]").checked());
    let menu_label = el::<web_sys::Element>(&root, "button[aria-haspopup=menu]").get_attribute("aria-label");
    assert!(
        menu_label
            .as_deref()
            .is_some_and(|l| l.contains("部署") && !l.contains("Actions")),
        "{menu_label:?}"
    );
}

/// The search and the name sort ignore case beyond ASCII, and accents: in wasm, through the
/// browser's own `toLowerCase` and `normalize`.
#[wasm_bindgen_test]
fn the_name_search_ignores_case_and_accents_in_any_script() {
    use token_api::query::{TokenFilter, TokenPageQuery};
    let tokens = active(["ÉCOLE backup", "école export", "Straße sync", "ecole"]);
    let query = |q: &str| TokenPageQuery {
        filter: TokenFilter {
            q: Some(q.to_owned()),
            ..Default::default()
        },
        sort: SortField::Name,
        dir: SortDir::Asc,
        ..Default::default()
    };
    let names = |q: &str| -> Vec<&str> {
        token_console::token_query::apply(&tokens, &query(q), Utc::now())
            .into_iter()
            .map(|i| tokens[i].name.as_str())
            .collect()
    };
    assert_eq!(names("École"), ["ecole", "ÉCOLE backup", "école export"]);
    assert_eq!(names("ecole e"), ["école export"], "accents typed or not");
    assert_eq!(names("STRASSE"), Vec::<&str>::new(), "lower case, not case folding");
    assert_eq!(names("STRAẞE"), ["Straße sync"]);
    assert_eq!(
        names("E"),
        ["ecole", "ÉCOLE backup", "école export", "Straße sync"],
        "sorted as searched"
    );
    // The contract's table of cases, which the service's search is tested against too.
    for (name, q, found) in token_api::search::CASES {
        let one = active([name]);
        let hits = token_console::token_query::apply(&one, &query(q), Utc::now());
        assert_eq!(!hits.is_empty(), found, "{name:?} / {q:?}");
    }
}

/// Replaces the page's `fetch` with `body` (a function of `request`), and gives back a guard
/// that puts the real one back.
struct FetchStub(wasm_bindgen::JsValue);

impl FetchStub {
    fn install(body: &str) -> FetchStub {
        let window = window();
        let real = js_sys::Reflect::get(&window, &"fetch".into()).unwrap();
        let stub = js_sys::Function::new_with_args("request", body);
        js_sys::Reflect::set(&window, &"fetch".into(), &stub).unwrap();
        FetchStub(real)
    }
}

impl Drop for FetchStub {
    fn drop(&mut self) {
        js_sys::Reflect::set(&window(), &"fetch".into(), &self.0).unwrap();
    }
}

/// Records each request's method and abort signal, and never answers.
const NEVER_ANSWERS: &str =
    "(window.__seen = window.__seen || []).push([request.method, request.signal]); return new Promise(() => {});";

/// The requests the stub has seen: each one's method, and whether it has been aborted.
fn seen() -> Vec<(String, bool)> {
    let seen = js_sys::Reflect::get(&window(), &"__seen".into()).unwrap();
    js_sys::Array::from(&seen)
        .iter()
        .map(|pair| {
            let pair = js_sys::Array::from(&pair);
            let signal: web_sys::AbortSignal = pair.get(1).unchecked_into();
            (pair.get(0).as_string().unwrap_or_default(), signal.aborted())
        })
        .collect()
}

fn forget_seen() {
    js_sys::Reflect::set(&window(), &"__seen".into(), &js_sys::Array::new()).unwrap();
}

/// A page that reads (a resource) and writes (an action), as the token pages do.
#[component]
fn Busy() -> impl IntoView {
    let read = LocalResource::new(|| token_console::api::tokens::list("ws".to_owned()));
    let write = Action::new_local(|_: &()| {
        token_console::api::tokens::batch("ws".to_owned(), BatchAction::Delete, vec!["t".to_owned()])
    });
    write.dispatch_local(());
    view! { <p>{move || read.with(Option::is_some).to_string()}</p> }
}

#[wasm_bindgen_test]
async fn leaving_a_page_aborts_its_reads_and_lets_its_writes_finish() {
    let _stub = FetchStub::install(NEVER_ANSWERS);
    forget_seen();
    let shown = RwSignal::new(true);
    let mounted = mount_to(
        container(),
        move || view! { <Show when=move || shown.get()><Busy /></Show> },
    );
    for _ in 0..3 {
        tick().await;
    }
    let sorted = |mut v: Vec<(String, bool)>| {
        v.sort();
        v
    };
    assert_eq!(
        sorted(seen()),
        [("GET".to_owned(), false), ("POST".to_owned(), false)],
        "the read and the write were sent"
    );

    shown.set(false);
    tick().await;
    // The service may have done the write already: it runs to its end, and is told.
    assert_eq!(
        sorted(seen()),
        [("GET".to_owned(), true), ("POST".to_owned(), false)],
        "leaving the page aborted the read only"
    );
    drop(mounted);
}

/// A routed page that reads, with a link away.
#[component]
fn Reader() -> impl IntoView {
    let read = LocalResource::new(|| token_console::api::tokens::list("ws".to_owned()));
    view! {
        <p>{move || read.with(Option::is_some).to_string()}</p>
        <leptos_router::components::A href="/elsewhere">"Away"</leptos_router::components::A>
    }
}

#[wasm_bindgen_test]
async fn following_a_link_away_aborts_the_page_s_reads() {
    use leptos_router::components::{Route, Router, Routes};
    use leptos_router::path;

    let _stub = FetchStub::install(NEVER_ANSWERS);
    forget_seen();
    let history = window().history().unwrap();
    let before = window().location().href().unwrap();
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/reads"))
        .unwrap();
    let root = container();
    let mounted = mount_to(root.clone(), || {
        view! {
            <Router>
                <Routes fallback=|| ()>
                    <Route path=path!("/reads") view=Reader />
                    <Route path=path!("/elsewhere") view=|| view! { <p>"Elsewhere"</p> } />
                </Routes>
            </Router>
        }
    });
    for _ in 0..3 {
        tick().await;
    }
    assert_eq!(seen(), [("GET".to_owned(), false)], "the page's read was sent");

    el::<web_sys::HtmlElement>(&root, "a").click();
    for _ in 0..20 {
        if texts(&root, "p") == ["Elsewhere"] {
            break;
        }
        frames().await;
    }
    assert_eq!(texts(&root, "p"), ["Elsewhere"], "the router followed the link");
    assert_eq!(seen(), [("GET".to_owned(), true)], "leaving the route aborted its read");
    drop(mounted);
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&before))
        .unwrap();
}

#[wasm_bindgen_test]
async fn a_401_anywhere_tells_the_session_once() {
    let _stub = FetchStub::install(
        "return Promise.resolve(new Response('{\"type\":\"about:blank\",\"title\":\"Unauthorized\",\"status\":401}', \
         { status: 401, headers: { 'content-type': 'application/problem+json' } }));",
    );
    let told = RwSignal::new(0);
    let answer = RwSignal::new(None::<Result<token_api::tokens::BatchResult, token_console::api::ApiError>>);
    let mounted = mount_to(container(), move || {
        provide_context(token_console::api::OnUnauthorized(Callback::new(move |_| {
            told.update(|n| *n += 1)
        })));
        let write = Action::new_local(|_: &()| {
            token_console::api::tokens::batch("ws".to_owned(), BatchAction::Delete, vec!["t".to_owned()])
        });
        write.dispatch_local(());
        Effect::new(move |_| answer.set(write.value().get()));
    });
    for _ in 0..100 {
        if answer.with_untracked(Option::is_some) {
            break;
        }
        frames().await;
    }
    let got = answer.get_untracked();
    assert_eq!(
        got.clone().and_then(|r| r.err()).and_then(|e| e.status()),
        Some(401),
        "{got:?}"
    );
    assert_eq!(told.get_untracked(), 1, "the session heard of the 401");
    drop(mounted);
}

#[wasm_bindgen_test]
fn urls_are_encoded_and_decoded_as_the_browser_does() {
    use token_console::url::{encode_component, form_pairs, query_string};
    assert_eq!(
        encode_component("/tokens?sort=name&q=a b"),
        "%2Ftokens%3Fsort%3Dname%26q%3Da%20b"
    );
    assert_eq!(encode_component("部署"), "%E9%83%A8%E7%BD%B2");
    assert_eq!(encode_component("A-z_0.9!~*'()"), "A-z_0.9!~*'()");
    assert_eq!(
        form_pairs("?q=a%20b&owner=u-1&x=%E9%83%A8+%"),
        [
            ("q".to_owned(), "a b".to_owned()),
            ("owner".to_owned(), "u-1".to_owned()),
            ("x".to_owned(), "部 %".to_owned())
        ]
    );
    assert!(form_pairs("").is_empty());
    // Decoded once: a search for a literal escape finds the escape, not the character.
    let written = query_string([("q", "%41 100%")]);
    assert_eq!(form_pairs(&written), [("q".to_owned(), "%41 100%".to_owned())]);
}
