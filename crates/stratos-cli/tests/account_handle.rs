//! `stratos account update-handle` end to end, in text and `--json` mode: `--check`, a custom
//! domain proven by DNS, and a PDS domain.

mod common;

use common::{Home, assert_fails, list_json, login};
use stratos_testkit::Network;

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
    let list = list_json(&home).await;
    assert_eq!(list[0]["handle"], back.as_str());
}
