//! How WebKitGTK draws the window on a machine without a GPU.
//!
//! WebKitGTK 2.46+ paints with Skia, by default on the GPU through OpenGL. Where there is no GPU
//! (no DRM render node: virtual machines, remote desktops, CI), Mesa emulates OpenGL on the CPU
//! (llvmpipe), and every new kind of shape costs an LLVM shader compilation before it is drawn:
//! Stratos' first screen took ~100 ms longer to appear, at random, and its web process held
//! ~40 MiB more. Skia's own CPU rasteriser draws the same pixels without that detour, so Stratos
//! asks for it there (`scripts/bench-startup.sh` and docs/benchmarks.md have the figures). With a
//! GPU nothing changes, and a person who sets the variable themselves keeps their choice.

use std::ffi::OsStr;
use std::path::Path;

/// WebKit reads it in each web process it starts (`WebProcess::platformInitializeWebProcess`).
const CPU_RENDERING: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";

/// What was decided at start, for the log (which is not open yet when the decision is made).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raster {
    /// The person's own `WEBKIT_SKIA_ENABLE_CPU_RENDERING` stands.
    Chosen,
    /// A GPU is there: WebKit's default.
    Gpu,
    /// No GPU: Skia's CPU rasteriser.
    Cpu,
}

impl Raster {
    /// One line for the log at start.
    pub fn describe(self) -> &'static str {
        match self {
            Raster::Chosen => "drawing: WEBKIT_SKIA_ENABLE_CPU_RENDERING set in the environment",
            Raster::Gpu => "drawing: WebKit's default (a GPU render node is present)",
            Raster::Cpu => {
                "drawing: Skia on the CPU (no GPU render node, OpenGL would be emulated)"
            }
        }
    }
}

/// Decides from the environment and the DRM devices whether WebKit should raster on the CPU.
pub fn decide(user_choice: Option<&OsStr>, dri: &Path) -> Raster {
    if user_choice.is_some() {
        return Raster::Chosen;
    }
    let render_node = std::fs::read_dir(dri)
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
        })
        .unwrap_or(false);
    if render_node {
        Raster::Gpu
    } else {
        Raster::Cpu
    }
}

/// Makes the choice for the web processes WebKit will start. Call it first thing in `main`.
///
/// # Safety
/// No other thread may be running: it changes the process environment.
pub unsafe fn apply() -> Raster {
    let raster = decide(
        std::env::var_os(CPU_RENDERING).as_deref(),
        Path::new("/dev/dri"),
    );
    if raster == Raster::Cpu {
        // SAFETY: the caller guarantees this is the only thread.
        unsafe { std::env::set_var(CPU_RENDERING, "1") };
    }
    raster
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_without_a_render_node_gpu_with_one_and_the_persons_choice_first() {
        let dri = tempfile::tempdir().unwrap();
        std::fs::write(dri.path().join("card0"), b"").unwrap();
        assert_eq!(decide(None, dri.path()), Raster::Cpu);
        assert_eq!(decide(None, &dri.path().join("absent")), Raster::Cpu);

        std::fs::write(dri.path().join("renderD128"), b"").unwrap();
        assert_eq!(decide(None, dri.path()), Raster::Gpu);

        assert_eq!(decide(Some(OsStr::new("0")), dri.path()), Raster::Chosen);
        assert_eq!(
            decide(Some(OsStr::new("1")), &dri.path().join("absent")),
            Raster::Chosen
        );
    }
}
