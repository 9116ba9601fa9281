//! Creating an account on a PDS: the sign-up form the server describes, a live handle check, the
//! account itself (optionally with a recovery key of the person's own), then a normal sign-in.
//!
//! A recovery key is generated in the keychain ([`crate::keys`]) and sent as `recoveryKey`; the
//! PDS puts it FIRST in the new DID's rotation keys, above its own, so the person can take their
//! identity back even from a PDS that disappears or turns hostile. Servers that need a captcha or
//! phone verification cannot be served by a form here: [`crate::Accounts::oauth_sign_up`] opens
//! the server's own sign-up page instead (OAuth with `prompt=create`).

use jacquard_api::com_atproto::identity::resolve_handle::ResolveHandle;
use jacquard_api::com_atproto::server::create_account::CreateAccount;
use jacquard_api::com_atproto::server::describe_server::DescribeServer;
use jacquard_api::com_atproto::temp::check_handle_availability::{
    CheckHandleAvailability, CheckHandleAvailabilityOutputResult,
};
use jacquard_common::deps::smol_str::SmolStr;
use jacquard_common::types::string::Handle;
use serde::Serialize;
use url::Url;

use crate::accounts::{Accounts, AccountsError, LoginRequest};
use crate::base::identifier::{ParseError, parse_service_url};
use crate::base::problem::{Explain, Problem};
use crate::keys::{self, KeyError, KeyRecord, KeyType};
use crate::net::xrpc::XrpcError;
use crate::store::state::AccountRecord;

/// What a server asks for at sign-up (`com.atproto.server.describeServer`), to build the form.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignupForm {
    /// The server's address, normalised.
    pub pds_url: String,
    /// Its service DID.
    pub server_did: String,
    /// Handle domains it offers, with their leading dot (`.bsky.social`).
    pub domains: Vec<String>,
    /// Whether an invite code is needed.
    pub invite_code_required: bool,
    /// Whether the server wants a verified phone number, which only its own sign-up page (in the
    /// browser) can collect.
    pub phone_verification_required: bool,
    /// Terms of service to link to.
    pub terms_of_service: Option<String>,
    /// Privacy policy to link to.
    pub privacy_policy: Option<String>,
    /// The operator's contact address.
    pub contact_email: Option<String>,
}

/// Whether a handle can be taken, for live feedback while typing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HandleCheck {
    /// The handle checked, normalised (lower case).
    pub handle: String,
    /// True when nobody has it.
    pub available: bool,
    /// Why not, when it is not.
    pub reason: Option<String>,
    /// Other handles the server suggests (servers with `checkHandleAvailability` only).
    pub suggestions: Vec<String>,
}

/// What a person filled in.
#[derive(Clone, Default)]
pub struct NewAccount {
    /// The PDS address.
    pub pds_host: String,
    /// The full handle (`alice.bsky.social`).
    pub handle: String,
    /// The email address (the reference PDS requires one).
    pub email: String,
    /// The password.
    pub password: String,
    /// The invite code, when the server requires one.
    pub invite_code: Option<String>,
    /// Make a recovery key of this type in the keychain and put it first in the rotation keys.
    pub recovery_key: Option<KeyType>,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("pds_host", &self.pds_host)
            .field("handle", &self.handle)
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field(
                "invite_code",
                &self.invite_code.as_ref().map(|_| "<redacted>"),
            )
            .field("recovery_key", &self.recovery_key)
            .finish()
    }
}

/// The new account, signed in, and its recovery key if one was made.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    /// The account as signed in now (selected, like any new sign-in).
    pub account: AccountRecord,
    /// The recovery key, held in the keychain; export it somewhere safe.
    pub recovery_key: Option<KeyRecord>,
}

/// Why an account could not be created, in terms a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// Signing in afterwards or reaching the server failed.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// The server could not be reached or answered wrongly.
    #[error(transparent)]
    Xrpc(#[from] XrpcError),
    /// The recovery key could not be made or stored.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The server address is not usable.
    #[error(transparent)]
    BadInput(#[from] ParseError),
    /// A required field is empty.
    #[error("the {field} is empty")]
    EmptyField {
        /// The field, in the person's words.
        field: &'static str,
    },
    /// The handle is not valid.
    #[error("{handle:?} cannot be used as a handle: {reason}")]
    BadHandle {
        /// What was typed.
        handle: String,
        /// Why.
        reason: String,
    },
    /// The handle is not under one of the server's domains.
    #[error("{handle} is not under a domain this server offers ({})", domains.join(", "))]
    UnsupportedDomain {
        /// What was typed.
        handle: String,
        /// What the server offers.
        domains: Vec<String>,
    },
    /// Somebody has the handle.
    #[error("the handle {handle} is already taken")]
    HandleTaken {
        /// The handle.
        handle: String,
    },
    /// The email address is refused.
    #[error("the server does not accept the email address {email:?}")]
    BadEmail {
        /// The address.
        email: String,
    },
    /// Another account uses the email address.
    #[error("another account on this server already uses {email}")]
    EmailTaken {
        /// The address.
        email: String,
    },
    /// The invite code is missing or used up.
    #[error("this server needs a valid invite code")]
    InviteNeeded,
    /// The server wants phone verification or a captcha.
    #[error("this server verifies new accounts on its own sign-up page")]
    NeedsBrowser,
}

impl Explain for CreateError {
    fn explain(&self) -> Problem {
        let p = |code, hint: Option<&str>| Problem::new(code, self, hint);
        match self {
            CreateError::Accounts(e) => e.explain(),
            CreateError::Xrpc(e) => e.explain(),
            CreateError::Key(e) => e.explain(),
            CreateError::BadInput(e) => e.explain(),
            CreateError::EmptyField { .. } => p("empty_field", None),
            CreateError::BadHandle { .. } => p(
                "bad_handle",
                Some("Use letters, digits and hyphens; the first part must be 3 to 18 characters."),
            ),
            CreateError::UnsupportedDomain { .. } => p(
                "unsupported_domain",
                Some(
                    "Pick one of the server's domains; you can switch to your own domain after creating the account.",
                ),
            ),
            CreateError::HandleTaken { .. } => p("handle_taken", Some("Choose another handle.")),
            CreateError::BadEmail { .. } => p("bad_email", Some("Use another address.")),
            CreateError::EmailTaken { .. } => p(
                "email_taken",
                Some("Sign in to that account instead, or use another address."),
            ),
            CreateError::InviteNeeded => p(
                "invite_needed",
                Some("Ask the server's operator (or a friend on it) for an invite code."),
            ),
            CreateError::NeedsBrowser => p(
                "needs_browser",
                Some(
                    "Create the account in your browser on the server's own page (Stratos opens it and signs you in afterwards).",
                ),
            ),
        }
    }
}

/// Reads what the server at `pds_host` needs for sign-up.
pub async fn describe(accounts: &Accounts, pds_host: &str) -> Result<SignupForm, CreateError> {
    let pds = server(pds_host)?;
    let d = accounts
        .context()
        .xrpc()
        .send(&pds, &DescribeServer, None)
        .await?;
    Ok(SignupForm {
        pds_url: pds.as_str().trim_end_matches('/').to_owned(),
        server_did: d.did.as_str().to_owned(),
        domains: d
            .available_user_domains
            .iter()
            .map(|s| s.to_string())
            .collect(),
        invite_code_required: d.invite_code_required.unwrap_or(false),
        phone_verification_required: d.phone_verification_required.unwrap_or(false),
        terms_of_service: d
            .links
            .as_ref()
            .and_then(|l| l.terms_of_service.as_ref())
            .map(|u| u.as_str().to_owned()),
        privacy_policy: d
            .links
            .as_ref()
            .and_then(|l| l.privacy_policy.as_ref())
            .map(|u| u.as_str().to_owned()),
        contact_email: d
            .contact
            .as_ref()
            .and_then(|c| c.email.as_ref())
            .map(|e| e.to_string()),
    })
}

/// Checks whether `handle` can be created on the server: its syntax and domain here, then the
/// server's `com.atproto.temp.checkHandleAvailability` where it has one, else the server's own
/// `resolveHandle` (which a reference PDS answers from its account table for its domains).
pub async fn check_handle(
    accounts: &Accounts,
    form: &SignupForm,
    handle: &str,
) -> Result<HandleCheck, CreateError> {
    let handle = valid_handle(form, handle)?;
    let pds = server(&form.pds_url)?;
    let parsed = Handle::<SmolStr>::new_owned(&handle).map_err(|e| CreateError::BadHandle {
        handle: handle.clone(),
        reason: e.to_string(),
    })?;
    let ask = CheckHandleAvailability::<SmolStr> {
        handle: parsed.clone(),
        email: None,
        birth_date: None,
    };
    let taken = |reason: &str, suggestions: Vec<String>| HandleCheck {
        handle: handle.clone(),
        available: false,
        reason: Some(reason.to_owned()),
        suggestions,
    };
    match accounts.context().xrpc().send(&pds, &ask, None).await {
        Ok(out) => {
            return Ok(match out.result {
                CheckHandleAvailabilityOutputResult::ResultAvailable(_) => HandleCheck {
                    handle: handle.clone(),
                    available: true,
                    reason: None,
                    suggestions: Vec::new(),
                },
                CheckHandleAvailabilityOutputResult::ResultUnavailable(u) => taken(
                    "already taken",
                    u.suggestions
                        .iter()
                        .map(|s| s.handle.as_str().to_owned())
                        .collect(),
                ),
                _ => taken("the server's answer was not understood", Vec::new()),
            });
        }
        Err(e) if not_implemented(&e) => {}
        Err(e) => return Err(e.into()),
    }
    let resolve = ResolveHandle::<SmolStr> { handle: parsed };
    match accounts.context().xrpc().send(&pds, &resolve, None).await {
        Ok(_) => Ok(taken("already taken", Vec::new())),
        Err(e) if e.error_name() == Some("HandleNotFound") => Ok(HandleCheck {
            handle,
            available: true,
            reason: None,
            suggestions: Vec::new(),
        }),
        Err(e) => Err(e.into()),
    }
}

/// Creates the account, then signs in to it with the password like a normal sign-in (the session
/// goes to the keychain and the account becomes the selected one).
pub async fn create(accounts: &Accounts, new: NewAccount) -> Result<Created, CreateError> {
    let form = describe(accounts, &new.pds_host).await?;
    if form.phone_verification_required {
        return Err(CreateError::NeedsBrowser);
    }
    let handle = valid_handle(&form, &new.handle)?;
    let email = new.email.trim().to_owned();
    if email.is_empty() {
        return Err(CreateError::EmptyField {
            field: "email address",
        });
    }
    if new.password.is_empty() {
        return Err(CreateError::EmptyField { field: "password" });
    }
    let invite = new
        .invite_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if form.invite_code_required && invite.is_none() {
        return Err(CreateError::InviteNeeded);
    }
    let recovery = match new.recovery_key {
        Some(kind) => Some(keys::generate(accounts, kind).await?),
        None => None,
    };
    let pds = server(&form.pds_url)?;
    let req = CreateAccount::<SmolStr> {
        handle: Handle::new_owned(&handle).map_err(|e| CreateError::BadHandle {
            handle: handle.clone(),
            reason: e.to_string(),
        })?,
        email: Some(SmolStr::new(&email)),
        password: Some(SmolStr::new(&new.password)),
        invite_code: invite.map(SmolStr::new),
        recovery_key: recovery.as_ref().map(|k| SmolStr::new(&k.did_key)),
        did: None,
        plc_op: None,
        verification_code: None,
        verification_phone: None,
        extra_data: None,
    };
    let out = match accounts.context().xrpc().send(&pds, &req, None).await {
        Ok(out) => out,
        Err(e) => {
            if let Some(k) = &recovery {
                // The key protects nothing; leaving it would only clutter the key list.
                if let Err(forget) = keys::forget(accounts, &k.did_key).await {
                    log::warn!("could not remove the unused recovery key: {forget}");
                }
            }
            return Err(refusal(e, &handle, &email));
        }
    };
    let did = out.did.as_str().to_owned();
    log::info!("created {handle} ({did}) on {}", form.pds_url);
    let account = accounts
        .login_password(LoginRequest {
            identifier: did,
            password: new.password,
            auth_factor_token: None,
            pds_host: Some(form.pds_url),
        })
        .await?;
    Ok(Created {
        account,
        recovery_key: recovery,
    })
}

fn server(pds_host: &str) -> Result<Url, CreateError> {
    if pds_host.trim().is_empty() {
        return Err(CreateError::EmptyField {
            field: "server address",
        });
    }
    Ok(parse_service_url(pds_host)?)
}

/// The handle lower-cased, checked for syntax and for a domain the server offers. The first label
/// must be 3 to 18 characters: the reference PDS's rule, checked here for instant feedback.
fn valid_handle(form: &SignupForm, input: &str) -> Result<String, CreateError> {
    let handle = input.trim().trim_start_matches('@').to_ascii_lowercase();
    if handle.is_empty() {
        return Err(CreateError::EmptyField { field: "handle" });
    }
    let bad = |reason: &str| CreateError::BadHandle {
        handle: handle.clone(),
        reason: reason.to_owned(),
    };
    let Some(domain) = form
        .domains
        .iter()
        .find(|d| handle.ends_with(d.as_str()) && handle.len() > d.len())
    else {
        return Err(CreateError::UnsupportedDomain {
            handle: handle.clone(),
            domains: form.domains.clone(),
        });
    };
    let name = &handle[..handle.len() - domain.len()];
    if name.contains('.') {
        return Err(bad("the name before the domain cannot contain a dot"));
    }
    if !(3..=18).contains(&name.len()) {
        return Err(bad("the name before the domain must be 3 to 18 characters"));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(bad("the name cannot start or end with a hyphen"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(bad("only letters, digits and hyphens are allowed"));
    }
    Handle::<SmolStr>::new_owned(&handle).map_err(|e| bad(&e.to_string()))?;
    Ok(handle)
}

/// `checkHandleAvailability` is optional ("temp"): a server without it answers 501, 404, or (the
/// reference PDS, which proxies unknown methods to its app view) 401 `AuthMissing`. Any answer
/// but a usable one means "ask another way"; only an unreachable server is an error.
fn not_implemented(e: &XrpcError) -> bool {
    matches!(e, XrpcError::Server { .. } | XrpcError::BadResponse { .. })
}

/// Maps createAccount's refusals to what the person can change.
fn refusal(e: XrpcError, handle: &str, email: &str) -> CreateError {
    let message = match &e {
        XrpcError::Server { message, .. } => message.clone().unwrap_or_default(),
        _ => String::new(),
    };
    match e.error_name() {
        Some("InvalidHandle") => CreateError::BadHandle {
            handle: handle.to_owned(),
            reason: message,
        },
        Some("HandleNotAvailable") => CreateError::HandleTaken {
            handle: handle.to_owned(),
        },
        Some("InvalidInviteCode") => CreateError::InviteNeeded,
        Some("InvalidEmail") => CreateError::BadEmail {
            email: email.to_owned(),
        },
        Some("InvalidRequest") if message.starts_with("Handle already taken") => {
            CreateError::HandleTaken {
                handle: handle.to_owned(),
            }
        }
        Some("InvalidRequest") if message.starts_with("Email already taken") => {
            CreateError::EmailTaken {
                email: email.to_owned(),
            }
        }
        Some("InvalidRequest") if message.contains("email address is not supported") => {
            CreateError::BadEmail {
                email: email.to_owned(),
            }
        }
        Some("InvalidPhoneVerification" | "InvalidVerificationCode") => CreateError::NeedsBrowser,
        _ => CreateError::Xrpc(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> SignupForm {
        SignupForm {
            pds_url: "https://pds.social".into(),
            server_did: "did:web:pds.social".into(),
            domains: vec![".pds.social".into(), ".alt.social".into()],
            invite_code_required: false,
            phone_verification_required: false,
            terms_of_service: None,
            privacy_policy: None,
            contact_email: None,
        }
    }

    #[test]
    fn handles_are_checked_locally_first() {
        let f = form();
        assert_eq!(
            valid_handle(&f, " @Alice.PDS.social ").unwrap(),
            "alice.pds.social"
        );
        assert_eq!(
            valid_handle(&f, "bob-1.alt.social").unwrap(),
            "bob-1.alt.social"
        );
        for (bad, want) in [
            ("al.pds.social", "3 to 18"),
            ("averyveryverylongname1.pds.social", "3 to 18"),
            ("a.b.pds.social", "dot"),
            ("-alice.pds.social", "hyphen"),
            ("al_ice.pds.social", "letters"),
        ] {
            match valid_handle(&f, bad) {
                Err(CreateError::BadHandle { reason, .. }) => {
                    assert!(reason.contains(want), "{bad}: {reason}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(matches!(
            valid_handle(&f, "alice.example.org"),
            Err(CreateError::UnsupportedDomain { .. })
        ));
        assert!(matches!(
            valid_handle(&f, ".pds.social"),
            Err(CreateError::UnsupportedDomain { .. })
        ));
        assert!(matches!(
            valid_handle(&f, "  "),
            Err(CreateError::EmptyField { .. })
        ));
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let n = NewAccount {
            password: "hunter22-secret".into(),
            invite_code: Some("invite-secret".into()),
            ..Default::default()
        };
        let text = format!("{n:?}");
        assert!(!text.contains("secret"), "{text}");
    }
}
