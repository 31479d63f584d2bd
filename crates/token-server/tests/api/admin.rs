//! The admin API: access, filters, sorts, keyset paging, counts, actions with reasons, the audit trail.

use std::collections::BTreeSet;

use axum::http::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{Browser, TestApp};

fn names(page: &Value) -> Vec<String> {
    page["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn page(app: &TestApp, who: &Browser, query: &str) -> Value {
    let reply = app
        .get(&format!("/api/workspaces/ws-acme/admin/tokens?{query}"), who)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text);
    reply.body
}

async fn only_admins_of_the_workspace_get_in(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let gus = app.sign_in("gus@globex.test").await;
    let ada = app.sign_in("ada@acme.test").await;
    let id = app.create_token_id(&ben, "ws-acme", "bens").await;
    let members = app.get("/api/workspaces/ws-acme/admin/members", &ada).await;
    let emails: Vec<&str> = members.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["ada@acme.test", "ben@acme.test", "cy@acme.test"]);
    for path in [
        "admin/tokens",
        "admin/tokens/summary",
        "admin/audit",
        "admin/members",
        "admin/tokens.csv",
    ] {
        assert_eq!(
            app.get(&format!("/api/workspaces/ws-acme/{path}"), &ben).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.get(&format!("/api/workspaces/ws-acme/{path}"), &gus).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.get(&format!("/api/workspaces/ws-acme/{path}"), &ada).await.status,
            StatusCode::OK
        );
    }
    // Ada administers Acme, not Globex; Gus cannot act on Acme's tokens through his admin rights.
    assert_eq!(
        app.get("/api/workspaces/ws-globex/admin/tokens", &ada).await.status,
        StatusCode::NOT_FOUND
    );
    let disable = app
        .post(
            &format!("/api/workspaces/ws-acme/admin/tokens/{id}/disable"),
            &gus,
            json!({}),
        )
        .await;
    assert_eq!(disable.status, StatusCode::NOT_FOUND);
    let disable = app
        .post(
            &format!("/api/workspaces/ws-globex/admin/tokens/{id}/disable"),
            &gus,
            json!({}),
        )
        .await;
    assert_eq!(disable.status, StatusCode::NOT_FOUND);
    let batch = app
        .post(
            "/api/workspaces/ws-acme/admin/tokens/batch",
            &ben,
            json!({"action": "delete", "ids": [id]}),
        )
        .await;
    assert_eq!(batch.status, StatusCode::FORBIDDEN);
    assert!(app.token_names(&ben, "ws-acme").await.contains(&"bens".to_owned()));
}

async fn an_admin_sees_every_token_of_the_workspace_and_none_elsewhere(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let all = page(&app, &ada, "").await;
    let got: BTreeSet<String> = names(&all).into_iter().collect();
    let want: BTreeSet<String> = [
        "CI deploy",
        "Laptop CLI",
        "Old backup script",
        "Hackathon demo",
        "Audit exporter",
        "Grafana datasource",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(got, want);
    assert_eq!(all["total"], 6);
    assert_eq!(all["next_cursor"], Value::Null);
    assert_eq!(
        all["tokens"][0]["owner"]["email"]
            .as_str()
            .map(|e| e.ends_with("@acme.test")),
        Some(true)
    );
}

async fn every_filter_narrows_as_it_says(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let ben = app.sign_in("ben@acme.test").await;
    app.create_token(&ben, "ws-acme", "50%_Off\\promo").await;
    let hint = app.create_token(&ben, "ws-acme", "hinted").await["token"]["hint"]
        .as_str()
        .unwrap()
        .to_owned();
    let set = |v: Vec<String>| v.into_iter().collect::<BTreeSet<String>>();
    let expect = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<BTreeSet<String>>();
    let cases: Vec<(String, BTreeSet<String>)> = vec![
        ("owner=u-cy".into(), expect(&["Grafana datasource"])),
        ("status=disabled".into(), expect(&["Old backup script"])),
        ("status=expired".into(), expect(&["Hackathon demo"])),
        ("expiring_within_days=7".into(), expect(&["Laptop CLI"])),
        (
            "never_used=true&owner=u-ben".into(),
            expect(&["Hackathon demo", "50%_Off\\promo", "hinted"]),
        ),
        (
            "unused_for_days=30".into(),
            expect(&["Old backup script", "Hackathon demo"]),
        ),
        ("q=GRAFANA".into(), expect(&["Grafana datasource"])),
        ("q=%25_".into(), expect(&["50%_Off\\promo"])),
        ("q=_".into(), expect(&["50%_Off\\promo"])),
        (format!("hint={hint}"), expect(&["hinted"])),
        ("status=active&owner=u-ada".into(), expect(&["Audit exporter"])),
    ];
    for (query, want) in cases {
        let body = page(&app, &ada, &query).await;
        assert_eq!(set(names(&body)), want, "{query}");
        assert_eq!(body["total"], want.len(), "{query}");
    }
}

async fn every_sort_orders_the_whole_list(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let all = page(&app, &ada, "").await["tokens"].as_array().unwrap().clone();
    let key = |t: &Value, field: &str| -> String {
        match field {
            "name" => t["name"].as_str().unwrap().to_owned(),
            "owner" => t["owner"]["email"].as_str().unwrap().to_owned(),
            "created" => t["created_at"].as_str().unwrap().to_owned(),
            "expires" => t["expires_at"].as_str().unwrap().to_owned(),
            _ => t["last_used_at"].as_str().unwrap_or("").to_owned(),
        }
    };
    for field in ["name", "owner", "created", "expires", "last_used"] {
        for dir in ["asc", "desc"] {
            let got: Vec<Value> = page(&app, &ada, &format!("sort={field}&dir={dir}")).await["tokens"]
                .as_array()
                .unwrap()
                .clone();
            let keys: Vec<String> = got.iter().map(|t| key(t, field)).collect();
            let mut sorted = keys.clone();
            sorted.sort();
            if dir == "desc" {
                sorted.reverse();
            }
            assert_eq!(keys, sorted, "sort={field}&dir={dir}");
            assert_eq!(got.len(), all.len());
        }
    }
}

async fn paging_loses_and_repeats_no_row_while_rows_are_added(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let cy = app.sign_in("cy@acme.test").await;
    let mut originals = BTreeSet::new();
    for i in 0..120 {
        let created = app.create_token(&cy, "ws-acme", &format!("bulk {i:03}")).await;
        originals.insert(created["token"]["id"].as_str().unwrap().to_owned());
    }
    for (sort, dir, extra) in [
        ("created", "desc", ""),
        ("name", "asc", ""),
        ("last_used", "desc", ""),
        ("owner", "asc", ""),
        ("expires", "asc", ""),
        // All tie on last use: the order is by id alone then.
        ("last_used", "desc", "&never_used=true"),
        ("last_used", "asc", "&never_used=true"),
    ] {
        let mut seen: Vec<String> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut query = format!("sort={sort}&dir={dir}&limit=50&q=bulk{extra}");
            if let Some(a) = &after {
                query.push_str(&format!("&after={a}"));
            }
            let body = page(&app, &ada, &query).await;
            assert!(body["total"].as_u64().unwrap() >= 120, "{query}");
            seen.extend(
                body["tokens"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["id"].as_str().unwrap().to_owned()),
            );
            // Someone adds matching tokens while the admin pages; they may show up later, but
            // they must not push a row out of the pages or onto two of them.
            app.create_token(&cy, "ws-acme", &format!("bulk late {sort} {}", seen.len()))
                .await;
            match body["next_cursor"].as_str() {
                Some(c) => after = Some(c.to_owned()),
                None => break,
            }
        }
        let unique: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "{sort} {dir}{extra}: a row was on two pages");
        let missing: Vec<&String> = originals.iter().filter(|id| !unique.contains(id)).collect();
        assert!(
            missing.is_empty(),
            "{sort} {dir}{extra}: {} rows were on no page",
            missing.len()
        );
    }
}

/// Pages forward to the end, then Previous from each page gives back the page before it, the
/// same rows in the same order, in every sort and direction (ties included), and the audit
/// trail's the same.
async fn previous_gives_back_the_page_before(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let cy = app.sign_in("cy@acme.test").await;
    for i in 0..107 {
        app.create_token(&cy, "ws-acme", &format!("paged {i:03}")).await;
    }
    let ids = |body: &Value, key: &str| -> Vec<String> {
        body[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect()
    };
    for (sort, dir, extra) in [
        ("created", "desc", ""),
        ("name", "asc", ""),
        ("name", "desc", ""),
        ("owner", "asc", ""),
        ("expires", "asc", ""),
        ("last_used", "desc", "&never_used=true"),
        ("last_used", "asc", ""),
    ] {
        // Forward: each page's `after` and rows.
        let mut pages: Vec<(Option<String>, Vec<String>, Option<String>)> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut query = format!("sort={sort}&dir={dir}&limit=50&q=paged{extra}");
            if let Some(a) = &after {
                query.push_str(&format!("&after={a}"));
            }
            let body = page(&app, &ada, &query).await;
            let prev = body["prev_cursor"].as_str().map(str::to_owned);
            pages.push((after.clone(), ids(&body, "tokens"), prev));
            match body["next_cursor"].as_str() {
                Some(c) => after = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(pages.len(), 3, "{sort} {dir}{extra}: 107 rows in pages of 50");
        assert_eq!(pages[0].2, None, "{sort} {dir}: the first page has no previous");
        // Previous from page k is page k-1: its `after`, hence its rows (from the third, a
        // cursor; from the second, the first page's none).
        for k in 1..pages.len() {
            assert_eq!(pages[k].2, pages[k - 1].0, "{sort} {dir}{extra}: previous of page {k}");
        }
    }
    // The audit trail, two events a page: Previous from the third page is the second.
    let audit = |after: Option<&str>| {
        let after = after.map(|a| format!("&after={a}")).unwrap_or_default();
        format!("/api/workspaces/ws-acme/admin/audit?owner=u-cy&action=created&limit=2{after}")
    };
    let first = app.get(&audit(None), &ada).await.body;
    assert_eq!(first["prev_cursor"], Value::Null);
    let second_at = first["next_cursor"].as_str().unwrap().to_owned();
    let second = app.get(&audit(Some(&second_at)), &ada).await.body;
    assert_eq!(
        second["prev_cursor"],
        Value::Null,
        "the page before the second is the first"
    );
    let third_at = second["next_cursor"].as_str().unwrap().to_owned();
    let third = app.get(&audit(Some(&third_at)), &ada).await.body;
    assert_eq!(third["prev_cursor"].as_str(), Some(second_at.as_str()));
    let back = app.get(&audit(third["prev_cursor"].as_str()), &ada).await.body;
    assert_eq!(ids(&back, "events"), ids(&second, "events"));
}

async fn bad_queries_name_the_parameter(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    for (query, field) in [
        ("limit=7", "limit"),
        ("status=zombie", "status"),
        ("sort=password", "sort"),
        ("dir=sideways", "dir"),
        ("expiring_within_days=abc", "expiring_within_days"),
        ("after=garbage!", "after"),
        ("count=roughly", "count"),
    ] {
        let reply = app
            .get(&format!("/api/workspaces/ws-acme/admin/tokens?{query}"), &ada)
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(reply.body["errors"][0]["field"], field, "{query}");
    }
    // A cursor from one sort is refused by another.
    let first = page(&app, &ada, "sort=name&limit=50").await;
    assert_eq!(first["next_cursor"], Value::Null);
}

async fn admin_actions_record_who_and_why(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let ben = app.sign_in("ben@acme.test").await;
    let a = app.create_token_id(&ben, "ws-acme", "leaked").await;
    let b = app.create_token_id(&ben, "ws-acme", "stale").await;
    let c = app.create_token_id(&ben, "ws-acme", "gone").await;

    let reply = app
        .post(
            &format!("/api/workspaces/ws-acme/admin/tokens/{a}/disable"),
            &ada,
            json!({"reason": "posted in #general"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["disabled_by"]["email"], "ada@acme.test");
    let too_long = app
        .post(
            &format!("/api/workspaces/ws-acme/admin/tokens/{b}/disable"),
            &ada,
            json!({"reason": "x".repeat(501)}),
        )
        .await;
    assert_eq!(too_long.body["errors"][0]["field"], "reason");
    let batch = app
        .post(
            "/api/workspaces/ws-acme/admin/tokens/batch",
            &ada,
            json!({"action": "disable", "ids": [b, "nope"], "reason": "quarterly clean-up"}),
        )
        .await;
    let outcomes = batch.outcomes();
    assert_eq!(outcomes, ["done", "not_found"]);
    let delete = app
        .send(
            Method::DELETE,
            &format!("/api/workspaces/ws-acme/admin/tokens/{c}"),
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(delete.status, StatusCode::NO_CONTENT);

    let audit = app.get("/api/workspaces/ws-acme/admin/audit?actor=u-ada", &ada).await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text);
    let events: Vec<(String, String, String)> = audit.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["token_name"].as_str().unwrap().to_owned(),
                e["reason"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("deleted".to_owned(), "gone".to_owned(), String::new()),
            (
                "disabled".to_owned(),
                "stale".to_owned(),
                "quarterly clean-up".to_owned()
            ),
            (
                "disabled".to_owned(),
                "leaked".to_owned(),
                "posted in #general".to_owned()
            ),
        ]
    );
    assert_eq!(audit.body["events"][0]["owner"]["email"], "ben@acme.test");
    let by_owner = app
        .get(
            "/api/workspaces/ws-acme/admin/audit?owner=u-ben&action=created&limit=2",
            &ada,
        )
        .await;
    assert_eq!(by_owner.body["total"], 3);
    assert_eq!(by_owner.body["events"].as_array().unwrap().len(), 2);
    let next = by_owner.body["next_cursor"].as_str().unwrap();
    let rest = app
        .get(
            &format!("/api/workspaces/ws-acme/admin/audit?owner=u-ben&action=created&limit=2&after={next}"),
            &ada,
        )
        .await;
    assert_eq!(rest.body["events"].as_array().unwrap().len(), 1);
    assert_eq!(rest.body["next_cursor"], Value::Null);
}

async fn the_counts_match_the_filters_they_apply(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let summary = app.get("/api/workspaces/ws-acme/admin/tokens/summary", &ada).await;
    assert_eq!(summary.status, StatusCode::OK);
    for (count, query) in [
        ("active", "status=active"),
        ("expiring_within_7_days", "expiring_within_days=7"),
        ("disabled", "status=disabled"),
        ("never_used", "never_used=true"),
    ] {
        assert_eq!(summary.body[count], page(&app, &ada, query).await["total"], "{count}");
    }
    assert_eq!(summary.body["active"], 4);
}

async fn acting_on_a_filter_touches_exactly_what_was_confirmed(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let cy = app.sign_in("cy@acme.test").await;
    for i in 0..5 {
        app.create_token(&cy, "ws-acme", &format!("stale {i}")).await;
    }
    let counted = page(&app, &ada, "q=stale").await;
    assert_eq!(counted["total"], 5);
    let as_of = counted["as_of"].clone();
    // A matching token created after the count is not touched by surprise.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    app.create_token(&cy, "ws-acme", "stale but new").await;

    let wrong = app
        .post(
            "/api/workspaces/ws-acme/admin/tokens/batch-by-filter",
            &ada,
            json!({"action": "disable", "filter": {"q": "stale"}, "as_of": as_of, "expected_count": 4}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::CONFLICT, "{}", wrong.text);
    assert!(wrong.body["detail"].as_str().unwrap().starts_with("5 tokens match now"));
    assert_eq!(
        page(&app, &ada, "q=stale&status=disabled").await["total"],
        0,
        "a refused action changes nothing"
    );

    let done = app
        .post(
            "/api/workspaces/ws-acme/admin/tokens/batch-by-filter",
            &ada,
            json!({"action": "disable", "filter": {"q": "stale"}, "as_of": as_of, "expected_count": 5, "reason": "offboarding"}),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.body["results"].as_array().unwrap().len(), 5);
    let after = page(&app, &ada, "q=stale&sort=name&dir=asc").await;
    let statuses: Vec<(&str, &str)> = after["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses.iter().filter(|(_, s)| *s == "disabled").count(), 5);
    assert!(statuses.contains(&("stale but new", "active")), "{statuses:?}");
    let audit = app
        .get("/api/workspaces/ws-acme/admin/audit?action=disabled&actor=u-ada", &ada)
        .await;
    assert_eq!(audit.body["total"], 5);
    assert_eq!(audit.body["events"][0]["reason"], "offboarding");

    // Members cannot, and deleting by filter removes what matched.
    let ben = app.sign_in("ben@acme.test").await;
    let body = json!({"action": "delete", "filter": {"q": "stale"}, "as_of": as_of, "expected_count": 5});
    assert_eq!(
        app.post(
            "/api/workspaces/ws-acme/admin/tokens/batch-by-filter",
            &ben,
            body.clone()
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let deleted = app
        .post("/api/workspaces/ws-acme/admin/tokens/batch-by-filter", &ada, body)
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    assert_eq!(names(&page(&app, &ada, "q=stale").await), ["stale but new"]);
}

async fn a_pasted_token_is_found_in_its_workspace_only(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let gus = app.sign_in("gus@globex.test").await;
    let ben = app.sign_in("ben@acme.test").await;
    let created = app.create_token(&ben, "ws-acme", "leaked one").await;
    let first = created["refresh_token"].as_str().unwrap().to_owned();
    let current = app.refresh("tcc_acme", &first).await.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let found = app
        .post(
            "/api/workspaces/ws-acme/admin/tokens/lookup",
            &ada,
            json!({"token": format!(" {current} ")}),
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text);
    assert_eq!(found.body["token"]["name"], "leaked one");
    assert_eq!(found.body["token"]["owner"]["email"], "ben@acme.test");
    assert_eq!(found.body["current"], true);
    let old = app
        .post(
            "/api/workspaces/ws-acme/admin/tokens/lookup",
            &ada,
            json!({"token": first}),
        )
        .await;
    assert_eq!(
        old.body["current"], false,
        "a rotated-out token still leads to its token"
    );

    // Globex's admin learns nothing: the same 404 as a token that exists nowhere.
    let elsewhere = app
        .post(
            "/api/workspaces/ws-globex/admin/tokens/lookup",
            &gus,
            json!({"token": current}),
        )
        .await;
    let nowhere = app
        .post(
            "/api/workspaces/ws-globex/admin/tokens/lookup",
            &gus,
            json!({"token": token_api::token_format::encode(&"Z".repeat(30))}),
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    assert_eq!(elsewhere.said(), nowhere.said());
    let malformed = app
        .post(
            "/api/workspaces/ws-acme/admin/tokens/lookup",
            &ada,
            json!({"token": "tcr_nope"}),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.body["errors"][0]["field"], "token");
    assert!(!malformed.text.contains("tcr_nope"), "the pasted value is not echoed");
}

async fn exports_stream_every_matching_row_as_csv(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let cy = app.sign_in("cy@acme.test").await;
    for i in 0..620 {
        app.create_token(&cy, "ws-acme", &format!("export {i:03}")).await;
    }
    app.create_token(&cy, "ws-acme", "=HYPERLINK(\"evil\"), 部署 \"q\"")
        .await;
    let reply = app
        .get(
            "/api/workspaces/ws-acme/admin/tokens.csv?owner=u-cy&sort=name&dir=asc",
            &ada,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(reply.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"tokens-ws-acme-"));
    let text = reply.text.strip_prefix('\u{feff}').expect("a UTF-8 byte-order mark");
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines[0].starts_with("id,name,owner_name,owner_email,status"));
    // 620 exports + the evil one + Cy's seeded token, across two 500-row chunks.
    assert_eq!(lines.len(), 1 + 622);
    assert!(
        text.contains(",\"'=HYPERLINK(\"\"evil\"\"), 部署 \"\"q\"\"\","),
        "quoted and defused"
    );
    assert!(lines.iter().filter(|l| l.contains(",export ")).count() == 620);
    let audit = app
        .get(
            "/api/workspaces/ws-acme/admin/audit.csv?action=created&owner=u-cy",
            &ada,
        )
        .await;
    let rows = audit.text.split("\r\n").filter(|l| !l.is_empty()).count();
    assert_eq!(rows, 1 + 621, "every creation by Cy in this test");
    let ben = app.sign_in("ben@acme.test").await;
    assert_eq!(
        app.get("/api/workspaces/ws-acme/admin/tokens.csv", &ben).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn a_big_count_stops_at_the_cap_unless_asked_for_exactly(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let before = page(&app, &ada, "").await["total"].as_u64().unwrap();
    token_server::seed::scale(&app.state, 20, 5_100).await.unwrap();
    let capped = page(&app, &ada, "").await;
    assert_eq!(capped["total"], 5_000);
    assert_eq!(capped["total_capped"], true);
    assert_eq!(names(&capped).len(), 50, "the page itself is whole");
    let exact = page(&app, &ada, "count=exact").await;
    assert_eq!(exact["total"].as_u64().unwrap(), before + 5_100);
    assert_eq!(exact["total_capped"], false);
    // Under the cap, the number is exact without asking.
    let one_owner = page(&app, &ada, "owner=b-0003").await;
    let theirs = one_owner["total"].as_u64().unwrap();
    assert!(theirs > 0 && theirs < 5_000, "{theirs}");
    assert_eq!(one_owner["total_capped"], false);
    // The exact count is the one an action over every match is confirmed with; the capped one
    // is refused, and nothing changes.
    let active = |query: &'static str| {
        let app = &app;
        let ada = &ada;
        async move { page(app, ada, query).await["total"].as_u64().unwrap() }
    };
    let disabled_before = active("status=disabled&count=exact").await;
    let filter = json!({"status": "active"});
    let matching = page(&app, &ada, "status=active&count=exact").await;
    let act = |expected: u64| {
        app.post(
            "/api/workspaces/ws-acme/admin/tokens/batch-by-filter",
            &ada,
            json!({"action": "disable", "filter": filter, "as_of": matching["as_of"], "expected_count": expected}),
        )
    };
    assert_eq!(act(5_000).await.status, StatusCode::CONFLICT);
    assert_eq!(active("status=disabled&count=exact").await, disabled_before);
    let reply = act(matching["total"].as_u64().unwrap()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(active("status=active").await, 0);
}

/// The admin list's name search means what the Users page's does, on both databases: the
/// contract's table of cases (accents, ẞ, Turkish İ, CJK, emoji), run here against the service
/// and in the browser against the page.
async fn the_name_search_means_what_the_users_page_means(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let mut names: Vec<&str> = token_api::search::CASES.iter().map(|c| c.0).collect();
    names.dedup();
    for name in &names {
        app.create_token_id(&ada, "ws-acme", name).await;
    }
    for (name, q, found) in token_api::search::CASES {
        let path = format!(
            "/api/workspaces/ws-acme/admin/tokens?q={}",
            form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
        );
        let reply = app.get(&path, &ada).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let hits: Vec<&str> = reply.body["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(hits.contains(&name), found, "{name:?} / {q:?}: {hits:?}");
    }
    // The name sort is by the folded name, as the Users page sorts: "apple" before "Banana",
    // where the bare names' bytes would put "B" first.
    for name in ["Banana split", "apple pie"] {
        app.create_token_id(&ada, "ws-acme", name).await;
    }
    let sorted = app
        .get("/api/workspaces/ws-acme/admin/tokens?sort=name&dir=asc", &ada)
        .await;
    let order: Vec<&str> = sorted.body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .filter(|n| n.ends_with("split") || n.ends_with("pie"))
        .collect();
    assert_eq!(order, ["apple pie", "Banana split"]);
}

crate::on_both_databases!(
    the_name_search_means_what_the_users_page_means,
    a_big_count_stops_at_the_cap_unless_asked_for_exactly,
    acting_on_a_filter_touches_exactly_what_was_confirmed,
    a_pasted_token_is_found_in_its_workspace_only,
    exports_stream_every_matching_row_as_csv,
    only_admins_of_the_workspace_get_in,
    an_admin_sees_every_token_of_the_workspace_and_none_elsewhere,
    every_filter_narrows_as_it_says,
    every_sort_orders_the_whole_list,
    paging_loses_and_repeats_no_row_while_rows_are_added,
    previous_gives_back_the_page_before,
    bad_queries_name_the_parameter,
    admin_actions_record_who_and_why,
    the_counts_match_the_filters_they_apply,
);
