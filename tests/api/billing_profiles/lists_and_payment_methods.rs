//! Billing profiles, continued: granting roles, lists by caller, self-service profiles, and payment methods (R2, R27, R29).

use super::*;

/// R2: grants go to users of the same organization; a repeat grant is a no-op.
#[tokio::test]
async fn r2_grant_checks_the_user_and_is_idempotent() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "SE").await;
    let other = app.register_org("Fabrikam", "US").await;
    let profile = create_profile(&app, &org.admin, "Main", "SE", false).await;
    let stranger = app.user(&other, "Stranger", &[]).await;
    // R3: another organization's user answers exactly like an unknown ID, for grant and revoke.
    for query in [GRANT, REVOKE] {
        let foreign = app.gql(Some(&org.admin), query, json!({"p": profile, "u": stranger.id, "r": "READER"})).await;
        let random = app
            .gql(Some(&org.admin), query, json!({"p": profile, "u": Uuid::now_v7().to_string(), "r": "READER"}))
            .await;
        assert_eq!(foreign["errors"][0]["extensions"]["code"], "NOT_FOUND", "R3: {foreign}");
        assert_eq!(foreign["errors"][0]["message"], random["errors"][0]["message"], "R3: same message as a random ID");
        assert_eq!(foreign["errors"][0]["extensions"]["code"], random["errors"][0]["extensions"]["code"]);
    }

    let member = app.user(&org, "Member", &[]).await;
    app.ok(&org.admin, GRANT, json!({"p": profile, "u": member.id, "r": "CONTRIBUTOR"})).await;
    let audit = app.count("audit_events").await;
    let assignments = app.count("billing_role_assignments").await;
    let data = app.ok(&org.admin, GRANT, json!({"p": profile, "u": member.id, "r": "CONTRIBUTOR"})).await;
    let held = data["grantBillingRole"]["roleAssignments"].as_array().expect("assignments");
    assert_eq!(held.iter().filter(|a| a["user"]["id"] == member.id.as_str()).count(), 1);
    assert_eq!(app.count("billing_role_assignments").await, assignments, "a repeat grant adds nothing");
    assert_eq!(app.count("audit_events").await, audit, "a repeat grant changes nothing, so no audit event");

    // The member now sees the profile in their list (R2).
    let list = app.ok(&member.token, "{ billingProfiles { totalCount nodes { id } } }", json!({})).await;
    assert_eq!(list["billingProfiles"]["totalCount"], 1);
    assert_eq!(list["billingProfiles"]["nodes"][0]["id"], profile.as_str());
}

/// R1, R2, R25, R27: the list shows what the caller can view, paginated.
#[tokio::test]
async fn r27_billing_profiles_list_by_caller() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "SE").await;
    let other = app.register_org("Fabrikam", "US").await;
    let a = create_profile(&app, &org.admin, "A", "SE", false).await;
    let _b = create_profile(&app, &org.admin, "B", "SE", false).await;
    let reader = app.user(&org, "Reader", &[]).await;
    app.ok(&org.admin, GRANT, json!({"p": a, "u": reader.id, "r": "READER"})).await;
    let own = create_profile(&app, &reader.token, "Reader's own", "SE", true).await;
    let _foreign = create_profile(&app, &other.admin, "Foreign", "US", false).await;
    let plain = app.user(&org, "Plain", &[]).await;

    let ids = |data: &Value| -> Vec<String> {
        data["billingProfiles"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let q = "query($f: Int, $a: String) { billingProfiles(first: $f, after: $a) { totalCount pageInfo { hasNextPage endCursor } nodes { id isSelfService myRights { canUpdate } } } }";
    let admin = app.ok(&org.admin, q, json!({})).await;
    assert_eq!(admin["billingProfiles"]["totalCount"], 2, "R1/R38: the admin sees the org profiles, not a buyer's own");
    assert!(!ids(&admin).contains(&own), "R38: a self-service buyer's profile is theirs alone");

    let mine = app.ok(&reader.token, q, json!({})).await;
    let mut got = ids(&mine);
    got.sort();
    let mut want = vec![a.clone(), own.clone()];
    want.sort();
    assert_eq!(got, want, "R2/R25: a role holder sees the profiles they hold a role on and their own");
    assert_eq!(app.ok(&plain.token, q, json!({})).await["billingProfiles"]["totalCount"], 0);
    let publisher = app.register_publisher("Northwind Apps").await;
    assert_eq!(
        app.err(Some(&publisher.token), q, json!({})).await,
        "FORBIDDEN",
        "SPEC §1: no billing data for publishers"
    );

    // Pagination: one at a time.
    let first = app.ok(&org.admin, q, json!({"f": 1})).await;
    assert_eq!(ids(&first).len(), 1);
    assert_eq!(first["billingProfiles"]["pageInfo"]["hasNextPage"], true);
    let cursor = first["billingProfiles"]["pageInfo"]["endCursor"].as_str().expect("cursor");
    let second = app.ok(&org.admin, q, json!({"f": 1, "a": cursor})).await;
    assert_eq!(ids(&second).len(), 1);
    assert_eq!(second["billingProfiles"]["pageInfo"]["hasNextPage"], false);
    assert!(!ids(&first).contains(&ids(&second)[0]));
}

/// R25, R38: a self-service profile is its owner's alone; admins and others cannot see it.
#[tokio::test]
async fn r27_self_service_profile_owner_full_rights_admin_read_only() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "SE").await;
    let owner = app.user(&org, "Owner", &[]).await;
    let someone = app.user(&org, "Someone", &[]).await;
    let billing_admin = app.user(&org, "Billing Admin", &["BILLING_ADMIN"]).await;
    let profile = create_profile(&app, &owner.token, "My card", "SE", true).await;

    // Every field of the profile, as its owner sees it (R28).
    let full = format!("query($id: ID!) {{ billingProfile(id: $id) {{ {PROFILE} }} }}");
    let data = app.ok(&owner.token, &full, json!({"id": profile})).await;
    let shown = &data["billingProfile"];
    assert_eq!(shown["owner"]["id"], owner.id.as_str());
    assert_eq!(shown["isSelfService"], true);
    assert_eq!(shown["currency"], "SEK");
    assert_eq!(shown["contactEmail"], "billing@example.test");
    assert_eq!(shown["poNumber"], "PO-1");
    assert_eq!(shown["billToAddress"], address("SE"));
    assert!(shown["paymentMethod"].is_null(), "no payment method yet");
    assert_eq!(shown["roleAssignments"].as_array().map(Vec::len), Some(1));
    assert_eq!(shown["createdAt"], shown["updatedAt"]);

    // The owner: everything but roles, never granted on a self-service profile (R25, R26; issue 19).
    let data = app.ok(&owner.token, GET, json!({"id": profile})).await;
    assert_eq!(
        data["billingProfile"]["myRights"],
        json!({"canView": true, "canManageRoles": false, "canUpdate": true, "canManagePaymentMethod": true, "canPayInvoices": true})
    );
    app.ok(&owner.token, UPDATE, json!({"id": profile, "i": {"name": "My own card"}})).await;
    let added = app.ok(&owner.token, ADD_PM, json!({"p": profile, "i": valid_card()})).await;
    let method = added["addPaymentMethod"]["id"].as_str().expect("id").to_owned();
    app.ok(&owner.token, UPDATE_PM, json!({"id": method, "i": {"nameOnCard": "A. Lovelace"}})).await;
    let methods = app.count("payment_methods").await;
    let response = app.gql(Some(&owner.token), ADD_PM, json!({"p": profile, "i": {"kind": "CHECK_OR_WIRE"}})).await;
    assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "R25: cards only: {response}");
    assert_eq!(response["errors"][0]["extensions"]["field"], "kind");
    assert_eq!(app.count("payment_methods").await, methods);
    let code = app.err(Some(&owner.token), GRANT, json!({"p": profile, "u": someone.id, "r": "READER"})).await;
    assert_eq!(code, "FORBIDDEN", "R25: no roles are granted on a self-service profile");

    // Admins: the buyer's profile and card are not part of their view (R38): NOT_FOUND, like a random ID.
    for (who, token) in [("GLOBAL_ADMIN", &org.admin), ("BILLING_ADMIN", &billing_admin.token)] {
        assert_eq!(app.err(Some(token), GET, json!({"id": profile})).await, "NOT_FOUND", "R38: {who}");
        let audit = app.count("audit_events").await;
        for (what, query, variables) in [
            ("update", UPDATE, json!({"id": profile, "i": {"name": "Taken over"}})),
            ("add payment method", ADD_PM, json!({"p": profile, "i": valid_card()})),
            ("replace payment method", REPLACE_PM, json!({"p": profile, "i": valid_card()})),
            ("update payment method", UPDATE_PM, json!({"id": method, "i": {"nameOnCard": "Admin"}})),
            ("grant", GRANT, json!({"p": profile, "u": someone.id, "r": "OWNER"})),
            ("revoke", REVOKE, json!({"p": profile, "u": owner.id, "r": "OWNER"})),
        ] {
            let code = app.err(Some(token), query, variables).await;
            assert_eq!(code, "NOT_FOUND", "R38: {who} may not {what} a self-service profile");
        }
        assert_eq!(app.count("audit_events").await, audit, "R38: nothing changed");
    }

    // Another plain user cannot even see it (R3).
    assert_eq!(app.err(Some(&someone.token), GET, json!({"id": profile})).await, "NOT_FOUND");
    assert_eq!(
        app.err(Some(&someone.token), UPDATE_PM, json!({"id": method, "i": {"nameOnCard": "X"}})).await,
        "NOT_FOUND"
    );
}

/// R29: bad input is VALIDATION_FAILED naming the field, and nothing is written.
#[tokio::test]
async fn r29_bad_input_is_rejected_with_its_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "SE").await;
    let profile = create_profile(&app, &org.admin, "Main", "SE", false).await;
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        (
            "invalid Luhn number",
            ADD_PM,
            json!({"p": profile, "i": card("4242424242424241", "123", 12, 2030)}),
            "card.number",
        ),
        ("11-digit number", ADD_PM, json!({"p": profile, "i": card("42424242424", "123", 12, 2030)}), "card.number"),
        (
            "expiry year in the past",
            ADD_PM,
            json!({"p": profile, "i": card(VALID_CARD, "123", 12, 2025)}),
            "card.expirationYear",
        ),
        (
            "expiry month in the past",
            ADD_PM,
            json!({"p": profile, "i": card(VALID_CARD, "123", 2, 2026)}),
            "card.expirationMonth",
        ),
        ("month 13", ADD_PM, json!({"p": profile, "i": card(VALID_CARD, "123", 13, 2030)}), "card.expirationMonth"),
        (
            "5-digit security code",
            ADD_PM,
            json!({"p": profile, "i": card(VALID_CARD, "12345", 12, 2030)}),
            "card.securityCode",
        ),
        ("missing card for CREDIT_CARD", ADD_PM, json!({"p": profile, "i": {"kind": "CREDIT_CARD"}}), "card"),
        (
            "card given for CHECK_OR_WIRE",
            ADD_PM,
            json!({"p": profile, "i": {"kind": "CHECK_OR_WIRE", "card": valid_card()["card"]}}),
            "card",
        ),
        (
            "replace with a bad number",
            REPLACE_PM,
            json!({"p": profile, "i": card("4242424242424243", "123", 12, 2030)}),
            "card.number",
        ),
        ("country XX", CREATE, json!({"i": profile_input("P", "XX", false)}), "billToAddress.country"),
        ("country not ISO-shaped", CREATE, json!({"i": profile_input("P", "SWE", false)}), "billToAddress.country"),
        ("blank name", CREATE, json!({"i": profile_input(" ", "SE", false)}), "name"),
        ("bad contact e-mail", UPDATE, json!({"id": profile, "i": {"contactEmail": "nope"}}), "contactEmail"),
        (
            "update to country XX",
            UPDATE,
            json!({"id": profile, "i": {"billToAddress": address("XX")}}),
            "billToAddress.country",
        ),
    ];
    // Issue 19 (one ID rule): a profile ID that is not a UUID is NOT_FOUND, like any unknown ID.
    assert_eq!(app.err(Some(&org.admin), GET, json!({"id": "42"})).await, "NOT_FOUND");
    for (what, query, variables, field) in cases {
        let profiles = app.count("billing_profiles").await;
        let methods = app.count("payment_methods").await;
        let audit = app.count("audit_events").await;
        let result = call(&app, &org.admin, query, variables).await;
        assert_eq!(result.err().as_deref(), Some(format!("VALIDATION_FAILED:{field}").as_str()), "R29: {what}");
        assert_eq!(app.count("billing_profiles").await, profiles, "{what}: billing_profiles unchanged");
        assert_eq!(app.count("payment_methods").await, methods, "{what}: payment_methods unchanged");
        assert_eq!(app.count("audit_events").await, audit, "{what}: no audit event");
    }

    // Edits on an existing card are checked the same way (R29).
    let added = app.ok(&org.admin, ADD_PM, json!({"p": profile, "i": valid_card()})).await;
    let method = added["addPaymentMethod"]["id"].as_str().expect("id").to_owned();
    for (what, input, field) in [
        ("5-digit security code", json!({"securityCode": "12345"}), "securityCode"),
        ("expired", json!({"expirationMonth": 1, "expirationYear": 2026}), "expirationMonth"),
        ("past year", json!({"expirationYear": 2020}), "expirationYear"),
        ("blank name on card", json!({"nameOnCard": "  "}), "nameOnCard"),
    ] {
        let audit = app.count("audit_events").await;
        let result = call(&app, &org.admin, UPDATE_PM, json!({"id": method, "i": input})).await;
        assert_eq!(result.err().as_deref(), Some(format!("VALIDATION_FAILED:{field}").as_str()), "R29 edit: {what}");
        assert_eq!(app.count("audit_events").await, audit);
    }
    let data = app.ok(&org.admin, GET, json!({"id": profile})).await;
    assert_eq!(data["billingProfile"]["paymentMethod"]["id"], method.as_str());
}

/// R29: add, edit and replace; the old method is kept but no longer current.
#[tokio::test]
async fn r29_add_edit_replace_payment_method() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "SE").await;
    let profile = create_profile(&app, &org.admin, "Main", "SE", false).await;
    let add = format!(
        "mutation($p: ID!, $i: PaymentMethodInput!) {{ addPaymentMethod(billingProfileId: $p, input: $i) {{ {PM} }} }}"
    );
    let data = app.ok(&org.admin, &add, json!({"p": profile, "i": card("4242 4242 4242 4242", "123", 12, 2030)})).await;
    let first = &data["addPaymentMethod"];
    assert_eq!(first["kind"], "CREDIT_CARD");
    assert_eq!(first["brand"], "VISA");
    assert_eq!(first["last4"], "4242");
    assert_eq!(first["expirationMonth"], 12);
    assert_eq!(first["expirationYear"], 2030);
    assert_eq!(first["nameOnCard"], "Ada Lovelace");
    assert_eq!(first["isCurrent"], true);
    assert_eq!(first["billingAddress"]["country"], "SE");
    let first_id = first["id"].as_str().expect("id").to_owned();

    let update = format!(
        "mutation($id: ID!, $i: UpdatePaymentMethodInput!) {{ updatePaymentMethod(paymentMethodId: $id, input: $i) {{ {PM} }} }}"
    );
    let data = app
        .ok(&org.admin, &update, json!({"id": first_id, "i": {"securityCode": "999", "expirationMonth": 6, "expirationYear": 2031, "nameOnCard": "Ada King"}}))
        .await;
    let edited = &data["updatePaymentMethod"];
    assert_eq!((edited["expirationMonth"].clone(), edited["expirationYear"].clone()), (json!(6), json!(2031)));
    assert_eq!(edited["nameOnCard"], "Ada King");
    assert_eq!(edited["last4"], "4242", "R29: the number never changes on edit");

    let replace = format!(
        "mutation($p: ID!, $i: PaymentMethodInput!) {{ replacePaymentMethod(billingProfileId: $p, input: $i) {{ {PM} }} }}"
    );
    let data = app.ok(&org.admin, &replace, json!({"p": profile, "i": card("378282246310005", "1234", 3, 2027)})).await;
    let second = &data["replacePaymentMethod"];
    assert_eq!(second["brand"], "AMEX");
    assert_eq!(second["last4"], "0005");
    let second_id = second["id"].as_str().expect("id").to_owned();
    let data = app.ok(&org.admin, GET, json!({"id": profile})).await;
    assert_eq!(
        data["billingProfile"]["paymentMethod"]["id"],
        second_id.as_str(),
        "R29: the new method is the profile's"
    );
    assert_eq!(app.count("payment_methods").await, 2, "R29: the old method is kept for its invoices");
    let code = app.err(Some(&org.admin), &update, json!({"id": first_id, "i": {"nameOnCard": "Late edit"}})).await;
    assert_eq!(code, "INVALID_STATE", "only the current method can be edited");

    // An org profile may switch to check or wire transfer.
    let data = app.ok(&org.admin, &add, json!({"p": profile, "i": {"kind": "CHECK_OR_WIRE"}})).await;
    assert_eq!(data["addPaymentMethod"]["kind"], "CHECK_OR_WIRE");
    assert!(data["addPaymentMethod"]["last4"].is_null() && data["addPaymentMethod"]["billingAddress"].is_null());
    let current = app
        .ok(
            &org.admin,
            "query($id: ID!) { billingProfile(id: $id) { paymentMethod { kind isCurrent } } }",
            json!({"id": profile}),
        )
        .await;
    assert_eq!(current["billingProfile"]["paymentMethod"], json!({"kind": "CHECK_OR_WIRE", "isCurrent": true}));
    let currents = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM payment_methods WHERE is_current = TRUE",
        ))
        .await
        .expect("query")
        .expect("row")
        .try_get::<i64>("", "n")
        .expect("n");
    assert_eq!(currents, 1, "exactly one current method per profile");
}

/// Whether `token` occurs in `value` as a whole alphanumeric run not joined to
/// its neighbours by '-' (so UUID groups and dates do not count).
fn has_token(value: &str, token: &str) -> bool {
    let chars: Vec<char> = value.chars().collect();
    let mut start = 0;
    while start < chars.len() {
        if !chars[start].is_ascii_alphanumeric() {
            start += 1;
            continue;
        }
        let mut end = start;
        while end < chars.len() && chars[end].is_ascii_alphanumeric() {
            end += 1;
        }
        let run: String = chars[start..end].iter().collect();
        let dashed = (start > 0 && chars[start - 1] == '-') || chars.get(end) == Some(&'-');
        if run == token && !dashed {
            return true;
        }
        start = end;
    }
    false
}

/// Every text value of every table, for the "never stored" scan.
async fn all_text_values(app: &TestApp) -> Vec<(String, String, String)> {
    let backend = app.db.get_database_backend();
    let tables_sql = if engine_is_postgres() {
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    };
    let tables: Vec<String> = app
        .db
        .query_all_raw(Statement::from_string(backend, tables_sql))
        .await
        .expect("tables")
        .iter()
        .map(|row| row.try_get::<String>("", "name").expect("table name"))
        .collect();
    assert!(tables.iter().any(|t| t == "payment_methods") && tables.iter().any(|t| t == "audit_events"));
    let mut values = Vec::new();
    for table in tables {
        let rows = app
            .db
            .query_all_raw(Statement::from_string(backend, format!("SELECT * FROM \"{table}\"")))
            .await
            .expect("select");
        for row in rows {
            for column in row.column_names() {
                if let Ok(Some(text)) = row.try_get::<Option<String>>("", &column) {
                    values.push((table.clone(), column, text));
                }
            }
        }
    }
    values
}

/// R29: after card operations no table holds a full card number or a security
/// code, in any text column (audit snapshots included), and no response returns them.
#[tokio::test]
async fn r29_card_number_and_security_code_are_never_stored() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "SE").await;
    let user = app.user(&org, "Self Service", &[]).await;
    let profile = create_profile(&app, &org.admin, "Main", "SE", false).await;
    let own = create_profile(&app, &user.token, "Mine", "SE", true).await;
    let numbers = ["4242424242424242", "5555555555554444", "378282246310005", "4000000000000002"];
    let codes = ["987", "614", "735", "842", "5081"];

    let added =
        app.ok(&org.admin, ADD_PM, json!({"p": profile, "i": card("4242 4242 4242 4242", codes[0], 12, 2030)})).await;
    let response = serde_json::to_string(&added).expect("json");
    let method = added["addPaymentMethod"]["id"].as_str().expect("id").to_owned();
    app.ok(&org.admin, UPDATE_PM, json!({"id": method, "i": {"securityCode": codes[1], "nameOnCard": "Edited"}})).await;
    app.ok(&org.admin, REPLACE_PM, json!({"p": profile, "i": card(numbers[1], codes[2], 1, 2031)})).await;
    app.ok(&user.token, ADD_PM, json!({"p": own, "i": card(numbers[2], "5081", 2, 2029)})).await;
    app.ok(&user.token, REPLACE_PM, json!({"p": own, "i": card(numbers[3], codes[3], 3, 2028)})).await;
    // A rejected attempt must not leave the number behind either.
    let _ = call(&app, &user.token, ADD_PM, json!({"p": own, "i": card("4242424242424242", "99999", 3, 2028)})).await;

    assert!(!response.contains(numbers[0]) && !response.contains(codes[0]), "R29: never returned");
    let values = all_text_values(&app).await;
    assert!(values.iter().any(|(table, _, _)| table == "payment_methods"), "sanity: payment methods were scanned");
    assert!(
        values.iter().any(|(table, _, v)| table == "audit_events" && v.contains("payment_method.replace")),
        "sanity: card operations were audited"
    );
    for (table, column, value) in &values {
        let digits: String = value.chars().filter(char::is_ascii_digit).collect();
        for number in numbers {
            assert!(
                !value.contains(number) && !digits.contains(number),
                "R29: full card number stored in {table}.{column}: {value}"
            );
        }
        // Security codes as whole tokens; runs touching '-' are UUID groups or dates, not codes.
        for code in codes {
            assert!(!has_token(value, code), "R29: security code {code} stored in {table}.{column}: {value}");
        }
        assert!(!column.to_lowercase().contains("security"), "R29: no security-code column ({table}.{column})");
    }
    let last4: Vec<&str> = values
        .iter()
        .filter(|(table, column, _)| table == "payment_methods" && column == "card_last4")
        .map(|(_, _, v)| v.as_str())
        .collect();
    assert_eq!(last4.len(), 4, "R29: the last four digits are what is kept");
}
