//! The steps of a recovery, each idempotent so that a resume may repeat the one that was
//! interrupted. None of them contacts the old PDS: the PLC directory, the keychain, the backup
//! folder and the new PDS are all they use.

use futures::StreamExt;
use std::path::Path;

use chrono::Utc;
use jacquard_api::com_atproto::server::activate_account::ActivateAccount;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::journal::{Journal, Journals, Step};
use super::{Event, Plan, RecoverError};
use crate::accounts::{Accounts, LoginRequest};
use crate::auth::session::AccountSession;
use crate::backup::export::{ExportSummary, Signer, export_rebuilt, export_snapshot};
use crate::base::did_key::PublicKey;
use crate::base::identifier::parse_service_url;
use crate::keys::{self, KeyType};
use crate::net::xrpc::{Auth, Raw, XrpcError};
use crate::plc::guard::{self, Edit};
use crate::plc::{self, MAX_ROTATION_KEYS, PlcFields};
use crate::service_auth::{self, TokenRequest};

/// What an identity-only recovery means for the person, said before anything is made.
pub(super) const IDENTITY_ONLY: &str = "no copy of the data is restored: the account comes back empty, with no posts, follows, likes, media or other records; only the identity (DID, handle) moves to the new server";

/// How long the offline creation token is valid.
const CREATE_TOKEN_LIFETIME: std::time::Duration = std::time::Duration::from_secs(600);

/// Checks everything before anything is created, and returns the journal to start with.
pub(super) async fn check(accounts: &Accounts, plan: &Plan) -> Result<Journal, RecoverError> {
    let did = match plan.did.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => d.to_owned(),
        None => super::only_account(&plan.backup_dir)?,
    };
    let mut blockers = Vec::new();
    let handle = plan
        .handle
        .trim()
        .trim_start_matches('@')
        .to_ascii_lowercase();
    if handle.is_empty() {
        blockers.push("choose a handle on the new server".to_owned());
    }
    if !plan.email.contains('@') {
        blockers.push("give an email address for the new server".to_owned());
    }
    if plan.password.as_deref().is_none_or(|p| p.len() < 8) {
        blockers.push("choose a password of at least 8 characters for the new server".to_owned());
    }
    let rotation_key = rotation_key_in_force(accounts, &did, plan.rotation_key.as_deref()).await?;
    let restore = if plan.identity_only {
        None
    } else if plan.backup_dir.as_os_str().is_empty() {
        return Err(RecoverError::NoBackup(did));
    } else {
        Some(
            super::damage::restorable(
                &plan.backup_dir,
                &did,
                plan.snapshot.as_deref(),
                plan.skip_damaged,
            )
            .await?,
        )
    };
    let pds = parse_service_url(&plan.pds)?;
    let described = accounts
        .context()
        .xrpc()
        .get_json(&pds, "com.atproto.server.describeServer", &[])
        .await
        .map_err(xrpc)?;
    let service_did = described["did"].as_str().unwrap_or_default().to_owned();
    if service_did.is_empty() {
        blockers.push("the new server does not say its service DID (describeServer)".to_owned());
    }
    let domains: Vec<&str> = described["availableUserDomains"]
        .as_array()
        .map(|a| a.iter().filter_map(|d| d.as_str()).collect())
        .unwrap_or_default();
    if !handle.is_empty() && !domains.is_empty() && !domains.iter().any(|d| handle.ends_with(d)) {
        blockers.push(format!(
            "the handle {handle} is not under the new server's domains ({})",
            domains.join(", ")
        ));
    }
    let invite_code = plan.invite_code.clone().filter(|c| !c.trim().is_empty());
    if described["inviteCodeRequired"].as_bool() == Some(true) && invite_code.is_none() {
        blockers.push("the new server needs an invite code".to_owned());
    }
    if !blockers.is_empty() {
        return Err(RecoverError::Blocked(blockers));
    }
    let now = Utc::now();
    let (snapshot, expected_records, expected_blobs, skipped_blobs, missing, rebuild) =
        match restore {
            Some(r) => (
                r.snapshot,
                r.report.records,
                r.report.blobs,
                r.skipped_blobs,
                r.missing,
                r.rebuild,
            ),
            None => (
                String::new(),
                Default::default(),
                0,
                Vec::new(),
                vec![IDENTITY_ONLY.to_owned()],
                false,
            ),
        };
    Ok(Journal {
        did,
        pds: pds.as_str().trim_end_matches('/').to_owned(),
        service_did,
        handle,
        email: plan.email.trim().to_owned(),
        invite_code,
        backup_dir: plan.backup_dir.clone(),
        snapshot,
        rotation_key,
        signing_key: None,
        expected_records,
        expected_blobs,
        records: Default::default(),
        blobs_uploaded: 0,
        notes: Vec::new(),
        identity_only: plan.identity_only,
        skipped_blobs,
        missing,
        rebuild,
        done: vec![Step::Check],
        started_at: now,
        updated_at: now,
    })
}

/// The person's rotation key that will sign: `wanted` (or the first keychain key among the
/// DID's rotation keys), refused unless it is both in this keychain and in force now.
async fn rotation_key_in_force(
    accounts: &Accounts,
    did: &str,
    wanted: Option<&str>,
) -> Result<String, RecoverError> {
    let current = plc::current(accounts, did).await?;
    let in_force = &current.fields.rotation_keys;
    let refuse = |reason: String| RecoverError::NoRotationKey {
        did: did.to_owned(),
        reason,
    };
    let key = match wanted.map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => {
            let key = PublicKey::parse(k)
                .map_err(|e| refuse(format!("{k} is not a key: {e}")))?
                .did_key();
            if !in_force.contains(&key) {
                return Err(refuse(format!(
                    "{key} is not among its rotation keys in force ({})",
                    in_force.join(", ")
                )));
            }
            key
        }
        None => {
            let held = keys::list(accounts)?;
            held.iter()
                .map(|k| k.did_key.clone())
                .find(|k| in_force.contains(k))
                .ok_or_else(|| {
                    refuse(format!(
                        "none of the {} key(s) in this keychain is among its rotation keys in force ({})",
                        held.len(),
                        in_force.join(", ")
                    ))
                })?
        }
    };
    keys::load(accounts, &key).await.map_err(|e| {
        refuse(format!(
            "{key} is a rotation key but this keychain cannot use it: {e}"
        ))
    })?;
    Ok(key)
}

/// Runs the steps from the first unfinished one to the end.
pub(super) async fn run(
    accounts: &Accounts,
    journals: &Journals,
    j: &mut Journal,
    password: Option<&str>,
    progress: &(dyn Fn(Event) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<(), RecoverError> {
    let mut export: Option<ExportSummary> = None;
    while let Some(step) = j.next() {
        if cancel.is_cancelled() {
            return Err(RecoverError::Cancelled);
        }
        progress(Event::StepStarted { step });
        log::info!("recovery of {}: {}", j.did, step.label());
        match step {
            Step::Check => {}
            Step::SigningKey => {
                if j.signing_key.is_none() {
                    j.signing_key = Some(keys::generate(accounts, KeyType::K256).await?.did_key);
                }
            }
            Step::SigningKeyOp => signing_key_op(accounts, j).await?,
            Step::CreateAccount => create_account(accounts, j, password).await?,
            Step::IdentityOp => identity_op(accounts, j).await?,
            Step::Repo | Step::Blobs | Step::Preferences if j.identity_only => {}
            Step::Repo => {
                let car = exported(accounts, journals, j, &mut export)
                    .await?
                    .car_path
                    .clone();
                crate::backup::export::import_repo(accounts, Some(&j.did), &car).await?;
            }
            Step::Blobs => {
                let dir = exported(accounts, journals, j, &mut export)
                    .await?
                    .blobs_dir
                    .clone();
                j.blobs_uploaded += upload_blobs(accounts, j, &dir, progress, cancel).await?;
            }
            Step::Preferences => {
                let exported = exported(accounts, journals, j, &mut export).await?;
                match &exported.preferences_path {
                    Some(path) => {
                        let text = std::fs::read_to_string(path).map_err(|e| disk(path, e))?;
                        let list = crate::prefs::parse_file(&text)?;
                        crate::prefs::import(accounts, &j.did, &list).await?;
                    }
                    None => j
                        .notes
                        .push("the snapshot holds no preferences; none restored".to_owned()),
                }
            }
            Step::Activate => {
                session(accounts, j).await?.call(&ActivateAccount).await?;
            }
            Step::Verify => verify(accounts, j).await?,
        }
        j.done.push(step);
        journals.save(j)?;
        progress(Event::StepDone { step });
    }
    let work = journals.work_dir(&j.did);
    if work.exists()
        && let Err(e) = std::fs::remove_dir_all(&work)
    {
        log::warn!(
            "could not remove the working folder {}: {e}",
            work.display()
        );
    }
    log::info!("recovery of {} to {} finished", j.did, j.pds);
    Ok(())
}

/// The signing key named as `verificationMethods.atproto`, signed with the person's key.
async fn signing_key_op(accounts: &Accounts, j: &Journal) -> Result<(), RecoverError> {
    let key = j.signing_key.clone().expect("made by the step before");
    let current = plc::current(accounts, &j.did).await?;
    if current.fields.verification_methods.get("atproto") == Some(&key) {
        return Ok(());
    }
    let edit = Edit {
        atproto_key: Some(key),
        ..Edit::default()
    };
    let prepared = guard::prepare_update(accounts, &j.did, &edit, &j.rotation_key).await?;
    guard::submit_update(accounts, &prepared).await?;
    Ok(())
}

/// `createAccount` with the same DID and a token signed here with the new signing key, then a
/// password sign-in that makes the new server the account's home in Stratos. On a resume where
/// the account already exists, the sign-in alone proves it is ours.
async fn create_account(
    accounts: &Accounts,
    j: &Journal,
    password: Option<&str>,
) -> Result<(), RecoverError> {
    let password = password
        .filter(|p| !p.is_empty())
        .ok_or(RecoverError::PasswordNeeded)?;
    let signing_key = j.signing_key.as_deref().expect("made by an earlier step");
    let token = service_auth::sign_offline_stored(
        accounts,
        signing_key,
        &j.did,
        &TokenRequest {
            aud: j.service_did.clone(),
            lxm: Some("com.atproto.server.createAccount".to_owned()),
            duration: Some(CREATE_TOKEN_LIFETIME),
        },
    )
    .await?;
    let mut input = json!({
        "did": j.did, "handle": j.handle, "email": j.email, "password": password,
    });
    if let Some(code) = &j.invite_code {
        input["inviteCode"] = code.as_str().into();
    }
    let pds = parse_service_url(&j.pds)?;
    let created = accounts
        .context()
        .xrpc()
        .send_raw(
            &pds,
            Raw {
                method: reqwest::Method::POST,
                nsid: "com.atproto.server.createAccount",
                query: &[],
                body: Some((
                    "application/json",
                    serde_json::to_vec(&input).expect("JSON serialises").into(),
                )),
            },
            Auth::Bearer(&token.token),
        )
        .await;
    let login = accounts
        .login_password(LoginRequest {
            identifier: j.did.clone(),
            password: password.to_owned(),
            auth_factor_token: None,
            pds_host: Some(j.pds.clone()),
        })
        .await;
    match (created, login) {
        (_, Ok(_)) => Ok(()),
        (Err(e), Err(_)) => Err(RecoverError::CreateRefused(e.to_string())),
        (Ok(_), Err(e)) => Err(e.into()),
    }
}

/// Points the identity at the new server: its recommended signing key and PDS, the new handle
/// first among the aliases, the person's key first among the rotation keys and the new
/// server's after it. Other services and aliases stay; of the other rotation keys only those
/// in this keychain stay (the rest are the old server's, most likely, and it is gone).
async fn identity_op(accounts: &Accounts, j: &mut Journal) -> Result<(), RecoverError> {
    let session = session(accounts, j).await?;
    let recommended = plc::recommended(&session).await?;
    let edit = Edit {
        pds: Some(j.pds.clone()),
        ..Edit::default()
    };
    let mut prepared = guard::prepare_update(accounts, &j.did, &edit, &j.rotation_key).await?;
    let held: Vec<String> = keys::list(accounts)?
        .into_iter()
        .map(|k| k.did_key)
        .collect();
    let (after, dropped) =
        pointed_at_new_server(&prepared.before, &recommended, &j.rotation_key, &held);
    if after == prepared.before {
        return Ok(());
    }
    for key in dropped {
        j.notes.push(format!(
            "rotation key {key} was dropped: it is not in this keychain (the old server's, most likely)"
        ));
    }
    let holders = plc::words::Holders {
        yours: held,
        new_server: recommended.rotation_keys.clone(),
        old_server: Vec::new(),
    };
    prepared.changes = plc::diff_for(&prepared.before, &after, &holders);
    prepared.after = after;
    // `submit_update` records the operation as known to the identity guard.
    guard::submit_update(accounts, &prepared).await?;
    Ok(())
}

/// The fields after the switch, and the rotation keys left out.
fn pointed_at_new_server(
    before: &PlcFields,
    recommended: &PlcFields,
    person: &str,
    held: &[String],
) -> (PlcFields, Vec<String>) {
    let mut after = before.clone();
    let mut keys = vec![person.to_owned()];
    for k in &recommended.rotation_keys {
        if !keys.contains(k) {
            keys.push(k.clone());
        }
    }
    let mut dropped = Vec::new();
    for k in &before.rotation_keys {
        if keys.contains(k) {
            continue;
        }
        if held.contains(k) && keys.len() < MAX_ROTATION_KEYS {
            keys.push(k.clone());
        } else {
            dropped.push(k.clone());
        }
    }
    after.rotation_keys = keys;
    after
        .verification_methods
        .extend(recommended.verification_methods.clone());
    after.services.extend(
        recommended
            .services
            .iter()
            .filter(|(id, _)| *id == "atproto_pds")
            .map(|(id, s)| (id.clone(), s.clone())),
    );
    if let Some(alias) = recommended
        .also_known_as
        .iter()
        .find(|a| a.starts_with("at://"))
    {
        after.also_known_as.retain(|a| a != alias);
        match after
            .also_known_as
            .iter()
            .position(|a| a.starts_with("at://"))
        {
            Some(i) => after.also_known_as[i] = alias.clone(),
            None => after.also_known_as.insert(0, alias.clone()),
        }
    }
    (after, dropped)
}

/// The snapshot exported into the working folder, once per run.
async fn exported<'a>(
    accounts: &Accounts,
    journals: &Journals,
    j: &Journal,
    cache: &'a mut Option<ExportSummary>,
) -> Result<&'a ExportSummary, RecoverError> {
    if cache.is_none() {
        let work = journals.work_dir(&j.did);
        let summary = if j.rebuild {
            let key = j.signing_key.as_deref().expect("made by an earlier step");
            let key = keys::load(accounts, key).await?;
            let sign: Signer = Box::new(move |bytes: &[u8]| key.sign(bytes));
            export_rebuilt(&j.backup_dir, &j.did, Some(&j.snapshot), &work, sign).await?
        } else {
            export_snapshot(&j.backup_dir, &j.did, Some(&j.snapshot), &work).await?
        };
        *cache = Some(summary);
    }
    Ok(cache.as_ref().expect("filled above"))
}

/// Blobs uploaded at once (the transfer floor of the benchmark uses as many).
const BLOBS_AT_ONCE: usize = 8;

/// Tries of one blob upload before it counts as failed.
const UPLOAD_ATTEMPTS: u64 = 3;

/// Uploads every blob the new server reports missing from the exported blobs folder; each
/// upload is checked to yield the same CID. Returns how many were uploaded.
async fn upload_blobs(
    accounts: &Accounts,
    j: &Journal,
    dir: &Path,
    progress: &(dyn Fn(Event) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<u64, RecoverError> {
    let session = session(accounts, j).await?;
    let missing: Vec<String> = crate::migrate::missing_blobs(&session)
        .await?
        .into_iter()
        .filter(|cid| !j.skipped_blobs.contains(cid))
        .collect();
    let total = missing.len() as u64;
    let mut done = 0;
    let mut failed = Vec::new();
    progress(Event::Blobs { done, total });
    // Several at a time, as the transfer floor does; each upload still checked on its own.
    let session = &session;
    // (Collected first: a stream over a borrowing iterator would not be `Send` for the app's
    // background task.)
    let jobs: Vec<_> = missing
        .into_iter()
        .map(|cid| async move {
            let path = dir.join(&cid);
            if !path.exists() {
                return (cid, Err("not in the backup".to_owned()));
            }
            // A server busy with the other uploads may fail one now and then (the reference PDS
            // answers 500 under load): such a failure is tried again, as the migration does.
            let mut attempt = 1;
            let out = loop {
                let out = session
                    .procedure_stream(
                        "com.atproto.repo.uploadBlob",
                        "application/octet-stream",
                        || file_body(&path, "com.atproto.repo.uploadBlob"),
                    )
                    .await;
                match &out {
                    Err(crate::auth::session::SessionError::Xrpc(e))
                        if attempt < UPLOAD_ATTEMPTS && crate::migrate::transient(e) =>
                    {
                        log::info!("blob {cid}: upload attempt {attempt} failed ({e}); again");
                        tokio::time::sleep(std::time::Duration::from_secs(attempt)).await;
                        attempt += 1;
                    }
                    _ => break out,
                }
            };
            let outcome = match out {
                Ok(v)
                    if v.pointer("/blob/ref/$link").and_then(|l| l.as_str())
                        == Some(cid.as_str()) =>
                {
                    Ok(())
                }
                Ok(v) => Err(format!("stored as {}", v["blob"]["ref"]["$link"])),
                Err(e) => Err(e.to_string()),
            };
            (cid, outcome)
        })
        .collect();
    let mut uploads = futures::stream::iter(jobs).buffer_unordered(BLOBS_AT_ONCE);
    while let Some((cid, outcome)) = uploads.next().await {
        if cancel.is_cancelled() {
            return Err(RecoverError::Cancelled);
        }
        match outcome {
            Ok(()) => {
                done += 1;
                progress(Event::Blobs { done, total });
            }
            Err(why) => failed.push(format!("{cid}: {why}")),
        }
    }
    drop(uploads);
    if !failed.is_empty() {
        return Err(RecoverError::BlobsFailed {
            count: failed.len(),
            first: failed.into_iter().take(5).collect(),
        });
    }
    Ok(done)
}

/// Records counted on the new server (its own repository export) against the snapshot; every
/// blob present.
async fn verify(accounts: &Accounts, j: &mut Journal) -> Result<(), RecoverError> {
    let session = session(accounts, j).await?;
    let mut problems = Vec::new();
    let status = session
        .query_json("com.atproto.server.checkAccountStatus", &[])
        .await?;
    let expected = status["expectedBlobs"].as_u64().unwrap_or(0);
    let imported = status["importedBlobs"].as_u64().unwrap_or(0);
    let skipped = j.skipped_blobs.len() as u64;
    if expected != imported + skipped {
        problems.push(format!(
            "the new server holds {imported} of {expected} blobs ({skipped} left out)"
        ));
    }
    let missing: Vec<String> = crate::migrate::missing_blobs(&session)
        .await?
        .into_iter()
        .filter(|cid| !j.skipped_blobs.contains(cid))
        .collect();
    if !missing.is_empty() {
        problems.push(format!("{} blob(s) still missing", missing.len()));
    }
    let repo = session
        .query_stream("com.atproto.sync.getRepo", &[("did", &j.did)])
        .await?;
    let counts = crate::migrate::count_per_collection(repo)
        .await
        .map_err(|e| {
            RecoverError::VerifyFailed(vec![format!("the new server's repository: {e}")])
        })?;
    for (collection, n) in &j.expected_records {
        let m = counts.get(collection).copied().unwrap_or(0);
        if *n != m {
            problems.push(format!(
                "{collection}: {n} records in the backup, {m} on the new server"
            ));
        }
    }
    for (collection, m) in &counts {
        if !j.expected_records.contains_key(collection) {
            problems.push(format!("{collection}: {m} records only on the new server"));
        }
    }
    if !problems.is_empty() {
        return Err(RecoverError::VerifyFailed(problems));
    }
    j.records = counts;
    Ok(())
}

/// The account's session on the new server (Stratos's record points there once created).
async fn session(
    accounts: &Accounts,
    j: &Journal,
) -> Result<std::sync::Arc<AccountSession>, RecoverError> {
    Ok(accounts.session(&j.did).await?)
}

/// A file as a streamed request body (opened again on every attempt).
async fn file_body(path: &Path, nsid: &str) -> Result<reqwest::Body, XrpcError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| XrpcError::Encode {
            nsid: nsid.to_owned(),
            detail: format!("could not read {}: {e}", path.display()),
        })?;
    Ok(reqwest::Body::wrap_stream(
        tokio_util::io::ReaderStream::new(file),
    ))
}

fn disk(path: &Path, e: std::io::Error) -> RecoverError {
    RecoverError::Backup(crate::backup::store::disk(path, e).into())
}

fn xrpc(e: XrpcError) -> RecoverError {
    RecoverError::Session(crate::auth::session::SessionError::Xrpc(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plc::PlcService;

    #[test]
    fn the_persons_key_comes_first_and_the_new_servers_after() {
        let svc = |e: &str| PlcService {
            kind: "AtprotoPersonalDataServer".into(),
            endpoint: e.into(),
        };
        let before = PlcFields {
            rotation_keys: vec!["did:key:person".into(), "did:key:oldpds".into()],
            verification_methods: [("atproto".into(), "did:key:mine".into())].into(),
            also_known_as: vec!["at://old.test".into(), "https://elsewhere".into()],
            services: [
                ("atproto_pds".into(), svc("https://old")),
                ("other".into(), svc("https://other")),
            ]
            .into(),
        };
        let recommended = PlcFields {
            rotation_keys: vec!["did:key:newpds".into()],
            verification_methods: [("atproto".into(), "did:key:newsig".into())].into(),
            also_known_as: vec!["at://me.new.test".into()],
            services: [("atproto_pds".into(), svc("https://new"))].into(),
        };
        let (after, dropped) = pointed_at_new_server(&before, &recommended, "did:key:person", &[]);
        assert_eq!(after.rotation_keys, ["did:key:person", "did:key:newpds"]);
        assert_eq!(dropped, ["did:key:oldpds"]);
        assert_eq!(after.verification_methods["atproto"], "did:key:newsig");
        assert_eq!(
            after.also_known_as,
            ["at://me.new.test", "https://elsewhere"]
        );
        assert_eq!(after.services["atproto_pds"].endpoint, "https://new");
        assert_eq!(after.services["other"].endpoint, "https://other");
    }
}
