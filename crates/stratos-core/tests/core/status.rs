//! `account status` against the real PDS: identity, handle check, PDS, repository.

use stratos_core::identity::MethodAnswer;

use crate::World;

/// Looking up a PDS1 account by handle and by DID reports its identity, PDS and active repo.
#[tokio::test]
async fn status_of_a_pds1_account() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    for id in [acct.handle.as_str(), acct.did.as_str()] {
        let s = w.accounts.lookup(id).await.expect("status");
        assert_eq!(s.did, acct.did);
        assert_eq!(s.handle.as_deref(), Some(acct.handle.as_str()));
        assert!(
            s.handle_check.verified,
            "handle verifies both ways: {:?}",
            s.handle_check
        );
        assert_eq!(
            s.handle_check.service,
            MethodAnswer::Found {
                did: acct.did.clone()
            },
            "the resolver answered"
        );
        assert_eq!(
            s.handle_check.dns,
            MethodAnswer::Skipped,
            "DNS is not asked with a resolver service"
        );
        assert!(s.handle_check.problem.is_none());
        assert_eq!(s.pds.url.as_deref(), Some(w.net.pds1().url.as_str()));
        assert!(s.pds.reachable, "{:?}", s.pds.error);
        assert_eq!(s.pds.server_did.as_deref(), Some(w.net.pds1().did.as_str()));
        assert!(s.pds.available_user_domains.contains(&".test".to_owned()));
        assert_eq!(s.repo.active, Some(true));
        assert!(
            s.repo.rev.as_deref().is_some_and(|r| !r.is_empty()),
            "repo has a rev"
        );
        assert!(s.session.is_none(), "no login needed, none used");
    }
}

/// A handle that another DID's document claims does not verify, and the report says why.
#[tokio::test]
async fn handle_claimed_by_another_did_does_not_verify() {
    let w = World::start();
    let a = w.net.create_account(w.net.pds1()).await;
    let b = w.net.create_account(w.net.pds2()).await;
    // Make A's handle resolve to B: A's document still claims it, so A no longer verifies.
    w.net.set_handle_override(&a.handle, &b.did).await;
    let s = w.accounts.lookup(&a.did).await.expect("status");
    w.net.clear_handle_override(&a.handle).await;
    assert!(!s.handle_check.verified);
    let problem = s.handle_check.problem.expect("a problem is reported");
    assert!(problem.contains(&b.did), "{problem}");
}

/// A signed-in account's report carries its profile (display name, avatar as a data URL) and the
/// repository's figures as the server counts them; a look-up has the profile too.
#[tokio::test]
async fn the_report_shows_the_profile_and_the_repository_figures() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    let png = w.net.png().await;
    stratos_testkit::set_profile(&acct, "  Alice Example  ", Some(&png)).await;
    w.accounts
        .login_password(crate::login(&acct.handle, &acct.password))
        .await
        .expect("login");
    let s = w.accounts.status(&acct.did).await.expect("status");
    let profile = s.profile.expect("the profile is read");
    assert_eq!(profile.display_name.as_deref(), Some("Alice Example"));
    let avatar = profile.avatar.expect("the avatar is fetched");
    assert!(
        avatar.starts_with("data:image/png;base64,"),
        "{}",
        &avatar[..40]
    );
    assert_eq!(s.repo.records, Some(1), "one record: the profile");
    assert_eq!(s.repo.blobs, Some(1), "one blob: the avatar");
    assert!(s.repo.blocks.is_some_and(|b| b >= 2), "{:?}", s.repo.blocks);

    let public = w.accounts.lookup(&acct.did).await.expect("look-up");
    assert_eq!(
        public.profile.and_then(|p| p.display_name).as_deref(),
        Some("Alice Example")
    );
    assert_eq!(public.repo.records, None, "figures need a session");
}
