//! `stratos account activate|deactivate` end to end, in text and `--json` mode, proven by the
//! repository status the PDS publishes.

mod common;

use common::{Home, assert_fails, login};
use stratos_testkit::{Network, xrpc_get};

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
