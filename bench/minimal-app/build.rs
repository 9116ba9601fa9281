//! Builds the Tauri context and declares the one command, so the capability can grant exactly it.

fn main() {
    println!("cargo:rerun-if-changed=tauri.conf.json");
    println!("cargo:rerun-if-changed=ui");
    let attrs = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(&["first_paint"]));
    tauri_build::try_build(attrs).expect("tauri build configuration is valid");
}
