//! Keeps secrets out of logs: tokens and passwords are shown as a short, non-reversible hint.
//!
//! [`secret`] is for code that knows it holds a secret (a `Debug` impl); [`scrub`] is the last
//! line of defence that every log line passes through before it is written anywhere, catching
//! secrets that slipped into a message by accident (an error body echoing a token, a URL with an
//! OAuth code).

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

/// Renders a secret for a log line: its length and nothing else.
pub fn secret(value: &str) -> String {
    format!("<redacted {} chars>", value.len())
}

/// Field names whose values are secrets, in JSON (`"name": "value"`) or `name=value` form.
/// `code` covers OAuth authorization codes and emailed confirmation codes.
const SECRET_FIELDS: &str = r"(?:password|passwd|app_?password|access_?jwt|refresh_?jwt|access_?token|refresh_?token|id_?token|auth_?factor_?token|token|code|code_?verifier|secret|client_?secret|private_?key|privkey|dpop|cookie|ses-id|dev-id)";

/// One pattern of secret and how it is replaced.
struct Rule {
    pattern: Regex,
    replace: fn(&Captures) -> String,
}

/// The rules, most specific first: field values go before bare token shapes so a JSON value is
/// replaced as a whole.
static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |pattern: &str, replace: fn(&Captures) -> String| Rule {
        pattern: Regex::new(pattern).expect("redaction patterns are valid"),
        replace,
    };
    vec![
        // "password": "hunter2"  (also with escaped quotes inside a Debug-printed string)
        rule(
            &format!(r#"(?i)(\\?"{SECRET_FIELDS}\\?"\s*:\s*\\?")((?:[^"\\]|\\[^"])*)(\\?")"#),
            |c| format!("{}{}{}", &c[1], secret(&c[2]), &c[3]),
        ),
        // password=hunter2, ?code=abc&state=..., password="hunter2"
        rule(
            &format!(
                r#"(?i)(\b{SECRET_FIELDS}\s*=\s*)(?:"((?:[^"\\]|\\.)*)"|([^\s&"',;)}}\]<]+))"#
            ),
            |c| match c.get(2) {
                Some(quoted) => format!("{}\"{}\"", &c[1], secret(quoted.as_str())),
                None => format!("{}{}", &c[1], secret(&c[3])),
            },
        ),
        // password: "hunter2" (Debug of a struct field: a string value is always quoted). An
        // unquoted word after "password:" is prose ("needs your account password: browser
        // sign-in cannot…"), and stays readable.
        rule(
            &format!(r#"(?i)(\b{SECRET_FIELDS}\s*:\s*)"((?:[^"\\]|\\.)*)""#),
            |c| format!("{}\"{}\"", &c[1], secret(&c[2])),
        ),
        // Authorization: Bearer <token> / DPoP <token>
        rule(r"(?i)\b(Bearer|DPoP)\s+([A-Za-z0-9._~+/=-]{8,})", |c| {
            format!("{} {}", &c[1], secret(&c[2]))
        }),
        // Any JWT (header.payload.signature, base64url, header starting with `{"`).
        rule(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", |c| {
            secret(&c[0])
        }),
        // Multibase (base58btc) keys; public keys in `did:key:` form stay readable.
        rule(r"(did:key:)?\bz[1-9A-HJ-NP-Za-km-z]{40,}\b", |c| {
            if c.get(1).is_some() {
                c[0].to_owned()
            } else {
                secret(&c[0])
            }
        }),
        // App passwords: xxxx-xxxx-xxxx-xxxx.
        rule(
            r"\b[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}\b",
            |c| secret(&c[0]),
        ),
        // Emailed codes: XXXXX-XXXXX.
        rule(r"\b[A-Z2-7]{5}-[A-Z2-7]{5}\b", |c| secret(&c[0])),
    ]
});

/// Replaces every secret-looking part of `text` (tokens, JWTs, passwords and codes in fields,
/// authorization headers, multibase private keys, app passwords, emailed codes) with its length.
///
/// Errs on the side of hiding: a harmless value in a field called `code` is hidden too.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for rule in RULES.iter() {
        if let Cow::Owned(replaced) = rule.pattern.replace_all(&out, rule.replace) {
            out = Cow::Owned(replaced);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::scrub;

    #[test]
    fn never_contains_the_secret() {
        let s = super::secret("eyJhbGciOi.secret.part");
        assert!(!s.contains("secret.part"));
        assert!(s.contains("22"));
    }

    /// Asserts that `secret` is gone from `line` once scrubbed, and that `keep` survives.
    fn hides(line: &str, secret: &str, keep: &str) {
        let out = scrub(line);
        assert!(!out.contains(secret), "{secret:?} still in {out:?}");
        assert!(out.contains(keep), "{keep:?} lost from {out:?}");
        assert!(out.contains("<redacted"), "{out:?}");
    }

    #[test]
    fn hides_jwts_anywhere() {
        let jwt = "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFUzI1NksifQ.eyJzY29wZSI6ImNvbS5hdHByb3RvLmFjY2VzcyJ9.c2lnbmF0dXJlLWJ5dGVz";
        hides(
            &format!("refresh failed for did:plc:abc with {jwt} (400)"),
            "c2lnbmF0dXJlLWJ5dGVz",
            "did:plc:abc",
        );
        hides(&format!("token {jwt}"), "eyJzY29wZSI6", "token");
    }

    #[test]
    fn hides_authorization_headers() {
        hides(
            "request headers: authorization: Bearer abcdef0123456789xyz",
            "abcdef0123456789xyz",
            "Bearer",
        );
        hides(
            "Authorization: DPoP Zm9vYmFyYmF6cXV4LnF1dXg",
            "Zm9vYmFyYmF6cXV4LnF1dXg",
            "DPoP",
        );
    }

    #[test]
    fn hides_secret_fields_in_json_and_key_value_form() {
        hides(
            r#"body {"identifier":"alice.test","password":"correct horse battery"}"#,
            "correct horse",
            "alice.test",
        );
        hides(
            r#"{"accessJwt": "not-a-jwt-shape", "handle": "alice.test"}"#,
            "not-a-jwt-shape",
            "alice.test",
        );
        hides(
            r#"LoginRequest { identifier: "alice.test", password: "s3cr3t!" }"#,
            "s3cr3t!",
            "alice.test",
        );
        hides(
            "callback /oauth/callback?code=cod-123abc&state=xyz&iss=http://localhost",
            "cod-123abc",
            "state=xyz",
        );
        hides("refresh_token=rt-998877 grant", "rt-998877", "grant");
        hides(
            r#"error body: {\"error\":\"x\",\"authFactorToken\":\"ABCDE\"}"#,
            "ABCDE",
            "error",
        );
    }

    #[test]
    fn hides_private_keys_but_not_did_keys() {
        let private = "z3vLj3j1gexQ1j2hjGKYXBX8PKmt7sXYeQkNNyJxyJ2rWuEj";
        hides(
            &format!("generated rotation key {private}"),
            private,
            "rotation key",
        );
        let public = "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme";
        assert_eq!(scrub(&format!("added {public}")), format!("added {public}"));
    }

    #[test]
    fn hides_app_passwords_and_emailed_codes() {
        hides(
            "created app password abcd-ef23-ghij-kl45 for tool",
            "abcd-ef23-ghij-kl45",
            "for tool",
        );
        hides(
            "sign-in code ABCDE-FGH23 sent",
            "ABCDE-FGH23",
            "sign-in code",
        );
    }

    #[test]
    fn leaves_ordinary_lines_alone() {
        for line in [
            "tray menu: refresh",
            "background check failed: http://localhost:2583 is unreachable",
            "notifying about 1 new device(s)/app(s) on did:plc:ewvi7nxzyoun6zhxrhs64oiz",
            "blob bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy missing",
            // Prose after a label is not a value.
            "this needs your account password: browser sign-in cannot do it on this server",
            "could not refresh the token: the server answered 400",
        ] {
            assert_eq!(scrub(line), line);
        }
    }
}
