//! `account status`: everything publicly knowable about an account, with no login, like
//! `goat account status`, plus the session's view when the account is signed in.

use chrono::{DateTime, Utc};
use jacquard_api::com_atproto::server::check_account_status::CheckAccountStatus;
use jacquard_api::com_atproto::server::describe_server::DescribeServer;
use jacquard_api::com_atproto::server::get_session::GetSession;
use jacquard_api::com_atproto::sync::get_repo_status::GetRepoStatus;
use jacquard_common::types::string::Did;
use serde::Serialize;
use url::Url;

use crate::auth::session::{AccountSession, SessionError};
use crate::base::health::Health;
use crate::base::identifier::Identifier;
use crate::identity::{HandleLookup, IdentityError, MethodAnswer, ResolvedIdentity, Resolver};
use crate::net::xrpc::Xrpc;
use crate::store::state::AuthKind;

/// The handle's verification, both ways, in words a person can read.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HandleCheck {
    /// True when the DID document's handle resolves back to the DID.
    pub verified: bool,
    /// What DNS TXT said (`skipped` when a resolver service is configured).
    pub dns: MethodAnswer,
    /// What HTTPS well-known said.
    pub https: MethodAnswer,
    /// What the configured resolver service said (`skipped` without one).
    pub service: MethodAnswer,
    /// The handle the DID document claims.
    pub doc_handle: Option<String>,
    /// Why verification failed, if it did.
    pub problem: Option<String>,
}

/// The PDS as seen from outside.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PdsStatus {
    /// Its URL from the DID document.
    pub url: Option<String>,
    /// Whether `describeServer` answered.
    pub reachable: bool,
    /// Why not, when it did not.
    pub error: Option<String>,
    /// The server's own DID.
    pub server_did: Option<String>,
    /// Software version from `/xrpc/_health`, when offered.
    pub version: Option<String>,
    /// Handle domains the server offers.
    pub available_user_domains: Vec<String>,
    /// Whether sign-up needs an invite.
    pub invite_code_required: Option<bool>,
    /// The operator's contact address.
    pub contact_email: Option<String>,
    /// Privacy policy link.
    pub privacy_policy: Option<String>,
    /// Terms of service link.
    pub terms_of_service: Option<String>,
}

/// The repository's hosting state (`com.atproto.sync.getRepoStatus`).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoStatus {
    /// Whether the repository is active.
    pub active: Option<bool>,
    /// Why not active (`deactivated`, `takendown`...).
    pub status: Option<String>,
    /// The current revision.
    pub rev: Option<String>,
    /// Why the status is unknown, when it is.
    pub error: Option<String>,
    /// Records in the repository (`checkAccountStatus`, signed-in accounts only).
    pub records: Option<u64>,
    /// Blocks of the repository: its size as the server counts it (signed-in accounts only).
    pub blocks: Option<u64>,
    /// Blobs the records reference (signed-in accounts only).
    pub blobs: Option<u64>,
}

/// What the signed-in session reports about the account.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// The account's email address.
    pub email: Option<String>,
    /// Whether the email address is confirmed.
    pub email_confirmed: bool,
    /// Whether sign-in requires an emailed code.
    pub email_auth_factor: bool,
    /// Whether the account is active.
    pub active: bool,
    /// The inactive status, if any.
    pub status: Option<String>,
    /// How Stratos is signed in.
    pub auth_kind: AuthKind,
}

/// The complete status report of one account.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountStatus {
    /// The account's DID.
    pub did: String,
    /// Its handle according to the DID document.
    pub handle: Option<String>,
    /// Handle verification.
    pub handle_check: HandleCheck,
    /// The PDS.
    pub pds: PdsStatus,
    /// The repository.
    pub repo: RepoStatus,
    /// The public profile: display name and avatar, when it has one.
    pub profile: Option<crate::profile::Profile>,
    /// The session's view, for signed-in accounts.
    pub session: Option<SessionInfo>,
    /// When this report was made.
    pub checked_at: DateTime<Utc>,
}

impl AccountStatus {
    /// The account's one-word state derived from this report: the one decision the account
    /// list, the overview and a look-up all show (an unreachable PDS first, then the session's
    /// own view, then the public repository status).
    pub fn health(&self) -> Health {
        if !self.pds.reachable {
            return Health::Unreachable;
        }
        if let Some(s) = &self.session {
            return Health::from_account_status(s.active, s.status.as_deref());
        }
        match self.repo.active {
            Some(active) => Health::from_account_status(active, self.repo.status.as_deref()),
            None => Health::Unknown,
        }
    }
}

fn handle_check(identity: &ResolvedIdentity, typed: Option<&HandleLookup>) -> HandleCheck {
    let lookup = identity.handle_lookup.as_ref().or(typed);
    let problem = match (&identity.doc_handle, identity.handle_verified) {
        (None, _) => Some("the DID document does not claim any handle".to_owned()),
        (Some(_), true) => None,
        (Some(h), false) => Some(match lookup.and_then(HandleLookup::did) {
            Some(other) => format!(
                "{} resolves to {}, not to this account",
                h.as_str(),
                other.as_str()
            ),
            None => format!("{} does not resolve to any DID", h.as_str()),
        }),
    };
    HandleCheck {
        verified: identity.handle_verified,
        dns: lookup.map_or(MethodAnswer::Skipped, |l| l.dns.clone()),
        https: lookup.map_or(MethodAnswer::Skipped, |l| l.https.clone()),
        service: lookup.map_or(MethodAnswer::Skipped, |l| l.service.clone()),
        doc_handle: identity.doc_handle.as_ref().map(|h| h.as_str().to_owned()),
        problem,
    }
}

/// Builds the report for any handle or DID without signing in.
///
/// Fails only when the identity itself cannot be resolved; an unreachable PDS is part of the
/// report (`pds.reachable == false`), because that is exactly what a person wants to know.
pub async fn lookup(
    resolver: &Resolver,
    xrpc: &Xrpc,
    id: &Identifier,
) -> Result<AccountStatus, IdentityError> {
    let identity = resolver.resolve(id).await?;
    let typed_lookup = match (id, &identity.handle_lookup) {
        (Identifier::Handle(h), None) => Some(resolver.lookup_handle(h).await),
        _ => None,
    };
    let Some(pds_url) = identity.pds.clone() else {
        return Err(IdentityError::NoPdsInDocument {
            did: identity.did.as_str().to_owned(),
        });
    };
    let (pds, repo, profile) = tokio::join!(
        pds_status(xrpc, &pds_url),
        repo_status(xrpc, &pds_url, &identity.did),
        crate::profile::fetch(xrpc, &pds_url, identity.did.as_str())
    );
    Ok(AccountStatus {
        did: identity.did.as_str().to_owned(),
        handle: identity.doc_handle.as_ref().map(|h| h.as_str().to_owned()),
        handle_check: handle_check(&identity, typed_lookup.as_ref()),
        pds,
        repo,
        profile,
        session: None,
        checked_at: Utc::now(),
    })
}

/// The report for a signed-in account: the public view plus what `getSession` says.
///
/// A session that can no longer be refreshed is an error (`Expired`), so callers can show
/// "sign in again"; everything else unreachable is described inside the report.
pub async fn for_session(
    resolver: &Resolver,
    xrpc: &Xrpc,
    session: &AccountSession,
    auth_kind: AuthKind,
) -> Result<AccountStatus, SessionError> {
    let did = Did::new_owned(session.did()).expect("stored DIDs are valid");
    let id = Identifier::Did(did.clone());
    let mut report = match lookup(resolver, xrpc, &id).await {
        Ok(r) => r,
        // The identity could not be resolved (e.g. PLC down): report on the known PDS instead.
        Err(e) => {
            let (pds, repo) = tokio::join!(
                pds_status(xrpc, session.pds()),
                repo_status(xrpc, session.pds(), &did)
            );
            AccountStatus {
                did: session.did().to_owned(),
                handle: None,
                handle_check: HandleCheck {
                    verified: false,
                    dns: MethodAnswer::Skipped,
                    https: MethodAnswer::Skipped,
                    service: MethodAnswer::Skipped,
                    doc_handle: None,
                    problem: Some(e.to_string()),
                },
                pds,
                repo,
                profile: None,
                session: None,
                checked_at: Utc::now(),
            }
        }
    };
    if !report.pds.reachable {
        return Ok(report);
    }
    let (got, counts) = tokio::join!(session.call(&GetSession), session.call(&CheckAccountStatus));
    match counts {
        Ok(c) => {
            report.repo.records = u64::try_from(c.indexed_records).ok();
            report.repo.blocks = u64::try_from(c.repo_blocks).ok();
            report.repo.blobs = u64::try_from(c.expected_blobs).ok();
        }
        Err(e) => log::debug!("no repository figures for {}: {e}", session.did()),
    }
    match got {
        Ok(s) => {
            report.session = Some(SessionInfo {
                email: s.email.map(|e| e.to_string()),
                email_confirmed: s.email_confirmed.unwrap_or(false),
                email_auth_factor: s.email_auth_factor.unwrap_or(false),
                active: s.active.unwrap_or(true),
                status: s.status.map(|st| st.as_str().to_owned()),
                auth_kind,
            });
            Ok(report)
        }
        Err(SessionError::Xrpc(e)) if e.is_unreachable() => {
            report.pds.reachable = false;
            report.pds.error = Some(e.to_string());
            Ok(report)
        }
        Err(e) => Err(e),
    }
}

/// Asks a PDS to describe itself; never fails, the answer says what went wrong.
pub async fn pds_status(xrpc: &Xrpc, url: &Url) -> PdsStatus {
    let (described, health) = tokio::join!(
        xrpc.send(url, &DescribeServer, None),
        xrpc.get_json(url, "_health", &[])
    );
    let mut status = PdsStatus {
        url: Some(url.as_str().trim_end_matches('/').to_owned()),
        ..Default::default()
    };
    match described {
        Ok(d) => {
            status.reachable = true;
            status.server_did = Some(d.did.as_str().to_owned());
            status.available_user_domains = d
                .available_user_domains
                .iter()
                .map(|s| s.to_string())
                .collect();
            status.invite_code_required = d.invite_code_required;
            status.contact_email = d.contact.and_then(|c| c.email).map(|e| e.to_string());
            if let Some(links) = d.links {
                status.privacy_policy = links.privacy_policy.map(|u| u.as_str().to_owned());
                status.terms_of_service = links.terms_of_service.map(|u| u.as_str().to_owned());
            }
        }
        Err(e) => status.error = Some(e.to_string()),
    }
    if let Ok(h) = health {
        status.version = h.get("version").and_then(|v| v.as_str()).map(str::to_owned);
    }
    status
}

/// Asks a PDS for a repository's hosting state; never fails, the answer says what went wrong.
pub async fn repo_status(xrpc: &Xrpc, url: &Url, did: &Did) -> RepoStatus {
    match xrpc
        .send(url, &GetRepoStatus { did: did.clone() }, None)
        .await
    {
        Ok(r) => RepoStatus {
            active: Some(r.active),
            status: r.status.map(|s| s.as_str().to_owned()),
            rev: r.rev.map(|t| t.as_str().to_owned()),
            error: None,
            ..Default::default()
        },
        Err(e) => RepoStatus {
            error: Some(e.to_string()),
            ..Default::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(reachable: bool, active: Option<bool>, status: Option<&str>) -> AccountStatus {
        let skipped = || MethodAnswer::Skipped;
        AccountStatus {
            did: "did:plc:example".into(),
            handle: None,
            handle_check: HandleCheck {
                verified: false,
                dns: skipped(),
                https: skipped(),
                service: skipped(),
                doc_handle: None,
                problem: None,
            },
            pds: PdsStatus {
                url: Some("https://pds.example.com".into()),
                reachable,
                ..PdsStatus::default()
            },
            repo: RepoStatus {
                active,
                status: status.map(str::to_owned),
                ..RepoStatus::default()
            },
            profile: None,
            session: None,
            checked_at: Utc::now(),
        }
    }

    #[test]
    fn an_overview_decides_its_health() {
        assert_eq!(
            report(false, Some(true), None).health(),
            Health::Unreachable
        );
        assert_eq!(report(true, Some(true), None).health(), Health::Active);
        for (status, health) in [
            ("deactivated", Health::Deactivated),
            ("takendown", Health::Takendown),
            ("suspended", Health::Suspended),
            ("desynchronized", Health::Unknown),
        ] {
            assert_eq!(report(true, Some(false), Some(status)).health(), health);
        }
        assert_eq!(report(true, None, None).health(), Health::Unknown);
        let mut signed_in = report(true, None, None);
        signed_in.session = Some(SessionInfo {
            email: None,
            email_confirmed: false,
            email_auth_factor: false,
            active: false,
            status: Some("deactivated".into()),
            auth_kind: AuthKind::Password,
        });
        assert_eq!(signed_in.health(), Health::Deactivated);
    }
}
