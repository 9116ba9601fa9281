//! Opening the sign-in page in the person's browser, honouring `$BROWSER` as xdg-open does.

use std::process::{Command, Stdio};

/// Why the browser could not be opened; the caller then shows the address to copy instead.
#[derive(Debug, thiserror::Error)]
#[error("could not open a browser: {0}")]
pub struct BrowserError(String);

/// The `$BROWSER` command for `url`, if set: the first of its `:`-separated entries, with `%s`
/// replaced by the URL or the URL appended.
pub fn browser_command(browser: &str, url: &str) -> Option<Vec<String>> {
    let entry = browser.split(':').map(str::trim).find(|e| !e.is_empty())?;
    let mut words: Vec<String> = entry.split_whitespace().map(str::to_owned).collect();
    if words.iter().any(|w| w.contains("%s")) {
        for w in &mut words {
            *w = w.replace("%s", url);
        }
    } else {
        words.push(url.to_owned());
    }
    Some(words)
}

/// Opens `url` with `$BROWSER` when set (without waiting for it), else the system's default
/// browser through the `webbrowser` crate.
pub fn open(url: &str) -> Result<(), BrowserError> {
    if let Some(words) = std::env::var("BROWSER")
        .ok()
        .and_then(|b| browser_command(&b, url))
    {
        log::info!("opening the sign-in page with $BROWSER ({})", words[0]);
        let mut child = Command::new(&words[0])
            .args(&words[1..])
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| BrowserError(format!("{}: {e}", words[0])))?;
        // Reap it whenever it ends, without making the caller wait for the browser.
        std::thread::spawn(move || child.wait());
        return Ok(());
    }
    webbrowser::open(url).map_err(|e| BrowserError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::browser_command;

    #[test]
    fn browser_variable_forms() {
        assert_eq!(browser_command("firefox", "u").unwrap(), ["firefox", "u"]);
        assert_eq!(
            browser_command("chromium --new-window %s:firefox", "u").unwrap(),
            ["chromium", "--new-window", "u"]
        );
        assert!(browser_command(" : ", "u").is_none());
    }
}
