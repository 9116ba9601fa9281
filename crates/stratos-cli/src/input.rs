//! What the person passes or types for a verb: passwords, emailed codes and typed confirmations.
//!
//! Every verb gets them the same way, in this order: the flag; goat's environment variables; a
//! prompt when stdin is a terminal; otherwise one line of piped stdin per value, in the order the
//! verb asks for them. Without any of these the error names all three ways, so a script or a
//! service (no terminal) knows what to do instead of being told to "enter" something.

use std::io::{BufRead, IsTerminal, Write};

use stratos_core::Problem;
use stratos_core::auth::step_up::StepUp;

/// One thing a verb may need from the person, and every way it can be given.
#[derive(Clone, Copy)]
pub struct Need {
    /// What it is, in an error ("password", "sign-in code").
    pub what: &'static str,
    /// The flag that passes it.
    pub flag: &'static str,
    /// The environment variables read when the flag is absent, first one wins (goat's names).
    pub env: &'static [&'static str],
    /// The question on the terminal (and on stderr before reading piped stdin).
    pub prompt: &'static str,
    /// Whether it is a secret, typed without echo on a terminal.
    pub secret: bool,
}

/// The account password (not an app password), as goat reads it.
pub const PASSWORD: Need = Need {
    what: "password",
    flag: "--password",
    env: &["GOAT_PASSWORD", "ATP_PASSWORD", "ATP_AUTH_PASSWORD"],
    prompt: "Account password: ",
    secret: true,
};

/// The code of the sign-in email (email 2FA), as goat reads it.
pub const AUTH_FACTOR_TOKEN: Need = Need {
    what: "sign-in code",
    flag: "--auth-factor-token",
    env: &["ATP_AUTH_FACTOR_TOKEN"],
    prompt: "The server emailed you a sign-in code. Enter it: ",
    secret: false,
};

/// The password of an account being created, as goat's `account create` reads it.
pub const NEW_ACCOUNT_PASSWORD: Need = Need {
    what: "password",
    flag: "--password",
    env: &["NEW_ACCOUNT_PASSWORD"],
    prompt: "New password: ",
    secret: true,
};

/// The password on the new server of a migration (goat's `account migrate` reads the last).
pub const MIGRATION_PASSWORD: Need = Need {
    what: "password",
    flag: "--new-password",
    env: &["STRATOS_NEW_PASSWORD", "NEW_ACCOUNT_PASSWORD"],
    prompt: "Password on the new server: ",
    secret: true,
};

/// The new password of a password reset.
pub const NEW_PASSWORD: Need = Need {
    what: "new password",
    flag: "--new-password",
    env: &["STRATOS_NEW_PASSWORD"],
    prompt: "New password: ",
    secret: true,
};

/// The handle typed out to confirm an account's deletion (no environment variable: typing it is
/// the point).
pub const CONFIRM_HANDLE: Need = Need {
    what: "confirmation",
    flag: "--confirm-handle",
    env: &[],
    prompt: "Type the account's handle to confirm deleting it: ",
    secret: false,
};

/// The account password for verbs only a password session may do. Password accounts use their
/// saved session and ignore it; browser (OAuth) accounts sign in with it for this command only.
#[derive(clap::Args, Clone, Default)]
pub struct PasswordArgs {
    /// Account password (not an app password), needed when signed in through the browser; also
    /// from $ATP_AUTH_PASSWORD (or $GOAT_PASSWORD, $ATP_PASSWORD) or one line of piped stdin.
    #[arg(long)]
    pub password: Option<String>,
    /// The code from the sign-in email, when email 2FA is on; also from $ATP_AUTH_FACTOR_TOKEN or
    /// the next line of piped stdin.
    #[arg(long)]
    pub auth_factor_token: Option<String>,
}

/// The value of `need`: `given` (its flag), its environment variables, a terminal prompt, or one
/// line of piped stdin; an error naming every way when none has it.
pub fn obtain(given: Option<String>, need: &Need) -> Result<String, Problem> {
    read(given, need).ok_or_else(|| Problem {
        detail: None,
        code: "input_needed",
        message: missing(need),
        hint: Some(hint(need)),
    })
}

/// Like [`obtain`], for a value the server has just asked for: when none can be had, the
/// server's `problem` is returned with a hint naming every way to pass it.
pub fn obtain_for(problem: Problem, given: Option<String>, need: &Need) -> Result<String, Problem> {
    read(given, need).ok_or_else(|| Problem {
        detail: None,
        hint: Some(format!("{}. {}", capitalised(&missing(need)), hint(need))),
        ..problem
    })
}

/// Runs `op` with the step-up `auth` names; when the server asks for the password or the emailed
/// sign-in code that was not given, gets it through [`obtain_for`] and runs `op` again.
pub async fn with_step_up<T>(
    auth: &PasswordArgs,
    op: impl AsyncFn(StepUp<'_>) -> Result<T, Problem>,
) -> Result<T, Problem> {
    let mut password = auth.password.clone();
    let mut code = auth.auth_factor_token.clone();
    let mut asked = (false, false);
    loop {
        match op(StepUp::typed(&password, &code)).await {
            Err(p) if p.code == "password_needed" && !asked.0 => {
                asked.0 = true;
                password = Some(obtain_for(p, password.take(), &PASSWORD)?);
            }
            Err(p) if p.code == "auth_factor_required" && !asked.1 => {
                asked.1 = true;
                code = Some(obtain_for(p, code.take(), &AUTH_FACTOR_TOKEN)?);
            }
            other => return other,
        }
    }
}

/// Flag, environment, terminal, piped stdin: the first that has a non-empty value.
fn read(given: Option<String>, need: &Need) -> Option<String> {
    if let Some(v) = given.filter(|v| !v.is_empty()) {
        return Some(v);
    }
    if let Some(v) = need
        .env
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    {
        return Some(v);
    }
    let stdin = std::io::stdin();
    if need.secret && stdin.is_terminal() {
        return rpassword::prompt_password(need.prompt)
            .ok()
            .filter(|p| !p.is_empty());
    }
    // A visible question on stderr, then one line: typed on a terminal, or piped by a script.
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{}", need.prompt);
    let _ = stderr.flush();
    let mut line = String::new();
    let got = stdin.lock().read_line(&mut line).ok().filter(|&n| n > 0);
    if !stdin.is_terminal() {
        let _ = writeln!(stderr);
    }
    got?;
    // A password keeps inner and outer spaces; only the line ending is not part of it.
    let value = if need.secret {
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        line.trim().to_owned()
    };
    (!value.is_empty()).then_some(value)
}

/// "no password: pass --password, set ATP_AUTH_PASSWORD, or pipe it on stdin".
fn missing(need: &Need) -> String {
    match need.env.last() {
        Some(env) => format!(
            "no {}: pass {}, set {env}, or pipe it on stdin",
            need.what, need.flag
        ),
        None => format!("no {}: pass {}, or pipe it on stdin", need.what, need.flag),
    }
}

fn hint(need: &Need) -> String {
    let mut text = String::from("Without a terminal Stratos cannot ask for it");
    if let [others @ .., _] = need.env
        && !others.is_empty()
    {
        text.push_str(&format!("; {} are read too", others.join(" and ")));
    }
    text.push('.');
    text
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Asks for a line on the terminal (a code, a yes); an empty answer or a closed input is an
/// error the person can act on.
pub fn prompt_line(label: &str) -> Result<String, Problem> {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{label}");
    let _ = stderr.flush();
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(n) if n > 0 && !line.trim().is_empty() => Ok(line.trim().to_owned()),
        _ => Err(Problem {
            detail: None,
            code: "no_answer",
            message: "no answer was given".to_owned(),
            hint: Some("Pass it as an option instead (see --help).".to_owned()),
        }),
    }
}
