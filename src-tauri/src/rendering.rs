//! How the window's web view draws on Linux.
//!
//! WebKitGTK composites pages through OpenGL by default. Stratos' screens are forms, lists and
//! cards that change on a click, which its non-composited mode draws as well with far less work:
//! no GL context in the web process, and no shaders to build at start. Where the GL is Mesa's
//! software rasteriser (virtual machines, remote desktops, many CI runners) that is most of the
//! first screen's cost; scripts/bench-startup.sh measures the difference (README › Benchmarks).
//! A user who wants compositing back sets `WEBKIT_DISABLE_COMPOSITING_MODE=0`.

/// WebKitGTK's own switch, read when the first web view is made.
#[cfg(target_os = "linux")]
const COMPOSITING_SWITCH: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// Chooses the non-composited mode unless the user already chose. Must run first in `main`,
/// before any thread exists, because it sets an environment variable.
pub fn prefer_non_composited() {
    #[cfg(target_os = "linux")]
    if std::env::var_os(COMPOSITING_SWITCH).is_none() {
        // SAFETY: called at the top of `main`, while the process has a single thread, so nothing
        // reads the environment concurrently.
        unsafe { std::env::set_var(COMPOSITING_SWITCH, "1") };
    }
}
