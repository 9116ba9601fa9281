//! `stratos generate-package-files <dir>` (hidden): the shell completions and man pages the
//! Linux packages install, made from the clap definitions themselves so they cannot fall behind
//! the verbs. `scripts/bundle.sh` runs the binary it packages with this before bundling.

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;
use stratos_core::Problem;

use crate::render::Output;

/// `generate-package-files` arguments.
#[derive(clap::Args)]
pub struct PackageFilesArgs {
    /// Folder to write `completions/` (bash, zsh, fish) and `man/` (one page per verb) into.
    pub dir: PathBuf,
}

fn io_problem(path: &Path, e: std::io::Error) -> Problem {
    Problem {
        detail: None,
        code: "file",
        message: format!("could not write {}: {e}", path.display()),
        hint: None,
    }
}

/// Writes the completions and the man pages of `C` (the whole `stratos` command).
pub fn run<C: CommandFactory>(args: PackageFilesArgs, out: &Output) -> Result<(), Problem> {
    let completions = args.dir.join("completions");
    let man = args.dir.join("man");
    for dir in [&completions, &man] {
        std::fs::create_dir_all(dir).map_err(|e| io_problem(dir, e))?;
    }
    let mut written = Vec::new();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let mut cmd = C::command();
        let path = clap_complete::generate_to(shell, &mut cmd, "stratos", &completions)
            .map_err(|e| io_problem(&completions, e))?;
        written.push(path);
    }
    clap_mangen::generate_to(C::command(), &man).map_err(|e| io_problem(&man, e))?;
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&man)
        .map_err(|e| io_problem(&man, e))?
        .flatten()
        .map(|entry| entry.path())
        .collect();
    pages.sort();
    written.extend(pages);
    let doc = serde_json::json!({ "written": written });
    out.emit(&doc, || {
        written
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}
