//! Backup (repository CAR + blobs, resumable, cancellable) and account deletion.

use std::sync::Mutex;

use serde_json::json;
use stratos_core::auth::step_up::StepUp;
use stratos_core::backup::{self, BackupError, BackupStep};
use stratos_core::deletion::{self, DeletionError};
use stratos_testkit::{cid_of, create_record, subjects, upload_blob, xrpc_get};
use tokio_util::sync::CancellationToken;

use crate::World;

/// A backup holds the repository CAR and every blob byte for byte; a second run skips the blobs
/// already there; a cancelled run stops with `Cancelled`.
#[tokio::test]
async fn backup_writes_the_car_and_every_blob_and_resumes() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    let one = b"first blob bytes \x00\x01\x02".repeat(50);
    let two = b"second blob, different".repeat(70);
    let b1 = upload_blob(&acct, &one, "application/octet-stream").await;
    let b2 = upload_blob(&acct, &two, "text/plain").await;
    create_record(
        &acct,
        "com.example.note",
        json!({"text": "hello", "createdAt": "2026-01-01T00:00:00Z"}),
    )
    .await;
    create_record(
        &acct,
        "com.example.gallery",
        json!({"files": [b1, b2], "createdAt": "2026-01-01T00:00:00Z"}),
    )
    .await;
    w.sign_in(&acct).await;

    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("backup");
    let seen_progress = Mutex::new(Vec::new());
    let progress = |p: backup::BackupProgress| seen_progress.lock().unwrap().push(p);
    let summary = backup::backup_account(
        &w.accounts,
        Some(&acct.handle),
        &folder,
        &progress,
        &CancellationToken::new(),
    )
    .await
    .expect("backup");
    assert_eq!(summary.did, acct.did);
    assert_eq!((summary.blobs_total, summary.blobs_downloaded), (2, 2));
    let car = std::fs::read(folder.join(backup::CAR_FILE)).unwrap();
    assert_eq!(car.len() as u64, summary.car_bytes);
    // A CARv1 header: a varint length, then a DAG-CBOR map of {roots, version}.
    assert_eq!(car[1], 0xa2, "CAR header map");
    let head = String::from_utf8_lossy(&car[..car.len().min(64)]).into_owned();
    assert!(
        head.contains("roots") && head.contains("version"),
        "{head:?}"
    );
    for (blob, bytes) in [(&b1, &one), (&b2, &two)] {
        let path = folder.join(backup::BLOB_DIR).join(cid_of(blob));
        assert_eq!(&std::fs::read(&path).unwrap(), bytes, "{}", path.display());
    }
    let progress_seen = seen_progress.lock().unwrap().clone();
    assert!(
        progress_seen
            .iter()
            .any(|p| p.step == BackupStep::Repo && p.done > 0)
    );
    let last = progress_seen.last().expect("progress was reported");
    assert_eq!(
        (last.step, last.done, last.total),
        (BackupStep::Blobs, 2, Some(2))
    );
    assert!(
        std::fs::read_dir(folder.join(backup::BLOB_DIR))
            .unwrap()
            .all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".part")),
        "no partial files remain"
    );

    // Resume: one blob lost, the other kept: only the lost one is downloaded again.
    std::fs::remove_file(folder.join(backup::BLOB_DIR).join(cid_of(&b1))).unwrap();
    let again = backup::backup_account(
        &w.accounts,
        None,
        &folder,
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .expect("second backup");
    assert_eq!((again.blobs_downloaded, again.blobs_skipped), (1, 1));
    assert_eq!(
        std::fs::read(folder.join(backup::BLOB_DIR).join(cid_of(&b1))).unwrap(),
        one
    );

    let cancel = CancellationToken::new();
    cancel.cancel();
    let err = backup::backup_account(
        &w.accounts,
        None,
        &dir.path().join("other"),
        &|_| {},
        &cancel,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, BackupError::Cancelled), "{err}");
}

/// Deleting asks for the mailed code and the handle typed exactly; a wrong handle or password is
/// refused; the right ones delete the account on the PDS and in Stratos.
#[tokio::test]
async fn delete_with_code_and_typed_handle() {
    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    w.sign_in(&acct).await;
    let before = w
        .net
        .count_mails(&acct.email, subjects::ACCOUNT_DELETION)
        .await;
    deletion::request(&w.accounts, None, StepUp::default())
        .await
        .expect("request deletion");
    let c = w
        .net
        .wait_code(&acct.email, subjects::ACCOUNT_DELETION, before)
        .await;

    let err = deletion::delete(
        &w.accounts,
        None,
        &acct.handle.to_uppercase(),
        &acct.password,
        &c,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DeletionError::HandleMismatch { .. }), "{err}");
    let err = deletion::delete(&w.accounts, None, &acct.handle, "wrong password", &c)
        .await
        .unwrap_err();
    assert!(matches!(err, DeletionError::WrongPassword), "{err}");
    let err = deletion::delete(
        &w.accounts,
        None,
        &acct.handle,
        &acct.password,
        "AAAAA-BBBBB",
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DeletionError::WrongCode), "{err}");
    assert!(
        w.accounts.find(Some(&acct.did)).is_ok(),
        "nothing deleted yet"
    );

    let deleted = deletion::delete(&w.accounts, None, &acct.handle, &acct.password, &c)
        .await
        .expect("delete");
    assert_eq!(deleted.did, acct.did);
    assert!(deleted.forgotten_locally);
    assert!(w.accounts.state().unwrap().accounts.is_empty());
    assert!(w.secret(&acct.did).is_none(), "keychain entry removed");
    let status = xrpc_get(
        &acct.pds_url,
        "com.atproto.sync.getRepoStatus",
        &[("did", &acct.did)],
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(status.error, "RepoNotFound", "{status}");
    assert!(
        w.net
            .create_session(&acct.pds_url, &acct.handle, &acct.password, None)
            .await
            .is_err()
    );
}

/// A browser sign-in cannot ask for a deletion code on its own: it needs the password (a
/// step-up session, never stored); with it, the account is deleted and forgotten locally even
/// though its OAuth session can no longer be revoked.
#[tokio::test]
async fn browser_sign_in_deletes_with_the_password() {
    use stratos_core::AccountsError;

    let w = World::start();
    let acct = w.net.create_account(w.net.pds1()).await;
    w.browser_sign_in(&acct).await;

    let err = deletion::request(&w.accounts, None, StepUp::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, DeletionError::Accounts(AccountsError::PasswordNeeded)),
        "{err}"
    );
    let before = w
        .net
        .count_mails(&acct.email, subjects::ACCOUNT_DELETION)
        .await;
    let step_up = StepUp {
        password: Some(&acct.password),
        auth_factor_token: None,
    };
    deletion::request(&w.accounts, None, step_up)
        .await
        .expect("request with the password");
    let c = w
        .net
        .wait_code(&acct.email, subjects::ACCOUNT_DELETION, before)
        .await;
    let deleted = deletion::delete(&w.accounts, None, &acct.handle, &acct.password, &c)
        .await
        .expect("delete");
    assert!(deleted.forgotten_locally);
    assert!(w.accounts.state().unwrap().accounts.is_empty());
    assert!(w.secret(&acct.did).is_none());
}
