//! Group A verbs end to end: `account activate|deactivate`, `update-handle`, `app-password`,
//! `service-auth`, `service-auth-offline`, in text and `--json` mode, against the real network.

use serde_json::{Value, json};
use stratos_testkit::{Network, xrpc_get, xrpc_post};

use crate::common::Home;
use crate::{assert_fails, login};

/// What the PDS publishes about the repository: (active, status).
async fn repo_state(pds: &str, did: &str) -> (bool, Option<String>) {
    let out = xrpc_get(pds, "com.atproto.sync.getRepoStatus", &[("did", did)], None)
        .await
        .expect("getRepoStatus answers");
    (
        out["active"].as_bool().expect("active is a bool"),
        out["status"].as_str().map(str::to_owned),
    )
}

/// `app-password create|list|revoke` in both modes; a revoked password no longer signs in.
#[tokio::test]
async fn app_password_create_list_revoke() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    login(&home, &acct).await;

    let run = home
        .run(&["account", "app-password", "create", "laptop"])
        .await;
    let text = run.ok();
    assert!(
        text.starts_with("Created app password \"laptop\": "),
        "{run:#?}"
    );
    assert!(text.contains("cannot be shown again"), "{run:#?}");
    let created = home
        .run(&[
            "--json",
            "account",
            "app-password",
            "create",
            "chat",
            "--privileged",
        ])
        .await
        .ok_json();
    assert_eq!(created["name"], "chat");
    assert_eq!(created["privileged"], true);
    let chat_password = created["password"].as_str().unwrap().to_owned();

    let list = home
        .run(&["--json", "account", "app-password", "list"])
        .await
        .ok_json();
    assert_eq!(list["did"], acct.did.as_str());
    let mut names: Vec<_> = list["passwords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["privileged"].clone(),
            )
        })
        .collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        names,
        [
            ("chat".to_owned(), json!(true)),
            ("laptop".to_owned(), json!(false))
        ]
    );
    let run = home.run(&["account", "app-password", "list"]).await;
    let text = run.ok();
    assert!(
        text.lines()
            .any(|l| l.starts_with("chat") && l.ends_with("(privileged)")),
        "{run:#?}"
    );
    assert!(text.lines().any(|l| l.starts_with("laptop")), "{run:#?}");

    net.create_session(&acct.pds_url, &acct.handle, &chat_password, None)
        .await
        .expect("the app password signs in");
    let run = home
        .run(&["account", "app-password", "revoke", "chat", &acct.handle])
        .await;
    assert!(
        run.ok().contains("Revoked app password \"chat\""),
        "{run:#?}"
    );
    net.create_session(&acct.pds_url, &acct.handle, &chat_password, None)
        .await
        .expect_err("a revoked app password no longer signs in");
    let revoked = home
        .run(&["--json", "account", "app-password", "revoke", "laptop"])
        .await
        .ok_json();
    assert_eq!(revoked, json!({ "did": acct.did, "revoked": "laptop" }));
    assert_fails(
        &home,
        &["account", "app-password", "revoke", "laptop"],
        "app_password_not_found",
        "There is no app password named \"laptop\"",
    )
    .await;
}

/// Signed in with an app password, `app-password create` fails with a clear message and hint.
#[tokio::test]
async fn app_password_session_cannot_create() {
    let net = Network::shared();
    let acct = net.create_account(net.pds2()).await;
    let owner = Home::new();
    login(&owner, &acct).await;
    let created = owner
        .run(&["--json", "account", "app-password", "create", "cli"])
        .await
        .ok_json();
    let app_home = Home::new();
    app_home
        .run(&[
            "account",
            "login",
            "-u",
            &acct.handle,
            "-p",
            created["password"].as_str().unwrap(),
        ])
        .await
        .ok();
    assert_fails(
        &app_home,
        &["account", "app-password", "create", "other"],
        "app_password_session",
        "An app password session cannot create app passwords",
    )
    .await;
    let run = app_home
        .run(&["account", "app-password", "create", "other"])
        .await;
    assert!(
        run.failed()
            .contains("hint: Sign in to Stratos with the account password")
    );
}

/// `deactivate` then `activate`, each in both modes, proven by the published repository status.
#[tokio::test]
async fn deactivate_and_activate() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    login(&home, &acct).await;

    let run = home.run(&["account", "deactivate"]).await;
    assert!(
        run.ok().contains(&format!(
            "Deactivated {}; its repository is now deactivated.",
            acct.did
        )),
        "{run:#?}"
    );
    assert_eq!(
        repo_state(&acct.pds_url, &acct.did).await,
        (false, Some("deactivated".into()))
    );
    let run = home.run(&["account", "activate", &acct.handle]).await;
    assert!(
        run.ok().contains(&format!(
            "Activated {}; its repository is now active.",
            acct.did
        )),
        "{run:#?}"
    );
    assert_eq!(repo_state(&acct.pds_url, &acct.did).await, (true, None));

    let off = home
        .run(&[
            "--json",
            "account",
            "deactivate",
            "--delete-after",
            "2099-01-01T00:00:00Z",
        ])
        .await
        .ok_json();
    assert_eq!(off["active"], false, "{off}");
    assert_eq!(off["status"], "deactivated");
    assert_eq!(off["deleteAfter"], "2099-01-01T00:00:00Z");
    let on = home.run(&["--json", "account", "activate"]).await.ok_json();
    assert_eq!(on["active"], true, "{on}");
    assert_eq!(repo_state(&acct.pds_url, &acct.did).await, (true, None));

    assert_fails(
        &home,
        &["account", "deactivate", "--delete-after", "tomorrow"],
        "bad_delete_after",
        "\"tomorrow\" is not a date and time",
    )
    .await;
    assert_fails(
        &Home::new(),
        &["account", "activate"],
        "not_signed_in",
        "No account is signed in to Stratos",
    )
    .await;
}

/// `update-handle --check` shows the plan and live answers; an unproven custom domain is refused
/// with the record to publish; once it resolves, and for a PDS domain, the change is verified.
#[tokio::test]
async fn update_handle_check_custom_and_pds_domain() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    login(&home, &acct).await;
    let label = acct.handle.trim_end_matches(".test").to_owned();
    let custom = format!("{label}.stratos-custom.com");

    let run = home
        .run(&["account", "update-handle", &custom, "--check"])
        .await;
    let text = run.ok();
    assert!(
        text.contains(&format!("_atproto.{custom} TXT \"did={}\"", acct.did)),
        "{run:#?}"
    );
    assert!(
        text.contains(&format!("https://{custom}/.well-known/atproto-did")),
        "{run:#?}"
    );
    assert!(text.contains("Not ready yet"), "{run:#?}");
    let plan = home
        .run(&["--json", "account", "update-handle", &custom, "--check"])
        .await
        .ok_json();
    assert_eq!(plan["ready"], false);
    assert_eq!(plan["dns"]["value"], format!("did={}", acct.did));
    assert_eq!(plan["current"]["service"]["outcome"], "notFound");

    assert_fails(
        &home,
        &["account", "update-handle", &custom],
        "handle_not_proven",
        &format!("{custom} does not resolve to {}", acct.did),
    )
    .await;

    net.set_handle_override(&custom, &acct.did).await;
    let plan = home
        .run(&["--json", "account", "update-handle", &custom, "--check"])
        .await
        .ok_json();
    assert_eq!(plan["ready"], true, "{plan}");
    let run = home.run(&["account", "update-handle", &custom]).await;
    net.clear_handle_override(&custom).await;
    assert!(
        run.ok().contains(&format!(
            "Changed the handle of {} from {} to {custom}.",
            acct.did, acct.handle
        )),
        "{run:#?}"
    );

    let back = format!("h{}.test", &label[1..]);
    let change = home
        .run(&["--json", "account", "update-handle", &back])
        .await
        .ok_json();
    assert_eq!(change["handle"], back.as_str());
    assert_eq!(change["oldHandle"], custom.as_str());
    assert_eq!(change["resolvesTo"], acct.did.as_str());
    assert_eq!(change["docHandle"], back.as_str());
    assert_eq!(
        net.resolve_handle(&back).await.as_deref(),
        Some(acct.did.as_str())
    );
    let list = crate::list_json(&home).await;
    assert_eq!(list[0]["handle"], back.as_str());
}

/// `service-auth`: the token alone on stdout in text mode, token plus claims with `--json`.
#[tokio::test]
async fn service_auth_from_the_pds() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let home = Home::new();
    login(&home, &acct).await;
    let lxm = "com.atproto.server.createAccount";
    let aud = net.pds2().did.as_str();
    let run = home
        .run(&["account", "service-auth", "--aud", aud, "--lxm", lxm])
        .await;
    let token = run.ok().trim().to_owned();
    assert_eq!(token.split('.').count(), 3, "{run:#?}");
    assert!(
        run.stderr
            .contains(&format!("for {} to {aud}, method {lxm}", acct.did))
    );
    let doc = home
        .run(&[
            "--json",
            "account",
            "service-auth",
            "--aud",
            aud,
            "--lxm",
            lxm,
            "--duration-sec",
            "300",
        ])
        .await
        .ok_json();
    assert_eq!(doc["claims"]["iss"], acct.did.as_str());
    assert_eq!(doc["claims"]["aud"], aud);
    assert_eq!(doc["claims"]["lxm"], lxm);
    let span = doc["claims"]["exp"].as_i64().unwrap() - doc["claims"]["iat"].as_i64().unwrap();
    assert!((299..=302).contains(&span), "{doc}");
    assert_fails(
        &home,
        &["account", "service-auth", "--aud", "not-a-did"],
        "bad_identifier",
        "The audience \"not-a-did\" is not a DID",
    )
    .await;
}

/// `service-auth-offline` signs with a pasted key; PDS2 accepts the token for createAccount with
/// that DID. A public key pasted by mistake is explained.
#[tokio::test]
async fn service_auth_offline_is_accepted_by_a_pds() {
    let net = Network::shared();
    let pds2 = net.pds2();
    let mut url = url::Url::parse(&net.control).unwrap();
    url.set_path("/did-with-key");
    url.query_pairs_mut().append_pair("pds", &pds2.url);
    let made: Value = reqwest::Client::new()
        .post(url)
        .send()
        .await
        .expect("control server")
        .json()
        .await
        .expect("json");
    let did = made["did"].as_str().unwrap();
    let key = made["signingKey"].as_str().unwrap();
    let home = Home::new();
    let lxm = "com.atproto.server.createAccount";
    let args = [
        "account",
        "service-auth-offline",
        "--atproto-signing-key",
        key,
        "--iss",
        did,
        "--aud",
        &pds2.did,
        "--lxm",
        lxm,
        "--duration-sec",
        "120",
    ];
    let run = home.run(&args).await;
    let text_token = run.ok().trim().to_owned();
    assert_eq!(text_token.split('.').count(), 3, "{run:#?}");
    assert!(run.stderr.contains("ES256K"), "{run:#?}");
    assert!(run.stderr.contains("Signed by did:key:z"), "{run:#?}");
    let json_args: Vec<&str> = ["--json"].iter().chain(args.iter()).copied().collect();
    let doc = home.run(&json_args).await.ok_json();
    assert_eq!(doc["claims"]["iss"], did);
    assert_eq!(doc["claims"]["alg"], "ES256K");

    let label = &did.trim_start_matches("did:plc:")[..12];
    let body = json!({
        "did": did,
        "handle": format!("c{label}{}", pds2.domain),
        "email": format!("c{label}@example.com"),
        "password": "offline-cli-pw",
    });
    let out = xrpc_post(
        &pds2.url,
        "com.atproto.server.createAccount",
        &body,
        doc["token"].as_str(),
    )
    .await
    .expect("PDS2 accepts the offline token");
    assert_eq!(out["did"], did);

    assert_fails(
        &home,
        &[
            "account",
            "service-auth-offline",
            "--atproto-signing-key",
            "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
            "--iss",
            did,
            "--aud",
            &pds2.did,
        ],
        "bad_signing_key",
        "this is a public did:key",
    )
    .await;
}
