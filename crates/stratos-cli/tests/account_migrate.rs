//! `stratos account migrate` end to end: killed with SIGKILL at every step boundary and in the
//! middle of the blob copy, resumed each time, and complete with nothing lost; uploads the new
//! PDS refuses (fault injection) are retried or reported, and the old account stays intact.

mod common;

use common::{Home, Run};
use serde_json::Value;
use stratos_testkit::{Network, Population, TestAccount, subjects, xrpc_get};
use tokio::io::{AsyncBufReadExt, BufReader};

const PASSWORD: &str = "new-pds-password-123";

fn start_args<'a>(
    net: &'a Network,
    acct: &TestAccount,
    handle: &'a str,
    email: &'a str,
) -> Vec<String> {
    let _ = acct;
    vec![
        "account".into(),
        "migrate".into(),
        "--pds-host".into(),
        net.pds2().url.clone(),
        "--new-handle".into(),
        handle.into(),
        "--new-email".into(),
        email.into(),
        "--new-password".into(),
        PASSWORD.into(),
    ]
}

/// Runs `stratos <args>` and kills it with SIGKILL as soon as a progress line satisfies `at`;
/// returns whether it was killed (false: it ended first).
async fn run_until(home: &Home, args: &[String], at: impl Fn(&str) -> bool) -> bool {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = home.command(&args).spawn().expect("stratos runs");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if at(&line) {
            child.start_kill().expect("SIGKILL");
            let status = child.wait().await.unwrap();
            assert!(!status.success());
            return true;
        }
    }
    child.wait().await.unwrap();
    false
}

fn resume_args(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["account", "migrate", "--resume", "--new-password", PASSWORD]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

async fn repo_active(pds: &str, did: &str) -> bool {
    xrpc_get(pds, "com.atproto.sync.getRepoStatus", &[("did", did)], None)
        .await
        .unwrap()["active"]
        == true
}

async fn pds_of(net: &Network, did: &str) -> String {
    let data: Value = reqwest::get(format!("{}/{did}/data", net.plc))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    data["services"]["atproto_pds"]["endpoint"]
        .as_str()
        .unwrap()
        .trim_end_matches('/')
        .to_owned()
}

/// The run that waits for the PLC code: it ends with `plc_token_needed` and the code is mailed.
async fn run_to_plc_code(
    home: &Home,
    net: &Network,
    acct: &TestAccount,
    args: &[String],
) -> String {
    let seen = net.count_mails(&acct.email, subjects::PLC_OPERATION).await;
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = home.run(&[&["--json"][..], &a].concat()).await;
    run.assert_error_code("plc_token_needed");
    net.wait_mail(&acct.email, subjects::PLC_OPERATION, seen)
        .await
        .code
        .expect("a PLC code")
}

fn finished(run: &Run) -> Value {
    let doc = run.ok_json();
    assert_eq!(doc["migrated"], true, "{doc}");
    doc
}

#[tokio::test]
async fn migrate_survives_sigkill_at_every_step_and_mid_blobs() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    let filled = stratos_testkit::populate(
        &acct,
        Population {
            records: 120,
            blobs: 20,
        },
    )
    .await;
    let home = Home::new();
    home.run(&["account", "login", "-u", &acct.handle, "-p", &acct.password])
        .await
        .ok();
    let handle = format!(
        "{}{}",
        acct.handle.split('.').next().unwrap(),
        net.pds2().domain
    );
    let email = format!("moved-{}", acct.email);

    // Killed right after the preflight, after the account is made, after the repo.
    assert!(
        run_until(&home, &start_args(net, &acct, &handle, &email), |l| l
            == "[migrate] done preflight")
        .await
    );
    for marker in ["[migrate] done createAccount", "[migrate] done repo"] {
        assert!(
            run_until(&home, &resume_args(&[]), |l| l == marker).await,
            "{marker}"
        );
    }
    // In the middle of the blobs.
    let mid = |l: &str| {
        l.strip_prefix("[migrate] blobs ")
            .and_then(|r| r.split_whitespace().next())
            .and_then(|r| r.split_once('/'))
            .is_some_and(|(d, t)| d.parse::<u32>().unwrap() >= 5 && d != t)
    };
    assert!(
        run_until(&home, &resume_args(&["--concurrency", "2"]), mid).await,
        "mid-blobs"
    );
    for marker in ["[migrate] done blobs", "[migrate] done preferences"] {
        assert!(
            run_until(&home, &resume_args(&[]), |l| l == marker).await,
            "{marker}"
        );
    }
    assert!(
        repo_active(&acct.pds_url, &acct.did).await,
        "the old account is untouched so far"
    );
    let code = run_to_plc_code(&home, net, &acct, &resume_args(&[])).await;
    // Killed right after the identity moved: the rest resumes.
    assert!(
        run_until(&home, &resume_args(&["--plc-token", &code, "--yes"]), |l| l
            == "[migrate] done identityOp")
        .await
    );
    assert_eq!(
        pds_of(net, &acct.did).await,
        net.pds2().url.trim_end_matches('/')
    );
    let run = home
        .run(
            &[
                &["--json"][..],
                &resume_args(&[])
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            ]
            .concat(),
        )
        .await;
    let doc = finished(&run);

    // Nothing lost, nothing duplicated.
    let facts = &doc["journal"]["facts"];
    for (collection, n) in &filled.records {
        assert_eq!(facts["records"][collection], *n, "{collection}: {facts}");
    }
    assert_eq!(facts["expectedBlobs"], filled.blobs.len());
    assert_eq!(facts["importedBlobs"], filled.blobs.len());
    let missing = home
        .run(&["--json", "account", "missing-blobs"])
        .await
        .ok_json();
    assert_eq!(missing["count"], 0, "{missing}");
    let status = home
        .run(&["--json", "account", "status", &acct.did])
        .await
        .ok_json();
    assert_eq!(status["handle"], handle.as_str(), "{status}");
    assert!(repo_active(&net.pds2().url, &acct.did).await);
    assert!(
        !repo_active(&acct.pds_url, &acct.did).await,
        "the old account is deactivated"
    );
}

#[tokio::test]
async fn refused_uploads_are_retried_or_reported_and_the_source_stays_intact() {
    let net = Network::shared();
    let acct = net.create_account(net.pds1()).await;
    stratos_testkit::populate(
        &acct,
        Population {
            records: 30,
            blobs: 8,
        },
    )
    .await;
    let home = Home::new();
    home.run(&["account", "login", "-u", &acct.handle, "-p", &acct.password])
        .await
        .ok();
    let handle = format!(
        "{}{}",
        acct.handle.split('.').next().unwrap(),
        net.pds2().domain
    );
    let email = format!("moved-{}", acct.email);

    // The new PDS refuses two uploads for good (400): reported by name, nothing changed at home.
    net.inject_faults(net.pds2(), "com.atproto.repo.uploadBlob", &acct.did, 2, 400)
        .await;
    let args = start_args(net, &acct, &handle, &email);
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = home.run(&[&["--json"][..], &a].concat()).await;
    let err = run.assert_error_code("migration_blobs_failed");
    assert!(
        err["message"].as_str().unwrap().contains("2 blob(s)"),
        "{err}"
    );
    assert!(repo_active(&acct.pds_url, &acct.did).await);
    assert_eq!(
        pds_of(net, &acct.did).await,
        acct.pds_url.trim_end_matches('/')
    );

    // Then it fails now and then (503, and a rate limit): retried, and the copy completes.
    net.inject_faults(net.pds2(), "com.atproto.repo.uploadBlob", &acct.did, 2, 503)
        .await;
    net.inject_faults(net.pds2(), "com.atproto.repo.uploadBlob", &acct.did, 1, 429)
        .await;
    let code = {
        let seen = net.count_mails(&acct.email, subjects::PLC_OPERATION).await;
        let args = resume_args(&[]);
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = home.command(&a).spawn().unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut retries = 0;
        while let Ok(Some(line)) = lines.next_line().await {
            if line.starts_with("[migrate] retry blob ") {
                retries += 1;
            }
        }
        assert!(
            !child.wait().await.unwrap().success(),
            "stops for the PLC code"
        );
        assert_eq!(retries, 3, "each refused upload was retried");
        net.wait_mail(&acct.email, subjects::PLC_OPERATION, seen)
            .await
            .code
            .unwrap()
    };
    assert_eq!(net.faults_left(&acct.did).await, 0);
    let args = resume_args(&["--plc-token", &code, "--yes"]);
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    finished(&home.run(&[&["--json"][..], &a].concat()).await);
    assert_eq!(
        pds_of(net, &acct.did).await,
        net.pds2().url.trim_end_matches('/')
    );
}
