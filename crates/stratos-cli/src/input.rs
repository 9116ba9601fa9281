//! What the person passes or types for a verb: the account password for verbs that need a full
//! password session, and the terminal prompts for passwords, codes and answers.

use std::io::{BufRead, IsTerminal, Write};

use stratos_core::Problem;

/// The account password for verbs only a password session may do. Password accounts use their
/// saved session and ignore it; browser (OAuth) accounts sign in with it for this command only.
#[derive(clap::Args, Clone, Default)]
pub struct PasswordArgs {
    /// Account password (not an app password), needed when signed in through the browser.
    #[arg(long, env = "ATP_AUTH_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// The code from the sign-in email, when email 2FA is on.
    #[arg(long)]
    pub auth_factor_token: Option<String>,
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
            code: "no_answer",
            message: "no answer was given".to_owned(),
            hint: Some("Pass it as an option instead (see --help).".to_owned()),
        }),
    }
}

/// Asks for a secret on the terminal without echoing it.
pub fn prompt_secret(label: &str) -> Result<String, Problem> {
    rpassword::prompt_password(label)
        .ok()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| Problem {
            code: "no_answer",
            message: "no password was given".to_owned(),
            hint: Some("Pass it as an option instead (see --help).".to_owned()),
        })
}

/// Asks for the emailed sign-in code on stderr and reads one line from stdin.
///
/// Reading a plain line (not a hidden prompt) lets scripts and tests pipe the code in.
pub fn ask_code() -> Result<String, ()> {
    let stdin = std::io::stdin();
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "The server emailed you a sign-in code. Enter it: ");
    let _ = stderr.flush();
    let mut line = String::new();
    match stdin.lock().read_line(&mut line) {
        Ok(n) if n > 0 && !line.trim().is_empty() => Ok(line.trim().to_owned()),
        _ => {
            if !std::io::stdin().is_terminal() {
                let _ = writeln!(stderr);
            }
            Err(())
        }
    }
}
